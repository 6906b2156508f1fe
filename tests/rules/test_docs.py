"""The documentation's examples are real: every one parses, validates and decides as written.

``docs/claim-format.md`` and ``docs/decision.md`` mark each claim example with an HTML comment
``<!-- example today=YYYY-MM-DD status=… amount=… supplement=… -->`` right before its fenced
block (```json: one claim; ```csv: a claim file, the values per row separated by commas). The
claim must validate against ``docs/schemas/claim.schema.json``, parse with ``rules.parse_claim``
on that day, and ``rules.decide`` must give the status and amounts written; the decision it gives
must validate against ``docs/schemas/decision.schema.json``. A ```json block marked
``<!-- decision … -->`` is a decision: it must validate against the decision schema, and one
marked "of the claim above" must agree with the real decision on the stable contract (status,
amount, supplement, weeks, reason codes).

``docs/bank-file.md``: a ```csv block marked ``<!-- bank-file rows=N rejects=M -->`` is read by
the bank file's own parser (no database) and gives that many rejects; the block marked
``<!-- rejects of the file above -->`` is exactly the reject file written for it.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from rules.claim import parse_claim
from rules.claim_file import iter_claim_records
from rules.decision import Decision
from rules.engine import decide

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"<!--\s*(?P<mark>[^>]*?)\s*-->\s*\n```(?P<lang>\w+)\n(?P<body>.*?)\n```", re.S)
CLAIM_SCHEMA = json.loads((DOCS / "schemas" / "claim.schema.json").read_text(encoding="utf-8"))
DECISION_SCHEMA = json.loads(
    (DOCS / "schemas" / "decision.schema.json").read_text(encoding="utf-8")
)
STABLE = ("status", "amount", "supplement", "days")


def _blocks(name: str) -> list[tuple[str, str, str]]:
    return [
        (m["mark"], m["lang"], m["body"])
        for m in BLOCK.finditer((DOCS / name).read_text(encoding="utf-8"))
    ]


def _marks(mark: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in mark.split()[1:])


def _stable(data: dict) -> dict:
    return {
        **{k: data[k] for k in STABLE},
        "weeks": [(w["week"], w["amount"], w["supplement"]) for w in data["weeks"]],
        "codes": [r["code"] for r in data["reasons"]],
    }


def _validate(instance, schema) -> None:
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_the_schemas_are_draft_2020_12():
    for schema in (CLAIM_SCHEMA, DECISION_SCHEMA):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


def _claims_of(lang: str, body: str) -> list[dict]:
    if lang == "json":
        raw = json.loads(body, parse_float=Decimal)
        return raw if isinstance(raw, list) else [raw]
    assert lang == "csv"
    records = list(iter_claim_records(io.BytesIO(body.encode("utf-8")), name="example.csv"))
    assert all(r.problem is None for r in records), records
    return [r.raw for r in records]


def _decided(mark: str, lang: str, body: str) -> list[Decision]:
    marks = _marks(mark)
    today = date.fromisoformat(marks["today"])
    out = []
    for raw in _claims_of(lang, body):
        _validate(json.loads(json.dumps(raw, default=str)), CLAIM_SCHEMA)
        decision = decide(parse_claim(raw, today))
        _validate(decision.to_dict(), DECISION_SCHEMA)
        out.append(decision)
    assert [d.status for d in out] == marks["status"].split(",")
    assert [str(d.amount) for d in out] == marks["amount"].split(",")
    assert [str(d.supplement) for d in out] == marks["supplement"].split(",")
    return out


EXAMPLES = [
    pytest.param(name, block, id=f"{name}:{i}")
    for name in ("claim-format.md", "decision.md")
    for i, block in enumerate(_blocks(name))
]


def test_every_kind_of_example_is_there():
    marks = [(name, block[0].split()[0], block[1]) for name, block in (p.values for p in EXAMPLES)]
    claims = [m for m in marks if m[1] == "example"]
    assert sum(1 for m in claims if m[0] == "claim-format.md" and m[2] == "json") >= 4
    assert any(m[2] == "csv" for m in claims)
    assert sum(1 for m in marks if m[1] == "decision") >= 3


@pytest.mark.parametrize(("name", "block"), EXAMPLES)
def test_documented_example(name, block):
    mark, lang, body = block
    kind = mark.split()[0]
    if kind == "example":
        _decided(mark, lang, body)
        return
    assert kind == "decision" and lang == "json", mark
    data = json.loads(body)
    _validate(data, DECISION_SCHEMA)
    if "of the claim above" in mark:
        blocks = _blocks(name)
        previous = blocks[blocks.index(block) - 1]
        (real,) = _decided(*previous)
        assert _stable(data) == _stable(real.to_dict())
        assert data["granted_days"] == real.to_dict()["granted_days"]


def test_the_claim_schema_refuses_what_the_format_refuses():
    (mark, lang, body) = next(b for b in _blocks("claim-format.md") if b[1] == "json")
    good = json.loads(body)
    validator = jsonschema.Draft202012Validator(CLAIM_SCHEMA)
    assert validator.is_valid(good)
    for bad in (
        {**good, "surprise": 1},
        {k: v for k, v in good.items() if k != "hourly_wage"},
        {**good, "kind": "holiday"},
        {**good, "first_absence_day": "02-03-2026"},
        {**good, "kind": "maternity", "monthly_hours": [160] * 4},  # no parent, no birth date
        {**good, "kind": "maternity", "parent": "father", "expected_birth_date": "2026-04-06"},
    ):
        assert not validator.is_valid(bad), bad
    mother = {**good, "kind": "maternity", "parent": "mother", "expected_birth_date": "2026-04-06"}
    assert validator.is_valid(mother)


def test_the_bank_file_examples_are_what_the_importer_reads_and_writes(tmp_path):
    from payments.registry.bank_file import Reject, parse, write_rejects

    blocks = _blocks("bank-file.md")
    assert blocks and all(lang == "csv" for _, lang, _ in blocks)
    previous: list[Reject] | None = None
    checked = 0
    for mark, _, body in blocks:
        if mark.startswith("bank-file"):
            marks = _marks(mark)
            rows, rejects, records = parse((body + "\n").encode("utf-8"))
            assert records == int(marks["rows"])
            assert len(rejects) == int(marks["rejects"]), rejects
            assert len(rows) + len(rejects) == records
            previous = rejects
        else:
            assert mark == "rejects of the file above" and previous
            written = write_rejects(tmp_path / "bank.csv", tuple(previous))
            assert written.name == "bank.rejects.csv"
            assert written.read_text(encoding="utf-8") == body + "\n"
        checked += 1
    assert checked == 3


def test_trace_references_point_at_the_docs_in_the_repository():
    from rules.decision import invalid_decision
    from rules.errors import Problem

    step = invalid_decision((Problem("CLAIM_FIELD_MISSING", "kind", "x"),)).trace[0]
    path = step.reference.split("(")[1].rstrip(")")
    assert path == "docs/claim-format.md" and (ROOT / path).is_file()
