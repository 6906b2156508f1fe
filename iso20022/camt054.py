"""Streaming reader of camt.054 (Bank to Customer Debit/Credit Notification).

``read(path)`` parses the group header and returns a :class:`Notification`. Its streams,
each a fresh pass with the defences of :mod:`iso20022.xml` and constant memory, yield one
item per transaction (``Ntry/NtryDtls/TxDtls``) that matters to a paying agency:

* ``notification.returns``: a :class:`ReturnedCredit` for each transaction with return
  information (``RtrInf``): a credit transfer the creditor's bank sent back after
  settlement;
* ``notification.booked_debits``: a :class:`BookedDebit` for each transaction that confirms
  one of our payments left the account: an entry ``CdtDbtInd = DBIT`` with status ``BOOK``,
  not a reversal (``RvslInd``), whose transaction is a debit without ``RtrInf`` and names
  its ``Refs/EndToEndId``. The engine settles the order on it. A debit entry without
  transaction details (a batch booking reported as one sum) confirms no single payment and
  is skipped, as are pending (``PDNG``) and information (``INFO``) entries;
* ``notification.entries``: both kinds in one pass, in file order (an importer needs only
  this pass).

Other transactions (credits received, fees) are skipped. Versions: camt.054.001.02, .04 and
.08 are tested (any ``camt.054.001.NN`` is read; the element names used are the same;
``Sts`` is a code in .02-.06 and ``Sts/Cd`` from .08). The reader does not validate: use
:func:`iso20022.read_bank_answer`.

Where the original message is named. ISO 20022 gives a transaction's references in
``TxDtls/Refs`` (``MsgId``, ``PmtInfId``, ``EndToEndId`` of the pain.001 that caused it),
and a batch booking's in ``NtryDtls/Btch`` (``MsgId``, ``PmtInfId``, ``NbOfTxs``, the
"point to point reference assigned by the sending party", i.e. ours). The Nordic banks'
debit notifications for pain.001 payments (Nordea's Corporate Access Payables MIG
"camt.054.001.02 – Debit Notification", v1.6 of 2019-06-24, an appendix to the CGI guide)
report our payments there. The notification level has no reference to a pain.001:
``Ntfctn/Id`` is the bank's id of the notification and ``GrpHdr/OrgnlBizQry/MsgId`` the id
of a camt.060 *request*, neither of them ours. So:

* ``BookedDebit.original_msg_id`` / ``original_payment_info_id``: ``Refs/MsgId`` /
  ``Refs/PmtInfId``, else the ``Btch`` of the transaction's ``NtryDtls`` (for a debit of our
  own account the batch is ours);
* ``ReturnedCredit.original_msg_id`` / ``original_payment_info_id``: ``Refs`` only (the
  ``Btch`` of a returns entry is the bank's own batch of returns, not our message).

Choices for what the standard leaves open:

* identifiers (``EndToEndId``, ``MsgId``, ``PmtInfId``, ``Ntfctn/Id``) exactly as written
  (``xs:string``, compared exactly); codes stripped;
* amount: the transaction's own ``Amt`` (.04 onwards), else ``AmtDtls/TxAmt/Amt``, else
  ``AmtDtls/InstdAmt/Amt``; when the bank gives none of these and the entry holds a single
  transaction, the entry's ``Amt``; when an entry holds several transactions and one of them
  has no amount of its own, its ``amount`` is ``None`` (guessing would misstate money);
* reason: ``RtrInf/Rsn/Cd`` (ISO external return reason such as ``AC04``), or
  ``Rsn/Prtry`` when there is no code; ``AddtlInf`` texts joined with a space;
* booking date: the entry's ``BookgDt/Dt`` (or the date of ``BookgDt/DtTm``), if any; value
  date likewise from ``ValDt``;
* the bank's reference: ``Refs/AcctSvcrRef`` of the transaction, else of the entry;
* ``credit_debit`` is the transaction's ``CdtDbtInd``, else the entry's: a returned credit
  transfer is a ``CRDT`` to the debtor's account; the caller decides what to do with others.
  ``reversal`` is the entry's ``RvslInd``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
    reversal: bool = False


@dataclass(frozen=True, slots=True)
class BookedDebit:
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


@dataclass(frozen=True, slots=True)
class Notification:
    """The header of a camt.054; ``entries``, ``returns`` and ``booked_debits`` stream it."""

    path: str
    message_type: str
    msg_id: str
    created_at: datetime | None
    max_bytes: int = xml.DEFAULT_MAX_BYTES
    source: xml.Source | None = field(default=None, compare=False, repr=False)

    @property
    def entries(self) -> Iterator[ReturnedCredit | BookedDebit]:
        """Returned credits and booked debits, in file order (a new pass per access)."""
        return self._walk(returns=True, debits=True)

    @property
    def returns(self) -> Iterator[ReturnedCredit]:
        """The transactions with ``RtrInf``, in file order (a new pass per access)."""
        return self._walk(returns=True, debits=False)

    @property
    def booked_debits(self) -> Iterator[BookedDebit]:
        """The booked debits of our payments, in file order (a new pass per access)."""
        return self._walk(returns=False, debits=True)

    def _walk(self, *, returns: bool, debits: bool) -> Iterator:
        notification_id: str | None = None
        entry: _Entry | None = None
        pending = None  # an item without an amount of its own waits for the entry's end
        for event, element in xml.iterparse(
            self.source or self.path,
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
                details = element.getparent()
                if entry is None:
                    ntry = details.getparent()
                    entry = _Entry.of(ntry)
                    notification_id = _exact(xml.find(ntry.getparent(), "Id"))
                entry.details(details)
                entry.transactions += 1
                if pending is not None:
                    yield pending  # a second transaction: the entry amount is not its own
                    pending = None
                item = _item(element, entry, notification_id, returns, debits)
                if item is not None and item.amount is None and entry.transactions == 1:
                    pending = item
                elif item is not None:
                    yield item
            elif name == "Ntry":
                if pending is not None:
                    yield replace(pending, amount=entry.amount, currency=entry.currency)
                    pending = None
            xml.release(element)


class _Entry:
    """What a ``Ntry`` says before its transactions (read once, at its first ``TxDtls``),
    and the ``Btch`` of the ``NtryDtls`` being read."""

    __slots__ = (
        "amount",
        "currency",
        "credit_debit",
        "status",
        "reversal",
        "booking_date",
        "value_date",
        "reference",
        "transactions",
        "_details",
        "batch_msg_id",
        "batch_payment_info_id",
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
        self.reversal = xml.text(ntry, "RvslInd") in ("true", "1")
        self.booking_date = _date(xml.find(ntry, "BookgDt"), "BookgDt")
        self.value_date = _date(xml.find(ntry, "ValDt"), "ValDt")
        self.reference = xml.text(ntry, "AcctSvcrRef")
        self.transactions = 0
        self._details = None
        self.batch_msg_id = self.batch_payment_info_id = None
        return self

    def details(self, details: etree._Element) -> None:
        """Note the ``Btch`` of the ``NtryDtls`` a transaction is in (an entry may have
        several, each with its own batch)."""
        if details is not self._details:
            self._details = details
            batch = xml.find(details, "Btch")
            self.batch_msg_id = _exact(xml.find(batch, "MsgId"))
            self.batch_payment_info_id = _exact(xml.find(batch, "PmtInfId"))


def _exact(element: etree._Element | None) -> str | None:
    """An identifier exactly as written (``xs:string`` keeps its whitespace)."""
    return None if element is None else element.text


def _amount(element: etree._Element | None) -> Decimal | None:
    if element is None:
        return None
    return xml.to_decimal((element.text or "").strip(), element, "amount")


def _date(choice: etree._Element | None, what: str) -> date | None:
    if choice is None:
        return None
    return xml.to_date(xml.text(choice, "Dt") or xml.text(choice, "DtTm"), choice, what)


def _item(
    tx: etree._Element, entry: _Entry, notification_id: str | None, returns: bool, debits: bool
) -> ReturnedCredit | BookedDebit | None:
    ret = xml.find(tx, "RtrInf")
    if ret is not None:
        return _returned_credit(tx, ret, entry, notification_id) if returns else None
    if not debits or entry.credit_debit != "DBIT" or entry.status != "BOOK" or entry.reversal:
        return None
    if (xml.text(tx, "CdtDbtInd") or "DBIT") != "DBIT":
        return None
    e2e = _exact(xml.find(tx, "Refs/EndToEndId"))
    if e2e is None:
        return None
    amount_el = _tx_amount(tx)
    return BookedDebit(
        end_to_end_id=e2e,
        amount=_amount(amount_el),
        currency=amount_el.get("Ccy") if amount_el is not None else None,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        original_msg_id=_exact(xml.find(tx, "Refs/MsgId")) or entry.batch_msg_id,
        original_payment_info_id=(
            _exact(xml.find(tx, "Refs/PmtInfId")) or entry.batch_payment_info_id
        ),
        account_servicer_ref=xml.text(tx, "Refs/AcctSvcrRef") or entry.reference,
        notification_id=notification_id,
        line=tx.sourceline,
    )


def _tx_amount(tx: etree._Element) -> etree._Element | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        if (found := xml.find(tx, path)) is not None:
            return found
    return None


def _returned_credit(
    tx: etree._Element, ret: etree._Element, entry: _Entry, notification_id: str | None
) -> ReturnedCredit:
    amount_el = _tx_amount(tx)
    info = " ".join(
        t.text.strip() for t in ret.iterfind("{*}AddtlInf") if t.text and t.text.strip()
    )
    return ReturnedCredit(
        original_end_to_end_id=_exact(xml.find(tx, "Refs/EndToEndId")),
        amount=_amount(amount_el),
        currency=amount_el.get("Ccy") if amount_el is not None else None,
        reason_code=xml.text(ret, "Rsn/Cd") or xml.text(ret, "Rsn/Prtry"),
        additional_info=info or None,
        booking_date=entry.booking_date,
        credit_debit=xml.text(tx, "CdtDbtInd") or entry.credit_debit,
        entry_status=entry.status,
        original_msg_id=_exact(xml.find(tx, "Refs/MsgId")),
        original_payment_info_id=_exact(xml.find(tx, "Refs/PmtInfId")),
        account_servicer_ref=xml.text(tx, "Refs/AcctSvcrRef") or entry.reference,
        notification_id=notification_id,
        line=tx.sourceline,
        reversal=entry.reversal,
    )


def read(
    path: str | os.PathLike[str] | xml.Source, *, max_bytes: int = xml.DEFAULT_MAX_BYTES
) -> Notification:
    """Read the header of the camt.054 at ``path``; raises a coded error if it is not one.

    ``path`` may be an open :class:`iso20022.xml.Source`: the streams then read that open
    file (see :func:`iso20022.read_bank_answer`).
    """
    source = path if isinstance(path, xml.Source) else None
    message_type = xml.expect(xml.sniff(path, max_bytes=max_bytes), FAMILY)
    header = None
    for _event, element in xml.iterparse(
        path, events=("end",), tag="{*}GrpHdr", max_bytes=max_bytes
    ):
        header = element
        break
    msg_id = _exact(xml.find(header, "MsgId"))
    if header is None or msg_id is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the notification has no GrpHdr/MsgId")
    created = xml.find(header, "CreDtTm")
    return Notification(
        path=source.path if source else os.fspath(path),
        message_type=message_type,
        msg_id=msg_id,
        created_at=xml.to_datetime(xml.text(header, "CreDtTm"), created, "CreDtTm")
        if created is not None
        else None,
        max_bytes=max_bytes,
        source=source,
    )
