"""status_report_items: each item's report checked once a statement, not once a row (PostgreSQL)

A bank answer records every one of its statuses in ``status_report_items`` with one
``INSERT … SELECT``: a million rows for the answer of a big night (issue 15). The foreign
key ``report_id → status_reports.id`` made PostgreSQL run its check once per row (a query
of ``status_reports`` through SPI, about 7 µs each): half of that insert's CPU, for a
million rows that all name the one report the same transaction has just inserted.

On PostgreSQL the invariant moves from the foreign key to triggers that check it per
statement, and stays in the database:

- after every statement that inserts or updates items, the distinct ``report_id``\\ s of
  the rows it wrote (its transition table) are looked up at once; a report that does not
  exist fails the statement with ``foreign_key_violation`` (SQLSTATE 23503, as the key
  did), so nothing is written;
- a report is never deleted and its id never changes (a trigger refuses both, 23503):
  what a foreign key's delete check and its row locks were for. The reports are the
  record of what the bank answered, and the import's "seen before" test
  (``status_reports.msg_id``) relies on them staying; a report is then never gone once
  an item named it, at any isolation level, with no lock to take.

SQLite keeps the foreign key (its check costs little); the model declares it, and
:func:`payments.schema.check` knows that PostgreSQL holds it as these triggers
(:data:`payments.models.REPORT_ITEMS_FK`).

Revision ID: 1010
Revises: 1000
Create Date: 2026-12-01 20:45:00
"""

from alembic import op


revision = "1010"
down_revision = "1000"
branch_labels = None
depends_on = None

FK = "fk_status_report_items_report_id_status_reports"

CHECK_ITEMS = f"""
CREATE FUNCTION status_report_items_report_exists() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT d.report_id INTO missing
    FROM (SELECT DISTINCT report_id FROM written) d
    WHERE NOT EXISTS (SELECT 1 FROM status_reports r WHERE r.id = d.report_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'status_report_items: report % does not exist', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{FK}',
                  TABLE = 'status_report_items';
    END IF;
    RETURN NULL;
END $$
"""

KEEP_REPORTS = f"""
CREATE FUNCTION status_reports_kept() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'status_reports: report % is kept (never deleted, its id never changed)', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{FK}',
                  TABLE = 'status_reports';
    END IF;
    RETURN NEW;
END $$
"""

TRIGGERS = (
    "CREATE TRIGGER status_report_items_inserted AFTER INSERT ON status_report_items "
    "REFERENCING NEW TABLE AS written FOR EACH STATEMENT "
    "EXECUTE FUNCTION status_report_items_report_exists()",
    "CREATE TRIGGER status_report_items_updated AFTER UPDATE ON status_report_items "
    "REFERENCING NEW TABLE AS written FOR EACH STATEMENT "
    "EXECUTE FUNCTION status_report_items_report_exists()",
    "CREATE TRIGGER status_reports_kept BEFORE DELETE OR UPDATE OF id ON status_reports "
    "FOR EACH ROW EXECUTE FUNCTION status_reports_kept()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps the foreign key
    # every existing item names a report: the key held until now
    op.drop_constraint(FK, "status_report_items", type_="foreignkey")
    op.execute(CHECK_ITEMS)
    op.execute(KEEP_REPORTS)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER status_reports_kept ON status_reports")
    op.execute("DROP TRIGGER status_report_items_updated ON status_report_items")
    op.execute("DROP TRIGGER status_report_items_inserted ON status_report_items")
    op.execute("DROP FUNCTION status_reports_kept()")
    op.execute("DROP FUNCTION status_report_items_report_exists()")
    op.create_foreign_key(FK, "status_report_items", "status_reports", ["report_id"], ["id"])
