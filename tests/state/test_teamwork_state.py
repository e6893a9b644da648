"""/diary, /households and /meetings states driven as a client would
(REFLEX.md "Testing"): the member's day of visits, raising a case from a
visit, the leader's comment, the registry and the meetings; other roles' and
anonymous calls change nothing; garbage arguments never crash a handler."""

import inspect
import json
import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import Session, SQLModel, func, select

from rxapp.db import engine_for, get_engine, make_engine
from rxapp.domain import households as H
from rxapp.domain.access import actor_for
from rxapp.domain.auth import login
from rxapp.domain.clock import now, today
from rxapp.models import Case, Channel, Diary, Household, Meeting, MeetingItem, Resident, User, Visit
from rxapp.state.diary import DiaryDetailState, DiaryFormState, DiaryListState
from rxapp.state.households import HouseholdDetailState, HouseholdsState
from rxapp.state.meetings import MeetingDetailState, MeetingsState
from tests.factories import PASSWORD, make_world
from tests.state.helpers import guard_allows

ALL_STATES = (DiaryListState, DiaryFormState, DiaryDetailState, HouseholdsState, HouseholdDetailState, MeetingsState, MeetingDetailState)


@pytest.fixture(scope="module")
def tw_db(tmp_path_factory):
    """A committed SQLite file with the test world, reached through
    ``rxapp.db.get_engine()`` (``REFLEX_DB_URL``) as the app does."""
    url = f"sqlite:///{tmp_path_factory.mktemp('tw_state') / 'griddesk.db'}"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    with Session(eng, expire_on_commit=False) as s:
        w = make_world(s)
        s.commit()
        ids = SimpleNamespace(
            users={n: u.id for n, u in w.users.items()},
            teams={n: t.id for n, t in w.teams.items()},
            areas={n: a.id for n, a in w.areas.items()},
            households={g: [h.id for h in hs] for g, hs in w.households.items()},
        )
    eng.dispose()
    old = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = url
    engine_for.cache_clear()
    yield ids
    get_engine().dispose()
    if old is None:
        os.environ.pop("REFLEX_DB_URL", None)
    else:
        os.environ["REFLEX_DB_URL"] = old
    engine_for.cache_clear()


@pytest.fixture(scope="module")
def tokens(tw_db):
    cache: dict[str, str] = {}

    def token(username: str) -> str:
        if username not in cache:
            with Session(get_engine()) as s:
                cache[username] = login(s, username=username, password=PASSWORD).token
        return cache[username]

    return token


def root_at(token: str | None, path: str = "/") -> rx.State:
    root = rx.State()
    root.router = RouterData.from_router_data(
        {"headers": {"cookie": f"gd_session={token}" if token else ""}, "pathname": path, "asPath": path}
    )
    return root


async def state(cls, token: str | None, path: str = "/"):
    root = root_at(token, path)
    return root, await root.get_state(cls)


async def call(handler, *args):
    """Run a handler as Reflex would; the events it returned or yielded (a list)."""
    result = handler(*args)
    if inspect.isasyncgen(result):
        out = [ev async for ev in result]
    else:
        out = await result
        out = out if isinstance(out, list) else [out]
    return [ev for ev in out if ev is not None]


def db(fn):
    with Session(get_engine(), expire_on_commit=False) as s:
        return fn(s)


def kinds(events) -> list[str]:
    """'error' / 'success' for each toast, 'redirect' for a redirect."""
    out = []
    for ev in events:
        blob = repr(ev)
        if "toast" in blob:
            out.append("error" if '["error"]' in blob else "success")
        elif "redirect" in blob:
            out.append("redirect")
        else:
            out.append("?")
    return out


def count(model, *where) -> int:
    return db(lambda s: s.exec(select(func.count()).select_from(model).where(*where)).one())


