"""The results of the pain.002 reader, and what the statuses mean.

Kept apart so that :mod:`iso20022.pain002` (the header and the report) and
:mod:`iso20022.pain002_stream` (the streaming pass) share them; import them from
:mod:`iso20022.pain002`, which re-exports them. The table of status meanings is in that
module's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

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


@dataclass(slots=True)
class InlineValidation:
    """The schema the report's full pass (``statuses``) validates against while it reads,
    and whether a pass did, to the end, and found the file valid (``done``). Set by
    :func:`iso20022.read_bank_answer` with ``validate_while_reading``."""

    schema: object  # lxml.etree.XMLSchema
    message_type: str
    done: bool = False
