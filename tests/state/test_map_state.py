"""The map's handlers (/map, the dashboard card, the place picker), as any client could send them."""

import pytest
from sqlmodel import Session, select

from rxapp.domain.errors import AccessDenied
from rxapp.models import Area
from rxapp.state.map import CaseMapState, MapState
from rxapp.state.place import PlaceState
from rxapp.state.public import PublicSubmitState
from tests.state.helpers import guard_allows, root_with_cookie
from tests.state.test_dashboard_state import run


async def map_for(token):
    root = root_with_cookie(token)
    return root, await root.get_state(MapState)


@pytest.fixture
def grid_shapes(state_db):
    """A point inside each of Zhujiajian's test grids (the world cuts the township's land into them)."""
    from rxapp.db import get_engine

    with Session(get_engine()) as s:
        return {g: (s.get(Area, state_db.areas[g].id).label_lon, s.get(Area, state_db.areas[g].id).label_lat) for g in ("g1", "g2", "g3", "g4")}


@pytest.mark.anyio
@pytest.mark.parametrize("username", ["leader", "dispatcher", "admin", "leader_zhujiajian"])
async def test_leaders_and_dispatchers_get_the_map_of_their_scope(state_db, login_token, username):
    root, m = await map_for(login_token(username))
    assert await guard_allows(root, MapState, "load")
    await run(m.load())
    assert m.error == "" and not m.loading
    expected = {"leader": "舟山市", "dispatcher": "舟山市", "admin": "舟山市", "leader_zhujiajian": "朱家尖街道"}[username]
    assert m.area_name == expected
    assert m.fig["data"] and m.fig["layout"]["yaxis"]["scaleanchor"] == "x"
    if username == "leader_zhujiajian":
        assert {r["name"] for r in m.rows} == {"c1社区", "c2社区"}


@pytest.mark.anyio
@pytest.mark.parametrize("username", ["dept_env", "member"])
async def test_departments_and_members_are_refused_by_the_guard_and_the_handler(state_db, login_token, username):
    root, m = await map_for(login_token(username))
    assert not await guard_allows(root, MapState, "load")
    with pytest.raises(AccessDenied):
        await run(m.load())
    assert m.fig["data"] == []


@pytest.mark.anyio
@pytest.mark.parametrize("handler,args", [("load", ()), ("set_area", ("1",)), ("click", ([{"curveNumber": 1, "pointIndex": 0}],)), ("drill", ("accepted", "1")), ("set_measure", ("overdue",)), ("load_card", ())])
async def test_anonymous_cannot_call_staff_map_handlers(state_db, handler, args):
    root, m = await map_for(None)
    assert not await guard_allows(root, MapState, handler)
    with pytest.raises(AccessDenied):
        await run(getattr(m, handler)(*args))
    assert m.fig["data"] == [] and m.rows == []
    assert not await guard_allows(root_with_cookie(None), CaseMapState, "load")


@pytest.mark.anyio
async def test_a_township_leader_cannot_see_another_townships_areas_or_points(state_db, login_token):
    root, m = await map_for(login_token("leader_zhujiajian"))
    await run(m.load())
    before = (m.area_name, m.rows)
    for area in [str(state_db.areas["changguo"].id), str(state_db.areas["c3"].id), str(state_db.areas["city"].id), "abc", "", "9" * 30]:
        await run(m.set_area(area))
        assert (m.area_name, m.rows) == before
    assert m.error
    await run(m.set_area(str(state_db.areas["c1"].id)))
    assert m.error == "" and m.area_name == "c1社区"
    assert {r["name"] for r in m.rows} == {"c1社区第1网格", "c1社区第2网格"}


@pytest.mark.anyio
async def test_measure_and_garbage_clicks_are_validated(state_db, login_token):
    root, m = await map_for(login_token("leader"))
    await run(m.load())
    await run(m.set_measure("intake"))
    assert m.measure == "intake" and m.error == ""
    await run(m.set_measure("__class__"))
    assert m.measure == "intake" and m.error
    for garbage in [None, "x", [], [1], [{"curveNumber": "1"}], [{"curveNumber": 10**9}], [{"curveNumber": True}]]:
        assert await run(m.click(garbage)) is None


@pytest.mark.anyio
async def test_clicking_an_area_zooms_into_it(state_db, login_token):
    root, m = await map_for(login_token("leader"))
    await run(m.load())
    putuo = state_db.areas["putuo"].id
    curve = next(c for c, a in m._clicks["areas"].items() if a == putuo)
    event = await run(m.click([{"curveNumber": curve}]))
    assert event is not None
    await run(m.set_area(str(putuo)))
    assert m.area_name == "普陀区"
    assert "朱家尖街道" in {r["name"] for r in m.rows}


