"""The one exception hierarchy of ``rules`` and the ``Problem`` record.

Every error carries a stable ``code`` (callers and tests branch on it, never on the text), a
``message`` a clerk understands and the offending ``field`` when there is one. The CLI's
``main()`` prints any of them as ``error CODE: message`` and exits with ``exit_status``:
2 for bad input (a claim file, a parameter file), 1 when a legal parameter is missing.

Messages never contain a CPR number: they end up in logs and on terminals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from identifiers.errors import CodedError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one claim (or one record of a claim file)."""

    code: str
    field: str | None
    message: str


class RuleError(CodedError):
    """Base of everything ``rules`` raises on purpose."""

    exit_status = 2


class ParameterMissing(RuleError):
    """No value of a legal parameter is in force on a day (``RULE_PARAM_MISSING``).

    ``decide()`` turns this into a decision with status ``error``; it only escapes from
    direct parameter look-ups.
    """

    exit_status = 1

    def __init__(self, parameter: str, day: date) -> None:
        super().__init__(
            "RULE_PARAM_MISSING",
            f"no value of parameter {parameter} is in force on {day.isoformat()}; an operator "
            "must add the published value in a parameter override file",
            field=parameter,
        )
        self.parameter = parameter
        self.day = day


class ParameterFileError(RuleError):
    """A parameter file or directory is unusable, or two files contradict each other."""


class ClaimFileError(RuleError):
    """A claim file cannot be read at all (encoding, missing CSV column, unknown format)."""


class InvalidClaim(RuleError):
    """A claim failed validation; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        first = problems[0] if problems else Problem("CLAIM_INVALID", None, "invalid claim")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__("CLAIM_INVALID", first.message + more, first.field)
        self.problems = problems
