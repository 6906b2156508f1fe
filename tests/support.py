"""What many tests share: the worked example of the law, and rows built without the intake.

The worked example is sickness.md's: a 37-hour employee on 250 kr an hour, absent Monday
2024-03-04 to Friday 2024-04-26, salary paid; received on 2024-03-20 (on time) it is
reimbursed 16,901.75 kr to the employer's CVR. Tests change one field of it at a time.

The row helpers insert orders, registrations and claims directly, for tests of the batch,
the returns and the registry that must not depend on the claim intake; the look-ups
(:func:`code_of`, :func:`stored_code`, :func:`live_orders`) read back what tests assert on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import func, select

from payments import orders
from payments.config import Settings
from payments.db import metadata, session_scope
from payments.errors import CODED_ERRORS
from payments.models import (
    AccountRegistration,
    ActivationLetter,
    BatchItem,
    Claim,
    Decision,
    PaymentOrder,
)

EMPLOYER = "13585628"
#: the day the worked example is received (its § 59 deadline is 2024-04-08)
RECEIVED = dt.date(2024, 3, 20)
#: sickness.md, worked example: 16,901.75 kr to the employer's CVR
WORKED_EXAMPLE = {
    "external_ref": "ACME-0001",
    "employer_cvr": EMPLOYER,
    "employee_cpr": "010190-1234",
    "kind": "sickness",
    "first_absence_day": "2024-03-04",
    "last_absence_day": "2024-04-26",
    "normal_weekly_hours": "37",
    "hourly_wage": "250.00",
    "salary_paid": True,
    "employment_start": "2019-01-01",
    "monthly_hours": [160] * 6,
}
WORKED_AMOUNT = Decimal("16901.75")
#: a bank file's header (docs/bank-file.md)
BANK_FILE_HEADER = "owner_kind,owner_number,reg_no,account_no,iban,bic,action,effective_date\n"

RUN = dt.date(2024, 5, 6)  # a Monday; execution on Tuesday 2024-05-07
NOW = dt.datetime(2024, 5, 6, 22, 0, tzinfo=dt.UTC)
NS = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}"


def worked(**changes) -> dict:
    """The worked example with some fields changed (``None`` removes a field)."""
    raw = WORKED_EXAMPLE | changes
    return {k: v for k, v in raw.items() if v is not None}


def maternity(**changes) -> dict:
    """A mother's maternity claim on the worked example's job and wage; the tests give the
    birth and the days (``None`` removes a field)."""
    return worked(
        **({"kind": "maternity", "monthly_hours": [160] * 4, "parent": "mother"} | changes)
    )


class Record:
    """A claim record as :func:`rules.iter_claim_records` yields it, for ``intake.submit``."""

    def __init__(self, raw, position="item 1", problem=None):
        self.raw, self.position, self.problem = raw, position, problem


def code_of(fn, *args, **kwargs) -> str:
    """The code of the coded error that ``fn(*args, **kwargs)`` raises (fails if none)."""
    with pytest.raises(CODED_ERRORS) as info:
        fn(*args, **kwargs)
    return info.value.code


def cpr(i: int) -> str:
    return f"0101{80 + i % 20:02d}{1000 + i:04d}"


def claims_csv(rows: int, *, latin1_row: int | None = None) -> bytes:
    """A UTF-8 claim CSV: the worked example for ``rows`` employees (``cpr(row)``, reference
    ``R-<row>``) in spreadsheet rows 2 … rows + 1, each valid and on time on
    :data:`RECEIVED`. The reference in spreadsheet row ``latin1_row`` was typed in Latin-1
    (``Ræ-502`` with the one byte ``\\xe6``): a byte that is not UTF-8, in that row only."""
    columns = list(WORKED_EXAMPLE)
    lines = [",".join(columns).encode()]
    for row in range(2, rows + 2):
        claim = worked(external_ref=f"R-{row}", employee_cpr=cpr(row))
        cells = [
            ";".join(map(str, v)) if isinstance(v, list) else str(v).lower() if v is True else v
            for v in (claim[c] for c in columns)
        ]
        line = ",".join(cells).encode()
        if row == latin1_row:
            line = line.replace(f"R-{row},".encode(), f"R\xe6-{row},".encode("latin-1"))
        lines.append(line)
    return b"\n".join(lines) + b"\n"


#: the paying agency the tests configure (a real run needs one: CONFIG_DEBTOR_MISSING), not
#: the demo's: a test that means the demo agency asks for it (``with_demo_debtor``)
TEST_DEBTOR = {
    "debtor_name": "Testmyndigheden",
    "debtor_iban": "DK5000400440116243",
    "debtor_bic": "DABADKKK",
    "debtor_cvr": "13585628",
}
#: the same as environment variables, for tests of the command line and of a served API
TEST_DEBTOR_ENV = {f"PAYMENTS_{k.upper()}": v for k, v in TEST_DEBTOR.items()}


def make_settings(tmp_path: Path, **kw) -> Settings:
    """Settings whose every folder and key file lies in ``tmp_path``, paying from
    :data:`TEST_DEBTOR`; ``kw`` overrides (e.g. ``database_url``)."""
    return Settings(
        output_dir=str(tmp_path / "out"),
        outbox_dir=str(tmp_path / "outbox"),
        spool_dir=str(tmp_path / "spool"),
        dev_key_file=str(tmp_path / "dev-key.pem"),
        **(TEST_DEBTOR | kw),
    )


def add_registration(
    session,
    number,
    *,
    kind="cpr",
    status="active",
    account="1",
    active_from=dt.date(2024, 1, 1),
    iban=None,
    **columns,
):
    """A registration from the bank, stored as given (``columns`` set any other column)."""
    reg = AccountRegistration(
        **{
            "owner_kind": kind,
            "owner_number": number,
            "reg_no": None if iban else "1234",
            "account_no": None if iban else account.zfill(10),
            "iban": iban,
            "channel": "bank",
            "status": status,
            "actor": "bank",
            "registered_at": NOW,
            "active_from": active_from,
            "activation_attempts": 0,
        }
        | columns
    )
    session.add(reg)
    session.flush()
    return reg


def stored_code(session, registration_id: int) -> str:
    """A registration's activation code as stored (before any letter is exported)."""
    return session.execute(
        select(ActivationLetter.code).where(ActivationLetter.registration_id == registration_id)
    ).scalar_one()


