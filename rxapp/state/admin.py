"""/admin — users, categories, teams, holiday schedule, API keys, SMS log.

``AdminState`` holds what every tab shares (the tab, the choices for the
selects, the holiday-schedule warning); each tab is a substate, so an event
loads only its own tab. Every handler

* starts with ``actor = await self.require("admin")`` (the guard middleware
  checks too; neither trusts the other),
* treats every argument as untrusted (ids as strings or garbage, form data
  as a dict of anything) and lets the domain validate it,
* runs the domain in a thread (``run_db``) and reports with ``rx.toast``; a
  ``DomainError`` (also ``AccessDenied``) never escapes a handler.

No password, hash or key digest is kept in a var. The one secret that is
sent — a freshly issued API key — lives in a var only until its dialog closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import reflex as rx

from rxapp.domain import admin as A
from rxapp.domain.clock import today
from rxapp.domain.errors import DomainError
from rxapp.i18n import local_name, translate
from rxapp.models import AreaLevel, Role
from rxapp.state.base import AppState, UiState, access, run_db
from rxapp.state.paged import ALL, Filter, PagedList, filter_setter

ADMIN = ("admin",)
TABS = ("users", "categories", "teams", "holidays", "api_keys", "sms", "classify")
NONE = "none"  # a select's "nothing chosen" (Radix items cannot have the value "")
MAX_FORM_TEXT = 20_000


# ----------------------------------------------------------------------------
# Small helpers: untrusted values in, display strings out
# ----------------------------------------------------------------------------
def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _choice(value: Any) -> str:
    """A select's value as sent by a client: a short string, else "nothing"."""
    return value if isinstance(value, str) and 0 < len(value) <= 16 else NONE


def _opt_id(value: str) -> str | None:
    return None if value in (NONE, ALL, "") else value


def _form(form_data: Any) -> Mapping[str, Any]:
    if not isinstance(form_data, Mapping):
        raise DomainError("参数无效", "form")
    return form_data


def _field(form: Mapping[str, Any], key: str) -> Any:
    """A form value: strings pass (the domain checks them), anything else is
    handed on as is so the domain refuses it with the field's name."""
    value = form.get(key, "")
    if isinstance(value, str) and len(value) > MAX_FORM_TEXT:
        raise DomainError("输入内容过长", key)
    return value


def _choices(rows: list[A.Choice]) -> list[dict[str, str]]:
    return [{"id": str(c.id), "label": c.label, "level": c.level} for c in rows]


