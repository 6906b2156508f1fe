"""HTTP API figures (issue 17), against a real ``payments serve`` on 127.0.0.1.

Targets on the project's 2-core machine, PostgreSQL:

- ``POST /v1/claims``, 1,000 claims a request: ≥ 2,000 claims/s end to end;
- ``GET /v1/me/nemkonto``, 50 concurrent clients: ≥ 800 requests/s, p99 ≤ 100 ms;
- mapper resolve, 100 ids a request: ≥ 20,000 ids/s;
- a 100,000-claim file through ``POST /v1/claim-files`` and a worker: within 1.3× the
  CLI's own ``claims submit`` of the same file.

Every loop is bounded in count and time and talks to 127.0.0.1 only; the load generator
(a small keep-alive HTTP/1.1 client on asyncio) runs on the same two cores as the server.

    python -m benchmarks.api --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python -m benchmarks.api --workers 2 --claims 20000 --file-size 100000 [--skip-file]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from benchmarks._measure import drop_schema, fresh_schema, run_payments
from payments import schema, tokens
from payments.db import make_engine
from payments.demo import synthetic_claims, synthetic_cpr

DAY = dt.date(2024, 6, 3)
EMPLOYER = "13585628"
PYTHON = [sys.executable, "-c", "from cli.main import main; main()"]


def database(url: str | None, tmp: Path, name: str) -> str:
    if url is None:
        return f"sqlite:///{tmp / (name + '.db')}"
    return fresh_schema(url, name)


def drop(url: str | None, name: str) -> None:
    if url is not None:
        drop_schema(url, name)


def claims(size: int, seed: int = 17) -> list[dict]:
    """Claims of one employer (the token's), mixed as the demo's."""
    rng = random.Random(seed)
    used: set[str] = set()
    employees = [synthetic_cpr(rng, used) for _ in range(size + 1)]
    return list(synthetic_claims(rng, size, DAY, [EMPLOYER], employees))


class Server:
    def __init__(self, db: str, tmp: Path, workers: int) -> None:
        self.env = os.environ | {
            "PAYMENTS_DATABASE_URL": db,
            "PAYMENTS_DEV_KEY_FILE": str(tmp / "dev-key.pem"),
            "PAYMENTS_SPOOL_DIR": str(tmp / "spool"),
            "PAYMENTS_OUTPUT_DIR": str(tmp / "out"),
            "PAYMENTS_OUTBOX_DIR": str(tmp / "outbox"),
        }
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *PYTHON,
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--date",
                DAY.isoformat(),
            ],
            env=self.env,
            cwd=tmp,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        self.key = tokens.dev_key(self.env["PAYMENTS_DEV_KEY_FILE"], create=False)

    def auth(self, role: str, sub: str | None = None, **numbers) -> dict[str, str]:
        signed = tokens.mint(
            self.key,
            role=role,
            subject=sub or role,
            now=dt.datetime.now(dt.UTC),
            ttl=6 * 3600,
            **numbers,
        )
        return {"Authorization": f"Bearer {signed}"}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


# -- a small keep-alive load generator ---------------------------------------------------------


#: the body of the first answer of each status >= 400 the load generator got (to say why)
ERRORS: dict[int, bytes] = {}


async def _one_connection(port: int, requests: list[bytes], latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    for request in requests:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        status = int(head.split(b" ", 2)[1])
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if status >= 400:
            errors += 1
            ERRORS.setdefault(status, body[:300])  # the first answer of each failing status
    writer.close()
    return errors


def load(port: int, per_client: list[list[bytes]]) -> tuple[float, list[float], int]:
    """Send each client's requests on its own connection, all clients at once."""
    latencies: list[float] = []

    async def main() -> list[int]:
        return await asyncio.gather(*(_one_connection(port, r, latencies) for r in per_client))

    started = time.perf_counter()
    errors = sum(asyncio.run(main()))
    return time.perf_counter() - started, latencies, errors


def _get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _post(path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


# -- the figures -------------------------------------------------------------------------------


def bench_claims(server: Server, count: int, clients: int) -> dict:
    """``count`` claims in requests of 1,000 from ``clients`` connections at once, after
    one warm-up request of 100 other claims on each of ``4 * clients`` connections (which
    reach every worker): the figure is the intake's steady state, not each worker's
    first statements and rule tables."""
    batch = claims(count)
    bodies = [json.dumps(batch[i : i + 1000]).encode() for i in range(0, count, 1000)]
    headers = server.auth("employer", cvr_number=EMPLOYER)
    warm = claims(4 * clients * 100, seed=18)
    for c in warm:
        c["external_ref"] = "WARM-" + c["external_ref"]
    load(
        server.port,
        [
            [_post("/v1/claims", headers, json.dumps(warm[i : i + 100]).encode())]
            for i in range(0, len(warm), 100)
        ],
    )
    per_client = [
        [_post("/v1/claims", headers, b) for b in bodies[c::clients]] for c in range(clients)
    ]
    seconds, _, errors = load(server.port, per_client)
    return {"claims": count, "seconds": seconds, "per_s": count / seconds, "errors": errors}


def register_citizens(server: Server, count: int) -> list[str]:
    rng = random.Random(5)
    used: set[str] = set()
    citizens = [synthetic_cpr(rng, used) for _ in range(count)]
    rows = [
        {
            "owner_kind": "cpr",
            "owner_number": c,
            "reg_no": "1234",
            "account_no": str(1000 + n),
            "action": "register",
            "effective_date": "2024-01-02",
        }
        for n, c in enumerate(citizens)
    ]
    bank = server.auth("bank", cvr_number="12345674")
    for start in range(0, count, 5000):
        answer = httpx.post(
            f"{server.base}/v1/bank/registrations",
            json={"rows": rows[start : start + 5000]},
            headers=bank,
            timeout=120,
        ).json()
        assert answer["rejected"] == 0, answer
    analyse(server.env["PAYMENTS_DATABASE_URL"])
    return citizens


def analyse(url: str) -> None:
    """Planner statistics for the tables just filled, as autovacuum keeps them in service
    (it is off on the benchmark machine): without them PostgreSQL plans a look-up of one
    owner among 20,000 fresh rows as a scan of them all."""
    if not url.startswith("postgresql"):
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def bench_nemkonto(server: Server, citizens: list[str], clients: int, each: int) -> dict:
    per_client = []
    for c in range(clients):
        headers = server.auth("citizen", f"citizen-{c}", cpr_number=citizens[c])
        per_client.append([_get("/v1/me/nemkonto", headers)] * each)
    load(server.port, [r[:20] for r in per_client])  # warm up every worker and connection
    seconds, latencies, errors = load(server.port, per_client)
    return {
        "requests": clients * each,
        "per_s": clients * each / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": p99(latencies),
        "errors": errors,
    }


def bench_resolve(server: Server, citizens: list[str], clients: int, messages: int) -> dict:
    headers = server.auth("authority", "kommune")
    ts = "2024-06-03T10:00:00Z"
    per_client: list[list[bytes]] = [[] for _ in range(clients)]
    rng = random.Random(3)
    for m in range(messages):
        ids = rng.sample(citizens, 100)
        body = {
            "header": {
                "message_id": f"bench-{m}",
                "message_ts": ts,
                "action": "resolve",
                "sender_id": "kommune",
                "total_count": 100,
            },
            "message": {
                "transaction_id": f"t-{m}",
                "resolve_request": [
                    {"reference_id": str(i), "timestamp": ts, "id": f"cpr:{c}"}
                    for i, c in enumerate(ids)
                ],
            },
        }
        per_client[m % clients].append(
            _post("/v1/mapper/sync/resolve", headers, json.dumps(body).encode())
        )
    seconds, latencies, errors = load(server.port, per_client)
    return {
        "ids": messages * 100,
        "per_s": messages * 100 / seconds,
        "p99_ms": p99(latencies),
        "errors": errors,
    }


def bench_file(url: str | None, tmp: Path, workers: int, size: int) -> dict:
    path = tmp / "file.ndjson"
    with open(path, "w", encoding="utf-8") as out:
        for claim in claims(size, seed=29):
            out.write(json.dumps(claim) + "\n")
    cli_db = database(url, tmp, "bench_api_cli")
    engine = make_engine(cli_db)
    schema.upgrade(engine)
    engine.dispose()
    cli_seconds, _, _ = run_payments(
        [
            "--database-url",
            cli_db,
            "claims",
            "submit",
            str(path),
            "--date",
            DAY.isoformat(),
            "--actor",
            "bench",
        ]
    )
    drop(url, "bench_api_cli")
    api_db = database(url, tmp, "bench_api_file")
    engine = make_engine(api_db)
    schema.upgrade(engine)
    engine.dispose()
    (tmp / "file").mkdir()
    server = Server(api_db, tmp / "file", 1)
    try:
        headers = server.auth("employer", cvr_number=EMPLOYER)
        started = time.perf_counter()
        with open(path, "rb") as body:
            sent = httpx.post(
                f"{server.base}/v1/claim-files",
                content=body,
                headers=headers | {"Content-Type": "application/x-ndjson"},
                timeout=600,
            )
        uploaded = time.perf_counter() - started
        worker = subprocess.run(
            [*PYTHON, "worker", "--once"], env=server.env, cwd=tmp / "file", capture_output=True
        )
        assert worker.returncode == 0, worker.stderr[-2000:]
        job = httpx.get(f"{server.base}{sent.headers['location']}", headers=headers).json()
        api_seconds = time.perf_counter() - started
    finally:
        server.stop()
        drop(url, "bench_api_file")
    return {
        "claims": size,
        "cli_s": cli_seconds,
        "api_s": api_seconds,
        "upload_s": uploaded,
        "ratio": api_seconds / cli_seconds,
        "job": job["status"],
        "counts": job["counts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (else SQLite)")
    parser.add_argument("--workers", type=int, default=2, help="payments serve --workers")
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=400, help="per client, of 50")
    parser.add_argument("--messages", type=int, default=400, help="resolve messages of 100")
    parser.add_argument("--file-size", type=int, default=100_000)
    parser.add_argument("--skip-file", action="store_true")
    parser.add_argument("--skip-claims", action="store_true")
    parser.add_argument(
        "--claim-clients", type=int, default=2, help="claim senders per worker (default 2)"
    )
    opts = parser.parse_args()
    kind = "postgresql" if opts.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = database(opts.postgres, tmp, "bench_api")
        engine = make_engine(db)
        schema.upgrade(engine)
        engine.dispose()
        server = Server(db, tmp, opts.workers)
        try:
            claimed = bench_claims(
                server,
                opts.claims if not opts.skip_claims else 1000,
                # a worker's second client sends while the first's answer travels
                clients=opts.claim_clients * opts.workers,
            )
            print(
                f"{kind}, {opts.workers} workers: POST /v1/claims x1000, "
                f"{opts.claim_clients * opts.workers} "
                f"clients: {claimed['claims']:,} "
                f"claims in {claimed['seconds']:.1f} s = {claimed['per_s']:,.0f} claims/s "
                f"(errors {claimed['errors']})",
                flush=True,
            )
            citizens = register_citizens(server, opts.citizens)
            shown = bench_nemkonto(server, citizens, 50, opts.requests)
            print(
                f"{kind}, {opts.workers} workers: GET /v1/me/nemkonto, 50 clients: "
                f"{shown['per_s']:,.0f} req/s, p50 {shown['p50_ms']:.1f} ms, "
                f"p99 {shown['p99_ms']:.1f} ms (errors {shown['errors']})",
                flush=True,
            )
            resolved = bench_resolve(server, citizens, 8, opts.messages)
            print(
                f"{kind}, {opts.workers} workers: mapper resolve x100, 8 clients: "
                f"{resolved['per_s']:,.0f} ids/s, p99 {resolved['p99_ms']:.1f} ms "
                f"(errors {resolved['errors']})",
                flush=True,
            )
        finally:
            server.stop()
            drop(opts.postgres, "bench_api")
        if not opts.skip_file:
            filed = bench_file(opts.postgres, tmp, opts.workers, opts.file_size)
            print(
                f"{kind}: claim file of {filed['claims']:,} through the API + 1 worker: "
                f"{filed['api_s']:.1f} s (upload {filed['upload_s']:.1f} s), CLI "
                f"{filed['cli_s']:.1f} s: {filed['ratio']:.2f}x; job {filed['job']} "
                f"{filed['counts']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
