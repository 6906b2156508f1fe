"""The G2P Connect ID-account mapper, as NemKonto answers it: resolve, link, update, unlink.

G2P Connect (``G2P-Connect/specs``, ``src/mapper/mapper_core_api_v1.0.0.yaml``) names a
person by an *id* and a payout account by a *financial address* (FA). Here:

- an id is ``cpr:<CPR>`` or ``cvr:<CVR>``, optionally followed by ``@<provider>``
  (ignored), e.g. ``cpr:0101901234@cpr.dk``;
- an FA is ``account:<reg. no.>-<account no.>`` (a Danish account) or
  ``iban:<IBAN>[@<BIC>]``, optionally followed by ``@dk`` for a Danish account.

Both hold a ``:``, which the spec's own pattern for ids and FAs (``^[a-zA-Z0-9.-]+@…``)
does not allow although its examples (``token:12345@gtbank``) use it: the examples are
followed, not the pattern.

What each action does (one registry transaction per item, as the CLI would):

- **resolve**: is the id paid into an account today? ``succ.fa.active`` (yes),
  ``succ.id.not_found`` (no NemKonto), ``succ.fa.inactive`` (a registration waits for its
  letter's code, or the bank refused the account). With an ``fa`` in the item it verifies
  that the FA is the id's account (``succ.fa.not_linked_to_id`` when not). The account
  itself is shown only masked, only when the item asks ``scope: details`` and the token
  holds the ``mapper:details`` scope (otherwise the item is ``rjct.resolve_type.not_supported``);
  NemKonto never resolves an FA to its owner (an item without an id is refused likewise).
  Answered by :func:`payments.registry.lookup.resolve`, one query per 1,000 ids.
- **link** and **update**: NemKonto's "an authority assigns an account". The registration
  waits for the owner to activate it with the code sent by letter, so the item's status is
  ``pdng`` (the spec's pending), or ``succ`` when the account already is the owner's active
  NemKonto. ``update`` needs an existing registration (``rjct.id.invalid`` otherwise); a
  company's NemKonto is registered through its bank only (``rjct.id.invalid``).
- **unlink**: ends the owner's NemKonto (``reason``: ``owner_request`` unless given); with an
  ``fa``, only when it is the owner's current account.

Every item also carries ``code``: the engine's stable code when it was refused (an extension
of the spec's item, which has only the coarser reason codes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from identifiers import CODES, IdentifierError, mask_account, parse_owner
from payments.db import read_connection, session_scope
from payments.errors import PaymentsError
from payments.registry import lookup, service
from payments.registry.lifecycle import CLOSE_REASONS, Account
from payments.statuses import HoldReason

ACTIONS = ("resolve", "link", "update", "unlink")
MAX_ITEMS = 1000
_ID = re.compile(r"(?i)(cpr|cvr):([0-9 -]{8,11})(?:@[A-Za-z0-9.-]+)?")
_ACCOUNT = re.compile(r"(?i)account:(\d{4})-(\d{1,10})(?:@dk)?")
_IBAN = re.compile(r"(?i)iban:([A-Za-z0-9 ]{15,42})(?:@([A-Za-z0-9]{8}|[A-Za-z0-9]{11}))?")
_FA_CODES = {"ACCOUNT_FORM_INVALID"} | {
    c for c in CODES if c.split("_")[1] in ("REG", "ACCOUNT", "IBAN", "BIC")
}
_ID_CODES = {"ACCOUNT_CHANNEL_NOT_ALLOWED", "ACCOUNT_NOT_FOUND"} | {
    c for c in CODES if c.split("_")[1] in ("CPR", "CVR", "OWNER")
}


class ItemRefused(Exception):
    """One item cannot be done: the G2P reason code and the engine's code."""

    def __init__(self, reason: str, code: str | None, message: str) -> None:
        super().__init__(message)
        self.reason, self.code, self.message = reason, code, message


