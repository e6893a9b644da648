"""Benchmark the 超期预警 model on a seeded database (SQLite and PostgreSQL).

For each database: seed N cases (python -m rxapp.seed), train the model with
the time split (train on older cases, test on those accepted in the most
recent three months) and print JSON lines: ROC AUC, precision and recall at the
top 10 % risk, the late share of the test cases (the floor a random order
would reach for precision at top 10 %), the reliability table, and the seconds
to train and to score every open case.

On demo data lateness follows the seed's own rules, so these figures show the
pipeline works end to end, not what a city would get.

    .venv/bin/python bench/warning_bench.py [--cases 20000] [--pg postgresql+psycopg://127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.access import Actor  # noqa: E402
from rxapp.domain.warning import scored_open_cases, train_model  # noqa: E402


def _emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _run(url: str, label: str, cases: int) -> None:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rxapp.seed", "--cases", str(cases), "--db", url, "--random-seed", "7"],
                   cwd=ROOT, check=True, capture_output=True)
    seeded = time.perf_counter() - t
    with Session(make_engine(url)) as session:
        t = time.perf_counter()
        row = train_model(session, actor=None)
        trained = time.perf_counter() - t
        metrics = json.loads(row.metrics_json)
        test = metrics.get("test") or {}
        admin = Actor(user_id=0, username="bench", display_name="bench", role="admin", scope_area_id=None,
                      scope_level=None, scope_path="/", team_id=None, department_id=None)
        t = time.perf_counter()
        scored = scored_open_cases(session, admin)
        scoring = time.perf_counter() - t
    _emit({"db": label, "cases": cases, "seed_s": round(seeded, 1), "train_s": round(trained, 2),
           "examples": metrics["trained_on"], "train_n": metrics.get("train_n"), "test_n": test.get("n"),
           "split_at": metrics["split_at"], "roc_auc": test.get("roc_auc"),
           "precision_at_top10": test.get("precision_at_top10"), "recall_at_top10": test.get("recall_at_top10"),
           "late_share_floor": test.get("late_share"), "open_cases_scored": len(scored), "score_s": round(scoring, 3),
           "note": "demo data: lateness follows the seed's own rules"})
    for b in test.get("reliability", []):
        _emit({"db": label, "reliability": b["bin"], "n": b["n"], "mean_predicted": b["mean_predicted"],
               "observed_late": b["observed_late"]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--pg", default="postgresql+psycopg://127.0.0.1:5432/postgres",
                        help="admin URL of the PostgreSQL server ('' to skip)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"sqlite:///{tmp}/warning.db", "sqlite", args.cases)
    if args.pg:
        name = f"warning_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            _run(args.pg.rsplit("/", 1)[0] + f"/{name}", "postgresql", args.cases)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
