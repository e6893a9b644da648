"""Benchmark geography: tessellation time, resolver accuracy and lookup cost,
map payload sizes — at demo size and at full city size.

For each size it seeds a fresh database (``rxapp.domain.seed.seed``), then
resolves **every** seeded household by its point and by its address and
prints JSON lines:

    {"bench": "seed", "size": "demo", "grids": 108, "households": …, "cases": …, "seconds": …}
    {"bench": "tessellate", "size": "city", "grids": 2412, "seconds": …}
    {"bench": "resolver_build", "size": …, "ms": …}
    {"bench": "resolve_point", "size": …, "n": …, "correct": …, "accuracy": 1.0, "p50_us": …, "p95_us": …}
    {"bench": "resolve_address", …}
    {"bench": "resolve_point_checked", …}   the public function: one freshness query + lookup
    {"bench": "dict_floor", "size": …, "p50_us": …, "p95_us": …}   a bare dict lookup, timed the same way
    {"bench": "payload", "size": …, "scope": "city" | "largest_township", "bytes": …, "build_ms": …}

Sizes: ``demo`` = 3 grids per township, 40,000 cases (``make run``'s data);
``city`` = 67 grids per township (2,412 grids, ~300,000 households), 1,000
cases.  Timings are per lookup, measured with ``perf_counter_ns`` around each
call (the dict floor shows what the timing itself costs).

    .venv/bin/python bench/geo_bench.py [--sizes demo,city] [--dbs sqlite,postgresql] [--dir /tmp/griddesk-geo-bench]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.geo.features import area_features, payload_bytes  # noqa: E402
from rxapp.domain.geo.land import seat_of, township_land  # noqa: E402
from rxapp.domain.geo.resolve import GeoError, Resolver, resolve_point  # noqa: E402
from rxapp.domain.geo.tessellate import tessellate_township  # noqa: E402
from rxapp.domain.seed import seed  # noqa: E402
from rxapp.models import Area, AreaLevel, Household  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = {"demo": (3, 40_000), "city": (67, 1_000)}
NOW = datetime(2026, 11, 27, 10, 0)


def emit(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def fresh_url(db: str, size: str, folder: Path) -> str:
    if db == "sqlite":
        path = folder / f"geo-{size}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"griddesk_geo_bench_{size}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def percentiles(ns: list[int]) -> dict:
    ns = sorted(ns)
    return {"p50_us": round(ns[len(ns) // 2] / 1000, 2), "p95_us": round(ns[int(len(ns) * 0.95)] / 1000, 2),
            "mean_us": round(statistics.fmean(ns) / 1000, 2)}


def timed(calls, fn) -> tuple[list[int], list]:
    clock = time.perf_counter_ns
    spent, out = [], []
    for args in calls:
        t0 = clock()
        r = fn(*args)
        spent.append(clock() - t0)
        out.append(r)
    return spent, out


def tessellation_seconds(k: int) -> tuple[int, float]:
    """The geometry the seed computes, alone: every township cut into ``k`` grids."""
    rng, r = np.random.default_rng(1), random.Random(1)
    t0 = time.perf_counter()
    grids = 0
    for name, land in township_land().items():
        sizes, left = [], k
        while left > 0:
            size = 2 if left >= 2 and r.random() < 0.5 else 1
            sizes.append(size)
            left -= size
        grids += sum(len(g) for _, g in tessellate_township(land, seat_of(name), sizes, rng))
    return grids, time.perf_counter() - t0


def run(db: str, size: str, folder: Path) -> None:
    k, cases = SIZES[size]
    base = {"db": db, "size": size}
    grids, secs = tessellation_seconds(k)
    emit({"bench": "tessellate", **base, "grids": grids, "seconds": round(secs, 2)})
    url = fresh_url(db, size, folder)
    engine = make_engine(url)
    t0 = time.perf_counter()
    stats = seed(engine, cases=cases, grids_per_township=k, now=NOW, random_seed=42)
    emit({"bench": "seed", **base, "grids": stats.grids, "households": stats.households, "cases": stats.cases,
          "seconds": round(time.perf_counter() - t0, 1)})
    with Session(engine) as s:
        households = s.exec(select(Household.grid_id, Household.lon, Household.lat, Household.address).order_by(Household.id)).all()
        t0 = time.perf_counter()
        resolver = Resolver.of(s)
        emit({"bench": "resolver_build", **base, "grids": len(resolver.grids.ids), "ms": round((time.perf_counter() - t0) * 1000, 1)})

        def point(lon, lat):
            try:
                return resolver.point(lon, lat).grid_id
            except GeoError:
                return None

        def address(text_):
            try:
                return resolver.address(text_).grid_id
            except GeoError:
                return None

        truth = [h[0] for h in households]
        for name, fn, calls in (
            ("resolve_point", point, [(h[1], h[2]) for h in households]),
            ("resolve_address", address, [(h[3],) for h in households]),
        ):
            spent, got = timed(calls, fn)
            correct = sum(g == t for g, t in zip(got, truth))
            emit({"bench": name, **base, "n": len(calls), "correct": correct, "accuracy": round(correct / len(calls), 4), **percentiles(spent)})
        sample = households[:: max(1, len(households) // 2000)]
        spent, got = timed([(h[1], h[2]) for h in sample], lambda lon, lat: resolve_point(s, lon, lat).grid_id)
        correct = sum(g == h[0] for g, h in zip(got, sample))
        emit({"bench": "resolve_point_checked", **base, "n": len(sample), "correct": correct, **percentiles(spent)})
        table = {h[3]: h[0] for h in households}
        spent, _ = timed([(h[3],) for h in households], table.__getitem__)
        emit({"bench": "dict_floor", **base, "n": len(households), **percentiles(spent)})

        city = s.exec(select(Area).where(Area.level == AreaLevel.CITY)).one()
        towns = s.exec(select(Area.id).where(Area.level == AreaLevel.TOWNSHIP)).all()
        t0 = time.perf_counter()
        fc = area_features(s, city.id)
        emit({"bench": "payload", **base, "scope": "city", "features": len(fc["features"]), "bytes": payload_bytes(fc),
              "build_ms": round((time.perf_counter() - t0) * 1000, 1)})
        worst, worst_ms = None, 0.0
        for tid in towns:
            t0 = time.perf_counter()
            fc = area_features(s, tid)
            ms = (time.perf_counter() - t0) * 1000
            if worst is None or payload_bytes(fc) > payload_bytes(worst):
                worst, worst_ms = fc, ms
        emit({"bench": "payload", **base, "scope": "largest_township", "features": len(worst["features"]),
              "bytes": payload_bytes(worst), "build_ms": round(worst_ms, 1)})
        t0 = time.perf_counter()
        area_features(s, city.id)
        emit({"bench": "payload_cached", **base, "scope": "city", "ms": round((time.perf_counter() - t0) * 1000, 2)})
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="demo,city")
    p.add_argument("--dbs", default="sqlite")
    p.add_argument("--dir", type=Path, default=Path("/tmp/griddesk-geo-bench"))
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    for db in args.dbs.split(","):
        for size in args.sizes.split(","):
            run(db, size, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
