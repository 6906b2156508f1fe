"""The results of the camt.054 reader: returned credits and booked debits.

Named tuples, built once per transaction (a frozen dataclass costs four times as much to
build; they are as immutable). Import them from :mod:`iso20022.camt054`, which re-exports
them; what each field holds is in that module's docstring.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple


class ReturnedCredit(NamedTuple):
    """One returned payment, keyed by the ``original_end_to_end_id`` the engine wrote."""

    original_end_to_end_id: str | None
    amount: Decimal | None
    currency: str | None
    reason_code: str | None
    additional_info: str | None
    booking_date: date | None
    credit_debit: str | None
    entry_status: str | None
    original_msg_id: str | None
    original_payment_info_id: str | None
    account_servicer_ref: str | None
    notification_id: str | None
    line: int | None
    reversal: bool = False


class BookedDebit(NamedTuple):
    """One of our payments booked off the account (``DBIT``, ``BOOK``): it has left."""

    end_to_end_id: str
    amount: Decimal | None
    currency: str | None
    booking_date: date | None
    value_date: date | None
    original_msg_id: str | None
    original_payment_info_id: str | None
    account_servicer_ref: str | None
    notification_id: str | None
    line: int | None
