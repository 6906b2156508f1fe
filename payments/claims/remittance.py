"""The text on the payee's bank statement for a payment order (at most 140 characters).

It names the benefit, the days paid and the employer's reference, so the payee's
bookkeeper can match the payment to the claim:

>>> text("sickness", "cvr", "2024-04-03", "2024-04-26", "ACME-0002")
'Refusion sygedagpenge 2024-04-03..2024-04-26 ACME-0002'

When part of the order paid back recoveries (netting), the text says how much was kept
back and for which claims, in the words a Danish statement uses (*modregnet*, offset;
*tilbagebetaling*, repayment), so the bookkeeper can see why less arrived than was
decided:

>>> text("sickness", "cpr", "2024-04-03", "2024-04-26", "ACME-0002", 123456, ["ACME-0001"])
'Sygedagpenge 2024-04-03..2024-04-26 ACME-0002 modregnet 1.234,56 kr (tilbagebetaling ACME-0001)'

A text that would pass 140 characters names the first recovery and "m.fl." (and others),
then leaves the days out, then the recoveries' references; the amount kept back and the
order's own reference are always there.
"""

from __future__ import annotations

from collections.abc import Sequence

from payments import money

MAX = 140


def text(
    kind: str,
    payee_kind: str,
    first: object,
    last: object,
    ref: str,
    offset_ore: int = 0,
    recovered: Sequence[str] = (),
    supplement: tuple[int, int] = (0, 0),
) -> str:
    """The remittance of an order of benefit ``kind`` for days ``first``..``last`` of claim
    ``ref``, of which ``offset_ore`` paid back the recoveries of claims ``recovered``;
    ``supplement`` is (reimbursement, § 39 a supplement) in øre, named when there is one:
    ``… refusion 18.780,00 + tillæg § 39 a 282,00 kr``."""
    benefit = "sygedagpenge" if kind == "sickness" else "barselsdagpenge"
    lead = f"Refusion {benefit}" if payee_kind == "cvr" else benefit.capitalize()
    full = f"{lead} {first}..{last} {ref}"
    reimbursement, added = supplement
    if added:
        full += f" refusion {money.danish(reimbursement)} + tillæg § 39 a {money.danish(added)} kr"
    if not offset_ore:
        return full[:MAX]
    kept = f" modregnet {money.danish(offset_ore)} kr (tilbagebetaling"
    refs = [", ".join(recovered)] + ([f"{recovered[0]} m.fl."] if len(recovered) > 1 else [])
    for head in (full, f"{lead} {ref}"):
        for named in refs:
            candidate = f"{head}{kept} {named})" if named else f"{head}{kept})"
            if len(candidate) <= MAX:
                return candidate
    return f"{lead} {ref}{kept})"[:MAX]
