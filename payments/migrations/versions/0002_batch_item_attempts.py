"""batch items carry the attempt; a nightly run no longer rewrites the orders it pays

Also: an index on ``claims.raw_sha256``, so a file sent again is recognised record by record
without parsing or deciding anything.

The run writes one batch item per paid order and leaves the order row ``pending``; release
marks the orders ``sent`` and counts the attempt. ``unique(order_id, attempt)`` on the items
replaces ``payment_orders.batch_id`` (and its CHECK) as the guarantee that an order is in at
most one unreleased batch. The registration paid into is recorded on the item only.
The item keeps one foreign key, to its order; the keys to its batch, its file and its
registration are dropped (a check per inserted row each: see ``BatchItem``).
Existing ``in_batch`` orders become ``pending`` with the attempt their run had counted taken
back (release counts it now).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 07:04:57.874295
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_STATUSES = "'pending', 'held', 'in_batch', 'sent', 'settled', 'returned', 'cancelled'"
NEW_STATUSES = "'pending', 'held', 'sent', 'settled', 'returned', 'cancelled'"


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_raw_sha256"), ["raw_sha256"], unique=False)
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=True))
    # attempt n of an order is its n-th batch
    op.execute(
        "UPDATE batch_items SET attempt = (SELECT count(*) FROM batch_items AS earlier "
        "WHERE earlier.order_id = batch_items.order_id "
        "AND earlier.batch_id <= batch_items.batch_id)"
    )
    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.alter_column("attempt", existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint(op.f("ck_batch_items_attempt"), "attempt >= 1")
        batch_op.drop_index(batch_op.f("ix_batch_items_order"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_batch_items_order_id_attempt"), ["order_id", "attempt"]
        )
        for name in (
            "fk_batch_items_batch_id_batches",
            "fk_batch_items_batch_id_batch_files",
            "fk_batch_items_registration_id_account_registrations",
        ):
            batch_op.drop_constraint(batch_op.f(name), type_="foreignkey")

    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payment_orders_live_batch"), type_="check")
        batch_op.drop_constraint(op.f("ck_payment_orders_status"), type_="check")
    op.execute(
        "UPDATE payment_orders SET status = 'pending', attempts = attempts - 1 "
        "WHERE status = 'in_batch'"
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_payment_orders_status"), f"status IN ({NEW_STATUSES})"
        )
        batch_op.drop_index(batch_op.f("ix_payment_orders_batch"))
        batch_op.drop_constraint(
            batch_op.f("fk_payment_orders_registration_id_account_registrations"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_payment_orders_batch_id_batches"), type_="foreignkey"
        )
        batch_op.drop_column("batch_id")
        batch_op.drop_column("registration_id")


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_raw_sha256"))
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_id", id_type, nullable=True))
        batch_op.add_column(sa.Column("batch_id", id_type, nullable=True))
        batch_op.drop_constraint(op.f("ck_payment_orders_status"), type_="check")
    # orders in an unreleased batch are in_batch again, with the run's attempt counted
    op.execute(
        "UPDATE payment_orders SET status = 'in_batch', attempts = attempts + 1, "
        "batch_id = (SELECT i.batch_id FROM batch_items AS i JOIN batches AS b "
        "ON b.id = i.batch_id WHERE i.order_id = payment_orders.id "
        "AND b.status <> 'released') "
        "WHERE status = 'pending' AND EXISTS (SELECT 1 FROM batch_items AS i JOIN batches AS b "
        "ON b.id = i.batch_id WHERE i.order_id = payment_orders.id "
        "AND b.status <> 'released')"
    )
    op.execute(
        "UPDATE payment_orders SET registration_id = (SELECT i.registration_id FROM "
        "batch_items AS i WHERE i.order_id = payment_orders.id "
        "ORDER BY i.attempt DESC LIMIT 1)"
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_payment_orders_status"), f"status IN ({OLD_STATUSES})"
        )
        batch_op.create_check_constraint(
            op.f("ck_payment_orders_live_batch"), "(status = 'in_batch') = (batch_id IS NOT NULL)"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_orders_batch_id_batches"), "batches", ["batch_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_orders_registration_id_account_registrations"),
            "account_registrations",
            ["registration_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_payment_orders_batch"), ["batch_id"], unique=False)

    with op.batch_alter_table("batch_items", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_batch_items_batch_id_batches"), "batches", ["batch_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_batch_items_batch_id_batch_files"),
            "batch_files",
            ["batch_id", "file_seq"],
            ["batch_id", "seq"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_batch_items_registration_id_account_registrations"),
            "account_registrations",
            ["registration_id"],
            ["id"],
        )
        batch_op.drop_constraint(batch_op.f("uq_batch_items_order_id_attempt"), type_="unique")
        batch_op.drop_constraint(op.f("ck_batch_items_attempt"), type_="check")
        batch_op.create_index(batch_op.f("ix_batch_items_order"), ["order_id"], unique=False)
        batch_op.drop_column("attempt")
