"""The pain.001 files of a batch: write, stream, spool, publish, check and regenerate.

The batch (:mod:`payments.batch`) decides what is in each file; this module turns rows into
files and back. Every file is written to a temporary name, fsynced and hashed; published by
an atomic rename and a directory fsync; checked against its recorded SHA-256 before it is
trusted; and, when a committed batch's file is missing, regenerated from the database
byte-identically (everything in it comes from stored rows).

A file row is ``(file_seq, end_to_end_id, amount_ore, remittance, reg_no, account_no, iban,
bic)``, in order id order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import IO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from identifiers import Bic, Iban, IdentifierError, cvr
from iso20022 import pain001
from payments import files, money
from payments.config import Settings
from payments.errors import InputError, PaymentsError
from payments.models import AccountRegistration, Batch, BatchFile, BatchItem, PaymentOrder
from payments.statuses import BatchStatus

_FETCH = 10_000
#: ``Cdtr/Nm`` of a payee whose registration carries no name (the banks' guides require a
#: name; this one says plainly that the payment is to a NemKonto owner the payer knows by
#: number). ``BatchRun.unnamed`` counts them.
UNNAMED_PAYEE = "NemKonto-indehaver"  # rows per round trip when streaming a file's transactions

Progress = Callable[[int], None]


def msg_id_for(run_date: dt.date, batch_id: int, seq: int) -> str:
    return f"NKB{run_date:%Y%m%d}-{batch_id}-{seq}"


def file_name_for(run_date: dt.date, batch_id: int, seq: int) -> str:
    return f"pain001-{run_date:%Y%m%d}-b{batch_id}-{seq:03d}.xml"


def file_rows(session: Session, batch_id: int, seq: int | None = None) -> Iterator[tuple]:
    """Stream the transactions of a committed batch (or of one of its files), by order id.

    Used to regenerate a file: the items joined to their orders and registrations give
    exactly the rows the run wrote the file from (``candidates.file_rows_query``).
    """
    i, o, r = BatchItem, PaymentOrder, AccountRegistration
    query = (
        select(
            i.file_seq,
            i.end_to_end_id,
            i.amount_ore,
            o.remittance,
            r.reg_no,
            r.account_no,
            r.iban,
            r.bic,
            r.owner_name,
        )
        .join(o, o.id == i.order_id)
        .join(r, r.id == i.registration_id)
        .where(i.batch_id == batch_id)
        .order_by(i.order_id)
    )
    if seq is not None:
        query = query.where(i.file_seq == seq)
    return stream(session, query)


def spooled_rows(session: Session, query: Select, spool: IO[bytes]) -> Iterator[tuple]:
    """PostgreSQL: copy the file rows ``query`` selects to ``spool`` now; read them later.

    ``COPY … TO STDOUT`` moves them in a second or two and frees the connection for other
    statements while the files are written from the local copy. The bytes go to the spool
    as the server sends them and are decoded once, when read. CSV keeps text exact; an
    empty unquoted field is NULL, which only the account columns can be.
    """
    sql = str(
        query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    driver = session.connection().connection.driver_connection
    with driver.cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            spool.write(block)
    spool.seek(0)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    return (
        (
            int(seq),
            e2e,
            int(amount),
            remittance,
            reg_no or None,
            account_no or None,
            iban or None,
            bic or None,
            name or None,
        )
        for seq, e2e, amount, remittance, reg_no, account_no, iban, bic, name in csv.reader(text)
    )


def stream(session: Session, query) -> Iterator[tuple]:
    """Rows in lists of :data:`_FETCH` (a server-side cursor on PostgreSQL), chained."""
    result = session.connection().execute(
        query.execution_options(stream_results=True, yield_per=_FETCH)
    )
    return chain.from_iterable(result.partitions())  # a list per fetch: no per-row fetchone


def _transactions(rows: Iterator[tuple], seq: int, count: int) -> Iterator[pain001.Transaction]:
    """The next ``count`` rows of ``rows`` as transactions of file ``seq``."""
    kr = money.kr  # a million calls: the attribute looked up once
    transaction, domestic, iban_account = (
        pain001.Transaction,
        pain001.DomesticAccount,
        pain001.IbanAccount,
    )
    for file_seq, e2e, amount_ore, remittance, reg_no, account_no, iban, bic, name in islice(
        rows, count
    ):
        if file_seq != seq:
            raise PaymentsError(
                "BATCH_FILE_ORDER",
                f"transaction {e2e} of file {file_seq} came while writing file {seq}",
                "batch_id",
            )
        yield transaction(
            end_to_end_id=e2e,
            amount=kr(amount_ore),
            creditor_account=iban_account(iban) if iban else domestic(reg_no, account_no),
            creditor_name=name or UNNAMED_PAYEE,
            creditor_bic=bic,
            remittance=remittance,
        )


def check_debtor(settings: Settings) -> None:
    """The paying agency must be configured, and its account valid, before anything is
    written: ``CONFIG_DEBTOR_MISSING`` naming the first setting not given (a real run never
    pays from the demo agency by default; ``--demo-debtor`` selects it), ``CONFIG_INVALID``
    for a value that is not an IBAN, a BIC or a CVR number."""
    missing = settings.debtor_missing
    if missing:
        raise InputError(
            "CONFIG_DEBTOR_MISSING",
            f"no paying agency is configured ({', '.join(missing)} not set); set them, or "
            "give --demo-debtor to pay from the demo's fictitious agency",
            missing[0],
        )
    for parse, value, name in (
        (Iban.parse, settings.debtor_iban, "PAYMENTS_DEBTOR_IBAN"),
        (Bic.parse, settings.debtor_bic, "PAYMENTS_DEBTOR_BIC"),
        (cvr.parse, settings.debtor_cvr, "PAYMENTS_DEBTOR_CVR"),
    ):
        try:
            parse(value, name)
        except IdentifierError as exc:
            raise InputError("CONFIG_INVALID", f"{name}: {exc.message}", name) from None
    if not settings.debtor_name.strip():
        raise InputError("CONFIG_INVALID", "PAYMENTS_DEBTOR_NAME is empty", "PAYMENTS_DEBTOR_NAME")


def write_file(
    settings: Settings,
    batch: Batch,
    bfile: BatchFile,
    rows: Iterator[tuple],
    path: Path,
    progress: Progress | None,
) -> str:
    """Write one pain.001 file to ``path`` (fsynced); return its SHA-256."""
    total = money.kr(bfile.total_ore)
    header = pain001.GroupHeader(
        msg_id=bfile.msg_id,
        created_at=batch.created_at,
        nb_of_txs=bfile.tx_count,
        ctrl_sum=total,
        initiating_party_name=settings.debtor_name,
        initiating_party_id=pain001.PartyId(
            settings.initiating_party_id or settings.debtor_cvr, settings.initiating_party_scheme
        ),
    )
    txs = _transactions(rows, bfile.seq, bfile.tx_count)
    if progress is not None:
        txs = _counting(txs, progress)
    info = pain001.PaymentInfo(
        pmt_inf_id=f"{bfile.msg_id}-1",
        requested_execution_date=batch.execution_date,
        debtor=pain001.Debtor(
            name=settings.debtor_name,
            iban=settings.debtor_iban,
            bic=settings.debtor_bic,
            org_id=pain001.PartyId(settings.debtor_cvr),
            country=settings.debtor_country,
        ),
        nb_of_txs=bfile.tx_count,
        ctrl_sum=total,
        transactions=txs,
    )
    files.ensure_dir(path.parent)
    files.remove_own(path)  # a temporary file a killed run left; a link there is refused
    with files.create(path) as raw:
        written = pain001.write(
            raw, header, [info], version=batch.pain001_version, require_creditor_name=True
        )
        raw.flush()
        os.fsync(raw.fileno())
    return written.sha256


def _counting(items: Iterator, progress: Progress) -> Iterator:
    """Report progress every 1,000 transactions (and the remainder at the end)."""
    count = 0
    for item in items:
        yield item
        count += 1
        if count == 1000:
            progress(count)
            count = 0
    if count:
        progress(count)


def run_dirs(settings: Settings) -> tuple[Path, Path]:
    """The output and outbox folders a run records for its batch: the settings' folders,
    absolute (resolved against the working directory of the command that runs)."""
    return Path(settings.output_dir).resolve(), Path(settings.outbox_dir).resolve()


def batch_dirs(batch: Batch, settings: Settings) -> tuple[Path, Path]:
    """Where ``batch``'s files are, and where release puts them: the folders recorded when
    it was run, whatever the settings of the command asking. A batch run before revision
    0400 recorded none: for it, the settings' folders, as before."""
    if batch.output_dir and batch.outbox_dir:
        return Path(batch.output_dir), Path(batch.outbox_dir)
    return run_dirs(settings)


