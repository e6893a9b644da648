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
