"""Run the doctests of the ``rules`` modules with the rest of the suite.

``pytest`` collects ``tests/`` only, so the examples in the modules' docstrings would not run
on their own; they are documentation that must stay true.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import rules.codes

RULES_DIR = Path(rules.codes.__file__).parent
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(RULES_DIR)], "rules."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
