"""The headers of a pain.001: ``GrpHdr`` and each ``PmtInf`` before its transactions.

Built as lxml elements (a few per file, so speed does not matter here) by :class:`Headers`,
which knows the version's tag names; :mod:`iso20022.pain001` writes them and streams the
transactions after them. What is written, and why, is in that module's docstring.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from iso20022 import pain001_checks as check
from iso20022.pain001_checks import (
    CHARGE_BEARERS,
    CURRENCY,
    MAX_TX_PER_PAYMENT_INFO,
    TEXT_MAX,
)
from iso20022.pain001_types import Debtor, GroupHeader, PartyId, PaymentInfo
from iso20022.text import check_identifier, clean_text


def _element(tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.Element(tag, **attrib)
    el.text = text
    return el


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


class Headers:
    """The header elements of one version (``001.001.03`` or ``001.001.09``)."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.bic_tag = "BIC" if version == "001.001.03" else "BICFI"
        self.bic_pattern = check.BIC[version]

    def bic(self, value: object, field: str) -> str:
        if not isinstance(value, str) or not self.bic_pattern.fullmatch(value):
            raise check.fail(
                f"{value!r} is not a BIC ({self.bic_tag}) of 8 or 11 upper-case characters",
                field,
            )
        return value

    def party_id(self, parent: etree._Element, party: PartyId, field: str) -> None:
        if not isinstance(party, PartyId):
            raise check.fail(f"expected a PartyId, got {type(party).__name__}", field)
        othr = _sub(_sub(_sub(parent, "Id"), "OrgId"), "Othr")
        _sub(othr, "Id", check_identifier(party.id, field=f"{field}.Id"))
        _sub(_sub(othr, "SchmeNm"), "Cd", check.code(party.scheme_code, f"{field}.SchmeNm.Cd"))
        if party.issuer is not None:
            _sub(othr, "Issr", check_identifier(party.issuer, field=f"{field}.Issr"))

    def name(
        self, value: object, field: str, *, required: bool, max_len: int = TEXT_MAX
    ) -> str | None:
        """The cleaned name; ``None`` only when absent and not required. A name given but
        without any bank-accepted character is refused: it would be written as nothing."""
        if value is None:
            if required:
                raise check.fail("a name is required; pass a placeholder for an unknown one", field)
            return None
        name = clean_text(value, max_len=max_len, field=field)
        if not name:
            raise check.fail("the name is blank or has no bank-accepted characters", field)
        return name

    def group_header(self, header: GroupHeader) -> tuple[etree._Element, int, Decimal]:
        if not isinstance(header, GroupHeader):
            raise check.fail(f"expected a GroupHeader, got {type(header).__name__}", "GrpHdr")
        created = header.created_at
        if not isinstance(created, datetime) or created.utcoffset() is None:
            raise check.fail("created_at must be a timezone-aware datetime", "GrpHdr.CreDtTm")
        count = check.count(header.nb_of_txs, "GrpHdr.NbOfTxs")
        total = check.amount(header.ctrl_sum, "GrpHdr.CtrlSum")
        grp = _element("GrpHdr")
        _sub(grp, "MsgId", check_identifier(header.msg_id, field="GrpHdr.MsgId"))
        _sub(grp, "CreDtTm", created.isoformat(timespec="seconds"))
        _sub(grp, "NbOfTxs", str(count))
        _sub(grp, "CtrlSum", str(total))
        party = _sub(grp, "InitgPty")
        _sub(
            party,
            "Nm",
            self.name(header.initiating_party_name, "GrpHdr.InitgPty.Nm", required=True),
        )
        if header.initiating_party_id is not None:
            self.party_id(party, header.initiating_party_id, "GrpHdr.InitgPty.Id")
        grp.tail = "\n"
        return grp, count, total

    def payment_header(self, info: PaymentInfo, where: str) -> list[etree._Element]:
        """The children of ``PmtInf`` before the first ``CdtTrfTxInf``, in schema order."""
        out = [
            _element("PmtInfId", check_identifier(info.pmt_inf_id, field=f"{where}.PmtInfId")),
            _element("PmtMtd", "TRF"),
        ]
        if info.batch_booking is not None:
            out.append(_element("BtchBookg", "true" if info.batch_booking else "false"))
        nb = check.count(info.nb_of_txs, f"{where}.NbOfTxs", MAX_TX_PER_PAYMENT_INFO)
        out.append(_element("NbOfTxs", str(nb)))
        out.append(_element("CtrlSum", str(check.amount(info.ctrl_sum, f"{where}.CtrlSum"))))
        if info.service_level is not None or info.category_purpose is not None:
            tp = _element("PmtTpInf")
            if info.service_level is not None:
                _sub(_sub(tp, "SvcLvl"), "Cd", check.code(info.service_level, f"{where}.SvcLvl"))
            if info.category_purpose is not None:
                _sub(
                    _sub(tp, "CtgyPurp"),
                    "Cd",
                    check.code(info.category_purpose, f"{where}.CtgyPurp"),
                )
            out.append(tp)
        when = info.requested_execution_date
        if not isinstance(when, date) or isinstance(when, datetime):
            raise check.fail("requested_execution_date must be a date", f"{where}.ReqdExctnDt")
        reqd = _element("ReqdExctnDt")
        if self.version == "001.001.03":
            reqd.text = when.isoformat()
        else:
            _sub(reqd, "Dt", when.isoformat())
        out.append(reqd)
        debtor = info.debtor
        if not isinstance(debtor, Debtor):
            raise check.fail(f"expected a Debtor, got {type(debtor).__name__}", f"{where}.Dbtr")
        dbtr = _element("Dbtr")
        _sub(dbtr, "Nm", self.name(debtor.name, f"{where}.Dbtr.Nm", required=True))
        if debtor.country is not None:
            ctry = check.country(debtor.country, f"{where}.Dbtr.PstlAdr.Ctry")
            _sub(_sub(dbtr, "PstlAdr"), "Ctry", ctry)
        if debtor.org_id is not None:
            self.party_id(dbtr, debtor.org_id, f"{where}.Dbtr.Id")
        acct = _element("DbtrAcct")
        _sub(_sub(acct, "Id"), "IBAN", check.iban(debtor.iban, f"{where}.DbtrAcct"))
        _sub(acct, "Ccy", CURRENCY)
        agent = _element("DbtrAgt")
        _sub(_sub(agent, "FinInstnId"), self.bic_tag, self.bic(debtor.bic, f"{where}.DbtrAgt"))
        out += [dbtr, acct, agent]
        if info.charge_bearer is not None:
            if info.charge_bearer not in CHARGE_BEARERS:
                raise check.fail(
                    f"charge bearer must be one of {CHARGE_BEARERS}", f"{where}.ChrgBr"
                )
            out.append(_element("ChrgBr", info.charge_bearer))
        for el in out:
            el.tail = "\n"
        return out
