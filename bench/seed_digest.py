"""Seed a fresh database and print a digest of every table (to compare two checkouts' seeds).

    .venv/bin/python bench/seed_digest.py [--db sqlite|postgresql] [--cases 3000] [--random-seed 42]

Seeds ``--cases`` cases with ``--now 2026-11-30T12:00`` (SQLite file under /tmp, or a
PostgreSQL database ``seed18_bench`` of bench/seed_bench.py, dropped after), then prints one line per table:
``table rows sha256`` over its rows sorted (``SELECT *``), and ``rollups`` over
``dump_rollups`` (every rollup table and casehandling).  Run it on two checkouts and
``diff`` the output: the data are identical when every line is.  ``media`` differs
between two runs of the same checkout (its rows are not deterministic) and is marked.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from rxapp.db import make_engine  # noqa: E402
from rxapp.domain.rollup import dump_rollups  # noqa: E402
from rxapp.domain.seed import all_tables, seed  # noqa: E402
from seed_bench import _drop_pg, _url  # noqa: E402  (the seed bench's fresh databases)

NOW = datetime(2026, 11, 30, 12, 0)
UNSTABLE = {"media"}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--cases", type=int, default=3000)
    p.add_argument("--random-seed", type=int, default=42)
    args = p.parse_args()
    url = _url(args.db, Path(tempfile.mkdtemp(prefix="seed-digest-")), args.cases)
    engine = make_engine(url)
    try:
        seed(engine, cases=args.cases, random_seed=args.random_seed, now=NOW)
        with Session(engine) as s:
            dump = dump_rollups(s)
            print("rollups", hashlib.sha256(repr([(t, sorted(dump[t].items())) for t in sorted(dump)]).encode()).hexdigest())
            for table in all_tables():
                rows = s.connection().exec_driver_sql(f'SELECT * FROM "{table.name}"').all()
                digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
                print(table.name, len(rows), digest, "(not deterministic)" if table.name in UNSTABLE else "")
    finally:
        engine.dispose()
        if args.db == "postgresql":
            _drop_pg()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
