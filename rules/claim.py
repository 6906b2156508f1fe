"""The input: a frozen ``Claim`` and ``parse_claim``, which validates the claim format.

``parse_claim(raw, today, *, submitted_on_allowed=True)`` reads one claim as it comes out of
JSON (numbers already parsed as ``Decimal``) or a CSV row (every value a string) and returns a
``Claim`` or raises ``InvalidClaim`` listing *every* problem found, each with a stable code and
the field (the format is ``docs/claim-format.md``):

- ``CLAIM_NOT_AN_OBJECT``, ``CLAIM_FIELD_UNKNOWN``, ``CLAIM_FIELD_MISSING``,
  ``CLAIM_FIELD_TYPE``, ``CLAIM_FIELD_RANGE``, ``CLAIM_FIELD_CHOICE``,
  ``CLAIM_FIELD_NOT_ALLOWED`` (``submitted_on`` when the caller owns the receipt date);
- ``ID_CPR_INVALID`` (10 digits, or 6 + ``-`` + 4; the birth date with its century digit
  must be a real date not after ``today``; modulus 11 is *not* required, numbers without it
  are issued since 2007), ``ID_CVR_INVALID`` (8 digits with modulus 11);
- cross-field: ``CLAIM_DATES_REVERSED``, ``CLAIM_MONTHLY_HOURS_LENGTH`` (6 months for
  sickness, 4 for maternity), ``CLAIM_FIELD_NOT_APPLICABLE`` (a maternity field on a sickness
  claim or the reverse), ``CLAIM_EMPLOYMENT_AFTER_ABSENCE``, ``CLAIM_PERIOD_TOO_LONG``,
  ``CLAIM_SALARY_AMOUNT_WITHOUT_SALARY``.

Accepted spellings: decimals as JSON numbers (``Decimal``/``int``) or decimal strings
(``"250.00"``); a Python ``float`` is refused (``CLAIM_FIELD_TYPE``) because it has already
lost øre — parse JSON with ``parse_float=Decimal``. Booleans as JSON booleans or the strings
``true``/``false``; lists as JSON arrays or ``;``-separated strings; dates as ``YYYY-MM-DD``
strings (or ``date`` objects from Python callers). ``null`` and the empty string mean
"absent" (an empty CSV cell). ``submitted_on`` defaults to ``today``.

The receipt date belongs to whoever receives the claim. The § 59 and § 40 deadlines are
measured from it, so a file must not be able to back-date itself: the claim intake calls
``parse_claim(raw, today, submitted_on_allowed=False)``, and then a ``submitted_on`` with a
value is refused (``CLAIM_FIELD_NOT_ALLOWED``, field ``submitted_on``; its value is not even
read) and the claim's receipt date is ``today``. ``null`` or an empty CSV cell is "absent", as
for every field, and is not refused: a CSV template may carry the column. The default (``True``)
honours the field: ``rules decide`` decides without a database and stores nothing, and tests
and back-dated imports need to state the date.

A maternity claim needs ``child_birth_date``, except a mother's claim made before the birth:
with ``parent = mother`` and ``expected_birth_date`` it may leave the birth date out (a
*pre-birth claim*). Such a claim cannot know that the child was still unborn on days after it
was submitted, so its ``last_absence_day`` must not be after ``submitted_on``
(``CLAIM_FIELD_RANGE`` on ``last_absence_day``). Which of its days are payable — the 4 weeks
before the expected date, none on or after it — is a rule (``rules.maternity``), not
validation.

Choices made where the format is silent (what a user would expect):

- ``submitted_on`` after ``today`` and a ``child_birth_date`` after ``today`` are out of
  range: neither can have happened yet. Any date outside 1900-01-01 … 2099-12-31 is out of
  range too (the rules add deadlines to dates, and the holiday calendar ends in 2100).
- ``external_ref`` is printable text without a CPR-like number (6 + 4 digits): it is printed
  in the bank's remittance text, on the payee's statement.
- ``employment_start`` after ``first_absence_day`` is invalid: nobody is absent from a job
  before it starts.
- A claim covers at most 731 days (``CLAIM_PERIOD_TOO_LONG``): catches typing errors such as
  2204 for 2024 before they become 180 years of day loops.
- ``normal_weekly_hours`` must be > 0 and ≤ 48, ``hourly_wage`` > 0 and ≤ 10,000 kr, each
  ``monthly_hours`` value 0–744 (24 h × 31 days), ``hours_last_8_weeks`` 0–1,344 (8 weeks of
  24-hour days; below 74 is a rule, not an error), ``salary_paid_amount`` ≥ 0,
  ``absence_hours_per_week`` ≥ 0 (the 4-hour floor is a *rule*, not validation: it rejects,
  with a legal reference, rather than calling the claim malformed).
- A field of the other kind of claim is an error only when it would say something: a
  ``true`` flag, a non-zero number, a date or a choice. ``"section_56_agreement": false`` on
  a maternity claim, or an empty CSV cell, is fine.
- ``salary_paid_amount`` with ``salary_paid`` false is contradictory: invalid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from identifiers import IdentifierError, cpr, cvr
from identifiers.privacy import FULL_NUMBER
from rules import codes
from rules.claim_checks import MONTHS_BY_KIND, cross_checks
from rules.days import FIRST_DATE, LAST_DATE
from rules.errors import InvalidClaim, Problem

__all__ = ["Claim", "FIELDS", "MONTHS_BY_KIND", "REQUIRED", "parse_claim"]

KINDS = ("sickness", "maternity")
PARENTS = ("mother", "father", "co_mother")
MET_BY = ("unemployment_insurance", "vocational_training", "paid_trainee", "fleksjob")


@dataclass(frozen=True, slots=True)
class Claim:
    """One validated claim. CPR is stored as 10 digits, without the hyphen."""

    external_ref: str
    employer_cvr: str
    employee_cpr: str
    kind: str
    first_absence_day: date
    last_absence_day: date
    normal_weekly_hours: Decimal
    hourly_wage: Decimal
    salary_paid: bool
    employment_start: date
    monthly_hours: tuple[Decimal, ...]
    submitted_on: date
    absence_hours_per_week: Decimal | None = None
    salary_paid_amount: Decimal | None = None
    section_56_agreement: bool = False
    small_employer_insurance: bool = False
    hours_last_8_weeks: Decimal | None = None  # sickness, § 30, stk. 2: None = not stated
    employment_requirement_met_by: str | None = None
    parent: str | None = None
    child_birth_date: date | None = None
    expected_birth_date: date | None = None
    weeks_transferred_in: int = 0
    weeks_transferred_out: int = 0
    correction: bool = False


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DECIMAL = re.compile(r"[+-]?\d{1,15}(\.\d{1,10})?\Z")
_INT = re.compile(r"[+-]?\d{1,6}\Z")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(codes.CLAIM_FIELD_TYPE, f"must be a string, not {_type_name(value)}")
    return value.strip()


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        Decimal: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
        str: "a string",
    }.get(type(value), type(value).__name__)


def _ref(value: Any) -> str:
    text = _text(value)
    if not 1 <= len(text) <= 35:
        raise _Bad(codes.CLAIM_FIELD_RANGE, "must be 1 to 35 characters")
    if not text.isprintable():  # NUL, line breaks, tabs: PostgreSQL refuses NUL outright
        raise _Bad(
            codes.CLAIM_FIELD_RANGE,
            "must be printable characters, without control characters or line breaks",
        )
    if FULL_NUMBER.search(text):  # the reference is printed in the bank's remittance text
        raise _Bad(
            codes.CLAIM_FIELD_RANGE,
            "must not hold a CPR-like number (6 + 4 digits): "
            "the reference is printed on the payee's bank statement",
        )
    return text


def _cvr(value: Any) -> str:
    """The one rule of :mod:`identifiers.cvr` (``DK 13585628`` is CVR 13585628)."""
    text = _text(value)
    try:
        return cvr.parse(text)
    except IdentifierError as bad:
        raise _Bad(bad.code, "is not a valid CVR number (8 digits, modulus 11)") from None


def _date(value: Any) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        day = value
    elif not isinstance(value, str):
        raise _Bad(codes.CLAIM_FIELD_TYPE, f"must be a date YYYY-MM-DD, not {_type_name(value)}")
    else:
        text = value.strip()
        if not _DATE.match(text):
            raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a date written YYYY-MM-DD")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _Bad(codes.CLAIM_FIELD_TYPE, f"{text} is not a real date") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise _Bad(codes.CLAIM_FIELD_RANGE, f"must be a date from {FIRST_DATE} to {LAST_DATE}")
    return day


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a number, not a boolean")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a finite number")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise _Bad(
            codes.CLAIM_FIELD_TYPE,
            "is a binary float; send a decimal string or parse JSON with parse_float=Decimal",
        )
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.match(text):
            return Decimal(text)
        raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a decimal number such as 250.00")
    raise _Bad(codes.CLAIM_FIELD_TYPE, f"must be a number, not {_type_name(value)}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    raise _Bad(codes.CLAIM_FIELD_TYPE, "must be true or false")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a whole number, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _INT.match(value.strip()):
        return int(value.strip())
    raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a whole number")


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value)
        if text not in options:
            raise _Bad(codes.CLAIM_FIELD_CHOICE, f"must be one of {', '.join(options)}")
        return text

    return convert


def _between(convert: Callable[[Any], Any], low: Any, high: Any, low_open: bool = False):
    def checked(value: Any) -> Any:
        number = convert(value)
        too_low = number <= low if low_open else number < low
        if too_low or (high is not None and number > high):
            bound = f"greater than {low}" if low_open else f"at least {low}"
            upper = f" and at most {high}" if high is not None else ""
            raise _Bad(codes.CLAIM_FIELD_RANGE, f"must be {bound}{upper}")
        return number

    return checked


def _hours_list(value: Any) -> tuple[Decimal, ...]:
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(";")]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _Bad(codes.CLAIM_FIELD_TYPE, "must be a list of numbers (CSV: 160;158;…)")
    if len(items) > 12:
        raise _Bad(codes.CLAIM_MONTHLY_HOURS_LENGTH, "must hold 6 (sickness) or 4 (maternity)")
    out = []
    for item in items:
        number = _decimal(item)
        if not 0 <= number <= 744:
            raise _Bad(codes.CLAIM_FIELD_RANGE, "each month must be between 0 and 744 hours")
        out.append(number)
    return tuple(out)


# field -> (converter, required: True for every claim, "maternity" for maternity claims)
FIELDS: dict[str, tuple[Callable[[Any], Any], bool | str]] = {
    "external_ref": (_ref, True),
    "employer_cvr": (_cvr, True),
    "employee_cpr": (_text, True),  # checked against ``today`` in parse_claim
    "kind": (_choice(KINDS), True),
    "first_absence_day": (_date, True),
    "last_absence_day": (_date, True),
    "normal_weekly_hours": (_between(_decimal, 0, 48, low_open=True), True),
    "hourly_wage": (_between(_decimal, 0, 10_000, low_open=True), True),
    "absence_hours_per_week": (_between(_decimal, 0, None), False),
    "salary_paid": (_bool, True),
    "salary_paid_amount": (_between(_decimal, 0, 10_000_000), False),
    "employment_start": (_date, True),
    "monthly_hours": (_hours_list, True),
    "submitted_on": (_date, False),
    "section_56_agreement": (_bool, False),
    "small_employer_insurance": (_bool, False),
    "hours_last_8_weeks": (_between(_decimal, 0, 1344), False),
    "employment_requirement_met_by": (_choice(MET_BY), False),
    "parent": (_choice(PARENTS), "maternity"),
    "child_birth_date": (_date, "maternity"),
    "expected_birth_date": (_date, False),
    "weeks_transferred_in": (_between(_int, 0, 13), False),
    "weeks_transferred_out": (_between(_int, 0, 13), False),
    "correction": (_bool, False),
}
REQUIRED = tuple(name for name, (_, required) in FIELDS.items() if required is True)


def _cpr(value: str, today: date) -> str:
    """The one rule of :mod:`identifiers.cpr`, checked on the processing date."""
    try:
        return cpr.parse(value, on=today)
    except IdentifierError as bad:  # its message shows the birth date; a claim's never does
        raise _Bad(
            bad.code,
            "is not a CPR number: 10 digits (DDMMYY-SSSS) holding a real birth date that is "
            "not after the processing date",
        ) from None


def parse_claim(raw: Mapping[str, Any], today: date, *, submitted_on_allowed: bool = True) -> Claim:
    """Validate one claim; raise ``InvalidClaim`` with every problem found.

    ``submitted_on_allowed=False`` (the claim intake): the receipt date is ``today`` and a
    ``submitted_on`` in the record is ``CLAIM_FIELD_NOT_ALLOWED`` (see the module docstring).
    """
    if not isinstance(raw, Mapping):
        raise InvalidClaim(
            (Problem(codes.CLAIM_NOT_AN_OBJECT, None, "a claim must be a JSON object"),)
        )
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = FIELDS.get(key) if isinstance(key, str) else None
        if spec is None:
            problems.append(Problem(codes.CLAIM_FIELD_UNKNOWN, str(key), f"unknown field {key!r}"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # absent (null, empty CSV cell)
        if key == "submitted_on" and not submitted_on_allowed:
            problems.append(
                Problem(
                    codes.CLAIM_FIELD_NOT_ALLOWED,
                    key,
                    "submitted_on may not be given here: the receipt date is the day the claim "
                    "is received",
                )
            )
            continue
        try:
            values[key] = spec[0](value)
        except _Bad as bad:
            problems.append(Problem(bad.code, key, f"{key} {bad.message}"))
    kind = values.get("kind")
    reported = {p.field for p in problems}
    pre_birth = values.get("parent") == "mother" and (
        "expected_birth_date" in values or "expected_birth_date" in reported
    )
    for name, (_, required) in FIELDS.items():
        if name in values or name in reported:
            continue
        if name == "child_birth_date" and pre_birth:
            continue  # a mother's claim before the birth: the expected date stands in
        if required is True or (required == kind):
            problems.append(
                Problem(codes.CLAIM_FIELD_MISSING, name, f"required field {name} is missing")
            )
    if "employee_cpr" in values:
        try:
            values["employee_cpr"] = _cpr(values["employee_cpr"], today)
        except _Bad as bad:
            del values["employee_cpr"]
            problems.append(Problem(bad.code, "employee_cpr", f"employee_cpr {bad.message}"))
    values.setdefault("submitted_on", today)
    problems.extend(cross_checks(values, kind, today))
    if problems:
        raise InvalidClaim(tuple(problems))
    return Claim(**values)
