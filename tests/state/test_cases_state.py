"""/cases, /cases/new and /cases/[code] states driven as a client would
(REFLEX.md "Testing") against the committed ``state_db`` world: list filters
and link parameters, intake with the live suggestion, actions with the
version the page loaded, forbidden roles, garbage arguments."""

import inspect
import json
import uuid
from datetime import date

import pytest
from reflex.istate.data import RouterData
from sqlmodel import Session, func, select

from rxapp.db import get_engine
from rxapp.domain import cases as C
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied
from rxapp.models import Case, CaseEvent, CaseStatus, Category, Sms, Visit
from rxapp.state.case_detail import CaseDetailState
from rxapp.state.case_list import CaseListState
from rxapp.state.case_new import CaseNewState
from tests.state.helpers import guard_allows

STALE = "已被他人修改，请刷新后重试"
CONFIDENT_ENV = "楼下饭店油烟很大，噪音扰民，污染严重"
PHONE = "13800005678"


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def token(state_db):
    """One real login per demo user, made once (Argon2 is slow on purpose)."""
    from rxapp.domain.auth import login
    from tests.factories import PASSWORD

    cache: dict[str, str] = {}

    def make(username: str) -> str:
        if username not in cache:
            with Session(get_engine()) as s:
                cache[username] = login(s, username=username, password=PASSWORD).token
        return cache[username]

    return make


def db(fn):
    with Session(get_engine(), expire_on_commit=False) as s:
        return fn(s)


def at_page(root, path: str, token: str | None) -> None:
    """The socket's cookie and the page the browser is on."""
    cookie = f"gd_session={token}" if token else ""
    root.router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": path.split("?")[0], "asPath": path})


async def state(cls, token: str | None, path: str = "/cases"):
    import reflex as rx

    root = rx.State()
    at_page(root, path, token)
    return root, await root.get_state(cls)


async def call(handler, *args):
    """Run a handler as Reflex would (coroutine or async generator); every
    event it returned or yielded, Nones dropped."""
    result = handler(*args)
    if inspect.isasyncgen(result):
        return [ev async for ev in result if ev is not None]
    out = await result
    return [] if out is None else [out]


def _js(ev) -> str:
    return str(ev.args[0][1]._js_expr) if getattr(ev, "args", None) else ""


def toasts(events) -> list[str]:
    """The JS of the toasts among the events (texts JSON-escaped: compare with ``says``)."""
    return [_js(ev) for ev in events if "toast" in _js(ev)]


def says(events, text: str) -> bool:
    return any(json.dumps(text) in js for js in toasts(events))


def redirect_path(events) -> str:
    found = [_js(ev) for ev in events if "/cases/ZS" in _js(ev)]
    return found[-1].strip('"') if found else ""


def submit(world, text: str, *, actor: str = "dispatcher", grid: str = "g1", **extra) -> Case:
    def go(s):
        data = {"content": text, "grid_id": world.areas[grid].id, "requester_name": "王小明", "requester_phone": PHONE, **extra}
        return C.submit_case(s, actor=world.actors[actor], data=data, channel="desk")

    return db(go)


def unique(prefix: str = "有件事想当面说说") -> str:
    return f"{prefix}（{uuid.uuid4().hex[:8]}）"


def fetch_case(code: str) -> Case:
    return db(lambda s: s.exec(select(Case).where(Case.code == code)).one())


def case_count() -> int:
    return db(lambda s: s.exec(select(func.count()).select_from(Case)).one())


