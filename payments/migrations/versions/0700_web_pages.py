"""the web pages: an employer's claims by company, a claim file's expected size

- ``ix_claims_employer`` on ``claims (employer_cvr, id)``: the employer's claim list
  ("Refusion") pages its claims newest first, and counts them, by company. The unique
  ``(external_ref, employer_cvr)`` key starts with the reference (revision 0005), so without
  this index every page of one company's claims read the whole table;
- ``claim_jobs.expected_records``: how many records the file is expected to hold, counted
  from its lines while it was received (NDJSON and CSV; null for a JSON document), so that
  the job's page can draw a progress bar. An estimate: the worker's counts are the truth.

Revision ID: 0700
Revises: 0500 (the web sessions; first written after 0300)
Create Date: 2026-12-01 12:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0700"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_employer", ["employer_cvr", "id"], unique=False)
    with op.batch_alter_table("claim_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_records", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("claim_jobs", schema=None) as batch_op:
        batch_op.drop_column("expected_records")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_employer")
