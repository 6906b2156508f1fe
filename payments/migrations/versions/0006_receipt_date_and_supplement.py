"""claims.received_on (the receipt date belongs to the engine) and decisions.supplement_ore

- ``claims.received_on``: the day the engine received the claim — its processing date, or,
  for a historic claim imported with ``claims submit --backdated``, the ``submitted_on`` the
  file gave (``claims.backdated`` says so). The § 59 / § 40 deadlines are reckoned from it.
  Existing rows get the UTC date of ``received_at`` (the file's ``submitted_on`` was not
  stored apart from the raw record before this revision, and every deadline already decided
  stays decided).
- ``claims.expected_birth_date``: a mother may claim the weeks before the birth with the
  expected date alone; her later claims for the same child are linked to it by that date
  (``rules.history.same_child``).
- ``decisions.supplement_ore``: the § 39 a supplement of a maternity refusion to an
  employer (whole kroner, in øre), paid with the reimbursement; 0 for every other decision
  and for every decision made before this revision (they were made without it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("backdated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("expected_birth_date", sa.Date(), nullable=True))
    op.execute("UPDATE claims SET received_on = CAST(received_at AS DATE)")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("received_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("supplement_ore", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_decisions_supplement"), "supplement_ore >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_decisions_supplement"), type_="check")
        batch_op.drop_column("supplement_ore")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("expected_birth_date")
        batch_op.drop_column("backdated")
        batch_op.drop_column("received_on")
