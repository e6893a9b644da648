"""A tab's pickled state (what Redis stores and every event of that tab loads
and saves again) carries keys to the shared map and dashboard views, not its
own copy of their figures (rxapp/state/shared.py)."""

import pickle
import time

import pytest

from rxapp.state import shared
from rxapp.state.dashboard import SHARED_FIELDS as DASH_SHARED
from rxapp.state.dashboard import DashboardState
from rxapp.state.map import SHARED_FIELDS as MAP_SHARED
from rxapp.state.map import MapState, PublicMapState
from rxapp.state.place import PlaceState
from tests.state.helpers import root_with_cookie
from tests.state.test_dashboard_state import run

MAP_STATE_MAX = 3_000  # bytes pickled: the filters, labels and keys
DASHBOARD_STATE_MAX = 4_000


def _plain(value):
    """The value as a plain dict/list, pickled as the states held it before."""
    return len(pickle.dumps(dict(value) if isinstance(value, dict) else list(value)))


def _forget_shared_values() -> None:
    """As if the state were loaded by another worker: this one's registry is empty."""
    with shared._lock:
        shared._registry.clear()


async def _leader_map_and_dashboard(login_token):
    root = root_with_cookie(login_token("leader"))
    m = await root.get_state(MapState)
    await run(m.load())
    d = await root.get_state(DashboardState)
    await run(d.load())
    return m, d


@pytest.mark.anyio
async def test_a_leaders_map_and_dashboard_pickle_small_while_showing_the_full_figures(state_db, login_token):
    m, d = await _leader_map_and_dashboard(login_token)
    assert m.fig["data"] and d.trend_fig["data"] and d.cards
    map_bytes, dash_bytes = len(m._serialize()), len(d._serialize())
    # the figures themselves are many times that: they are not in the pickle
    assert map_bytes <= MAP_STATE_MAX < _plain(m.get_value("fig")), (map_bytes, _plain(m.get_value("fig")))
    assert dash_bytes <= DASHBOARD_STATE_MAX < sum(_plain(d.get_value(n)) for n in DASH_SHARED), dash_bytes
    # loaded again in the same worker: the very objects every viewer shares, no copy
    again = MapState._deserialize(m._serialize())
    assert again.get_value("fig") is m.get_value("fig") and again.get_value("rows") is m.get_value("rows")
    again = DashboardState._deserialize(d._serialize())
    assert [n for n in DASH_SHARED if again.get_value(n) is not d.get_value(n) and d.get_value(n)] == []  # (an empty list stays the field's default)
    # two viewers of the same scope hold one figure between them
    other = await root_with_cookie(login_token("leader")).get_state(MapState)
    await run(other.load())
    assert other.get_value("fig") is m.get_value("fig")


@pytest.mark.anyio
async def test_state_loaded_by_another_worker_renders_its_view_again_on_the_next_event(state_db, login_token):
    m, d = await _leader_map_and_dashboard(login_token)
    fig, cards = m.get_value("fig"), d.get_value("cards")
    map_pickle, dash_pickle = m._serialize(), d._serialize()
    _forget_shared_values()
    elsewhere = MapState._deserialize(map_pickle)
    # the content stayed in the other worker: an empty figure, marked stale
    assert elsewhere.get_value("fig") == {"data": [], "layout": {}} and shared.is_stale(elsewhere.get_value("fig"))
    assert shared.any_stale(elsewhere, MAP_SHARED) and shared.any_stale(DashboardState._deserialize(dash_pickle), DASH_SHARED)
    # this tab's live state takes those stale values; nothing changed in the data,
    # yet the next heartbeat draws the figure again instead of keeping the blank one
    for name in MAP_SHARED:
        setattr(m, name, pickle.loads(pickle.dumps(m.get_value(name))))
    for name in DASH_SHARED:
        setattr(d, name, pickle.loads(pickle.dumps(d.get_value(name))))
    await run(m.tick(""))
    assert m.get_value("fig") == fig and not shared.any_stale(m, MAP_SHARED)
    await run(d.tick(""))
    assert d.get_value("cards") == cards and not shared.any_stale(d, DASH_SHARED)
    # a click on a map whose click table stayed elsewhere still zooms in
    putuo = state_db.areas["putuo"].id
    curve = next(c for c, a in m._clicks["areas"].items() if a == putuo)
    _forget_shared_values()
    m._clicks = pickle.loads(pickle.dumps(m.get_value("_clicks")))
    assert shared.is_stale(m.get_value("_clicks")) and not m._clicks
    event = await run(m.click([{"curveNumber": curve}]))
    assert event is not None and str(putuo) in str(event)
    assert not shared.is_stale(m.get_value("_clicks"))


@pytest.mark.anyio
async def test_public_pages_share_their_maps_between_visitors(state_db):
    one, two = root_with_cookie(None), root_with_cookie(None)
    a, b = await one.get_state(PublicMapState), await two.get_state(PublicMapState)
    await run(a.load())
    await run(b.load())
    assert a.fig["data"] and a.get_value("fig") is b.get_value("fig")
    assert len(a._serialize()) < 1_000 < _plain(a.get_value("fig"))
    p, q = await one.get_state(PlaceState), await two.get_state(PlaceState)
    await run(p.load())
    await run(q.load())
    assert p.fig["data"] and p.get_value("fig") is q.get_value("fig")
    assert len(p._serialize()) < 1_000 < _plain(p.get_value("fig"))


def test_shared_values_are_read_only_copies_of_plain_dicts_and_lists():
    fig = shared.share({"data": [1], "layout": {"a": 1}})
    rows = shared.share([{"id": "1"}])
    assert fig == {"data": [1], "layout": {"a": 1}} and rows == [{"id": "1"}]
    assert shared.share(fig) is fig
    assert pickle.loads(pickle.dumps(fig)) is fig and pickle.loads(pickle.dumps(rows)) is rows
    assert len(pickle.dumps(shared.share({"data": list(range(10_000)), "layout": {}}))) < 200
    with pytest.raises(TypeError):
        shared.share("text")


def test_with_redis_another_worker_reads_the_one_stored_copy(monkeypatch):
    """Several workers share Redis: a state loaded by a worker that never rendered
    the view gets it from Redis (written once per view, not per tab)."""
    import redis

    url = "redis://127.0.0.1:6379/9"
    monkeypatch.setenv("REFLEX_REDIS_URL", url)
    fig = shared.share({"data": [{"x": [1, 2], "y": [3, 4]}], "layout": {"height": 300}})
    stored = pickle.dumps(fig)
    assert len(stored) < 200
    _forget_shared_values()  # the other worker
    there = pickle.loads(stored)
    assert there == fig and not shared.is_stale(there)
    assert pickle.loads(stored) is there  # its other tabs share that copy
    # the copy expired or Redis lost it: the stale fallback, rendered again on the next event
    redis.Redis.from_url(url).delete(shared.REDIS_PREFIX + fig.key)
    _forget_shared_values()
    assert shared.is_stale(pickle.loads(stored))
    # Redis down: sharing and loading still work (stale where the worker lacks the value)
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:1/0")
    down = shared.share({"data": [], "layout": {"height": 1}})
    assert pickle.loads(pickle.dumps(down)) is down
    _forget_shared_values()
    assert shared.is_stale(pickle.loads(pickle.dumps(down)))
    # after a failure Redis is left alone for a while: no render waits on it again
    assert shared._redis() is None
    t0 = time.monotonic()
    for i in range(20):
        shared.share({"data": [], "layout": {"n": i}})
    assert time.monotonic() - t0 < 0.2
    monkeypatch.setattr(shared, "_redis_down_until", 0.0)