def _refused(exc: PaymentsError | IdentifierError) -> ItemRefused:
    if exc.code in _ID_CODES:
        reason = "rjct.id.invalid"
    elif exc.code in _FA_CODES:
        reason = "rjct.fa.invalid"
    else:
        reason = "rjct.other.error"
    return ItemRefused(reason, exc.code, exc.message)


def parse_id(text: object, on: dt.date) -> tuple[str, str]:
    """``cpr:…`` / ``cvr:…`` as an owner key, or ``rjct.id.invalid``."""
    match = _ID.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ItemRefused("rjct.id.invalid", None, "an id is cpr:<CPR> or cvr:<CVR>")
    try:
        return tuple(parse_owner(match.group(1).lower(), match.group(2), "id", on=on))
    except IdentifierError as exc:
        raise _refused(exc) from None


def parse_fa(text: object) -> Account:
    """``account:RRRR-AAAAAAAAAA`` / ``iban:…[@BIC]`` as an account, or ``rjct.fa.invalid``."""
    text = text.strip() if isinstance(text, str) else ""
    try:
        if match := _ACCOUNT.fullmatch(text):
            return Account.parse(reg_no=match.group(1), account_no=match.group(2))
        if match := _IBAN.fullmatch(text):
            return Account.parse(iban=match.group(1), bic=match.group(2))
    except (PaymentsError, IdentifierError) as exc:
        raise _refused(exc) from None
    raise ItemRefused(
        "rjct.fa.invalid", None, "an fa is account:<reg. no.>-<account no.> or iban:<IBAN>"
    )


def _answer(item: dict[str, Any], now: dt.datetime, fields: dict[str, Any]) -> dict[str, Any]:
    """The item's answer: the spec's fields in their order (``fields`` sets any of them),
    then the rest of ``fields`` in theirs."""
    answer = {
        "reference_id": item["reference_id"],
        "timestamp": now,
        "status": "succ",
        "status_reason_code": None,
        "status_reason_message": None,
        "code": None,
    }
    answer.update(fields)
    return answer


def _each(
    items: list[dict[str, Any]], now: dt.datetime, do: Callable[[dict[str, Any]], dict]
) -> list[dict[str, Any]]:
    """Answer every item; a reference id seen before in the message is refused."""
    seen: set[str] = set()
    out = []
    for item in items:
        ref = item["reference_id"]
        if ref in seen:
            out.append(
                _answer(
                    item,
                    now,
                    {
                        "status": "rjct",
                        "status_reason_code": "rjct.reference_id.duplicate",
                        "status_reason_message": "the reference_id appears twice in the message",
                    },
                )
            )
            continue
        seen.add(ref)
        try:
            out.append(_answer(item, now, do(item)))
        except ItemRefused as refused:
            out.append(
                _answer(
                    item,
                    now,
                    {
                        "status": "rjct",
                        "status_reason_code": refused.reason,
                        "status_reason_message": refused.message,
                        "code": refused.code,
                    },
                )
            )
    return out


# -- resolve -----------------------------------------------------------------------------------


def _fa_of(found: lookup.Resolution) -> str:
    masked = mask_account(found.reg_no, found.account_no, found.iban)
    return f"iban:{masked}" if found.iban else f"account:{masked}"