# ----------------------------------------------------------------------------
# /cases
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_dispatcher_list_opens_on_triage_and_filters_in_sql(state_db, token):
    w = state_db
    vague = submit(w, unique())
    env = submit(w, unique(CONFIDENT_ENV), grid="g4")
    assert vague.status == CaseStatus.SUBMITTED and env.status == CaseStatus.ROUTED

    root, s = await state(CaseListState, token("dispatcher"))
    await call(s.load)
    assert s.view == "triage" and "triage" in s.views and not s.loading
    assert vague.code in {r["code"] for r in s.rows} and env.code not in {r["code"] for r in s.rows}
    assert int(s.view_counts["triage"].rstrip("+")) >= 1

    await call(s.set_view, "all")
    assert s.total == case_count() and len(s.rows) <= 20 and s.pages == -(-s.total // 20)
    assert sum(s.status_counts.values()) == s.total

    steps = s.set_category("ENV")
    assert await steps.__anext__() is None and s.loading  # the spinner goes out before the query
    rest = [ev async for ev in steps]
    assert not s.loading and [_js(ev) for ev in rest] == [_js(ev) for ev in rest if "replaceState" in _js(ev)]
    assert any("category=ENV" in _js(ev) for ev in rest)  # the filter is written into the address bar
    env_id = db(lambda x: x.exec(select(Category.id).where(Category.code == "ENV")).one())
    assert s.total == db(lambda x: x.exec(select(func.count()).select_from(Case).where(Case.category_id == env_id)).one())
    assert s.rows and all(r["category"] == "环境保护" for r in s.rows)

    await call(s.search, {"q": env.code, "from": "", "to": ""})
    assert [r["code"] for r in s.rows] == [env.code]
    row = s.rows[0]
    assert row["area"] == "昌国街道 / c3社区" and row["department"] == "生态环境局" and row["status"] == "routed"

    await call(s.set_status, "open")
    assert s.status == "open" and s.total == 1
    # back from a case to the bare list: the filters stay; a link's parameters replace them
    await call(s.load)
    assert (s.view, s.status, s.category, s.text, s.total) == ("all", "open", "ENV", env.code, 1)
    at_page(root, "/cases?status=closed", token("dispatcher"))
    await call(s.load)
    assert (s.status, s.category, s.text) == ("closed", "all", "")
    await call(s.clear_filters)
    assert s.status == "all" and s.category == "all" and s.text == "" and s.total == case_count()
    # list rows carry no requester data
    assert PHONE not in json.dumps(root.dict(), default=str) and "王小明" not in json.dumps(root.dict(), default=str)


@pytest.mark.anyio
async def test_link_parameters_prefill_the_filters(state_db, token):
    w = state_db
    env_dept = w.ref.department_ids["ENV"]
    path = (
        f"/cases?status=open&overdue=1&category=env&area={w.areas['zhujiajian'].id}"
        f"&department={env_dept}&from=2026-11-01&to=2026-11-30&sort=deadline"
    )
    _, s = await state(CaseListState, token("leader"), path)
    await call(s.load)
    assert s.notice == "" and s.view == "all"
    assert (s.status, s.overdue_only, s.category, s.department) == ("open", True, "ENV", str(env_dept))
    assert (s.area1, s.area2, s.area_extra) == (str(w.areas["putuo"].id), str(w.areas["zhujiajian"].id), "")
    assert {o["id"] for o in s.area2_options} >= {str(w.areas["zhujiajian"].id)}
    assert (s.date_from, s.date_to, s.sort) == ("2026-11-01", "2026-11-30", "deadline")

    # a community: both selects show its ancestors, the chip names it
    _, s = await state(CaseListState, token("leader"), f"/cases?area={w.areas['c1'].id}")
    await call(s.load)
    assert s.area_extra == str(w.areas["c1"].id) and s.area_extra_label == "c1社区"
    c1_code = submit(w, unique(), grid="g2").code
    g3_code = submit(w, unique(), grid="g3").code
    await call(s.search, {"q": c1_code})
    assert [r["code"] for r in s.rows] == [c1_code]
    await call(s.search, {"q": g3_code})  # same township, another community
    assert s.rows == [] and s.area_extra == str(w.areas["c1"].id)
    await call(s.clear_area_extra)
    assert [r["code"] for r in s.rows] == [g3_code]


@pytest.mark.anyio
async def test_invalid_link_parameters_are_ignored_and_named(state_db, token):
    w = state_db
    bad = "/cases?status=hacked&category=../x&area=999999&from=2026-13-01&to=x&overdue=maybe&department=0&sort=id%20desc&page=-1"
    _, s = await state(CaseListState, token("leader"), bad)
    await call(s.load)
    for label in ("状态", "类别", "区域", "开始日期", "结束日期", "超期", "职能部门", "排序", "页码"):
        assert label in s.notice, label
    assert (s.status, s.category, s.area1, s.department, s.overdue_only, s.date_from, s.sort) == ("all", "all", "all", "all", False, "", "newest")
    assert s.total == case_count()

    # an area outside the leader's township is refused, not widened
    _, s = await state(CaseListState, token("leader_changguo"), f"/cases?area={w.areas['zhujiajian'].id}")
    await call(s.load)
    assert "区域" in s.notice and s.area1 == "all"


@pytest.mark.anyio
async def test_department_gets_its_worklist_buckets(state_db, token):
    w = state_db
    env = submit(w, unique(CONFIDENT_ENV))
    _, s = await state(CaseListState, token("dept_env"))
    await call(s.load)
    assert s.views == ["all", "unsigned", "handling", "due_soon", "overdue"]
    assert s.view == "unsigned" and env.code in {r["code"] for r in s.rows}
    assert set(s.view_counts) == {"unsigned", "handling", "due_soon", "overdue"}
    await call(s.set_view, "handling")
    assert env.code not in {r["code"] for r in s.rows}
    await call(s.set_view, "triage")  # not a department's tab
    assert s.view == "handling"

    _, other = await state(CaseListState, token("dept_other"))
    await call(other.load)
    if all(n == "0" for n in other.view_counts.values()):  # nothing to do: it opens on everything
        assert other.view == "all"
    await call(other.set_view, "all")
    await call(other.search, {"q": env.code})
    assert other.rows == [] and other.total == 0


@pytest.mark.anyio
async def test_member_sees_only_their_grid(state_db, token):
    w = state_db
    mine, theirs = submit(w, unique(), grid="g1"), submit(w, unique(), grid="g4")
    _, s = await state(CaseListState, token("member"))
    await call(s.load)
    assert s.views == ["all"] and s.view == "all" and s.area1_options == []
    team_total = db(lambda x: x.exec(select(func.count()).select_from(Case).where(Case.team_id == w.teams["g1"].id)).one())
    assert s.total == team_total
    await call(s.search, {"q": theirs.code})
    assert s.rows == []
    await call(s.search, {"q": mine.code})
    assert [r["code"] for r in s.rows] == [mine.code]


# ----------------------------------------------------------------------------
# /cases/new
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_dispatcher_registers_a_phoned_in_case_with_the_live_suggestion(state_db, token):
    w = state_db
    root, s = await state(CaseNewState, token("dispatcher"), "/cases/new")
    await call(s.load)
    assert s.ready and s.cascade == "township" and s.channel == "desk"
    assert str(w.areas["zhujiajian"].id) in {o["id"] for o in s.township_options}
    await call(s.set_township, str(w.areas["zhujiajian"].id))
    assert {o["id"] for o in s.community_options} == {str(w.areas["c1"].id), str(w.areas["c2"].id)}
    await call(s.set_community, str(w.areas["c1"].id))
    await call(s.set_grid, str(w.areas["g1"].id))
    await call(s.set_channel, "phone")

    await call(s.set_content, "楼下饭店")
    await call(s.set_content, CONFIDENT_ENV)
    assert s.suggestion["code"] == "ENV" and s.suggestion["auto"] == "1" and "油烟" in s.suggestion["terms"]
    assert int(s.suggestion["confidence"]) >= 60

    before = case_count()
    form = {"nonce": s.nonce, "content": CONFIDENT_ENV, "requester_name": "李女士", "requester_phone": "138 0000 2222", "requester_address": "c1社区1号"}
    events = await call(s.submit, form)
    case = db(lambda x: x.exec(select(Case).order_by(Case.id.desc())).first())
    assert redirect_path(events) == f"/cases/{case.code}"
    assert case_count() == before + 1
    assert case.channel == "phone" and case.grid_id == w.areas["g1"].id and case.requester_phone == "13800002222"
    assert case.status == CaseStatus.ROUTED and case.auto_accepted
    assert s.errors == {} and s.content == "" and s.suggestion == {}

    # the same form sent twice (a double click) makes one case
    await call(s.submit, form)
    assert case_count() == before + 1


@pytest.mark.anyio
async def test_intake_errors_stand_next_to_their_field_and_nothing_is_written(state_db, token):
    w = state_db
    _, s = await state(CaseNewState, token("dispatcher_zhujiajian"), "/cases/new")
    await call(s.load)
    assert s.cascade == "community" and s.fixed_label == "朱家尖街道"
    before = case_count()
    base = {"content": unique(), "requester_name": "张三", "requester_phone": "13800003333", "requester_address": ""}

    await call(s.submit, {**base, "nonce": s.nonce})
    assert s.errors == {"grid_id": "请选择所在网格"}
    await call(s.set_community, str(w.areas["c2"].id))
    assert s.grid == str(w.areas["g3"].id)  # the only grid is chosen for the user
    await call(s.submit, {**base, "nonce": s.nonce, "requester_phone": "12345"})
    assert list(s.errors) == ["requester_phone"] and "手机号码" in s.errors["requester_phone"]
    await call(s.submit, {**base, "nonce": s.nonce, "content": "啊"})
    assert list(s.errors) == ["content"]
    await call(s.submit, {**base, "nonce": s.nonce, "requester_name": "名" * 40})
    assert list(s.errors) == ["requester_name"]
    await call(s.submit, {**base, "nonce": s.nonce, "content": ["not", "text"]})
    assert list(s.errors) == ["content"]
    assert case_count() == before

    # a grid outside this dispatcher's township is never offered nor accepted
    await call(s.set_grid, str(w.areas["g4"].id))
    assert s.grid == str(w.areas["g3"].id)


def _visit(world, grid: str) -> Visit:
    def go(x):
        hh = world.households[grid][0]
        v = Visit(household_id=hh.id, user_id=world.users["member"].id, team_id=world.teams[grid].id, visited_on=date.today(), created_at=now())
        x.add(v)
        x.commit()
        return v

    return db(go)


@pytest.mark.anyio
async def test_member_raises_a_case_from_a_visit_in_their_grid_only(state_db, token):
    w = state_db
    visit = _visit(w, "g1")
    hh = w.households["g1"][0]
    _, s = await state(CaseNewState, token("member"), f"/cases/new?visit={visit.id}&household={hh.id}")
    await call(s.load)
    assert s.cascade == "fixed" and s.grid == str(w.areas["g1"].id) and s.channel == "visit"
    assert s.requester_name == hh.representative and hh.address in s.link_label
    await call(s.set_channel, "desk")  # a visit's case stays a visit's
    assert s.channel == "visit"
    text = unique("路灯坏了好几天，晚上出行不安全")
    await call(s.set_content, text)
    events = await call(s.submit, {"nonce": s.nonce, "content": text, "requester_name": hh.representative, "requester_phone": hh.phone, "requester_address": hh.address})
    case = db(lambda x: x.exec(select(Case).where(Case.content == text)).one())
    assert redirect_path(events) == f"/cases/{case.code}"
    assert (case.visit_id, case.requester_household_id, case.channel) == (visit.id, hh.id, "visit")

    # another team's visit, or a household of another grid: refused, no link kept
    other = _visit(w, "g4")
    for path in (f"/cases/new?visit={other.id}", f"/cases/new?household={w.households['g4'][0].id}", "/cases/new?visit=abc"):
        _, s = await state(CaseNewState, token("member"), path)
        events = await call(s.load)
        assert toasts(events) and s.link_label == "" and s.requester_name == "" and s.channel == "visit", path
        assert s.grid == str(w.areas["g1"].id)


# ----------------------------------------------------------------------------
# /cases/[code]
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_detail_offers_only_allowed_actions_and_runs_one(state_db, token):
    w = state_db
    case = submit(w, unique())
    _, s = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(s.load)
    assert s.error == "" and s.case["code"] == case.code and s.case["status"] == "submitted"
    names = [a["name"] for a in s.actions]
    assert names == C.allowed_actions(w.actors["dispatcher"], fetch_case(case.code))
    assert "accept" in names and "sign" not in names and "resolve" not in names
    assert s.requester == {"name": "王小明", "phone": PHONE, "address": "", "masked": ""}
    assert [e["action_key"] for e in s.timeline] == ["cases.action.submit"]

    await call(s.open_action, "sign")  # not offered: no dialog
    assert s.dialog == ""
    await call(s.open_action, "accept")
    assert s.dialog == "accept"
    events = await call(s.submit_action, {"category_code": "ENV", "promise_text": "", "note": "电话核实"})
    assert toasts(events) and s.dialog == "" and s.case["status"] == "accepted"
    assert [e["action_key"] for e in s.timeline] == ["cases.action.submit", "cases.action.accept"]
    assert "route" in [a["name"] for a in s.actions] and s.countdown_key == "cases.countdown.days_left"

    await call(s.open_action, "route")
    await call(s.submit_action, {"department_id": "none", "note": ""})  # the category's department
    stored = fetch_case(case.code)
    assert stored.status == CaseStatus.ROUTED and stored.department_id == w.ref.department_ids["ENV"]
    assert s.case["department"] == "生态环境局"
    assert db(lambda x: x.exec(select(func.count()).select_from(Sms).where(Sms.case_id == stored.id)).one()) >= 1


@pytest.mark.anyio
async def test_a_stale_version_is_refused_with_a_refresh(state_db, token):
    w = state_db
    case = submit(w, unique())
    _, s = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(s.load)
    # someone else accepts it meanwhile
    db(lambda x: C.accept_case(x, actor=w.actors["dispatcher_zhujiajian"], case_id=case.id, expected_version=case.version, category_code="ENV"))
    events_before = db(lambda x: x.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)).one())

    await call(s.open_action, "reject")
    events = await call(s.submit_action, {"reason": "不属于政府职能范围"})
    assert s.stale and s.dialog_errors == {"form": STALE} and says(events, STALE)
    assert fetch_case(case.code).status == CaseStatus.ACCEPTED
    assert db(lambda x: x.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)).one()) == events_before

    await call(s.refresh)
    assert not s.stale and s.dialog == "" and s.case["status"] == "accepted"
    assert "reject" not in [a["name"] for a in s.actions]


