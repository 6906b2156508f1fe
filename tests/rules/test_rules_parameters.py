"""Dated parameters: packaged values, validity, gaps, override files, conflicts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from rules.errors import ParameterFileError, ParameterMissing, RuleError
from rules.parameters import load_parameters

PARAMS = load_parameters()


@pytest.mark.parametrize(
    ("day", "value"),
    [
        (date(2013, 1, 7), 4005),
        (date(2014, 1, 5), 4005),
        (date(2015, 1, 5), 4135),
        (date(2016, 1, 3), 4135),
        (date(2018, 1, 1), 4300),
        (date(2019, 1, 6), 4300),
        (date(2019, 1, 7), 4355),
        (date(2020, 1, 5), 4355),
        (date(2021, 1, 4), 4460),
        (date(2022, 1, 2), 4460),
        (date(2022, 1, 3), 4465),
        (date(2023, 1, 1), 4465),
        (date(2023, 1, 2), 4550),
        (date(2023, 12, 31), 4550),
        (date(2024, 1, 1), 4695),
        (date(2025, 1, 5), 4695),
    ],
)
def test_weekly_max_is_valid_until_the_day_before_the_next_first_monday(day, value):
    found = PARAMS.at("sickness.weekly_max", day)
    assert found.value == Decimal(value)
    assert isinstance(found.value, Decimal)


@pytest.mark.parametrize(
    "day",
    [
        date(2013, 1, 6),
        date(2014, 1, 6),
        date(2016, 1, 4),
        date(2017, 6, 1),
        date(2020, 1, 6),
        date(2020, 12, 31),
        date(2025, 1, 6),
        date(2026, 3, 1),
    ],
)
def test_gaps_raise_param_missing_naming_parameter_and_day(day):
    with pytest.raises(ParameterMissing) as caught:
        PARAMS.at("sickness.weekly_max", day)
    assert caught.value.code == "RULE_PARAM_MISSING"
    assert caught.value.parameter == "sickness.weekly_max"
    assert caught.value.day == day
    assert day.isoformat() in caught.value.message


def test_2024_value_period_and_provenance():
    value = PARAMS.at("sickness.weekly_max", date(2024, 6, 1))
    assert (value.valid_from, value.valid_until) == (date(2024, 1, 1), date(2025, 1, 5))
    assert value.reference == "Sygedagpengeloven § 50, stk. 1"
    assert value.source.startswith("http")
    assert value.as_dict()["value"] == "4695.00"


def test_every_packaged_value_has_reference_and_source():
    for parameter in PARAMS:
        assert parameter.values, parameter.name
        for value in parameter.values:
            assert value.reference and value.source.startswith("http"), value


def test_constants_and_maternity_parameters():
    assert PARAMS.at("sickness.employer_period_days", date(2030, 1, 1)).value == 30
    assert PARAMS.at("sickness.exclude_public_holidays", date(2024, 1, 1)).value is True
    assert PARAMS.at("sickness.am_contribution_rate", date(2024, 1, 1)).value == Decimal("0.08")
    birth = date(2023, 5, 1)
    assert PARAMS.at("maternity.weeks_after_birth", birth).value == 24
    assert PARAMS.at("maternity.earmarked_weeks", birth).value == 11
    assert PARAMS.at("maternity.transferable_weeks", birth).value == 13
    assert PARAMS.at("maternity.weeks_before_birth", birth).value == 4
    assert PARAMS.at("maternity.claim_deadline_weeks", birth).value == 8
    with pytest.raises(ParameterMissing):
        PARAMS.at("maternity.weeks_after_birth", date(2022, 8, 1))


def test_lookups_are_cached_and_return_the_same_value_object():
    first = PARAMS.at("sickness.weekly_max", date(2024, 3, 4))
    assert PARAMS.at("sickness.weekly_max", date(2024, 3, 4)) is first
    assert PARAMS["sickness.weekly_max"].get(date(2030, 1, 1)) is None


def test_unknown_parameter_is_a_coded_error():
    with pytest.raises(RuleError) as caught:
        PARAMS.at("sickness.nope", date(2024, 1, 1))
    assert caught.value.code == "RULE_PARAM_UNKNOWN"


def test_packaged_set_is_loaded_once():
    assert load_parameters() is load_parameters()
    assert load_parameters(()) is PARAMS


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


OVERRIDE_2025 = """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2025-01-06
value = 5000
source = "https://example.invalid/satser-2025"
"""


def test_override_directory_extends_the_packaged_values(tmp_path):
    _write(tmp_path, "sickness.toml", OVERRIDE_2025)
    params = load_parameters([tmp_path])
    value = params.at("sickness.weekly_max", date(2025, 6, 1))
    assert value.value == Decimal(5000)
    assert value.valid_until == date(2026, 1, 4)  # the first-Monday rule is inherited
    assert value.reference == "Sygedagpengeloven § 50, stk. 1"
    assert value.origin.endswith("sickness.toml")
    assert params.at("sickness.weekly_max", date(2024, 6, 1)).value == Decimal(4695)
    assert str(tmp_path / "sickness.toml") in params.files


def test_override_with_a_different_value_for_a_packaged_period_is_a_conflict(tmp_path):
    _write(
        tmp_path,
        "fix.toml",
        """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2024-01-01
