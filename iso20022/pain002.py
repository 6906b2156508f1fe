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

from lxml import etree

from iso20022 import xml
from iso20022.errors import XmlInputError
from iso20022.pain002_stream import count, decimal, exact, reason, walk
from iso20022.pain002_types import (
    IN_PROGRESS,
    PARTIAL,
    REJECTED,
    SETTLED,
    InlineValidation,
    PaymentInfoStatus,
    TransactionStatus,
    status_meaning,
)

__all__ = [
    "IN_PROGRESS",
    "PARTIAL",
    "REJECTED",
    "SETTLED",
    "PaymentInfoStatus",
    "StatusReport",
    "TransactionStatus",
    "read",
    "status_meaning",
]

FAMILY = "pain.002"


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
    #: the schema ``statuses`` validates against while reading (one pass for both)
    validation: InlineValidation | None = field(default=None, compare=False, repr=False)

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
        return walk(self, transactions=transactions, payment_infos=payment_infos)


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
    return exact(xml.find(element, "MsgId")), when


def _group(element: etree._Element) -> tuple:
    code, info = reason(element)
    return (
        exact(xml.find(element, "OrgnlMsgId")),
        xml.text(element, "OrgnlMsgNmId"),
        xml.text(element, "GrpSts"),
        code,
        info,
        count(xml.find(element, "OrgnlNbOfTxs")),
        decimal(xml.find(element, "OrgnlCtrlSum"), "OrgnlCtrlSum"),
    )