@pytest.mark.anyio
async def test_field_errors_of_an_action_show_in_its_dialog(state_db, token):
    w = state_db
    case = submit(w, unique())
    _, s = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(s.load)
    await call(s.open_action, "reject")
    await call(s.submit_action, {"reason": "x"})
    assert list(s.dialog_errors) == ["reason"] and s.dialog == "reject"
    await call(s.submit_action, {"reason": {"$gt": ""}})
    assert list(s.dialog_errors) == ["reason"]
    await call(s.open_action, "mark_duplicate")
    await call(s.submit_action, {"duplicate_of_code": "ZS1; drop table case"})
    assert list(s.dialog_errors) == ["duplicate_of_code"]
    await call(s.submit_action, {"duplicate_of_code": case.code})
    assert s.dialog_errors == {"duplicate_of_code": "不能标记为与自身重复"}
    assert fetch_case(case.code).version == case.version


@pytest.mark.anyio
async def test_leader_sees_the_requester_masked_and_other_scopes_see_nothing(state_db, token):
    w = state_db
    case = submit(w, unique(), grid="g1")
    _, s = await state(CaseDetailState, token("leader_zhujiajian"), f"/cases/{case.code}")
    await call(s.load)
    assert s.requester["masked"] == "1" and s.requester["name"] == "王**" and s.requester["phone"] == "138****5678"
    assert {a["name"] for a in s.actions} <= {"supervise", "comment", "add_note"}

    root, s = await state(CaseDetailState, token("leader_changguo"), f"/cases/{case.code}")
    await call(s.load)
    assert s.error == "您无权查看该诉求" and s.case == {} and s.requester == {} and s.timeline == []
    assert PHONE not in json.dumps(root.dict(), default=str)


