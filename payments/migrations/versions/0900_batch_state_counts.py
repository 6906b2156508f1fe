"""a released batch's transactions per state, kept on its row

The operator's batch page counted a released night's transactions per state with a
``GROUP BY`` over its items joined to their orders: about 1 s for a million on every view.
``batches`` now keeps them (``sent_count``/``sent_ore``, ``accepted_…``, ``settled_…``,
``returned_…``), written by release, the bank answer import and a return applied by hand
(:mod:`payments.batch.states`). Existing released batches get theirs counted here, by the
same definition as ``payments.orders.item_state``. The CHECKs: no count below 0; all 0
before release (and for a rejected batch); once released they add up to the batch's
``order_count`` and ``total_ore``.

Revision ID: 0900
Revises: 0800
Create Date: 2026-12-01 15:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0900"
down_revision = "0800"
branch_labels = None
depends_on = None

STATES = ("sent", "accepted", "settled", "returned")
NONNEGATIVE = (
    "sent_count >= 0 AND sent_ore >= 0 AND accepted_count >= 0 AND accepted_ore >= 0 AND "
    "settled_count >= 0 AND settled_ore >= 0 AND returned_count >= 0 AND returned_ore >= 0"
)
ADD_UP = (
    "CASE WHEN status = 'released' THEN "
    "sent_count + accepted_count + settled_count + returned_count = order_count AND "
    "sent_ore + accepted_ore + settled_ore + returned_ore = total_ore "
    "ELSE sent_count + accepted_count + settled_count + returned_count = 0 AND "
    "sent_ore + accepted_ore + settled_ore + returned_ore = 0 END"
)
# payments.orders.item_state as of this revision, for an item i of order o
ITEM_STATE = (
    "CASE WHEN i.attempt > o.attempts THEN 'in_batch' "
    "WHEN i.attempt = o.attempts AND o.status IN ('sent', 'accepted', 'settled') THEN o.status "
    "ELSE 'returned' END"
)


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        for state in STATES:
            batch_op.add_column(
                sa.Column(
                    f"{state}_count", sa.Integer(), server_default=sa.text("0"), nullable=False
                )
            )
            batch_op.add_column(
                sa.Column(
                    f"{state}_ore", sa.BigInteger(), server_default=sa.text("0"), nullable=False
                )
            )
    for state in STATES:
        matching = (
            "FROM batch_items AS i JOIN payment_orders AS o ON o.id = i.order_id "
            f"WHERE i.batch_id = batches.id AND {ITEM_STATE} = '{state}'"
        )
        op.execute(
            f"UPDATE batches SET {state}_count = (SELECT count(*) {matching}), "
            f"{state}_ore = (SELECT coalesce(sum(i.amount_ore), 0) {matching}) "
            "WHERE status = 'released'"
        )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_batches_state_counts_nonnegative"), NONNEGATIVE
        )
        batch_op.create_check_constraint(batch_op.f("ck_batches_state_counts_add_up"), ADD_UP)


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_batches_state_counts_add_up"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_batches_state_counts_nonnegative"), type_="check")
        for state in reversed(STATES):
            batch_op.drop_column(f"{state}_ore")
            batch_op.drop_column(f"{state}_count")
