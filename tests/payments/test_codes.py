"""Every stable code is catalogued once, and every catalogued code is used.

A code is a string literal shaped ``WORD_WORD`` in the package's source. The test reads the
source rather than trusting a hand-kept list, so a new ``raise PaymentsError("NEW_CODE", …)``
without a line in the catalogue fails here, and so does a catalogue line nothing raises.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import identifiers
import rules.codes
from payments import codes

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\Z")
# names that look like codes but are not: settings, enum member names, iso20022 codes the
# returns module compares with, __all__ entries
NOT_CODES = re.compile(r"PAYMENTS_|XML_|PAIN001_")


def literals(package: str, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Code-shaped string constants in the package's modules -> the first file using it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "migrations" in rel or rel in skip:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {
            id(elt)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for elt in ast.walk(node.value)
        }
        skipped |= {  # the pieces of f-strings are text, never a code on its own
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in ast.walk(node)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skipped
            ):
                for token in re.findall(r"'([A-Z][A-Z0-9_]+)'|^([A-Z][A-Z0-9_]+)$", node.value):
                    value = token[0] or token[1]
                    if CODE.match(value) and not NOT_CODES.match(value):
                        found.setdefault(value, rel)
    return found


@pytest.mark.parametrize(
    "package,catalogue,skip",
    [
        ("payments", codes.CODES, ("payments/codes.py", "payments/statuses.py")),
        ("cli", codes.CODES, ()),
        # the pages name the identifier and rule codes they explain to people
        ("api", {**codes.CODES, **identifiers.CODES, **rules.codes.CODES}, ()),
        ("identifiers", identifiers.CODES, ("identifiers/errors.py",)),
    ],
)
def test_every_code_raised_is_catalogued(package, catalogue, skip):
    used = literals(package, skip)
    missing = {c: f for c, f in used.items() if c not in catalogue}
    assert not missing, f"codes without a line in the catalogue: {missing}"


def test_every_catalogued_code_is_raised_somewhere():
    used = set(literals("payments", ("payments/codes.py", "payments/statuses.py")))
    used |= set(literals("cli")) | set(literals("api"))
    assert set(codes.CODES) - used == set()
    assert (
        set(identifiers.CODES) - set(literals("identifiers", ("identifiers/errors.py",))) == set()
    )


def test_catalogues_do_not_share_a_code():
    """One home for each code: the packages' catalogues are disjoint."""
    payments_codes, id_codes = set(codes.CODES), set(identifiers.CODES)
    rule_codes = set(rules.codes.CODES)
    assert not payments_codes & id_codes
    assert not payments_codes & rule_codes - {"ID_CPR_INVALID", "ID_CVR_INVALID"}
