"""Benchmark the hot-spot detector against the seed's planted incidents.

For each database and size it seeds a fresh database (``rxapp.domain.seed``,
fixed ``--now`` and random seed, so every run sees the same history), clears
the hot spots the seed found for its last week, then replays the WHOLE
history in time order through the real detector
(``rxapp.domain.hotspots.detector.replay_detector`` → ``match_case``, the
function intake calls), inside one transaction that is rolled back at the end.
Ground truth is ``seedincident`` / ``seedincidentcase``.  Prints JSON lines:

    {"bench": "hotspot", "db": …, "cases": N, "incidents": …, "recall_by_3rd": …, "precision": …,
     "per_case_ms": {"mean", "p50", "p95", "max"}, "threshold": …}
    {"bench": "hotspot_floor", "db": …, "cases": N, "per_case_ms": …}

Definitions:
* an incident counts for recall if it got at least 3 reports; it is *surfaced
  by its third report* when one of its first three reports, as it is matched,
  joins or opens a hot spot;
* a surfaced hot spot is *correct* when more than half of its members belong
  to one planted incident; precision = correct ÷ hot spots opened;
* per-case cost = the wall time of ``match_case`` for one new case (the
  candidate query, the vectors, the comparisons, the writes);
* ``hotspot_floor``: one primary-key ``SELECT`` of a case — what any
  per-case database round trip costs on this machine in the same run.

    .venv/bin/python bench/hotspot_bench.py [--sizes 40000] [--dbs sqlite,postgresql]
        [--random-seed 42] [--threshold 0.03] [--dir /tmp/griddesk-hotspot-bench] [--keep] [--reuse]
        [--dump misses.jsonl]

``--reuse`` replays a database kept by an earlier ``--keep`` run with the same
size and random seed instead of seeding again (the replay never changes it:
it is rolled back).  ``--replay-days D`` replays only the last D days of the
history (at 1,000,000 cases the whole history would take hours): the cost
per new case is then measured against the full database, and recall and
precision count only the incidents whose every report lies in the window.  ``--dump FILE`` writes the missed incidents (their first
reports) and the false hot spots (their members) as JSON lines, to see why.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

import rxapp.models as M  # noqa: E402
from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.hotspots import detector as D  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 30, 12, 0)


def emit(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def fresh_database(db: str, size: int, random_seed: int, folder: Path, pg_url: str,
                   reuse: bool, grids: int = 3) -> tuple[str, callable, bool]:
    """The database's URL, how to drop it, and whether it already holds the seed (``reuse``)."""
    tag = "" if grids == 3 else f"-g{grids}"
    if db == "sqlite":
        path = folder / f"hotspot-{size}-s{random_seed}{tag}.db"
        if reuse and path.exists():
            return f"sqlite:///{path}", lambda: None, True
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return (f"sqlite:///{path}", lambda: [Path(str(path) + s).unlink(missing_ok=True) for s in ("", "-wal", "-shm")],
                False)
    name = f"griddesk_hotspot_bench_{size}_s{random_seed}{tag.replace('-', '_')}"
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    admin = make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
        if reuse and exists:
            admin.dispose()
            return url, lambda: None, True
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop():
        a = make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
        with a.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        a.dispose()

    return url, drop, False


