"""Money: Decimal kroner in Python, integer øre in the database — converted here only.

Every amount the engine stores is whole øre in a ``BIGINT`` column named ``*_ore``; every
amount it computes or shows is a ``Decimal`` in kroner. These three functions are the only
crossings between the two, so rounding can never differ from one module to the next:

- :func:`ore` refuses an amount that is not whole øre (``MONEY_NOT_WHOLE_ORE``) instead of
  rounding or truncating it: amounts are rounded by the rules, at the points the law
  names, never on the way into the database;
- :func:`kr` gives exactly two decimals;
- :func:`text` is the amount as text: two decimals, a point, no thousands separator — the
  form of the decision JSON, the API, and the pain.001 files;
- :func:`danish` is the amount as a Danish bookkeeper writes it (``1.234,56``): the form of
  the text on the payee's bank statement (a payment's remittance).

>>> ore(Decimal("16901.75")), ore(4695), ore("0.10")
(1690175, 469500, 10)
>>> kr(1690175), text(1690175), text(5)
(Decimal('16901.75'), '16901.75', '0.05')
>>> danish(123456), danish(5), danish(123456789012)
('1.234,56', '0,05', '1.234.567.890,12')
>>> ore(Decimal("1.005"))
Traceback (most recent call last):
...
payments.errors.InputError: MONEY_NOT_WHOLE_ORE: 1.005 kr is not a whole number of øre
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from payments.errors import InputError

ORE_PER_KRONE = 100


def ore(amount: Decimal | int | str) -> int:
    """``amount`` kroner as whole øre; an amount with a fraction of an øre is refused."""
    try:
        value = Decimal(amount) * ORE_PER_KRONE
        whole = value.to_integral_value()
    except (InvalidOperation, TypeError, ValueError):
        raise InputError("MONEY_NOT_WHOLE_ORE", f"{amount!r} is not an amount", "amount") from None
    if not value.is_finite() or value != whole:
        raise InputError(
            "MONEY_NOT_WHOLE_ORE", f"{amount} kr is not a whole number of øre", "amount"
        )
    return int(whole)


def kr(amount_ore: int) -> Decimal:
    """``amount_ore`` øre as kroner with exactly two decimals."""
    return Decimal(amount_ore).scaleb(-2)


def text(amount_ore: int) -> str:
    """``amount_ore`` øre as ``"16901.75"``: two decimals, no thousands separator."""
    return str(kr(amount_ore))


def danish(amount_ore: int) -> str:
    """``amount_ore`` øre as ``"1.234,56"``: a point between thousands, a decimal comma."""
    return f"{kr(amount_ore):,}".replace(",", "_").replace(".", ",").replace("_", ".")
