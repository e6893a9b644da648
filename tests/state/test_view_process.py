"""Dashboard views computed beside the worker (``GRIDDESK_VIEW_PROCESSES``)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from sqlmodel import select

from rxapp import view_process
from rxapp.db import _in_session
from rxapp.domain.access import actor_for
from rxapp.domain.metrics import parse_query
from rxapp.models import User


def leader():
    return _in_session(lambda s: actor_for(s, s.exec(select(User).where(User.username == "leader")).one()))


@pytest.mark.parametrize("raw, n", [("", 0), ("0", 0), ("1", 1), ("2", 2), ("99", 8), ("-1", 0), ("x", 0), (" 3 ", 3)])
def test_the_number_of_view_processes_comes_from_the_environment(monkeypatch, raw, n):
    monkeypatch.setenv("GRIDDESK_VIEW_PROCESSES", raw)
    assert view_process.processes() == n


def test_without_view_processes_there_is_no_pool(monkeypatch):
    monkeypatch.delenv("GRIDDESK_VIEW_PROCESSES", raising=False)
    assert view_process.pool() is None


def test_a_view_process_computes_the_view_the_worker_would(tmp_path, monkeypatch):
    """A spawned process reads the same database (REFLEX_DB_URL) at the
    worker's clock: the same figures, to the last field."""
    from sqlmodel import SQLModel

    from rxapp.db import engine_for, make_engine
    from rxapp.domain.seed import seed

    url = f"sqlite:///{tmp_path / 'views.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    seed(engine, cases=300, grids_per_township=2, households_per_grid=(3, 5), now=datetime(2026, 11, 30, 10), random_seed=3)
    engine.dispose()
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("GRIDDESK_VIEW_PROCESSES", "1")
    engine_for.cache_clear()
    query = parse_query({"period": "custom", "date_from": "2026-01-01", "date_to": "2026-11-30"})
    at = datetime(2026, 11, 30, 12)
    try:
        actor = leader()
        pool = view_process.pool()
        assert pool is not None and view_process.pool() is pool  # one pool per worker
        there = pool.submit(view_process.compute_view, actor, query, at).result(timeout=300)
        here = view_process.compute_view(actor, query, at)
    finally:
        view_process.shutdown()
        engine_for.cache_clear()
    assert there == here and there.kpis.accepted.value > 0


@pytest.mark.anyio
async def test_the_push_and_a_persons_filter_change_compute_in_the_view_processes(state_db, monkeypatch):
    """The live push's views and a person's own filter change go to the pool:
    in the worker they took the interpreter lock from its event loop."""
    from rxapp.state import dashboard as D

    used = []

    class Pool(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            used.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    pool = Pool(max_workers=1)
    monkeypatch.setattr(view_process, "pool", lambda: pool)
    D._views.clear()
    D._results.clear()
    actor = leader()
    try:
        view = await D.shared_view(actor, parse_query({"period": "this_month"}), (900, 0, 0), "zh", lane="event")
        assert used == ["compute_view"] and view["cards"]
        view = await D.shared_view(actor, parse_query({"period": "this_month"}), (901, 0, 0), "zh", lane="push")
        assert used == ["compute_view"] * 2 and view["cards"]
    finally:
        pool.shutdown()
        D._views.clear()
        D._results.clear()


@pytest.mark.anyio
async def test_a_dead_view_process_is_replaced_and_its_view_computed_in_the_worker(state_db, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from rxapp.state import dashboard as D

    class Dead(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            raise BrokenProcessPool("a view process died")

    dead, resets = Dead(max_workers=1), []
    monkeypatch.setattr(view_process, "pool", lambda: dead)
    monkeypatch.setattr(view_process, "shutdown", lambda: resets.append(1))
    D._views.clear()
    D._results.clear()
    try:
        view = await D.shared_view(leader(), parse_query({"period": "this_month"}), (902, 0, 0), "zh", lane="push")
        assert view["cards"] and resets == [1]
    finally:
        dead.shutdown()
        D._views.clear()
        D._results.clear()