# ----------------------------------------------------------------------------
# The member's day: diary with two visits, a case from one, the leader's comment
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_member_logs_a_day_raises_a_case_and_sees_the_leaders_comment(tw_db, tokens):
    member = tokens("member")
    _, listing = await state(DiaryListState, member, "/diary")
    await call(listing.load)
    before_visits, before_diaries = listing.sum_visits, listing.sum_diaries
    assert listing.is_member and [a["id"] for a in listing.activity] == [str(tw_db.teams["g1"])]

    _, form = await state(DiaryFormState, member, "/diary/new")
    await call(form.load)
    assert {h["id"] for h in form.households} == {str(i) for i in tw_db.households["g1"]}
    assert form.day == today().isoformat()
    h1, h2 = (str(i) for i in tw_db.households["g1"][:2])
    await call(form.add_household, h1)
    await call(form.add_household, h2)
    await call(form.add_household, h2)  # once only
    await call(form.set_note, h1, "反映楼道灯不亮")
    assert [p["id"] for p in form.pending] == [h1, h2] and form.pending[0]["note"] == "反映楼道灯不亮"
    assert all(m["id"] not in (h1, h2) for m in form.matches)

    # refused next to the field, nothing written
    events = await call(form.submit, {"day": (today() + timedelta(days=1)).isoformat(), "heard": "路灯坏了", "done": "", "followups": ""})
    assert form.errors == {"day": "日记日期不能晚于今天"} and kinds(events)[-1] == "error"
    await call(form.submit, {"day": today().isoformat(), "heard": "  ", "done": "", "followups": ""})
    assert set(form.errors) == {"heard"}
    await call(form.submit, {"day": today().isoformat(), "heard": "民" * 2001, "done": "", "followups": ""})
    assert "不能超过2000个字" in form.errors["heard"]
    assert count(Diary) == 0

    events = await call(form.submit, {"day": today().isoformat(), "heard": "楼道灯不亮，老人晚上出行不便", "done": "已联系物业", "followups": "周五回访"})
    assert form.errors == {} and form.pending == []
    diary_id = db(lambda s: s.exec(select(Diary.id)).one())
    assert count(Visit, Visit.diary_id == diary_id) == 2

    await call(listing.load)
    assert listing.sum_visits == before_visits + 2 and listing.sum_diaries == before_diaries + 1
    assert listing.rows[0]["id"] == str(diary_id) and listing.rows[0]["visits"] == "2"

    # raise a case from the first visit
    _, detail = await state(DiaryDetailState, member, f"/diary/{diary_id}")
    await call(detail.load)
    assert detail.found and detail.is_author and detail.can_raise_case and not detail.can_comment
    visit = detail.visits[0]
    await call(detail.open_raise, visit["id"])
    assert detail.raise_visit == visit["id"] and detail.raise_content == "反映楼道灯不亮"
    events = await call(detail.submit_raise, {"content": "", "requester_name": detail.raise_name, "requester_phone": detail.raise_phone})
    assert set(detail.raise_errors) == {"content"} and count(Case) == 0
    await call(detail.submit_raise, {"content": "3号楼楼道灯不亮，请物业维修", "requester_name": detail.raise_name, "requester_phone": detail.raise_phone})
    case = db(lambda s: s.exec(select(Case)).one())
    assert case.channel == Channel.VISIT and case.visit_id == int(visit["id"]) and case.requester_household_id == int(visit["household_id"])
    assert detail.raised_code == case.code and detail.raise_visit == ""
    assert [c["code"] for c in detail.visit_cases] == [case.code]

    # the township leader comments; the member sees it
    _, lead = await state(DiaryDetailState, tokens("leader_zhujiajian"), f"/diary/{diary_id}")
    await call(lead.load)
    assert lead.can_comment and not lead.can_raise_case
    assert lead.visits[0]["representative"] != visit["representative"]  # masked for leaders
    await call(lead.submit_comment, {"comment": "x"})
    assert lead.comment_error == "点评内容至少2个字"
    await call(lead.submit_comment, {"comment": "走访细致，请盯紧路灯维修"})
    assert lead.diary["comment"] == "走访细致，请盯紧路灯维修" and lead.comment_error == ""
    await call(detail.load)
    assert detail.diary["comment"] == "走访细致，请盯紧路灯维修" and detail.diary["commented_by"] == "leader_zhujiajian"
    await call(listing.load)
    assert [c["id"] for c in listing.comments] == [str(diary_id)]


