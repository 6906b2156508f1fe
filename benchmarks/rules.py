"""Rule engine figures (issues 4 and 13): decisions per second and the cost of a look-up.

    .venv/bin/python -m benchmarks.rules [--size 100000] [--seed 4]

Target: ≥ 20,000 decisions per second on one core for 100,000 mixed claims.

The claims are synthetic and deterministic (``--seed``): about 70 % sickness (full and partial
absence, part-timers of 30 and 32.5 hours, § 55 / § 56 / new hires, fewer than 74 hours in
the last 8 weeks, late claims, salary paid or not, 1-120 days, 2021-2026, so the 2025 and
2026 maxima and the first Mondays of January are crossed) and 30 % maternity (mothers before
and after the birth, some claiming before it with the expected date only, fathers and
co-mothers, transfers, salary caps; children born 2022-2026, the § 39 a supplement on every
refusion), a few percent of each ending in a rejection, and the few claims reaching past
2027-01-03 in ``error`` (no 2027 maximum is shipped). Measured, each on the same claims:

1. ``decide``            — ``rules.decide`` on already parsed claims (the target);
2. ``parse + decide``    — from the raw mapping, as the intake does per record;
3. ``file → decisions``  — NDJSON file → ``iter_claim_records`` → parse → decide → ``to_dict``
   (what ``payments rules decide --json`` does, minus printing);
4. parameter look-ups: a cached hit, a first (bisect) look-up per day, and loading the files.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from stdnum.dk import cvr as stdnum_cvr

from benchmarks import ROOT
from rules.claim import parse_claim
from rules.claim_file import iter_claim_records
from rules.engine import decide
from rules.parameters import load_parameters

TODAY = date(2027, 1, 4)
START = date(2021, 1, 4)
SPAN = (date(2026, 9, 30) - START).days
LAST_BIRTH = date(2026, 6, 1)


def _cvr(rng: random.Random) -> str:
    while True:
        digits = str(rng.randrange(10_000_000, 100_000_000))
        if stdnum_cvr.is_valid(digits):
            return digits


def _cpr(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(18_000))
    century = "0" if born.year < 2000 else "4"
    return f"{born:%d%m%y}{century}{rng.randrange(1000):03d}"


EMPLOYERS: list[str] = []


def _people(rng: random.Random) -> dict:
    return {"employer_cvr": rng.choice(EMPLOYERS), "employee_cpr": _cpr(rng)}


def _sickness(rng: random.Random, n: int) -> dict:
    first = START + timedelta(days=rng.randrange(SPAN))
    length = rng.choice((3, 10, 31, 35, 45, 60, 90, 120)) + rng.randrange(5)
    roll = rng.random()
    raw = {
        "external_ref": f"S-{n}",
        **_people(rng),
        "kind": "sickness",
        "first_absence_day": first.isoformat(),
        "last_absence_day": (first + timedelta(days=length)).isoformat(),
        "normal_weekly_hours": rng.choice(("37", "37", "40", "30", "32.5")),
        "hourly_wage": f"{rng.randrange(110, 400)}.{rng.randrange(100):02d}",
        "salary_paid": rng.random() < 0.8,
        "employment_start": (first - timedelta(days=rng.choice((20, 400, 4000)))).isoformat(),
        "monthly_hours": [160, 160, 150, 160, 140, 160]
        if rng.random() < 0.97
        else [100, 20, 20, 100, 100, 100],
        "submitted_on": (first + timedelta(days=rng.choice((3, 10, 20, 34, 40)))).isoformat(),
    }
    if roll < 0.15:
        raw["section_56_agreement"] = True
    elif roll < 0.25:
        raw["small_employer_insurance"] = True
    if rng.random() < 0.1:
        raw["absence_hours_per_week"] = rng.choice(("18.5", "10", "3"))
    if rng.random() < 0.2:
        raw["hours_last_8_weeks"] = rng.choice(("40", "73.5", "74", "296"))
    return raw


def _maternity(rng: random.Random, n: int) -> dict:
    birth = date(2022, 8, 2) + timedelta(days=rng.randrange((LAST_BIRTH - date(2022, 8, 2)).days))
    parent = rng.choice(("mother", "mother", "father", "co_mother"))
    start = birth - timedelta(days=28) if parent == "mother" else birth
    first = start + timedelta(days=rng.randrange(0, 60))
    last = first + timedelta(days=rng.choice((13, 27, 55, 90)))
    raw = {
        "external_ref": f"M-{n}",
        **_people(rng),
        "kind": "maternity",
        "parent": parent,
        "child_birth_date": birth.isoformat(),
        "first_absence_day": first.isoformat(),
        "last_absence_day": last.isoformat(),
        "normal_weekly_hours": "37",
        "hourly_wage": f"{rng.randrange(110, 400)}.00",
        "salary_paid": rng.random() < 0.85,
        "employment_start": "2015-01-01",
        "monthly_hours": [160, 160, 160, 160],
        "submitted_on": (last + timedelta(days=rng.choice((1, 20, 50, 60)))).isoformat(),
    }
    if rng.random() < 0.2:
        raw["weeks_transferred_in"] = rng.randrange(0, 14)
    if raw["salary_paid"] and rng.random() < 0.2:
        raw["salary_paid_amount"] = f"{rng.randrange(1000, 30000)}.00"
    if parent == "mother" and rng.random() < 0.25:  # claimed before the birth
        del raw["child_birth_date"]
        raw["expected_birth_date"] = birth.isoformat()
        last = min(last, birth - timedelta(days=1))
        first = min(first, last)
        raw["first_absence_day"] = first.isoformat()
        raw["last_absence_day"] = last.isoformat()
        raw["submitted_on"] = (last + timedelta(days=rng.choice((0, 3, 10)))).isoformat()
    return raw


def synthetic(size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    EMPLOYERS[:] = [_cvr(rng) for _ in range(max(3, size // 200))]
    return [(_sickness if rng.random() < 0.7 else _maternity)(rng, n) for n in range(size)]


def timed(label: str, count: int, fn) -> float:
    """Run ``fn``; print wall-clock and CPU figures; return the rate per CPU second.

    The CPU time of this process is the "one core" figure: on a shared machine the wall clock
    also counts the time other processes held the core.
    """
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"  {label:<22} {count:>9,}: {count / cpu:>10,.0f}/s per CPU second "
        f"({cpu / count * 1e6:6.1f} µs each); wall {wall:6.2f} s = {count / wall:>10,.0f}/s"
    )
    return count / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    raws = synthetic(args.size, args.seed)
    params = load_parameters()
    claims = [parse_claim(r, TODAY) for r in raws]
    for claim in claims[:2000]:  # warm the per-day parameter caches and holiday sets
        decide(claim, parameters=params)

    print(
        f"rules: {args.size:,} mixed claims (seed {args.seed}), Python "
        f"{sys.version.split()[0]}, one core"
    )
    statuses: dict[str, int] = {}
    supplements = [0, Decimal(0)]

    def run_decide():
        for claim in claims:
            decision = decide(claim, parameters=params)
            statuses[decision.status] = statuses.get(decision.status, 0) + 1
            if decision.supplement:
                supplements[0] += 1
                supplements[1] += decision.supplement

    rate = timed("decide", len(claims), run_decide)
    print("    " + ", ".join(f"{statuses[s]:,} {s}" for s in sorted(statuses)))
    years = sorted({c.first_absence_day.year for c in claims})
    print(
        f"    absences starting {years[0]}-{years[-1]}; {supplements[0]:,} decisions with a "
        f"§ 39 a supplement ({supplements[1]:,.2f} kr)"
    )

    def run_parse_decide():
        for raw in raws:
            decide(parse_claim(raw, TODAY), parameters=params)

    timed("parse + decide", len(raws), run_parse_decide)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.ndjson"
        with open(path, "w", encoding="utf-8") as fh:
            for raw in raws:
                fh.write(json.dumps(raw) + "\n")

        def from_file():
            for record in iter_claim_records(path):
                decide(parse_claim(record.raw, TODAY), parameters=params).to_dict()

        timed("file → decisions", len(raws), from_file)

    print("  parameter look-ups:")
    weekly_max = params["sickness.weekly_max"]
    days = [START + timedelta(days=i % SPAN) for i in range(1_000_000)]
    timed("cached hit", len(days), lambda: any(weekly_max.at(d) is None for d in days))
    # a private copy of the packaged files, so that no day is cached yet
    fresh = load_parameters([ROOT / "rules" / "parameters"], include_packaged=False)
    first_days = [START + timedelta(days=i) for i in range(SPAN)]
    timed(
        "first look-up (bisect)",
        len(first_days),
        lambda: any(fresh["sickness.weekly_max"].at(d) is None for d in first_days),
    )
    timed(
        "load_parameters()",
        50,
        lambda: [
            load_parameters([ROOT / "rules" / "parameters"], include_packaged=False)
            for _ in range(50)
        ],
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  peak RSS {peak:,.0f} MB (the {args.size:,} raw and parsed claims are held in "
        "memory; decisions are not kept)"
    )
    target = "met" if rate >= 20_000 else "NOT met"
    print(f"target ≥ 20,000 decisions/s: {target} ({rate:,.0f}/s)")


if __name__ == "__main__":
    main()
