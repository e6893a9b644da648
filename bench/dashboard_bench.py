"""Benchmark the leadership dashboard: a full refresh (every KPI with its
previous period + every chart series), city scope, at 10k / 100k / 1M cases
on SQLite and PostgreSQL.

For each database and size it seeds a database with ``rxapp.domain.seed.seed``
(or reuses the one a previous run left: SQLite files ``<dir>/sqlite-<N>.db``,
PostgreSQL databases ``griddesk_bench_<N>``), rebuilds the rollups when they
are empty (or with ``--rebuild``), then prints JSON lines:

    {"bench": "dashboard", "db": "sqlite", "cases": N, "scope": "city", "period": "month", "median_ms": …, "p95_ms": …, "runs": …}
    {"bench": "count_floor", "db": "sqlite", "cases": N, "median_ms": …}

``period`` "month" is this month so far (compared with last month to the same
day); "all" is the whole seeded history as a custom range.  Each run opens its
own session, as a page refresh does.  ``count_floor`` is a bare
``SELECT count(*) FROM "case"``: what merely touching every case costs.

    .venv/bin/python bench/dashboard_bench.py [--sizes 10000,100000,1000000] [--dbs sqlite,postgresql]
        [--runs 30] [--dir /tmp/griddesk-bench] [--rebuild] [--drop]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

import rxapp.models as M  # noqa: E402
from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.access import Actor, actor_for  # noqa: E402
from rxapp.domain.metrics import dashboard  # noqa: E402
from rxapp.domain.rollup import MODELS, rebuild_rollups  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def emit(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def database_url(db: str, size: int, folder: Path, pg_url: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{folder / f'sqlite-{size}.db'}"
    return make_url(pg_url).set(database=f"griddesk_bench_{size}").render_as_string(hide_password=False)


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


def prepare(db: str, size: int, url: str, pg_url: str, rebuild: bool):
    """Seed (unless a database with exactly ``size`` cases is there) and build the rollups."""
    from rxapp.domain.seed import count_cases, seed

    if db == "postgresql":
        ensure_pg_database(url, pg_url)
    engine = make_engine(url)
    have = count_cases(engine)
    if have != size:
        t0 = time.perf_counter()
        stats = seed(engine, cases=size, reset=bool(have))
        emit({"bench": "seed", "db": db, "cases": stats.cases, "seconds": round(time.perf_counter() - t0, 1)})
    SQLModel.metadata.create_all(engine)  # the rollup tables, on a database seeded before they existed
    with Session(engine) as s:
        # a table still empty (e.g. added since the database was seeded) means: rebuild
        empty = any(s.exec(select(func.count()).select_from(m)).one() == 0 for m in MODELS.values())
        if rebuild or empty:
            counts = rebuild_rollups(s)
            s.commit()
            emit({"bench": "rebuild_rollups", "db": db, "cases": size, **counts})
    with engine.connect() as conn:  # planner statistics for the new rows
        if db == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return engine


def city_actor(session: Session) -> Actor:
    user = session.exec(select(M.User).where(M.User.username == "leader")).first()
    if user is None:
        user = session.exec(select(M.User).where(M.User.role == M.Role.ADMIN)).first()
    return actor_for(session, user)


def timed(fn, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]


def bench(db: str, size: int, engine, runs: int) -> dict[str, float]:
    with Session(engine) as s:
        actor = city_actor(s)
        # the data's own "now" (the seed's clock), so a reused database keeps a populated "this month"
        now = s.exec(select(func.max(M.Case.submitted_at))).one() + timedelta(minutes=1)
        first = s.exec(select(func.min(M.Case.accepted_at))).one() or now
    queries = {
        "month": {"period": "this_month"},
        "all": {"period": "custom", "date_from": first.date().isoformat(), "date_to": now.date().isoformat()},
    }
    medians = {}
    for period, query in queries.items():

        def refresh(query=query):
            with Session(engine) as s:
                dashboard(s, actor=actor, query=query, now=now)

        ms = timed(refresh, runs)
        medians[period] = statistics.median(ms)
        emit(
            {
                "bench": "dashboard",
                "db": db,
                "cases": size,
                "scope": "city",
                "period": period,
                "median_ms": round(statistics.median(ms), 2),
                "p95_ms": round(p95(ms), 2),
                "runs": runs,
            }
        )

    def count_floor():
        with engine.connect() as conn:
            conn.exec_driver_sql('SELECT count(*) FROM "case"').scalar_one()

    ms = timed(count_floor, runs)
    emit({"bench": "count_floor", "db": db, "cases": size, "median_ms": round(statistics.median(ms), 2), "runs": runs})
    return medians


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--dir", default="/tmp/griddesk-bench", help="where the SQLite databases live")
    ap.add_argument("--pg-url", default=PG_ADMIN_URL, help="a PostgreSQL URL to create the bench databases from")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the rollups even when present")
    ap.add_argument("--drop", action="store_true", help="drop the bench databases afterwards")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    dbs = [x.strip() for x in args.dbs.split(",") if x.strip()]
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for db in dbs:
        results: dict[int, dict[str, float]] = {}
        for size in sizes:
            url = database_url(db, size, folder, args.pg_url)
            engine = prepare(db, size, url, args.pg_url, args.rebuild)
            try:
                results[size] = bench(db, size, engine, args.runs)
            finally:
                engine.dispose()
            if args.drop:
                drop_database(db, url, args.pg_url)
        small, large = min(results), max(results)
        if small != large:
            for period in results[small]:
                emit(
                    {
                        "bench": "dashboard_growth",
                        "db": db,
                        "period": period,
                        "cases": [small, large],
                        "ratio": round(results[large][period] / results[small][period], 2),
                    }
                )


if __name__ == "__main__":
    main()
