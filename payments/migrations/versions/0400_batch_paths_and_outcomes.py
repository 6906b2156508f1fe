"""a batch keeps the absolute folders it was run with; a report item what it did

- ``batches.output_dir`` and ``batches.outbox_dir``: the absolute output and outbox folders
  of the run (``payments.batch.night.run``). Release, reject, the regeneration of a missing
  file and the clean-up of stray temporaries use them, never the settings of the command
  that releases: a release from another folder, or with other settings, cannot write the
  files anywhere else. Existing batches keep NULL: nothing recorded where they were
  written, so for them the settings' folders are used as before (resolved against the
  working directory of the command); a CHECK keeps the two together and absolute.
- ``status_report_items.outcome``: what the import did with the status (``settled``,
  ``accepted``, ``returned``, ``unchanged``, ``not_applied``, ``unknown``), so that the
  returned transactions of a report can be listed, with whose account it was and what
  happens next, by ``returns import`` and afterwards. Existing items keep NULL (imported
  before it was recorded); a partial index finds a report's returned transactions.
- ``status_report_items.order_id`` loses its foreign key: the import sets it from
  ``batch_items`` (whose own key to the order holds it) in the same ``INSERT … SELECT``,
  and on PostgreSQL the key was a check per inserted row — 1.35 s of a 200,000-status
  report's 4.2 s insert (the same choice ``batch_items`` made for its file and
  registration).

Revision ID: 0400
Revises: 0300
Create Date: 2026-12-01 12:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0400"
down_revision = "0300"
branch_labels = None
depends_on = None

PATHS = (
    "(output_dir IS NULL AND outbox_dir IS NULL) OR (output_dir LIKE '/%' AND outbox_dir LIKE '/%')"
)
OUTCOMES = (
    "outcome IS NULL OR outcome IN "
    "('settled', 'accepted', 'returned', 'unchanged', 'not_applied', 'unknown')"
)
RETURNED = "outcome = 'returned'"


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("output_dir", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("outbox_dir", sa.Text(), nullable=True))
        batch_op.create_check_constraint(batch_op.f("ck_batches_paths"), PATHS)
    with op.batch_alter_table("status_report_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_status_report_items_order_id_payment_orders"), type_="foreignkey"
        )
        batch_op.add_column(sa.Column("outcome", sa.String(length=11), nullable=True))
        batch_op.create_check_constraint(batch_op.f("ck_status_report_items_outcome"), OUTCOMES)
        batch_op.create_index(
            "ix_status_report_items_returned",
            ["report_id"],
            unique=False,
            sqlite_where=sa.text(RETURNED),
            postgresql_where=sa.text(RETURNED),
        )


def downgrade() -> None:
    with op.batch_alter_table("status_report_items", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_status_report_items_returned",
            sqlite_where=sa.text(RETURNED),
            postgresql_where=sa.text(RETURNED),
        )
        batch_op.drop_constraint(batch_op.f("ck_status_report_items_outcome"), type_="check")
        batch_op.drop_column("outcome")
        batch_op.create_foreign_key(
            batch_op.f("fk_status_report_items_order_id_payment_orders"),
            "payment_orders",
            ["order_id"],
            ["id"],
        )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_batches_paths"), type_="check")
        batch_op.drop_column("outbox_dir")
        batch_op.drop_column("output_dir")
