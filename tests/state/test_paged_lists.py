"""The one paged-list pattern (rxapp.state.paged): page jumps, page size,
sorting and filters, each validated, and the filters written to and read
back from the URL query, so a link (or Back) reopens a list as it was left."""

import re

import pytest

from rxapp.state.case_list import CaseListState
from rxapp.state.diary import DiaryListState
from rxapp.state.meetings import MeetingsState
from rxapp.state.paged import PagedList
from tests.state.test_cases_state import _js, at_page, call, state, submit, token, unique  # noqa: F401  (token: fixture)


def _urls(events) -> list[str]:
    return [_js(ev) for ev in events if "replaceState" in _js(ev)]


@pytest.mark.anyio
async def test_page_size_and_page_jump_are_validated_and_land_in_the_url(state_db, token):
    for _ in range(12):
        submit(state_db, unique())
    root, s = await state(CaseListState, token("dispatcher"), "/cases?view=all")
    await call(s.load)
    total = s.total
    assert total >= 12 and s.page_size == 20
    events = await call(s.set_page_size, "10")
    assert s.page_size == 10 and s.pages == -(-total // 10)
    assert any("size=10" in u and "view=all" in u for u in _urls(events))
    for bad in ("7", 0, -1, "x" * 50, None, True, {}, "1000"):
        await call(s.set_page_size, bad)
        assert s.page_size == 10, bad
    events = await call(s.jump_page, {"page": str(s.pages)})
    assert s.page == s.pages and any(f"page={s.pages}" in u for u in _urls(events))
    await call(s.jump_page, {"page": "999999"})  # past the end: the last page
    assert s.page == s.pages
    for bad in ({"page": "-3"}, {"page": "abc"}, None, [], {"page": {"x": 1}}):
        await call(s.jump_page, bad)
        assert s.page == s.pages, bad


@pytest.mark.anyio
async def test_a_list_link_restores_filters_sort_page_and_size(state_db, token):
    root, s = await state(CaseListState, token("leader"))
    await call(s.load)
    await call(s.set_status, "open")
    await call(s.set_sort, "deadline")
    events = await call(s.set_page_size, "50")
    [url] = _urls(events)
    query = re.search(r"\?([\w=&%.-]+)", url).group(1)
    assert "status=open" in query and "sort=deadline" in query and "size=50" in query

    # a new tab opening that address (or Back from a case) gets the same list
    _, again = await state(CaseListState, token("leader"), f"/cases?{query}")
    await call(again.load)
    assert (again.status, again.sort, again.page_size, again.notice) == ("open", "deadline", 50, "")
    assert again.total == s.total


@pytest.mark.anyio
async def test_filters_of_teamwork_lists_come_from_the_url_and_garbage_is_ignored(state_db, token):
    _, meetings = await state(MeetingsState, token("leader"), "/meetings?kind=household_rep&status=bogus&page=abc")
    await call(meetings.load)
    assert meetings.kind == "household_rep" and meetings.status == "all" and meetings.page == 1
    events = await call(meetings.set_filter, "status", "open")
    assert meetings.status == "open" and any("kind=household_rep" in u and "status=open" in u for u in _urls(events))
    for name, value in (("nope", "x"), ("kind", "../x"), (None, None), ("__class__", "open")):
        await call(meetings.set_filter, name, value)
    assert (meetings.kind, meetings.status) == ("household_rep", "open")

    _, diary = await state(DiaryListState, token("leader"), "/diary?month=1999-01")
    await call(diary.load)
    assert diary.month in diary.month_options  # a month the page does not offer: this month


def test_every_list_state_uses_the_one_pattern():
    from rxapp.state.admin import AdminSmsState, AdminTeamsState, AdminUsersState
    from rxapp.state.households import HouseholdsState

    for cls in (CaseListState, MeetingsState, DiaryListState, HouseholdsState, AdminUsersState, AdminTeamsState, AdminSmsState):
        assert issubclass(cls, PagedList), cls
        for handler in ("go_page", "jump_page", "set_page_size", "set_sort", "set_filter", "search"):
            assert handler in cls.event_handlers, (cls, handler)


@pytest.mark.anyio
async def test_admin_sms_log_is_searched_by_phone_code_day_direction_and_state(state_db, token):
    from datetime import datetime

    from rxapp.models import Sms
    from rxapp.state.admin import AdminSmsState
    from tests.state.test_cases_state import db

    case = submit(state_db, unique())

    def add(s):
        s.add(Sms(direction="in", phone="13966662222", text="路灯坏了" * 30, status="received", case_id=case.id, last_error=f"已立案 {case.code}", created_at=datetime(2026, 11, 3, 9)))
        s.add(Sms(direction="out", phone="13733334444", text="您的诉求已受理", status="failed", last_error="gateway down", created_at=datetime(2026, 11, 4, 9)))
        s.commit()

    db(add)
    _, s = await state(AdminSmsState, token("admin"), "/admin?tab=sms&phone=1396666")  # a prefix no other test sends to
    await call(s.load)
    assert [m["phone"] for m in s.messages] == ["13966662222"]
    await call(s.search, {"phone": "", "code": case.code[-6:], "day": "2026-11-03"})
    assert [m["case_code"] for m in s.messages] == [case.code]
    await call(s.search, {"phone": "", "code": "", "day": ""})
    await call(s.set_direction, "out")
    await call(s.set_sms_status, "failed")
    assert [m["phone"] for m in s.messages] == ["13733334444"]
    for bad in ("x" * 40, "../", None, {}):
        await call(s.set_sms_status, bad)
    assert s.sms_status == "failed"
    await call(s.search, {"phone": "abc", "code": "", "day": ""})  # refused by the domain: a toast, nothing half-set
    await call(s.set_direction, "all")
    await call(s.set_sms_status, "all")
    await call(s.search, {"phone": "", "code": "", "day": ""})
    row = next(m for m in s.messages if m["phone"] == "13966662222")
    await call(s.open_message, row["id"])
    assert s.opened["text"] == "路灯坏了" * 30  # the full text on click
    await call(s.open_message, "99999999")
    assert s.opened == {}


@pytest.mark.anyio
async def test_dispatcher_follow_up_queue_lists_resolved_cases_not_yet_followed_up_oldest_first(state_db, token):
    from datetime import datetime

    from rxapp.models import Case
    from tests.state.test_cases_state import db

    old, new, done = (submit(state_db, unique()) for _ in range(3))

    def resolve(s):
        for case, day, followed in ((old, 2, None), (new, 20, None), (done, 1, datetime(2026, 11, 3, 9))):
            row = s.get(Case, case.id)
            row.status, row.accepted_at, row.resolved_at, row.followed_up_at = "resolved", datetime(2026, 11, 1, 8), datetime(2026, 11, day, 9), followed
            s.add(row)
        s.commit()

    db(resolve)
    _, s = await state(CaseListState, token("dispatcher"))
    await call(s.load)
    assert "follow_up" in s.views and int(s.view_counts["follow_up"].rstrip("+")) >= 2
    await call(s.set_view, "follow_up")
    codes = [r["code"] for r in s.rows]
    assert old.code in codes and new.code in codes and done.code not in codes
    assert codes.index(old.code) < codes.index(new.code)  # oldest resolution first
    row = next(r for r in s.rows if r["code"] == old.code)
    assert row["deadline"] == "2026年11月5日"  # Mon 2 Nov + 3 working days

    _, leader = await state(CaseListState, token("leader"))
    await call(leader.load)
    assert "follow_up" not in leader.views
    await call(leader.set_view, "follow_up")
    assert leader.view != "follow_up"


@pytest.mark.anyio
async def test_dashboard_filters_live_in_the_url_and_come_back_from_it(state_db, token):
    from rxapp.state.dashboard import DashboardState

    _, d = await state(DashboardState, token("leader"), "/dashboard?period=this_month&category=env")
    await call(d.load)
    assert (d.period, d.category_code, d.error) == ("this_month", "ENV", "")
    events = await call(d.set_period, "last_month")
    assert any("period=last_month" in u and "category=ENV" in u for u in _urls(events))
    _, fresh = await state(DashboardState, token("leader"), "/dashboard")
    await call(fresh.load)
    assert fresh.period == "last_30_days" and fresh.category_code == ""  # the default, explained on the page
    _, bad = await state(DashboardState, token("leader"), "/dashboard?period=nope&area=x&department=1;drop")
    await call(bad.load)
    assert (bad.period, bad.area_id, bad.department_id) == ("last_30_days", 0, "")