def add_order(session, number, amount_ore, *, kind="cpr", due=RUN, ref=None):
    n = session.scalar(select(func.count()).select_from(Claim)) + 1
    ref = ref or f"REF-{n}"
    claim = Claim(
        employer_cvr="13585628",
        external_ref=ref,
        employee_cpr=cpr(n),
        kind="sickness",
        first_day=dt.date(2024, 4, 1),
        last_day=dt.date(2024, 4, 5),
        raw="{}",
        raw_sha256="0" * 64,
        version=1,
        received_at=NOW,
        received_on=NOW.date(),
        actor="t",
    )
    session.add(claim)
    session.flush()
    decision = Decision(
        claim_id=claim.id,
        version=1,
        status="approved",
        amount_ore=amount_ore,
        payee_kind=kind,
        payee_number=number,
        codes="",
        granted_days="",
        parameter_versions="{}",
        document="{}",
        decided_on=due,
        created_at=NOW,
    )
    session.add(decision)
    session.flush()
    order = PaymentOrder(
        decision_id=decision.id,
        claim_id=claim.id,
        payee_kind=kind,
        payee_number=number,
        amount_ore=amount_ore,
        remittance=f"Refusion sygedagpenge {ref}",
        end_to_end_id=f"E2E-{claim.id:08d}",
        due_date=due,
        status="pending",
        attempts=0,
        created_at=NOW,
    )
    session.add(order)
    session.flush()
    return order