@access(ADMIN)
class AdminState(AppState):
    tab: str = "users"
    scope_options: list[dict[str, str]] = []  # city, districts, townships
    township_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []
    schedule: list[dict[str, str]] = []  # {year, source}
    missing_next_year: str = ""  # "2027" when next year's schedule is missing

    async def _t(self, key: str, **params: Any) -> str:
        ui = await self.get_state(UiState)
        return translate(key, ui.lang, **params)

    @staticmethod
    def _fail(exc: DomainError):
        return rx.toast.error(exc.message)

    async def _ok(self, key: str, **params: Any):
        return rx.toast.success(await self._t(key, **params))

    async def _refresh_shared(self, actor) -> None:
        lang = await self.ui_lang()

        def fetch(s):
            return (
                A.scope_choices(s, actor=actor),
                A.department_choices(s, actor=actor, lang=lang),
                A.schedule_status(s, today()),
            )

        scopes, deps, schedule = await run_db(fetch)
        self.scope_options = _choices(scopes)
        self.township_options = [c for c in _choices(scopes) if c["level"] == AreaLevel.TOWNSHIP]
        self.department_options = _choices(deps)
        self.schedule = [{"year": str(y), "source": src} for y, src in schedule]
        nxt = schedule[-1]
        self.missing_next_year = str(nxt[0]) if nxt[1] == "missing" else ""

    @rx.event
    async def load_page(self):
        """on_load of /admin: the shared choices, then the open tab."""
        try:
            actor = await self.require("admin")
            await self._refresh_shared(actor)
        except DomainError as exc:
            return self._fail(exc)
        linked = self.router.url.query_parameters.get("tab", "")
        if linked in TABS:  # a link (or Back) names the tab
            self.tab = linked
        return TAB_LOADERS[self.tab if self.tab in TABS else "users"]()

    @rx.event
    async def set_tab(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        if not isinstance(value, str) or value not in TABS:
            return None
        self.tab = value
        return [rx.call_script(f"window.history.replaceState(window.history.state, '', '/admin?tab={value}')"), TAB_LOADERS[value]()]


class AdminListTab(PagedList, mixin=True):
    """A paged list tab of /admin: its query in the URL beside ``tab``."""

    LIST_ROLES: ClassVar[tuple[str, ...]] = ADMIN
    LIST_TAB: ClassVar[str] = ""

    def _list_url_extra(self) -> dict[str, str]:
        return {"tab": self.LIST_TAB}

    @rx.event
    async def load(self):
        """The tab opens: the query of a link to it (validated), then its rows."""
        try:
            actor = await self.require(*ADMIN)
        except DomainError as exc:
            yield self._fail(exc)
            return
        params = dict(self.router.url.query_parameters)
        if params.get("tab") == self.LIST_TAB:
            self._list_reset()
            self._list_from_url(params)
        async for ev in self._list_reload(actor, first_page=False, url=False):
            yield ev


class AdminFetchTab(rx.State, mixin=True):
    """A whole-table tab of /admin (no paging): ``load`` shows the spinner,
    then ``_fetch`` fills the rows; ``_before_load`` clears per-tab state."""

    def _before_load(self) -> None:
        return None

    async def _fetch(self, actor) -> None:
        raise NotImplementedError

    @rx.event
    async def load(self):
        try:
            actor = await self.require("admin")
            self._before_load()
            self.loading = True
            yield
            await self._fetch(actor)
        except DomainError as exc:
            self.loading = False
            yield self._fail(exc)


# ----------------------------------------------------------------------------
# 用户
# ----------------------------------------------------------------------------
def _user_row(r: A.UserRow, departments: dict[str, str]) -> dict[str, str]:
    return {
        "id": str(r.id),
        "username": r.username,
        "display_name": r.display_name,
        "role": r.role,
        "role_key": f"role.{r.role}" if r.role in Role.ALL else "role.member",
        "phone": r.phone,
        "scope_id": _s(r.scope_area_id),
        "scope_name": r.scope_name,
        "scope_level": r.scope_level,
        "team_id": _s(r.team_id),
        "team_name": r.team_name,
        "team_township_id": _s(r.team_township_id),
        "department_id": _s(r.department_id),
        "department_name": departments.get(_s(r.department_id), r.department_name),  # in the UI's language
        "active": "1" if r.active else "",
        "locked": "1" if r.locked else "",
        "version": str(r.version),
        "created_at": _when(r.created_at),
    }


USER_FIELDS = ("username", "display_name", "role", "scope_area_id", "team_id", "department_id", "phone", "password")


@access(ADMIN)
class AdminUsersState(AdminListTab, AdminState):
    LIST_TAB = "users"
    LIST_FILTERS = (Filter("query", kind="text", label="查询条件"),)
    users: list[dict[str, str]] = []
    query: str = ""

    # create / edit dialog ("" = closed)
    dialog: str = ""
    edit_id: str = ""
    edit_version: str = ""
    edit_username: str = ""
    edit_display_name: str = ""
    edit_phone: str = ""
    form_role: str = Role.LEADER
    form_scope: str = NONE
    form_department: str = NONE
    form_township: str = NONE
    form_team: str = NONE
    team_options: list[dict[str, str]] = []
    extra_scope: list[dict[str, str]] = []  # the edited user's scope when it is below township
    errors: dict[str, str] = {}

    # reset-password dialog
    reset_id: str = ""
    reset_username: str = ""
    reset_error: str = ""

    @rx.var
    def form_scope_options(self) -> list[dict[str, str]]:
        return self.extra_scope + self.scope_options

    async def _list_fetch(self, actor) -> None:
        query, page, size = self.query, self.page, self.page_size
        rows, total = await run_db(lambda s: A.list_users(s, actor=actor, query=query, page=page, page_size=size))
        departments = {o["id"]: o["label"] for o in self.department_options}
        self.users = [_user_row(r, departments) for r in rows]
        self.total = total

    # -- the create / edit dialog --------------------------------------------
    def _clear_form(self) -> None:
        self.errors = {}
        self.edit_id = self.edit_version = self.edit_username = self.edit_display_name = self.edit_phone = ""
        self.form_role = Role.LEADER
        self.form_scope = self.form_department = self.form_township = self.form_team = NONE
        self.team_options = []
        self.extra_scope = []

    @rx.event
    async def open_create(self):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self._clear_form()
        self.dialog = "create"

    @rx.event
    async def open_edit(self, user_id: Any):
        try:
            actor = await self.require("admin")
            row = next((u for u in self.users if u["id"] == user_id), None) if isinstance(user_id, str) else None
            if row is None:
                raise DomainError("用户不存在，请刷新后重试", "user_id")
            self._clear_form()
            self.edit_id, self.edit_version = row["id"], row["version"]
            self.edit_username, self.edit_display_name, self.edit_phone = row["username"], row["display_name"], row["phone"]
            self.form_role = row["role"] if row["role"] in Role.ALL else Role.LEADER
            self.form_scope = row["scope_id"] or NONE
            self.form_department = row["department_id"] or NONE
            self.form_team = row["team_id"] or NONE
            self.form_township = row["team_township_id"] or NONE
            if row["scope_id"] and all(o["id"] != row["scope_id"] for o in self.scope_options):
                self.extra_scope = [{"id": row["scope_id"], "label": row["scope_name"], "level": row["scope_level"]}]
            if self.form_township != NONE:
                await self._load_teams(actor)
            self.dialog = "edit"
        except DomainError as exc:
            return self._fail(exc)

    @rx.event
    async def close_dialog(self, open_: Any = False):
        if open_ is True:
            return
        self.dialog = ""
        self._clear_form()

    @rx.event
    async def set_form_role(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        if isinstance(value, str) and value in Role.ALL:
            self.form_role = value
            self.errors = {}

    @rx.event
    async def set_form_scope(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self.form_scope = _choice(value)

    @rx.event
    async def set_form_department(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self.form_department = _choice(value)

    @rx.event
    async def set_form_team(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self.form_team = _choice(value)

    async def _load_teams(self, actor) -> None:
        township = _opt_id(self.form_township)
        if township is None:
            self.team_options = []
            return
        rows = await run_db(lambda s: A.team_choices(s, actor=actor, township_id=township))
        self.team_options = _choices(rows)

    @rx.event
    async def set_form_township(self, value: Any):
        try:
            actor = await self.require("admin")
            self.form_township = _choice(value)
            self.form_team = NONE
            await self._load_teams(actor)
        except DomainError as exc:
            self.team_options = []
            return self._fail(exc)

    def _show_error(self, exc: DomainError):
        field = exc.field if exc.field in USER_FIELDS or exc.field == "new_password" else "form"
        self.errors = {field: exc.message}
        return self._fail(exc)

    def _shape(self) -> dict[str, Any]:
        return {
            "role": self.form_role,
            "scope_area_id": _opt_id(self.form_scope),
            "department_id": _opt_id(self.form_department),
            "team_id": _opt_id(self.form_team),
        }

    @rx.event
    async def submit_create(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            data = {
                "username": _field(form, "username"),
                "display_name": _field(form, "display_name"),
                "phone": _field(form, "phone"),
                "password": _field(form, "password"),
                **self._shape(),
            }
            user = await run_db(lambda s: A.create_user(s, actor=actor, data=data))
            self.dialog = ""
            self._clear_form()
            await self._list_fetch(actor)
            return await self._ok("admin.users.created", name=user.username)
        except DomainError as exc:
            return self._show_error(exc)

    @rx.event
    async def submit_edit(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            user_id, version = self.edit_id, self.edit_version
            data = {"display_name": _field(form, "display_name"), **self._shape()}
            if data["role"] == Role.MEMBER:
                data.pop("scope_area_id")  # a member's scope follows the team's grid
            await run_db(lambda s: A.update_user(s, actor=actor, user_id=user_id, data=data, expected_version=version))
            self.dialog = ""
            self._clear_form()
            await self._list_fetch(actor)
            return await self._ok("common.saved")
        except DomainError as exc:
            return self._show_error(exc)

    # -- row actions -----------------------------------------------------------
    @rx.event
    async def set_active(self, user_id: Any, version: Any, active: Any):
        try:
            actor = await self.require("admin")
            await run_db(
                lambda s: A.set_user_active(s, actor=actor, user_id=user_id, active=active, expected_version=version)
            )
            await self._list_fetch(actor)
            return await self._ok("admin.users.enabled" if active is True else "admin.users.disabled_done")
        except DomainError as exc:
            return self._fail(exc)

    @rx.event
    async def unlock(self, user_id: Any):
        try:
            actor = await self.require("admin")
            await run_db(lambda s: A.unlock_user(s, actor=actor, user_id=user_id))
            await self._list_fetch(actor)
            return await self._ok("admin.users.unlocked")
        except DomainError as exc:
            return self._fail(exc)

    @rx.event
    async def open_reset(self, user_id: Any):
        try:
            await self.require("admin")
            row = next((u for u in self.users if u["id"] == user_id), None) if isinstance(user_id, str) else None
            if row is None:
                raise DomainError("用户不存在，请刷新后重试", "user_id")
        except DomainError as exc:
            return self._fail(exc)
        self.reset_id, self.reset_username, self.reset_error = row["id"], row["username"], ""

    @rx.event
    async def close_reset(self, open_: Any = False):
        if open_ is True:
            return
        self.reset_id = self.reset_username = self.reset_error = ""

    @rx.event
    async def submit_reset(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            password, again = _field(form, "new_password"), _field(form, "confirm")
            if password != again:
                raise DomainError("两次输入的密码不一致", "confirm")
            user_id = self.reset_id
            await run_db(lambda s: A.reset_password(s, actor=actor, user_id=user_id, new_password=password))
            name = self.reset_username
            self.reset_id = self.reset_username = self.reset_error = ""
            await self._list_fetch(actor)
            return await self._ok("admin.users.password_reset", name=name)
        except DomainError as exc:
            self.reset_error = exc.message
            return self._fail(exc)


# ----------------------------------------------------------------------------
# 诉求类别
# ----------------------------------------------------------------------------
def _category_row(c: A.CategoryRow, lang: str) -> dict[str, str]:
    return {
        "id": str(c.id),
        "code": c.code,
        "name": local_name(c, lang),
        "department_id": _s(c.department_id) or NONE,
        "department_name": local_name((c.department_name, c.department_name_en), lang),
        "deadline": str(c.deadline_workdays),
        "keywords": c.keywords,
        "keyword_count": str(c.keyword_count),
        "version": str(c.version),
        "key": f"{c.id}-{c.version}",  # remounts the row's inputs after a save
    }


@access(ADMIN)
class AdminCategoriesState(AdminFetchTab, AdminState):
    categories: list[dict[str, str]] = []
    loading: bool = True  # until the tab's first load
    row_errors: dict[str, str] = {}  # category id -> message

    async def _fetch(self, actor) -> None:
        self.loading = True
        try:
            lang = await self.ui_lang()
            rows = await run_db(lambda s: A.list_categories(s, actor=actor))
            self.categories = [_category_row(c, lang) for c in rows]
        finally:
            self.loading = False

    def _before_load(self) -> None:
        self.row_errors = {}

    @rx.event
    async def save(self, form_data: dict):
        row_id = ""
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            row_id = form.get("id") if isinstance(form.get("id"), str) else ""
            data = {
                "department_id": _opt_id(_choice(_field(form, "department_id"))),
                "deadline_workdays": _field(form, "deadline_workdays"),
                "keywords": _field(form, "keywords"),
            }
            version = _field(form, "version")
            cat = await run_db(
                lambda s: A.update_category(s, actor=actor, category_id=row_id, data=data, expected_version=version)
            )
            self.row_errors = {k: v for k, v in self.row_errors.items() if k != row_id}
            await self._fetch(actor)
            return await self._ok("admin.categories.saved", name=local_name(cat, await self.ui_lang()))
        except DomainError as exc:
            if row_id and len(row_id) <= 12:
                self.row_errors = {**self.row_errors, row_id: exc.message}
            return self._fail(exc)


# ----------------------------------------------------------------------------
# 服务团队
# ----------------------------------------------------------------------------
def _team_row(t: A.TeamRow) -> dict[str, str]:
    return {
        "id": str(t.id),
        "name": t.name,
        "grid_name": t.grid_name,
        "township_name": t.township_name,
        "leader_name": t.leader_name,
        "members": str(t.member_count),
    }


@access(ADMIN)
class AdminTeamsState(AdminListTab, AdminState):
    LIST_TAB = "teams"
    LIST_FILTERS = (Filter("township", options="township_options", label="乡镇街道"),)
    teams: list[dict[str, str]] = []
    township: str = ALL

    rename_id: str = ""
    rename_name: str = ""
    rename_leader: str = ""
    rename_errors: dict[str, str] = {}

    create_open: bool = False
    create_township: str = NONE
    create_grid: str = NONE
    grid_options: list[dict[str, str]] = []
    create_errors: dict[str, str] = {}

    set_township = filter_setter("township")

    async def _list_fetch(self, actor) -> None:
        township, page, size = _opt_id(self.township), self.page, self.page_size
        rows, total = await run_db(lambda s: A.list_teams(s, actor=actor, township_id=township, page=page, page_size=size))
        self.teams = [_team_row(t) for t in rows]
        self.total = total

    @rx.event
    async def open_rename(self, team_id: Any):
        try:
            await self.require("admin")
            row = next((t for t in self.teams if t["id"] == team_id), None) if isinstance(team_id, str) else None
            if row is None:
                raise DomainError("服务团队不存在，请刷新后重试", "team_id")
        except DomainError as exc:
            return self._fail(exc)
        self.rename_id, self.rename_name, self.rename_leader = row["id"], row["name"], row["leader_name"]
        self.rename_errors = {}

    @rx.event
    async def close_rename(self, open_: Any = False):
        if open_ is True:
            return
        self.rename_id = self.rename_name = self.rename_leader = ""
        self.rename_errors = {}

    @rx.event
    async def submit_rename(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            name, leader, team_id = _field(form, "name"), _field(form, "leader_name"), self.rename_id
            await run_db(lambda s: A.rename_team(s, actor=actor, team_id=team_id, name=name, leader_name=leader))
            self.rename_id = ""
            self.rename_errors = {}
            await self._list_fetch(actor)
            return await self._ok("common.saved")
        except DomainError as exc:
            self.rename_errors = {exc.field if exc.field in ("name", "leader_name") else "form": exc.message}
            return self._fail(exc)

    @rx.event
    async def open_create(self):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self.create_open = True
        self.create_township = self.township if self.township != ALL else NONE
        self.create_grid = NONE
        self.grid_options = []
        self.create_errors = {}
        if self.create_township != NONE:
            return AdminTeamsState.set_create_township(self.create_township)

    @rx.event
    async def close_create(self, open_: Any = False):
        if open_ is True:
            return
        self.create_open = False
        self.create_errors = {}

    @rx.event
    async def set_create_township(self, value: Any):
        try:
            actor = await self.require("admin")
            self.create_township = _choice(value)
            self.create_grid = NONE
            township = _opt_id(self.create_township)
            rows = [] if township is None else await run_db(
                lambda s: A.free_grid_choices(s, actor=actor, township_id=township)
            )
            self.grid_options = _choices(rows)
        except DomainError as exc:
            self.grid_options = []
            return self._fail(exc)

    @rx.event
    async def set_create_grid(self, value: Any):
        try:
            await self.require("admin")
        except DomainError as exc:
            return self._fail(exc)
        self.create_grid = _choice(value)

    @rx.event
    async def submit_create(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            grid = _opt_id(self.create_grid)
            if grid is None:
                raise DomainError("请选择一个网格", "grid_id")
            name, leader = _field(form, "name"), _field(form, "leader_name")
            team = await run_db(lambda s: A.create_team(s, actor=actor, grid_id=grid, name=name, leader_name=leader))
            self.create_open = False
            self.create_errors = {}
            await self._list_fetch(actor)
            return await self._ok("admin.teams.created", name=team.name)
        except DomainError as exc:
            self.create_errors = {exc.field if exc.field in ("grid_id", "name", "leader_name") else "form": exc.message}
            return self._fail(exc)


# ----------------------------------------------------------------------------
# 节假日安排
# ----------------------------------------------------------------------------
SOURCE_KEYS = {"official": "admin.holidays.source.official", "package": "admin.holidays.source.package", "missing": "admin.holidays.source.missing"}


def _example(year: int, lang: str) -> str:
    # 休 / 班 are the schedule's own syntax (the parser reads them); a holiday's name is free text
    def name(key: str) -> str:
        return translate(f"admin.holidays.example_{key}", lang)

    return "\n".join((
        translate("admin.holidays.example_header", lang, year=year),
        f"{year}-01-01 休 {name('new_year')}",
        f"{year}-05-01~{year}-05-05 休 {name('labour_day')}",
        f"{year}-10-01~{year}-10-07 休 {name('national_day')}",
        translate("admin.holidays.example_footer", lang),
    ))


@access(ADMIN)
class AdminHolidaysState(AdminFetchTab, AdminState):
    years: list[dict[str, str]] = []  # {year, source, source_key, text, example}
    loading: bool = True  # until the tab's first load
    errors: dict[str, str] = {}  # year -> message

    async def _fetch(self, actor) -> None:
        self.loading = True
        try:
            await self._refresh_shared(actor)
            years = [int(r["year"]) for r in self.schedule]

            def fetch(s):
                return [A.holiday_schedule_text(s, actor=actor, year=y) for y in years]

            texts = await run_db(fetch)
            lang = await self.ui_lang()
            self.years = [
                {
                    "year": r["year"],
                    "source": r["source"],
                    "source_key": SOURCE_KEYS.get(r["source"], SOURCE_KEYS["missing"]),
                    "text": text,
                    "example": _example(int(r["year"]), lang),
                }
                for r, text in zip(self.schedule, texts)
            ]
        finally:
            self.loading = False


    @rx.event
    async def save(self, form_data: dict):
        year: Any = ""
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            year, text = _field(form, "year"), _field(form, "text")
            if not isinstance(year, str) or year not in {r["year"] for r in self.years}:
                raise DomainError("年份无效", "year")
            await run_db(lambda s: A.save_holiday_schedule(s, actor=actor, year=year, text=text))
            self.errors = {k: v for k, v in self.errors.items() if k != year}
            await self._fetch(actor)
            return await self._ok("admin.holidays.saved", year=year)
        except DomainError as exc:
            if isinstance(year, str) and year in {r["year"] for r in self.years}:
                self.errors = {**self.errors, year: exc.message}
            return self._fail(exc)


# ----------------------------------------------------------------------------
# API 密钥
# ----------------------------------------------------------------------------
def _key_row(k: A.ApiKeyRow) -> dict[str, str]:
    return {
        "id": str(k.id),
        "name": k.name,
        "prefix": k.prefix,
        "rate": str(k.rate_limit_per_minute),
        "created_at": _when(k.created_at),
        "revoked_at": _when(k.revoked_at),
    }


@access(ADMIN)
class AdminApiKeysState(AdminFetchTab, AdminState):
    keys: list[dict[str, str]] = []
    loading: bool = True  # until the tab's first load
    errors: dict[str, str] = {}
    issued_key: str = ""  # shown once, cleared when its dialog closes
    issued_name: str = ""
    revoke_id: str = ""
    revoke_name: str = ""

    async def _fetch(self, actor) -> None:
        self.loading = True
        try:
            rows = await run_db(lambda s: A.list_api_keys(s, actor=actor))
            self.keys = [_key_row(k) for k in rows]
        finally:
            self.loading = False


    @rx.event
    async def issue(self, form_data: dict):
        try:
            actor = await self.require("admin")
            form = _form(form_data)
            name, rate = _field(form, "name"), _field(form, "rate_limit_per_minute")
            key, plain = await run_db(lambda s: A.issue_api_key(s, actor=actor, name=name, rate_limit_per_minute=rate))
            self.errors = {}
            self.issued_key, self.issued_name = plain, key.name
            await self._fetch(actor)
        except DomainError as exc:
            self.errors = {exc.field if exc.field in ("name", "rate_limit_per_minute") else "form": exc.message}
            return self._fail(exc)

    @rx.event
    async def close_issued(self, open_: Any = False):
        if open_ is True:
            return
        self.issued_key = self.issued_name = ""

    @rx.event
    async def ask_revoke(self, key_id: Any):
        try:
            await self.require("admin")
            row = next((k for k in self.keys if k["id"] == key_id), None) if isinstance(key_id, str) else None
            if row is None:
                raise DomainError("API 密钥不存在，请刷新后重试", "key_id")
        except DomainError as exc:
            return self._fail(exc)
        self.revoke_id, self.revoke_name = row["id"], row["name"]

    @rx.event
    async def close_revoke(self, open_: Any = False):
        if open_ is True:
            return
        self.revoke_id = self.revoke_name = ""

    @rx.event
    async def confirm_revoke(self, key_id: Any):
        """``key_id`` travels with the click: the dialog closing may clear ``revoke_id`` first."""
        try:
            actor = await self.require("admin")
            key = await run_db(lambda s: A.revoke_api_key(s, actor=actor, key_id=key_id))
            self.revoke_id = self.revoke_name = ""
            await self._fetch(actor)
            return await self._ok("admin.keys.revoked", name=key.name)
        except DomainError as exc:
            self.revoke_id = self.revoke_name = ""
            return self._fail(exc)


# ----------------------------------------------------------------------------
# 短信记录
# ----------------------------------------------------------------------------
SMS_STATUS_KEYS = {s: f"admin.sms.status.{s}" for s in ("queued", "sent", "failed", "received", "kept")}


def _sms_row(m: A.SmsRow) -> dict[str, str]:
    return {
        "id": str(m.id),
        "direction_key": "admin.sms.in" if m.direction == "in" else "admin.sms.out",
        "phone": m.phone,
        "text": m.text,
        "case_code": m.case_code,
        "status": m.status,
        "status_key": SMS_STATUS_KEYS.get(m.status, "admin.sms.status.other"),
        "attempts": str(m.attempts),
        "last_error": m.last_error,
        "created_at": _when(m.created_at),
        "sent_at": _when(m.sent_at),
    }


@access(ADMIN)
class AdminSmsState(AdminListTab, AdminState):
    LIST_TAB = "sms"
    LIST_FILTERS = (
        Filter("phone", kind="text", max_len=20, label="手机号"),
        Filter("case_code", kind="text", param="code", max_len=20, label="诉求编号"),
        Filter("day", kind="date", label="日期"),
        Filter("direction", values=A.SMS_DIRECTIONS, label="方向"),
        Filter("sms_status", values=A.SMS_STATUSES, param="state", label="状态"),
    )
    messages: list[dict[str, str]] = []
    phone: str = ""
    case_code: str = ""
    day: str = ""
    direction: str = ALL
    sms_status: str = ALL
    opened: dict[str, str] = {}  # the message whose full text is shown

    set_direction = filter_setter("direction")
    set_sms_status = filter_setter("sms_status")

    async def _list_fetch(self, actor) -> None:
        page, size = self.page, self.page_size
        args = {
            "phone": self.phone,
            "case_code": self.case_code,
            "day": self.day,
            "direction": "" if self.direction == ALL else self.direction,
            "status": "" if self.sms_status == ALL else self.sms_status,
        }
        rows, total = await run_db(lambda s: A.list_sms(s, actor=actor, page=page, page_size=size, **args))
        self.messages = [_sms_row(m) for m in rows]
        self.total = total

    @rx.event
    async def open_message(self, sms_id: Any):
        """The full text of one message of this page (a row click)."""
        await self.require("admin")
        self.opened = next((m for m in self.messages if m["id"] == sms_id), {}) if isinstance(sms_id, str) else {}

    @rx.event
    async def close_message(self, open_: Any = False):
        if open_ is not True:
            self.opened = {}


TAB_LOADERS = {
    "users": lambda: AdminUsersState.load,
    "categories": lambda: AdminCategoriesState.load,
    "teams": lambda: AdminTeamsState.load,
    "holidays": lambda: AdminHolidaysState.load,
    "api_keys": lambda: AdminApiKeysState.load,
    "sms": lambda: AdminSmsState.load,
    "classify": lambda: _classify_loader(),
}


def _classify_loader():
    from rxapp.state.admin_classify import AdminClassifyState  # its own module (it imports this one)

    return AdminClassifyState.load
