"""Generate a big pain.002 status report for the benchmarks (valid against the shipped XSD).

    .venv/bin/python -m benchmarks.returns_file OUT.xml --count 1000000 [--version .10]

The file answers a pain.001 of ``count`` transactions in blocks of 9,999 (the most a
``PmtInf`` holds): group ``PART``, each block ``PART``, each transaction with its status
(one in 20 ``RJCT`` with a reason and an additional text, the rest ``ACSC``), its
original end-to-end id, amount and execution date: about 200 bytes per transaction, so
1,000,000 transactions make a file of about 200 MB. Written with plain string formatting
(a few seconds for a million), because what is measured is reading it, not writing it;
``tests/iso20022/test_benchmarks.py`` checks that a small one validates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PER_BLOCK = 9_999
VERSIONS = ("pain.002.001.03", "pain.002.001.10")


def write_pain002(
    path: str | Path, count: int, *, version: str = "pain.002.001.03", reject_every: int = 20
) -> int:
    """Write the report to ``path``; return its size in bytes."""
    if version not in VERSIONS:
        raise SystemExit(f"version must be one of {', '.join(VERSIONS)}")
    name_id = "pain.001.001.03" if version == "pain.002.001.03" else "pain.001.001.09"
    date = (
        "<ReqdExctnDt>2026-03-03</ReqdExctnDt>"
        if version == "pain.002.001.03"
        else "<ReqdExctnDt><Dt>2026-03-03</Dt></ReqdExctnDt>"
    )
    accepted = (
        "<TxInfAndSts><OrgnlEndToEndId>NR-20260302-{i:09d}"
        '</OrgnlEndToEndId><TxSts>ACSC</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy="DKK">'
        "{kr}.{ore:02d}</InstdAmt></Amt>" + date + "</OrgnlTxRef></TxInfAndSts>\n"
    )
    rejected = (
        "<TxInfAndSts><OrgnlEndToEndId>NR-20260302-{i:09d}"
        "</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn>"
        "<AddtlInf>Account closed</AddtlInf></StsRsnInf><OrgnlTxRef><Amt>"
        '<InstdAmt Ccy="DKK">{kr}.{ore:02d}</InstdAmt></Amt>' + date + "</OrgnlTxRef>"
        "</TxInfAndSts>\n"
    )
    size = 0
    with open(path, "w", encoding="ascii", buffering=1 << 20) as out:
        size += out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}">\n<CstmrPmtStsRpt>\n'
            "<GrpHdr><MsgId>BANK-20260303-1</MsgId><CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm>"
            "</GrpHdr>\n<OrgnlGrpInfAndSts><OrgnlMsgId>NR-20260302</OrgnlMsgId>"
            f"<OrgnlMsgNmId>{name_id}</OrgnlMsgNmId><OrgnlNbOfTxs>{count}</OrgnlNbOfTxs>"
            "<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\n"
        )
        for first in range(0, count, PER_BLOCK):
            last = min(first + PER_BLOCK, count)
            chunk = [
                f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>NR-20260302-{first // PER_BLOCK + 1}"
                f"</OrgnlPmtInfId><OrgnlNbOfTxs>{last - first}</OrgnlNbOfTxs>"
                "<PmtInfSts>PART</PmtInfSts>\n"
            ]
            for i in range(first, last):
                ore = 10_000 + (i * 7_919) % 2_000_000
                template = rejected if i % reject_every == 0 else accepted
                chunk.append(template.format(i=i, kr=ore // 100, ore=ore % 100))
            chunk.append("</OrgnlPmtInfAndSts>\n")
            size += out.write("".join(chunk))
        size += out.write("</CstmrPmtStsRpt>\n</Document>\n")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--version", default="pain.002.001.03", choices=VERSIONS)
    args = parser.parse_args()
    size = write_pain002(args.out, args.count, version=args.version)
    print(f"{args.out}: {args.count:,} transaction statuses, {size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
