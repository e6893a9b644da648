"""Benchmark the leadership dashboard over the whole filter matrix: scope
(city, district, township, community, grid) × category (none / one) ×
department (none / one) × period (this month, last month, this year, a
custom year) — 80 cells — each beside the ``count(*)`` floor measured in the
same run, on SQLite and PostgreSQL, at one or more sizes.

For each database and size it seeds a database with ``rxapp.domain.seed.seed``
(or reuses the one a previous run left: SQLite files ``<dir>/sqlite-<N>[-g<K>].db``,
PostgreSQL databases ``griddesk_bench_<N>[_g<K>]``), rebuilds the rollups when
they are empty (or with ``--rebuild``), then prints JSON lines:

    {"bench": "count_floor", "db": "sqlite", "cases": N, "median_ms": …}
    {"bench": "dashboard", "db": "sqlite", "cases": N, "cell": "community/category/-/this_year",
     "scope": "community", "category": "ENV", "department_id": null, "period": "this_year",
     "median_ms": …, "p95_ms": …, "cpu_ms": …, "floor_ms": …, "ok": true, "runs": …}
    {"bench": "dashboard_summary", "db": "sqlite", "cases": N, "cells": 80, "ok": 74, "floor_ms": …}

and, on stderr, the matrix as a Markdown table (median / p95 ms per cell).
The areas are the busiest township, its district, its busiest community and
that community's busiest grid; the category is the most frequent one and the
department the most frequent among that category's cases (so the crossed cell
is never empty).  ``now`` is the data's own clock (the latest submission), so
a reused database keeps a populated "this month"; the custom period is the
previous calendar year.  Each run opens its own session, as a page refresh
does, in a process whose loaded objects are frozen out of the garbage
collector's full passes as an app worker's are (``rxapp.heap.settle``).
A cell is ``ok`` at median ≤ 100 ms and p95 ≤ 200 ms (issue 18).
The floor (``SELECT count(*) FROM "case"``) is measured before and after the
matrix and the worse is printed.

    .venv/bin/python bench/dashboard_bench.py [--sizes 10000,1000000] [--dbs sqlite,postgresql]
        [--grids-per-township 67] [--runs 7] [--dir /tmp/griddesk-bench] [--rebuild] [--drop]
        [--url sqlite:////tmp/city.db] [--only 'community/*/*/this_year,city/category/*/*']

``--url`` benchmarks that database as it is (no seeding; ``--sizes`` / ``--dbs``
ignored).  ``--only`` keeps the cells matching any of the comma-separated
shell patterns over ``scope/category/department/period``.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

import rxapp.models as M  # noqa: E402
from rxapp import heap  # noqa: E402
from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.access import Actor, actor_for  # noqa: E402
from rxapp.domain.metrics import dashboard  # noqa: E402
from rxapp.domain.rollup import MODELS, rebuild_rollups  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCOPES = ("city", "district", "township", "community", "grid")
PERIODS = ("this_month", "last_month", "this_year", "custom_year")
MEDIAN_BUDGET_MS, P95_BUDGET_MS = 100.0, 200.0


def emit(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def database_url(db: str, size: int, folder: Path, pg_url: str, gpt: int) -> str:
    suffix = "" if gpt == 3 else f"-g{gpt}"
    if db == "sqlite":
        return f"sqlite:///{folder / f'sqlite-{size}{suffix}.db'}"
    return make_url(pg_url).set(database=f"griddesk_bench_{size}{suffix.replace('-', '_')}").render_as_string(hide_password=False)


def ensure_pg_database(url: str, pg_url: str) -> None:
    name = make_url(url).database
    admin = make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_database(db: str, url: str, pg_url: str) -> None:
    if db == "sqlite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    admin = make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def prepare(db: str, size: int | None, url: str, pg_url: str, rebuild: bool, gpt: int):
    """Seed (unless ``size`` is None or a database with exactly ``size`` cases
    is there), create missing tables and indexes, build empty rollups, analyze."""
    from rxapp.domain.seed import count_cases, seed

    if db == "postgresql" and size is not None:
        ensure_pg_database(url, pg_url)
    engine = make_engine(url)
    have = count_cases(engine)
    if size is not None and have != size:
        t0 = time.perf_counter()
        stats = seed(engine, cases=size, reset=bool(have), grids_per_township=gpt)
        emit({"bench": "seed", "db": db, "cases": stats.cases, "grids_per_township": gpt, "seconds": round(time.perf_counter() - t0, 1)})
    t0 = time.perf_counter()
    SQLModel.metadata.create_all(engine)  # tables added since the database was seeded
    for table in SQLModel.metadata.sorted_tables:  # and indexes (create_all skips those of existing tables)
        for index in table.indexes:
            index.create(engine, checkfirst=True)
    created = time.perf_counter() - t0
    if created > 1:
        emit({"bench": "create_missing", "db": db, "seconds": round(created, 1)})
    with Session(engine) as s:
        # a table still empty (e.g. added since the database was seeded) means: rebuild
        empty = any(s.exec(select(func.count()).select_from(m)).one() == 0 for m in MODELS.values())
        if rebuild or empty:
            counts = rebuild_rollups(s)
            s.commit()
            emit({"bench": "rebuild_rollups", "db": db, **counts})
    with engine.connect() as conn:  # planner statistics for the new rows
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return engine


def city_actor(session: Session) -> Actor:
    user = session.exec(select(M.User).where(M.User.username == "leader")).first()
    if user is None:
        user = session.exec(select(M.User).where(M.User.role == M.Role.ADMIN, M.User.scope_area_id.is_(None))).first()
    return actor_for(session, user)


def busiest(session: Session, column, *conds):
    return session.exec(select(column).where(column.is_not(None), *conds).group_by(column).order_by(func.count().desc(), column).limit(1)).first()


def matrix_inputs(session: Session) -> dict:
    """The areas, category, department and periods of the matrix (see the module doc)."""
    C = M.Case
    city = session.exec(select(M.Area.id).where(M.Area.level == M.AreaLevel.CITY).order_by(M.Area.id)).first()
    township = busiest(session, C.township_id)
    district = session.get(M.Area, township).parent_id
    community = busiest(session, C.community_id, C.township_id == township)
    grid = busiest(session, C.grid_id, C.community_id == community)
    category_id = busiest(session, C.category_id)
    department_id = busiest(session, C.department_id, C.category_id == category_id)
    now = session.exec(select(func.max(C.submitted_at))).one() + timedelta(minutes=1)
    year = now.year - 1
    return {
        "areas": dict(zip(SCOPES, (city, district, township, community, grid))),
        "category": session.get(M.Category, category_id).code,
        "department_id": department_id,
        "now": now,
        "periods": {
            "this_month": {"period": "this_month"},
            "last_month": {"period": "last_month"},
            "this_year": {"period": "this_year"},
            "custom_year": {"period": "custom", "date_from": date(year, 1, 1).isoformat(), "date_to": date(year, 12, 31).isoformat()},
        },
    }


def cells(inputs: dict, only: list[str]):
    for scope in SCOPES:
        for category in (None, inputs["category"]):
            for department_id in (None, inputs["department_id"]):
                for period in PERIODS:
                    name = f"{scope}/{'category' if category else '-'}/{'department' if department_id else '-'}/{period}"
                    if only and not any(fnmatch.fnmatchcase(name, p) for p in only):
                        continue
                    query = {"area_id": inputs["areas"][scope], **inputs["periods"][period]}
                    if category:
                        query["category_code"] = category
                    if department_id:
                        query["department_id"] = department_id
                    yield name, scope, category, department_id, period, query


def timed(fn, runs: int, warmup: int = 1, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds of ``runs`` calls (after ``warmup``); this process's
    CPU milliseconds of each go to ``cpu`` (on a shared machine the wall time
    includes waiting for a core; SQLite's own work is in-process)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]


def floor_ms(engine, runs: int) -> float:
    def count_floor():
        with engine.connect() as conn:
            conn.exec_driver_sql('SELECT count(*) FROM "case"').scalar_one()

    return statistics.median(timed(count_floor, runs))


def bench(db: str, size: int, engine, runs: int, only: list[str]) -> dict[str, float]:
    with Session(engine) as s:
        actor = city_actor(s)
        inputs = matrix_inputs(s)
    now = inputs["now"]
    heap.settle()  # as each app worker does once loaded (rxapp/heap.py)
    floor_before = floor_ms(engine, runs)
    results: dict[str, tuple[float, float]] = {}
    cpu: dict[str, float] = {}
    for name, scope, category, department_id, period, query in cells(inputs, only):

        def refresh(query=query):
            with Session(engine) as s:
                dashboard(s, actor=actor, query=query, now=now)

        cpu_ms: list[float] = []
        ms = timed(refresh, runs, cpu=cpu_ms)
        results[name] = (statistics.median(ms), p95(ms))
        cpu[name] = statistics.median(cpu_ms)
    floor = max(floor_before, floor_ms(engine, runs))
    emit({"bench": "count_floor", "db": db, "cases": size, "median_ms": round(floor, 2), "runs": runs})
    ok = 0
    for name, (median, high) in results.items():
        scope, cat, dept, period = name.split("/")
        good = median <= MEDIAN_BUDGET_MS and high <= P95_BUDGET_MS
        ok += good
        emit(
            {
                "bench": "dashboard",
                "db": db,
                "cases": size,
                "cell": name,
                "scope": scope,
                "category": inputs["category"] if cat != "-" else None,
                "department_id": inputs["department_id"] if dept != "-" else None,
                "period": period,
                "median_ms": round(median, 1),
                "p95_ms": round(high, 1),
                "cpu_ms": round(cpu[name], 1),
                "floor_ms": round(floor, 1),
                "ok": good,
                "runs": runs,
            }
        )
    emit({"bench": "dashboard_summary", "db": db, "cases": size, "cells": len(results), "ok": ok, "floor_ms": round(floor, 1)})
    print(table(db, size, results, floor), file=sys.stderr)
    return {name: median for name, (median, _) in results.items()}


def table(db: str, size: int, results: dict[str, tuple[float, float]], floor: float) -> str:
    """The matrix as Markdown: a row per scope and filter, a column per period (median / p95 ms)."""
    lines = [
        f"{db}, {size:,} cases, count(*) floor {floor:.1f} ms (median / p95 ms; * over budget)",
        "",
        "| scope | filter | " + " | ".join(PERIODS) + " |",
        "|---|---|" + "---:|" * len(PERIODS),
    ]
    for scope in SCOPES:
        for cat in ("-", "category"):
            for dept in ("-", "department"):
                row = []
                for period in PERIODS:
                    hit = results.get(f"{scope}/{cat}/{dept}/{period}")
                    if hit is None:
                        row.append("")
                        continue
                    star = "" if hit[0] <= MEDIAN_BUDGET_MS and hit[1] <= P95_BUDGET_MS else " *"
                    row.append(f"{hit[0]:,.0f} / {hit[1]:,.0f}{star}")
                if any(row):
                    label = " + ".join(x for x in (cat, dept) if x != "-") or "none"
                    lines.append(f"| {scope} | {label} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--grids-per-township", type=int, default=67, help="topology of seeded databases (67: the full city)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--dir", default="/tmp/griddesk-bench", help="where the SQLite databases live")
    ap.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL URL to create the bench databases from")
    ap.add_argument("--url", help="benchmark this database as it is (no seeding)")
    ap.add_argument("--only", default="", help="comma-separated patterns over scope/category/department/period")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the rollups even when present")
    ap.add_argument("--drop", action="store_true", help="drop the bench databases afterwards")
    args = ap.parse_args()
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    if args.url:
        db = make_url(args.url).get_backend_name()
        engine = prepare(db, None, args.url, args.pg_url, args.rebuild, args.grids_per_township)
        try:
            from rxapp.domain.seed import count_cases

            bench(db, count_cases(engine), engine, args.runs, only)
        finally:
            engine.dispose()
        return
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    dbs = [x.strip() for x in args.dbs.split(",") if x.strip()]
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for db in dbs:
        results: dict[int, dict[str, float]] = {}
        for size in sizes:
            url = database_url(db, size, folder, args.pg_url, args.grids_per_township)
            engine = prepare(db, size, url, args.pg_url, args.rebuild, args.grids_per_township)
            try:
                results[size] = bench(db, size, engine, args.runs, only)
            finally:
                engine.dispose()
            if args.drop:
                drop_database(db, url, args.pg_url)
        small, large = min(results), max(results)
        if small != large:
            ratios = {name: results[large][name] / results[small][name] for name in results[large] if results[small].get(name)}
            worst = max(ratios, key=ratios.get)
            emit({"bench": "dashboard_growth", "db": db, "cases": [small, large], "worst_cell": worst, "worst_ratio": round(ratios[worst], 2), "over_2x": sum(r > 2 for r in ratios.values())})


if __name__ == "__main__":
    main()