def live_orders(engine, ref="ACME-0001") -> list[PaymentOrder]:
    """The claim's orders that are not cancelled, oldest first."""
    with session_scope(engine) as s:
        return s.scalars(
            select(PaymentOrder)
            .join(Claim, Claim.id == PaymentOrder.claim_id)
            .where(Claim.external_ref == ref, PaymentOrder.status != "cancelled")
            .order_by(PaymentOrder.id)
        ).all()


def wipe(engine) -> None:
    with session_scope(engine) as s:
        for table in reversed(metadata.sorted_tables):
            s.execute(table.delete())


def orders_by_id(engine) -> dict[int, PaymentOrder]:
    """Every order, with ``status`` as reported (``in_batch`` while in an unreleased batch)."""
    with session_scope(engine) as s:
        rows = s.execute(select(PaymentOrder, orders.reported_status())).all()
        s.expunge_all()
    for order, status in rows:
        order.status = status
    return {o.id: o for o, _ in rows}


def items_by_order(engine) -> dict[int, list[BatchItem]]:
    with session_scope(engine) as s:
        items = s.scalars(select(BatchItem).order_by(BatchItem.attempt)).all()
    out: dict[int, list[BatchItem]] = {}
    for item in items:
        out.setdefault(item.order_id, []).append(item)
    return out


def file_transactions(path: Path) -> list[tuple[str, Decimal]]:
    tree = etree.parse(str(path))
    return [
        (tx.findtext(f"{NS}PmtId/{NS}EndToEndId"), Decimal(tx.findtext(f"{NS}Amt/{NS}InstdAmt")))
        for tx in tree.iter(f"{NS}CdtTrfTxInf")
    ]


def letter_code(engine, registration_id: int, directory: Path, now=NOW) -> str:
    """The activation code of a registration, read from its letter as the mail house (and
    then the owner) would: letters are exported by ``mail-house`` into ``directory``."""
    import re

    from payments.registry import letters, service

    service.export_letters(engine, directory, actor="mail-house", now=now)
    for path in sorted(Path(directory).glob("letter-*.txt")):
        text = path.read_text(encoding="utf-8")
        if f"(registration {registration_id})" in text:
            return re.search(rf"^{re.escape(letters.CODE_LINE)}(\S+)$", text, re.M).group(1)
    raise LookupError(f"no letter for registration {registration_id}")


class Cli:
    """The ``payments`` command on one test database, paying from :data:`TEST_DEBTOR`;
    with ``tmp`` its output and outbox folders lie there (else the defaults, relative to
    the working directory). Every command's stdout and stderr is kept in ``outputs``, to
    search it afterwards."""

    def __init__(self, db_url: str, tmp: Path | None = None, **env: str) -> None:
        from cli.main import cli  # the command under test; support is imported by every test

        self.command, self.db_url, self.tmp = cli, db_url, tmp
        folders = (
            {"PAYMENTS_OUTPUT_DIR": str(tmp / "out"), "PAYMENTS_OUTBOX_DIR": str(tmp / "outbox")}
            if tmp is not None
            else {}
        )
        self.env = TEST_DEBTOR_ENV | folders | env
        self.outputs: list[str] = []

    def __call__(self, *args: str, code: int = 0):
        result = CliRunner().invoke(
            self.command, ["--database-url", self.db_url, *args], env=self.env
        )
        self.outputs.append(result.stdout + result.stderr)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    def text(self, *args: str, code: int = 0) -> str:
        """What the command printed on stdout."""
        return self(*args, code=code).stdout

    def json(self, *args: str, code: int = 0):
        return json.loads(self(*args, "--json", code=code).stdout)

    def error(self, *args: str, code: int = 1) -> str | None:
        """The code of the ``error CODE:`` line the command printed, if any."""
        match = re.search(r"^error (\w+):", self(*args, code=code).stderr, re.M)
        return match.group(1) if match else None
