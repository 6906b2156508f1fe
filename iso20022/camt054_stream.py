"""The streaming pass of the camt.054 reader: ``Ntry`` and ``TxDtls``.

Used by :class:`iso20022.camt054.Notification`; what it reads is in that module's
docstring. Here: the children of a ``TxDtls`` and of its ``Refs`` are looked at once, by
their qualified tag (the message's namespace, known from the root); processed transactions
are cleared at once and unlinked in batches, never ahead of the parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from lxml import etree

from iso20022 import xml
from iso20022.camt054_types import BookedDebit, ReturnedCredit


def walk(notification, *, returns: bool, debits: bool) -> Iterator:
    """One pass over ``notification``'s file (a :class:`~iso20022.camt054.Notification`):
    returned credits and/or booked debits in file order, one transaction at a time."""
    tags = _Tags.of(notification.message_type)
    tx_tag, entry_tag = tags.tx, tags.entry
    notification_id: str | None = None
    entry: _Entry | None = None
    entry_element = None
    pending = None  # an item without an amount of its own waits for the entry's end
    done = 0
    for _event, element in xml.iterparse(
        notification.source or notification.path,
        events=("end",),
        tag=(tags.notification, entry_tag, tx_tag),
        max_bytes=notification.max_bytes,
    ):
        tag = element.tag
        if tag == tx_tag:
            details = element.getparent()
            ntry = details.getparent()
            if ntry is not entry_element:
                entry_element, entry, done = ntry, _Entry.of(ntry), 0
                notification_id = exact(ntry.getparent().find(tags.id))
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
                self.batch_msg_id = exact(batch.find(tags.msg_id))
                self.batch_payment_info_id = exact(batch.find(tags.pmt_inf_id))


def exact(element: etree._Element | None) -> str | None:
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
