"""``payments demo`` finishes, leaves XSD-valid files, and is deterministic for a seed."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner

import iso20022
from cli.main import cli


def _demo(tmp_path, name, *extra):
    workdir = tmp_path / name
    result = CliRunner().invoke(cli, [*extra, "demo", "--size", "40", "--dir", str(workdir)])
    assert result.exit_code == 0, (result.output, result.exception)
    files = sorted((workdir / "out").glob("pain001-*.xml"))
    return result.output, {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}, files


def test_demo_on_sqlite_is_valid_and_deterministic(tmp_path):
    output, hashes, files = _demo(tmp_path, "a")
    assert len(files) == 2 and all(iso20022.validate(f).valid for f in files)
    assert "chain intact" in output and "PENDING_ACTIVATION" in output
    assert "REJECTED_BY_BANK" in output and "1 corrected" in output
    assert "offset against the recovery (now offset)" in output
    night2 = files[1].read_text(encoding="utf-8")
    assert "modregnet 4.694,93 kr (tilbagebetaling DEMO-" in night2
    _, again, _ = _demo(tmp_path, "b")
    assert again == hashes


def test_demo_on_the_test_database(db_url, tmp_path):
    output, _, files = _demo(tmp_path, "c", "--database-url", db_url)
    assert "chain intact" in output and all(iso20022.validate(f).valid for f in files)


def test_demo_at_the_smallest_size(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--size", "10", "--dir", str(tmp_path / "s")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "returned by the bank: 3" in result.output