def tmp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.tmp")


publish = files.publish
sha256_file = files.sha256_file


def complete_files(session: Session, settings: Settings, batch: Batch) -> None:
    """Make every file of a committed batch exist under its final name with its hash.

    A missing file is taken from its fsynced temporary copy or regenerated from the
    database; either must match the recorded hash.
    """
    out, _ = batch_dirs(batch, settings)
    files = session.scalars(
        select(BatchFile).where(BatchFile.batch_id == batch.id).order_by(BatchFile.seq)
    ).all()
    for bfile in files:
        final = out / bfile.filename
        if final.exists():
            # rename is atomic, so a final file is never half-written: a wrong hash means
            # someone changed it, and the engine refuses rather than overwrite the evidence.
            if sha256_file(final) != bfile.sha256:
                raise PaymentsError(
                    "BATCH_FILE_TAMPERED",
                    f"{bfile.filename} does not match its recorded SHA-256",
                    "batch_id",
                )
            continue
        tmp = tmp_path(final)
        if not (tmp.exists() and sha256_file(tmp) == bfile.sha256):
            check_debtor(settings)  # regenerated from the rows and the paying agency
            digest = write_file(
                settings, batch, bfile, file_rows(session, batch.id, bfile.seq), tmp, None
            )
            if digest != bfile.sha256:
                tmp.unlink(missing_ok=True)
                raise PaymentsError(
                    "BATCH_REGENERATION_MISMATCH",
                    f"regenerated {bfile.filename} does not match the hash recorded for "
                    f"batch {batch.id}; the database changed under a committed batch",
                    "batch_id",
                )
        publish(tmp, final)


