"""Streaming reader of pain.002 Customer Payment Status Reports, at every level.

``read(path)`` parses the header only and returns a :class:`StatusReport` with the group
status (``OrgnlGrpInfAndSts/GrpSts``) and its reason. Its streams, each a fresh pass over
the file with the defences of :mod:`iso20022.xml` and one transaction in memory at a time:

* ``report.statuses``: everything below the group, in file order, in one pass: each
  ``TxInfAndSts`` as a :class:`TransactionStatus`, and after the transactions of each
  ``OrgnlPmtInfAndSts`` the :class:`PaymentInfoStatus` of that block (with the number of
  transactions it listed). An importer needs only this pass;
* ``report.transactions``: only the :class:`TransactionStatus` items;
* ``report.payment_infos``: only the :class:`PaymentInfoStatus` items.

Versions: pain.002.001.03, .08, .10 and .12 are tested; the element names read
(``GrpSts``, ``PmtInfSts``, ``TxSts``, ``StsRsnInf``, ``OrgnlEndToEndId``) are the same in
all of them, and any ``pain.002.001.NN`` is read. Other messages are ``XML_WRONG_MESSAGE``.
The reader does not validate: use :func:`iso20022.read_bank_answer`, which validates against
the shipped XSD first and refuses a version without one.

What the statuses mean (ISO 20022 ExternalPaymentTransactionStatus1Code /
ExternalPaymentGroupStatus1Code; in .03 the same codes are enumerations, without ACCC),
as :func:`status_meaning` returns them:

======  =====================================================  ===============
code    ISO meaning                                            ``meaning``
======  =====================================================  ===============
ACTC    accepted technical validation (syntax, schema)         ``in_progress``
ACCP    accepted customer profile (checks passed)              ``in_progress``
ACSP    accepted, settlement in process                        ``in_progress``
ACWC    accepted with change (e.g. execution date moved)       ``in_progress``
PDNG    pending: further checks, the bank answers again        ``in_progress``
ACSC    accepted, settlement completed (debtor account debited) ``settled``
ACCC    accepted, settlement completed on the creditor side    ``settled``
RJCT    rejected: the money does not go                        ``rejected``
PART    (group and PmtInf only) some accepted, some not:       ``partial``
        the level below says which
other   RCVD, ACWP, ACFC, PATC, BLCK, CANC, … or absent         ``None``
======  =====================================================  ===============

``None`` means "not understood": an importer must report such a status for a clerk, never
drop it and never guess. The engine maps ``in_progress`` → order ``accepted``, ``settled``
→ ``settled``, ``rejected`` → ``returned``.

What each level says (the Common Global Implementation status report guide, which the
Danish CGI appendix follows):

* **group** ``GrpSts``: with no ``OrgnlPmtInfAndSts`` at all (``has_payment_infos`` False,
  ``answers_whole_message`` True) it is the status of every transaction of the original
  message. A group ``RJCT`` rejects every transaction of the message whatever follows it.
* **payment information** ``PmtInfSts``: the status of every transaction of the original
  ``PmtInf``. An ``RJCT`` with no ``TxInfAndSts`` (``transaction_count == 0``) is the CGI
  guide's "reject of a debit entry": the whole ``PmtInf`` was not executed, typically
  ``AM04`` (the agency's own account lacks funds); an importer must apply it to every
  transaction it sent in that ``PmtInf``. An ``RJCT`` with transactions listed still
  rejects the whole block.
* **transaction** ``TxSts``: the status of one transaction, keyed by
  ``original_end_to_end_id``. Under a ``PART`` group or ``PmtInf``, transactions the report
  does not list are not answered by it (no change).

Choices for what the standard leaves open:

* identifiers (``MsgId``, ``OrgnlMsgId``, ``OrgnlPmtInfId``, ``OrgnlEndToEndId``) are
  returned exactly as the parser delivers them: they are ``xs:string`` (whitespace
  ``preserve``), compared exactly, so none is trimmed. Codes and texts are stripped;
* a reason is ``StsRsnInf/Rsn/Cd`` (ISO external code such as ``AC01``), or ``Rsn/Prtry``
  when the bank gave no code; with several ``StsRsnInf`` the first one counts, and all its
  ``AddtlInf`` texts are joined with a space;
* a ``TxInfAndSts`` without ``TxSts`` takes the status and reason of its ``PmtInf``, else of
  the group, unless that is ``PART`` (which says nothing of one transaction):
  ``status_inherited`` says so;
* the original amount is ``OrgnlTxRef/Amt/InstdAmt`` (or ``EqvtAmt/Amt``) when present;
* elements are read in the message's own namespace (the root's), where the XSD puts every
  one of them: an element in another namespace makes the file invalid, and
  :func:`iso20022.read_bank_answer` refuses it rather than letting a reader skip it.

Speed: a report of 1,000,000 transactions (200 MB) is read in about twice the time libxml2
takes to parse it (``benchmarks/iso20022.py``): the children of a ``TxInfAndSts`` are looked
at once, by their qualified tag; processed elements are cleared at once and unlinked in
batches; and :class:`TransactionStatus`, built once per transaction, is a named tuple (a
frozen dataclass costs four times as much to build). It is as immutable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError

FAMILY = "pain.002"
IN_PROGRESS = frozenset({"ACTC", "ACCP", "ACSP", "ACWC", "PDNG"})
SETTLED = frozenset({"ACSC", "ACCC"})
REJECTED = frozenset({"RJCT"})
PARTIAL = frozenset({"PART"})
_MEANINGS = {
    **dict.fromkeys(IN_PROGRESS, "in_progress"),
    **dict.fromkeys(SETTLED, "settled"),
    **dict.fromkeys(REJECTED, "rejected"),
    **dict.fromkeys(PARTIAL, "partial"),
}


def status_meaning(status: str | None) -> str | None:
    """``"in_progress"``, ``"settled"``, ``"rejected"``, ``"partial"`` or ``None`` (see the
    module's table; ``None``: unknown or absent, to be reported, never guessed)."""
    return _MEANINGS.get(status) if status else None


class TransactionStatus(NamedTuple):
    """The bank's status of one transaction, keyed by ``original_end_to_end_id``."""

    original_end_to_end_id: str | None
    status: str | None
    reason_code: str | None
    additional_info: str | None
    original_amount: Decimal | None
    currency: str | None
    original_payment_info_id: str | None
    status_inherited: bool
    line: int | None


@dataclass(frozen=True, slots=True)
class PaymentInfoStatus:
    """The bank's status of one original ``PmtInf`` as a whole.

    ``transaction_count`` is the number of ``TxInfAndSts`` the report listed in the block
    (0: the status answers for every transaction of the ``PmtInf``).
    """

    original_payment_info_id: str | None
    status: str | None
    reason_code: str | None
    additional_info: str | None
    line: int | None
    transaction_count: int = 0
    original_nb_of_txs: int | None = None
    original_ctrl_sum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The header of a pain.002; ``statuses`` (and ``transactions``, ``payment_infos``)
    stream what lies below the group."""

    path: str
    message_type: str
    msg_id: str
    created_at: datetime | None
    original_msg_id: str | None
    original_msg_name_id: str | None
    group_status: str | None
    group_reason_code: str | None
    group_additional_info: str | None
    max_bytes: int = xml.DEFAULT_MAX_BYTES
    original_nb_of_txs: int | None = None
    original_ctrl_sum: Decimal | None = None
    has_payment_infos: bool = True
    source: xml.Source | None = field(default=None, compare=False, repr=False)

    @property
    def answers_whole_message(self) -> bool:
        """True when the group status is the only answer: it applies to every transaction
        of the original message (no ``OrgnlPmtInfAndSts`` follows the group)."""
        return not self.has_payment_infos

    @property
    def statuses(self) -> Iterator[TransactionStatus | PaymentInfoStatus]:
        """Transactions and, after each block's transactions, the block (a new pass)."""
        return self._walk(transactions=True, payment_infos=True)

    @property
    def transactions(self) -> Iterator[TransactionStatus]:
        """Every ``TxInfAndSts`` of the file, in file order (a new pass per access)."""
        return self._walk(transactions=True, payment_infos=False)

    @property
    def payment_infos(self) -> Iterator[PaymentInfoStatus]:
        """The status of every ``OrgnlPmtInfAndSts``, in file order (a new pass per access)."""
        return self._walk(transactions=False, payment_infos=True)

    def _walk(self, *, transactions: bool, payment_infos: bool) -> Iterator:
        tags = _Tags.of(self.message_type)
        tx_tag, block_tag = tags.tx, tags.block
        group = (self.group_status, self.group_reason_code, self.group_additional_info)
        block: _Block | None = None
        block_element = None
        done = 0  # cleared transactions not yet unlinked from their block
        for _event, element in xml.iterparse(
            self.source or self.path,
            events=("end",),
            tag=(block_tag, tx_tag),
            max_bytes=self.max_bytes,
        ):
            if element.tag == tx_tag:
                parent = element.getparent()
                if parent is not block_element:  # the block's own children are parsed by now
                    block_element, block, done = parent, _Block(parent, group, tags), 0
                block.count += 1
                if transactions:
                    yield _transaction(element, block, tags)
                element.clear(keep_tail=False)
                done += 1
                if done == _UNLINK_EVERY:
                    # Unlink what lies before this transaction (cleared transactions and the
                    # block's header, already read): never what follows it, which the parser
                    # may have built already, ahead of its events.
                    del parent[: parent.index(element)]
                    done = 0
                continue
            if element is not block_element:  # a block without transactions
                block = _Block(element, group, tags)
            if payment_infos:
                yield block.summary()
            block_element, block = None, None
            xml.release(element)


_UNLINK_EVERY = 256


class _Tags:
    """The qualified tags of one pain.002 version (elements are compared by identity of
    their full name, the cheapest test there is)."""

    __slots__ = (
        "block",
        "tx",
        "e2e",
        "status",
        "reason",
        "rsn",
        "cd",
        "prtry",
        "info",
        "ref",
        "amt",
        "instd",
        "eqvt",
    )
    _cache: dict[str, _Tags] = {}

    @classmethod
    def of(cls, message_type: str) -> _Tags:
        return cls.of_namespace(f"{{{xml.NAMESPACE_PREFIX}{message_type}}}")

    @classmethod
    def of_namespace(cls, ns: str) -> _Tags:
        """``ns`` in braces (``"{urn:…}"``, or ``""`` for no namespace)."""
        tags = cls._cache.get(ns)
        if tags is None:
            tags = cls._cache[ns] = cls(ns)
        return tags

    def __init__(self, ns: str) -> None:
        self.block = ns + "OrgnlPmtInfAndSts"
        self.tx = ns + "TxInfAndSts"
        self.e2e = ns + "OrgnlEndToEndId"
        self.status = ns + "TxSts"
        self.reason = ns + "StsRsnInf"
        self.rsn = ns + "Rsn"
        self.cd = ns + "Cd"
        self.prtry = ns + "Prtry"
        self.info = ns + "AddtlInf"
        self.ref = ns + "OrgnlTxRef"
        self.amt = ns + "Amt"
        self.instd = ns + "InstdAmt"
        self.eqvt = ns + "EqvtAmt"


class _Block:
    """What an ``OrgnlPmtInfAndSts`` says before its transactions (read once)."""

    __slots__ = ("id", "status", "code", "info", "inherit", "count", "nb", "ctrl", "line")

    def __init__(self, element: etree._Element, group: tuple, tags: _Tags) -> None:
        self.id = _exact(xml.find(element, "OrgnlPmtInfId"))
        self.status = xml.text(element, "PmtInfSts")
        self.code, self.info = _reason(element)
        self.line = element.sourceline
        self.nb = _count(xml.find(element, "OrgnlNbOfTxs"))
        self.ctrl = _decimal(xml.find(element, "OrgnlCtrlSum"), "OrgnlCtrlSum")
        self.count = 0
        if self.status and self.status not in PARTIAL:
            self.inherit = (self.status, self.code, self.info)
        elif group[0] and group[0] not in PARTIAL:
            self.inherit = group
        else:
            self.inherit = (None, None, None)

    def summary(self) -> PaymentInfoStatus:
        return PaymentInfoStatus(
            self.id, self.status, self.code, self.info, self.line, self.count, self.nb, self.ctrl
        )


def _transaction(element: etree._Element, block: _Block, tags: _Tags) -> TransactionStatus:
    """One ``TxInfAndSts``: its children are looked at once."""
    e2e = status = reason = ref = None
    for child in element:
        tag = child.tag
        if tag == tags.e2e:
            e2e = child.text
        elif tag == tags.status:
            status = child.text
            if status is not None:
                status = status.strip() or None
        elif tag == tags.reason:
            if reason is None:
                reason = child
        elif tag == tags.ref:
            ref = child
    if reason is not None:
        code, info = _reason_of(reason, tags)
    else:
        code = info = None
    inherited = status is None
    if inherited:
        status, inherited_code, inherited_info = block.inherit
        if code is None and info is None:
            code, info = inherited_code, inherited_info
        inherited = status is not None
    amount = currency = None
    if ref is not None:
        amount_el = _original_amount(ref, tags)
        if amount_el is not None:
            amount = _decimal(amount_el, "amount")
            currency = amount_el.get("Ccy")
    return _new_status(
        (e2e, status, code, info, amount, currency, block.id, inherited, element.sourceline)
    )


_new_status = TransactionStatus._make


def _original_amount(ref: etree._Element, tags: _Tags) -> etree._Element | None:
    """``OrgnlTxRef/Amt/InstdAmt``, else ``OrgnlTxRef/Amt/EqvtAmt/Amt``."""
    for amt in ref:
        if amt.tag == tags.amt:
            for choice in amt:
                if choice.tag == tags.instd:
                    return choice
                if choice.tag == tags.eqvt:
                    return choice.find(tags.amt)
    return None


def _exact(element: etree._Element | None) -> str | None:
    """An identifier exactly as written (``xs:string`` keeps its whitespace)."""
    return None if element is None else element.text


def _decimal(element: etree._Element | None, what: str) -> Decimal | None:
    if element is None:
        return None
    return xml.to_decimal((element.text or "").strip(), element, what)


def _count(element: etree._Element | None) -> int | None:
    value = None if element is None else (element.text or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise XmlInputError(
            "XML_INVALID_VALUE", f"OrgnlNbOfTxs {value!r} is not a number", line=element.sourceline
        )
    return int(value)


def _reason(element: etree._Element) -> tuple[str | None, str | None]:
    """``(code, additional info)`` of the first ``StsRsnInf`` directly below ``element``."""
    reason = xml.find(element, "StsRsnInf")
    if reason is None:
        return None, None
    return _reason_of(
        reason,
        _Tags(etree.QName(reason).namespace and f"{{{etree.QName(reason).namespace}}}" or ""),
    )


def _reason_of(reason: etree._Element, tags: _Tags) -> tuple[str | None, str | None]:
    """``(Rsn/Cd or Rsn/Prtry, the AddtlInf texts joined)`` of one ``StsRsnInf``."""
    code = None
    texts = []
    for child in reason:
        tag = child.tag
        if tag == tags.rsn:
            for choice in child:
                if choice.tag in (tags.cd, tags.prtry) and choice.text and choice.text.strip():
                    code = choice.text.strip()
        elif tag == tags.info and child.text and child.text.strip():
            texts.append(child.text.strip())
    return code, " ".join(texts) or None


def read(
    path: str | os.PathLike[str] | xml.Source, *, max_bytes: int = xml.DEFAULT_MAX_BYTES
) -> StatusReport:
    """Read the header of the pain.002 at ``path``; raises a coded error if it is not one.

    ``path`` may be an open :class:`iso20022.xml.Source`: the report's streams then read
    that open file (see :func:`iso20022.read_bank_answer`).
    """
    source = path if isinstance(path, xml.Source) else None
    message_type = xml.expect(xml.sniff(path, max_bytes=max_bytes), FAMILY)
    header = group = None
    details = False
    for event, element in xml.iterparse(
        path,
        events=("start", "end"),
        tag=("{*}GrpHdr", "{*}OrgnlGrpInfAndSts", "{*}OrgnlPmtInfAndSts"),
        max_bytes=max_bytes,
    ):
        name = xml.localname(element)
        if name == "OrgnlPmtInfAndSts":
            details = True
            break
        if event != "end":
            continue
        if name == "GrpHdr" and header is None:
            header = _header(element)
        elif name == "OrgnlGrpInfAndSts" and group is None:
            group = _group(element)  # read on: is there an OrgnlPmtInfAndSts after it?
    if header is None or header[0] is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the report has no GrpHdr/MsgId")
    if group is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the report has no OrgnlGrpInfAndSts")
    msg_id, created_at = header
    original, name_id, status, code, info, nb, ctrl = group
    return StatusReport(
        path=source.path if source else os.fspath(path),
        message_type=message_type,
        msg_id=msg_id,
        created_at=created_at,
        original_msg_id=original,
        original_msg_name_id=name_id,
        group_status=status,
        group_reason_code=code,
        group_additional_info=info,
        max_bytes=max_bytes,
        original_nb_of_txs=nb,
        original_ctrl_sum=ctrl,
        has_payment_infos=details,
        source=source,
    )


def _header(element: etree._Element) -> tuple[str | None, datetime | None]:
    created = xml.find(element, "CreDtTm")
    when = (
        xml.to_datetime(xml.text(element, "CreDtTm"), created, "CreDtTm")
        if created is not None
        else None
    )
    return _exact(xml.find(element, "MsgId")), when


def _group(element: etree._Element) -> tuple:
    code, info = _reason(element)
    return (
        _exact(xml.find(element, "OrgnlMsgId")),
        xml.text(element, "OrgnlMsgNmId"),
        xml.text(element, "GrpSts"),
        code,
        info,
        _count(xml.find(element, "OrgnlNbOfTxs")),
        _decimal(xml.find(element, "OrgnlCtrlSum"), "OrgnlCtrlSum"),
    )
