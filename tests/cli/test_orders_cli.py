"""``payments orders``: held money and every order's state, visible to a clerk (masked)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from payments.batch import night
from payments.db import make_engine, session_scope
from tests.support import NOW, RUN, add_order, add_registration, cpr, make_settings


def payments(db_url, *args, code=0):
    result = CliRunner().invoke(cli, ["--database-url", db_url, *args])
    assert result.exit_code == code, (args, result.output)
    return result


def test_held_and_batched_orders_are_listed_masked(db_url, tmp_path):
    engine = make_engine(db_url)
    assert payments(db_url, "orders", "list").stdout.strip() == "no orders"
    with session_scope(engine) as s:
        add_registration(s, cpr(1))
        paid = add_order(s, cpr(1), 100_00).id
        held = add_order(s, cpr(2), 200_00).id  # no NemKonto
    night.run(engine, make_settings(tmp_path), run_date=RUN, actor="alice", now=NOW)
    listed = json.loads(payments(db_url, "orders", "list", "--state", "held", "--json").stdout)
    assert [(v["order_id"], v["reason"]) for v in listed] == [(held, "NO_ACCOUNT")]
    assert listed[0]["payee"]["number"] == f"{cpr(2)[:6]}-****" and listed[0]["advice"]
    in_batch = json.loads(
        payments(db_url, "orders", "list", "--state", "in_batch", "--json").stdout
    )
    assert [v["order_id"] for v in in_batch] == [paid] and in_batch[0]["batch_id"]
    to_one = json.loads(payments(db_url, "orders", "list", "--payee", cpr(2), "--json").stdout)
    assert [v["order_id"] for v in to_one] == [held]
    text = payments(db_url, "orders", "list").stdout
    assert text.splitlines()[0].split()[:2] == ["ORDER", "PAYEE"]
    assert text.splitlines()[-1] == "2 orders" and cpr(2) not in text
    shown = json.loads(payments(db_url, "orders", "show", str(held), "--json").stdout)
    assert (shown["state"], shown["reason"]) == ("held", "NO_ACCOUNT")
    missing = payments(db_url, "orders", "show", "999999", code=1)
    assert missing.stderr.startswith("error ORDER_NOT_FOUND:")
    engine.dispose()