@pytest.mark.anyio
async def test_department_signs_resolves_and_dispatcher_evaluates(state_db, token):
    w = state_db
    case = submit(w, unique(CONFIDENT_ENV))
    _, dept = await state(CaseDetailState, token("dept_env"), f"/cases/{case.code}")
    await call(dept.load)
    assert [a["name"] for a in dept.actions][:2] == ["sign", "return"]
    await call(dept.open_action, "sign")
    await call(dept.submit_action, {})
    await call(dept.open_action, "request_extension")
    await call(dept.submit_action, {"days": "20", "reason": "需协调"})
    assert list(dept.dialog_errors) == ["days"]
    await call(dept.close_dialog, False)
    await call(dept.open_action, "resolve")
    await call(dept.submit_action, {"result_text": "已责令饭店安装油烟净化器"})
    assert dept.case["status"] == "resolved" and dept.case["result_text"] == "已责令饭店安装油烟净化器"

    _, disp = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(disp.load)
    await call(disp.open_action, "evaluate")
    await call(disp.submit_action, {"satisfaction": "satisfied", "score": "9"})
    assert list(disp.dialog_errors) == ["score"]
    await call(disp.submit_action, {"satisfaction": "very", "score": "5"})
    assert list(disp.dialog_errors) == ["satisfaction"]
    await call(disp.submit_action, {"satisfaction": "satisfied", "score": "5", "comment": ""})
    assert disp.case["status"] == "closed" and disp.case["score"] == "5"
    actions = [e["action_key"].rsplit(".", 1)[1] for e in disp.timeline]
    assert actions == ["submit", "accept", "route", "sign", "resolve", "evaluate"]