def resolve(
    engine: Engine,
    items: list[dict[str, Any]],
    *,
    details_allowed: bool,
    on: dt.date,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Answer resolve items; see the module docstring."""
    owners: dict[int, tuple[str, str]] = {}
    early: dict[int, ItemRefused] = {}
    for n, item in enumerate(items):
        try:
            if not item.get("id"):
                raise ItemRefused(
                    "rjct.resolve_type.not_supported",
                    None,
                    "NemKonto resolves an id to its account, never an account to its owner",
                )
            if item.get("scope") == "details" and not details_allowed:
                raise ItemRefused(
                    "rjct.resolve_type.not_supported",
                    "AUTH_FORBIDDEN",
                    "your token does not allow scope details (mapper:details)",
                )
            owners[n] = parse_id(item["id"], on)
            if item.get("fa"):
                item["_account"] = parse_fa(item["fa"])
        except ItemRefused as refused:
            early[n] = refused
    with read_connection(engine) as conn:  # each item answered by one statement (1000 a time)
        found = lookup.resolve(conn, list(dict.fromkeys(owners.values())), on)
    index = {id(item): n for n, item in enumerate(items)}

    def one(item: dict[str, Any]) -> dict[str, Any]:
        n = index[id(item)]
        if n in early:
            raise early[n]
        answer = found[owners[n]]
        if answer.registration_id is None or answer.reason is not None:
            code = (
                "succ.id.not_found"
                if answer.reason == HoldReason.NO_ACCOUNT
                else "succ.fa.inactive"
            )
            out: dict[str, Any] = {"status_reason_code": code}
            if item.get("scope") == "details":
                out["reason"] = answer.reason
            return {"id": item["id"], **out}
        given = item.get("_account")
        if given is not None and given != Account(
            answer.reg_no, answer.account_no, answer.iban, answer.bic if given.bic else None
        ):
            return {"id": item["id"], "status_reason_code": "succ.fa.not_linked_to_id"}
        out = {"id": item["id"], "status_reason_code": "succ.fa.active"}
        if item.get("scope") == "details":
            out |= {
                "fa": _fa_of(answer),
                "account_provider_info": {
                    "name": "NemKonto",
                    "code": answer.bic or answer.reg_no or "",
                },
                "active_from": answer.active_from,
            }
        return out

    return _each(items, now, one)


# -- link, update, unlink ------------------------------------------------------------------------


def _has_registration(engine: Engine, owner: tuple[str, str], actor: str, now) -> bool:
    views = service.history(engine, *owner, reveal=False, actor=actor, now=now)
    return any(v["ended_on"] is None for v in views)


def link(
    engine: Engine,
    items: list[dict[str, Any]],
    *,
    update: bool,
    actor: str,
    on: dt.date,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Register each item's FA for its id, waiting for the owner's letter code."""

    def one(item: dict[str, Any]) -> dict[str, Any]:
        owner = parse_id(item.get("id"), on)
        account = parse_fa(item.get("fa"))
        try:
            if update and not _has_registration(engine, owner, actor, now):
                raise PaymentsError(
                    "ACCOUNT_NOT_FOUND", "the id has no NemKonto to update; link one", "id"
                )
            change = service.register(
                engine, *owner, account, channel="authority", actor=actor, on=on, now=now
            )
        except (PaymentsError, IdentifierError) as exc:
            raise _refused(exc) from None
        return {
            "id": item["id"],
            "fa": f"{item['fa'].split(':', 1)[0].lower()}:{account.mask()}",
            "status": "succ" if change.outcome == "unchanged" else "pdng",
            "status_reason_message": None
            if change.outcome == "unchanged"
            else "the owner activates the account with the code sent by letter",
        }

    return _each(items, now, one)


def unlink(
    engine: Engine, items: list[dict[str, Any]], *, actor: str, on: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """End each item's id's NemKonto (and any request waiting for its code)."""

    def one(item: dict[str, Any]) -> dict[str, Any]:
        owner = parse_id(item.get("id"), on)
        reason = item.get("reason") or "owner_request"
        if reason not in CLOSE_REASONS:
            raise ItemRefused(
                "rjct.other.error",
                "ACCOUNT_CLOSE_REASON_INVALID",
                f"reason is one of {', '.join(CLOSE_REASONS)}",
            )
        if item.get("fa"):
            given = parse_fa(item["fa"])
            with session_scope(engine) as session:
                current = lookup.resolve(session, [owner], on)[owner]
            if current.registration_id is None or given != Account(
                current.reg_no, current.account_no, current.iban, current.bic if given.bic else None
            ):
                raise ItemRefused(
                    "rjct.fa.invalid",
                    "ACCOUNT_CLOSE_MISMATCH",
                    "the fa is not the id's current NemKonto",
                )
        try:
            service.close(engine, *owner, reason, actor=actor, on=on, now=now)
        except (PaymentsError, IdentifierError) as exc:
            raise _refused(exc) from None
        return {"id": item["id"]}

    return _each(items, now, one)
