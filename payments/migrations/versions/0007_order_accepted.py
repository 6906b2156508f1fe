"""payment_orders.status may be 'accepted': the bank accepted the payment, not yet paid

ACTC, ACCP, ACSP, ACWC and PDNG mean accepted and in progress (ISO 20022), and used to
settle the order; they now leave it ``accepted`` until ACSC / ACCC or a booked debit
settles it (payments.orders). Orders settled before this revision stay settled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:00:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BEFORE = "'pending', 'held', 'sent', 'settled', 'returned', 'cancelled'"
AFTER = "'pending', 'held', 'sent', 'accepted', 'settled', 'returned', 'cancelled'"


def upgrade() -> None:
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_status"), f"status IN ({AFTER})"
        )


def downgrade() -> None:
    # an accepted order was sent and not yet answered for good: it is 'sent' before 0007
    op.execute("UPDATE payment_orders SET status = 'sent' WHERE status = 'accepted'")
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_payment_orders_status"), f"status IN ({BEFORE})"
        )