@pytest.mark.anyio
async def test_leader_decides_an_extension_request(state_db, token):
    w = state_db
    case = submit(w, unique(CONFIDENT_ENV))
    dept = w.actors["dept_env"]

    def ask(x):
        c = C.sign_case(x, actor=dept, case_id=case.id, expected_version=fetch_case(case.code).version)
        return C.request_extension(x, actor=dept, case_id=c.id, expected_version=c.version, days=3, reason="需要协调多个部门")

    db(ask)
    _, s = await state(CaseDetailState, token("leader"), f"/cases/{case.code}")
    await call(s.load)
    assert "decide_extension" in [a["name"] for a in s.actions]
    assert {"key": "cases.badge.extension_pending", "color": "amber"} in s.badges and s.case["extension_days"] == "3"
    old_deadline = fetch_case(case.code).deadline
    await call(s.open_action, "decide_extension")
    await call(s.submit_action, {"approve": "maybe", "note": ""})
    assert list(s.dialog_errors) == ["approve"]
    await call(s.submit_action, {"approve": "yes", "note": "同意"})
    stored = fetch_case(case.code)
    assert stored.extended and stored.deadline > old_deadline
    assert {"key": "cases.badge.extended", "color": "purple"} in s.badges and "decide_extension" not in [a["name"] for a in s.actions]


