"""Benchmark the seed (``rxapp.domain.seed.seed``): seconds per phase and in total, beside a floor.

For each database and size it seeds a fresh database (fixed ``--now`` and random
seed) with a progress callback like the CLI's, timing each phase of the seed
(the generator's steps, waiting for the writer thread, the index rebuild, the
rollups, the demo photos, the detector replay, the notice boards, the rest:
create_all, ANALYZE).  Prints JSON lines:

    {"bench": "seed", "db": …, "cases": N, "grids_per_township": G, "grids": …, "households": …,
     "seconds": total wall, "cpu_seconds": process CPU, "phases": {phase: wall seconds, …},
     "phases_cpu": {phase: CPU seconds of the thread running it, …},
     "writer_cpu": {table: CPU seconds of the writer thread, …}, "load_before": [1, 5, 15 min], "load_after": …}
    {"bench": "seed_floor", "db": …, "rows": N, "columns": 52, "seconds": …, "load": …}

``seed_floor``: the time to write N bare rows as wide as ``case`` (52 columns:
ints, short texts, one sentence of Chinese text, timestamps as text) into an
empty table of the same width in one transaction — ``executemany`` on SQLite,
``COPY`` on PostgreSQL — measured in the same run.  No seed writes its cases
faster than that, and it writes about 10 rows per case (the case, 6 events,
2 SMS, an evaluation).  On a shared machine read the CPU figures: the wall
time includes waiting for a core.

    .venv/bin/python bench/seed_bench.py [--sizes 40000,1000000] [--dbs sqlite,postgresql]
        [--grids-per-township 3] [--random-seed 42] [--dir /tmp/griddesk-seed-bench] [--keep]
        [--profile FILE.prof] [--no-floor]

PostgreSQL runs in a database ``seed18_bench`` (created and dropped by the bench).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from rxapp.db import make_engine  # noqa: E402
import rxapp.domain.seed as S  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DB = "seed18_bench"
NOW = datetime(2026, 11, 30, 12, 0)


class _Phases:
    """Wall seconds per phase: wraps the generator's steps and the seed's finishing calls."""

    GEN_STEPS = ("setup_reference", "setup_time", "build_people", "build_diaries", "plan_meetings", "build_cases",
                 "write_meetings", "build_team_evaluations")
    FINISH = ("_create_indexes", "rebuild_rollups", "seed_media", "replay_detector", "publish_demo_boards")
    FINISH_STEPS = ("write_rollups",)  # the rollups a forked generator computed, written (else rebuild_rollups)

    def __init__(self):
        self.t: dict[str, float] = {}  # wall seconds
        self.cpu: dict[str, float] = {}  # CPU seconds of the calling thread (less sensitive to the machine's load)
        self._saved = []

    def _wrap(self, owner, name, label):
        orig = getattr(owner, name)
        phases = self

        def timed(*a, **kw):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return orig(*a, **kw)
            finally:
                phases.t[label] = phases.t.get(label, 0.0) + time.perf_counter() - t0
                phases.cpu[label] = phases.cpu.get(label, 0.0) + time.thread_time() - c0

        setattr(owner, name, timed)
        self._saved.append((owner, name, orig))

    def __enter__(self):
        for name in self.GEN_STEPS + self.FINISH_STEPS:
            self._wrap(S._Generator, name, name)
        self._wrap(S._Sink, "close", "writer_drain")
        # the writer thread's busy time, per table (it overlaps the generator's phases)
        self.writer: dict[str, float] = {}
        orig_write = S._Sink._write
        writer = self.writer

        def timed_write(sink, table, rows):
            t0 = time.thread_time()
            try:
                return orig_write(sink, table, rows)
            finally:
                writer[table] = writer.get(table, 0.0) + time.thread_time() - t0

        S._Sink._write = timed_write
        self._saved.append((S._Sink, "_write", orig_write))
        for name in self.FINISH:
            self._wrap(S, name, name.lstrip("_"))
        return self

    def __exit__(self, *exc):
        for owner, name, orig in reversed(self._saved):
            setattr(owner, name, orig)


def _url(db: str, folder: Path, cases: int) -> str:
    if db == "sqlite":
        path = folder / f"seed-{cases}.db"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB


def _drop_pg():
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    admin.dispose()


def _floor(db: str, url: str, rows: int) -> float:
    """Seconds to write ``rows`` bare 52-column rows into an empty table, one transaction."""
    cols = 52
    names = [f"c{i}" for i in range(cols)]
    # as wide as a case: 20 ints, 10 short texts, 1 long text, 15 timestamps (text), 6 NULLs
    kinds = ["int"] * 20 + ["short"] * 10 + ["long"] + ["ts"] * 15 + ["null"] * 6
    base = []
    for k in kinds:
        base.append({"int": 12345, "short": "处理中", "long": "小区门口的路灯坏了好几天了，晚上出行很不方便，请尽快派人来修一下。",
                     "ts": "2026-05-01 10:23:45.000000", "null": None}[k])
    engine = make_engine(url)
    decl = ", ".join(
        f'{n} {"INTEGER" if k == "int" else "TEXT"}' + (" PRIMARY KEY" if i == 0 else "")
        for i, (n, k) in enumerate(zip(names, kinds))
    )
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        conn.exec_driver_sql("DROP TABLE IF EXISTS seed_floor")
        conn.exec_driver_sql(f"CREATE TABLE seed_floor ({decl})")
        conn.commit()
        if db == "sqlite":
            raw.execute("PRAGMA synchronous=OFF")
        t0 = time.perf_counter()
        batch = 10_000
        with conn.begin():
            for start in range(0, rows, batch):
                chunk = [(start + i + 1, *base[1:]) for i in range(min(batch, rows - start))]
                if db == "sqlite":
                    raw.executemany(f"INSERT INTO seed_floor VALUES ({', '.join('?' * cols)})", chunk)
                else:
                    with raw.cursor() as cur, cur.copy("COPY seed_floor FROM STDIN") as cp:
                        for row in chunk:
                            cp.write_row(row)
        seconds = time.perf_counter() - t0
        conn.exec_driver_sql("DROP TABLE seed_floor")
        conn.commit()
    engine.dispose()
    return seconds


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="40000")
    p.add_argument("--dbs", default="sqlite")
    p.add_argument("--grids-per-township", type=int, default=3, help="3: the demo; 67: the full city (2,412 grids)")
    p.add_argument("--random-seed", type=int, default=42)
    p.add_argument("--dir", default="/tmp/griddesk-seed-bench")
    p.add_argument("--keep", action="store_true", help="keep the seeded databases")
    p.add_argument("--profile", metavar="FILE", help="cProfile the seed into FILE (slower)")
    p.add_argument("--no-floor", action="store_true")
    args = p.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for db in args.dbs.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            url = _url(db, folder, size)
            engine = make_engine(url)
            calls = {"n": 0}

            def progress(stage, done, total):
                calls["n"] += 1

            load_before = os.getloadavg()
            cpu0 = time.process_time()
            with _Phases() as ph:
                if args.profile:
                    import cProfile

                    prof = cProfile.Profile()
                    prof.enable()
                t0 = time.perf_counter()
                stats = S.seed(engine, cases=size, random_seed=args.random_seed,
                               grids_per_township=args.grids_per_township, now=NOW, progress=progress)
                total = time.perf_counter() - t0
                if args.profile:
                    prof.disable()
                    prof.dump_stats(args.profile)
            cpu = time.process_time() - cpu0
            phases = {k: round(v, 2) for k, v in ph.t.items()}
            phases["other"] = round(total - sum(ph.t.values()), 2)
            engine.dispose()
            print(json.dumps({
                "bench": "seed", "db": db, "cases": stats.cases, "grids_per_township": args.grids_per_township,
                "grids": stats.grids, "households": stats.households, "events": stats.case_events,
                "seconds": round(total, 2), "cpu_seconds": round(cpu, 2), "phases": phases,
                "phases_cpu": {k: round(v, 2) for k, v in ph.cpu.items()},
                "writer_cpu": {k: round(v, 2) for k, v in sorted(ph.writer.items(), key=lambda kv: -kv[1]) if v >= 0.05},
                "progress_calls": calls["n"], "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in os.getloadavg()],
                "at": datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ"),
            }, ensure_ascii=False), flush=True)
            if not args.no_floor:
                floor = _floor(db, url, size)
                print(json.dumps({"bench": "seed_floor", "db": db, "rows": size, "columns": 52,
                                  "seconds": round(floor, 2), "load": [round(x, 2) for x in os.getloadavg()]}),
                      flush=True)
            if db == "postgresql" and not args.keep:
                _drop_pg()
            elif db == "sqlite" and not args.keep:
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
