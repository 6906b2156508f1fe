"""recoveries are collected: offsets against later payments, and a status

Until now a recovery was a row nothing acted on. From here an open recovery is offset
against later payments to the same payee for the same benefit (``recovery_offsets``: which
order paid back which recovery, by how much), and a clerk closes the rest as paid back or
written off.

- ``payment_orders.offset_ore``: the part of the order's amount that paid back recoveries;
  the bank is sent the rest. An order offset in full is ``offset`` (settled by offset,
  never sent), a new status. Existing orders have no offset: the column's constant default
  ``0`` (no table rewrite on PostgreSQL);
- ``recoveries``: ``status`` (open / partly_offset / offset / paid / written_off),
  ``open_ore`` (still owed), ``offset_ore`` (offset so far), and who closed it, when and
  why. Existing recoveries are what they were: nothing was ever collected on them, so each
  is ``open`` with its whole amount owed;
- indexes: the open recoveries by payee (the intake asks per chunk), recoveries by claim,
  and the orders still to be paid by payee (a new recovery looks for them; partial, so an
  order leaves it when it is sent).

Downgrading is refused while an offset, an ``offset`` order or a recovery that is not open
exists: revision 0005 has no place for them.

Revision ID: 0300
Revises: 0200
Create Date: 2026-11-22 09:00:00
"""

from alembic import op
import sqlalchemy as sa

import payments.db


revision = "0300"
down_revision = "0200"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD_STATUSES = "'pending', 'held', 'sent', 'accepted', 'settled', 'returned', 'cancelled'"
NEW_STATUSES = "'pending', 'held', 'sent', 'accepted', 'settled', 'returned', 'cancelled', 'offset'"
OPEN = "status IN ('open', 'partly_offset')"
UNPAID = "status IN ('pending', 'held')"
STATE = (
    "(status = 'open' AND offset_ore = 0 AND open_ore = amount_ore)"
    " OR (status = 'partly_offset' AND offset_ore > 0 AND open_ore > 0"
    " AND open_ore + offset_ore = amount_ore)"
    " OR (status = 'offset' AND open_ore = 0 AND offset_ore = amount_ore)"
    " OR (status IN ('paid', 'written_off') AND open_ore = 0 AND offset_ore < amount_ore)"
)
CLOSED = (
    "(status IN ('paid', 'written_off')) = "
    "(closed_by IS NOT NULL AND closed_at IS NOT NULL AND close_reason IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offset_ore", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_status"), f"status IN ({NEW_STATUSES})"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_offset"), "offset_ore >= 0 AND offset_ore <= amount_ore"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_offset_status"),
            "(status = 'offset') = (offset_ore = amount_ore)",
        )
        batch_op.create_index(
            "ix_payment_orders_unpaid_payee",
            ["payee_number", "payee_kind"],
            unique=False,
            sqlite_where=sa.text(UNPAID),
            postgresql_where=sa.text(UNPAID),
        )

    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column("open_ore", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("offset_ore", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("closed_at", payments.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("close_reason", sa.String(length=500), nullable=True))
    # nothing was ever collected on an existing recovery: all of it is still owed
    op.execute("UPDATE recoveries SET status = 'open', open_ore = amount_ore, offset_ore = 0")
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        for name, type_ in (
            ("status", sa.String(length=13)),
            ("open_ore", sa.BigInteger()),
            ("offset_ore", sa.BigInteger()),
        ):
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_recoveries_status"),
            "status IN ('open', 'partly_offset', 'offset', 'paid', 'written_off')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_recoveries_amounts"),
            "open_ore >= 0 AND offset_ore >= 0 AND open_ore + offset_ore <= amount_ore",
        )
        batch_op.create_check_constraint(batch_op.f("ck_recoveries_state"), STATE)
        batch_op.create_check_constraint(batch_op.f("ck_recoveries_closed"), CLOSED)
        batch_op.create_index(
            "ix_recoveries_open_payee",
            ["payee_number", "payee_kind"],
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
        batch_op.create_index(batch_op.f("ix_recoveries_claim"), ["claim_id"], unique=False)

    op.create_table(
        "recovery_offsets",
        sa.Column("id", ID, nullable=False),
        sa.Column("recovery_id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("amount_ore", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_ore > 0", name=op.f("ck_recovery_offsets_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
            name=op.f("fk_recovery_offsets_order_id_payment_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["recovery_id"],
            ["recoveries.id"],
            name=op.f("fk_recovery_offsets_recovery_id_recoveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_offsets")),
        sa.UniqueConstraint(
            "recovery_id", "order_id", name=op.f("uq_recovery_offsets_recovery_id_order_id")
        ),
    )
    op.create_index(
        op.f("ix_recovery_offsets_order"), "recovery_offsets", ["order_id"], unique=False
    )


def downgrade() -> None:
    bind = op.get_bind()
    offsets = bind.execute(sa.text("SELECT count(*) FROM recovery_offsets")).scalar()
    offset_orders = bind.execute(
        sa.text("SELECT count(*) FROM payment_orders WHERE status = 'offset'")
    ).scalar()
    acted_on = bind.execute(
        sa.text("SELECT count(*) FROM recoveries WHERE status <> 'open'")
    ).scalar()
    if offsets or offset_orders or acted_on:
        raise RuntimeError(
            f"cannot downgrade below 0300: {offsets} offset(s), {offset_orders} order(s) "
            f"settled by offset and {acted_on} recovery(ies) offset or closed have no place "
            "in the older schema"
        )
    op.drop_index(op.f("ix_recovery_offsets_order"), table_name="recovery_offsets")
    op.drop_table("recovery_offsets")
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recoveries_claim"))
        batch_op.drop_index(
            "ix_recoveries_open_payee", sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN)
        )
        for name in ("closed", "state", "amounts", "status"):
            batch_op.drop_constraint(batch_op.f(f"ck_recoveries_{name}"), type_="check")
        for name in ("close_reason", "closed_at", "closed_by", "offset_ore", "open_ore", "status"):
            batch_op.drop_column(name)
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_payment_orders_unpaid_payee",
            sqlite_where=sa.text(UNPAID),
            postgresql_where=sa.text(UNPAID),
        )
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_offset_status"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_offset"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_status"), f"status IN ({OLD_STATUSES})"
        )
        batch_op.drop_column("offset_ore")