@pytest.mark.anyio
async def test_department_loses_the_case_after_returning_it(state_db, token):
    w = state_db
    case = submit(w, unique(CONFIDENT_ENV))
    _, dept = await state(CaseDetailState, token("dept_env"), f"/cases/{case.code}")
    await call(dept.load)
    await call(dept.open_action, "return")
    events = await call(dept.submit_action, {"reason": "不属于本部门职责"})
    assert toasts(events) and dept.case == {} and dept.error == "该诉求已不在您的工作范围内"
    assert fetch_case(case.code).status == CaseStatus.ACCEPTED


# ----------------------------------------------------------------------------
# Who may call what
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_forbidden_roles_and_anonymous_clients_get_access_denied(state_db, token):
    w = state_db
    case = submit(w, unique())
    before = case_count()

    root, new = await state(CaseNewState, token("leader"), "/cases/new")
    assert not await guard_allows(root, CaseNewState, "submit")
    for handler, args in ((new.load, ()), (new.set_content, ("油烟",)), (new.submit, ({"nonce": new.nonce, "content": "油烟扰民"},))):
        with pytest.raises(AccessDenied):
            await call(handler, *args)
    _, dept_new = await state(CaseNewState, token("dept_env"), "/cases/new")
    with pytest.raises(AccessDenied):
        await call(dept_new.load)

    root, lst = await state(CaseListState, None)
    assert not await guard_allows(root, CaseListState, "load")
    with pytest.raises(AccessDenied):
        await call(lst.load)
    assert lst.rows == []

    root, det = await state(CaseDetailState, None, f"/cases/{case.code}")
    assert not await guard_allows(root, CaseDetailState, "submit_action")
    for handler, args in ((det.load, ()), (det.open_action, ("accept",)), (det.submit_action, ({"reason": "x"},))):
        with pytest.raises(AccessDenied):
            await call(handler, *args)
    assert det.case == {} and case_count() == before and fetch_case(case.code).version == case.version

    # the right roles pass the middleware
    for username, cls, handler in (("dispatcher", CaseNewState, "submit"), ("member", CaseNewState, "load"), ("leader", CaseListState, "load"), ("dept_env", CaseDetailState, "submit_action")):
        root, _ = await state(cls, token(username))
        assert await guard_allows(root, cls, handler), (username, handler)


