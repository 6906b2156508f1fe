"""Every list the CLI prints has one shape (``cli.listing``): line 1 names the columns, one
line per item, a last line that starts with the count (``1 batch``, ``2 orders``), and one
line — ``no …`` — when the list is empty. Checked for each list command on both databases,
by structure: the header's column names, the number of lines, the count's number and noun.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cli.listing import Column, count, none, summary
from cli.main import cli
from tests.support import EMPLOYER, Cli, cpr, worked

CITIZEN = "0101901234"  # the worked example's employee


def columns(line: str) -> list[str]:
    """The column names of a header line (columns are two or more spaces apart)."""
    return re.split(r" {2,}", line.strip())


def listed(output: str) -> tuple[list[str], list[str], tuple[int, str]]:
    """(header columns, item lines, (count, noun)) of a printed list."""
    lines = output.splitlines()
    assert len(lines) >= 3, output
    number, noun = re.match(r"([\d,]+) ([a-z]+)", lines[-1]).groups()
    return columns(lines[0]), lines[1:-1], (int(number.replace(",", "")), noun)


def test_count_and_none_are_grammatical():
    assert [count(n, "order") for n in (0, 1, 2, 1000)] == [
        "0 orders",
        "1 order",
        "2 orders",
        "1,000 orders",
    ]
    assert count(1, "batch", "batches") == "1 batch" and count(3, "batch", "batches") == "3 batches"
    assert none("recovery", "recoveries") == "no recoveries"
    assert (
        summary({"created": 1, "invalid": 2}, "claim", tail="x")
        == "3 claims: 1 created, 2 invalid; x"
    )
    assert summary({}, "claim") == "no claims"


def test_a_long_value_pushes_its_line_instead_of_merging_columns(capsys):
    from cli.listing import print_list

    print_list([Column("A", 2), Column("B")], [("abcdef", "x")], "row")
    header, line, total = capsys.readouterr().out.splitlines()
    assert columns(header) == ["A", "B"] and columns(line) == ["abcdef", "x"]
    assert total == "1 row"


def test_every_list_has_a_header_a_count_and_one_line_when_empty(db_url, tmp_path, monkeypatch):
    """…and none of them, nor any other output of the scenario, shows a full CPR."""
    monkeypatch.chdir(tmp_path)  # out/ and outbox/ are the defaults, relative
    commands = Cli(db_url)
    run = commands.text
    empty = {
        ("claims", "list"): "no claims",
        ("claims", "recoveries"): "no recoveries",
        ("orders", "list"): "no orders",
        ("batch", "list"): "no batches",
        ("accounts", "letters"): "no letters",
        ("accounts", "letters", "--pending"): "no pending letters",
        ("accounts", "history", "--cpr", CITIZEN): "no registrations for 010190-****",
    }
    for args, line in empty.items():
        assert run(*args).splitlines() == [line], args
    assert len(run("accounts", "suspicious").splitlines()) == 1

    claims = tmp_path / "claims.ndjson"
    claims.write_text(
        "".join(
            json.dumps(worked(external_ref=f"L-{n}", employee_cpr=cpr(n))) + "\n" for n in range(3)
        )
    )
    submitted = run("claims", "submit", str(claims), "--date", "2024-03-20")
    header, rows, total = listed(submitted)
    assert header == ["POSITION", "REF", "OUTCOME", "STATUS", "AMOUNT", "CODES"]
    assert (len(rows), total) == (3, (3, "claims"))

    header, rows, total = listed(run("claims", "list"))
    assert header == ["EMPLOYER", "REF", "KIND", "PERIOD", "VERSION", "STATUS", "AMOUNT", "CODES"]
    assert [r.split()[1] for r in rows] == ["L-2", "L-1", "L-0"] and total == (3, "claims")

    decided = CliRunner().invoke(cli, ["rules", "decide", str(claims)]).stdout
    header, rows, total = listed(decided)
    assert header[:2] == ["POSITION", "REF"] and header[-1] == "CODES"
    assert total == (3, "claims")

    for n in range(6):  # six owners of one account (a money-mule signal), one a citizen
        owner = CITIZEN if n == 0 else cpr(10 + n)
        run("accounts", "register", "--cpr", owner, "--reg", "1234", "--account", "99",
            "--channel", "bank", "--actor", "bank", "--date", "2024-03-01")  # fmt: skip
    header, rows, total = listed(run("accounts", "history", "--cpr", CITIZEN))
    assert header == ["REGISTRATION", "ACCOUNT", "STATUS", "CHANNEL", "FROM", "UNTIL"]
    assert rows[0].split()[:3] == ["1", "****0099", "active"] and total == (1, "registration")
    header, rows, total = listed(run("accounts", "suspicious", "--as-of", "2024-03-20"))
    assert header == ["ACCOUNT", "OWNERS", "REGISTRATIONS", "OWNER LIST"]
    assert rows[0].split()[:2] == ["****0099", "6"] and total == (1, "account")
    assert CITIZEN not in run("accounts", "suspicious", "--as-of", "2024-03-20")

    run("accounts", "register", "--cpr", cpr(30), "--reg", "1234", "--account", "77",
        "--channel", "citizen", "--actor", "clerk", "--date", "2024-03-01")  # fmt: skip
    header, rows, total = listed(run("accounts", "letters"))
    assert header == ["LETTER", "REGISTRATION", "OWNER", "CREATED", "STATE", "EXPORTED"]
    assert (len(rows), total) == (1, (1, "letter"))

    run("accounts", "register", "--cvr", EMPLOYER, "--reg", "1234", "--account", "77",
        "--channel", "bank", "--actor", "bank", "--date", "2024-03-01")  # fmt: skip
    run("batch", "run", "--date", "2024-03-20", "--yes", "--actor", "alice")
    header, rows, total = listed(run("batch", "list"))
    assert header == ["BATCH", "RUN DATE", "STATUS", "ORDERS", "AMOUNT", "FILES"]
    assert rows[0].split()[:4] == ["1", "2024-03-20", "generated", "3"] and total == (1, "batch")

    header, rows, total = listed(run("orders", "list"))
    assert header == ["ORDER", "PAYEE", "AMOUNT", "DUE", "STATE", "REASON / BATCH", "PAYMENT DATE"]
    assert (len(rows), total) == (3, (3, "orders"))
    header, rows, total = listed(run("orders", "list", "--limit", "2"))
    assert (len(rows), total[0]) == (2, 2) and "more after order 2" in run(
        "orders", "list", "--limit", "2"
    ).splitlines()[-1]

    run("batch", "approve", "1", "--actor", "bob")
    released = run("batch", "release", "1", "--actor", "carol").splitlines()[0]
    assert released == f"batch 1 released to {(tmp_path / 'outbox').resolve()}:"  # absolute

    out = run("audit", "show")
    header, rows, total = listed(out)
    assert header == ["EVENT", "TIME", "ACTOR", "ACTION", "SUBJECT", "PAYLOAD"]
    assert total == (len(rows), "events") and len(rows) > 3
    header, rows, total = listed(run("audit", "show", "--limit", "1"))
    assert total == (1, "event") and rows[0].split()[0] == "1"
    assert run("audit", "show", "--after", "100000").splitlines() == ["no events"]
    assert re.match(r"\d+ events, chain intact$", run("audit", "verify").strip())

    shows = [
        ("claims", "show", "--employer", EMPLOYER, "--ref", "L-0"),
        ("claims", "explain", "--employer", EMPLOYER, "--ref", "L-0"),
        ("orders", "show", "1"),
        ("batch", "show", "1"),
        ("accounts", "show", "--cpr", CITIZEN, "--as-of", "2024-03-20"),
        ("claims", "list", "--json"),
        ("orders", "list", "--json"),
        ("audit", "show", "--json"),
        ("accounts", "letters", "--json"),
    ]
    everything = "\n".join([*commands.outputs, *(run(*args) for args in shows)])
    full = [CITIZEN, *(cpr(n) for n in (*range(3), *range(11, 16), 30))]
    assert [n for n in full if n in everything or f"{n[:6]}-{n[6:]}" in everything] == []


@pytest.mark.parametrize("n, line", [(1, "1 anchor holds"), (2, "2 anchors hold")])
def test_verify_counts_its_anchors_grammatically(db_url, tmp_path, n, line):
    commands = Cli(db_url)
    run = commands.text
    files = []
    for i in range(n):
        files += ["--checkpoint", str(tmp_path / f"head-{i}.json")]
        (tmp_path / f"head-{i}.json").write_text(run("audit", "checkpoint", "--json"))
    assert run("audit", "verify", *files).strip().endswith(line)
