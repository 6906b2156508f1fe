"""Scripts that print figures (not tests), run as modules from the repository root:

    .venv/bin/python -m benchmarks.run_all --size 100000 --postgres URL
    .venv/bin/python -m benchmarks.rules --size 100000

A package rather than a folder of scripts: a script's own folder goes first on ``sys.path``,
so ``benchmarks/rules.py`` or ``benchmarks/iso20022.py`` run as a file would shadow the
project's packages of the same names. As ``benchmarks.rules`` nothing is shadowed and no
script rewrites ``sys.path``; the shared helpers are ``benchmarks._measure`` and ``ROOT``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
