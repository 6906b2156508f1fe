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
  ``reversal`` is the entry's ``RvslInd``;
* elements are read in the message's own namespace (the root's), where the XSD puts them;
  :func:`iso20022.read_bank_answer` refuses a file with anything else.

Speed, as for :mod:`iso20022.pain002`: the children of a ``TxDtls`` and of its ``Refs`` are
looked at once by their qualified tag, processed transactions are unlinked in batches, and
the per-transaction types are named tuples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError

FAMILY = "camt.054"


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
        tags = _Tags.of(self.message_type)
        tx_tag, entry_tag = tags.tx, tags.entry
        notification_id: str | None = None
        entry: _Entry | None = None
        entry_element = None
        pending = None  # an item without an amount of its own waits for the entry's end
        done = 0
        for _event, element in xml.iterparse(
            self.source or self.path,
            events=("end",),
            tag=(tags.notification, entry_tag, tx_tag),
            max_bytes=self.max_bytes,
        ):
            tag = element.tag
            if tag == tx_tag:
                details = element.getparent()
                ntry = details.getparent()
                if ntry is not entry_element:
                    entry_element, entry, done = ntry, _Entry.of(ntry), 0
                    notification_id = _exact(ntry.getparent().find(tags.id))
                entry.details(details, tags)
                entry.transactions += 1
                if pending is not None:
                    yield pending  # a second transaction: the entry amount is not its own
                    pending = None
                item = _item(element, entry, notification_id, returns, debits, tags)
                if item is not None and item.amount is None and entry.transactions == 1:
                    pending = item
                elif item is not None:
                    yield item
                element.clear(keep_tail=False)
                done += 1
                if done == _UNLINK_EVERY:  # only what lies before this transaction
                    del details[: details.index(element)]
                    done = 0
                continue
            if tag == entry_tag:
                if pending is not None:
                    yield pending._replace(amount=entry.amount, currency=entry.currency)
                    pending = None
                entry_element = entry = None
            xml.release(element)


_UNLINK_EVERY = 256


class _Tags:
    """The qualified tags of one camt.054 version."""

    __slots__ = (
        "notification",
        "entry",
        "tx",
        "id",
        "btch",
        "msg_id",
        "pmt_inf_id",
        "refs",
        "e2e",
        "acct_svcr_ref",
        "amt",
        "amt_dtls",
        "tx_amt",
        "instd_amt",
        "cdt_dbt",
        "rtr",
        "rsn",
        "cd",
        "prtry",
        "info",
    )
    _cache: dict[str, _Tags] = {}

    @classmethod
    def of(cls, message_type: str) -> _Tags:
        tags = cls._cache.get(message_type)
        if tags is None:
            tags = cls._cache[message_type] = cls(f"{{{xml.NAMESPACE_PREFIX}{message_type}}}")
        return tags

    def __init__(self, ns: str) -> None:
        self.notification = ns + "Ntfctn"
        self.entry = ns + "Ntry"
        self.tx = ns + "TxDtls"
        self.id = ns + "Id"
        self.btch = ns + "Btch"
        self.msg_id = ns + "MsgId"
        self.pmt_inf_id = ns + "PmtInfId"
        self.refs = ns + "Refs"
        self.e2e = ns + "EndToEndId"
        self.acct_svcr_ref = ns + "AcctSvcrRef"
        self.amt = ns + "Amt"
        self.amt_dtls = ns + "AmtDtls"
        self.tx_amt = ns + "TxAmt"
        self.instd_amt = ns + "InstdAmt"
        self.cdt_dbt = ns + "CdtDbtInd"
        self.rtr = ns + "RtrInf"
        self.rsn = ns + "Rsn"
        self.cd = ns + "Cd"
        self.prtry = ns + "Prtry"
        self.info = ns + "AddtlInf"


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

    def details(self, details: etree._Element, tags: _Tags) -> None:
        """Note the ``Btch`` of the ``NtryDtls`` a transaction is in (an entry may have
        several, each with its own batch)."""
        if details is not self._details:
            self._details = details
            batch = details.find(tags.btch)
            if batch is None:
                self.batch_msg_id = self.batch_payment_info_id = None
            else:
                self.batch_msg_id = _exact(batch.find(tags.msg_id))
                self.batch_payment_info_id = _exact(batch.find(tags.pmt_inf_id))


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
    tx: etree._Element,
    entry: _Entry,
    notification_id: str | None,
    returns: bool,
    debits: bool,
    tags: _Tags,
) -> ReturnedCredit | BookedDebit | None:
    """The transaction as a returned credit, a booked debit of ours, or ``None``."""
    refs = amount_el = amount_details = ret = credit_debit = None
    for child in tx:  # each child once, by its qualified tag
        tag = child.tag
        if tag == tags.refs:
            refs = child
        elif tag == tags.amt:
            amount_el = child
        elif tag == tags.cdt_dbt:
            credit_debit = (child.text or "").strip() or None
        elif tag == tags.amt_dtls:
            amount_details = child
        elif tag == tags.rtr:
            ret = child
    if ret is None and (
        not debits
        or entry.credit_debit != "DBIT"
        or entry.status != "BOOK"
        or entry.reversal
        or (credit_debit or "DBIT") != "DBIT"
    ):
        return None
    if ret is not None and not returns:
        return None
    msg_id = payment_info_id = e2e = reference = None
    if refs is not None:
        for child in refs:
            tag = child.tag
            if tag == tags.e2e:
                e2e = child.text
            elif tag == tags.msg_id:
                msg_id = child.text
            elif tag == tags.pmt_inf_id:
                payment_info_id = child.text
            elif tag == tags.acct_svcr_ref:
                reference = (child.text or "").strip() or None
    if amount_el is None and amount_details is not None:
        amount_el = _detailed_amount(amount_details, tags)
    amount = _amount(amount_el)
    currency = amount_el.get("Ccy") if amount_el is not None else None
    if ret is not None:
        code, info = _return_reason(ret, tags)
        return _new_credit(
            (
                e2e,
                amount,
                currency,
                code,
                info,
                entry.booking_date,
                credit_debit or entry.credit_debit,
                entry.status,
                msg_id,
                payment_info_id,
                reference or entry.reference,
                notification_id,
                tx.sourceline,
                entry.reversal,
            )
        )
    if e2e is None:
        return None
    return _new_debit(
        (
            e2e,
            amount,
            currency,
            entry.booking_date,
            entry.value_date,
            msg_id or entry.batch_msg_id,
            payment_info_id or entry.batch_payment_info_id,
            reference or entry.reference,
            notification_id,
            tx.sourceline,
        )
    )


_new_credit = ReturnedCredit._make
_new_debit = BookedDebit._make


def _detailed_amount(details: etree._Element, tags: _Tags) -> etree._Element | None:
    """``AmtDtls/TxAmt/Amt``, else ``AmtDtls/InstdAmt/Amt``."""
    found = {child.tag: child for child in details}
    for tag in (tags.tx_amt, tags.instd_amt):
        if tag in found:
            return found[tag].find(tags.amt)
    return None


def _return_reason(ret: etree._Element, tags: _Tags) -> tuple[str | None, str | None]:
    """``(Rsn/Cd or Rsn/Prtry, the AddtlInf texts joined)`` of ``RtrInf``."""
    code = None
    texts = []
    for child in ret:
        if child.tag == tags.rsn:
            for choice in child:
                if choice.tag in (tags.cd, tags.prtry) and choice.text and choice.text.strip():
                    code = choice.text.strip()
        elif child.tag == tags.info and child.text and child.text.strip():
            texts.append(child.text.strip())
    return code, " ".join(texts) or None


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
