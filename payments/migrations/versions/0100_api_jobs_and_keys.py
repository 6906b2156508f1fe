"""the HTTP API's tables: claim-file jobs, and idempotency keys

``claim_jobs`` is the queue of claim files sent to ``POST /v1/claim-files``: a row per
file (spooled to disk), taken by one ``payments worker`` at a time (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), with its progress and outcome counts. ``idempotency_keys`` keeps
the answer to a request sent with an ``Idempotency-Key`` header (or a G2P Connect
``message_id``), so that a retry gets the same answer and nothing is done twice.

Revision ID: 0100
Revises: 0008
Create Date: 2026-12-01 09:54:34
"""

from alembic import op
import sqlalchemy as sa
import payments.db


revision = "0100"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("employer_cvr", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("spool_name", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_at", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("started_at", payments.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", payments.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", payments.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_claim_jobs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_jobs")),
    )
    with op.batch_alter_table("claim_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_claim_jobs_employer", ["employer_cvr", "id"], unique=False)
        batch_op.create_index("ix_claim_jobs_status", ["status", "id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_idempotency_keys_scope_key")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("claim_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_jobs_status")
        batch_op.drop_index("ix_claim_jobs_employer")

    op.drop_table("claim_jobs")
