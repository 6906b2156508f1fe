"""Imported first by each benchmark script so that it runs from any working directory.

Python puts a script's own folder first on ``sys.path``; here that folder holds
``rules.py`` and ``iso20022.py``, which would shadow the packages of the same names. So the
repository root goes first and ``benchmarks/`` last (for the shared ``_measure`` helper).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = str(ROOT / "benchmarks")
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in (HERE, str(ROOT))] + [HERE]
