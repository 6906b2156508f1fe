"""The error catalogue: every code raised in iso20022/ is in CODES, every code in CODES is
raised somewhere, and the errors module's docstring table lists the same codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import iso20022
from iso20022 import errors

PACKAGE = Path(iso20022.__file__).parent
ERROR_CLASSES = {"Iso20022Error", "XmlInputError", "Pain001Error", "Pain002Error"}


def _raised_codes() -> dict[str, list[str]]:
    """Code → where: the first argument of every call of an error class in the package
    (a helper such as ``fail(message, field)`` calls the class with its literal code)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in ERROR_CLASSES or path.name == "errors.py":
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{path.name}:{node.lineno}: an error code must be a string literal"
            )
            found.setdefault(first.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_raised_code_is_catalogued():
    raised = _raised_codes()
    assert set(raised) - set(errors.CODES) == set(), raised


def test_every_catalogued_code_is_raised_somewhere():
    assert set(errors.CODES) - set(_raised_codes()) == set()


def test_the_docstring_table_lists_the_same_codes():
    table = set(re.findall(r"^([A-Z][A-Z0-9_]+)\s{2,}", errors.__doc__, re.M))
    assert table == set(errors.CODES)


def test_codes_are_stable_names_with_a_description():
    for code, description in errors.CODES.items():
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", code)
        assert description and "\n" not in description and len(description) <= 100
    assert iso20022.CODES is errors.CODES
