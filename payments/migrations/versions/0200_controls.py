"""controls: four eyes on identities, activation by another person, codes only in letters

- ``batches.created_by_key`` / ``approved_by_key``: the actors' identities
  (:func:`payments.actors.identity`); the four-eyes CHECK compares them instead of the
  spellings (``Alice`` approved ``alice``'s batch), and an approved batch names its
  approver's identity. Existing batches get their keys. A batch its runner approved under
  another spelling is a breach found now: one still waiting for release has its approval
  withdrawn (it is ``generated`` again and needs a second person); a released or rejected
  one keeps its approver's name without a key. Each is written to the audit log
  (``batch.approval_withdrawn`` / ``batch.four_eyes_breach``), under "payments db upgrade".
- ``account_registrations.actor_key`` (the registrar's identity), ``registered_by_owner``
  (self-service by the owner; only on the citizen channel), ``activated_by`` and
  ``activated_by_key``: the database refuses an activation by the registrar's identity
  unless the owner registered it. Existing rows were not registered by their owner as far
  as the engine can tell (the strict choice); their activations are in the audit log only.
- ``activation_letters.exported_at`` / ``exported_by``; ``code`` may be null, and is
  exactly when the letter has been exported (the code then exists only in the letter).
- ``payment_orders.held_by_batch_id``: the latest batch that held the order; held orders
  get the latest batch run after they existed that took them as due (every run holds a
  held order again, so that batch holds it now).

Downgrading is refused once a letter has been exported: the older schema needs its code.

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-22 09:00:00
"""

import datetime as dt
import json

from alembic import op
import sqlalchemy as sa

import payments.db

# Imported, not copied: the keys must be what the code computes when it compares actors and
# what the audit log hashes; a change to either needs a revision that recomputes them.
from payments import actors, audit


revision = "0200"
down_revision = "0100"
branch_labels = None
depends_on = None

KEYS = "migration_actor_keys"
UPGRADER = "payments db upgrade"

