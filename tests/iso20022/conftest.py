"""Fixtures for the iso20022 tests: the shipped schemas, compiled with plain lxml.

The tests validate with lxml directly (not only through ``iso20022.validate``) so that a bug
in the package's own validation cannot hide a bug in its writer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

SCHEMAS = Path(__file__).parents[2] / "iso20022" / "schemas"
SAMPLES = Path(__file__).parent / "samples"


@cache
def _schema(message_type: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"{message_type}.xsd")))


@pytest.fixture(scope="session")
def official_schema():
    """``official_schema("pain.001.001.03")`` → the compiled shipped XSD."""
    return _schema


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
