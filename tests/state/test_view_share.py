"""Dashboard views shared by the workers through a real Redis (issue 18):
two workers are this process with its per-worker caches emptied in between."""

import asyncio
import dataclasses
import pickle
import time
import uuid

import pytest
import redis

from rxapp.domain.access import Actor
from rxapp.domain.metrics import parse_query
from rxapp.state import view_share

URL = "redis://127.0.0.1:6379/11"
LEADER = Actor(user_id=1, username="leader", display_name="领导", role="leader", scope_area_id=None,
               scope_level="city", scope_path="", team_id=None, department_id=None)


@pytest.fixture
def workers(monkeypatch, counted_views):
    """Redis on, a namespace of this test's own (as a database of its own would give)."""
    D, calls, reads, _ = counted_views
    namespace = uuid.uuid4().hex[:12]
    monkeypatch.setenv("REFLEX_REDIS_URL", URL)
    monkeypatch.setattr(view_share, "_database", lambda: namespace)
    monkeypatch.setattr(view_share, "_down_until", 0.0)
    monkeypatch.setattr(view_share, "stats", {"shared": 0, "computed": 0, "waited": 0})
    monkeypatch.setattr(D, "_as_of", type(D._as_of)())

    def other_worker():
        D._views.clear()
        D._results.clear()

    yield D, calls, reads, other_worker, redis.Redis.from_url(URL)
    r = redis.Redis.from_url(URL)
    for key in r.scan_iter(f"*{namespace}*"):
        r.delete(key)


from tests.state.test_dashboard_state import counted_views  # noqa: E402,F401 - the fixture


@pytest.mark.anyio
async def test_a_view_is_computed_once_across_workers(state_db, workers):
    D, calls, _reads, other_worker, _r = workers
    query = parse_query({"period": "this_month"})
    first = await D.shared_view(LEADER, query, (7, 0, 0), "zh", lane="push")
    assert calls == ["this_month"]
    other_worker()
    second = await D.shared_view(LEADER, query, (7, 0, 0), "en", lane="push")
    assert calls == ["this_month"], "the second worker took the first one's result"
    assert first == second == {"cards": ["this_month"]}
    # another mark, another scope or another query is another view
    await D.shared_view(LEADER, query, (8, 0, 0), "zh", lane="push")
    township = dataclasses.replace(LEADER, scope_area_id=5, scope_level="township")
    await D.shared_view(township, query, (8, 0, 0), "zh", lane="push")
    await D.shared_view(LEADER, parse_query({"period": "this_year"}), (8, 0, 0), "zh", lane="push")
    assert len(calls) == 4
    assert view_share.stats == {"shared": 1, "computed": 4, "waited": 0}


@pytest.mark.anyio
async def test_a_worker_waits_for_the_view_another_one_is_computing(state_db, workers):
    D, calls, _reads, _other, r = workers
    query = parse_query({"period": "last_month"})
    key = (LEADER.role, LEADER.scope_area_id, query.model_dump_json(), (9, 0, 0), D.today().isoformat())
    rkey = view_share.redis_key(key)
    r.set(rkey + ":lock", b"1", px=5000)  # the other worker is computing it

    async def other_finishes():
        await asyncio.sleep(0.2)
        r.set(rkey, pickle.dumps(("result", "theirs")), px=5000)
        r.delete(rkey + ":lock")

    t0 = time.monotonic()
    view, _ = await asyncio.gather(D.shared_view(LEADER, query, (9, 0, 0), "zh", lane="push"), other_finishes())
    assert view == {"cards": ["theirs"]} and calls == [] and 0.2 <= time.monotonic() - t0 < 1.0
    assert view_share.stats["waited"] == 1

    # the other worker failed (its lock went, no result): this one computes it
    D._views.clear()
    D._results.clear()
    key2 = key[:3] + ((10, 0, 0),) + key[4:]
    r.set(view_share.redis_key(key2) + ":lock", b"1", px=5000)

    async def other_fails():
        await asyncio.sleep(0.1)
        r.delete(view_share.redis_key(key2) + ":lock")

    t0 = time.monotonic()
    view, _ = await asyncio.gather(D.shared_view(LEADER, query, (10, 0, 0), "zh", lane="push"), other_fails())
    assert view == {"cards": ["last_month"]} and calls == ["last_month"]
    assert time.monotonic() - t0 < 1.0, "not waited out: the lock's going ends the wait"


@pytest.mark.anyio
async def test_workers_take_the_marks_another_read_just_now_with_its_time(state_db, workers):
    D, _calls, reads, other_worker, _r = workers
    async with D._probe_lock:
        mark = await D._read_mark()
    as_of = D._probe["as_of"]
    assert mark == (1, 0, 0) and len(reads) == 1
    # the other worker, a moment later: the published marks and the time before their read
    D._probe.update(mark=(0, 0, 0), as_of=0.0, at=0.0)
    async with D._probe_lock:
        assert await D._read_mark() == (1, 0, 0)
    assert len(reads) == 1 and D._probe["as_of"] == as_of and D.mark_as_of((1, 0, 0)) == as_of
    # never older than what this worker read itself
    async with D._probe_lock:
        await D._read_mark()
    assert len(reads) == 2 and D._probe["as_of"] > as_of
    # published marks older than MARK_SHARE_S are not taken
    D._probe.update(as_of=0.0)
    time.sleep(view_share.MARK_SHARE_S + 0.05)
    async with D._probe_lock:
        await D._read_mark()
    assert len(reads) == 3


@pytest.mark.anyio
async def test_without_a_working_redis_each_worker_computes_its_own(state_db, workers, monkeypatch):
    D, calls, reads, other_worker, _r = workers
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:1/0")
    query = parse_query({"period": "this_year"})
    assert await D.shared_view(LEADER, query, (3, 0, 0), "zh", lane="push") == {"cards": ["this_year"]}
    assert not view_share.enabled()  # left alone for a while: no view waits on a dead Redis
    other_worker()
    t0 = time.monotonic()
    await D.shared_view(LEADER, query, (3, 0, 0), "zh", lane="push")
    async with D._probe_lock:
        await D._read_mark()
    assert calls == ["this_year", "this_year"] and len(reads) == 1 and time.monotonic() - t0 < 0.5
    monkeypatch.setenv("REFLEX_REDIS_URL", "")
    monkeypatch.setattr(view_share, "_down_until", 0.0)
    assert not view_share.enabled()
