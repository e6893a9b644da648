"""The bulk seed's rollups are the rollups a rebuild from scratch computes.

The seed writes each resolved case's ``casehandling`` row itself while it
generates the case (``WorkClock.on_offsets``, from the timeline's seconds) and
rebuilds the rest with ``rebuild_rollups(handling_given=True)`` (forked on SQLite,
in the generator process's own in-memory SQLite database); here a seeded
database is rebuilt from nothing (``rebuild_rollups()``, handling times
measured from the cases in Python) and every rollup table and casehandling
must come out identical.  (That a rebuild equals the rollups maintained change
by change is the property test in test_metrics.py.)"""

import hashlib
import random
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session

from rxapp.db import make_engine
from rxapp.domain.holidays import load_overrides
from rxapp.domain.rollup import WorkClock, dump_rollups, rebuild_rollups
from rxapp.domain.seed import seed
from tests.conftest import BACKENDS, _new_database

NOW = datetime(2026, 11, 30, 12, 0)


def digest(dump: dict) -> str:
    """One hash of every rollup table and casehandling (rows sorted)."""
    h = hashlib.sha256()
    for table in sorted(dump):
        h.update(table.encode())
        for key in sorted(dump[table]):
            h.update(repr((key, dump[table][key])).encode())
    return h.hexdigest()


@pytest.fixture(scope="module", params=[(b, fork) for b in BACKENDS for fork in (False, True)],
                ids=lambda p: f"{p[0]}-{'forked' if p[1] else 'one-process'}")
def seeded(request, tmp_path_factory):
    """A seeded database; forked on SQLite, the rollups are the generator process's (``_rollup_rows``)."""
    backend, fork = request.param
    url, drop = _new_database(backend, tmp_path_factory.mktemp("seedroll"))
    engine = make_engine(url)
    seed(engine, cases=3000, random_seed=42, grids_per_township=2, households_per_grid=(5, 8), now=NOW, fork=fork)
    yield engine
    engine.dispose()
    drop()


def test_the_seeds_rollups_equal_a_rebuild_from_scratch(seeded):
    with Session(seeded) as s:
        seeded_dump = dump_rollups(s)
        assert len(seeded_dump["casehandling"]) > 1500  # most cases are resolved
        assert all(seeded_dump[t] for t in seeded_dump)
        counts = rebuild_rollups(s)  # casehandling emptied and measured again from the cases
        assert counts["casehandling"] == len(seeded_dump["casehandling"])
        rebuilt = dump_rollups(s)
        assert rebuilt == seeded_dump
        assert digest(rebuilt) == digest(seeded_dump)
        # and the seed's shortcut over the same rows gives the same again
        rebuild_rollups(s, handling_given=True)
        assert dump_rollups(s) == seeded_dump
        s.rollback()


def test_working_seconds_on_offsets_equal_the_clocks(seeded):
    """``on_offsets`` (whole seconds after an origin) == ``secs`` on the datetimes,
    on the seeded database's holiday schedules, across year ends and holidays."""
    with Session(seeded) as s:
        clock = WorkClock(load_overrides(s))
    origin, days = date(2024, 10, 1), 3 * 366
    secs = clock.on_offsets(origin, days)
    base = datetime.combine(origin, datetime.min.time())
    r = random.Random(5)
    for _ in range(20_000):
        a = r.randrange(days * 86400)
        b = a + (r.randrange(120 * 86400) if r.random() < 0.7 else r.randrange(2 * 86400)) - (r.random() < 0.05) * 200
        b = max(0, min(b, days * 86400 - 1))
        assert secs(a, b) == clock.secs(base + timedelta(seconds=a), base + timedelta(seconds=b)), (a, b)
