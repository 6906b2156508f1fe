"""Settings: defaults, payments.toml, environment, overrides, and bad values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.config import load_settings
from payments.errors import InputError


def test_defaults(tmp_path):
    s = load_settings(environ={}, cwd=tmp_path)
    assert s.database_url == "sqlite:///payments.db"
    assert s.max_tx_per_file == 9_999 and s.review_amount == Decimal("1000000")


def test_precedence_file_env_override(tmp_path):
    (tmp_path / "payments.toml").write_text(
        'database_url = "sqlite:///file.db"\nmax_tx_per_file = 50\n'
    )
    s = load_settings(environ={}, cwd=tmp_path)
    assert s.database_url == "sqlite:///file.db" and s.max_tx_per_file == 50
    s = load_settings(environ={"PAYMENTS_DATABASE_URL": "sqlite:///env.db"}, cwd=tmp_path)
    assert s.database_url == "sqlite:///env.db"
    s = load_settings(
        environ={"PAYMENTS_DATABASE_URL": "sqlite:///env.db"},
        cwd=tmp_path,
        database_url="sqlite:///cli.db",
    )
    assert s.database_url == "sqlite:///cli.db"


@pytest.mark.parametrize(
    "content,field",
    [
        ("unknown_key = 1\n", "unknown_key"),
        ('max_tx_per_file = "many"\n', "PAYMENTS_MAX_TX_PER_FILE"),
        ('pain001_version = "001.001.99"\n', "pain001_version"),
        ("max_tx_per_file = 0\n", "max_tx_per_file"),
        ("review_amount = -1\n", "review_amount"),  # would hold every order for review
        ("review_amount = 0\n", "review_amount"),
        ('review_amount = "1.005"\n', "review_amount"),
        ('review_amount = "1e9999"\n', "review_amount"),
        ('review_amount = "NaN"\n', "review_amount"),
        ("cooling_off_days = -1\n", "cooling_off_days"),
        ("cooling_off_days = 400\n", "cooling_off_days"),
    ],
)
def test_bad_settings_are_coded_errors(tmp_path, content, field):
    (tmp_path / "payments.toml").write_text(content)
    with pytest.raises(InputError) as info:
        load_settings(environ={}, cwd=tmp_path)
    assert info.value.code == "CONFIG_INVALID"
    assert info.value.field in (field, field.removeprefix("PAYMENTS_").lower())


def test_bad_env_value(tmp_path):
    with pytest.raises(InputError) as info:
        load_settings(environ={"PAYMENTS_COOLING_OFF_DAYS": "x"}, cwd=tmp_path)
    assert info.value.field == "PAYMENTS_COOLING_OFF_DAYS"


def test_more_transactions_per_file_than_a_bank_takes_is_refused(tmp_path):
    """Nordea's guide: at most 9,999 transactions in one payment information (one per file)."""
    assert load_settings({"PAYMENTS_MAX_TX_PER_FILE": "9999"}, tmp_path).max_tx_per_file == 9999
    with pytest.raises(InputError) as refused:
        load_settings({"PAYMENTS_MAX_TX_PER_FILE": "10000"}, tmp_path)
    assert (refused.value.code, refused.value.field) == ("CONFIG_INVALID", "max_tx_per_file")
