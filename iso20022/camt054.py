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
"point to point reference assigned by the sending party", i.e. ours). Nordea publishes a
guide of its own for the debit notifications of pain.001 payments (Corporate Access
Payables MIG "camt.054.001.02 – Debit Notification", v1.6 of 2019-06-24, "only a
description of Debit entries"); the public copies searched show its contents only, so
the reader takes both places rather than rely on one. The notification level has no
reference to a pain.001:
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
from datetime import datetime

from iso20022 import xml
from iso20022.camt054_stream import exact, walk
from iso20022.camt054_types import BookedDebit, ReturnedCredit
from iso20022.errors import XmlInputError

__all__ = ["BookedDebit", "Notification", "ReturnedCredit", "read"]

FAMILY = "camt.054"


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
        return walk(self, returns=returns, debits=debits)


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
    msg_id = exact(xml.find(header, "MsgId"))
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
