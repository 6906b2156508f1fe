"""The bank CSV import: set-based apply, per-row rejects, file order, idempotent re-import."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from payments.db import session_scope
from payments.errors import InputError
from payments.models import AccountRegistration, AuditEvent
from payments.registry import bank_file, lifecycle, lookup
from payments.registry.lifecycle import Account

D = dt.date
HEADER = "owner_kind,owner_number,reg_no,account_no,iban,bic,action,effective_date\n"


def run(engine, now, body: str | bytes, name="bank.csv"):
    data = body.encode() if isinstance(body, str) else body
    with session_scope(engine) as s:
        return bank_file.import_bytes(s, data, name=name, actor="bank-file", now=now)


def snapshot(engine):
    with session_scope(engine) as s:
        rows = s.execute(select(AccountRegistration).order_by(AccountRegistration.id)).scalars()
        regs = [
            (
                r.id,
                r.owner_number,
                r.reg_no,
                r.account_no,
                r.iban,
                r.status,
                r.active_from,
                r.ended_on,
                r.end_reason,
            )
            for r in rows
        ]
        events = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return regs, events


def in_force(engine, number, on, kind="cpr"):
    with session_scope(engine) as s:
        row = lifecycle.as_of(s, kind, number, on)
        return None if row is None else Account.of(row)


REJECTING_FILE = (
    HEADER
    + """\
cpr,0101901234,1234,1,,,register,2024-01-01
cpr,3201901234,1234,1,,,register,2024-01-01
cvr,13585629,1234,1,,,register,2024-01-01
xyz,0101901234,1234,1,,,register,2024-01-01
cpr,0201901234,123,1,,,register,2024-01-01
cpr,0201901234,1234,0,,,register,2024-01-01
cpr,0201901234,,,DK5000400440116244,,register,2024-01-01
cpr,0201901234,,,DK5000400440116243,XX,register,2024-01-01
cpr,0201901234,1234,1,DK5000400440116243,,register,2024-01-01
cpr,0201901234,,,,,register,2024-01-01
cpr,0201901234,1234,1,,,move,2024-01-01
cpr,0201901234,1234,1,,,register,01-01-2024
cpr,0201901234,1234,1,,,register
cpr,0101901234,1234,1,,,register,2024-01-01
cpr,0301901234,,,,,close,2024-01-01
cpr,0101901234,1234,2,,,register,2023-06-01
cpr,0101901234,1234,9,,,close,2024-03-01

cvr,13585628,,,DK5000400440116243,DABADKKK,register,2024-01-01
"""
)


def test_an_effective_date_outside_1900_2099_is_rejected(engine, now, tmp_path):
    """A typo like 9999 would make the registration never in force and every later change
    to the owner a date conflict."""
    path = tmp_path / "bank.csv"
    path.write_text(
        HEADER + "cpr,0101901234,1234,1,,,register,9999-12-31\n"
        "cpr,0201901234,1234,1,,,register,0001-01-01\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        result = bank_file.import_file(s, path, actor="bank-file", now=now)
    assert [(r.line, r.code) for r in result.rejects] == [
        (2, "IMPORT_DATE_INVALID"),
        (3, "IMPORT_DATE_INVALID"),
    ]
    assert result.registered == 0


def test_rejects_are_coded_per_line_and_written_next_to_the_file(engine, now, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text(REJECTING_FILE, encoding="utf-8")
    with session_scope(engine) as s:
        result = bank_file.import_file(s, path, actor="bank-file", now=now)
    codes = [(r.line, r.code) for r in result.rejects]
    assert codes == [
        (3, "ID_CPR_INVALID"),
        (4, "ID_CVR_INVALID"),
        (5, "ID_OWNER_KIND"),
        (6, "ID_REG_NO_INVALID"),
        (7, "ID_ACCOUNT_INVALID"),
        (8, "ID_IBAN_INVALID"),
        (9, "ID_BIC_INVALID"),
        (10, "ACCOUNT_FORM_INVALID"),
        (11, "ACCOUNT_FORM_INVALID"),
        (12, "IMPORT_ACTION_INVALID"),
        (13, "IMPORT_DATE_INVALID"),
        (14, "IMPORT_ROW_FIELDS"),
        (15, "IMPORT_DUPLICATE_ROW"),
        (16, "ACCOUNT_NONE_TO_CLOSE"),
        (17, "ACCOUNT_DATE_CONFLICT"),
        (18, "ACCOUNT_CLOSE_MISMATCH"),
    ]
    assert (result.rows, result.registered, result.closed, result.unchanged) == (18, 2, 0, 0)
    target = bank_file.write_rejects(path, result.rejects)
    assert target == tmp_path / "bank.rejects.csv"
    with target.open(encoding="utf-8", newline="") as f:
        lines = list(csv.DictReader(f))
    assert [(int(x["line"]), x["code"]) for x in lines] == codes
    assert lines[0]["field"] == "owner_number" and lines[0]["message"]
    assert "3201901234" not in target.read_text(encoding="utf-8")  # no full CPR in messages
    assert in_force(engine, "0101901234", D(2024, 1, 1)) == Account.parse(
        reg_no="1234", account_no="1"
    )
    assert in_force(engine, "13585628", D(2024, 1, 1), "cvr").bic == "DABADKKK"


def test_reimport_changes_nothing(engine, now):
    body = (
        HEADER
        + """\
