"""The worker's garbage-collection policy (rxapp/heap.py)."""

import gc


def test_settle_moves_what_is_alive_out_of_the_collections_and_later_objects_are_still_collected():
    from rxapp import heap

    try:
        heap.settle()
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # the loaded modules' objects
        cycle = []
        cycle.append(cycle)  # created after: collected as usual
        del cycle
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_each_worker_warms_and_settles_its_heap_at_startup():
    from rxapp import heap
    from rxapp.rxapp import app

    assert heap.startup in app._lifespan_tasks


def test_warming_computes_the_city_views_once_and_skips_a_database_that_is_not_ready(state_db, monkeypatch, caplog):
    from rxapp import heap
    from rxapp.domain import metrics, queries
    from rxapp.domain.geo import mapview

    seen = []
    for module, name in ((metrics, "dashboard"), (mapview, "map_view"), (queries, "search_cases")):
        real = getattr(module, name)

        def spy(session, *, actor, real=real, name=name, **kw):
            seen.append((name, actor.is_citywide, actor.role))
            return real(session, actor=actor, **kw)

        monkeypatch.setattr(module, name, spy)
    heap.warm()
    assert seen == [("dashboard", True, "admin"), ("map_view", True, "admin"), ("search_cases", True, "admin")]

    def broken(session, **kw):
        raise RuntimeError("no such table: case")

    monkeypatch.setattr(metrics, "dashboard", broken)
    caplog.set_level("INFO", logger="rxapp.heap")
    heap.warm()  # logged, not raised: the worker starts anyway
    assert "warm-up step skipped" in caplog.text
