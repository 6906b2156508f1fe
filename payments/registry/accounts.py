"""Facts about an account and its owner: one key per real account, and the owner's name.

A Danish IBAN (``DK`` + 2 check digits + 4-digit registration number + 10-digit account
number) is the same account as its registration and account number; any other IBAN is
itself. The key serves the shared-account report (one account registered by many owners,
a money-mule signal) and a bank's rejection of an account, which concerns every owner whose
current NemKonto it is, not only the one whose payment came back.

>>> account_key("1234", "0000056789", None), account_key(None, None, "DK5012340000056789")
('12340000056789', '12340000056789')
>>> account_key(None, None, "DE89370400440532013000")
'DE89370400440532013000'
"""

from __future__ import annotations

from payments.errors import InputError

#: the payee's name in payment files (``Cdtr/Nm``) holds at most 70 characters
NAME_MAX = 70

#: the key as SQL over a registrations table's columns (unqualified)
ACCOUNT_KEY_SQL = (
    "CASE WHEN iban LIKE 'DK%' THEN substr(iban, 5, 14) "
    "WHEN iban IS NOT NULL THEN iban ELSE reg_no || account_no END"
)


def account_key(reg_no: str | None, account_no: str | None, iban: str | None) -> str:
    if iban:
        return iban[4:18] if iban.startswith("DK") else iban
    return f"{reg_no}{account_no}"


def owner_name(text: str | None, field: str = "name") -> str | None:
    """An owner's name as given (white space folded), or None; at most 70 printable
    characters (the payment files' ``Cdtr/Nm``)."""
    name = " ".join((text or "").split())
    if not name:
        return None
    if len(name) > NAME_MAX or not name.isprintable():
        raise InputError(
            "IMPORT_NAME_INVALID", f"a name is at most {NAME_MAX} printable characters", field
        )
    return name
