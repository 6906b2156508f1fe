"""each company's number of claims, kept on a row of its own

The employer's claim list ("Refusion") showed its total with a ``count(*)`` over the
company's claims on every view: about 2.5 ms of PostgreSQL for 10,000 claims, the largest
cost of the page, and growing with the company. ``employer_claim_counts`` keeps it, one row
per company that has sent a claim, added to by the intake in the transaction that inserts
the claims (:mod:`payments.claims.counts`). Claims are never deleted. Existing claims are
counted here.

Revision ID: 1000
Revises: 0900
Create Date: 2026-12-01 17:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = "1000"
down_revision = "0900"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_claim_counts",
        sa.Column("employer_cvr", sa.String(length=8), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.CheckConstraint("claims >= 0", name=op.f("ck_employer_claim_counts_claims")),
        sa.PrimaryKeyConstraint("employer_cvr", name=op.f("pk_employer_claim_counts")),
    )
    op.execute(
        "INSERT INTO employer_claim_counts (employer_cvr, claims) "
        "SELECT employer_cvr, count(*) FROM claims GROUP BY employer_cvr"
    )


def downgrade() -> None:
    op.drop_table("employer_claim_counts")