@pytest.mark.anyio
async def test_other_teams_and_roles_get_nothing_from_a_diary(tw_db, tokens):
    member = tokens("member")
    _, form = await state(DiaryFormState, member, "/diary/new")
    await call(form.load)
    await call(form.add_household, str(tw_db.households["g1"][2]))
    await call(form.submit, {"day": today().isoformat(), "heard": "停车难", "done": "", "followups": ""})
    diary_id = db(lambda s: s.exec(select(Diary.id).order_by(Diary.id.desc())).first())

    for who in ("member_g4", "leader_changguo"):
        _, other = await state(DiaryDetailState, tokens(who), f"/diary/{diary_id}")
        events = await call(other.load)
        assert not other.found and other.diary == {} and kinds(events) == ["error"], who
    # a leader in scope cannot raise cases; a member cannot comment
    root, lead = await state(DiaryDetailState, tokens("leader_zhujiajian"), f"/diary/{diary_id}")
    await call(lead.load)
    lead.visits  # loaded
    assert not await guard_allows(root, DiaryFormState, "submit")
    before = count(Case)
    await call(lead.open_raise, lead.visits[0]["id"])
    assert lead.raise_visit == ""
    await call(lead.submit_raise, {"content": "越权登记的诉求"})
    assert count(Case) == before
    _, mine = await state(DiaryDetailState, member, f"/diary/{diary_id}")
    await call(mine.load)
    await call(mine.submit_comment, {"comment": "自己点评自己"})
    assert db(lambda s: s.get(Diary, diary_id).leader_comment) == ""


@pytest.mark.anyio
async def test_garbage_arguments_never_crash_a_handler(tw_db, tokens):
    member = tokens("member")
    _, form = await state(DiaryFormState, member, "/diary/new")
    await call(form.load)
    for garbage in (None, 7, {"id": "1"}, ["1"], "x" * 100, str(tw_db.households["g4"][0])):
        await call(form.add_household, garbage)
        await call(form.remove_household, garbage)
        await call(form.set_note, garbage, garbage)
        await call(form.set_query, garbage)
    assert form.pending == []
    before = count(Diary)
    for bad in (None, "text", 5, ["a"], {"day": {"$gt": 1}, "heard": ["x"]}):
        await call(form.submit, bad)
    assert count(Diary) == before

    _, listing = await state(DiaryListState, member, "/diary")
    await call(listing.load)
    for bad in (None, "2026-13", {"m": 1}, "../../etc"):
        await call(listing.set_month, bad)
        await call(listing.pick_team, bad)
        await call(listing.pick_member, bad)
        await call(listing.go_page, bad)
        await call(listing.set_area, bad)
    assert listing.month in listing.month_options

    for path in ("/diary/abc", "/diary/0", "/diary/99999999999", "/diary/2147483646"):
        _, d = await state(DiaryDetailState, member, path)
        await call(d.load)
        assert not d.found
        await call(d.open_raise, "1")
        await call(d.submit_raise, {"content": "无效"})
        await call(d.submit_add, {"household_id": "1"})
    _, hh = await state(HouseholdsState, member, "/households")
    await call(hh.load)
    for bad in (None, 3, {"skill": ["焊工"]}, {"skill": "x" * 30}, {"query": {"a": 1}}):
        await call(hh.search_skill, bad)
        await call(hh.search, bad)
        await call(hh.submit_create, bad)
    _, meetings = await state(MeetingsState, member, "/meetings")
    await call(meetings.load)
    for bad in (None, 3, {"kind": "x"}, {"held_on": ["x"]}):
        await call(meetings.submit_create, bad)
        await call(meetings.set_kind, bad)


@pytest.mark.anyio
async def test_anonymous_and_wrong_roles_are_denied_by_the_guard(tw_db, tokens):
    anon = root_at(None)
    for cls in ALL_STATES:
        assert not await guard_allows(anon, cls, "load"), cls
    dispatcher = root_at(tokens("dispatcher"))
    dept = root_at(tokens("dept_env"))
    for cls in ALL_STATES:
        assert not await guard_allows(dispatcher, cls, "load"), cls
        assert not await guard_allows(dept, cls, "load"), cls
    leader = root_at(tokens("leader_zhujiajian"))
    assert not await guard_allows(leader, DiaryFormState, "submit")
    assert await guard_allows(leader, DiaryListState, "load")
    # the handlers check again themselves
    _, s = await state(DiaryListState, None, "/diary")
    events = await call(s.load)
    assert s.rows == [] and kinds(events) == ["error"]
    _, f = await state(DiaryFormState, tokens("leader_zhujiajian"), "/diary/new")
    await call(f.load)
    assert f.households == []
    before = count(Diary)
    await call(f.submit, {"day": today().isoformat(), "heard": "越权"})
    assert count(Diary) == before


