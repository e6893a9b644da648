"""/cases, /cases/new and /cases/[code]: the staff case pages' states.

One substate per page (``CaseListState``, ``CaseNewState``,
``CaseDetailState``); each event loads only its own page. Every handler

* starts with ``actor = await self.require(...)``, which raises
  ``AccessDenied`` for a caller without the role before anything happens
  (the guard middleware normally drops such events earlier; neither trusts
  the other);
* parses every argument itself (ids from strings, codes against
  ``^ZS\\d{12}$``, choices against the options it offered, lengths capped,
  action names looked up in ``ACTION_FUNCTIONS`` — never ``getattr``);
* runs the domain in a thread (``run_db``) and turns a ``DomainError`` into a
  message next to the field it names (``DomainError.field``) or a toast.

Vars hold display strings for one page of rows. A requester's name, phone and
address reach a var only as ``case_detail`` returned them for this actor
(masked for leaders); ids the actions need stay in backend-only ``_vars``.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from rxapp.domain import queries as Q
from rxapp.domain import scores as SC
from rxapp.domain.access import Actor, area_lineage
from rxapp.domain.cases import ACTION_FUNCTIONS, TRANSITIONS, category_rules, submit_case
from rxapp.domain.holidays import load_overrides
from rxapp.domain.classify import AUTO_ACCEPT_CONFIDENCE, classify
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, StaleVersion
from rxapp.domain.workdays import workdays_between
from rxapp.domain.lookups import (
    Choices,
    area_names,
    choices as _choices,
    scope_root as _scope_root,
    child_areas as _child_areas,
    scoped_area as _area_in_scope,
    path_ids as _path_ids,
    township_names as _township_names,
    townships_in as _townships_in,
    link_for_intake as _link_for_intake,
)
from rxapp.models import Area, AreaLevel, CaseStatus, Channel, Role, Satisfaction, Team
from rxapp.state.base import STAFF, AppState, access, run_db

S = CaseStatus
PAGE_SIZE = 20
ALL = "all"  # a filter select's "any"
NONE = "none"  # a form select's "nothing chosen" (Radix items cannot have the value "")
CASE_CODE = re.compile(r"^ZS\d{12}$")
INTAKE_ROLES = (Role.DISPATCHER, Role.MEMBER, Role.ADMIN)
INTAKE_CHANNELS = (Channel.DESK, Channel.PHONE, Channel.VISIT)
TRIAGE_ROLES = (Role.DISPATCHER, Role.ADMIN)
MAX_INPUT = 4000  # longer than any field the domain accepts: garbage is refused early
MAX_ID = 2**31 - 1

# list views: "all" is the filtered search; the others are work queues
BUCKET_VIEWS = {"unsigned": "待签收", "handling": "办理中", "due_soon": "即将超期", "overdue": "已超期"}
VIEWS = (ALL, "triage", *BUCKET_VIEWS)
STATUS_FILTERS = (Q.OPEN_FILTER, *S.ALL)
STALE_MESSAGE = StaleVersion().message

STATUS_COLOR = {
    S.SUBMITTED: "orange",
    S.ACCEPTED: "blue",
    S.ROUTED: "cyan",
    S.IN_PROGRESS: "indigo",
    S.RESOLVED: "green",
    S.CLOSED: "gray",
    S.REJECTED: "red",
    S.DUPLICATE: "gray",
}
ACTION_COLOR = {"reject": "red", "return": "orange", "resolve": "green", "supervise": "crimson", "mark_duplicate": "gray"}
# the input each action's dialog asks for, also where its errors are shown
ACTION_FIELDS = {
    "accept": ("category_code", "promise_text", "note"),
    "reject": ("reason",),
    "route": ("department_id", "note"),
    "sign": (),
    "return": ("reason",),
    "request_extension": ("days", "reason"),
    "decide_extension": ("approve", "note"),
    "supervise": ("note",),
    "comment": ("note",),
    "add_note": ("note",),
    "public_reply": ("text",),
    "resolve": ("result_text",),
    "evaluate": ("satisfaction", "score", "comment"),
    "close": ("note",),
    "mark_duplicate": ("duplicate_of_code",),
}
INTAKE_FIELDS = ("channel", "content", "requester_name", "requester_phone", "requester_address", "grid_id", "category_code")


# ----------------------------------------------------------------------------
# Untrusted values in, display strings out
# ----------------------------------------------------------------------------
def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _int_text(value: Any, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """A decimal id or number sent as a string (or int); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if lo <= value <= hi else None
    if isinstance(value, str) and 0 < len(value.strip()) <= 10 and value.strip().isascii() and value.strip().isdigit():
        n = int(value.strip())
        return n if lo <= n <= hi else None
    return None