@pytest.mark.anyio
async def test_table_figures_drill_down_to_the_case_list(state_db, login_token):
    root, m = await map_for(login_token("leader"))
    await run(m.load())
    putuo = str(state_db.areas["putuo"].id)
    event = await run(m.drill("overdue", putuo))
    assert "/cases?" in str(event) and "overdue=1" in str(event) and f"area={putuo}" in str(event)
    event = await run(m.drill("accepted", putuo))
    assert "basis=accepted" in str(event)


# ----------------------------------------------------------------------------
# the place picker
# ----------------------------------------------------------------------------
async def picker_on(path: str, token=None):
    from reflex.istate.data import RouterData

    root = root_with_cookie(token)
    cookie = f"gd_session={token}" if token else ""
    root.router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": path, "asPath": path})
    return root, await root.get_state(PlaceState)


@pytest.mark.anyio
async def test_a_tap_on_the_public_form_locates_the_grid_and_fills_the_selects(state_db, grid_shapes):
    root, p = await picker_on("/public/submit")
    assert await guard_allows(root, PlaceState, "pick")
    await run(p.load())
    lon, lat = grid_shapes["g2"]
    await run(p.pick(f"{lon:.6f},{lat:.6f},1"))
    assert p.error == ""
    assert p.located == "朱家尖街道 c1社区 第2网格"
    form = await root.get_state(PublicSubmitState)
    assert form.grid_id == str(state_db.areas["g2"].id)
    assert form.township_id == str(state_db.areas["zhujiajian"].id)
    assert p.point_for(form.grid_id) == {"lon": pytest.approx(lon, abs=1e-6), "lat": pytest.approx(lat, abs=1e-6)}
    # at sea: a clear message, nothing changed
    await run(p.pick("122.60,29.70,2"))
    assert p.error and p.located == "朱家尖街道 c1社区 第2网格"


@pytest.mark.anyio
@pytest.mark.parametrize("bad", ["", "abc", "1e999,1", "wgs84:x,y", "999,999", "error:1", None, {"a": 1}, "1," * 50])
async def test_the_picker_refuses_bad_input_without_a_crash(state_db, bad):
    root, p = await picker_on("/public/submit")
    await run(p.pick(bad))
    assert p.located == ""


@pytest.mark.anyio
async def test_staff_cannot_pick_a_grid_outside_their_scope(state_db, grid_shapes, login_token):
    from rxapp.state.cases import CaseNewState

    token = login_token("dispatcher_zhujiajian")
    root, p = await picker_on("/cases/new", token)
    intake = await root.get_state(CaseNewState)
    await run(intake.load())
    await run(p.pick("{:.6f},{:.6f},1".format(*grid_shapes["g1"])))  # inside their township
    assert p.error == "" and intake.grid == str(state_db.areas["g1"].id)
    await run(p.pick("{:.6f},{:.6f},2".format(*grid_shapes["g4"])))  # 昌国街道: not theirs
    assert p.error and intake.grid == str(state_db.areas["g1"].id)


@pytest.mark.anyio
async def test_a_resident_who_does_not_know_the_grid_still_submits_with_an_address(state_db):
    from rxapp.db import get_engine
    from rxapp.models import Case

    root, p = await picker_on("/public/submit")
    form = await root.get_state(PublicSubmitState)
    await form.load()
    await form.submit({"content": "小区门口路灯坏了", "phone": "13900002222", "address": "朱家尖街道海滨路8号"})
    assert form.error == "public.msg.pick_grid" and not form.code  # neither a grid nor “不清楚”
    p.set_unknown(True)
    await form.submit({"content": "小区门口路灯坏了", "phone": "13900002222", "address": "朱家尖街道海滨路8号"})
    assert form.error == "" and form.code
    with Session(get_engine()) as s:
        case = s.exec(select(Case).where(Case.code == form.code)).one()
        assert case.status == "submitted" and case.requester_address == "朱家尖街道海滨路8号"


@pytest.mark.anyio
async def test_a_typed_address_locates_the_grid(state_db):
    root, p = await picker_on("/public/submit")
    await run(p.find_address("朱家尖街道g3甲路5号"))
    assert p.error == "" and p.located == "朱家尖街道 c2社区 第3网格"
    form = await root.get_state(PublicSubmitState)
    assert form.grid_id == str(state_db.areas["g3"].id)
    await run(p.find_address("火星基地1号"))
    assert p.error and form.grid_id == str(state_db.areas["g3"].id)


