"""Write a pain.002.001.03 payment status report — the bank's answer to a pain.001.

The engine itself only *reads* status reports; this writer exists for the demo and the
tests, which play the bank: they answer a generated pain.001 with accepted and rejected
transactions. The output validates against the official pain.002.001.03 schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from lxml import etree

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"


@dataclass(frozen=True, slots=True)
class TxAnswer:
    end_to_end_id: str
    status: str  # ACSC, ACCP, RJCT, …
    reason_code: str | None = None


def write(
    out: str | os.PathLike[str] | BinaryIO,
    *,
    msg_id: str,
    created_at: datetime,
    original_msg_id: str,
    group_status: str,
    transactions: Iterable[TxAnswer],
    original_msg_name_id: str = "pain.001.001.03",
    original_payment_info_id: str | None = None,
    group_reason_code: str | None = None,
) -> None:
    """Write the report; ``transactions`` may be empty for a group-level answer."""
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    report = etree.SubElement(root, "CstmrPmtStsRpt")
    header = etree.SubElement(report, "GrpHdr")
    etree.SubElement(header, "MsgId").text = msg_id
    etree.SubElement(header, "CreDtTm").text = created_at.isoformat(timespec="seconds")
    group = etree.SubElement(report, "OrgnlGrpInfAndSts")
    etree.SubElement(group, "OrgnlMsgId").text = original_msg_id
    etree.SubElement(group, "OrgnlMsgNmId").text = original_msg_name_id
    etree.SubElement(group, "GrpSts").text = group_status
    if group_reason_code:
        reason = etree.SubElement(etree.SubElement(group, "StsRsnInf"), "Rsn")
        etree.SubElement(reason, "Cd").text = group_reason_code
    answers = list(transactions)
    if answers:
        payment = etree.SubElement(report, "OrgnlPmtInfAndSts")
        etree.SubElement(payment, "OrgnlPmtInfId").text = (
            original_payment_info_id or f"{original_msg_id}-1"
        )
        for answer in answers:
            tx = etree.SubElement(payment, "TxInfAndSts")
            etree.SubElement(tx, "OrgnlEndToEndId").text = answer.end_to_end_id
            etree.SubElement(tx, "TxSts").text = answer.status
            if answer.reason_code:
                reason = etree.SubElement(etree.SubElement(tx, "StsRsnInf"), "Rsn")
                etree.SubElement(reason, "Cd").text = answer.reason_code
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if hasattr(out, "write"):
        out.write(data)
    else:
        with open(out, "wb") as fh:
            fh.write(data)
