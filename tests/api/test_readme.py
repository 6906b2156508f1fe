"""The README's "Use the API" curl examples, run as written against a real ``payments serve``.

The section's ``sh`` blocks are the test. The first starts the server: its ``export`` lines
are the settings of every process here, its other lines but ``payments serve`` run as
written, and the server is started from its ``payments serve`` line on a free port instead
of 8000 (so that parallel runs do not collide; the other blocks' ``127.0.0.1:8000`` is
changed to match). The other blocks run in bash, one after the other in one shell, in the
server's directory, with ``payments`` on the PATH: the tokens ``payments auth token`` mints
there are signed with the server's development key, as the README says.

Every ``curl`` there is followed by a ``# → STATUS {json}`` line: the status of the answer
and fields its JSON must hold (objects by the keys given, lists item by item). ``curl`` is
wrapped by a shell function that records each answer before printing it, so the commands
run unchanged; a curl without a ``# →`` line, or one answered otherwise, fails the test. On
SQLite the database is the README's own file, created by its ``payments db upgrade``; on
PostgreSQL it is the test's schema.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.api.serving import serving

README = Path(__file__).resolve().parents[2] / "README.md"
EXPECTED = re.compile(r"# → (\d{3})(?: (.*))?$")
#: records each answer (body and status) in $CURL_LOG before printing it, as curl would
CURL = r"""
__calls=0
curl() {
  __calls=$((__calls + 1))
  command curl "$@" -o "$CURL_LOG/$__calls.body" -w '%{http_code}' > "$CURL_LOG/$__calls.status"
  cat "$CURL_LOG/$__calls.body"
  echo
}
"""


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Use the API\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", section(), re.M | re.S)


def commands(block: str) -> list[str]:
    """The block's lines, continuation lines (ending in ``\\``) joined to their command."""
    lines: list[str] = []
    joining = False
    for line in block.splitlines():
        if joining:
            lines[-1] += "\n" + line
        else:
            lines.append(line)
        quoting = not lines[-1].startswith("#") and lines[-1].count("'") % 2 == 1
        joining = line.endswith("\\") or quoting
    return lines


def expectations(block: str) -> list[tuple[int, Any]]:
    """``(status, json or None)`` for each curl of the block, in order."""
    found = []
    lines = commands(block)
    for i, line in enumerate(lines):
        if not line.startswith("curl "):
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        match = EXPECTED.match(following)
        assert match, f"no '# → STATUS' line after {line.splitlines()[0]!r}"
        found.append((int(match[1]), json.loads(match[2]) if match[2] else None))
    return found


def holds(actual: Any, expected: Any) -> bool:
    """Whether ``actual`` has what ``expected`` shows: the keys given of an object, each item
    of a list (as many), and any other value equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and holds(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(holds(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


def test_holds_compares_the_fields_shown():
    assert holds({"a": 1, "b": [{"c": 2, "d": 3}]}, {"b": [{"c": 2}]})
    assert not holds({"a": 1}, {"a": 2}) and not holds({"a": 1}, {"b": None})
    assert not holds({"b": [1, 2]}, {"b": [1]}) and not holds([], {})


def test_the_readme_curl_examples_work_as_written(db_url, tmp_path):
    setup, *examples = blocks()
    assert examples and "payments serve" in setup
    env = dict(os.environ)
    env.pop("PAYMENTS_DEV_KEY_FILE", None)  # the default, ./payments-dev-key.pem, as written
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    assert (Path(sys.executable).parent / "payments").exists(), "payments is not installed"
    serve_args = None
    for line in commands(setup):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                env[name] = value
            if not db_url.startswith("sqlite"):
                env["PAYMENTS_DATABASE_URL"] = db_url
        elif words[:2] == ["payments", "serve"]:
            serve_args = words[2:]
        else:
            ran = subprocess.run(line, shell=True, env=env, cwd=tmp_path, capture_output=True)
            assert ran.returncode == 0, (line, ran.stderr)
    assert serve_args is not None and "--port" not in serve_args

    log = tmp_path / "curl-log"
    log.mkdir()
    env["CURL_LOG"] = str(log)
    with serving(serve_args, env=env, cwd=tmp_path) as base:
        script = CURL + "\n".join(examples).replace("http://127.0.0.1:8000", base)
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert ran.returncode == 0, (ran.stdout, ran.stderr)

    expected = [e for block in examples for e in expectations(block)]
    calls = sorted(log.glob("*.status"), key=lambda p: int(p.stem))
    assert len(calls) == len(expected) >= 10
    for n, (status, fields) in enumerate(expected, 1):
        body = (log / f"{n}.body").read_bytes()
        answer = (int((log / f"{n}.status").read_text()), json.loads(body) if body else None)
        assert answer[0] == status, (n, answer)
        assert fields is None or holds(answer[1], fields), (n, answer[1], fields)
