"""Every benchmark runs as ``python -m benchmarks.<name>`` from the repository root, with no
``sys.path`` rewrite: the modules named like the project's packages (``benchmarks.rules``,
``benchmarks.iso20022``) import the real packages, not themselves."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from benchmarks import ROOT
from benchmarks.run_all import plan

SCRIPTS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem[0] != "_")


def test_run_all_runs_every_benchmark_of_the_night_on_both_databases():
    runs = {(name, database) for name, database, _ in plan(10, "postgresql://x", ROOT)}
    assert runs == {
        ("rules", "-"),
        ("iso20022", "-"),
        *(
            (name, db)
            for name in ("registry", "claims", "batch", "returns")
            for db in ("sqlite", "postgresql")
        ),
    }
    assert set(SCRIPTS) - {name for name, _ in runs} == {"api", "returns_file", "run_all", "web"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_benchmark_starts_as_a_module_from_the_root(name):
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")


def test_no_benchmark_rewrites_sys_path():
    rewrite = re.compile(r"sys\.path\s*(\[|\.insert|\.append|=)|benchmarks_path")
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert not rewrite.search(path.read_text(encoding="utf-8")), path.name