value = 4700
source = "https://example.invalid"
""",
    )
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code == "RULE_PARAM_CONFLICT"
    assert caught.value.exit_status == 2


def test_partially_overlapping_period_with_another_value_is_a_conflict(tmp_path):
    _write(
        tmp_path,
        "fix.toml",
        """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2024-12-30
valid_until = 2025-03-31
value = 4800
source = "https://example.invalid"
""",
    )
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code == "RULE_PARAM_CONFLICT"


def test_restating_a_packaged_value_is_harmless(tmp_path):
    _write(
        tmp_path,
        "same.toml",
        """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2024-01-01
value = 4695
source = "https://dag.dk/g-dagssats-og-dagpengesats/"
""",
    )
    params = load_parameters([tmp_path])
    assert params.at("sickness.weekly_max", date(2025, 1, 5)).value == Decimal(4695)
    assert len(params["sickness.weekly_max"].values) == len(PARAMS["sickness.weekly_max"].values)


def test_two_override_files_in_conflict(tmp_path):
    _write(tmp_path, "a.toml", OVERRIDE_2025)
    _write(tmp_path, "b.toml", OVERRIDE_2025.replace("5000", "5001"))
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code == "RULE_PARAM_CONFLICT"


def test_override_may_not_change_the_unit(tmp_path):
    text = OVERRIDE_2025.replace("[[weekly_max", 'weekly_max.unit = "days"\n[[weekly_max')
    _write(tmp_path, "a.toml", text)
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code in ("RULE_PARAM_CONFLICT", "RULE_PARAM_FILE_INVALID")


@pytest.mark.parametrize(
    "text",
    [
        "this is not toml = = =",
        '[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = 1\nsource = "x"\n',  # no benefit
        'benefit = "sickness"\n[[weekly_max.values]]\nvalue = 1\nsource = "x"\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = 1\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = "x"\n'
        'source = "x"\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = -1\n'
        'source = "x"\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = 1\n'
        'source = "x"\ntypo = 1\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\n'
        'valid_until = 2025-01-01\nvalue = 1\nsource = "x"\n',
        'benefit = "sickness"\n[brand_new]\n[[brand_new.values]]\nvalid_from = 2025-01-06\n'
        'value = 1\nsource = "x"\n',  # a new parameter needs unit and reference
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\nvalue = 1e999\n'
        'source = "x"\n',  # finite, but no amount of øre can hold it
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 2025-01-06\n'
        'value = 1.00000000001\nsource = "x"\n',
        'benefit = "sickness"\n[[weekly_max.values]]\nvalid_from = 9999-12-31\nvalue = 1\n'
        'source = "x"\n',  # the next January does not exist
    ],
)
def test_invalid_parameter_files(tmp_path, text):
    _write(tmp_path, "bad.toml", text)
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code == "RULE_PARAM_FILE_INVALID"


def test_missing_override_directory(tmp_path):
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path / "nope"])
    assert caught.value.code == "RULE_PARAM_DIR_MISSING"


def test_a_parameter_set_of_ones_own(tmp_path):
    _write(
        tmp_path,
        "only.toml",
        """
benefit = "sickness"
[weekly_max]
unit = "DKK"
reference = "test"
[[weekly_max.values]]
valid_from = 2030-01-07
value = "6000.50"
source = "test"
""",
    )
    params = load_parameters([tmp_path], include_packaged=False)
    assert list(p.name for p in params) == ["sickness.weekly_max"]
    assert params.at("sickness.weekly_max", date(2099, 1, 1)).value == Decimal("6000.50")


def test_in_force_lists_every_parameter():
    rows = dict((p.name, v) for p, v in PARAMS.in_force(date(2025, 2, 1)))
    assert rows["sickness.weekly_max"] is None
    assert rows["sickness.employer_period_days"].value == 30
