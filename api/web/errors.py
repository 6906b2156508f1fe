"""Errors on a page: ``{"field": input id, "code": stable code, "message": translated}``.

The code is the engine's own (``ID_ACCOUNT_INVALID``, ``ACCOUNT_ACTIVATION_CODE_WRONG``,
…) or the pages' (``WEB_FIELD_REQUIRED``); the message is what the visitor reads, in their
language, from :data:`MESSAGES` (msgids, translated where shown). A code without a
message here shows the engine's own English message — better than nothing, and a test of
the catalogue (tests/web) lists the codes each page can show, so a missing one is found.
Each group of pages may add its codes with :func:`add_messages`.
"""

from __future__ import annotations

from collections.abc import Callable

from api.web.i18n import N_
from payments.errors import PaymentsError

#: code -> the msgid a visitor is shown
MESSAGES: dict[str, str] = {
    "WEB_FIELD_REQUIRED": N_("Answer the question"),
    "ID_REG_NO_INVALID": N_("Enter the registration number as 4 digits, like 1234"),
    "ID_ACCOUNT_INVALID": N_("Enter the account number as 1 to 10 digits"),
    "ID_IBAN_INVALID": N_("Enter a valid IBAN, like DK50 0040 0440 1162 43"),
    "ID_BIC_INVALID": N_("Enter a valid BIC (SWIFT code) of 8 or 11 characters, or leave it out"),
    "ACCOUNT_FORM_INVALID": N_("Enter the account's registration number and account number"),
    "ACCOUNT_DATE_CONFLICT": N_("The change cannot start on this day. Try again tomorrow."),
    "ACCOUNT_ACTIVATION_CODE_WRONG": N_(
        "The code is not the one in your letter. Check it and try again. After 5 wrong "
        "codes you must register the account again."
    ),
    "ACCOUNT_ACTIVATION_LOCKED": N_(
        "The code was wrong 5 times, so the change is locked. Register the account again to "
        "get a new letter."
    ),
    "ACCOUNT_ACTIVATION_EXPIRED": N_(
        "The code is no longer valid. Register the account again to get a new letter."
    ),
    "ACCOUNT_NO_PENDING": N_("No change of your NemKonto waits for an activation code."),
    "RATE_LIMITED": N_("You have tried too many times. Wait 15 minutes and try again."),
}


def add_messages(messages: dict[str, str]) -> None:
    """Add a group of pages' codes and msgids (each group has its own codes)."""
    MESSAGES.update(messages)


def error(code: str, field: str, gettext: Callable[[str], str], fallback: str = "") -> dict:
    """One error, its message translated by ``gettext``."""
    message = MESSAGES.get(code)
    return {"field": field, "code": code, "message": gettext(message) if message else fallback}


def of(
    exc: PaymentsError,
    gettext: Callable[[str], str],
    *,
    fields: dict[str, str] | None = None,
    default: str,
) -> dict:
    """The error of an engine exception, on the input its ``field`` names (by ``fields``,
    or itself when it is one of them), else on ``default``."""
    fields = fields or {}
    field = fields.get(exc.field or "", default)
    return error(exc.code, field, gettext, fallback=exc.message)
