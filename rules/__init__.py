"""Rule modules of NemRefusion: dated legal parameters, sick pay and maternity pay.

A pure library: plain frozen dataclasses in, plain frozen dataclasses out. Nothing here
touches a database, reads the clock (``today`` is always an argument) or prints; it imports
nothing of ``payments``, ``cli`` or ``iso20022``.

The public API, in the order a caller meets it::

    from rules import (load_parameters, iter_claim_records, parse_claim, decide,
                       invalid_decision, GrantedDays, Decision, InvalidClaim, RuleError)

    params = load_parameters(extra_dirs=(operator_dir,))   # packaged TOML + overrides
    for record in iter_claim_records(path):                 # JSON / array / NDJSON / CSV
        if record.problem is not None:
            decision = invalid_decision((record.problem,))
            continue
        try:
            # the intake owns the receipt date: submitted_on in the file is refused
            claim = parse_claim(record.raw, today=today, submitted_on_allowed=False)
        except InvalidClaim as exc:
            decision = invalid_decision(exc.problems, record.raw)
            continue
        decision = decide(claim, history=granted, parameters=params)

``decide`` never raises for a decidable claim: a day without a parameter in force gives a
``Decision`` with status ``error`` and reason ``RULE_PARAM_MISSING``.

A decision's ``amount`` is the reimbursement; ``supplement`` the § 39 a supplement to an
employer's maternity refusion (``0.00`` otherwise); ``total`` what the payee receives. The
formats are documented in ``docs/`` (claim-format.md, decision.md, schemas/).
"""

from rules.claim import Claim, parse_claim
from rules.claim_file import ClaimRecord, iter_claim_records
from rules.decision import Decision, Payee, Reason, TraceStep, Week, invalid_decision
from rules.engine import decide
from rules.errors import InvalidClaim, ParameterMissing, Problem, RuleError
from rules.history import GrantedDays, same_child
from rules.parameters import Parameters, ParameterValue, load_parameters

__all__ = [
    "Claim",
    "ClaimRecord",
    "Decision",
    "GrantedDays",
    "InvalidClaim",
    "ParameterMissing",
    "ParameterValue",
    "Parameters",
    "Payee",
    "Problem",
    "Reason",
    "RuleError",
    "TraceStep",
    "Week",
    "decide",
    "invalid_decision",
    "iter_claim_records",
    "load_parameters",
    "parse_claim",
    "same_child",
]
