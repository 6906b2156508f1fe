"""``payments serve --workers 2``: two processes answer on one port, on SQLite and
PostgreSQL, and a token the development key signed is good in either — the key is made once,
before the workers start, not once by each (which would make every other request a 401)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx

from payments import tokens
from tests.api.conftest import CITIZEN
from tests.api.serving import serving


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return os.environ | {
        "PAYMENTS_DATABASE_URL": db_url,
        "PAYMENTS_DEV_KEY_FILE": str(tmp_path / "dev-key.pem"),
        "PAYMENTS_SPOOL_DIR": str(tmp_path / "spool"),
    }


def _children(pid: int) -> list[str]:
    """The command lines of ``pid``'s child processes."""
    return [line for _, line in _children_pids(pid)]


def test_two_workers_share_the_port_and_the_key(db_url, tmp_path):
    env = _env(db_url, tmp_path)  # the dev key is not there yet
    with serving(["--date", "2024-03-20", "--workers", "2"], env=env, cwd=tmp_path) as base:
        workers = _children(base.pid)  # and multiprocessing's resource tracker
        key = tokens.dev_key(env["PAYMENTS_DEV_KEY_FILE"], create=False)
        signed = tokens.mint(
            key, role="citizen", subject="citizen-1", now=dt.datetime.now(dt.UTC),
            cpr_number=CITIZEN,
        )  # fmt: skip
        answers = []
        for _ in range(40):  # a new connection each: the kernel hands them to both workers
            with httpx.Client(timeout=30) as client:
                answers.append(
                    client.get(
                        f"{base}/v1/me/nemkonto", headers={"Authorization": f"Bearer {signed}"}
                    )
                )
    assert len([w for w in workers if "spawn_main" in w]) == 2
    assert [a.status_code for a in answers] == [200] * 40
    assert {a.json()["reason"] for a in answers} == {"NO_ACCOUNT"}


def _connections_served(pid: int, port: int) -> int:
    """How many established TCP connections to ``port`` process ``pid`` holds."""
    mine = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    served = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            served += local_port == port and state == "01" and inode in mine
    return served


def test_connections_are_handed_to_the_workers_in_turn(db_url, tmp_path):
    """Twenty keep-alive clients are ten and ten: the parent accepts and hands each new
    connection to the next worker (cli.handoff), not the kernel by a hash of addresses."""
    env = _env(db_url, tmp_path)
    with serving(["--workers", "2"], env=env, cwd=tmp_path) as base:
        workers = [pid for pid, line in _children_pids(base.pid) if "spawn_main" in line]
        port = int(str(base).rsplit(":", 1)[1])
        clients = [httpx.Client(base_url=str(base), timeout=30) for _ in range(20)]
        try:
            assert [c.get("/healthz").status_code for c in clients] == [200] * 20
            assert sorted(_connections_served(pid, port) for pid in workers) == [10, 10]
        finally:
            for c in clients:
                c.close()


def test_a_worker_that_dies_stops_the_others_and_the_command_fails(db_url, tmp_path):
    import signal
    import time

    env = _env(db_url, tmp_path)
    with serving(["--workers", "2"], env=env, cwd=tmp_path) as base:
        workers = [w for w in _children_pids(base.pid) if "spawn_main" in w[1]]
        assert len(workers) == 2
        os.kill(workers[0][0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{base.pid}").exists() and _state(base.pid) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert not Path(f"/proc/{workers[1][0]}").exists() or _state(workers[1][0]) == "Z"
        assert base.returncode() == 1


def _children_pids(pid: int) -> list[tuple[int, str]]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            line = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            found.append((int(child), line))
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"
