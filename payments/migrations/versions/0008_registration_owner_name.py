"""account_registrations.owner_name: the payee's name in payment files (Cdtr/Nm)

The banks' guides require a creditor name in every transaction. The owner's name comes
with the registration (the bank file's optional ``name`` column, ``accounts register
--name``); registrations made before this revision have none, and their payments carry the
placeholder ``payments.batch.pain_files.UNNAMED_PAYEE`` (counted in each batch's summary).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_name", sa.String(length=70), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_registrations", schema=None) as batch_op:
        batch_op.drop_column("owner_name")
