"""The output of a rule module: a frozen ``Decision`` with its weeks, reasons and trace.

``Decision.to_json()`` (compact UTF-8 bytes, what the intake stores) and ``to_dict()`` (the
same, read back) are the decision JSON of ``docs/decision.md``: the documented keys first
and in the documented order (``external_ref``, ``status``, ``amount`` as a string with two
decimals, ``currency``, ``payee``, ``days``, ``weeks``, ``supplement``, ``reasons``,
``trace``), then keys the format allows to grow: ``kind``, ``employer_cvr``,
``first_absence_day``, ``last_absence_day``, ``parent``, ``child_birth_date``,
``expected_birth_date`` (the last three for maternity only), ``granted_days`` (every day paid,
ISO dates; what ``GrantedDays.from_dict`` reads back) and ``parameters`` (every parameter value
the decision used, with its validity and source). The payee number is kept in full, as the
format shows; human output masks a CPR with :func:`mask_cpr`.

``amount`` is the reimbursement (or benefit) alone. ``supplement`` is the § 39 a supplement to
an employer's maternity refusion, whole kroner per week, summed. It is **always present**, as
``"0.00"`` when there is none (sickness, a benefit paid to the parent, a decision that pays
nothing), and so is each week's ``"supplement"``: a consumer reads the same keys from every
decision and never has to tell "absent" from "zero". ``Decision.total`` (amount + supplement)
is what the payment side pays.

The trace is one ``TraceStep`` per rule step: the provision applied (``reference``), the
inputs it read (parameters as ``ParameterValue`` with value, validity and source) and its
``result``; ``output`` is the same result as a sentence. The sentence is rendered only when
asked for (``to_json()``, ``rules explain``): deciding stays cheap.

>>> mask_cpr("0101901234")
'010190-****'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from rules.errors import InvalidClaim, Problem
from rules.fastinit import positional
from rules.parameters import ParameterValue

__all__ = [
    "Decision",
    "Payee",
    "Reason",
    "STATUSES",
    "TraceStep",
    "Week",
    "ZERO",
    "invalid_decision",
    "make_decision",
    "make_step",
    "make_week",
    "mask_cpr",
    "money_text",
]

STATUSES = ("approved", "partially_approved", "rejected", "error", "invalid")
#: statuses that are a decision on the merits (the CLI exits 0 when all claims got one)
DECIDED = frozenset(("approved", "partially_approved", "rejected"))
ZERO = Decimal("0.00")
_CENT = Decimal("0.01")


def mask_cpr(cpr: str) -> str:
    """``0101901234`` → ``010190-****``: the only form a CPR takes in human output."""
    digits = cpr.replace("-", "")
    return f"{digits[:6]}-****"


def money_text(amount: Decimal) -> str:
    """Two decimals, no thousands separator: the JSON form of an amount."""
    return str(amount.quantize(_CENT))


def plain(number: Decimal) -> str:
    """A Decimal without exponent notation (``Decimal('4E+1')`` → ``40``)."""
    text = str(number)
    return format(number, "f") if "E" in text else text


@dataclass(frozen=True, slots=True)
class Payee:
    """Who receives the money: the employer's CVR (refusion) or the employee's CPR."""

    kind: str  # "cvr" | "cpr"
    number: str

    def display(self) -> str:
        """For human output: a CPR is masked."""
        if self.kind == "cpr":
            return f"CPR {mask_cpr(self.number)}"
        return f"CVR {self.number}"


@dataclass(frozen=True, slots=True)
class Week:
    """One ISO week of a decision: the days paid, their hours and the (capped) amount.

    ``uncapped`` (the exact sum of rate × hours of its days) and ``weekly_max`` (the maximum in
    force on its first payable day) say how the amount came about. ``supplement`` is the week's
    § 39 a supplement (whole kroner, ``0.00`` when none) at ``supplement_rate``, the § 39 b rate
    in force on the week's first benefit day. The decision JSON lists week, days, hours, amount
    and supplement; the trace all eight.
    """

    week: str  # "2024-W14"
    days: int
    hours: Decimal
    amount: Decimal
    uncapped: Decimal | None = None
    weekly_max: ParameterValue | None = None
    supplement: Decimal = ZERO
    supplement_rate: ParameterValue | None = None

    def __str__(self) -> str:
        if self.uncapped is None or self.weekly_max is None:
            return f"{self.week}: {self.days} days, {plain(self.hours)} h → {self.amount}"
        capped = self.uncapped > self.weekly_max.value
        cap = f", capped at {self.weekly_max.value_text()}" if capped else ""
        return (
            f"{self.week}: {self.days} days, {plain(self.hours)} h, "
            f"{plain(self.uncapped)}{cap} → {self.amount}"
        )


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision is not a plain approval (or why it is invalid), with a stable code."""

    code: str
    message: str
    reference: str | None = None
    field: str | None = None


