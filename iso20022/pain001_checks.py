"""The checks of the pain.001 writer's values, each raising a coded error with the field.

Kept apart from :mod:`iso20022.pain001` (which inlines the fast path of the common ones in
its hot loop) so that each rule lives once. Every check returns the value to write.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from iso20022.errors import Pain001Error
from iso20022.pain001_types import DECIMAL_CONTEXT

VERSIONS = ("001.001.03", "001.001.09")
CURRENCY = "DKK"
TEXT_MAX = 140  # remittance, debtor and initiating party names
CREDITOR_NAME_MAX = 70  # Cdtr/Nm, as the banks' guides take it (the XSDs allow 140)
MAX_TX_PER_PAYMENT_INFO = 9_999  # Nordea's limit of transactions per PmtInf
CHARGE_BEARERS = ("SHAR", "DEBT", "CRED", "SLEV")

CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal(10) ** 16  # totalDigits 18 with two decimals
IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
DK_IBAN = re.compile(r"DK[0-9]{16}")  # fast path: "DK" is 13 20 in the mod-97 digits
AMOUNT_TEXT = re.compile(r"[1-9][0-9]{0,15}\.[0-9]{2}|0\.(?!00)[0-9]{2}")
IBAN_DIGITS = {ord(c): str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
BIC = {  # the XSD patterns: BICIdentifier (.03), BICFIDec2014Identifier (.09)
    "001.001.03": re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?"),
    "001.001.09": re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?"),
}
REG_NO = re.compile(r"[0-9]{4}")
ACCOUNT_NO = re.compile(r"[0-9]{1,10}")
CODE = re.compile(r"[A-Za-z0-9]{1,4}")
COUNTRY = re.compile(r"[A-Z]{2}")  # the XSD's CountryCode


def fail(message: str, field: str) -> Pain001Error:
    return Pain001Error("PAIN001_INVALID_INPUT", message, field)


def amount(value: object, field: str) -> Decimal:
    """``value`` as a Decimal with exactly two decimals, or an error."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise fail(f"amount must be a finite Decimal, not {value!r}", field)
    try:
        cents = value.quantize(CENT, context=DECIMAL_CONTEXT)
    except InvalidOperation:
        raise fail(f"amount {value} is too large", field) from None
    if cents != value:
        raise fail(f"amount {value} has fractions of an øre; round it first", field)
    if cents <= 0 or cents >= AMOUNT_LIMIT:
        raise fail(f"amount {value} must be positive and below 10^16", field)
    return cents


def count(value: object, field: str, limit: int = 10**15 - 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 10**15:
        raise fail(f"a number of transactions must be an int from 1, not {value!r}", field)
    if value > limit:
        raise fail(f"{value:,} transactions; the banks accept at most {limit:,} here", field)
    return value


def iban(value: object, field: str) -> str:
    if not isinstance(value, str) or not IBAN.fullmatch(value):
        raise fail(f"{value!r} is not an IBAN in compact upper-case form", field)
    if value.startswith("DK") and len(value) != 18:
        raise fail(f"{value!r}: a Danish IBAN has 18 characters", field)
    if int((value[4:] + value[:4]).translate(IBAN_DIGITS)) % 97 != 1:
        raise fail(f"{value!r}: the IBAN check digits are wrong", field)
    return value


def code(value: object, field: str) -> str:
    if not isinstance(value, str) or not CODE.fullmatch(value):
        raise fail(f"{value!r} is not a code of 1-4 letters or digits", field)
    return value


def country(value: object, field: str) -> str:
    if not isinstance(value, str) or not COUNTRY.fullmatch(value):
        raise fail(f"{value!r} is not an ISO 3166 country code of two capital letters", field)
    return value


def domestic(reg: object, number: object, field: str) -> str:
    """A Danish account as the 14 digits of ``Othr/Id``: reg. no. + account no. padded."""
    if not (isinstance(reg, str) and REG_NO.fullmatch(reg)):
        raise fail(f"registration number {reg!r} must be 4 digits", field)
    if not (isinstance(number, str) and ACCOUNT_NO.fullmatch(number)):
        raise fail(f"account number {number!r} must be 1-10 digits", field)
    return reg + number.zfill(10)
