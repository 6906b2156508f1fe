"""a batch that is not released can be rejected, and its date run again

Until now a generated batch that its approver would not sign had no way out: its orders
stayed in it (not due, never paid) and its business date could not be run again. A
rejected batch keeps its row (who rejected it, when, why) and its files' hashes; its items
move to ``rejected_batch_items``; ``unique(run_date)`` becomes unique among batches that
are not rejected.

Downgrading is refused while a rejected batch exists: revision 0003 has no place for it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 09:40:00
"""

from alembic import op
import sqlalchemy as sa

import payments.db


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LIVE = "status <> 'rejected'"
REJECTED = (
    "(status = 'rejected') = (rejected_by IS NOT NULL AND rejected_at IS NOT NULL "
    "AND reject_reason IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejected_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("rejected_at", payments.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("reject_reason", sa.String(length=500), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_batches_run_date"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_batches_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_status"),
            "status IN ('generated', 'approved', 'released', 'rejected')",
        )
        batch_op.create_check_constraint(batch_op.f("ck_batches_rejected"), REJECTED)
        batch_op.create_index(
            "uq_batches_live_run_date",
            ["run_date"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )
    op.create_table(
        "rejected_batch_items",
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("file_seq", sa.Integer(), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("amount_ore", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_rejected_batch_items_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
            name=op.f("fk_rejected_batch_items_order_id_payment_orders"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "order_id", name=op.f("pk_rejected_batch_items")),
    )
    op.create_index(
        op.f("ix_rejected_batch_items_order_id"), "rejected_batch_items", ["order_id"], unique=False
    )


def downgrade() -> None:
    rejected = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM batches WHERE status = 'rejected'"))
        .scalar()
    )
    if rejected:
        raise RuntimeError(
            f"cannot downgrade below 0004: {rejected} rejected batch(es) "
            "have no place in the older schema"
        )
    op.drop_index(op.f("ix_rejected_batch_items_order_id"), table_name="rejected_batch_items")
    op.drop_table("rejected_batch_items")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_batches_live_run_date", sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE)
        )
        batch_op.drop_constraint(batch_op.f("ck_batches_rejected"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_batches_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_status"), "status IN ('generated', 'approved', 'released')"
        )
        batch_op.create_unique_constraint(batch_op.f("uq_batches_run_date"), ["run_date"])
        batch_op.drop_column("reject_reason")
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("rejected_by")
