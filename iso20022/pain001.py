"""Streaming pain.001 writer (Customer Credit Transfer Initiation) for Danish banks.

``write(out, group_header, payment_infos, version="001.001.03")`` writes one file,
incrementally: transactions are pulled one at a time from the caller's iterables and written
in chunks of 64, so memory stays constant however many transactions a file has. Versions:
``001.001.03`` (Danish market practice, the default) and ``001.001.09``.

How: the document, the group header and each ``PmtInf`` header are written with
``lxml.etree.xmlfile``. A transaction is written from its shape's template (``CdtTrfTxInf``
as lxml serialises it, built once per shape: IBAN or BBAN account, with or without agent,
name, remittance) with the checked values put in; that is several times faster than an
element per transaction and gives the same bytes, because every value has passed a check
that leaves only characters needing no XML escape (letters, digits, ``/-?:().,'+``, space,
Danish and Swedish letters; never ``& < > ]``).

**Totals come from the caller.** ``GrpHdr/NbOfTxs`` and ``CtrlSum`` precede the
transactions in the file, and so do each ``PmtInf``'s own ``NbOfTxs`` and ``CtrlSum``; a
streaming writer cannot add them up first. The caller declares them in
:class:`GroupHeader` and :class:`PaymentInfo` (from a ``COUNT``/``SUM`` query or a cheap
first pass; :func:`totals` does that for a small in-memory list). While streaming, the writer
counts and sums what it actually writes and raises ``PAIN001_TOTALS_MISMATCH`` at the end of
the ``PmtInf`` (or of the file) where they differ, so a file whose header lies is never
finished.

**Partial output, and who may read the file.** Errors can only surface mid-stream. When
``out`` is a path, the writer writes to a temporary file beside it, created with
``os.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)`` (see
:mod:`iso20022.output`), and renames it to ``out`` (after ``fsync``) only when the file is
complete: on any error the temporary file is removed and an existing ``out`` is left
untouched. When ``out`` is a binary stream the caller opened, bytes already written stay in
it; the caller must throw that output away (write to a temporary name and rename on
success), and **must create the file mode 0600** (readable by its owner only): a payment
file holds account numbers and moves money.

Choices where the issue is silent, as a Danish bank expects them:

* Identifiers (MsgId, PmtInfId, EndToEndId) are checked, not cleaned (see
  :mod:`iso20022.text`); the uniqueness of EndToEndIds across orders is the database's
  constraint and is not re-checked here (that would cost memory per transaction).
* Amounts are ``Decimal``, positive, in whole øre (a third decimal is an error: rounding is
  the caller's business), below 10^16; written as ``InstdAmt Ccy="DKK"`` with exactly two
  decimals. Only DKK is written: ``CtrlSum`` adds amounts and means nothing across
  currencies.
* Creditor account: :class:`IbanAccount` → ``CdtrAcct/Id/IBAN`` (upper case, no spaces,
  checked with ISO 7064 mod 97; Danish IBANs are 18 characters); :class:`DomesticAccount`
  (reg. no. of 4 digits + account no. of up to 10 digits) → ``CdtrAcct/Id/Othr/Id`` with the
  14 digits (account number left-padded with zeros) and ``SchmeNm/Cd = BBAN``.
* Sources for the bank rules below: issue #15, after Nordea's MIG for pain.001.001.03
  (Corporate Access Payables, MIG 1.3 of 2017-06-20, "an appendix to the ISO 20022 MDR 2009
  and the CGI documentation") and Danske Bank's CGI MIG for pain.001.001.03 (v4.4, July
  2024). The public copies of those guides this was checked against show only their title
  pages and contents, so each figure here is the issue's, as the guides give it to it.
* Creditor name ``Cdtr/Nm``: required by Nordea in every transaction.
  ``write(..., require_creditor_name=True)`` refuses a transaction without one
  (``PAIN001_INVALID_INPUT``, field ``…Cdtr.Nm``): an authority paying to a CPR number
  through NemKonto that does not know the name passes a placeholder. A name that is given
  but has no bank-accepted characters (blank, control characters only) is always refused.
  The default is ``False`` for now, only because the engine's batch does not pass names
  yet: it then leaves ``Cdtr`` out of a transaction without a name, as before. The name is
  cleaned (:mod:`iso20022.text`) and at most :data:`CREDITOR_NAME_MAX` = 70 characters, in
  both versions: the XSDs allow 140 (``Max140Text`` in ``PartyIdentification32`` of .03
  and ``PartyIdentification135`` of .09), the banks take 70 (as the EPC's SEPA guidelines
  do); cutting a name is the caller's decision, so a longer one is an error. No creditor
  postal address is ever written (Danske Bank refuses unstructured ``AdrLine`` from
  15 November 2026), so none can be wrong.
* At most :data:`MAX_TX_PER_PAYMENT_INFO` = 9,999 transactions per ``PmtInf`` (Nordea's
  limit per payment information): a ``PmtInf`` that declares or streams more is refused
  (``PAIN001_INVALID_INPUT``, field ``PmtInf[id].NbOfTxs``) before its 10,000th
  transaction is written. A file may hold several such ``PmtInf``.
* Debtor: ``Dbtr/Nm``, ``Dbtr/PstlAdr/Ctry`` (:attr:`Debtor.country`, ``DK`` by default,
  the only address element written: structured, so no bank refuses it; ``None`` leaves
  ``PstlAdr`` out), ``Dbtr/Id/OrgId/Othr`` when :attr:`Debtor.org_id` is given,
  ``DbtrAcct/Id/IBAN`` and ``DbtrAcct/Ccy = DKK`` (the account's currency, optional in the
  XSD, asked for by the issue), ``DbtrAgt/FinInstnId/BIC`` (.03) or ``BICFI`` (.09).
* Initiating party: ``InitgPty/Nm`` and, when :attr:`GroupHeader.initiating_party_id` is a
  :class:`PartyId`, ``InitgPty/Id/OrgId/Othr/Id`` with ``SchmeNm/Cd`` and (if given)
  ``Issr``. The same elements, in the same order, are valid in .03 (``PartyIdentification32``
  → ``OrganisationIdentification4``) and .09 (``PartyIdentification135`` →
  ``OrganisationIdentification29``). Use ``PartyId(agreement_id, "CUST")`` for a bank
  agreement (customer) number, ``PartyId(cvr, "COID")`` for the CVR number; ``Issr`` (e.g.
  ``"NORDEA"``) when the bank wants it.
* ``ChrgBr`` is written at payment level, ``SHAR`` by default: the usual choice for domestic
  DKK transfers. ``SLEV`` (follow the service level) is SEPA practice, meaningful for EUR
  only; it is accepted if asked for, and ``None`` leaves the element out.
* ``CreDtTm`` is the caller's timezone-aware ``created_at`` to the second, with its offset.
  Nothing here reads the clock, so the same input gives byte-identical output.
* Layout: each transaction is one line, so an XSD error's line number names a transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

from lxml import etree

from iso20022 import pain001_checks as check
from iso20022.errors import Pain001Error
from iso20022.output import HashingSink, atomic_file
from iso20022.pain001_checks import (
    CHARGE_BEARERS,
    CREDITOR_NAME_MAX,
    CURRENCY,
    MAX_TX_PER_PAYMENT_INFO,
    TEXT_MAX,
    VERSIONS,
)
from iso20022.pain001_headers import Headers, _element, _sub
from iso20022.pain001_types import (
    DECIMAL_CONTEXT,
    Debtor,
    DomesticAccount,
    GroupHeader,
    IbanAccount,
    PartyId,
    PaymentInfo,
    Transaction,
    WriteResult,
    totals,
)
from iso20022.text import CLEAN, IDENTIFIER, check_identifier, clean_text

__all__ = [
    "CHARGE_BEARERS",
    "CREDITOR_NAME_MAX",
    "CURRENCY",
    "MAX_TX_PER_PAYMENT_INFO",
    "TEXT_MAX",
    "VERSIONS",
    "Debtor",
    "DomesticAccount",
    "GroupHeader",
    "IbanAccount",
    "PartyId",
    "PaymentInfo",
    "Transaction",
    "WriteResult",
    "totals",
    "write",
]

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.{version}"

_BATCH = 64  # transactions per write to the sink
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def write(
    out: str | os.PathLike[str] | BinaryIO,
    group_header: GroupHeader,
    payment_infos: Iterable[PaymentInfo],
    version: str = "001.001.03",
    *,
    require_creditor_name: bool = False,
) -> WriteResult:
    """Write one pain.001 file to ``out`` (a path, or a binary stream the caller opened,
    mode 0600); see the module docstring, also for ``require_creditor_name``."""
    if version not in VERSIONS:
        raise Pain001Error(
            "PAIN001_UNSUPPORTED",
            f"pain.001 version {version!r} is not supported; use one of {', '.join(VERSIONS)}",
            "version",
        )
    if isinstance(out, (str, os.PathLike)):
        return _write_path(out, group_header, payment_infos, version, require_creditor_name)
    return _Writer(out, version, require_creditor_name).run(group_header, payment_infos)


def _write_path(
    path: str | os.PathLike[str],
    header: GroupHeader,
    infos: Iterable[PaymentInfo],
    version: str,
    require_creditor_name: bool,
) -> WriteResult:
    """Write to ``path`` through :func:`iso20022.output.atomic_file` (0600, O_EXCL,
    O_NOFOLLOW, complete or absent)."""
    with atomic_file(path) as raw:
        return _Writer(raw, version, require_creditor_name).run(header, infos)


_fail = check.fail


class _Writer:
    """One file being written: the version's tag names, the counters, the templates."""

    def __init__(self, out: BinaryIO, version: str, require_creditor_name: bool = False) -> None:
        self.sink = HashingSink(out)
        self.version = version
        self.namespace = NAMESPACE.format(version=version)
        self.headers = Headers(version)
        self.bic_tag = self.headers.bic_tag
        self.bic_pattern = self.headers.bic_pattern
        self.require_creditor_name = require_creditor_name
        self.formats: dict[tuple[bool, bool, bool, bool], str] = {}

    def _format(self, key: tuple[bool, bool, bool, bool]) -> str:
        """The ``CdtTrfTxInf`` of one shape as lxml serialises it, with six ``%`` holes.

        ``template % (e2e, amount, bic, name, account, remittance)`` fills it: a value the
        shape has goes into its element (``%s``), one it lacks (no agent, no name, no
        remittance) into a ``%.0s`` that writes nothing. Filling a serialised template is
        several times faster than building and serialising an element per transaction (and
        ``%`` twice as fast as ``str.format``), and gives the same bytes: every value that
        fills a hole has passed a check that limits it to characters needing no escape in
        XML text (see :mod:`iso20022.text`; ``test_values_never_need_escaping``).
        """
        holes = [chr(0xE000 + i) for i in range(6)]  # private-use characters as markers
        tx, *elements = self._template(key)
        for element, hole in zip(elements, holes, strict=True):
            if element is not None:
                element.text = hole
        text = etree.tostring(tx, encoding="unicode").replace("%", "%%")
        absent = ""  # holes of values the shape lacks, kept in argument order
        for element, hole in zip(elements, holes, strict=True):
            if element is None:
                absent += "%.0s"
            else:
                text, absent = text.replace(hole, absent + "%s"), ""
        self.formats[key] = text + absent
        return text + absent

    def _template(self, key: tuple[bool, bool, bool, bool]) -> tuple:
        """A ``CdtTrfTxInf`` of one shape and the elements whose text varies."""
        domestic, has_bic, has_name, has_rmt = key
        tx = _element("CdtTrfTxInf")
        tx.tail = "\n"
        e2e = _sub(_sub(tx, "PmtId"), "EndToEndId")
        amount = etree.SubElement(_sub(tx, "Amt"), "InstdAmt", Ccy=CURRENCY)
        bic = _sub(_sub(_sub(tx, "CdtrAgt"), "FinInstnId"), self.bic_tag) if has_bic else None
        name = _sub(_sub(tx, "Cdtr"), "Nm") if has_name else None
        acct_id = _sub(_sub(tx, "CdtrAcct"), "Id")
        if domestic:
            othr = _sub(acct_id, "Othr")
            account = _sub(othr, "Id")
            _sub(_sub(othr, "SchmeNm"), "Cd", "BBAN")
        else:
            account = _sub(acct_id, "IBAN")
        rmt = _sub(_sub(tx, "RmtInf"), "Ustrd") if has_rmt else None
        return tx, e2e, amount, bic, name, account, rmt

    # -- the file --------------------------------------------------------------------------

    def run(self, header: GroupHeader, infos: Iterable[PaymentInfo]) -> WriteResult:
        grp, declared_count, declared_total = self.headers.group_header(header)
        count, total = 0, Decimal("0.00")
        seen_ids: set[str] = set()
        ns = self.namespace
        self.sink.write(_DECLARATION)
        with etree.xmlfile(self.sink, encoding="UTF-8") as xf:
            with xf.element(f"{{{ns}}}Document", nsmap={None: ns}):
                xf.write("\n")
                with xf.element(f"{{{ns}}}CstmrCdtTrfInitn"):
                    xf.write("\n")
                    xf.write(grp)
                    for info in infos:
                        if not isinstance(info, PaymentInfo):
                            raise _fail(
                                f"expected a PaymentInfo, got {type(info).__name__}", "PmtInf"
                            )
                        where = f"PmtInf[{info.pmt_inf_id}]"
                        if info.pmt_inf_id in seen_ids:
                            raise _fail("PmtInfId is used twice in the file", where)
                        seen_ids.add(info.pmt_inf_id)
                        head = self.headers.payment_header(info, where)
                        with xf.element(f"{{{ns}}}PmtInf"):
                            xf.write("\n")
                            for el in head:
                                xf.write(el)
                            xf.flush()  # the transactions go to the sink directly, after it
                            n, s = self._transactions(info.transactions, where)
                        xf.write("\n")
                        _check_totals(where, info.nb_of_txs, info.ctrl_sum, n, s)
                        count += n
                        total = DECIMAL_CONTEXT.add(total, s)
                xf.write("\n")
        _check_totals("GrpHdr", declared_count, declared_total, count, total)
        self.sink.write(b"\n")
        return WriteResult(count, total, self.sink.hexdigest(), self.sink.size)

    def _transactions(self, transactions: Iterable[Transaction], where: str) -> tuple[int, Decimal]:
        """Write every transaction of one ``PmtInf``; return the count and the sum.

        The hot loop of the package: each check has an inlined fast path for the valid case
        and falls back to the checking function, which raises with the field's full path.
        """
        count, total = 0, Decimal("0.00")
        formats, add, write = self.formats, DECIMAL_CONTEXT.add, self.sink.write
        chunk: list[str] = []
        identifier, clean, dk_iban = IDENTIFIER.fullmatch, CLEAN.fullmatch, check.DK_IBAN.fullmatch
        amount_form = check.AMOUNT_TEXT.fullmatch
        reg_form, acct_form = check.REG_NO.fullmatch, check.ACCOUNT_NO.fullmatch
        bic_form = self.bic_pattern.fullmatch
        require_name = self.require_creditor_name
        text_max, name_max, limit, batch, transaction, decimal, iban_account = (
            TEXT_MAX,
            CREDITOR_NAME_MAX,
            MAX_TX_PER_PAYMENT_INFO,
            _BATCH,
            Transaction,
            Decimal,
            IbanAccount,
        )  # locals: the loop is hot
        for tx in transactions:
            count += 1
            if count > limit:
                raise _fail(
                    f"more than {limit:,} transactions in one PmtInf; the banks refuse it",
                    f"{where}.NbOfTxs",
                )
            if type(tx) is not transaction and not isinstance(tx, Transaction):
                raise _fail(
                    f"expected a Transaction, got {type(tx).__name__}",
                    f"{where}.CdtTrfTxInf#{count}",
                )
            e2e, amount, account = tx.end_to_end_id, tx.amount, tx.creditor_account
            bic, name, rmt = tx.creditor_bic, tx.creditor_name, tx.remittance
            if type(e2e) is not str or not identifier(e2e):
                check_identifier(e2e, field=_tx_field(where, tx, "EndToEndId"))
            text = str(amount) if type(amount) is decimal else ""
            if amount_form(text):
                cents = amount  # already positive, two decimals, below 10^16
            else:
                cents = check.amount(amount, _tx_field(where, tx, "InstdAmt"))
                text = str(cents)
            total = add(total, cents)
            if type(account) is iban_account:
                number, domestic = account.iban, False
                if not (
                    type(number) is str
                    and dk_iban(number)
                    and int(number[4:] + "1320" + number[2:4]) % 97 == 1
                ):
                    check.iban(number, _tx_field(where, tx, "CdtrAcct"))  # other countries too
            elif type(account) is DomesticAccount:
                reg, number, domestic = account.reg_no, account.account_no, True
                if type(reg) is str and type(number) is str and reg_form(reg) and acct_form(number):
                    number = reg + number.zfill(10)
                else:
                    number = _domestic(account, _tx_field(where, tx, "CdtrAcct"))
            elif isinstance(account, DomesticAccount):
                number, domestic = _domestic(account, _tx_field(where, tx, "CdtrAcct")), True
            elif isinstance(account, IbanAccount):
                number = check.iban(account.iban, _tx_field(where, tx, "CdtrAcct"))
                domestic = False
            else:
                raise _fail(
                    "creditor_account must be an IbanAccount or a DomesticAccount",
                    _tx_field(where, tx, "CdtrAcct"),
                )
            if bic is not None and (type(bic) is not str or not bic_form(bic)):
                self.headers.bic(bic, _tx_field(where, tx, "CdtrAgt"))
            if (name is None and require_name) or (
                name is not None
                and (type(name) is not str or len(name) > name_max or not clean(name))
            ):
                name = self.headers.name(
                    name, _tx_field(where, tx, "Cdtr.Nm"), required=True, max_len=name_max
                )
            if rmt is not None and (type(rmt) is not str or len(rmt) > text_max or not clean(rmt)):
                rmt = (
                    clean_text(rmt, max_len=TEXT_MAX, field=_tx_field(where, tx, "RmtInf.Ustrd"))
                    or None
                )
            key = (domestic, bic is not None, name is not None, rmt is not None)
            fmt = formats.get(key) or self._format(key)
            chunk.append(fmt % (e2e, text, bic, name, number, rmt))
            if len(chunk) == batch:
                write("".join(chunk).encode())
                chunk.clear()
        if chunk:
            write("".join(chunk).encode())
        return count, total


def _tx_field(where: str, tx: Transaction, name: str) -> str:
    """The path of a transaction's field for an error message (built only on error)."""
    return f"{where}.CdtTrfTxInf[{tx.end_to_end_id}].{name}"


def _domestic(account: DomesticAccount, field: str) -> str:
    return check.domestic(account.reg_no, account.account_no, field)


def _check_totals(where: str, nb: int, ctrl: Decimal, count: int, total: Decimal) -> None:
    if nb != count or ctrl != total:
        raise Pain001Error(
            "PAIN001_TOTALS_MISMATCH",
            f"{where} declares NbOfTxs={nb} CtrlSum={ctrl} but has {count} transactions "
            f"summing to {total}",
            f"{where}.NbOfTxs" if nb != count else f"{where}.CtrlSum",
        )
