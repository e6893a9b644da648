"""The deny-by-default middleware and the per-handler checks, for every role."""

import pytest

from rxapp.domain.errors import AccessDenied
from rxapp.state.base import AppState, UiState
from rxapp.state.home import HomeState
from rxapp.state.login import LoginState
from tests.state.helpers import guard_allows, root_with_cookie, set_cookie

ROLES = ["admin", "leader", "dispatcher", "dept_env", "member"]


@pytest.mark.anyio
async def test_anonymous_client_cannot_send_private_events(state_db):
    root = root_with_cookie(None)
    assert not await guard_allows(root, HomeState, "load")
    # public states and the sign-in check stay reachable
    assert await guard_allows(root, UiState, "toggle_locale")
    assert await guard_allows(root, LoginState, "load")
    assert await guard_allows(root, AppState, "load_user")


@pytest.mark.anyio
@pytest.mark.parametrize("username", ROLES)
async def test_every_staff_role_reaches_its_workbench(state_db, login_token, username):
    root = root_with_cookie(login_token(username))
    assert await guard_allows(root, HomeState, "load")
    home = await root.get_state(HomeState)
    await home.load()
    assert home.loaded


@pytest.mark.anyio
async def test_unknown_and_malformed_event_names_are_dropped(state_db, login_token):
    root = root_with_cookie(login_token("admin"))
    for name in ["", "x", "nonexistent_state.handler", ".", "reflex___state____state.rxapp___nope.load"]:
        from reflex_base.event import Event

        from rxapp.state.guard import GuardMiddleware

        out = await GuardMiddleware().preprocess(app=None, state=root, event=Event(name=name, payload={}))
        assert out is not None


@pytest.mark.anyio
async def test_handler_checks_itself_even_without_the_middleware(state_db):
    root = root_with_cookie(None)
    home = await root.get_state(HomeState)
    with pytest.raises(AccessDenied):
        await home.load()
    assert not home.loaded


@pytest.mark.anyio
async def test_load_user_redirects_anonymous_to_login(state_db):
    root = root_with_cookie(None)
    app_state = await root.get_state(AppState)
    result = await app_state.load_user()
    assert result is not None and "login" in str(result)
    assert app_state.user_name == ""


@pytest.mark.anyio
async def test_private_state_is_reset_when_the_session_changes(state_db, login_token):
    """A tab token presented without that tab's session cookie gets nothing."""
    root = root_with_cookie(login_token("leader"))
    app_state = await root.get_state(AppState)
    await app_state.load_user()
    home = await root.get_state(HomeState)
    await home.load()
    assert app_state.user_name == "leader" and home.loaded

    # same tab state, but the socket now carries no session (logout / stolen token)
    set_cookie(root, None)
    await guard_allows(root, UiState, "toggle_locale")  # any event: the middleware runs first
    assert app_state.user_name == "" and app_state.user_role == ""
    assert not home.loaded and home.open_cases == 0

    # another user's cookie on the same tab token: the old user's data is gone too
    set_cookie(root, login_token("leader_putuo"))
    await app_state.load_user()
    assert app_state.area_name == "普陀区"
    set_cookie(root, login_token("member"))
    await guard_allows(root, HomeState, "load")
    assert app_state.area_name == ""


@pytest.mark.anyio
async def test_leaders_are_warned_when_next_years_holidays_are_missing(state_db, login_token):
    """chinesecalendar 1.11 stops at 2026: from November 2026 the 60-day horizon reaches 2027."""
    from datetime import datetime

    from sqlmodel import Session

    from rxapp.db import get_engine
    from rxapp.domain.overview import missing_schedule_warning

    with Session(get_engine()) as s:
        assert "2027年节假日安排尚未录入" in missing_schedule_warning(s, at=datetime(2026, 11, 27, 9, 0))
        assert missing_schedule_warning(s, at=datetime(2026, 3, 2, 9, 0)) == ""
        expected_now = missing_schedule_warning(s)
    root = root_with_cookie(login_token("leader_putuo"))
    home = await root.get_state(HomeState)
    await home.load()
    assert home.schedule_warning == "" and home.schedule_note == expected_now  # leaders: a quiet note, if any
    admin_home = await root_with_cookie(login_token("admin")).get_state(HomeState)
    await admin_home.load()
    assert admin_home.schedule_warning == expected_now  # administrators fix it: the warning
    member_root = root_with_cookie(login_token("member"))
    member_home = await member_root.get_state(HomeState)
    await member_home.load()
    assert member_home.schedule_warning == ""
