"""Errors on a page: ``{"field": input id, "code": stable code, "message": translated}``.

The code is the engine's own (``ID_ACCOUNT_INVALID``, ``ACCOUNT_ACTIVATION_CODE_WRONG``,
…) or the pages' (``WEB_FIELD_REQUIRED``); the message is what the visitor reads, in their
language, from :data:`MESSAGES` (msgids, translated where shown). A code without a
message here shows the engine's own English message — better than nothing, and a test of
the catalogue (tests/web) lists the codes each page can show, so a missing one is found.
Each group of pages may add its codes with :func:`add_messages`.

An error on an input names that input (GOV.UK's error message: "Enter the first day of
absence", never "Fill in the field" for several fields at once, so that each link of the
error summary says which field it leads to). A form keeps its inputs' labels in one table
of :class:`Field` (input id -> label msgid and kind); the template shows those labels, and
the message is built from the same label by a translatable pattern of
:data:`FIELD_MESSAGES` (code, kind of input) — so a label and the errors that name it
cannot drift apart, and a translator words each pattern once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from api.web.i18n import N_
from payments.errors import PaymentsError

#: code -> the msgid a visitor is shown (where no pattern of :data:`FIELD_MESSAGES`
#: names the input: the account's codes are worded there)
MESSAGES: dict[str, str] = {
    "WEB_FIELD_REQUIRED": N_("Answer the question"),
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


class Field(NamedTuple):
    """One input of a form: its label (a msgid: the page shows it, and errors name the
    input by it) and its kind (``text``, ``date``, ``number``, ``whole``, ``list``,
    ``choice``, ``checkbox``, ``file``), which picks the words of an error on it."""

    label: str
    kind: str = "text"


REQUIRED = ("WEB_FIELD_REQUIRED", "CLAIM_FIELD_MISSING")
#: (code, kind of input or None for any) -> msgid of the error naming the input by its
#: label (``%(label)s``, translated)
FIELD_MESSAGES: dict[tuple[str, str | None], str] = {
    **{(code, None): N_("Enter “%(label)s”") for code in REQUIRED},
    **{(code, "choice"): N_("Answer “%(label)s”") for code in REQUIRED},
    ("REQUEST_INVALID", "file"): N_("Choose “%(label)s”"),
    ("CLAIM_FIELD_TYPE", None): N_("Enter “%(label)s” in the form its hint shows"),
    ("CLAIM_FIELD_TYPE", "date"): N_("Enter “%(label)s” as a date, like 2024-03-04"),
    ("CLAIM_FIELD_TYPE", "number"): N_("Enter “%(label)s” as a number, like 37 or 37.5"),
    ("CLAIM_FIELD_TYPE", "whole"): N_("Enter “%(label)s” as a whole number"),
    ("CLAIM_FIELD_TYPE", "list"): N_("Enter “%(label)s” as numbers separated by spaces"),
    ("CLAIM_FIELD_TYPE", "choice"): N_("Answer “%(label)s”"),
    ("CLAIM_FIELD_TYPE", "checkbox"): N_("Tick “%(label)s” or leave it empty"),
    ("CLAIM_FIELD_RANGE", None): N_("“%(label)s” is outside what the field allows"),
    ("CLAIM_FIELD_CHOICE", None): N_("Choose one of the answers to “%(label)s”"),
    ("CLAIM_MONTHLY_HOURS_LENGTH", None): N_("Enter one number for each month in “%(label)s”"),
    ("ID_CPR_INVALID", None): N_("Enter “%(label)s” as 10 digits, like DDMMYY-NNNN"),
    ("BATCH_DATE_INVALID", None): N_("Enter “%(label)s” as YYYY-MM-DD, like 2024-06-03"),
    ("ID_REG_NO_INVALID", None): N_("Enter “%(label)s” as 4 digits, like 1234"),
    ("ID_ACCOUNT_INVALID", None): N_("Enter “%(label)s” as 1 to 10 digits"),
    ("ID_IBAN_INVALID", None): N_("Enter “%(label)s” as a valid IBAN, like DK50 0040 0440 1162 43"),
    ("ID_BIC_INVALID", None): N_(
        "Enter “%(label)s” as a BIC of 8 or 11 characters, or leave it empty"
    ),
}
#: the error naming its input for a code no pattern words (the code's own text, or the
#: engine's, is shown beside it)
CHECK_FIELD = N_("Check “%(label)s”")


def field_message(
    code: str, field: str, fields: Mapping[str, Field], gettext: Callable[[str], str]
) -> str | None:
    """The message of ``code`` naming the input ``field`` by its label, when ``fields``
    labels it and a pattern words the code (for its kind of input, else for any); else
    None."""
    found = fields.get(field)
    if found is None:
        return None
    pattern = FIELD_MESSAGES.get((code, found.kind)) or FIELD_MESSAGES.get((code, None))
    return gettext(pattern) % {"label": gettext(found.label)} if pattern else None


def labels(fields: Mapping[str, Field], gettext: Callable[[str], str]) -> dict[str, str]:
    """The form's labels translated (input id -> label), as its template shows them."""
    return {name: gettext(field.label) for name, field in fields.items()}


def add_messages(messages: dict[str, str]) -> None:
    """Add a group of pages' codes and msgids (each group has its own codes)."""
    MESSAGES.update(messages)


def error(
    code: str,
    field: str,
    gettext: Callable[[str], str],
    fallback: str = "",
    *,
    fields: Mapping[str, Field] | None = None,
) -> dict:
    """One error, its message translated by ``gettext``: naming its input by the label of
    ``fields`` when a pattern words the code, else the code's message, else ``fallback``."""
    named = field_message(code, field, fields or {}, gettext)
    message = MESSAGES.get(code)
    text = named or (gettext(message) if message else fallback)
    return {"field": field, "code": code, "message": text}


def of(
    exc: PaymentsError,
    gettext: Callable[[str], str],
    *,
    fields: dict[str, str] | None = None,
    default: str,
    labels: Mapping[str, Field] | None = None,
) -> dict:
    """The error of an engine exception, on the input its ``field`` names (by ``fields``,
    or itself when it is one of them), else on ``default``; named by its label in
    ``labels`` (see :func:`error`)."""
    fields = fields or {}
    field = fields.get(exc.field or "", default)
    return error(exc.code, field, gettext, fallback=exc.message, fields=labels)
