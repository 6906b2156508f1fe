"""Streaming reader of pain.002 Customer Payment Status Reports.

``read(path)`` parses the header only (it stops at the first ``OrgnlPmtInfAndSts``) and
returns a :class:`StatusReport` with the group status and reason.
``report.transactions`` then is an iterator over the transaction statuses, and
``report.payment_infos`` over the statuses of whole ``PmtInf`` blocks; each access starts a
fresh streaming pass over the file, with the defences of :mod:`iso20022.xml` and constant
memory, so iterating twice is allowed and memory never holds more than one transaction.

The reader is namespace-agnostic: it accepts any ``pain.002.001.NN`` (tested on .03, .08 and
.12; the element names it reads have not changed between versions) and refuses other
messages with ``XML_WRONG_MESSAGE``. It does not validate: run :func:`iso20022.validate`
first when the file's validity matters.

Choices for what the standard leaves open:

* a reason is ``StsRsnInf/Rsn/Cd`` (ISO external code such as ``AC01``), or ``Rsn/Prtry``
  when the bank gave no code; with several ``StsRsnInf`` the first one counts, and all
  their ``AddtlInf`` texts are joined with a space;
* a ``TxInfAndSts`` without ``TxSts`` takes the status of its ``PmtInf``, then of the group
  (that is what the bank reports for it); ``status_inherited`` says so;
* the original amount is ``OrgnlTxRef/Amt/InstdAmt`` (or ``EqvtAmt/Amt``) when present.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError

FAMILY = "pain.002"


@dataclass(frozen=True, slots=True)
class TransactionStatus:
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
    """The bank's status of one original ``PmtInf`` as a whole."""

    original_payment_info_id: str | None
    status: str | None
    reason_code: str | None
    additional_info: str | None
    line: int | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The header of a pain.002; ``transactions`` and ``payment_infos`` stream its statuses."""

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

    @property
    def transactions(self) -> Iterator[TransactionStatus]:
        """Every ``TxInfAndSts`` of the file, in file order (a new pass per access)."""
        return self._transactions()

    @property
    def payment_infos(self) -> Iterator[PaymentInfoStatus]:
        """The status of every ``OrgnlPmtInfAndSts``, in file order (a new pass per access)."""
        return self._payment_infos()

    def _transactions(self) -> Iterator[TransactionStatus]:
        pmt: PaymentInfoStatus | None = None
        for event, element in self._events():
            if xml.localname(element) == "OrgnlPmtInfAndSts":
                if event == "start":
                    pmt = None
                else:
                    xml.release(element)
                continue
            if event == "start":
                continue
            parent = element.getparent()
            if pmt is None:
                pmt = _payment_info_status(parent)
            status = xml.text(element, "TxSts")
            inherited = status is None
            if inherited:
                status = pmt.status or self.group_status
            code, info = _reason(element)
            amount_el = xml.find(element, "OrgnlTxRef/Amt/InstdAmt")
            if amount_el is None:
                amount_el = xml.find(element, "OrgnlTxRef/Amt/EqvtAmt/Amt")
            amount = currency = None
            if amount_el is not None:
                amount = xml.to_decimal((amount_el.text or "").strip(), amount_el, "amount")
                currency = amount_el.get("Ccy")
            yield TransactionStatus(
                xml.text(element, "OrgnlEndToEndId"),
                status,
                code,
                info,
                amount,
                currency,
                pmt.original_payment_info_id,
                inherited,
                element.sourceline,
            )
            xml.release(element)

    def _payment_infos(self) -> Iterator[PaymentInfoStatus]:
        for event, element in self._events():
            if event == "start":
                continue
            if xml.localname(element) == "OrgnlPmtInfAndSts":
                yield _payment_info_status(element)
            xml.release(element)

    def _events(self) -> Iterator[tuple[str, etree._Element]]:
        return xml.iterparse(
            self.path,
            events=("start", "end"),
            tag=("{*}OrgnlPmtInfAndSts", "{*}TxInfAndSts"),
            max_bytes=self.max_bytes,
        )


def _reason(element: etree._Element) -> tuple[str | None, str | None]:
    """``(code, additional info)`` of the first ``StsRsnInf`` directly below ``element``."""
    reason = xml.find(element, "StsRsnInf")
    if reason is None:
        return None, None
    code = xml.text(reason, "Rsn/Cd") or xml.text(reason, "Rsn/Prtry")
    info = " ".join(
        t.text.strip() for t in reason.iterfind("{*}AddtlInf") if t.text and t.text.strip()
    )
    return code, info or None


def _payment_info_status(element: etree._Element) -> PaymentInfoStatus:
    code, info = _reason(element)
    return PaymentInfoStatus(
        xml.text(element, "OrgnlPmtInfId"),
        xml.text(element, "PmtInfSts"),
        code,
        info,
        element.sourceline,
    )


def read(path: str | os.PathLike[str], *, max_bytes: int = xml.DEFAULT_MAX_BYTES) -> StatusReport:
    """Read the header of the pain.002 at ``path``; raises a coded error if it is not one."""
    message_type = xml.expect(xml.sniff(path, max_bytes=max_bytes), FAMILY)
    header = group = None
    for event, element in xml.iterparse(
        path,
        events=("start", "end"),
        tag=("{*}GrpHdr", "{*}OrgnlGrpInfAndSts", "{*}OrgnlPmtInfAndSts"),
        max_bytes=max_bytes,
    ):
        name = xml.localname(element)
        if name == "OrgnlPmtInfAndSts":
            break
        if event == "end" and name == "GrpHdr":
            header = element
        elif event == "end":
            group = element
            break
    if header is None or xml.text(header, "MsgId") is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the report has no GrpHdr/MsgId")
    if group is None:
        raise XmlInputError("XML_MISSING_ELEMENT", "the report has no OrgnlGrpInfAndSts")
    code, info = _reason(group)
    created = xml.find(header, "CreDtTm")
    return StatusReport(
        path=os.fspath(path),
        message_type=message_type,
        msg_id=xml.text(header, "MsgId"),
        created_at=xml.to_datetime(xml.text(header, "CreDtTm"), created, "CreDtTm")
        if created is not None
        else None,
        original_msg_id=xml.text(group, "OrgnlMsgId"),
        original_msg_name_id=xml.text(group, "OrgnlMsgNmId"),
        group_status=xml.text(group, "GrpSts"),
        group_reason_code=code,
        group_additional_info=info,
        max_bytes=max_bytes,
    )