# ----------------------------------------------------------------------------
# Households and skills
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_member_keeps_households_and_residents(tw_db, tokens):
    member = tokens("member")
    _, hh = await state(HouseholdsState, member, "/households")
    await call(hh.load)
    assert hh.can_create and not hh.is_leader and hh.total >= 3
    assert {r["representative"] for r in hh.rows} >= {"g1户主1"}
    await call(hh.open_create)
    await call(hh.submit_create, {"representative": "", "address": "新村1号"})
    assert set(hh.create_errors) == {"representative"} and hh.create_open
    events = await call(hh.submit_create, {"representative": "陈新户", "address": "朱家尖新村1号", "phone": "13900002222", "size": "2", "needs": "独居老人", "notes": "", "grid_id": str(tw_db.areas["g4"])})
    new = db(lambda s: s.exec(select(Household).where(Household.representative == "陈新户")).one())
    assert new.grid_id == tw_db.areas["g1"] and not hh.create_open  # the client's grid is ignored for a member
    assert any("redirect" in repr(e).lower() for e in events) or events

    _, d = await state(HouseholdDetailState, member, f"/households/{new.id}")
    await call(d.load)
    assert d.found and d.can_edit and not d.masked and d.household["phone"] == "13900002222"
    await call(d.open_resident, "new")
    await call(d.submit_resident, {"name": "陈焊工", "gender": "男", "birth_year": "1975", "relation": "本人", "phone": "", "skills": "焊工、电工", "specialties": "", "party_member": "on"})
    assert [r["skills"] for r in d.residents] == ["焊工 电工"] and d.residents[0]["party"] == "1"
    await call(d.open_resident, d.residents[0]["id"])
    await call(d.submit_resident, {**d.resident_form, "birth_year": "1800", "gender": "男"})
    assert set(d.resident_errors) == {"birth_year"}
    await call(d.open_edit)
    version = d.household["version"]
    # someone else saves first
    db(lambda s: H.update_household(s, actor=actor_for(s, s.get(User, tw_db.users["member"])), household_id=new.id, data={"notes": "抢先修改"}, expected_version=version))
    await call(d.submit_edit, {"representative": "陈新户", "address": "朱家尖新村1号", "phone": "13900002222", "size": "3", "needs": "", "notes": "晚到"})
    assert d.edit_errors == {"form": "已被他人修改，请刷新后重试"}
    assert db(lambda s: s.get(Household, new.id).notes) == "抢先修改"


@pytest.mark.anyio
async def test_leader_searches_skills_masked_and_cannot_edit(tw_db, tokens):
    db(lambda s: (s.add(Resident(household_id=tw_db.households["g2"][0], grid_id=tw_db.areas["g2"], name="林焊工", skills="焊工", phone="13911112222", created_at=now())), s.commit()))
    _, hh = await state(HouseholdsState, tokens("leader_putuo"), "/households")
    await call(hh.load)
    assert hh.is_leader and not hh.can_create
    assert all("****" in r["phone"] or r["phone"] == "" for r in hh.rows)
    await call(hh.search_skill, {"skill": "焊工"})
    assert hh.skill_total >= 1
    row = next(r for r in hh.skill_rows if r["skills"] == "焊工" and r["township"] == "朱家尖街道")
    assert row["name"] != "林焊工" and "****" in row["phone"] and row["team"].endswith("服务团队")
    assert hh.export_href.startswith("/api/export/teamwork/skills.xlsx?skill=")
    await call(hh.set_skill_area, str(tw_db.areas["g4"]))  # outside 普陀区: not an offered option
    assert hh.skill_area == "all"
    hid = tw_db.households["g2"][0]
    _, d = await state(HouseholdDetailState, tokens("leader_putuo"), f"/households/{hid}")
    await call(d.load)
    assert d.found and d.masked and not d.can_edit
    before = db(lambda s: s.get(Household, hid).version)
    await call(d.submit_edit, {"notes": "领导改的"})
    await call(d.submit_resident, {"name": "领导加的"})
    assert db(lambda s: s.get(Household, hid).version) == before
    assert "13911112222" not in json.dumps(d.dict(), default=str)


