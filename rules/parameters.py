"""Dated legal parameters: load the TOML files, answer "value of P on day D".

Layout of a parameter file (``rules/parameters/sickness.toml`` is the reference)::

    benefit = "sickness"                  # namespace: the parameter is "sickness.weekly_max"

    [weekly_max]
    description = "..."
    unit = "DKK"                          # DKK | fraction | days | weeks | hours | bool
    reference = "Sygedagpengeloven § 50, stk. 1"
    valid_until_rule = "first_monday_of_next_january"   # optional

    [[weekly_max.values]]
    valid_from = 2024-01-01               # TOML date, first day in force
    value = 4695                          # numbers are read as Decimal, never float
    source = "https://..."                # where the figure was published
    # valid_until = 2024-12-31            # optional, inclusive; beats valid_until_rule
    # reference = "..."                   # optional, beats the parameter's reference

A value without ``valid_until`` ends where ``valid_until_rule`` says; without a rule it stays
in force until further notice (used for statutory constants such as the 30-day employer
period). The only rule is ``first_monday_of_next_january`` (§ 50: amounts are regulated on
the first Monday of January, so 2024's value is in force 2024-01-01 … 2025-01-05).

Override files (an operator's ``PAYMENTS_PARAMETERS_DIR``; the caller passes the directory,
this module never reads the environment) have the same layout. They may leave out
description / unit / reference of a parameter the packaged files define (if they state them,
they must agree). Their values *extend* the packaged ones. Two values whose periods overlap
are an error, ``RULE_PARAM_CONFLICT``, when the values differ; equal values that overlap are
merged into one period (restating a packaged value is harmless). Files are read in a fixed
order: packaged files, then each extra directory's ``*.toml`` sorted by name.

Look-ups are a dictionary hit after the first call for a day (each ``Parameter`` caches per
day) and a ``bisect`` over the sorted start dates otherwise.

>>> params = load_parameters()
>>> params.at("sickness.weekly_max", date(2025, 1, 5)).value
Decimal('4695')
>>> params.at("sickness.weekly_max", date(2026, 1, 5)).value
Decimal('5085')
>>> params.at("sickness.weekly_max", date(2027, 1, 4))  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
rules.errors.ParameterMissing: RULE_PARAM_MISSING: ... sickness.weekly_max ... 2027-01-04...
"""

from __future__ import annotations

import os
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from rules import codes
from rules.days import FIRST_DATE, LAST_DATE, first_monday_of_january
from rules.errors import ParameterFileError, ParameterMissing, RuleError

__all__ = ["PACKAGED_DIR", "Parameter", "ParameterValue", "Parameters", "load_parameters"]

PACKAGED_DIR = Path(__file__).with_name("parameters")

#: ``hours`` is a decimal number of hours (the 37-hour basis of the hourly maximum, § 30's 74)
UNITS = ("DKK", "fraction", "days", "weeks", "hours", "bool")
VALID_UNTIL_RULES = ("first_monday_of_next_january",)
_PARAMETER_KEYS = {"description", "unit", "reference", "valid_until_rule", "values"}
_VALUE_KEYS = {"valid_from", "valid_until", "value", "source", "reference", "note"}
_CENT = Decimal("0.01")
_VALUE_LIMIT = Decimal(10) ** 9
_FAR = date.max.toordinal()


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One value of one parameter with its validity period and provenance."""

    name: str
    value: Decimal | int | bool
    valid_from: date
    valid_until: date | None  # inclusive; None: until further notice
    unit: str
    reference: str
    source: str
    origin: str  # the file it was read from
    #: the last day in force as a proleptic ordinal (a far one for "until further notice"):
    #: worked out once, because the rules compare it with every segment of days they price
    last_ordinal: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        until = self.valid_until
        object.__setattr__(self, "last_ordinal", until.toordinal() if until else _FAR)

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    @property
    def period(self) -> str:
        """``2024-01-01 – 2025-01-05`` (or ``2012-01-02 – until further notice``)."""
        until = self.valid_until.isoformat() if self.valid_until else "until further notice"
        return f"{self.valid_from.isoformat()} – {until}"

    def value_text(self) -> str:
        """The value as a clerk writes it: ``4695.00`` kr, ``0.08``, ``30``, ``true``."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if self.unit == "DKK":
            return str(Decimal(self.value).quantize(_CENT))
        return str(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.name,
            "value": self.value_text(),
            "unit": self.unit,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "reference": self.reference,
            "source": self.source,
        }