_TEMPORARY = re.compile(r"\.pain001-(\d{8})-b(\d+)-\d{3}\.xml\.tmp\Z")


def remove_stray_temporaries(session: Session, directories: tuple[Path, ...]) -> tuple[str, ...]:
    """Remove the temporary files of batches that were never committed from ``directories``
    (the folders the command works in: a run's own, a released batch's recorded ones);
    their names.

    A run killed before its commit leaves a complete ``.pain001-….xml.tmp`` whose
    end-to-end ids the next night's file repeats; it must never be sent. A temporary file
    belongs to a committed batch when a batch with its id and run date exists and is not
    rejected (SQLite may give a crashed run's id to the next batch, of another date); such a
    file is kept, since :func:`complete_files` may publish it. A link or a foreign file at
    such a name is refused.
    """
    committed = {
        (f"{b.run_date:%Y%m%d}", b.id)
        for b in session.execute(
            select(Batch.id, Batch.run_date).where(Batch.status != BatchStatus.REJECTED)
        )
    }
    removed = []
    for directory in dict.fromkeys(directories):
        if not directory.is_dir():
            continue
        for entry in sorted(directory.iterdir()):
            match = _TEMPORARY.match(entry.name)
            if match and (match.group(1), int(match.group(2))) not in committed:
                files.remove_own(entry)
                removed.append(entry.name)
    return tuple(removed)
