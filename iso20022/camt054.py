"""Streaming reader of returned credits in camt.054 (Bank to Customer Debit/Credit Notification).

``read(path)`` parses the group header and returns a :class:`Notification`;
``notification.returns`` is an iterator of one :class:`ReturnedCredit` per transaction
(``Ntry/NtryDtls/TxDtls``) that carries return information (``RtrInf``): a credit transfer
the creditor's bank sent back after settlement. Entries without ``RtrInf`` (ordinary
bookings) are skipped. Each access starts a fresh streaming pass with the defences of
:mod:`iso20022.xml` and constant memory. Versions: camt.054.001.02 and .08 (any
``camt.054.001.NN`` is read; the element names used have not changed).

Choices for what the standard leaves open:

* original end-to-end id: ``TxDtls/Refs/EndToEndId`` (the id of the payment returned);
* amount: the transaction's own ``Amt`` (.08), else ``AmtDtls/TxAmt/Amt``, else
  ``AmtDtls/InstdAmt/Amt``; when the bank gives none of these and the entry holds a single
  transaction, the entry's ``Amt``; when an entry holds several transactions and one of them
  has no amount of its own, its ``amount`` is ``None`` (guessing would misstate money);
* reason: ``RtrInf/Rsn/Cd`` (ISO external return reason such as ``AC04``), or
  ``Rsn/Prtry`` when there is no code; ``AddtlInf`` texts joined with a space;
* booking date: the entry's ``BookgDt/Dt`` (or the date of ``BookgDt/DtTm``), if any;
* the bank's reference: ``Refs/AcctSvcrRef`` of the transaction, else of the entry;
* ``credit_debit`` is the transaction's ``CdtDbtInd``, else the entry's: a returned credit
  transfer is a ``CRDT`` to the debtor's account; the caller decides what to do with others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError

FAMILY = "camt.054"


@dataclass(frozen=True, slots=True)
class ReturnedCredit:
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


@dataclass(frozen=True, slots=True)
class Notification:
    """The header of a camt.054; ``returns`` streams its returned credits."""

    path: str
    message_type: str
    msg_id: str
    created_at: datetime | None
    max_bytes: int = xml.DEFAULT_MAX_BYTES

    @property
    def returns(self) -> Iterator[ReturnedCredit]:
        """The transactions with ``RtrInf``, in file order (a new pass per access)."""
        return self._returns()

    def _returns(self) -> Iterator[ReturnedCredit]:
        notification_id: str | None = None
        entry: _Entry | None = None
        pending: ReturnedCredit | None = None  # waits for the entry's end (see module doc)
        for event, element in xml.iterparse(
            self.path,
            events=("start", "end"),
            tag=("{*}Ntfctn", "{*}Ntry", "{*}TxDtls"),
            max_bytes=self.max_bytes,
        ):
            name = xml.localname(element)
            if event == "start":
                if name == "Ntry":
                    entry, pending = None, None
                continue
            if name == "TxDtls":
                ntry = element.getparent().getparent()
                if entry is None:
                    entry = _Entry.of(ntry)
                    notification_id = xml.text(ntry.getparent(), "Id")
                entry.transactions += 1
                if pending is not None:
                    yield pending  # a second transaction: the entry amount is not its own
                    pending = None
                credit = _returned_credit(element, entry, notification_id)
                if credit is not None and credit.amount is None and entry.transactions == 1:
                    pending = credit
                elif credit is not None:
                    yield credit
            elif name == "Ntry":
                if pending is not None:
                    yield replace(pending, amount=entry.amount, currency=entry.currency)
                    pending = None
            xml.release(element)


class _Entry:
    """What a ``Ntry`` says before its transactions (read once, at its first ``TxDtls``)."""

    __slots__ = (
        "amount",
        "currency",
        "credit_debit",
        "status",
        "booking_date",
        "reference",
        "transactions",
    )

    @classmethod
    def of(cls, ntry: etree._Element) -> _Entry:
        self = cls()
        amt = xml.find(ntry, "Amt")
        self.amount = _amount(amt)
        self.currency = amt.get("Ccy") if amt is not None else None
        self.credit_debit = xml.text(ntry, "CdtDbtInd")
        self.status = (
            xml.text(ntry, "Sts/Cd") or xml.text(ntry, "Sts/Prtry") or xml.text(ntry, "Sts")
        )
        booked = xml.find(ntry, "BookgDt")
        day = xml.text(booked, "Dt") or xml.text(booked, "DtTm")
        self.booking_date = xml.to_date(day, booked, "BookgDt") if booked is not None else None
        self.reference = xml.text(ntry, "AcctSvcrRef")
        self.transactions = 0
        return self


def _amount(element: etree._Element | None) -> Decimal | None:
    if element is None:
        return None
    return xml.to_decimal((element.text or "").strip(), element, "amount")


def _returned_credit(
    tx: etree._Element, entry: _Entry, notification_id: str | None
) -> ReturnedCredit | None:
    ret = xml.find(tx, "RtrInf")
    if ret is None:
        return None
    amount_el = next(
        (
            el
            for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt")
            if (el := xml.find(tx, path)) is not None
        ),
        None,
    )
    info = " ".join(
        t.text.strip() for t in ret.iterfind("{*}AddtlInf") if t.text and t.text.strip()
    )
    return ReturnedCredit(
        original_end_to_end_id=xml.text(tx, "Refs/EndToEndId"),
        amount=_amount(amount_el),
        currency=amount_el.get("Ccy") if amount_el is not None else None,
        reason_code=xml.text(ret, "Rsn/Cd") or xml.text(ret, "Rsn/Prtry"),
        additional_info=info or None,
        booking_date=entry.booking_date,
        credit_debit=xml.text(tx, "CdtDbtInd") or entry.credit_debit,
        entry_status=entry.status,
        original_msg_id=xml.text(tx, "Refs/MsgId"),
        original_payment_info_id=xml.text(tx, "Refs/PmtInfId"),
        account_servicer_ref=xml.text(tx, "Refs/AcctSvcrRef") or entry.reference,
        notification_id=notification_id,
        line=tx.sourceline,
    )


def read(path: str | os.PathLike[str], *, max_bytes: int = xml.DEFAULT_MAX_BYTES) -> Notification:
    """Read the header of the camt.054 at ``path``; raises a coded error if it is not one."""
    message_type = xml.expect(xml.sniff(path, max_bytes=max_bytes), FAMILY)
    header = None
    for _event, element in xml.iterparse(
        path, events=("end",), tag="{*}GrpHdr", max_bytes=max_bytes
    ):
        header = element
        break
    msg_id = xml.text(header, "MsgId")
    if header is None or msg_id is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the notification has no GrpHdr/MsgId")
    created = xml.find(header, "CreDtTm")
    return Notification(
        path=os.fspath(path),
        message_type=message_type,
        msg_id=msg_id,
        created_at=xml.to_datetime(xml.text(header, "CreDtTm"), created, "CreDtTm")
        if created is not None
        else None,
        max_bytes=max_bytes,
    )
