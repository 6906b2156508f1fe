"""What happens to a generated batch: approved by a second actor and released, or rejected.

- :func:`approve`: four eyes, another identity than the one who ran the batch
  (:func:`payments.actors.same`: ``Alice`` is ``alice``); also a database constraint on the
  stored identities.
- :func:`release`: marks the batch's orders ``sent`` (refusing, before anything reaches the
  outbox, if an order left the batch), checks every file's SHA-256, copies the files to
  the outbox the batch recorded when it was run (its absolute folders: a release from
  another folder or with other settings writes nowhere else) and writes the release
  manifest beside them (:mod:`payments.manifests`: the files, their hashes and the audit
  chain's head after the release event, an anchor of the chain outside the database).
- :func:`reject`: a batch that is not released is refused, with a reason: its items move to
  ``rejected_batch_items`` (the record of what its files held), so its orders are due again
  and the next run for any date — the same one included — pays them, with the same attempt
  and end-to-end ids, since the rejected files never reached the bank. The files are deleted
  from the output directory so that none can be sent by hand; their hashes stay recorded.
  Without this, orders in a batch nobody would approve were never paid.
- :func:`approve_review`: clears one order held for ``AMOUNT_REVIEW``, four eyes too: not by
  the actor who submitted the claim behind it, nor by the one who ran the batch that held it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from payments import actors, audit, files, manifests, orders
from payments.batch import pain_files, states
from payments.batch.night import BatchRun, get_batch, summary
from payments.config import Settings
from payments.db import lock_for_writing, session_scope
from payments.errors import ConflictError, InputError, NotFound, PaymentsError
from payments.models import Batch, BatchFile, BatchItem, Claim, PaymentOrder, RejectedBatchItem
from payments.statuses import BatchStatus, HoldReason

REASON_MAX = 500


def approve(
    engine: Engine, settings: Settings, batch_id: int, *, actor: str, now: dt.datetime
) -> BatchRun:
    """Second pair of eyes: another identity than the one who ran the batch approves it."""
    actor = actors.actor(actor)
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")  # not beside a reject of the same batch
        batch = get_batch(session, batch_id)
        if batch.status != BatchStatus.GENERATED:
            raise ConflictError(
                "BATCH_NOT_GENERATED",
                f"batch {batch_id} is {batch.status}, not awaiting approval",
                "batch_id",
            )
        if actors.same(actor, batch.created_by):
            raise ConflictError(
                "BATCH_FOUR_EYES",
                f"batch {batch_id} was run by {batch.created_by}; another person must approve it",
                "actor",
            )
        batch.status, batch.approved_by, batch.approved_at = BatchStatus.APPROVED, actor, now
        batch.approved_by_key = actors.identity(actor)
        audit.append(
            session,
            actor=actor,
            action="batch.approve",
            subject=f"batch:{batch_id}",
            payload={"orders": batch.order_count, "total_ore": batch.total_ore},
            now=now,
        )
        session.flush()
        return summary(session, batch, False, settings)


def release(
    engine: Engine, settings: Settings, batch_id: int, *, actor: str, now: dt.datetime
) -> BatchRun:
    """Check every file's hash, copy the files to the outbox, mark the orders ``sent``.

    Each copy is written as a new private file (:mod:`payments.files`) and re-hashed from
    the written bytes before it takes its name in the outbox. The manifest is written last,
    after the release event, so the chain's head it names includes that event; like the
    copies it is in the outbox before the commit (a release whose commit fails leaves both,
    and releasing again replaces them)."""
    actor = actors.actor(actor)
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")
        batch = get_batch(session, batch_id)
        out, outbox_dir = pain_files.batch_dirs(batch, settings)  # where it was run
        stray = pain_files.remove_stray_temporaries(session, (out, outbox_dir))
        if batch.status != BatchStatus.APPROVED:
            code = {
                BatchStatus.RELEASED: "BATCH_ALREADY_RELEASED",
                BatchStatus.REJECTED: "BATCH_REJECTED",
            }.get(batch.status, "BATCH_NOT_APPROVED")
            raise ConflictError(
                code,
                f"batch {batch_id} is {batch.status}; only an approved batch can be released",
                "batch_id",
            )
        if batch.approved_by_key is None or batch.approved_by_key == batch.created_by_key:
            raise ConflictError(  # the database's CHECKs hold this; a second line
                "BATCH_FOUR_EYES", f"batch {batch_id} has no approval by a second person", "actor"
            )
        # the orders first: if any left the batch, nothing reaches the outbox
        sent = orders.mark_sent(session, batch_id)
        if sent != batch.order_count:
            raise PaymentsError(
                "BATCH_ORDERS_CHANGED",
                f"batch {batch_id} holds {batch.order_count} orders but "
                f"{sent} are still waiting in it; nothing was released",
                "batch_id",
            )
        pain_files.complete_files(session, settings, batch)
        batch_files = session.scalars(
            select(BatchFile).where(BatchFile.batch_id == batch_id).order_by(BatchFile.seq)
        ).all()
        outbox = files.ensure_dir(outbox_dir)
        for bfile in batch_files:
            source = out / bfile.filename
            if files.sha256_file(source) != bfile.sha256:
                raise PaymentsError(
                    "BATCH_FILE_TAMPERED",
                    f"{bfile.filename} does not match its recorded SHA-256",
                    "batch_id",
                )
            target = outbox / bfile.filename
            files.copy_verified(source, target, pain_files.tmp_path(target), bfile.sha256)
        batch.status, batch.released_by, batch.released_at = BatchStatus.RELEASED, actor, now
        states.released(batch)  # every transaction sent (the row's counts: the batch page)
        event = audit.append(
            session,
            actor=actor,
            action="batch.release",
            subject=f"batch:{batch_id}",
            payload={
                "files": [f.filename for f in batch_files],
                "sha256": [f.sha256 for f in batch_files],
            },
            now=now,
        )
        session.flush()
        manifests.write(outbox, batch, batch_files, audit.head_after(session, event))
        return replace(summary(session, batch, False, settings), stray_removed=stray)


def reject(
    engine: Engine, settings: Settings, batch_id: int, *, actor: str, reason: str, now: dt.datetime
) -> BatchRun:
    """Refuse a batch that is not released (see the module docstring).

    The files are deleted before the commit: should the commit fail, the batch is still
    generated (or approved) and release regenerates its files from the database, checked
    against their recorded hashes. A batch with a file in the outbox is refused
    (``BATCH_IN_OUTBOX``): a release that stopped after copying it may have delivered it,
    and rejecting would pay its orders a second time in the next run.
    """
    actor = actors.actor(actor)
    reason = " ".join(str(reason).split())
    if not reason or len(reason) > REASON_MAX or not reason.isprintable():
        raise InputError(
            "BATCH_REJECT_REASON",
            f"say why the batch is rejected, in at most {REASON_MAX} printable characters",
            "reason",
        )
    if audit.holds_full_number(reason):
        raise InputError(
            "BATCH_REJECT_REASON",
            "the reason is kept in the audit log, which "
            "never holds a full CPR or account number; name the order instead",
            "reason",
        )
    with session_scope(engine) as session:
        lock_for_writing(session, "payments.batch")
        batch = get_batch(session, batch_id)
        out, outbox = pain_files.batch_dirs(batch, settings)  # where it was run
        stray = pain_files.remove_stray_temporaries(session, (out, outbox))
        if batch.status in (BatchStatus.RELEASED, BatchStatus.REJECTED):
            code = (
                "BATCH_ALREADY_RELEASED"
                if batch.status == BatchStatus.RELEASED
                else "BATCH_REJECTED"
            )
            raise ConflictError(
                code,
                f"batch {batch_id} is {batch.status}; only a batch that "
                "is not released can be rejected",
                "batch_id",
            )
        files = session.scalars(
            select(BatchFile.filename).where(BatchFile.batch_id == batch_id).order_by(BatchFile.seq)
        ).all()
        sent = [
            n for n in files if (outbox / n).exists() or pain_files.tmp_path(outbox / n).exists()
        ]
        if sent:  # a release stopped after copying: the bank may have the file already
            raise ConflictError(
                "BATCH_IN_OUTBOX",
                f"{sent[0]} of batch {batch_id} is in the outbox (a release "
                "was interrupted); release the batch, or remove the file once "
                "the bank confirms it never received it",
                "batch_id",
            )
        names = [c.name for c in BatchItem.__table__.columns]
        session.execute(
            insert(RejectedBatchItem).from_select(
                names,
                select(*(BatchItem.__table__.c[n] for n in names)).where(
                    BatchItem.batch_id == batch_id
                ),
            )
        )
        moved = session.execute(
            delete(BatchItem)
            .where(BatchItem.batch_id == batch_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        batch.status, batch.rejected_by, batch.rejected_at = BatchStatus.REJECTED, actor, now
        batch.reject_reason = reason
        audit.append(
            session,
            actor=actor,
            action="batch.reject",
            subject=f"batch:{batch_id}",
            payload={
                "reason": reason,
                "orders": moved,
                "total_ore": batch.total_ore,
                "files": list(files),
            },
            now=now,
        )
        session.flush()
        for name in files:
            final = out / name
            final.unlink(missing_ok=True)
            pain_files.tmp_path(final).unlink(missing_ok=True)
        return replace(summary(session, batch, False, settings), stray_removed=stray)


def approve_review(engine: Engine, order_id: int, *, actor: str, now: dt.datetime) -> None:
    """Clear an order held for ``AMOUNT_REVIEW``: the next run pays it.

    A large amount is a money control of its own, so four eyes: refused
    (``ORDER_REVIEW_FOUR_EYES``) to the actor who submitted the claim behind the order and
    to the one who ran the batch that held it, compared as identities. The audit event
    names both, beside the reviewer.
    """
    actor = actors.actor(actor)
    with session_scope(engine) as session:
        order = session.get(PaymentOrder, order_id)
        if order is None:
            raise NotFound("ORDER_NOT_FOUND", f"there is no payment order {order_id}", "order_id")
        if order.hold_reason != HoldReason.AMOUNT_REVIEW:
            raise ConflictError(
                "ORDER_NOT_IN_REVIEW", f"order {order_id} is not held for amount review", "order_id"
            )
        submitted_by = session.get(Claim, order.claim_id).actor
        holder = session.get(Batch, order.held_by_batch_id) if order.held_by_batch_id else None
        run_by = holder.created_by if holder else None
        for other, did in (
            (submitted_by, "submitted the claim behind"),
            (run_by, f"ran batch {order.held_by_batch_id}, which held"),
        ):
            if actors.same(actor, other):
                raise ConflictError(
                    "ORDER_REVIEW_FOUR_EYES",
                    f"{other} {did} order {order_id}; another person must clear its review",
                    "actor",
                )
        order.review_approved_by = actor
        audit.append(
            session,
            actor=actor,
            action="order.review_approved",
            subject=f"order:{order_id}",
            payload={
                "amount_ore": order.amount_ore,
                "claim_submitted_by": submitted_by,
                "held_by_batch_id": order.held_by_batch_id,
                "batch_run_by": run_by,
            },
            now=now,
        )
