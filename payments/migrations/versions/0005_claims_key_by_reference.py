"""claims: the unique key is (external_ref, employer_cvr), reference first

A chunk of the intake fetches its stored claims by employee and by key. With the employer's
CVR first in the key's index, a look-up of 500 references can only be an IN list on both
columns, which probes every combination (a file spreads over many employers: 250,000
probes a chunk in the benchmark), or a row-value IN list, which PostgreSQL plans as 500
OR-ed conditions (20 ms a chunk). With the reference first, ``external_ref IN (…)`` is one
index range scan per reference; the uniqueness is the same.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 10:10:00
"""

from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_claims_employer_cvr_external_ref"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_claims_external_ref_employer_cvr"), ["external_ref", "employer_cvr"]
        )


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_claims_external_ref_employer_cvr"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_claims_employer_cvr_external_ref"), ["employer_cvr", "external_ref"]
        )
