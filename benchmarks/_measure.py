"""Shared by the benchmark scripts: run ``payments …`` in a child process, time it, and
read the child's own peak RSS (each child reports ``ru_maxrss`` of itself on exit, so one
measurement never inherits another's high-water mark); a fresh PostgreSQL schema per run.
"""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import text

from payments.db import make_engine

_CHILD = """
import resource, sys
from cli.main import cli
try:
    cli.main(args=sys.argv[1:], prog_name="payments")
    status = 0
except SystemExit as exc:
    status = exc.code or 0
sys.stderr.write(f"\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
sys.exit(status)
"""


def fresh_schema(url: str, name: str) -> str:
    """(Re)create schema ``name`` in the PostgreSQL database ``url``; the URL that uses it."""
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}"


def drop_schema(url: str, name: str) -> None:
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    admin.dispose()


def run_payments(args: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """Run ``payments ARGS``: (seconds, peak RSS in MB, exit status); output discarded."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB=")]
    if proc.returncode not in (0, 1) or not peak:
        raise SystemExit(f"payments {' '.join(args[:3])} failed:\n{proc.stderr[-2000:]}")
    return seconds, int(peak[-1].split("=")[1]) / 1024, proc.returncode
