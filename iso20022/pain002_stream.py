"""The streaming pass of the pain.002 reader: ``OrgnlPmtInfAndSts`` and ``TxInfAndSts``.

Used by :class:`iso20022.pain002.StatusReport`; what it reads, and how fast, is in that
module's docstring. Here: every child of a ``TxInfAndSts`` is looked at once, by its
qualified tag (the message's namespace, known from the root); processed transactions are
cleared at once and unlinked from their block in batches, never ahead of the parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError
from iso20022.pain002_types import PARTIAL, PaymentInfoStatus, TransactionStatus


def walk(report, *, transactions: bool, payment_infos: bool) -> Iterator:
    """One pass over ``report``'s file (a :class:`~iso20022.pain002.StatusReport`): its
    transactions and/or block summaries in file order, one element in memory at a time."""
    validation = report.validation if transactions and payment_infos else None
    if validation is None:
        yield from _walk(report, transactions, payment_infos, None)
        return
    # one pass reads and validates: any failure is judged by a full validation, so an
    # invalid file is XML_SCHEMA_INVALID whatever the reader met first
    try:
        yield from _walk(report, transactions, payment_infos, validation)
    except (xml.SchemaViolation, XmlInputError) as exc:
        from iso20022.bank_answer import raise_if_invalid

        raise_if_invalid(report.source or report.path, validation.message_type)
        if isinstance(exc, xml.SchemaViolation):  # pragma: no cover - validate disagreed
            raise XmlInputError("XML_SCHEMA_INVALID", "the file is not valid", "file") from None
        raise


def _walk(report, transactions: bool, payment_infos: bool, validation) -> Iterator:
    tags = _Tags.of(report.message_type)
    tx_tag, block_tag = tags.tx, tags.block
    group = (report.group_status, report.group_reason_code, report.group_additional_info)
    block: _Block | None = None
    block_element = None
    done = 0  # cleared transactions not yet unlinked from their block
    closed = False  # the root's end was seen (a validating pass must see it)
    for _event, element in xml.iterparse(
        report.source or report.path,
        events=("end",),
        tag=(block_tag, tx_tag) if validation is None else (block_tag, tx_tag, tags.root),
        schema=None if validation is None else validation.schema,
        max_bytes=report.max_bytes,
    ):
        if element.tag == tags.root:
            closed = True
            continue
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
    if validation is not None:
        if not closed:  # lxml's validating stream does not notice a file that just stops
            raise XmlInputError("XML_MALFORMED", "the document ends before its root element")
        validation.done = True


_UNLINK_EVERY = 256


class _Tags:
    """The qualified tags of one pain.002 version (elements are compared by identity of
    their full name, the cheapest test there is)."""

    __slots__ = (
        "root",
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
        self.root = ns + "Document"
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
        self.id = exact(xml.find(element, "OrgnlPmtInfId"))
        self.status = xml.text(element, "PmtInfSts")
        self.code, self.info = reason(element)
        self.line = element.sourceline
        self.nb = count(xml.find(element, "OrgnlNbOfTxs"))
        self.ctrl = decimal(xml.find(element, "OrgnlCtrlSum"), "OrgnlCtrlSum")
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
            amount = decimal(amount_el, "amount")
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


def exact(element: etree._Element | None) -> str | None:
    """An identifier exactly as written (``xs:string`` keeps its whitespace)."""
    return None if element is None else element.text


def decimal(element: etree._Element | None, what: str) -> Decimal | None:
    if element is None:
        return None
    return xml.to_decimal((element.text or "").strip(), element, what)


def count(element: etree._Element | None) -> int | None:
    value = None if element is None else (element.text or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise XmlInputError(
            "XML_INVALID_VALUE", f"OrgnlNbOfTxs {value!r} is not a number", line=element.sourceline
        )
    return int(value)


def reason(element: etree._Element) -> tuple[str | None, str | None]:
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
