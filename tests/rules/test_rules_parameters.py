"""Dated parameters: packaged values, validity, gaps, override files, conflicts."""

from __future__ import annotations

from datetime import date, timedelta
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
        (date(2025, 1, 6), 4865),
        (date(2026, 1, 4), 4865),
        (date(2026, 1, 5), 5085),
        (date(2027, 1, 3), 5085),
    ],
)
def test_weekly_max_is_valid_until_the_day_before_the_next_first_monday(day, value):
    found = PARAMS.at("sickness.weekly_max", day)
    assert found.value == Decimal(value)
    assert isinstance(found.value, Decimal)
    if day >= date(2022, 1, 3):  # barselsloven § 35: the same figure as sick pay
        assert PARAMS.at("maternity.weekly_max", day).value == found.value


@pytest.mark.parametrize(
    ("day", "hourly"),
    [
        (date(2013, 6, 3), "108.24"),
        (date(2022, 6, 1), "120.68"),
        (date(2023, 6, 1), "122.97"),
        (date(2024, 6, 3), "126.89"),
        (date(2025, 6, 2), "131.49"),
        (date(2026, 6, 1), "137.43"),
    ],
)
def test_the_published_hourly_maximum_is_the_weekly_maximum_over_37_hours(day, hourly):
    """bm.dk, nemrefusion.dk, dag.dk and borger.dk publish these hourly figures."""
    weekly = PARAMS.at("sickness.weekly_max", day).value
    basis = PARAMS.at("sickness.hourly_max_basis_hours", day)
    assert basis.value == 37 and basis.valid_until is None
    assert str((weekly / basis.value).quantize(Decimal("0.01"), "ROUND_HALF_UP")) == hourly


@pytest.mark.parametrize(
    ("first_monday", "rate"),
    [
        (date(2020, 1, 6), "0.003"),
        (date(2021, 1, 4), "0.006"),
        (date(2022, 1, 3), "0.009"),
        (date(2023, 1, 2), "0.012"),
        (date(2024, 1, 1), "0.015"),
        (date(2025, 1, 6), "0.018"),
        (date(2026, 1, 5), "0.021"),
        (date(2027, 1, 4), "0.024"),
        (date(2028, 1, 3), "0.027"),
        (date(2029, 1, 1), "0.030"),
        (date(2030, 1, 7), "0.033"),
    ],
)
def test_s39b_supplement_rates_each_from_its_first_monday(first_monday, rate):
    """Barselsloven § 39 b, nr. 1-11; each rate ends the day before the next one starts."""
    value = PARAMS.at("maternity.refusion_supplement_rate", first_monday)
    assert value.value == Decimal(rate) and value.valid_from == first_monday
    before = PARAMS["maternity.refusion_supplement_rate"].get(first_monday - timedelta(1))
    if first_monday == date(2020, 1, 6):
        assert before is None
    else:
        assert before.value < value.value and before.valid_until == first_monday - timedelta(1)


def test_the_last_supplement_rate_stays_in_force_until_further_notice():
    value = PARAMS.at("maternity.refusion_supplement_rate", date(2099, 12, 31))
    assert value.value == Decimal("0.033") and value.valid_until is None


def test_the_74_hours_of_s30():
    value = PARAMS.at("sickness.employer_period_min_hours", date(2026, 3, 2))
    assert value.value == 74 and value.unit == "hours"
    assert value.reference == "Sygedagpengeloven § 30, stk. 2, nr. 2"


@pytest.mark.parametrize(
    "day",
    [
        date(2013, 1, 6),
        date(2014, 1, 6),
        date(2016, 1, 4),
        date(2017, 6, 1),
        date(2020, 1, 6),
        date(2020, 12, 31),
        date(2027, 1, 4),
        date(2027, 6, 1),
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
    """A source is a web address, the statute's own text, or (2025-26) the borger.dk page the
    specification names together with the § 64 / § 38 arithmetic that reproduces the figure."""
    for parameter in PARAMS:
        assert parameter.values, parameter.name
        for value in parameter.values:
            assert value.reference, value
            assert value.source.startswith(("http", "Barselsloven § ", "borger.dk")), value


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


OVERRIDE_2027 = """
benefit = "sickness"
[[weekly_max.values]]
valid_from = 2027-01-04
value = 5300
source = "https://example.invalid/satser-2027"
"""


def test_override_directory_extends_the_packaged_values(tmp_path):
    _write(tmp_path, "sickness.toml", OVERRIDE_2027)
    params = load_parameters([tmp_path])
    value = params.at("sickness.weekly_max", date(2027, 6, 1))
    assert value.value == Decimal(5300)
    assert value.valid_until == date(2028, 1, 2)  # the first-Monday rule is inherited
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
    _write(tmp_path, "a.toml", OVERRIDE_2027)
    _write(tmp_path, "b.toml", OVERRIDE_2027.replace("5300", "5301"))
    with pytest.raises(ParameterFileError) as caught:
        load_parameters([tmp_path])
    assert caught.value.code == "RULE_PARAM_CONFLICT"


def test_override_may_not_change_the_unit(tmp_path):
    text = OVERRIDE_2027.replace("[[weekly_max", 'weekly_max.unit = "days"\n[[weekly_max')
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
    rows = dict((p.name, v) for p, v in PARAMS.in_force(date(2027, 2, 1)))
    assert rows["sickness.weekly_max"] is None
    assert rows["sickness.employer_period_days"].value == 30
