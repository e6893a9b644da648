"""/admin states driven as a client would (REFLEX.md "Testing"): an
administrator's handlers work; a leader's, a member's and an anonymous
client's calls change nothing; garbage arguments never crash a handler."""

import inspect
import json
import os
from types import SimpleNamespace

import pytest
from sqlmodel import Session, SQLModel, func, select

from rxapp.db import engine_for, get_engine, make_engine
from rxapp.domain import admin as A
from rxapp.domain.auth import login
from rxapp.domain.security import token_digest
from rxapp.models import ApiKey, AuditLog, Category, HolidaySchedule, Role, Team, User
from rxapp.state.admin import (
    AdminApiKeysState,
    AdminCategoriesState,
    AdminHolidaysState,
    AdminSmsState,
    AdminState,
    AdminTeamsState,
    AdminUsersState,
)
from tests.factories import PASSWORD, make_world
from tests.state.helpers import guard_allows, root_with_cookie

STALE = "已被他人修改，请刷新后重试"
ADMIN_STATES = (AdminState, AdminUsersState, AdminCategoriesState, AdminTeamsState, AdminHolidaysState, AdminApiKeysState, AdminSmsState)


@pytest.fixture(scope="module")
def admin_db(tmp_path_factory):
    """A committed SQLite file holding the test world; the state code reaches it
    through ``rxapp.db.get_engine()`` (``REFLEX_DB_URL``) as the app does."""
    url = f"sqlite:///{tmp_path_factory.mktemp('admin_state') / 'griddesk.db'}"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    with Session(eng, expire_on_commit=False) as s:
        w = make_world(s)
        s.commit()
        ids = SimpleNamespace(
            users={name: u.id for name, u in w.users.items()},
            teams={name: t.id for name, t in w.teams.items()},
            areas={name: a.id for name, a in w.areas.items()},
            categories=dict(w.ref.category_ids),
            departments=dict(w.ref.department_ids),
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
def tokens(admin_db):
    """One real login per demo user, made once (Argon2 is slow on purpose)."""
    cache: dict[str, str] = {}

    def token(username: str) -> str:
        if username not in cache:
            with Session(get_engine()) as s:
                cache[username] = login(s, username=username, password=PASSWORD).token
        return cache[username]

    return token


async def call(handler, *args):
    """Run a handler as Reflex would, coroutine or async generator; the last
    event it returned or yielded (None when none)."""
    result = handler(*args)
    if inspect.isasyncgen(result):
        events = [ev async for ev in result]
        events = [ev for ev in events if ev is not None]
        return events[-1] if events else None
    return await result


def db(fn):
    with Session(get_engine(), expire_on_commit=False) as s:
        return fn(s)


def audit_count() -> int:
    return db(lambda s: s.exec(select(func.count()).select_from(AuditLog)).one())


def toast(event) -> tuple[str, str]:
    """(kind, js) of an ``rx.toast`` event a handler returned."""
    js = event.args[0][1]._js_expr
    kind = "error" if '["error"]' in js else "success" if '["success"]' in js else "?"
    return kind, js


def says(event, text: str) -> bool:
    return json.dumps(text) in toast(event)[1]


async def state(cls, token: str | None):
    root = root_with_cookie(token)
    return root, await root.get_state(cls)


def no_secrets(root) -> None:
    dumped = json.dumps(root.dict(), default=str)
    assert "$argon2" not in dumped
    for h in db(lambda s: s.exec(select(ApiKey.key_hash)).all()):
        assert h not in dumped


# ----------------------------------------------------------------------------
# The administrator
# ----------------------------------------------------------------------------
@pytest.mark.anyio
async def test_admin_page_load_fills_choices_and_opens_the_users_tab(admin_db, tokens):
    root, page = await state(AdminState, tokens("admin"))
    nxt = await call(page.load_page)
    assert nxt.fn.__qualname__ == "AdminUsersState.load"
    assert page.scope_options[0]["level"] == "city" and page.township_options and page.department_options
    assert [r["year"] for r in page.schedule] and all(r["source"] in ("official", "package", "missing") for r in page.schedule)
    users = await root.get_state(AdminUsersState)
    await call(users.load)
    assert users.total >= len(admin_db.users) and {u["username"] for u in users.users} >= {"admin", "leader"}
    assert not users.loading
    no_secrets(root)


@pytest.mark.anyio
async def test_every_tab_loads_for_admin(admin_db, tokens):
    root, _ = await state(AdminState, tokens("admin"))
    for cls in (AdminCategoriesState, AdminTeamsState, AdminHolidaysState, AdminApiKeysState, AdminSmsState):
        s = await root.get_state(cls)
        steps = s.load()
        assert await steps.__anext__() is None and s.loading, cls  # the spinner goes out first
        assert [ev async for ev in steps] == [] and not s.loading, cls
    assert len((await root.get_state(AdminCategoriesState)).categories) == 14
    assert (await root.get_state(AdminTeamsState)).total == 4
    assert len((await root.get_state(AdminHolidaysState)).years) == 2
    no_secrets(root)


@pytest.mark.anyio
async def test_set_tab_switches_and_loads_only_known_tabs(admin_db, tokens):
    _, page = await state(AdminState, tokens("admin"))
    url, ev = await call(page.set_tab, "teams")
    assert page.tab == "teams" and ev.fn.__qualname__ == "AdminTeamsState.load"
    assert "/admin?tab=teams" in str(url.args[0][1]._js_expr)  # the tab is in the address bar
    for garbage in ["../users", {"tab": "sms"}, None, 7]:
        assert await call(page.set_tab, garbage) is None
    assert page.tab == "teams"


@pytest.mark.anyio
async def test_admin_creates_a_member_through_the_dialog(admin_db, tokens):
    root, s = await state(AdminUsersState, tokens("admin"))
    await call(s.load_page)
    await call(s.open_create)
    await call(s.set_form_role, Role.MEMBER)
    await call(s.set_form_township, str(admin_db.areas["zhujiajian"]))
    assert {o["id"] for o in s.team_options} == {str(admin_db.teams[g]) for g in ("g1", "g2", "g3")}
    await call(s.set_form_team, str(admin_db.teams["g2"]))
    before = audit_count()
    ev = await call(s.submit_create, 
        {"username": "state_member", "display_name": "状态成员", "phone": "13900001111", "password": "long-enough-1"}
    )
    assert toast(ev)[0] == "success" and s.dialog == "" and s.errors == {}
    user = db(lambda x: x.exec(select(User).where(User.username == "state_member")).one())
    assert user.role == Role.MEMBER and user.team_id == admin_db.teams["g2"] and user.scope_area_id == admin_db.areas["g2"]
    assert audit_count() == before + 1
    assert "long-enough-1" not in json.dumps(root.dict(), default=str)
    no_secrets(root)


@pytest.mark.anyio
async def test_create_user_errors_are_shown_next_to_their_field(admin_db, tokens):
    _, s = await state(AdminUsersState, tokens("admin"))
    await call(s.open_create)
    await call(s.set_form_role, Role.LEADER)
    await call(s.set_form_scope, str(admin_db.areas["putuo"]))
    form = {"username": "admin", "display_name": "重名", "phone": "", "password": "long-enough-1"}
    ev = await call(s.submit_create, form)
    assert s.errors == {"username": "用户名已存在"} and toast(ev)[0] == "error" and s.dialog == "create"
    await call(s.set_form_scope, "none")
    await call(s.submit_create, {**form, "username": "no_scope"})
    assert s.errors == {"scope_area_id": "请选择管辖区域"}
    await call(s.submit_create, {**form, "username": "short_pw", "password": "1234"})
    assert set(s.errors) == {"password"}
    assert db(lambda x: x.exec(select(User).where(User.username.in_(["no_scope", "short_pw"]))).all()) == []


@pytest.mark.anyio
async def test_edit_user_with_a_stale_version_reports_the_conflict(admin_db, tokens):
    _, s = await state(AdminUsersState, tokens("admin"))
    await call(s.search, {"query": "leader_changguo"})
    [row] = s.users
    await call(s.open_edit, row["id"])
    assert s.dialog == "edit" and s.edit_display_name == "leader_changguo"
    # another administrator saves first
    db(lambda x: A.update_user(x, actor=A.cli_actor(), user_id=row["id"], data={"display_name": "抢先"}, expected_version=row["version"]))
    ev = await call(s.submit_edit, {"display_name": "晚到"})
    assert says(ev, STALE) and s.dialog == "edit"
    assert db(lambda x: x.get(User, int(row["id"])).display_name) == "抢先"
    # after a refresh the edit goes through
    await call(s.load)
    await call(s.open_edit, row["id"])
    ev = await call(s.submit_edit, {"display_name": "晚到"})
    assert toast(ev)[0] == "success" and db(lambda x: x.get(User, int(row["id"])).display_name) == "晚到"


@pytest.mark.anyio
async def test_disable_enable_and_reset_password(admin_db, tokens):
    _, s = await state(AdminUsersState, tokens("admin"))
    target_token = tokens("dispatcher_zhujiajian")
    await call(s.search, {"query": "dispatcher_zhujiajian"})
    [row] = s.users
    ev = await call(s.set_active, row["id"], row["version"], False)
    assert toast(ev)[0] == "success" and s.users[0]["active"] == ""
    _, other = await state(AdminUsersState, target_token)
    assert await other.current_actor() is None  # the disabled user's session ended
    ev = await call(s.set_active, s.users[0]["id"], s.users[0]["version"], True)
    assert s.users[0]["active"] == "1"
    await call(s.open_reset, row["id"])
    assert s.reset_username == "dispatcher_zhujiajian"
    ev = await call(s.submit_reset, {"new_password": "fresh-pass-1", "confirm": "different"})
    assert s.reset_error == "两次输入的密码不一致" and s.reset_id == row["id"]
    ev = await call(s.submit_reset, {"new_password": "fresh-pass-1", "confirm": "fresh-pass-1"})
    assert toast(ev)[0] == "success" and s.reset_id == ""
    assert db(lambda x: login(x, username="dispatcher_zhujiajian", password="fresh-pass-1")).token


@pytest.mark.anyio
async def test_admin_cannot_disable_themselves_from_the_page(admin_db, tokens):
    _, s = await state(AdminUsersState, tokens("admin"))
    await call(s.search, {"query": "admin"})
    me = next(u for u in s.users if u["username"] == "admin")
    ev = await call(s.set_active, me["id"], me["version"], False)
    assert says(ev, "不能停用自己的账号")
    assert db(lambda x: x.get(User, admin_db.users["admin"]).active)


@pytest.mark.anyio
async def test_category_save_normalises_keywords_and_a_stale_save_toasts(admin_db, tokens):
    _, s = await state(AdminCategoriesState, tokens("admin"))
    await call(s.load)
    row = next(c for c in s.categories if c["code"] == "LEGAL")
    form = {"id": row["id"], "version": row["version"], "department_id": row["department_id"], "deadline_workdays": "4", "keywords": "法律咨询:3，合同  遗嘱"}
    ev = await call(s.save, form)
    assert toast(ev)[0] == "success"
    cat = db(lambda x: x.get(Category, int(row["id"])))
    assert cat.keywords == "法律咨询:3、合同、遗嘱" and cat.deadline_workdays == 4
    new_row = next(c for c in s.categories if c["id"] == row["id"])
    assert new_row["version"] == str(int(row["version"]) + 1) and new_row["key"] != row["key"]
    ev = await call(s.save, {**form, "deadline_workdays": "6"})  # the old version again
    assert says(ev, STALE) and s.row_errors[row["id"]] == STALE
    assert db(lambda x: x.get(Category, int(row["id"])).deadline_workdays) == 4
    ev = await call(s.save, {**form, "version": new_row["version"], "keywords": "坏:9"})
    assert toast(ev)[0] == "error" and "权重" in s.row_errors[row["id"]]


@pytest.mark.anyio
async def test_teams_filter_rename_and_create(admin_db, tokens):
    root, s = await state(AdminTeamsState, tokens("admin"))
    await call(s.load_page)
    await call(s.set_township, str(admin_db.areas["changguo"]))
    assert s.total == 1 and s.teams[0]["members"] == "0"
    await call(s.set_township, "../etc")  # not a township: ignored
    assert s.township == str(admin_db.areas["changguo"]) and s.total == 1
    await call(s.set_township, "all")
    assert s.township == "all" and s.total == 4
    team = s.teams[0]
    await call(s.open_rename, team["id"])
    ev = await call(s.submit_rename, {"name": "", "leader_name": "x"})
    assert s.rename_errors == {"name": "请填写名称"} and toast(ev)[0] == "error"
    ev = await call(s.submit_rename, {"name": "海岛先锋", "leader_name": "王组长"})
    assert toast(ev)[0] == "success" and s.rename_id == ""
    assert db(lambda x: x.get(Team, int(team["id"])).name) == "海岛先锋"
    await call(s.open_create)
    await call(s.set_create_township, str(admin_db.areas["zhujiajian"]))
    assert s.grid_options == []  # every grid of the test world has a team
    ev = await call(s.submit_create, {"name": "x", "leader_name": ""})
    assert s.create_errors == {"grid_id": "请选择一个网格"}


@pytest.mark.anyio
async def test_holiday_schedule_saved_from_the_page_becomes_official(admin_db, tokens):
    _, s = await state(AdminHolidaysState, tokens("admin"))
    await call(s.load)
    nxt = s.years[-1]
    year = int(nxt["year"])
    ev = await call(s.save, {"year": nxt["year"], "text": f"{year}-13-01 休"})
    assert toast(ev)[0] == "error" and "第1行" in s.errors[nxt["year"]]
    ev = await call(s.save, {"year": nxt["year"], "text": f"{year}-01-01 休 元旦\n{year}-10-01~{year}-10-03 休 国庆节"})
    assert toast(ev)[0] == "success" and nxt["year"] not in s.errors
    assert s.years[-1]["source"] == "official" and s.missing_next_year == ""
    assert db(lambda x: x.get(HolidaySchedule, year)) is not None
    ev = await call(s.save, {"year": "1999", "text": "1999-01-01 休"})  # not a year the page shows
    assert toast(ev)[0] == "error" and db(lambda x: x.get(HolidaySchedule, 1999)) is None


@pytest.mark.anyio
async def test_api_key_is_shown_once_stored_hashed_and_revocable(admin_db, tokens):
    root, s = await state(AdminApiKeysState, tokens("admin"))
    await call(s.load)
    ev = await call(s.issue, {"name": "", "rate_limit_per_minute": "600"})
    assert s.errors == {"name": "请填写名称"} and s.issued_key == ""
    await call(s.issue, {"name": "12345 热线", "rate_limit_per_minute": "120"})
    plain = s.issued_key
    assert plain and s.issued_name == "12345 热线" and s.errors == {}
    key = db(lambda x: x.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(plain))).one())
    assert key.prefix == plain[:8] and key.rate_limit_per_minute == 120
    row = next(k for k in s.keys if k["id"] == str(key.id))
    assert plain not in json.dumps(s.keys)
    await call(s.close_issued, False)
    assert s.issued_key == "" and plain not in json.dumps(root.dict(), default=str)
    await call(s.ask_revoke, row["id"])
    assert s.revoke_name == "12345 热线"
    ev = await call(s.confirm_revoke, row["id"])
    assert toast(ev)[0] == "success" and db(lambda x: x.get(ApiKey, key.id).revoked_at) is not None