_audit = sa.table(
    "audit_events",
    sa.column("occurred_at", payments.db.UtcDateTime()),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("subject", sa.String),
    sa.column("payload", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _key(name: str) -> str:
    # a name stored before this revision may expand beyond the column under NFKC; cut,
    # which can only make two names compare equal (refuse more), never different
    return actors.identity(name)[: actors.MAX_LENGTH]


def _fill_keys(conn, names) -> None:
    """The temporary table ``actor -> key`` for every name in ``names``."""
    conn.execute(
        sa.text(
            f"CREATE TEMPORARY TABLE {KEYS} (actor VARCHAR(100) PRIMARY KEY, "
            "actor_key VARCHAR(100) NOT NULL)"
        )
    )
    rows = [{"a": n, "k": _key(n)} for n in sorted(set(names))]
    if rows:
        conn.execute(sa.text(f"INSERT INTO {KEYS} (actor, actor_key) VALUES (:a, :k)"), rows)


def _key_of(column: str) -> str:
    return f"(SELECT k.actor_key FROM {KEYS} AS k WHERE k.actor = {column})"


def _log(conn, now, action: str, subject: str, payload: dict) -> None:
    """Append one event to the chain, as :func:`payments.audit.append` would."""
    prev = (
        conn.execute(sa.text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar()
        or audit.GENESIS
    )
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    conn.execute(
        sa.insert(_audit).values(
            occurred_at=now,
            actor=UPGRADER,
            action=action,
            subject=subject,
            payload=text,
            prev_hash=prev,
            hash=audit.event_hash(prev, now, UPGRADER, action, subject, text),
        )
    )


def _batches(conn) -> None:
    """Keys for every batch; the breaches withdrawn (waiting) or recorded (done)."""
    conn.execute(
        sa.text(
            f"UPDATE batches SET created_by_key = {_key_of('batches.created_by')}, "
            f"approved_by_key = {_key_of('batches.approved_by')}"
        )
    )
    breaches = conn.execute(
        sa.text(
            "SELECT id, status, created_by, approved_by, approved_at FROM batches "
            "WHERE approved_by_key = created_by_key ORDER BY id"
        )
    ).all()
    # the event's time is when the upgrade ran: db upgrade is a command, at the edge
    now = dt.datetime.now(dt.UTC)
    for b in breaches:
        payload = {
            "created_by": b.created_by,
            "approved_by": b.approved_by,
            "approved_at": b.approved_at,
            "status": b.status,
            "revision": revision,
        }
        if b.status == "approved":
            conn.execute(
                sa.text(
                    "UPDATE batches SET status = 'generated', approved_by = NULL, "
                    "approved_at = NULL, approved_by_key = NULL WHERE id = :id"
                ),
                {"id": b.id},
            )
            _log(conn, now, "batch.approval_withdrawn", f"batch:{b.id}", payload)
        else:
            conn.execute(
                sa.text("UPDATE batches SET approved_by_key = NULL WHERE id = :id"), {"id": b.id}
            )
            _log(conn, now, "batch.four_eyes_breach", f"batch:{b.id}", payload)


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("approved_by_key", sa.String(length=100), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_batches_four_eyes"), type_="check")
    with op.batch_alter_table("account_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_key", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "registered_by_owner", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("activated_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("activated_by_key", sa.String(length=100), nullable=True))

    names = [
        r[0] for r in conn.execute(sa.text("SELECT DISTINCT actor FROM account_registrations"))
    ]
    for column in ("created_by", "approved_by"):
        names += [
            r[0]
            for r in conn.execute(sa.text(f"SELECT DISTINCT {column} FROM batches"))
            if r[0] is not None
        ]
    _fill_keys(conn, names)
    conn.execute(
        sa.text(
            f"UPDATE account_registrations SET actor_key = {_key_of('account_registrations.actor')}"
        )
    )
    _batches(conn)
    conn.execute(sa.text(f"DROP TABLE {KEYS}"))

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.alter_column("created_by_key", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_four_eyes"),
            "approved_by_key IS NULL OR approved_by_key <> created_by_key",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_approver_key"),
            "status <> 'approved' OR approved_by_key IS NOT NULL",
        )
    with op.batch_alter_table("account_registrations", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_account_registrations_by_owner_self_service"),
            "NOT registered_by_owner OR channel = 'citizen'",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_account_registrations_activated_by_key"),
            "(activated_by IS NULL) = (activated_by_key IS NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_account_registrations_activation_four_eyes"),
            "activated_by_key IS NULL OR registered_by_owner "
            "OR (actor_key IS NOT NULL AND activated_by_key <> actor_key)",
        )
    with op.batch_alter_table("activation_letters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exported_at", payments.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("exported_by", sa.String(length=100), nullable=True))
        batch_op.alter_column("code", existing_type=sa.String(length=12), nullable=True)
        batch_op.create_check_constraint(
            batch_op.f("ck_activation_letters_exported_by"),
            "(exported_at IS NULL) = (exported_by IS NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_activation_letters_code_until_exported"),
            "(code IS NULL) = (exported_at IS NOT NULL)",
        )
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_by_batch_id", id_type, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_orders_held_by_batch_id_batches"),
            "batches",
            ["held_by_batch_id"],
            ["id"],
        )
    op.execute(
        "UPDATE payment_orders SET held_by_batch_id = (SELECT max(b.id) FROM batches AS b "
        "WHERE b.run_date >= payment_orders.due_date "
        "AND b.created_at >= payment_orders.created_at) WHERE status = 'held'"
    )


def downgrade() -> None:
    exported = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM activation_letters WHERE code IS NULL"))
        .scalar()
    )
    if exported:
        raise RuntimeError(
            f"cannot downgrade below 0200: {exported} exported activation letter(s) "
            "have no code, which the older schema requires"
        )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_payment_orders_held_by_batch_id_batches"), type_="foreignkey"
        )
        batch_op.drop_column("held_by_batch_id")
    with op.batch_alter_table("activation_letters", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_activation_letters_code_until_exported"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("ck_activation_letters_exported_by"), type_="check")
        batch_op.alter_column("code", existing_type=sa.String(length=12), nullable=False)
        batch_op.drop_column("exported_by")
        batch_op.drop_column("exported_at")
    with op.batch_alter_table("account_registrations", schema=None) as batch_op:
        for name in ("activation_four_eyes", "activated_by_key", "by_owner_self_service"):
            batch_op.drop_constraint(batch_op.f(f"ck_account_registrations_{name}"), type_="check")
        batch_op.drop_column("activated_by_key")
        batch_op.drop_column("activated_by")
        batch_op.drop_column("registered_by_owner")
        batch_op.drop_column("actor_key")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_batches_approver_key"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_batches_four_eyes"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_four_eyes"), "approved_by IS NULL OR approved_by <> created_by"
        )
        batch_op.drop_column("approved_by_key")
        batch_op.drop_column("created_by_key")
