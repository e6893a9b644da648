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


def test_each_worker_settles_its_heap_at_startup():
    from rxapp import heap
    from rxapp.rxapp import app

    assert heap.settle in app._lifespan_tasks
