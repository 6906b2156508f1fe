"""A real ``payments serve`` process on a free port of 127.0.0.1, for the tests that talk
to the API over TCP as a client would (``test_served``, ``test_readme``)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

#: ``payments`` as this test run's interpreter runs it (no console script needed)
PYTHON = [sys.executable, "-c", "from cli.main import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The served base URL, the pid of the ``payments serve`` process (``.pid``), and its
    exit status once it has ended (``.returncode()``, None while it runs)."""

    pid: int
    returncode: Callable[[], int | None]


@contextlib.contextmanager
def serving(args: list[str], *, env: dict[str, str], cwd: Path) -> Iterator[Served]:
    """Run ``payments serve ARGS --port P`` in ``cwd`` until the block ends; yields its base
    URL once ``/readyz`` answers 200. The server's output goes to ``cwd/server.log``, which
    an assertion error shows when the server does not come up."""
    port = free_port()
    with open(cwd / "server.log", "wb") as log:
        server = subprocess.Popen(
            [*PYTHON, "serve", *args, "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = Served(f"http://127.0.0.1:{port}")
        base.pid, base.returncode = server.pid, server.poll
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((cwd / "server.log").read_text())
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)
