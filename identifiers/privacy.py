"""What may be shown of a CPR or an account number, and how to recognise a full one.

Human output shows ``010190-****`` for a CPR and ``****1234`` for an account; a full
number is shown only on an explicit request, which the caller audits. :func:`holds_full_number`
is the one pattern of "a full CPR or 10-digit account number inside a text": the audit log
refuses payloads that hold one, and claim references may not hold one (they are printed
on the payee's bank statement).

>>> mask_owner("cpr", "0101901234"), mask_owner("cvr", "13585628")
('010190-****', '13585628')
>>> mask_account("1234", "0000056789", None), mask_account(None, None, "DK5000400440116243")
('****6789', '****6243')
>>> holds_full_number("ref 010190-1234"), holds_full_number("sha 0123456789abcdef")
(True, False)

A decision document holds the payee's number in full (the format shows it) and may quote
a CPR elsewhere; :func:`mask_decision` is what every JSON output shows of it without an
explicit, audited reveal — the CLI and the API alike.

>>> mask_decision({"payee": {"kind": "cpr", "number": "0101901234"}, "note": "CPR 0101901234"})
{'payee': {'kind': 'cpr', 'number': '010190-****'}, 'note': 'CPR 010190-****'}
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# A full CPR or 10-digit account number as its own token: not part of a longer run of
# letters and digits (a SHA-256 in hex often holds ten digits in a row; that is no CPR).
FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z*])\d{6}-?\d{4}(?![0-9A-Za-z*])")


def holds_full_number(text: str) -> bool:
    """Whether ``text`` holds a full CPR or account number."""
    return FULL_NUMBER.search(text) is not None


def mask_numbers(text: str) -> str:
    """``text`` with every full CPR or 10-digit account number in it masked as a CPR is
    (``010190-****``): a number of that shape is treated as a person's."""
    return FULL_NUMBER.sub(lambda m: m.group()[:6] + "-****", text)


def masked(value: Any) -> Any:
    """A JSON-like value with :func:`mask_numbers` applied to every string in it, keys
    included (numbers are amounts and counts, never identifiers)."""
    if isinstance(value, str):
        return mask_numbers(value) if FULL_NUMBER.search(value) else value
    if isinstance(value, dict):
        return {masked(k): masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def mask_decision(document: dict[str, Any]) -> dict[str, Any]:
    """A decision document as shown without ``--reveal``: a CPR payee's number masked, and
    every full number anywhere else in it (a CVR payee is public and stays).

    ``claims submit --json`` shows 100,000 documents of 9 KB: the payee is masked in a
    shallow copy, and the rest is walked (~300 µs) only when its JSON may hold a full
    number at all (:func:`may_hold_full_number`, ~25 µs)."""
    out = dict(document)
    payee = out.get("payee")
    if isinstance(payee, dict) and payee.get("kind") == "cpr" and payee.get("number"):
        out["payee"] = payee | {"number": mask_owner("cpr", str(payee["number"]))}
    if may_hold_full_number(orjson.dumps(out, default=str)):
        out = masked(out)
    return out


# ASCII digits, and every byte of a non-ASCII character (a digit of another script may be
# one), as "0"; "-" as itself; anything else as " "
_DIGITISH = bytes(48 if 48 <= i <= 57 or i >= 128 else 45 if i == 45 else 32 for i in range(256))


def may_hold_full_number(data: bytes) -> bool:
    """False only when UTF-8 ``data`` cannot hold what :data:`FULL_NUMBER` finds: a run of
    ten digits, or six and four around a hyphen. Two C-speed passes over the bytes, where
    the regular expression takes ~30 ns a character."""
    shape = data.translate(_DIGITISH)
    return b"0000000000" in shape or b"000000-0000" in shape


def mask_tail(text: str, keep: int = 4) -> str:
    return "****" + text[-keep:]


def mask_owner(kind: str, number: str) -> str:
    """Masked display of an owner key: a CPR masked, a CVR (public) shown."""
    return f"{number.replace('-', '')[:6]}-****" if kind == "cpr" else number


def mask_account(reg_no: str | None, account_no: str | None, iban: str | None) -> str:
    """Masked display of a stored account: ``****1234`` from the account number or IBAN."""
    return mask_tail(iban) if iban else mask_tail(account_no or "")