def _choice(value: Any, options: list[dict[str, str]], key: str = "id") -> str | None:
    """The value if it is one of the options this page offered, else None."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    return value if any(o[key] == value for o in options) else None


def _form(form_data: Any) -> Mapping[str, Any]:
    if not isinstance(form_data, Mapping):
        raise DomainError("提交的内容无效", "form")
    return form_data


def _text(form: Mapping[str, Any], key: str, max_len: int = MAX_INPUT) -> str:
    """A text field of a form: a string of bounded length (the domain checks the rest)."""
    value = form.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("输入内容格式不正确", key)
    if len(value) > max_len:
        raise DomainError("输入内容过长", key)
    return value


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _case_code(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 20:
        return None
    code = value.strip().upper()
    return code if CASE_CODE.match(code) else None


def _toast_error(message: str):
    return rx.toast.error(message, close_button=True)


# ----------------------------------------------------------------------------
# /cases — the list
# ----------------------------------------------------------------------------
def _status_key(status: str) -> str:
    return f"cases.status.{status}" if status in S.ALL else "cases.status.unknown"


def _list_row(r: Q.CaseRow, townships: dict[int, str]) -> dict[str, str]:
    township = townships.get(r.id, "")
    area = " / ".join(x for x in (township, r.community_name) if x)
    return {
        "code": r.code,
        "submitted": _when(r.submitted_at),
        "submitted_day": _day(r.submitted_at),
        "submitted_time": r.submitted_at.strftime("%H:%M") if r.submitted_at else "",
        "category": r.category_name or "—",
        "excerpt": r.excerpt + ("…" if len(r.excerpt) >= Q.EXCERPT else ""),
        "area": area or "—",
        "township": township or "—",
        "community": r.community_name,
        "department": r.department_name or "—",
        "status": r.status,
        "status_key": _status_key(r.status),
        "status_color": STATUS_COLOR.get(r.status, "gray"),
        "deadline": _day(r.deadline) or "—",
        "overdue": "1" if r.overdue else "",
        "supervised": "1" if r.supervised else "",
        "flagged": "1" if r.flagged else "",
    }


@dataclass(frozen=True)
class ListResult:
    rows: list[dict[str, str]]
    total: int
    page: int
    counts: dict[str, int]
    view_counts: dict[str, str]


def _count_text(n: int, cap: int = Q.BUCKET_LIMIT) -> str:
    return f"{cap}+" if n >= cap else str(n)


@access(STAFF)
class CaseListState(AppState):
    view: str = ALL
    views: list[str] = [ALL]  # the tabs this user has
    view_counts: dict[str, str] = {}

    # filters, as the controls hold them
    status: str = ALL
    category: str = ALL
    area1: str = ALL
    area2: str = ALL
    area_extra: str = ""  # a deeper area from a link (e.g. a community)
    area_extra_label: str = ""
    department: str = ALL
    overdue_only: bool = False
    date_from: str = ""
    date_to: str = ""
    date_basis: str = "submitted"  # "accepted": the dashboard's cohort (a drill-down link)
    text: str = ""
    sort: str = Q.DEFAULT_SORT

    area1_options: list[dict[str, str]] = []
    area2_options: list[dict[str, str]] = []
    category_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []

    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    status_counts: dict[str, int] = {}
    loading: bool = True
    notice: str = ""  # a link's filters that were ignored
    error: str = ""
    form_key: int = 0  # remounts the text and date inputs when filters are reset from the server
    _ready: bool = False  # options loaded for this tab's user

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def filtered(self) -> bool:
        return (
            self.status != ALL
            or self.category != ALL
            or self.area1 != ALL
            or self.area_extra != ""
            or self.department != ALL
            or self.overdue_only
            or self.date_from != ""
            or self.date_to != ""
            or self.date_basis != "submitted"
            or self.text != ""
        )

    @rx.var
    def status_chips(self) -> list[dict[str, str]]:
        counts = self.status_counts
        chips = [
            {"value": ALL, "key": "cases.status.all", "n": str(sum(counts.values()))},
            {"value": Q.OPEN_FILTER, "key": "cases.status.open", "n": str(sum(counts.get(s, 0) for s in S.OPEN))},
        ]
        chips += [{"value": s, "key": _status_key(s), "n": str(counts.get(s, 0))} for s in S.ALL]
        return chips

    # -- loading ---------------------------------------------------------------
    def _filters(self) -> dict[str, Any]:
        area = self.area_extra or (self.area2 if self.area2 != ALL else self.area1)
        return {
            "status": None if self.status == ALL else self.status,
            "category_code": None if self.category == ALL else self.category,
            "area_id": None if area in (ALL, "") else int(area),
            "department_id": None if self.department == ALL else int(self.department),
            "overdue": True if self.overdue_only else None,
            "date_from": self.date_from or None,
            "date_to": self.date_to or None,
            "date_basis": self.date_basis,
            "text": self.text or None,
        }

    async def _fetch(self, actor: Actor) -> None:
        view, page, sort, filters = self.view, self.page, self.sort, self._filters()

        def work(s: Session) -> ListResult:
            view_counts: dict[str, str] = {}
            worklist = Q.department_worklist(s, actor=actor) if actor.role == Role.DEPT else None
            if worklist is not None:
                view_counts = {v: _count_text(len(worklist[b])) for v, b in BUCKET_VIEWS.items()}
            triage = Q.triage_queue(s, actor=actor) if actor.role in TRIAGE_ROLES else None
            if triage is not None:
                view_counts["triage"] = _count_text(len(triage))
            counts: dict[str, int] = {}
            if view == ALL:
                p = page
                result = Q.search_cases(s, actor=actor, filters=filters, sort=sort, page=p, page_size=PAGE_SIZE)
                if not result.rows and result.total and p > 1:  # the list shrank under us: the last page
                    p = result.pages
                    result = Q.search_cases(s, actor=actor, filters=filters, sort=sort, page=p, page_size=PAGE_SIZE)
                rows, total, counts = result.rows, result.total, result.counts_by_status
            else:
                queue = triage if view == "triage" else (worklist or {}).get(BUCKET_VIEWS.get(view, ""), [])
                queue = queue or []
                total = len(queue)
                p = min(page, max(1, -(-total // PAGE_SIZE)))
                rows = queue[(p - 1) * PAGE_SIZE : p * PAGE_SIZE]
            townships = _township_names(s, [r.id for r in rows])
            return ListResult([_list_row(r, townships) for r in rows], total, p, counts, view_counts)

        self.loading = True
        try:
            res = await run_db(work)
            self.rows, self.total, self.page = res.rows, res.total, res.page
            self.view_counts = res.view_counts
            if view == ALL:
                self.status_counts = res.counts
            self.error = ""
        except DomainError as exc:
            self.rows, self.total = [], 0
            self.error = exc.message
            raise
        finally:
            self.loading = False

    def _reset_filters(self) -> None:
        self.status = self.category = self.area1 = self.area2 = self.department = ALL
        self.area_extra = self.area_extra_label = ""
        self.overdue_only = False
        self.date_from = self.date_to = self.text = ""
        self.date_basis = "submitted"
        self.sort = Q.DEFAULT_SORT
        self.page = 1
        self.area2_options = []
        self.form_key += 1

    @rx.event
    async def load(self):
        """on_load: options, the filters a link carries (validated), the first page."""
        actor = await self.require(*STAFF)
        params = dict(self.router.url.query_parameters)
        self.loading = True
        if self._ready and not params:
            # back from a case to the bare list: this tab's filters, page and tab stay
            yield
            async for ev in self._reload(actor, first_page=False):
                yield ev
            return
        self.notice = self.error = ""
        self.rows = []
        self._reset_filters()
        yield
        try:
            bad = await self._setup(actor, params)
        except DomainError as exc:
            self.loading = False
            yield _toast_error(exc.message)
            return
        if bad:
            self.notice = "链接中的部分筛选条件无效，已忽略：" + "、".join(bad)
        self._ready = True
        try:
            await self._fetch(actor)
            if not params.get("view") and self.view != ALL and self.total == 0:
                # the queue we opened on is empty: the first one with work in it, else everything
                queues = ("unsigned", "handling", "overdue", "due_soon") if actor.role == Role.DEPT else ()
                self.view = next((v for v in queues if self.view_counts.get(v, "0") != "0"), ALL)
                await self._fetch(actor)
        except DomainError as exc:
            yield _toast_error(exc.message)

    async def _setup(self, actor: Actor, params: dict[str, str]) -> list[str]:
        """Options for this user, and the query parameters applied after
        validating each one; returns the labels of the ones ignored."""

        def fetch(s: Session):
            root = _scope_root(s, actor)
            area_info = None
            raw_area = params.get("area", "")
            if raw_area:
                aid = _int_text(raw_area)
                area = _area_in_scope(s, actor, aid) if aid else None
                if area is not None and root is not None and area.path.startswith(root.path):
                    below = [i for i in _path_ids(area) if i not in _path_ids(root)]
                    names = area_names(s, below)
                    area_info = (below, names)
                elif area is not None and root is not None and area.id == root.id:
                    area_info = ([], {})
                else:
                    area_info = False
            level1 = _child_areas(s, actor, root.id) if root else []
            level2 = []
            if area_info and len(area_info[0]) >= 1:
                level2 = _child_areas(s, actor, area_info[0][0])
            return root, _choices(s), level1, level2, area_info

        root, choices, level1, level2, area_info = await run_db(fetch)
        self.category_options = [{"id": c["code"], "label": c["label"]} for c in choices.categories]
        self.department_options = choices.departments
        self.area1_options = level1
        self.area2_options = []

        allowed_views = [ALL]
        if actor.role in TRIAGE_ROLES:
            allowed_views.append("triage")
        if actor.role == Role.DEPT:
            allowed_views += list(BUCKET_VIEWS)
        self.views = allowed_views

        bad: list[str] = []
        filter_keys = ("status", "category", "area", "department", "overdue", "from", "to", "basis", "q")
        status = params.get("status", "")
        if status:
            if status in STATUS_FILTERS:
                self.status = status
            else:
                bad.append("状态")
        category = params.get("category", "").upper()
        if category:
            if _choice(category, self.category_options):
                self.category = category
            else:
                bad.append("类别")
        if area_info is False:
            bad.append("区域")
        elif area_info:
            below, names = area_info
            if below:
                self.area1 = str(below[0])
                self.area2_options = level2
            if len(below) >= 2:
                self.area2 = str(below[1])
            if len(below) >= 3:
                self.area_extra = str(below[-1])
                self.area_extra_label = names.get(below[-1], "")
        department = params.get("department", "")
        if department:
            if _choice(department, self.department_options):
                self.department = department
            else:
                bad.append("职能部门")
        overdue = params.get("overdue", "")
        if overdue:
            if overdue in ("1", "true"):
                self.overdue_only = True
            elif overdue not in ("0", "false"):
                bad.append("超期")
        d_from, d_to = params.get("from", ""), params.get("to", "")
        if d_from and _date(d_from) is None:
            bad.append("开始日期")
            d_from = ""
        if d_to and _date(d_to) is None:
            bad.append("结束日期")
            d_to = ""
        if d_from and d_to and d_from > d_to:
            bad.append("日期范围")
            d_from = d_to = ""
        self.date_from, self.date_to = d_from, d_to
        basis = params.get("basis", "")
        if basis in ("accepted", "submitted"):
            self.date_basis = basis
        elif basis:
            bad.append("日期口径")
        text = params.get("q", "")
        if text:
            if len(text.strip()) <= 100:
                self.text = text.strip()
            else:
                bad.append("搜索内容")
        sort = params.get("sort", "")
        if sort:
            if sort in Q.SORTS:
                self.sort = sort
            else:
                bad.append("排序")
        page = params.get("page", "")
        if page:
            n = _int_text(page, 1, 10**6)
            if n:
                self.page = n
            else:
                bad.append("页码")

        view = params.get("view", "")
        if view in allowed_views:
            self.view = view
        else:
            if view:
                bad.append("视图")
            if any(params.get(k) for k in filter_keys):
                self.view = ALL
            elif actor.role == Role.DEPT:
                self.view = "unsigned"
            elif actor.role == Role.DISPATCHER:
                self.view = "triage"
            else:
                self.view = ALL
        return bad

    async def _reload(self, actor: Actor, *, first_page: bool = True):
        """Apply a changed filter: (first page,) spinner out, then the rows."""
        if first_page:
            self.page = 1
        self.loading = True
        yield
        try:
            await self._fetch(actor)
        except DomainError as exc:
            yield _toast_error(exc.message)

    # -- views and filters (each validated against what this page offered) -----
    @rx.event
    async def set_view(self, value: Any):
        actor = await self.require(*STAFF)
        if not isinstance(value, str) or value not in self.views:
            return
        self.view = value
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_status(self, value: Any):
        actor = await self.require(*STAFF)
        if value != ALL and (not isinstance(value, str) or value not in STATUS_FILTERS):
            return
        self.status = value
        self.view = ALL
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_category(self, value: Any):
        actor = await self.require(*STAFF)
        if value != ALL and _choice(value, self.category_options) is None:
            return
        self.category = value
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_department(self, value: Any):
        actor = await self.require(*STAFF)
        if value != ALL and _choice(value, self.department_options) is None:
            return
        self.department = value
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_area1(self, value: Any):
        actor = await self.require(*STAFF)
        if value != ALL and _choice(value, self.area1_options) is None:
            return
        self.area1, self.area2 = value, ALL
        self.area_extra = self.area_extra_label = ""
        self.area2_options = [] if value == ALL else await run_db(lambda s: _child_areas(s, actor, int(value)))
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_area2(self, value: Any):
        actor = await self.require(*STAFF)
        if value != ALL and _choice(value, self.area2_options) is None:
            return
        self.area2 = value
        self.area_extra = self.area_extra_label = ""
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def clear_area_extra(self):
        actor = await self.require(*STAFF)
        self.area_extra = self.area_extra_label = ""
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_overdue_only(self, value: Any):
        actor = await self.require(*STAFF)
        if not isinstance(value, bool):
            return
        self.overdue_only = value
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def set_sort(self, value: Any):
        actor = await self.require(*STAFF)
        if not isinstance(value, str) or value not in Q.SORTS:
            return
        self.sort = value
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def search(self, form_data: Any):
        """The text and date-range part of the filter bar (submitted together)."""
        actor = await self.require(*STAFF)
        try:
            form = _form(form_data)
            text = _text(form, "q", 100).strip()
            raw_from, raw_to = _text(form, "from", 10), _text(form, "to", 10)
            d_from, d_to = _date(raw_from), _date(raw_to)
            if raw_from and d_from is None:
                raise DomainError("开始日期无效", "from")
            if raw_to and d_to is None:
                raise DomainError("结束日期无效", "to")
            if d_from and d_to and d_from > d_to:
                raise DomainError("开始日期不能晚于结束日期", "from")
        except DomainError as exc:
            yield _toast_error(exc.message)
            return
        self.text = text
        self.date_from, self.date_to = raw_from if d_from else "", raw_to if d_to else ""
        self.view = ALL
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def clear_date_basis(self):
        """Back to submission dates (the badge a drill-down link shows)."""
        actor = await self.require(*STAFF)
        self.date_basis = "submitted"
        self.page = 1
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def clear_filters(self):
        actor = await self.require(*STAFF)
        self._reset_filters()
        self.notice = ""
        self.view = ALL
        async for ev in self._reload(actor):
            yield ev

    @rx.event
    async def go_page(self, value: Any):
        actor = await self.require(*STAFF)
        n = _int_text(value, 1, 10**6)
        if n is None:
            return
        self.page = min(n, self.pages)
        async for ev in self._reload(actor, first_page=False):
            yield ev


# ----------------------------------------------------------------------------
# /cases/new — intake
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class IntakeSetup:
    start: str  # the first level the user chooses: township / community / grid / fixed
    township_options: list[dict[str, str]]
    community_options: list[dict[str, str]]
    grid_options: list[dict[str, str]]
    township: str
    community: str
    grid: str
    fixed_label: str


def _intake_setup(session: Session, actor: Actor, grid_id: int | None = None) -> IntakeSetup:
    """The grid cascade for this user: from their scope down to a grid;
    ``grid_id`` preselects a grid (a household's) within it."""
    if actor.role == Role.MEMBER:
        team = session.get(Team, actor.team_id) if actor.team_id else None
        grid = session.get(Area, team.grid_id) if team else None
        if grid is None:
            raise AccessDenied("您尚未加入服务团队，不能登记诉求")
        return IntakeSetup("fixed", [], [], [], NONE, NONE, str(grid.id), grid.name)
    root = _scope_root(session, actor)
    if root is None:
        raise AccessDenied("您没有管辖区域，不能登记诉求")
    chosen = session.get(Area, grid_id) if grid_id else None
    lineage = area_lineage(session, chosen) if chosen is not None and chosen.path.startswith(root.path) else {}
    town = str(lineage.get(AreaLevel.TOWNSHIP, NONE))
    comm = str(lineage.get(AreaLevel.COMMUNITY, NONE))
    grid = str(lineage.get(AreaLevel.GRID, NONE))
    if root.level in (AreaLevel.CITY, AreaLevel.DISTRICT):
        towns = _townships_in(session, root)
        comms = _child_areas(session, actor, int(town)) if town != NONE else []
        grids = _child_areas(session, actor, int(comm)) if comm != NONE else []
        return IntakeSetup(AreaLevel.TOWNSHIP, towns, comms, grids, town, comm, grid, "")
    if root.level == AreaLevel.TOWNSHIP:
        comms = _child_areas(session, actor, root.id)
        grids = _child_areas(session, actor, int(comm)) if comm != NONE else []
        return IntakeSetup(AreaLevel.COMMUNITY, [], comms, grids, str(root.id), comm, grid, root.name)
    if root.level == AreaLevel.COMMUNITY:
        grids = _child_areas(session, actor, root.id)
        return IntakeSetup(AreaLevel.GRID, [], [], grids, NONE, str(root.id), grid, root.name)
    return IntakeSetup("fixed", [], [], [], NONE, NONE, str(root.id), root.name)


@access(INTAKE_ROLES)
class CaseNewState(AppState):
    channel: str = Channel.DESK
    channel_options: list[str] = list(INTAKE_CHANNELS)
    content: str = ""
    # prefill for the requester inputs (they are read from the form on submit)
    requester_name: str = ""
    requester_phone: str = ""
    requester_address: str = ""
    form_key: int = 0  # remounts the uncontrolled inputs after a prefill or a submit

    cascade: str = ""  # township / community / grid / fixed
    fixed_label: str = ""  # the township / grid the user cannot change
    township: str = NONE
    community: str = NONE
    grid: str = NONE
    township_options: list[dict[str, str]] = []
    community_options: list[dict[str, str]] = []
    grid_options: list[dict[str, str]] = []

    category_override: str = NONE
    category_options: list[dict[str, str]] = []
    suggestion: dict[str, str] = {}  # code, name, confidence (percent), terms, auto

    errors: dict[str, str] = {}
    ready: bool = False
    submitting: bool = False
    link_label: str = ""  # "raised from the visit to <address>"
    nonce: str = ""  # one submit per rendered form (a double click makes one case)
    _visit_id: int = 0
    _household_id: int = 0

    def _clear(self) -> None:
        self.channel = Channel.DESK
        self.content = self.requester_name = self.requester_phone = self.requester_address = ""
        self.township = self.community = self.grid = self.category_override = NONE
        self.suggestion = {}
        self.errors = {}
        self.link_label = ""
        self._visit_id = self._household_id = 0
        self.submitting = False
        self.nonce = secrets.token_hex(8)
        self.form_key += 1

    def _apply(self, setup: IntakeSetup) -> None:
        self.cascade = setup.start
        self.fixed_label = setup.fixed_label
        self.township_options, self.community_options, self.grid_options = (
            setup.township_options,
            setup.community_options,
            setup.grid_options,
        )
        self.township, self.community, self.grid = setup.township, setup.community, setup.grid
        self._auto_pick()

    def _auto_pick(self) -> None:
        """A level with a single choice is chosen for the user."""
        if self.cascade == AreaLevel.TOWNSHIP and self.township == NONE and len(self.township_options) == 1:
            self.township = self.township_options[0]["id"]
        if self.community == NONE and len(self.community_options) == 1:
            self.community = self.community_options[0]["id"]
        if self.grid == NONE and len(self.grid_options) == 1 and self.cascade != "fixed":
            self.grid = self.grid_options[0]["id"]

    @rx.event
    async def load(self):
        """on_load: a clean form for this user; ``?visit=&household=`` prefill
        (validated: the visit / household must be the user's to use)."""
        actor = await self.require(*INTAKE_ROLES)
        self.ready = False
        self._clear()
        params = dict(self.router.url.query_parameters)
        raw_visit, raw_household = params.get("visit", ""), params.get("household", "")
        visit_id = _int_text(raw_visit) if raw_visit else None
        household_id = _int_text(raw_household) if raw_household else None
        link_error = ""
        if (raw_visit and visit_id is None) or (raw_household and household_id is None):
            link_error = "链接中的走访记录或住户编号无效"

        def fetch(s: Session):
            choices = _choices(s)
            link, message = None, ""
            if not link_error and (visit_id is not None or household_id is not None):
                try:
                    link = _link_for_intake(s, actor, visit_id, household_id)
                except DomainError as exc:
                    message = exc.message
            grid_id = link[1].grid_id if link else None
            return choices, _intake_setup(s, actor, grid_id), link, message

        try:
            choices, setup, link, message = await run_db(fetch)
        except DomainError as exc:
            yield _toast_error(exc.message)
            return
        self.category_options = [{"id": c["code"], "label": c["label"], "name": c["name"]} for c in choices.categories]
        self._apply(setup)
        if actor.role == Role.MEMBER:
            self.channel = Channel.VISIT
        if link is not None:
            visit, household = link
            self.channel = Channel.VISIT
            self._visit_id = visit.id if visit else 0
            self._household_id = household.id
            self.requester_name = household.representative
            self.requester_phone = household.phone
            self.requester_address = household.address
            when = f"{visit.visited_on.isoformat()} " if visit else ""
            self.link_label = f"{when}{household.address}（{household.representative}）"
            self.form_key += 1
        self.ready = True
        if link_error or message:
            yield _toast_error(link_error or message)

    @rx.event
    async def set_channel(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if isinstance(value, str) and value in INTAKE_CHANNELS and not self._visit_id:
            self.channel = value
            self.errors = {k: v for k, v in self.errors.items() if k != "channel"}

    @rx.event
    async def set_content(self, value: Any):
        """Typing in the content box (debounced in the browser): the live suggestion."""
        await self.require(*INTAKE_ROLES)
        if not isinstance(value, str):
            return
        self.content = value[:2000]
        self.errors = {k: v for k, v in self.errors.items() if k != "content"}
        text = self.content.strip()
        if len(text) < 2:
            self.suggestion = {}
            return
        rules = await run_db(category_rules)
        result = classify(text, rules)
        name = next((c["name"] for c in self.category_options if c["id"] == result.code), result.code)
        self.suggestion = {
            "code": result.code,
            "name": name,
            "confidence": str(round(result.confidence * 100)),
            "terms": "、".join(result.terms[:6]),
            "auto": "1" if result.confidence >= AUTO_ACCEPT_CONFIDENCE else "",
        }

    @rx.event
    async def set_category_override(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if value == NONE or _choice(value, self.category_options) is not None:
            self.category_override = value

    @rx.event
    async def set_township(self, value: Any):
        actor = await self.require(*INTAKE_ROLES)
        if self.cascade != AreaLevel.TOWNSHIP or _choice(value, self.township_options) is None:
            return
        self.township, self.community, self.grid = value, NONE, NONE
        self.community_options = await run_db(lambda s: _child_areas(s, actor, int(value)))
        self.grid_options = []
        self._auto_pick()
        if self.community != NONE:
            self.grid_options = await run_db(lambda s: _child_areas(s, actor, int(self.community)))
            self._auto_pick()

    @rx.event
    async def set_community(self, value: Any):
        actor = await self.require(*INTAKE_ROLES)
        if self.cascade not in (AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY) or _choice(value, self.community_options) is None:
            return
        self.community, self.grid = value, NONE
        self.grid_options = await run_db(lambda s: _child_areas(s, actor, int(value)))
        self._auto_pick()

    @rx.event
    async def set_grid(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if self.cascade == "fixed" or _choice(value, self.grid_options) is None:
            return
        self.grid = value
        self.errors = {k: v for k, v in self.errors.items() if k != "grid_id"}

    @rx.event
    async def clear_link(self):
        """Drop the visit / household link (the form stays as typed)."""
        await self.require(*INTAKE_ROLES)
        self._visit_id = self._household_id = 0
        self.link_label = ""

    def _show_error(self, exc: DomainError):
        field = exc.field if exc.field in INTAKE_FIELDS else "form"
        if exc.field == "phone":
            field = "requester_phone"
        self.errors = {field: exc.message}
        return _toast_error(exc.message)

    @rx.event
    async def submit(self, form_data: Any):
        """Register the case (one transaction: all or nothing), then open it."""
        actor = await self.require(*INTAKE_ROLES)
        if not isinstance(form_data, Mapping) or form_data.get("nonce") != self.nonce or not self.nonce:
            return  # a second click on a form already sent, or not our form
        self.errors = {}
        try:
            form = _form(form_data)
            content = _text(form, "content", 2000) or self.content
            data: dict[str, Any] = {
                "content": content,
                "requester_name": _text(form, "requester_name", 64),
                "requester_phone": _text(form, "requester_phone", 32),
                "requester_address": _text(form, "requester_address", 256),
                "grid_id": None if self.grid == NONE else int(self.grid),
                "category_code": None if self.category_override == NONE else self.category_override,
            }
            if self.channel not in INTAKE_CHANNELS:
                raise DomainError("受理渠道无效", "channel")
        except DomainError as exc:
            yield self._show_error(exc)
            return
        channel = self.channel
        visit_id, household_id = self._visit_id or None, self._household_id or None
        self.submitting = True
        yield

        def work(s: Session) -> str:
            if visit_id or household_id:
                visit, household = _link_for_intake(s, actor, visit_id, household_id)
                data["household_id"] = household.id
                data["visit_id"] = visit.id if visit else None
            return submit_case(s, actor=actor, data=data, channel=channel).code

        try:
            code = await run_db(work)
        except DomainError as exc:
            self.submitting = False
            yield self._show_error(exc)
            return
        self._clear()
        self.nonce = ""  # the page reloads on the next visit
        yield rx.toast.success(f"已登记诉求 {code}")
        yield rx.redirect(f"/cases/{code}")


# ----------------------------------------------------------------------------
# /cases/[code] — one case
# ----------------------------------------------------------------------------
def _countdown(view: Q.CaseView, at: datetime, overrides) -> tuple[str, str, str]:
    """(message key, n, colour) of the deadline line."""
    if view.deadline is None:
        return ("cases.countdown.none", "", "gray")
    if view.status in S.DONE:
        late = view.resolved_at is not None and view.resolved_at > view.deadline
        return ("cases.countdown.done_late" if late else "cases.countdown.done_on_time", "", "orange" if late else "green")
    if view.status not in S.OPEN:
        return ("cases.countdown.none", "", "gray")
    if at <= view.deadline:
        left = workdays_between(at, view.deadline, overrides)
        if left >= 1:
            return ("cases.countdown.days_left", str(math.ceil(left)), "green" if left > 1 else "orange")
        hours = max(1, math.ceil((view.deadline - at).total_seconds() / 3600))
        return ("cases.countdown.hours_left", str(hours), "orange")
    late_hours = (at - view.deadline).total_seconds() / 3600
    if late_hours < 24:
        return ("cases.countdown.hours_over", str(max(1, math.ceil(late_hours))), "red")
    late_days = workdays_between(view.deadline, at, overrides)
    return ("cases.countdown.days_over", str(max(1, round(late_days))), "red")


def _badges(v: Q.CaseView) -> list[dict[str, str]]:
    out = []
    if v.supervised:
        out.append({"key": "cases.badge.supervised", "color": "crimson"})
    if v.flagged:
        out.append({"key": "cases.badge.flagged", "color": "orange"})
    if v.extended:
        out.append({"key": "cases.badge.extended", "color": "purple"})
    elif v.extension_requested_days is not None:
        out.append({"key": "cases.badge.extension_pending", "color": "amber"})
    if v.auto_accepted:
        out.append({"key": "cases.badge.auto_accepted", "color": "teal"})
    if v.return_count:
        out.append({"key": "cases.badge.returned", "color": "gray"})
    if v.overdue:
        out.append({"key": "cases.badge.overdue", "color": "red"})
    return out


def _case_fields(v: Q.CaseView) -> dict[str, str]:
    area = " / ".join(x for x in (v.district_name, v.township_name, v.community_name, v.grid_name) if x)
    return {
        "code": v.code,
        "status": v.status,
        "status_key": _status_key(v.status),
        "status_color": STATUS_COLOR.get(v.status, "gray"),
        "channel_key": f"cases.channel.{v.channel}" if v.channel in Channel.ALL else "cases.channel.other",
        "content": v.content,
        "category": f"{v.category_name}（{v.category_code}）" if v.category_code else "",
        "category_code": v.category_code,
        "confidence": str(round(v.confidence * 100)),
        "terms": v.classify_terms,
        "department": v.department_name,
        "area": area,
        "submitted": _when(v.submitted_at),
        "accepted": _when(v.accepted_at),
        "resolved": _when(v.resolved_at),
        "deadline": _when(v.deadline),
        "provisional": "1" if v.deadline_provisional else "",
        "promise_text": v.promise_text,
        "promise_due": _day(v.promise_due),
        "promise_owner": v.promise_owner,
        "result_text": v.result_text,
        "reject_reason": v.reject_reason,
        "duplicate_of": v.duplicate_of_code,
        "satisfaction_key": f"cases.satisfaction.{v.satisfaction}" if v.satisfaction in Satisfaction.ALL else "",
        "score": str(v.score) if v.score is not None else "",
        "extension_days": str(v.extension_requested_days) if v.extension_requested_days is not None else "",
        "extension_reason": v.extension_reason,
        "version": str(v.version),
    }


def _event_row(e: Q.EventRow) -> dict[str, str]:
    changed = bool(e.to_status) and e.from_status != e.to_status
    actor = " · ".join(x for x in (e.actor_label, e.actor_name) if x)
    return {
        "id": str(e.id),
        "at": _when(e.at),
        "action_key": f"cases.action.{e.action}" if e.action in TRANSITIONS or e.action == "submit" else "cases.action.other",
        "actor": actor or "—",
        "from_key": _status_key(e.from_status) if changed and e.from_status else "",
        "to_key": _status_key(e.to_status) if changed else "",
        "note": e.note,
        "public": "1" if e.public else "",
    }


def _evaluation_row(ev: Q.EvaluationRow) -> dict[str, str]:
    return {
        "kind_key": f"cases.evaluation.{ev.kind}",
        "satisfaction_key": f"cases.satisfaction.{ev.satisfaction}" if ev.satisfaction in Satisfaction.ALL else "",
        "score": str(ev.score) if ev.score is not None else "",
        "comment": ev.comment,
        "at": _when(ev.created_at),
    }


def _action_args(name: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """The domain arguments of one action, parsed from its dialog's form."""
    if name == "accept":
        category = _text(form, "category_code", 16)
        return {
            "category_code": None if category in ("", NONE) else category,
            "promise_text": _text(form, "promise_text", 600),
            "note": _text(form, "note", 600),
        }
    if name in ("reject", "return"):
        return {"reason": _text(form, "reason", 600)}
    if name == "route":
        raw = _text(form, "department_id", 12)
        if raw in ("", NONE):
            return {"department_id": None, "note": _text(form, "note", 600)}
        dep = _int_text(raw)
        if dep is None:
            raise DomainError("请选择职能部门", "department_id")
        return {"department_id": dep, "note": _text(form, "note", 600)}
    if name == "request_extension":
        days = _int_text(_text(form, "days", 4), 1, 15)
        if days is None:
            raise DomainError("延期天数应为1到15个工作日", "days")
        return {"days": days, "reason": _text(form, "reason", 600)}
    if name == "decide_extension":
        choice = _text(form, "approve", 8)
        if choice not in ("yes", "no"):
            raise DomainError("请选择同意或不同意", "approve")
        return {"approve": choice == "yes", "note": _text(form, "note", 600)}
    if name in ("supervise", "add_note", "close"):
        return {"note": _text(form, "note", 2100)}
    if name == "comment":
        return {"note": _text(form, "note", 1100)}
    if name == "public_reply":
        return {"text": _text(form, "text", 1100)}
    if name == "resolve":
        return {"result_text": _text(form, "result_text", 2100)}
    if name == "evaluate":
        satisfaction = _text(form, "satisfaction", 16)
        if satisfaction not in Satisfaction.ALL:
            raise DomainError("请选择满意程度", "satisfaction")
        score = _int_text(_text(form, "score", 2), 1, 5)
        if score is None:
            raise DomainError("请选择1到5分", "score")
        return {"satisfaction": satisfaction, "score": score, "comment": _text(form, "comment", 600)}
    if name == "mark_duplicate":
        code = _case_code(_text(form, "duplicate_of_code", 32))
        if code is None:
            raise DomainError("原诉求编号格式不正确，应为 ZS 加 12 位数字", "duplicate_of_code")
        return {"duplicate_of_code": code}
    return {}  # sign


@dataclass(frozen=True)
class DetailResult:
    detail: Q.CaseDetail
    choices: Choices
    countdown: tuple[str, str, str]
    rating: tuple[str, SC.StaffRating | None] | None = None  # None: this user may not rate


@access(STAFF)
class CaseDetailState(AppState):
    loading: bool = True
    error: str = ""  # not found / no access
    case: dict[str, str] = {}
    badges: list[dict[str, str]] = []
    countdown_key: str = "cases.countdown.none"
    countdown_n: str = ""
    countdown_color: str = "gray"
    requester: dict[str, str] = {}  # empty unless case_detail returned it (masked for leaders)
    timeline: list[dict[str, str]] = []
    evaluations: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []  # {name, key, color}

    dialog: str = ""  # the action whose dialog is open
    dialog_errors: dict[str, str] = {}
    stale: bool = False
    busy: bool = False
    category_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []
    default_department: str = NONE
    default_category: str = NONE
    can_rate: bool = False  # staff in scope may rate the request (reasonable, cooperative)
    staff_rating: dict[str, str] = {}  # this user's own rating, once given
    rate_error: str = ""

    _case_id: int = 0
    _version: int = 0  # the version this page loaded: every action is checked against it
    _code: str = ""
    _allowed: list[str] = []

    def _clear(self) -> None:
        self.error = ""
        self.case = {}
        self.badges, self.timeline, self.evaluations, self.actions = [], [], [], []
        self.requester = {}
        self.countdown_key, self.countdown_n, self.countdown_color = "cases.countdown.none", "", "gray"
        self.dialog = ""
        self.dialog_errors = {}
        self.stale = self.busy = False
        self._case_id = self._version = 0
        self._code = ""
        self._allowed = []
        self.can_rate, self.staff_rating, self.rate_error = False, {}, ""

    def _code_from_path(self) -> str | None:
        parts = (self.router.url.path or "").strip("/").split("/")
        if len(parts) != 2 or parts[0] != "cases":
            return None
        return _case_code(parts[1])

    async def _fetch(self, actor: Actor, code: str) -> None:
        def work(s: Session) -> DetailResult:
            detail = Q.case_detail(s, actor=actor, code=code)
            at = now()
            rating = None
            if actor.role in SC.STAFF_RATERS:
                try:
                    rating = ("1", SC.my_staff_rating(s, actor=actor, case_id=detail.case.id))
                except DomainError:
                    rating = None
            return DetailResult(detail, _choices(s), _countdown(detail.case, at, load_overrides(s)), rating)

        res = await run_db(work)
        d, v = res.detail, res.detail.case
        self.can_rate = res.rating is not None
        mine = res.rating[1] if res.rating else None
        self.staff_rating = (
            {"reasonable": "1" if mine.reasonable else "", "cooperative": "1" if mine.cooperative else "", "comment": mine.comment, "at": mine.at}
            if mine
            else {}
        )
        self._case_id, self._version, self._code = v.id, v.version, v.code
        self._allowed = [a for a in d.actions if a in ACTION_FUNCTIONS]
        self.case = _case_fields(v)
        self.badges = _badges(v)
        self.countdown_key, self.countdown_n, self.countdown_color = res.countdown
        r = d.requester
        self.requester = (
            {"name": r.name, "phone": r.phone, "address": r.address, "masked": "1" if r.masked else ""}
            if (r.name or r.phone or r.address)
            else {}
        )
        self.timeline = [_event_row(e) for e in d.timeline]
        self.evaluations = [_evaluation_row(e) for e in d.evaluations]
        self.actions = [
            {"name": a, "key": f"cases.action.{a}", "color": ACTION_COLOR.get(a, "blue")} for a in self._allowed
        ]
        self.category_options = [{"id": c["code"], "label": c["label"]} for c in res.choices.categories]
        self.department_options = res.choices.departments
        self.default_category = v.category_code or NONE
        cat = next((c for c in res.choices.categories if c["code"] == v.category_code), None)
        self.default_department = (cat or {}).get("department_id") or NONE
        if not any(o["id"] == self.default_department for o in self.department_options):
            self.default_department = NONE

    @rx.event
    async def load(self):
        """on_load: the case named in the path, for this user."""
        actor = await self.require(*STAFF)
        code = self._code_from_path()
        self._clear()
        self.loading = True
        yield
        if code is None:
            self.error = "诉求编号格式不正确"
            self.loading = False
            return
        try:
            await self._fetch(actor, code)
        except AccessDenied:
            self.error = "您无权查看该诉求"
        except DomainError as exc:
            self.error = exc.message
        finally:
            self.loading = False

    @rx.event
    async def refresh(self):
        """Reload the case (after a stale-version refusal)."""
        actor = await self.require(*STAFF)
        code = self._code
        if not code:
            return
        self._clear()
        self.loading = True
        yield
        try:
            await self._fetch(actor, code)
        except AccessDenied:
            self.error = "您无权查看该诉求"
        except DomainError as exc:
            self.error = exc.message
        finally:
            self.loading = False

    @rx.event
    async def open_action(self, name: Any):
        await self.require(*STAFF)
        if not isinstance(name, str) or name not in self._allowed:
            return None
        self.dialog = name
        self.dialog_errors = {}

    @rx.event
    async def close_dialog(self, open_: Any = False):
        await self.require(*STAFF)
        if open_ is True:
            return
        self.dialog = ""
        self.dialog_errors = {}

    @rx.event
    async def submit_action(self, form_data: Any):
        """Run the open dialog's action against the version this page loaded."""
        actor = await self.require(*STAFF)
        name = self.dialog
        fn = ACTION_FUNCTIONS.get(name) if name in self._allowed else None
        if fn is None or self.busy:
            return
        try:
            kwargs = _action_args(name, _form(form_data))
        except DomainError as exc:
            self.dialog_errors = {exc.field if exc.field in ACTION_FIELDS[name] else "form": exc.message}
            return
        case_id, version = self._case_id, self._version
        self.busy = True
        self.dialog_errors = {}
        yield
        try:
            await run_db(lambda s: fn(s, actor=actor, case_id=case_id, expected_version=version, **kwargs))
        except StaleVersion as exc:
            self.stale = True
            self.dialog_errors = {"form": exc.message}
            yield _toast_error(exc.message)
            return
        except DomainError as exc:
            self.dialog_errors = {exc.field if exc.field in ACTION_FIELDS[name] else "form": exc.message}
            yield _toast_error(exc.message)
            return
        finally:
            self.busy = False
        label = TRANSITIONS[name].label
        code = self._code
        self.dialog = ""
        try:
            await self._fetch(actor, code)
        except DomainError:  # e.g. a department's case after 退单 is no longer theirs to see
            self._clear()
            self.error = "该诉求已不在您的工作范围内"
        yield rx.toast.success(f"已{label}")

    @rx.event
    async def rate_request(self, form_data: Any):
        """Staff rate the request: reasonable? requester cooperative? (once per case per rater)."""
        actor = await self.require(*SC.STAFF_RATERS)
        self.rate_error = ""
        case_id, code = self._case_id, self._code
        if not case_id or self.busy:
            return
        try:
            form = _form(form_data)
            reasonable = _text(form, "reasonable", 8)
            cooperative = _text(form, "cooperative", 8)
            comment = _text(form, "comment", 500)
            await run_db(lambda s: SC.rate_request(s, actor=actor, case_id=case_id, reasonable=reasonable, cooperative=cooperative, comment=comment))
        except DomainError as exc:
            self.rate_error = exc.message
            return
        try:
            await self._fetch(actor, code)
        except DomainError:
            self._clear()
            self.error = "该诉求已不在您的工作范围内"
