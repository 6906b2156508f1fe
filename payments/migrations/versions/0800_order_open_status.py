"""payment_orders: the state indexes by a generated ``open_status``, so settling is in place

A bank answer moves up to a million ``sent`` orders to ``settled`` at once. While an index
of ``payment_orders`` named ``status`` (``ix_payment_orders_due`` by key,
``ix_payment_orders_unpaid_payee`` by its predicate), PostgreSQL could not update a row in
place (a HOT update): every settled order wrote a new entry in each of the table's six
indexes — 12.4 s of the 44.4 s import of 1,000,000 statuses (issue 15).

- ``open_status``: a stored generated column, ``status`` while the engine still has work on
  the order (``pending``, ``held``, ``returned``), NULL while it is with the bank or done
  (``sent``, ``accepted``, ``settled``, ``cancelled``, ``offset``). Computed by the
  database, so it can never disagree with ``status``;
- ``ix_payment_orders_due`` on ``(open_status, due_date)``, partial (open orders only: the
  history of paid orders is not in it), and ``ix_payment_orders_unpaid_payee`` with the
  predicate ``open_status IN ('pending', 'held')``: the same orders as before, and no index
  names ``status``. Settling (``sent``/``accepted`` → ``settled``) leaves ``open_status``
  NULL, so no indexed value changes;
- ``fillfactor`` 50 on PostgreSQL: an in-place update needs room in the row's page. A page
  is filled half; the release's ``sent`` version goes beside the ``pending`` one, which is
  pruned once the release is committed, leaving the room the answer's ``settled`` needs.

On SQLite the column is added by copying the table (it cannot add a stored generated
column in place); there is no fillfactor. A later revision that copies ``payment_orders``
on SQLite must drop ``open_status`` and add it again in the same batch: alembic's copy
inserts into every column, and SQLite refuses to insert into a generated one
(DEVELOPERS.md, Migrations).

Revision ID: 0800
Revises: 0700
Create Date: 2026-12-01 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0800"
down_revision = "0700"
branch_labels = None
depends_on = None

OPEN_STATUS = "CASE WHEN status IN ('pending', 'held', 'returned') THEN status END"
OLD_UNPAID = "status IN ('pending', 'held')"
NEW_UNPAID = "open_status IN ('pending', 'held')"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_orders_due")
        batch_op.drop_index("ix_payment_orders_unpaid_payee")
    if postgresql:  # before the column: adding it rewrites the table, at the new fillfactor
        op.execute("ALTER TABLE payment_orders SET (fillfactor = 50)")
    with op.batch_alter_table(
        "payment_orders", schema=None, recreate="never" if postgresql else "always"
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "open_status", sa.String(length=10), sa.Computed(OPEN_STATUS, persisted=True),
                nullable=True,
            )
        )  # fmt: skip
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_orders_due",
            ["open_status", "due_date"],
            unique=False,
            sqlite_where=sa.text("open_status IS NOT NULL"),
            postgresql_where=sa.text("open_status IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_payment_orders_unpaid_payee",
            ["payee_number", "payee_kind"],
            unique=False,
            sqlite_where=sa.text(NEW_UNPAID),
            postgresql_where=sa.text(NEW_UNPAID),
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_orders_due")
        batch_op.drop_index("ix_payment_orders_unpaid_payee")
    with op.batch_alter_table(
        "payment_orders", schema=None, recreate="never" if postgresql else "always"
    ) as batch_op:
        batch_op.drop_column("open_status")
    if postgresql:
        op.execute("ALTER TABLE payment_orders RESET (fillfactor)")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.create_index("ix_payment_orders_due", ["status", "due_date"], unique=False)
        batch_op.create_index(
            "ix_payment_orders_unpaid_payee",
            ["payee_number", "payee_kind"],
            unique=False,
            sqlite_where=sa.text(OLD_UNPAID),
            postgresql_where=sa.text(OLD_UNPAID),
        )
