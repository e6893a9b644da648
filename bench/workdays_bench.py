"""Benchmark rxapp.domain.workdays.add_workdays.

Prints one JSON line per scenario: calls/s for add_workdays over 100,000 random
acceptance times in 2024–2026 with n in 2..15, cold (all caches cleared, so the
per-year tables are built inside the timed run) and warm.

    .venv/bin/python bench/workdays_bench.py [--calls 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rxapp.domain import workdays as wd  # noqa: E402


def _clear_caches() -> None:
    wd._default_table.cache_clear()
    wd._official_table.cache_clear()
    wd.package_year_range.cache_clear()


def _inputs(calls: int, seed: int) -> list[tuple[datetime, int]]:
    rng = random.Random(seed)
    lo = datetime(2024, 1, 1)
    span = int((datetime(2027, 1, 1) - lo).total_seconds())
    return [(lo + timedelta(seconds=rng.randrange(span)), rng.randint(2, 15)) for _ in range(calls)]


def _run(label: str, inputs, overrides=None) -> dict:
    add = wd.add_workdays
    t0 = time.perf_counter()
    provisional = 0
    for start, n in inputs:
        provisional += add(start, n, overrides).provisional
    dt = time.perf_counter() - t0
    row = {
        "bench": "add_workdays",
        "scenario": label,
        "calls": len(inputs),
        "seconds": round(dt, 4),
        "calls_per_s": round(len(inputs) / dt),
        "provisional": provisional,
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    inputs = _inputs(args.calls, args.seed)

    _clear_caches()
    _run("cold", inputs)
    _run("warm", inputs)

    nxt = (wd.package_year_range() or (2026, 2026))[1] + 1
    ov = {nxt: wd.parse_schedule_text(nxt, f"{nxt}-01-01 休 元旦")}
    _clear_caches()
    _run(f"cold_with_{nxt}_override", inputs, ov)
    _run(f"warm_with_{nxt}_override", inputs, ov)


if __name__ == "__main__":
    main()