@pytest.mark.anyio
async def test_sms_log_pages(admin_db, tokens):
    _, s = await state(AdminSmsState, tokens("admin"))
    await call(s.load)
    assert s.messages == [] and s.total == 0 and s.pages == 1
    await call(s.go_page, 5)
    assert s.page == 1


# ----------------------------------------------------------------------------
# Everyone else
# ----------------------------------------------------------------------------
def _calls(ids) -> list[tuple[type, str, tuple]]:
    """Every admin handler with arguments an administrator might send."""
    uid, cat = str(ids.users["leader_changguo"]), str(ids.categories["ENV"])
    return [
        (AdminState, "load_page", ()),
        (AdminState, "set_tab", ("sms",)),
        (AdminUsersState, "load", ()),
        (AdminUsersState, "search", ({"query": "a"},)),
        (AdminUsersState, "go_page", (1,)),
        (AdminUsersState, "open_create", ()),
        (AdminUsersState, "set_form_role", (Role.MEMBER,)),
        (AdminUsersState, "set_form_township", (str(ids.areas["zhujiajian"]),)),
        (AdminUsersState, "submit_create", ({"username": "intruder", "display_name": "x", "password": "long-enough-1"},)),
        (AdminUsersState, "submit_edit", ({"display_name": "x"},)),
        (AdminUsersState, "set_active", (uid, "1", False)),
        (AdminUsersState, "unlock", (uid,)),
        (AdminUsersState, "submit_reset", ({"new_password": "hijacked-1", "confirm": "hijacked-1"},)),
        (AdminCategoriesState, "load", ()),
        (AdminCategoriesState, "save", ({"id": cat, "version": "1", "department_id": "1", "deadline_workdays": "60", "keywords": ""},)),
        (AdminTeamsState, "load", ()),
        (AdminTeamsState, "set_township", ("all",)),
        (AdminTeamsState, "submit_rename", ({"name": "被改", "leader_name": ""},)),
        (AdminTeamsState, "set_create_township", (str(ids.areas["zhujiajian"]),)),
        (AdminHolidaysState, "load", ()),
        (AdminHolidaysState, "save", ({"year": "2030", "text": "2030-01-01 休"},)),
        (AdminApiKeysState, "load", ()),
        (AdminApiKeysState, "issue", ({"name": "stolen", "rate_limit_per_minute": "600"},)),
        (AdminApiKeysState, "confirm_revoke", ("1",)),
        (AdminSmsState, "load", ()),
        (AdminSmsState, "go_page", (1,)),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("who", ["leader", "member", "dept_env", None])
async def test_non_admin_calls_change_nothing_and_see_nothing(admin_db, tokens, who):
    token = tokens(who) if who else None
    root = root_with_cookie(token)
    # even with tab state pointing at a real user, key and team
    users = await root.get_state(AdminUsersState)
    users.edit_id, users.edit_version, users.reset_id = str(admin_db.users["leader_changguo"]), "1", str(admin_db.users["leader_changguo"])
    teams = await root.get_state(AdminTeamsState)
    teams.rename_id = str(admin_db.teams["g1"])
    before_audits = audit_count()
    before_hash = db(lambda x: x.get(User, admin_db.users["leader_changguo"]).password_hash)
    for cls, handler, args in _calls(admin_db):
        s = await root.get_state(cls)
        result = await call(getattr(s, handler), *args)
        assert result is not None and toast(result)[0] == "error", (cls.__name__, handler)
        assert says(result, "请先登录" if who is None else "无权执行此操作"), (cls.__name__, handler)
    assert audit_count() == before_audits
    assert db(lambda x: x.get(User, admin_db.users["leader_changguo"]).password_hash) == before_hash
    assert db(lambda x: x.exec(select(User).where(User.username == "intruder")).first()) is None
    # nothing private was loaded into the tab
    assert users.users == [] and users.team_options == []
    assert (await root.get_state(AdminCategoriesState)).categories == []
    assert (await root.get_state(AdminApiKeysState)).issued_key == ""
    assert (await root.get_state(AdminState)).scope_options == []
    assert teams.grid_options == [] and teams.teams == []


@pytest.mark.anyio
@pytest.mark.parametrize("who", ["leader", "dispatcher", "member", None])
async def test_guard_middleware_denies_admin_events_to_others(admin_db, tokens, who):
    root = root_with_cookie(tokens(who) if who else None)
    for cls in ADMIN_STATES:
        assert not await guard_allows(root, cls, "load" if cls is not AdminState else "load_page"), cls


@pytest.mark.anyio
async def test_guard_middleware_lets_the_admin_through(admin_db, tokens):
    root = root_with_cookie(tokens("admin"))
    for cls in ADMIN_STATES:
        assert await guard_allows(root, cls, "load" if cls is not AdminState else "load_page"), cls


GARBAGE = [None, 987654, -1, True, "abc", "", "x" * 5000, {"$ne": 1}, [1, 2], 1.5]


@pytest.mark.anyio
async def test_garbage_arguments_never_crash_a_handler(admin_db, tokens):
    root = root_with_cookie(tokens("admin"))
    before = audit_count()
    for cls, handler, args in _calls(admin_db):
        s = await root.get_state(cls)
        fn = getattr(s, handler)
        for g in GARBAGE:
            call_args = tuple(g for _ in args) if args else ()
            await call(fn, *call_args)  # no exception
            if args and isinstance(args[0], dict):
                await call(fn, {k: g for k in args[0]})
                await call(fn, {k: g for k in ("id", "version", "year", "new_password", "confirm", "name")})
    users = await root.get_state(AdminUsersState)
    for g in GARBAGE:
        await call(users.open_edit, g)
        await call(users.open_reset, g)
        await call(users.set_form_scope, g)
        await call(users.set_form_department, g)
        await call(users.set_form_team, g)
        await call(users.close_dialog, g)
    assert users.form_role in Role.ALL
    keys = await root.get_state(AdminApiKeysState)
    for g in GARBAGE:
        await call(keys.ask_revoke, g)
    assert audit_count() == before