cpr,0101901234,1234,1,,,register,2024-01-01
cpr,0101901234,1234,2,,,register,2024-01-01
cpr,0101901234,1234,1,,,register,2024-01-01
cpr,0201901234,1234,1,,,register,2024-01-01
cpr,0201901234,,,,,close,2024-02-01
cpr,0201901234,,,DK5000400440116243,,register,2024-03-01
cpr,0301901234,1234,1,,,register,2024-01-01
cpr,0301901234,1234,1,,,close,2024-02-01
"""
    )
    first = run(engine, now, body)
    assert (first.registered, first.closed, first.unchanged, first.rejected) == (5, 2, 0, 1)
    before = snapshot(engine)
    again = run(engine, now, body)
    assert (again.registered, again.closed, again.unchanged) == (0, 0, 7)
    assert [r.code for r in again.rejects] == ["IMPORT_DUPLICATE_ROW"]
    assert snapshot(engine) == before  # not even an audit event
    # a later file that switches back on the same day is a new instruction, not a replay
    later = run(
        engine, now, HEADER + "cpr,0101901234,1234,1,,,register,2024-01-01\n", name="later.csv"
    )
    assert later.registered == 1
    assert in_force(engine, "0101901234", D(2024, 1, 1)).account_no == "0000000001"


def test_rows_of_one_owner_apply_in_file_order(engine, now):
    body = (
        HEADER
        + """\
cpr,0101901234,1234,1,,,register,2024-01-01
cpr,0101901234,,,,,close,2024-02-01
cpr,0101901234,1234,2,,,register,2024-03-01
cpr,0101901234,1234,3,,,register,2024-04-01
cpr,0101901234,,,,,close,2024-05-01
cpr,0201901234,1234,7,,,register,2024-01-01
"""
    )
    result = run(engine, now, body)
    assert (result.registered, result.closed, result.rejected) == (4, 2, 0)
    expect = {
        D(2023, 12, 31): None,
        D(2024, 1, 31): "0000000001",
        D(2024, 2, 1): None,
        D(2024, 3, 1): "0000000002",
        D(2024, 4, 1): "0000000003",
        D(2024, 5, 1): None,
    }
    for on, account_no in expect.items():
        got = in_force(engine, "0101901234", on)
        assert (got.account_no if got else None) == account_no, on
    with session_scope(engine) as s:
        hist = lifecycle.history(s, "cpr", "0101901234")
        assert [(h.status, h.end_reason) for h in hist] == [
            ("ended", "owner_request"),
            ("ended", "replaced"),
            ("ended", "owner_request"),
        ]
        assert all(h.channel == "bank" and h.source.startswith("import:") for h in hist)
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "account.import")
        ).scalar_one()
    payload = json.loads(event.payload)
    assert payload["registered"] == 4 and payload["closed"] == 2
    assert payload["sha256"].replace(":", "") == result.sha256


def test_import_works_with_the_single_owner_lifecycle(engine, now):
    with session_scope(engine) as s:
        old = lifecycle.register(
            s,
            "cpr",
            "0101901234",
            Account.parse(reg_no="1234", account_no="1"),
            channel="bank",
            actor="b",
            on=D(2024, 1, 1),
            now=now,
        )
        lifecycle.mark_rejected_by_bank(s, old.registration_id, "AC04", "returns", now)
        lifecycle.register(
            s,
            "cpr",
            "0201901234",
            Account.parse(reg_no="1234", account_no="1"),
            channel="citizen",
            actor="self",
            on=D(2024, 1, 1),
            now=now,
        )
    body = (
        HEADER
        + """\