class Parameter:
    """All values of one parameter, sorted and non-overlapping, with a per-day cache."""

    __slots__ = ("name", "description", "unit", "reference", "values", "_starts", "_cache")

    def __init__(
        self,
        name: str,
        description: str,
        unit: str,
        reference: str,
        values: tuple[ParameterValue, ...],
    ) -> None:
        self.name = name
        self.description = description
        self.unit = unit
        self.reference = reference
        self.values = values
        self._starts = [v.valid_from for v in values]
        self._cache: dict[date, ParameterValue] = {}

    def at(self, day: date) -> ParameterValue:
        """The value in force on ``day``; ``ParameterMissing`` when there is none."""
        hit = self._cache.get(day)
        if hit is not None:
            return hit
        index = bisect_right(self._starts, day) - 1
        if index >= 0:
            value = self.values[index]
            if value.valid_until is None or day <= value.valid_until:
                self._cache[day] = value
                return value
        raise ParameterMissing(self.name, day)

    def get(self, day: date) -> ParameterValue | None:
        """Like :meth:`at` but ``None`` when nothing is in force."""
        try:
            return self.at(day)
        except ParameterMissing:
            return None

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, {len(self.values)} values)"


class Parameters:
    """The parameter set a decision reads: ``params.at("sickness.weekly_max", day)``."""

    __slots__ = ("_by_name", "files")

    def __init__(self, parameters: Iterable[Parameter], files: tuple[str, ...] = ()) -> None:
        self._by_name = {p.name: p for p in sorted(parameters, key=lambda p: p.name)}
        self.files = files

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._by_name[name]
        except KeyError:
            raise RuleError(
                codes.RULE_PARAM_UNKNOWN, f"no parameter named {name}", field=name
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def at(self, name: str, day: date) -> ParameterValue:
        return self[name].at(day)

    def in_force(self, day: date) -> tuple[tuple[Parameter, ParameterValue | None], ...]:
        """Every parameter with its value on ``day`` (``None``: nothing in force)."""
        return tuple((p, p.get(day)) for p in self)


# -- loading ------------------------------------------------------------------------------


def load_parameters(
    extra_dirs: Iterable[str | os.PathLike[str]] = (), *, include_packaged: bool = True
) -> Parameters:
    """Read the packaged parameter files plus every ``*.toml`` in ``extra_dirs``.

    The packaged set alone is loaded once per process and shared (its look-up caches warm up
    across decisions). ``include_packaged=False`` reads only ``extra_dirs`` (tests that need
    a parameter set of their own).
    """
    dirs = tuple(str(Path(d)) for d in extra_dirs if d is not None and str(d) != "")
    if include_packaged and not dirs:
        return _packaged()
    files: list[Path] = _files(PACKAGED_DIR) if include_packaged else []
    for directory in dirs:
        path = Path(directory)
        if not path.is_dir():
            raise ParameterFileError(
                codes.RULE_PARAM_DIR_MISSING,
                f"parameter directory {directory} does not exist or is not a directory",
                field=directory,
            )
        files.extend(_files(path))
    return _build(files)


@lru_cache(maxsize=1)
def _packaged() -> Parameters:
    return _build(_files(PACKAGED_DIR))


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def _build(files: list[Path]) -> Parameters:
    meta: dict[str, dict[str, Any]] = {}
    values: dict[str, list[ParameterValue]] = {}
    for path in files:
        for name, info, vals in _read_file(path):
            known = meta.get(name)
            if known is None:
                missing = [k for k in ("unit", "reference") if not info.get(k)]
                if missing:
                    _invalid(path, f"parameter {name} needs {', '.join(missing)}", name)
                meta[name] = info
                values[name] = []
            else:
                for key in ("unit", "reference", "valid_until_rule", "description"):
                    if key in info and info[key] != known.get(key):
                        raise ParameterFileError(
                            codes.RULE_PARAM_CONFLICT,
                            f"{path}: {name}.{key} is {info[key]!r} but an earlier file "
                            f"({known['origin']}) says {known.get(key)!r}",
                            field=name,
                        )
            info = meta[name]
            for raw in vals:
                values[name].append(_value(path, name, info, raw))
    return Parameters(
        (
            Parameter(
                name,
                meta[name].get("description", ""),
                meta[name]["unit"],
                meta[name]["reference"],
                _merge(name, values[name]),
            )
            for name in meta
        ),
        files=tuple(str(p) for p in files),
    )


def _read_file(path: Path) -> Iterator[tuple[str, dict[str, Any], list[Any]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        _invalid(path, f"cannot read: {exc}")
    benefit = data.pop("benefit", None)
    if not isinstance(benefit, str) or not benefit.isidentifier():
        _invalid(path, 'needs a top-level key benefit = "sickness" (or "maternity", …)')
    for key, table in data.items():
        name = f"{benefit}.{key}"
        if not isinstance(table, dict):
            _invalid(path, f"{key} must be a table of a parameter", name)
        unknown = set(table) - _PARAMETER_KEYS
        if unknown:
            _invalid(path, f"{name}: unknown keys {', '.join(sorted(unknown))}", name)
        info = {
            k: table[k]
            for k in ("description", "unit", "reference", "valid_until_rule")
            if k in table
        }
        if "unit" in info and info["unit"] not in UNITS:
            _invalid(path, f"{name}: unit must be one of {', '.join(UNITS)}", name)
        rule = info.get("valid_until_rule")
        if rule is not None and rule not in VALID_UNTIL_RULES:
            _invalid(path, f"{name}: valid_until_rule must be one of {VALID_UNTIL_RULES}", name)
        for k in ("description", "reference"):
            if k in info and not isinstance(info[k], str):
                _invalid(path, f"{name}: {k} must be a string", name)
        info["origin"] = str(path)
        vals = table.get("values", [])
        if not isinstance(vals, list):
            _invalid(path, f"{name}: values must be an array of tables", name)
        yield name, info, vals


def _value(path: Path, name: str, info: dict[str, Any], raw: Any) -> ParameterValue:
    if not isinstance(raw, dict):
        _invalid(path, f"{name}: each value must be a table", name)
    unknown = set(raw) - _VALUE_KEYS
    if unknown:
        _invalid(path, f"{name}: unknown keys {', '.join(sorted(unknown))}", name)
    start = raw.get("valid_from")
    if not isinstance(start, date) or hasattr(start, "hour"):
        _invalid(path, f"{name}: valid_from must be a TOML date (YYYY-MM-DD)", name)
    if not FIRST_DATE <= start <= LAST_DATE:  # the dates the engine takes (rules.days)
        _invalid(path, f"{name}: valid_from must be from {FIRST_DATE} to {LAST_DATE}", name)
    until = raw.get("valid_until")
    if until is None and info.get("valid_until_rule") == "first_monday_of_next_january":
        until = first_monday_of_january(start.year + 1) - timedelta(days=1)
    if until is not None and (not isinstance(until, date) or hasattr(until, "hour")):
        _invalid(path, f"{name}: valid_until must be a TOML date", name)
    if until is not None and until < start:
        _invalid(path, f"{name}: valid_until {until} is before valid_from {start}", name)
    if until is not None and until > LAST_DATE:
        _invalid(path, f"{name}: valid_until must be at most {LAST_DATE}", name)
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        _invalid(path, f"{name}: the value from {start} needs a source", name)
    reference = raw.get("reference", info["reference"])
    return ParameterValue(
        name=name,
        value=_typed(path, name, info["unit"], raw.get("value")),
        valid_from=start,
        valid_until=until,
        unit=info["unit"],
        reference=str(reference),
        source=source,
        origin=str(path),
    )


def _typed(path: Path, name: str, unit: str, raw: Any) -> Decimal | int | bool:
    if unit == "bool":
        if isinstance(raw, bool):
            return raw
        _invalid(path, f"{name}: value must be true or false", name)
    if isinstance(raw, bool) or raw is None:
        _invalid(path, f"{name}: value must be a number", name)
    if unit in ("days", "weeks"):
        if isinstance(raw, int) and raw >= 0:
            return raw
        _invalid(path, f"{name}: value must be a whole number of {unit}", name)
    try:
        number = Decimal(raw) if isinstance(raw, int | str) else raw
    except InvalidOperation:
        number = None
    if not isinstance(number, Decimal) or not number.is_finite() or number < 0:
        _invalid(path, f"{name}: value must be a non-negative decimal number", name)
    if number >= _VALUE_LIMIT or number.as_tuple().exponent < -10:
        # the rules compute in 28 significant digits: 1e999 cannot even be shown in øre
        _invalid(
            path, f"{name}: value must be below {_VALUE_LIMIT:,} with at most 10 decimals", name
        )
    if unit == "fraction" and number > 1:
        _invalid(path, f"{name}: a fraction must be between 0 and 1", name)
    return number


def _merge(name: str, values: list[ParameterValue]) -> tuple[ParameterValue, ...]:
    merged: list[ParameterValue] = []
    for value in sorted(values, key=lambda v: v.valid_from):
        if merged:
            last = merged[-1]
            if last.valid_until is None or last.valid_until >= value.valid_from:
                if last.value != value.value:
                    raise ParameterFileError(
                        codes.RULE_PARAM_CONFLICT,
                        f"{name}: {value.value_text()} from {value.origin} ({value.period}) "
                        f"overlaps {last.value_text()} from {last.origin} ({last.period})",
                        field=name,
                    )
                if last.valid_until is not None and (
                    value.valid_until is None or value.valid_until > last.valid_until
                ):
                    merged[-1] = replace(last, valid_until=value.valid_until)
                continue
        merged.append(value)
    return tuple(merged)


def _invalid(path: Path, message: str, field: str | None = None) -> NoReturn:
    raise ParameterFileError(codes.RULE_PARAM_FILE_INVALID, f"{path}: {message}", field=field)
