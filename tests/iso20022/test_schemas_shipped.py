"""The package ships unchanged official schemas and never needs the shared reference folder."""

from __future__ import annotations

import doctest
import hashlib
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCHEMAS = ROOT / "iso20022" / "schemas"


def _provenance() -> dict[str, str]:
    text = (SCHEMAS / "PROVENANCE.md").read_text()
    return dict(re.findall(r"\| `([a-z0-9.]+\.xsd)` \|.*\| `([0-9a-f]{64})` \|", text))


def test_every_shipped_schema_is_listed_with_its_hash():
    listed = _provenance()
    shipped = sorted(p.name for p in SCHEMAS.glob("*.xsd"))
    assert sorted(listed) == shipped and len(shipped) == 9
    for name, digest in listed.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name


def test_nothing_refers_to_the_shared_directory():
    needles = ("../" + "shared", "/work/" + "shared")  # spelled apart: this file is scanned too
    for folder in ("iso20022", "tests/iso20022", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            assert not any(needle in text for needle in needles), path


def test_the_library_imports_nothing_of_the_engine():
    for path in (ROOT / "iso20022").glob("*.py"):
        imports = re.findall(r"^\s*(?:from|import)\s+([a-z_]+)", path.read_text(), re.M)
        assert not {"payments", "rules", "cli", "sqlalchemy", "click"} & set(imports), path


@pytest.mark.parametrize("module", ["iso20022.text", "iso20022.pain001_types"])
def test_doctests(module):
    result = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