cpr,0101901234,1234,1,,,register,2024-02-01
cpr,0201901234,1234,5,,,register,2024-02-01
"""
    )
    result = run(engine, now, body)
    assert result.registered == 2  # a rejected account registered again is a new registration
    with session_scope(engine) as s:
        row = s.get(AccountRegistration, old.registration_id)
        assert (row.status, row.ended_on) == ("rejected_by_bank", D(2024, 2, 1))
        got = lookup.resolve(s, [("cpr", "0101901234"), ("cpr", "0201901234")], D(2024, 2, 1))
        assert got[("cpr", "0101901234")].reason is None
        assert lifecycle.has_pending(s, "cpr", "0201901234")  # the letter still works later


@pytest.mark.parametrize(
    "body, code",
    [
        (
            "owner_kind;owner_number;reg_no;account_no;iban;bic;action;effective_date\n",
            "IMPORT_COLUMNS_MISSING",
        ),
        (
            "owner_kind,owner_number,reg_no,account_no,iban,action,effective_date\n",
            "IMPORT_COLUMNS_MISSING",
        ),
        (HEADER.strip() + ",note\n", "IMPORT_COLUMNS_UNKNOWN"),
        (HEADER.strip() + ",bic\n", "IMPORT_COLUMNS_DUPLICATE"),
        ("", "IMPORT_EMPTY"),
        ("\n\n", "IMPORT_EMPTY"),
        (
            (HEADER + "cpr,0101901234,1234,1,,,register,2024-01-01\n").encode("utf-16"),
            "IMPORT_ENCODING",
        ),
        (
            (HEADER + "cpr,0101901234,1234,1,,,register,2024-01-01,Søren\n").encode("latin-1"),
            "IMPORT_ENCODING",
        ),
        (
            HEADER + "cpr,0101901234,1234,1,,,register,2024-01-01\n"
            'cpr,0201901234,1234,1,,,register,"2024-01-01\n',
            "IMPORT_CSV_INVALID",
        ),
    ],
)
def test_file_level_errors_write_nothing(engine, now, body, code):
    with pytest.raises(InputError) as info:
        run(engine, now, body)
    assert info.value.code == code and info.value.exit_status == 2
    assert snapshot(engine) == ([], 0)


def test_bom_and_spacing_are_accepted(engine, now):
    body = codecs.BOM_UTF8 + (
        b" Owner_Kind , owner_number,reg_no,account_no,iban,bic,ACTION,"
        b"effective_date\r\ncpr, 010190-1234 ,1234, 1,,,Register,"
        b"2024-01-01\r\n"
    )
    result = run(engine, now, body)
    assert (result.registered, result.rejected) == (1, 0)


def test_many_rows_through_the_staging_table(engine, now):
    lines = [HEADER]
    for i in range(1500):
        number = f"{i % 28 + 1:02d}{i % 12 + 1:02d}80{i:04d}"
        lines.append(f"cpr,{number},1234,{i + 1},,,register,2024-01-01\n")
        if i % 3 == 0:
            lines.append(f"cpr,{number},,,DK5000400440116243,,register,2024-02-01\n")
    result = run(engine, now, "".join(lines))
    assert (result.registered, result.rejected) == (2000, 0)
    with session_scope(engine) as s:
        got = lookup.resolve(
            s,
            [("cpr", f"{i % 28 + 1:02d}{i % 12 + 1:02d}80{i:04d}") for i in range(1500)],
            D(2024, 2, 1),
        )
    reasons = {r.reason for r in got.values()}
    assert reasons == {None} and len(got) == 1500
    assert sum(1 for r in got.values() if r.iban) == 500