# ----------------------------------------------------------------------------
# Meetings
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_member_records_a_meeting_tracks_items_and_closes_it(tw_db, tokens):
    member = tokens("member")
    _, ms = await state(MeetingsState, member, "/meetings")
    await call(ms.load)
    await call(ms.open_create)
    await call(ms.set_create_kind, "enterprise")
    await call(ms.submit_create, {"held_on": today().isoformat(), "place": "街道会议室", "host": "街道主任"})
    assert set(ms.create_errors) == {"service_area"}
    await call(ms.set_create_kind, "household_rep")
    await call(ms.submit_create, {"held_on": today().isoformat(), "place": "", "host": "书记"})
    assert set(ms.create_errors) == {"place"}
    await call(ms.submit_create, {"held_on": today().isoformat(), "place": "c1社区会议室", "host": "社区书记", "attendees": "户代表"})
    meeting = db(lambda s: s.exec(select(Meeting).order_by(Meeting.id.desc())).first())
    assert meeting.kind == "household_rep" and meeting.area_id == tw_db.areas["c1"]

    _, md = await state(MeetingDetailState, member, f"/meetings/{meeting.id}")
    await call(md.load)
    assert md.found and md.can_edit and md.can_raise_case
    await call(md.submit_item, {"text": "小区停车难", "raised_by": "5号楼户代表"})
    await call(md.submit_item, {"text": "河道垃圾漂浮，气味大", "raised_by": "王大伯"})
    await call(md.submit_item, {"text": "", "raised_by": ""})
    assert md.item_error == "请填写议题内容" and md.counts["total"] == "2"
    first, second = md.items
    await call(md.open_answer, first["id"])
    await call(md.submit_answer, {"answer": "夜间开放学校操场停车"})
    await call(md.open_raise, second["id"])
    assert md.raise_text == "河道垃圾漂浮，气味大" and md.raise_name == "王大伯"
    await call(md.submit_raise, {"content": md.raise_text, "requester_name": md.raise_name, "requester_phone": ""})
    case = db(lambda s: s.exec(select(Case).where(Case.meeting_item_id == int(second["id"]))).one())
    assert case.channel == Channel.MEETING
    assert [i["stand"] for i in md.items] == ["answered", "in_progress"]
    assert md.counts == {"total": "2", "answered": "1", "in_progress": "1", "overdue": "0"}

    await call(md.open_close)
    await call(md.submit_close, {"minutes": "", "attendees_count": "20"})
    assert set(md.close_errors) == {"minutes"}
    await call(md.submit_close, {"minutes": "讨论停车和河道问题", "attendees_count": ""})
    assert set(md.close_errors) == {"attendees_count"}
    await call(md.submit_close, {"minutes": "讨论停车和河道问题", "attendees_count": "20"})
    assert md.meeting["status"] == "closed" and not md.can_edit

    await call(ms.load)
    row = next(r for r in ms.rows if r["id"] == str(meeting.id))
    assert (row["answered"], row["in_progress"], row["overdue"]) == ("1", "1", "0")
    assert db(lambda s: s.get(MeetingItem, int(second["id"])).case_id) == case.id


@pytest.mark.anyio
async def test_other_grids_cannot_touch_a_teams_meeting(tw_db, tokens):
    meeting_id = db(lambda s: s.exec(select(Meeting.id).where(Meeting.team_id == tw_db.teams["g1"])).first())
    if meeting_id is None:
        _, ms = await state(MeetingsState, tokens("member"), "/meetings")
        await call(ms.load)
        await call(ms.submit_create, {"held_on": today().isoformat(), "place": "会议室", "host": "书记"})
        meeting_id = db(lambda s: s.exec(select(Meeting.id).where(Meeting.team_id == tw_db.teams["g1"])).first())
    items = count(MeetingItem, MeetingItem.meeting_id == meeting_id)
    for who in ("member_g4", "leader_changguo"):
        _, md = await state(MeetingDetailState, tokens(who), f"/meetings/{meeting_id}")
        await call(md.load)
        assert not md.found, who
        await call(md.submit_item, {"text": "越权议题"})
    assert count(MeetingItem, MeetingItem.meeting_id == meeting_id) == items
