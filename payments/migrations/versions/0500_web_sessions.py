"""the web pages' sessions, kept on the server

``web_sessions``: one row per visitor of the pages (issue 18). The browser's cookie holds a
random id; the row keeps only its SHA-256 (``key_hash``), who logged in (``principal``,
JSON; null while logging in), the CSRF token of the session's forms, what a log-in or a
change in progress needs (``data``), and when it was made, last used and expires. Rows
hold nothing the rest of the engine reads: downgrading drops them (everyone logs in again).

Revision ID: 0500
Revises: 0300
Create Date: 2026-12-01 12:40:00
"""

from alembic import op
import sqlalchemy as sa

import payments.db


revision = "0500"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.Text(), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", payments.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_web_sessions_expiry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_web_sessions_key_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_web_sessions_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_web_sessions_expires_at")
    op.drop_table("web_sessions")