def ms(values: list[float]) -> dict:
    v = sorted(values)
    return {"mean": round(statistics.fmean(v) * 1000, 3), "p50": round(v[len(v) // 2] * 1000, 3),
            "p95": round(v[int(len(v) * 0.95)] * 1000, 3), "max": round(v[-1] * 1000, 3)}


def run(db: str, size: int, url: str, threshold: float, random_seed: int, seeded_already: bool,
        dump: Path | None, replay_days: int | None = None, grids: int = 3) -> None:
    from rxapp.domain.seed import seed

    engine = make_engine(url)
    seed_s = None if seeded_already else round(
        seed(engine, cases=size, now=NOW, random_seed=random_seed, grids_per_township=grids).seconds, 1)
    settings = D.Settings(threshold=threshold)
    with engine.connect() as conn:
        trans = conn.begin()
        truth = dict(conn.execute(select(M.SeedIncidentCase.case_id, M.SeedIncidentCase.incident_id)).all())
        truth_all = truth  # precision: a hot spot of an incident that began before the window is still one
        since = None
        if replay_days:
            last = conn.execute(select(func.max(M.Case.submitted_at))).scalar_one()
            since = last - timedelta(days=replay_days)
            starts = conn.execute(
                select(M.SeedIncidentCase.incident_id, func.min(M.Case.submitted_at))
                .join(M.Case, M.Case.id == M.SeedIncidentCase.case_id)
                .group_by(M.SeedIncidentCase.incident_id)
            ).all()
            inside = {i for i, first in starts if first >= since}
            truth = {c: i for c, i in truth.items() if i in inside}
        session = Session(bind=conn)
        conn.execute(delete(M.HotspotCase.__table__))
        conn.execute(delete(M.Hotspot.__table__))
        reports: Counter = Counter()
        surfaced: set[int] = set()
        costs: list[float] = []

        def on_case(case, outcome, seconds):
            costs.append(seconds)
            inc = truth.get(case.id)
            if inc is not None:
                reports[inc] += 1
                if reports[inc] <= 3 and outcome.hotspot_id is not None:
                    surfaced.add(inc)

        started = time.perf_counter()
        n = D.replay_detector(session, since=since, settings=settings, on_case=on_case)
        replay_s = time.perf_counter() - started
        members: dict[int, list[int]] = defaultdict(list)
        for cid, hid in conn.execute(select(M.HotspotCase.case_id, M.HotspotCase.hotspot_id)).all():
            members[hid].append(cid)
        correct = 0
        for hid, cids in members.items():
            top = Counter(truth_all.get(c) for c in cids if truth_all.get(c) is not None).most_common(1)
            if top and top[0][1] * 2 > len(cids):
                correct += 1
        eligible = [i for i, k in reports.items() if k >= 3]
        recall = sum(1 for i in eligible if i in surfaced) / len(eligible) if eligible else 0.0
        if dump is not None:
            write_dump(conn, dump, db, truth, [i for i in eligible if i not in surfaced], members)
        precision = correct / len(members) if members else 0.0
        ids = [c for c in list(truth)[:2000]] or [1]
        floor = []
        for cid in ids:
            t0 = time.perf_counter()
            conn.execute(select(M.Case.id).where(M.Case.id == cid)).first()
            floor.append(time.perf_counter() - t0)
        trans.rollback()
    engine.dispose()
    emit({"bench": "hotspot", "db": db, "cases_in_db": size, "grids_per_township": grids, "cases": n, "replay_days": replay_days,
          "random_seed": random_seed, "seed_s": seed_s, "load": [round(x, 1) for x in os.getloadavg()],
          "incidents": len(eligible), "recall_by_3rd": round(recall, 4), "hotspots": len(members),
          "precision": round(precision, 4), "per_case_ms": ms(costs), "replay_s": round(replay_s, 1),
          "threshold": threshold})
    emit({"bench": "hotspot_floor", "db": db, "cases_in_db": size, "cases": n, "per_case_ms": ms(floor)})


def write_dump(conn, path: Path, db: str, truth: dict[int, int], missed: list[int],
               members: dict[int, list[int]]) -> None:
    """Missed incidents (first three reports) and false hot spots (members), as JSON lines."""
    def texts(ids: list[int]) -> list[list]:
        rows = conn.execute(select(M.Case.id, M.Case.submitted_at, M.Case.content).where(M.Case.id.in_(ids))
                            .order_by(M.Case.submitted_at, M.Case.id)).all()
        return [[str(at)[:16], truth.get(cid), content] for cid, at, content in rows]

    by_incident: dict[int, list[int]] = defaultdict(list)
    for cid, inc in truth.items():
        by_incident[inc].append(cid)
    with path.open("a", encoding="utf-8") as out:
        for inc in missed:
            first = sorted(by_incident[inc])[:3]  # case ids follow submission order in the seed
            out.write(json.dumps({"db": db, "missed_incident": inc, "reports": texts(first)}, ensure_ascii=False) + "\n")
        for hid, cids in members.items():
            top = Counter(truth.get(c) for c in cids if truth.get(c) is not None).most_common(1)
            if not (top and top[0][1] * 2 > len(cids)):
                out.write(json.dumps({"db": db, "false_hotspot": hid, "members": texts(cids)}, ensure_ascii=False) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="40000")
    p.add_argument("--dbs", default="sqlite,postgresql")
    p.add_argument("--threshold", type=float, default=D.DEFAULT.threshold)
    p.add_argument("--dir", default="/tmp/griddesk-hotspot-bench")
    p.add_argument("--pg-url", default=PG_ADMIN_URL)
    p.add_argument("--random-seed", type=int, default=42)
    p.add_argument("--keep", action="store_true", help="keep the seeded databases")
    p.add_argument("--reuse", action="store_true", help="replay a database kept by --keep (same size and seed)")
    p.add_argument("--dump", type=Path, default=None, help="append missed incidents and false hot spots here")
    p.add_argument("--replay-days", type=int, default=None, help="replay only the last D days of the history")
    p.add_argument("--grids-per-township", type=int, default=3, help="topology (3: the demo; 67: the full city)")
    a = p.parse_args()
    folder = Path(a.dir)
    folder.mkdir(parents=True, exist_ok=True)
    for size in [int(x) for x in a.sizes.split(",") if x]:
        for db in [x for x in a.dbs.split(",") if x]:
            url, drop, seeded = fresh_database(db, size, a.random_seed, folder, a.pg_url, a.reuse, a.grids_per_township)
            try:
                run(db, size, url, a.threshold, a.random_seed, seeded, a.dump, a.replay_days, a.grids_per_township)
            finally:
                if not (a.keep or a.reuse):
                    drop()


if __name__ == "__main__":
    main()
