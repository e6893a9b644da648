"""The dashboard's handlers, as any client could send them."""

import pytest

from rxapp.domain.errors import AccessDenied
from rxapp.state.dashboard import DashboardState, cases_url
from tests.state.helpers import guard_allows, root_with_cookie


async def dashboard_for(token):
    root = root_with_cookie(token)
    return root, await root.get_state(DashboardState)


async def run(handler):
    """Drive an event handler that may be a generator to completion; return what it returned."""
    result = handler
    if hasattr(result, "__anext__"):
        out = None
        async for out in result:
            pass
        return out
    return await result


@pytest.mark.anyio
@pytest.mark.parametrize("username", ["leader", "leader_putuo", "leader_zhujiajian", "admin"])
async def test_leaders_and_admins_get_kpis_for_their_own_scope(state_db, login_token, username):
    root, d = await dashboard_for(login_token(username))
    assert await guard_allows(root, DashboardState, "load")
    await run(d.load())
    assert d.error == "" and not d.loading
    assert [c["key"] for c in d.cards][:4] == ["due_completion_rate", "completion_rate", "on_time_rate", "overdue_now"]
    assert all(c["definition"] for c in d.cards)  # every figure carries its one-line definition
    expected = {"leader": "舟山市", "admin": "舟山市", "leader_putuo": "普陀区", "leader_zhujiajian": "朱家尖街道"}[username]
    assert d.area_name == expected
    assert d.breadcrumb[0]["name"] == expected  # never above the viewer's scope


@pytest.mark.anyio
@pytest.mark.parametrize("username", ["dispatcher", "dept_env", "member"])
async def test_other_roles_are_refused_by_the_guard_and_the_handler(state_db, login_token, username):
    root, d = await dashboard_for(login_token(username))
    assert not await guard_allows(root, DashboardState, "load")
    with pytest.raises(AccessDenied):
        await run(d.load())
    assert d.cards == []


@pytest.mark.anyio
async def test_anonymous_client_gets_nothing(state_db):
    root, d = await dashboard_for(None)
    assert not await guard_allows(root, DashboardState, "tick")
    with pytest.raises(AccessDenied):
        await run(d.tick(""))
    assert d.cards == []


@pytest.mark.anyio
async def test_township_leader_cannot_widen_the_scope_whatever_area_they_send(state_db, login_token):
    root, d = await dashboard_for(login_token("leader_zhujiajian"))
    await run(d.load())
    before = d.area_name
    for area in [str(state_db.areas["changguo"].id), str(state_db.areas["city"].id), str(state_db.areas["putuo"].id)]:
        await run(d.set_area(area))
        assert d.error  # refused with a message
        assert d.area_name == before
    # garbage arguments are refused without a crash
    for garbage in ["abc", "", "9" * 30, "-1"]:
        await run(d.set_area(garbage))
        assert d.area_name == before
    # drilling down inside the scope works
    await run(d.set_area(str(state_db.areas["c1"].id)))
    assert d.error == "" and d.area_name == state_db.areas["c1"].name


@pytest.mark.anyio
async def test_filters_validate_their_values(state_db, login_token):
    root, d = await dashboard_for(login_token("leader"))
    await run(d.load())
    await run(d.set_category("NOPE"))
    assert d.error == "诉求类别无效"
    await run(d.set_category("ENV"))
    assert d.error == "" and d.category_code == "ENV"
    await run(d.set_period("forever"))
    assert d.error == "统计周期无效"
    await run(d.set_dates({"date_from": "2026-05-01", "date_to": "2026-04-01"}))
    assert "开始日期" in d.error


@pytest.mark.anyio
async def test_drill_down_opens_the_matching_case_list(state_db, login_token):
    root, d = await dashboard_for(login_token("leader_putuo"))
    await run(d.load())
    spec = await run(d.drill("overdue", ""))
    assert "/cases?" in str(spec) and "overdue=1" in str(spec) and f"area={state_db.areas['putuo'].id}" in str(spec)
    assert await run(d.drill("not-a-target", "")) is None


def test_cases_url_keeps_only_set_filters():
    url = cases_url({"status": "open", "overdue": True, "category_code": None, "area_id": 5, "date_from": None})
    assert url == "/cases?status=open&area=5&overdue=1"


