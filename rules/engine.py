"""``decide()``: dispatch a claim to its rule module and keep errors inside the decision.

A missing legal parameter is not an exception for the caller: it becomes a decision with
status ``error``, reason ``RULE_PARAM_MISSING`` naming the parameter and the day, amount
0.00, and the trace up to the step that needed it. Validation is not repeated here:
``decide`` takes a ``Claim`` that ``parse_claim`` built (or that a caller built with the same
guarantees).
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.claim import Claim
from rules.decision import Decision
from rules.errors import ParameterMissing
from rules.history import GrantedDays
from rules.maternity import decide_maternity
from rules.parameters import Parameters, load_parameters
from rules.recorder import Recorder
from rules.sickness import decide_sickness

__all__ = ["decide"]

_MODULES = {"sickness": decide_sickness, "maternity": decide_maternity}


def decide(
    claim: Claim,
    history: Iterable[GrantedDays] = (),
    parameters: Parameters | None = None,
) -> Decision:
    """Decide ``claim`` given the days ``history`` says were granted before.

    ``parameters`` defaults to the packaged parameter set (``load_parameters()``); pass
    ``load_parameters(extra_dirs=(operator_dir,))`` to include an operator's overrides.
    See ``rules.history`` for what ``history`` must hold.
    """
    module = _MODULES.get(claim.kind)
    if module is None:
        raise ValueError(f"unknown claim kind {claim.kind!r}")
    params = parameters if parameters is not None else load_parameters()
    rec = Recorder(claim)
    try:
        return module(claim, tuple(history), params, rec)
    except ParameterMissing as exc:
        return rec.error(exc, params)