class _Texts:
    """A mapping for ``str.format_map`` that turns only the values a template uses into text."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> str:
        return text(self._values[key])


def text(value: Any) -> str:
    """A value as it reads in a trace sentence."""
    convert = _TEXT.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, tuple | list | frozenset):
        return ", ".join(text(v) for v in value) or "none"
    return str(value)


_TEXT: dict[type, Any] = {
    str: str,
    int: str,
    type(None): lambda _: "—",
    bool: lambda v: "yes" if v else "no",
    Decimal: plain,
    date: date.isoformat,
    ParameterValue: ParameterValue.value_text,
}


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One rule step: what provision, which inputs, what result.

    ``template`` is the step's sentence with ``{name}`` slots filled from inputs and result;
    ``details`` names a result entry holding one item per week / rate segment, listed after
    the sentence (``output``) or one per line (``rules explain``).
    """

    rule: str
    reference: str
    inputs: tuple[tuple[str, Any], ...]
    result: tuple[tuple[str, Any], ...]
    template: str
    details: str | None = None

    @property
    def sentence(self) -> str:
        values = dict(self.inputs)
        values.update(self.result)
        return self.template.format_map(_Texts(values))

    def detail_lines(self) -> tuple[str, ...]:
        if self.details is None:
            return ()
        return tuple(str(item) for item in dict(self.result).get(self.details, ()))

    @property
    def output(self) -> str:
        lines = self.detail_lines()
        return self.sentence + (": " + "; ".join(lines) if lines else "")

    def parameters(self) -> tuple[ParameterValue, ...]:
        """The parameter values among the inputs (for ``rules explain``)."""
        out: dict[ParameterValue, None] = {}
        for _, value in self.inputs:
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, ParameterValue):
                    out[item] = None
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """This step as it reads in the decision JSON."""
        return orjson.loads(
            orjson.dumps(
                self._document(), default=_Encoder(), option=orjson.OPT_PASSTHROUGH_DATACLASS
            )
        )

    def _document(self) -> dict[str, Any]:
        """The step with its values as they are (:class:`_Encoder` makes them JSON)."""
        return {
            "rule": self.rule,
            "reference": self.reference,
            "inputs": dict(self.inputs),
            "output": self.output,
            "result": dict(self.result),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision on one claim. ``granted_days`` are the days actually paid."""

    kind: str | None
    external_ref: str | None
    employer_cvr: str | None
    employee_cpr: str | None
    status: str
    amount: Decimal
    payee: Payee | None
    weeks: tuple[Week, ...]
    reasons: tuple[Reason, ...]
    trace: tuple[TraceStep, ...]
    parameters: tuple[ParameterValue, ...]
    granted_days: tuple[date, ...]
    first_absence_day: date | None
    last_absence_day: date | None
    parent: str | None = None
    child_birth_date: date | None = None
    currency: str = "DKK"
    supplement: Decimal = ZERO  # § 39 a, maternity refusion to an employer only
    expected_birth_date: date | None = None

    @property
    def days(self) -> int:
        """The number of days paid."""
        return len(self.granted_days)

    @property
    def total(self) -> Decimal:
        """What the payee receives: the reimbursement plus the § 39 a supplement."""
        return self.amount + self.supplement

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def decided(self) -> bool:
        """approved, partially_approved or rejected (not error / invalid)."""
        return self.status in DECIDED

    def to_json(self) -> bytes:
        """The documented decision JSON (see the module docstring), compact UTF-8.

        What the intake stores. Built by orjson from the decision's own values, with
        :class:`_Encoder` for the few types JSON lacks: 66 µs a decision instead of 155 µs
        when the dictionaries were built in Python first (storing a decision's largest cost).
        """
        out: dict[str, Any] = {
            "external_ref": self.external_ref,
            "status": self.status,
            "amount": money_text(self.amount),
            "currency": self.currency,
            "payee": (
                {"kind": self.payee.kind, "number": self.payee.number} if self.payee else None
            ),
            "days": self.days,
            "weeks": [
                {
                    "week": w.week,
                    "days": w.days,
                    "hours": plain(w.hours),
                    "amount": money_text(w.amount),
                    "supplement": money_text(w.supplement),
                }
                for w in self.weeks
            ],
            "supplement": money_text(self.supplement),
            "reasons": [_reason_dict(r) for r in self.reasons],
            "trace": [step._document() for step in self.trace],
            "kind": self.kind,
            "employer_cvr": self.employer_cvr,
            "first_absence_day": self.first_absence_day,
            "last_absence_day": self.last_absence_day,
        }
        if self.kind == "maternity":
            out["parent"] = self.parent
            out["child_birth_date"] = self.child_birth_date
            out["expected_birth_date"] = self.expected_birth_date
        out["granted_days"] = self.granted_days
        out["parameters"] = self.parameters
        return orjson.dumps(out, default=_Encoder(), option=orjson.OPT_PASSTHROUGH_DATACLASS)

    def to_dict(self) -> dict[str, Any]:
        """The documented decision JSON as Python values (``to_json``, read back)."""
        return orjson.loads(self.to_json())


def _reason_dict(reason: Reason) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": reason.code,
        "message": reason.message,
        "reference": reason.reference,
    }
    if reason.field is not None:
        out["field"] = reason.field
    return out


class _Encoder:
    """orjson's ``default`` for one document: the JSON form of what JSON has no type for.

    Decimal as a plain string (``40``, not ``4E+1``); a parameter value as its provenance
    (``ParameterValue.as_dict``, converted once per document although a decision uses the
    weekly maximum in many places); a dataclass with a ``json_value()`` method as what that
    returns (a trace view derived from other values, such as the supplement's per-week lines);
    any other dataclass as its fields in order; a set sorted by its JSON form. orjson itself
    writes str, int, bool, None, lists, tuples, dicts and dates (ISO 8601).
    """

    __slots__ = ("parameters",)

    def __init__(self) -> None:
        self.parameters: dict[int, dict[str, Any]] = {}

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is Decimal:
            return plain(value)
        if kind is ParameterValue:
            done = self.parameters.get(id(value))
            if done is None:
                done = self.parameters[id(value)] = value.as_dict()
            return done
        names = _FIELD_NAMES.get(kind)
        if names is None and is_dataclass(value) and not isinstance(value, type):
            if hasattr(kind, "json_value"):  # a view that says what it is in JSON
                return value.json_value()
            names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
        if names is not None:
            return {name: getattr(value, name) for name in names}
        if isinstance(value, frozenset | set):
            return sorted(orjson.loads(orjson.dumps(list(value), default=self)))
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        raise TypeError(f"cannot put {kind.__name__} in a decision")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}

#: positional constructors taking every field in order (``rules.fastinit``): the hot path
#: builds a Week per ISO week, a TraceStep per rule and a Decision per claim
make_week = positional(Week)
make_step = positional(TraceStep)
make_decision = positional(Decision)


_KINDS = ("sickness", "maternity")


def invalid_decision(
    problems: InvalidClaim | Iterable[Problem], raw: Mapping[str, Any] | None = None
) -> Decision:
    """The ``invalid`` decision for a claim that failed validation (or could not be read).

    ``problems`` is an ``InvalidClaim`` or its problems (a file record's one problem).
    ``raw`` (the claim as read, if any) only lends ``external_ref``, ``employer_cvr`` and
    ``kind`` so the employer can find the claim; nothing else of it is trusted.
    """
    problems = problems.problems if isinstance(problems, InvalidClaim) else tuple(problems)
    raw = raw if isinstance(raw, Mapping) else {}
    ref = raw.get("external_ref")
    cvr = raw.get("employer_cvr")
    kind = raw.get("kind")
    reasons = tuple(Reason(p.code, p.message, None, p.field) for p in problems)
    step = TraceStep(
        rule="claim_validation",
        reference="Claim file format (docs/claim-format.md)",
        inputs=(),
        result=(("problems", tuple(p.code for p in problems)),),
        template="the claim is invalid and was not decided: {problems}",
    )
    return Decision(
        kind=kind if kind in _KINDS else None,
        external_ref=ref if isinstance(ref, str) and ref else None,
        employer_cvr=cvr if isinstance(cvr, str) and cvr else None,
        employee_cpr=None,
        status="invalid",
        amount=ZERO,
        payee=None,
        weeks=(),
        reasons=reasons,
        trace=(step,),
        parameters=(),
        granted_days=(),
        first_absence_day=None,
        last_absence_day=None,
    )