@pytest.fixture
def counted_views(monkeypatch):
    """Each view computation and each change-mark read counted (a computation
    takes a little while, so requests arrive while it runs)."""
    import asyncio
    import time as _time

    from rxapp.domain import lookups, metrics
    from rxapp.state import dashboard as D

    calls, reads = [], []

    def dashboard(session, *, actor, query, now=None):
        calls.append(query.period)
        _time.sleep(0.05)
        return ("result", query.period)

    monkeypatch.setattr(metrics, "dashboard", dashboard)
    monkeypatch.setattr(lookups, "change_mark", lambda session: reads.append(1) or (1, 0, 0))
    monkeypatch.setattr(D, "_render", lambda result, lang: {"cards": [result[1]]})
    D._views.clear()
    D._results.clear()
    monkeypatch.setitem(D._cycle, "busy", False)
    monkeypatch.setitem(D._cycle, "probed", 0.0)
    for key in ("mark", "at", "as_of"):
        monkeypatch.setitem(D._probe, key, D._probe[key])
    yield D, calls, reads, asyncio
    D._views.clear()
    D._results.clear()


@pytest.mark.anyio
async def test_a_view_is_computed_once_per_push_cycle_whatever_arrives_meanwhile(state_db, counted_views):
    """Coalescing (issue 18): while the push task runs, every refresh on the
    worker uses its cycle's mark (no read of its own), so 200 viewers asking
    during one computation cost that one computation; what is committed
    meanwhile is taken by the next cycle, which computes the view once more."""
    from rxapp.domain.access import Actor
    from rxapp.domain.metrics import parse_query

    D, calls, reads, asyncio = counted_views
    actor = Actor(user_id=1, username="leader", display_name="领导", role="leader", scope_area_id=None, scope_level="city", scope_path="", team_id=None, department_id=None)
    query = parse_query({"period": "this_month"})
    D._probe.update(mark=(10, 0, 0), at=0.0)
    D._cycle.update(busy=True)  # the push task's cycle at mark (10, 0, 0)
    try:
        async def viewer():
            return await D.shared_view(actor, query, await D.change_mark(), "zh")

        views = await asyncio.gather(*(viewer() for _ in range(200)))
        assert len(calls) == 1 and all(v is views[0] for v in views) and not reads
        # the next cycle reads the marks once and takes every change since at once
        D._cycle.update(busy=False)
        async with D._probe_lock:
            assert await D._read_mark() == (1, 0, 0) and len(reads) == 1
        D._cycle.update(busy=True)
        await asyncio.gather(*(viewer() for _ in range(50)))
        assert len(calls) == 2 and len(reads) == 1
        # a heartbeat of a pushed tab takes only a view that is ready (the push brings the next)
        assert await D.shared_view(actor, query, (2, 0, 0), "zh", wait=False) is None and len(calls) == 2
    finally:
        D._cycle.update(busy=False)


@pytest.mark.anyio
async def test_a_push_keeps_the_tabs_language_without_loading_its_language_state(state_db, login_token, monkeypatch):
    """A push re-renders in the language the tab last asked in (loading the
    tab's language state from Redis was a third of a push's CPU); its next
    heartbeat reads the language again."""
    from rxapp.state import dashboard as D

    root, d = await dashboard_for(login_token("leader"))
    await run(d.load())
    assert d._lang == "zh" and d.cards
    asked = []
    real = DashboardState._lang_now

    async def lang_now(self):
        asked.append(1)
        return await real(self)

    monkeypatch.setattr(DashboardState, "_lang_now", lang_now)
    for key in ("mark", "at", "as_of"):
        monkeypatch.setitem(D._probe, key, D._probe[key])
    monkeypatch.setitem(D._cycle, "busy", True)  # the push task's cycle, at a new mark
    D._probe.update(mark=(10**9, 0, 0), as_of=1.0)
    await d._push()
    assert d._mark == (10**9, 0, 0) and d._lang == "zh" and asked == []
    D._cycle.update(busy=False)
    await run(d.tick(""))
    assert asked == [1]
