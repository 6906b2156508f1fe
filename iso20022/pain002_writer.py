"""The demo bank: writes the pain.002 payment status report a bank sends for a pain.001.

The engine itself only *reads* status reports; this writer exists for the demo, the tests
and the benchmarks, which play the bank. It answers a pain.001.001.03 with a
pain.002.001.03 and a pain.001.001.09 with a pain.002.001.10 (the pairs the Danish banks
use; ``version=`` overrides), at every level a bank answers on:

* the group (``GrpSts`` + reason), e.g. ``RJCT`` for a whole file, or ``ACCP`` alone;
* payment information blocks (:class:`PaymentInfoAnswer`): ``PmtInfSts`` + reason, with or
  without transactions, e.g. the CGI "reject of a debit entry" ``RJCT``/``AM04`` for a
  whole ``PmtInf``;
* transactions (:class:`TxAnswer`), with any mix of statuses (ACTC, ACCP, ACSP, ACWC, PDNG,
  ACSC, ACCC, RJCT …).

Every file it writes validates against the shipped official schema of its version (tested);
input it cannot write validly is refused with ``PAIN002_INVALID_INPUT`` (e.g. ``ACCC``,
which pain.002.001.03 does not know). Transactions are streamed (``transactions`` may be a
generator), so it also writes the million-transaction files of the benchmarks. A path is
written through :func:`iso20022.output.atomic_file` (mode 0600, complete or absent).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from iso20022.errors import Pain002Error
from iso20022.output import atomic_file

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:{version}"
ANSWERS = {"pain.001.001.03": "pain.002.001.03", "pain.001.001.09": "pain.002.001.10"}
VERSIONS = ("pain.002.001.03", "pain.002.001.10")
# pain.002.001.03 has enumerations; .10 external codes (Max4Text): any 1-4 letters/digits.
_TX_STATUSES_03 = frozenset({"ACTC", "RJCT", "PDNG", "ACCP", "ACSP", "ACSC", "ACWC"})
_GROUP_STATUSES_03 = _TX_STATUSES_03 | {"RCVD", "PART"}
_CODE = re.compile(r"[A-Z0-9]{1,4}")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True, slots=True)
class TxAnswer:
    """The answer for one transaction (``TxInfAndSts``)."""

    end_to_end_id: str
    status: str  # ACSC, ACCP, RJCT, …
    reason_code: str | None = None
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentInfoAnswer:
    """The answer for one original ``PmtInf`` (``OrgnlPmtInfAndSts``); ``status`` ``None``
    leaves ``PmtInfSts`` out; ``transactions`` may be empty (a block-level answer)."""

    original_payment_info_id: str
    status: str | None = None
    reason_code: str | None = None
    additional_info: str | None = None
    transactions: Iterable[TxAnswer] = ()


def write(
    out: str | os.PathLike[str] | BinaryIO,
    *,
    msg_id: str,
    created_at: datetime,
    original_msg_id: str,
    group_status: str | None,
    transactions: Iterable[TxAnswer] = (),
    original_msg_name_id: str = "pain.001.001.03",
    original_payment_info_id: str | None = None,
    group_reason_code: str | None = None,
    payment_infos: Iterable[PaymentInfoAnswer] = (),
    group_additional_info: str | None = None,
    version: str | None = None,
) -> None:
    """Write the report to ``out`` (a path, or a binary stream).

    ``transactions`` (if any) form one block, ``original_payment_info_id`` (default
    ``{original_msg_id}-1``, the engine's own naming) with no ``PmtInfSts``; the blocks of
    ``payment_infos`` follow it. With neither, the group status answers for the whole
    message. ``version`` defaults to the answer to ``original_msg_name_id`` (see module doc).
    """
    version = version or ANSWERS.get(original_msg_name_id)
    if version not in VERSIONS:
        raise Pain002Error(
            "PAIN002_INVALID_INPUT",
            f"no pain.002 version for {original_msg_name_id!r}; give version= one of "
            f"{', '.join(VERSIONS)}",
            "version",
        )
    writer = _Report(version)
    header = writer.header(
        msg_id, created_at, original_msg_id, original_msg_name_id, group_status
    ) + writer.reason(group_reason_code, group_additional_info, "OrgnlGrpInfAndSts")
    first = iter(transactions)
    blocks = _blocks(first, original_payment_info_id or f"{original_msg_id}-1", payment_infos)
    if isinstance(out, (str, os.PathLike)):
        with atomic_file(out) as raw:
            writer.run(raw, header, blocks)
    else:
        writer.run(out, header, blocks)


def _blocks(
    transactions: Iterable[TxAnswer], first_id: str, more: Iterable[PaymentInfoAnswer]
) -> Iterable[PaymentInfoAnswer]:
    """The ``transactions`` argument as a block (if it has any), then the others."""
    iterator = iter(transactions)
    for head in iterator:
        yield PaymentInfoAnswer(first_id, transactions=_chain(head, iterator))
        break
    yield from more


def _chain(head: TxAnswer, rest: Iterable[TxAnswer]) -> Iterable[TxAnswer]:
    yield head
    yield from rest


def _fail(message: str, field: str) -> Pain002Error:
    return Pain002Error("PAIN002_INVALID_INPUT", message, field)


def _text(value: object, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= max_len or value != value.strip():
        raise _fail(f"{value!r} must be 1-{max_len} characters without outer spaces", field)
    return value


def _element(tag: str, text: str | None = None) -> etree._Element:
    element = etree.Element(tag)
    element.text = text
    return element


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


class _Report:
    """One report being written; knows the statuses its version allows."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.namespace = NAMESPACE.format(version=version)
        self.old = version == "pain.002.001.03"

    def status(self, value: object, field: str, *, group: bool) -> str:
        allowed = (_GROUP_STATUSES_03 if group else _TX_STATUSES_03) if self.old else None
        ok = isinstance(value, str) and _CODE.fullmatch(value)
        if not ok or (allowed is not None and value not in allowed):
            raise _fail(f"{value!r} is not a status {self.version} allows here", field)
        return value

    def reason(self, code: str | None, info: str | None, field: str) -> list[etree._Element]:
        """``StsRsnInf`` (``Rsn/Cd`` and ``AddtlInf``), or nothing."""
        if code is None and info is None:
            return []
        reason = _element("StsRsnInf")
        if code is not None:
            if not isinstance(code, str) or not _CODE.fullmatch(code):
                raise _fail(f"{code!r} is not a reason code of 1-4 letters/digits", field)
            _sub(_sub(reason, "Rsn"), "Cd", code)
        if info is not None:
            _sub(reason, "AddtlInf", _text(info, f"{field}.AddtlInf", 105))
        return [reason]

    def header(
        self, msg_id: str, created: datetime, original: str, name_id: str, status: str | None
    ) -> list[etree._Element]:
        if not isinstance(created, datetime):
            raise _fail("created_at must be a datetime", "GrpHdr.CreDtTm")
        grp = _element("GrpHdr")
        _sub(grp, "MsgId", _text(msg_id, "GrpHdr.MsgId", 35))
        _sub(grp, "CreDtTm", created.isoformat(timespec="seconds"))
        group = _element("OrgnlGrpInfAndSts")
        _sub(group, "OrgnlMsgId", _text(original, "OrgnlMsgId", 35))
        _sub(group, "OrgnlMsgNmId", _text(name_id, "OrgnlMsgNmId", 35))
        if status is not None:
            _sub(group, "GrpSts", self.status(status, "GrpSts", group=True))
        return [grp, group]

    def run(
        self, out: BinaryIO, header: list[etree._Element], blocks: Iterable[PaymentInfoAnswer]
    ) -> None:
        ns = self.namespace
        grp, group, *reason = header
        group.extend(reason)  # StsRsnInf follows GrpSts inside OrgnlGrpInfAndSts
        out.write(_DECLARATION)
        with etree.xmlfile(out, encoding="UTF-8") as xf:
            with xf.element(f"{{{ns}}}Document", nsmap={None: ns}):
                xf.write("\n")
                with xf.element(f"{{{ns}}}CstmrPmtStsRpt"):
                    xf.write("\n")
                    for element in (grp, group):
                        element.tail = "\n"
                        xf.write(element)
                    for block in blocks:
                        self._block(xf, block)
                xf.write("\n")
        out.write(b"\n")

    def _block(self, xf, block: PaymentInfoAnswer) -> None:
        if not isinstance(block, PaymentInfoAnswer):
            raise _fail(f"expected a PaymentInfoAnswer, got {type(block).__name__}", "PmtInf")
        where = f"OrgnlPmtInfAndSts[{block.original_payment_info_id}]"
        head = [_element("OrgnlPmtInfId", _text(block.original_payment_info_id, where, 35))]
        if block.status is not None:
            head.append(_element("PmtInfSts", self.status(block.status, where, group=True)))
        head += self.reason(block.reason_code, block.additional_info, where)
        with xf.element(f"{{{self.namespace}}}OrgnlPmtInfAndSts"):
            xf.write("\n")
            for element in head:
                element.tail = "\n"
                xf.write(element)
            for answer in block.transactions:
                xf.write(self._transaction(answer, where))
        xf.write("\n")

    def _transaction(self, answer: TxAnswer, where: str) -> etree._Element:
        if not isinstance(answer, TxAnswer):
            raise _fail(f"expected a TxAnswer, got {type(answer).__name__}", where)
        field = f"{where}.TxInfAndSts[{answer.end_to_end_id}]"
        tx = _element("TxInfAndSts")
        _sub(tx, "OrgnlEndToEndId", _text(answer.end_to_end_id, field, 35))
        _sub(tx, "TxSts", self.status(answer.status, f"{field}.TxSts", group=False))
        tx.extend(self.reason(answer.reason_code, answer.additional_info, field))
        tx.tail = "\n"
        return tx