@pytest.mark.anyio
async def test_garbage_arguments_never_crash_a_handler(state_db, token):
    w = state_db
    case = submit(w, unique())
    garbage = [None, 7, 3.5, True, [], {}, {"a": 1}, "", "x" * 5000, "../../etc/passwd", "__class__", "1 or 1=1"]

    _, lst = await state(CaseListState, token("dispatcher"))
    await call(lst.load)
    await call(lst.set_view, "all")
    snapshot = (lst.status, lst.category, lst.department, lst.area1, lst.sort, lst.view, lst.overdue_only)
    for g in garbage:
        for handler in (lst.set_view, lst.set_status, lst.set_category, lst.set_department, lst.set_area1, lst.set_area2, lst.set_sort, lst.go_page):
            await call(handler, g)
        if g is not True:
            await call(lst.set_overdue_only, g)
        await call(lst.search, g)
    assert (lst.status, lst.category, lst.department, lst.area1, lst.sort, lst.view, lst.overdue_only) == snapshot
    await call(lst.search, {"q": "x" * 101})
    await call(lst.search, {"q": "", "from": "2026-12-01", "to": "2026-11-01"})
    assert lst.text == "" and lst.date_from == ""

    _, new = await state(CaseNewState, token("dispatcher"), "/cases/new")
    await call(new.load)
    before = case_count()
    for g in garbage:
        for handler in (new.set_channel, new.set_content, new.set_category_override, new.set_township, new.set_community, new.set_grid):
            await call(handler, g)
        await call(new.submit, g)
    assert new.channel == "desk" and new.township == "none" and case_count() == before

    _, det = await state(CaseDetailState, token("dispatcher"), "/cases/../../etc")
    await call(det.load)
    assert det.error and det.case == {}
    for path in ("/cases/ZS2026", "/cases/zs20261126000100000", "/cases/" + "9" * 40):
        _, det = await state(CaseDetailState, token("dispatcher"), path)
        await call(det.load)
        assert det.error and det.case == {}, path
    _, det = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(det.load)
    for g in garbage:
        await call(det.open_action, g)
        assert det.dialog == ""
        await call(det.submit_action, g)
    await call(det.open_action, "evaluate")  # not offered on a submitted case
    assert det.dialog == ""
    await call(det.open_action, "accept")
    for g in [g for g in garbage if g not in (None, "")]:  # None / "" would mean "the suggested category"
        await call(det.submit_action, {"category_code": g, "promise_text": g, "note": g})
        assert det.dialog_errors, g
    assert fetch_case(case.code).version == case.version


@pytest.mark.anyio
async def test_a_drilldown_link_keeps_its_date_basis(state_db, token):
    """A dashboard card opens /cases counting by accept date; the badge says so and can be cleared."""
    _, s = await state(CaseListState, token("leader"), "/cases?from=2026-01-01&to=2026-12-31&basis=accepted")
    await call(s.load)
    assert s.date_basis == "accepted" and s.filtered and s.notice == ""
    await call(s.clear_date_basis)
    assert s.date_basis == "submitted" and s.date_from == "2026-01-01"
    _, s = await state(CaseListState, token("leader"), "/cases?basis=whenever")
    await call(s.load)
    assert s.date_basis == "submitted" and "日期口径" in s.notice


@pytest.mark.anyio
async def test_search_box_works_on_every_tab_and_finds_phones_for_roles_that_see_them(state_db, token):
    """Issue 15: a dispatcher searches within the triage tab (code, content,
    caller's phone) without being thrown onto 全部; a leader, who sees phones
    masked, cannot find a case by its phone."""
    import random

    from rxapp.domain import queries as Q

    w = state_db
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
    mine = submit(w, unique(), requester_phone=phone)
    other = submit(w, unique())
    assert mine.status == other.status == CaseStatus.SUBMITTED

    root, s = await state(CaseListState, token("dispatcher"))
    await call(s.load)
    assert s.view == "triage" and s.phone_search
    await call(s.search, {"q": mine.code})
    assert s.view == "triage" and [r["code"] for r in s.rows] == [mine.code] and s.total == 1
    await call(s.search, {"q": phone[-8:-4] + "-" + phone[-4:]})  # digits of the phone, a dash typed in
    assert s.view == "triage" and mine.code in {r["code"] for r in s.rows} and other.code not in {r["code"] for r in s.rows}
    await call(s.clear_text)
    assert s.text == "" and s.view == "triage" and s.total == int(s.view_counts["triage"].rstrip("+"))
    await call(s.set_view, "all")
    await call(s.search, {"q": phone})
    assert [r["code"] for r in s.rows] == [mine.code]
    assert all(phone not in json.dumps(r) for r in s.rows)  # found by it, not shown in the rows

    _, lead = await state(CaseListState, token("leader"))
    await call(lead.load)
    assert not lead.phone_search
    await call(lead.search, {"q": phone})
    assert lead.total == 0
    await call(lead.search, {"q": mine.code})
    assert [r["code"] for r in lead.rows] == [mine.code]
    # the domain's rule, for every role
    for name, sees in (("dispatcher", True), ("admin", True), ("dept_env", True), ("member", True), ("leader", False)):
        assert Q.may_search_phone(w.actors[name]) is sees, name