@pytest.mark.anyio
async def test_the_case_map_is_shown_only_to_staff_who_may_see_the_case(state_db, grid_shapes, login_token):
    from reflex.istate.data import RouterData

    from rxapp.db import get_engine
    from rxapp.domain import cases as C

    with Session(get_engine()) as s:
        lon, lat = grid_shapes["g4"]
        code = C.submit_case(s, actor=None, channel="web", data={"content": "路灯坏了好几天", "requester_phone": "13900003333", "grid_id": state_db.areas["g4"].id, "lon": lon, "lat": lat}).code
        s.commit()

    async def case_map_for(username):
        token = login_token(username)
        root = root_with_cookie(token)
        root.router = RouterData.from_router_data({"headers": {"cookie": f"gd_session={token}"}, "pathname": f"/cases/{code}", "asPath": f"/cases/{code}"})
        state = await root.get_state(CaseMapState)
        await run(state.load())
        return state

    mine = await case_map_for("leader_changguo")
    assert mine.has_point and mine.fig["data"]
    other = await case_map_for("leader_zhujiajian")
    assert not other.has_point and other.fig["data"] == []


@pytest.mark.anyio
async def test_a_staff_case_keeps_the_spot_picked_on_the_map(state_db, grid_shapes, login_token):
    from rxapp.db import get_engine
    from rxapp.models import Case
    from rxapp.state.cases import CaseNewState

    root, p = await picker_on("/cases/new", login_token("dispatcher_zhujiajian"))
    intake = await root.get_state(CaseNewState)
    await run(intake.load())
    lon, lat = grid_shapes["g1"]
    await run(p.pick(f"{lon:.6f},{lat:.6f},3"))
    assert p.error == "" and intake.grid == str(state_db.areas["g1"].id)
    form = {"nonce": intake.nonce, "content": "海滨路路灯坏了好几天", "requester_name": "王先生", "requester_phone": "13900007777", "requester_address": "海滨路9号"}
    await run(intake.submit(form))
    with Session(get_engine()) as s:
        case = s.exec(select(Case).where(Case.requester_phone == "13900007777")).one()
    assert case.grid_id == state_db.areas["g1"].id
    assert case.lon == pytest.approx(lon, abs=1e-5) and case.lat == pytest.approx(lat, abs=1e-5)


@pytest.mark.anyio
async def test_the_maps_one_click_below_are_computed_ahead_and_then_shared(state_db, login_token):
    import asyncio

    from rxapp.state import map as map_state

    map_state._views.clear()  # nothing shared yet (earlier tests zoomed into 普陀区 themselves)
    root, m = await map_for(login_token("leader"))
    await run(m.load())
    await asyncio.gather(*list(map_state._prefetch_tasks))
    putuo = state_db.areas["putuo"].id
    ahead = [v for k, v in map_state._views.items() if f'"area_id":{putuo},' in k[3] and k[4] == m.measure]
    assert ahead  # computed before anyone clicked 普陀区
    await run(m.set_area(str(putuo)))
    assert m.area_name == "普陀区" and m.get_value("fig") is ahead[-1]["fig"]


@pytest.mark.anyio
async def test_work_ahead_waits_while_a_person_waits_for_a_map(state_db, login_token, monkeypatch):
    import asyncio

    from rxapp.state import map as map_state

    map_state._views.clear()
    monkeypatch.setattr(map_state, "_waited_for", 1)  # someone's refresh is in flight in this worker
    root, m = await map_for(login_token("leader"))
    await run(m.load())  # its own refresh counts while it runs, and the prefetch is started
    await asyncio.sleep(4 * map_state.PREFETCH_PAUSE)
    putuo = state_db.areas["putuo"].id
    ahead = lambda: [k for k in map_state._views if f'"area_id":{putuo},' in k[3]]  # noqa: E731
    assert map_state._prefetch_tasks and ahead() == []  # nothing computed ahead while the person waits
    monkeypatch.setattr(map_state, "_waited_for", 0)
    await asyncio.gather(*list(map_state._prefetch_tasks))
    assert ahead()


@pytest.mark.anyio
async def test_a_measure_switch_and_a_shared_scope_change_read_no_database(state_db, login_token, monkeypatch):
    import asyncio

    from rxapp.state import map as map_state

    root, m = await map_for(login_token("leader"))
    await run(m.load())
    await asyncio.gather(*list(map_state._prefetch_tasks))
    crumbs = list(m.breadcrumb)

    def no_db(*_a, **_k):
        raise AssertionError("the database was read")

    monkeypatch.setattr(map_state, "run_db", no_db)
    monkeypatch.setattr(map_state.dash, "change_mark", lambda: _mark(m))
    await run(m.set_measure("overdue"))  # rendered from the scope's shared data
    assert m.measure == "overdue" and m.error == "" and m.get_value("fig")["data"]
    putuo = state_db.areas["putuo"].id
    await run(m.set_area(str(putuo)))  # computed ahead with its breadcrumb
    assert m.area_name == "普陀区" and [c["name"] for c in m.breadcrumb][-1] == "普陀区" and m.breadcrumb[0] == crumbs[0]
    await asyncio.gather(*list(map_state._prefetch_tasks), return_exceptions=True)


async def _mark(m):
    return m._mark
