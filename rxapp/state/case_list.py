"""/cases — the staff case list: a filtered search and the work queues.

A ``PagedList`` (``rxapp.state.paged``): paging, page size, sorting, the
filters and their URL query are the shared pattern; this module adds the
views (work queues per role), the area cascade and the status counts.
See ``rxapp.state.case_common`` for the contract every handler keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from rxapp.domain import queries as Q
from rxapp.domain.access import Actor
from rxapp.domain.errors import DomainError
from rxapp.domain.followup import follow_up_count, follow_up_queue
from rxapp.domain.lookups import (
    area_names,
    child_areas as _child_areas,
    choices as _choices,
    path_ids as _path_ids,
    scope_root as _scope_root,
    scoped_area as _area_in_scope,
    township_names as _township_names,
)
from rxapp.i18n import local_name
from rxapp.models import Role
from rxapp.state.base import STAFF, AppState, access, run_db
from rxapp.state.case_common import (
    ALL,
    BUCKET_VIEWS,
    STATUS_COLOR,
    STATUS_FILTERS,
    TRIAGE_ROLES,
    S,
    _day,
    _int_text,
    _status_key,
    _toast_error,
    _when,
)
from rxapp.state.paged import Filter, PagedList, filter_setter

def _list_row(r: Q.CaseRow, townships: dict[int, str], lang: str) -> dict[str, str]:
    township = townships.get(r.id, "")
    area = " / ".join(x for x in (township, r.community_name) if x)
    return {
        "code": r.code,
        "submitted": _when(r.submitted_at, lang),
        "submitted_day": _day(r.submitted_at, lang),
        "submitted_time": r.submitted_at.strftime("%H:%M") if r.submitted_at else "",
        "category": local_name((r.category_name, r.category_name_en), lang) or "—",
        "category_code": r.category_code,
        "excerpt": r.excerpt + ("…" if len(r.excerpt) >= Q.EXCERPT else ""),
        "area": area or "—",
        "township": township or "—",
        "community": r.community_name,
        "department": local_name((r.department_name, r.department_name_en), lang) or "—",
        "status": r.status,
        "status_key": _status_key(r.status),
        "status_color": STATUS_COLOR.get(r.status, "gray"),
        "deadline": _day(r.deadline, lang) or "—",
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


def _queue_count(s: Session, actor: Actor, view: str, text: str | None) -> int:
    """How many cases a work-queue tab holds (matching ``text``)."""
    if view == "triage":
        return Q.triage_count(s, actor=actor, text=text)
    if view == "follow_up":
        return follow_up_count(s, actor=actor, text=text)
    return Q.worklist_counts(s, actor=actor, text=text)[BUCKET_VIEWS[view]]


def _queue_rows(s: Session, actor: Actor, view: str, text: str | None, *, limit: int, offset: int) -> list[Q.CaseRow]:
    """One page of a work-queue tab, in SQL."""
    if view == "triage":
        return Q.triage_queue(s, actor=actor, limit=limit, offset=offset, text=text)
    if view == "follow_up":
        return follow_up_queue(s, actor=actor, limit=limit, offset=offset, text=text)
    return Q.worklist_bucket(s, actor=actor, bucket=BUCKET_VIEWS[view], limit=limit, offset=offset, text=text)

CASE_FILTERS = (
    Filter("status", values=STATUS_FILTERS, label="状态"),
    Filter("category", options="category_options", label="类别"),
    Filter("area1", options="area1_options", param="", clears=("area2",)),
    Filter("area2", options="area2_options", param=""),
    Filter("department", options="department_options", label="职能部门"),
    Filter("overdue_only", kind="bool", param="overdue", label="超期"),
    Filter("date_from", kind="date", param="from", label="开始日期"),
    Filter("date_to", kind="date", param="to", label="结束日期"),
    Filter("date_basis", values=("accepted", "submitted"), initial="submitted", param="basis", label="日期口径"),
    Filter("text", kind="text", param="q", max_len=100, label="搜索内容"),
)


@access(STAFF)
class CaseListState(PagedList, AppState):
    LIST_ROLES = STAFF
    LIST_FILTERS = CASE_FILTERS
    LIST_SORTS = (Q.DEFAULT_SORT, *(k for k in Q.SORTS if k != Q.DEFAULT_SORT))

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
    phone_search: bool = False  # this user may find cases by the requester's phone

    area1_options: list[dict[str, str]] = []
    area2_options: list[dict[str, str]] = []
    category_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []

    rows: list[dict[str, str]] = []
    status_counts: dict[str, int] = {}
    notice: str = ""  # a link's filters that were ignored
    error: str = ""
    form_key: int = 0  # remounts the text and date inputs when filters are reset from the server
    _ready: bool = False  # options loaded for this tab's user

    set_status = filter_setter("status")
    set_category = filter_setter("category")
    set_department = filter_setter("department")
    set_area1 = filter_setter("area1")
    set_area2 = filter_setter("area2")
    set_overdue_only = filter_setter("overdue_only")

    @rx.var
    def filtered(self) -> bool:
        return any(getattr(self, f.name) != f.default for f in CASE_FILTERS) or self.area_extra != ""

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

    async def _list_fetch(self, actor: Actor) -> None:
        view, page, size, sort, filters = self.view, self.page, self.page_size, self.sort, self._filters()
        lang = await self.ui_lang()

        def work(s: Session) -> ListResult:
            # every tab's count is exact (in SQL): the triage tab's is the chips' 待受理 + 已受理,
            # a department's 待签收 and 办理中 are its chips' 已派单 and 办理中
            view_counts: dict[str, str] = {}
            if actor.role == Role.DEPT:
                n = Q.worklist_counts(s, actor=actor)
                view_counts = {v: str(n[b]) for v, b in BUCKET_VIEWS.items()}
            if actor.role in TRIAGE_ROLES:
                view_counts["triage"] = str(Q.triage_count(s, actor=actor))
                view_counts["follow_up"] = str(follow_up_count(s, actor=actor))
            counts: dict[str, int] = {}
            text = filters["text"]
            if view == ALL:
                p = page
                result = Q.search_cases(s, actor=actor, filters=filters, sort=sort, page=p, page_size=size)
                if not result.rows and result.total and p > 1:  # the list shrank under us: the last page
                    p = result.pages
                    result = Q.search_cases(s, actor=actor, filters=filters, sort=sort, page=p, page_size=size)
                rows, total, counts = result.rows, result.total, result.counts_by_status
            else:
                # a work queue, paged in SQL: every page reachable; the search box works on the tab
                total = _queue_count(s, actor, view, text) if text else int(view_counts.get(view, "0"))
                p = min(page, max(1, -(-total // size)))
                rows = _queue_rows(s, actor, view, text, limit=size, offset=(p - 1) * size)
            townships = _township_names(s, [r.id for r in rows])
            return ListResult([_list_row(r, townships, lang) for r in rows], total, p, counts, view_counts)

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

    async def _list_changed(self, actor: Actor, name: str) -> None:
        if name in ("area1", "area2"):
            self.area_extra = self.area_extra_label = ""
        if name == "area1":
            value = self.area1
            self.area2_options = [] if value == ALL else await run_db(lambda s: _child_areas(s, actor, int(value)))
        if name == "status" or (name == "search" and (self.date_from or self.date_to)):
            self.view = ALL  # a status or a date range is a search of all cases; text alone searches this tab

    def _list_url_extra(self) -> dict[str, str]:
        params = {"view": self.view} if len(self.views) > 1 else {}
        area = self.area_extra or (self.area2 if self.area2 != ALL else self.area1)
        if area not in ("", ALL):
            params["area"] = area
        return params

    def _list_check_search(self, values: dict[str, Any]) -> None:
        if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
            raise DomainError("开始日期不能晚于结束日期", "from")

    def _reset_filters(self) -> None:
        self._list_reset()
        self.area_extra = self.area_extra_label = ""
        self.area2_options = []
        self.form_key += 1

    @rx.event
    async def load(self):
        """on_load: options, the filters a link carries (validated), the first page."""
        actor = await self.require(*STAFF)
        params = dict(self.router.url.query_parameters)
        self.phone_search = Q.may_search_phone(actor)
        self.loading = True
        if self._ready and not params:
            # back from a case to the bare list: this tab's filters, page and tab stay
            async for ev in self._list_reload(actor, first_page=False):
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
            await self._list_fetch(actor)
            if not params.get("view") and self.view != ALL and self.total == 0:
                # the queue we opened on is empty: the first one with work in it, else everything
                queues = ("unsigned", "handling", "overdue", "due_soon") if actor.role == Role.DEPT else ()
                self.view = next((v for v in queues if self.view_counts.get(v, "0") != "0"), ALL)
                await self._list_fetch(actor)
        except DomainError as exc:
            yield _toast_error(exc.message)
        finally:
            self.loading = False

    async def _setup(self, actor: Actor, params: Mapping[str, str]) -> list[str]:
        """Options for this user, and the query parameters applied after
        validating each one; returns the labels of the ones ignored."""
        lang = await self.ui_lang()

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
            return root, _choices(s, lang), level1, level2, area_info

        root, choices, level1, level2, area_info = await run_db(fetch)
        self.category_options = [{"id": c["code"], "label": c["label"]} for c in choices.categories]
        self.department_options = choices.departments
        self.area1_options = level1
        self.area2_options = []

        allowed_views = [ALL]
        if actor.role in TRIAGE_ROLES:
            allowed_views += ["triage", "follow_up"]
        if actor.role == Role.DEPT:
            allowed_views += list(BUCKET_VIEWS)
        self.views = allowed_views

        query = {k: v for k, v in params.items() if k not in ("area", "view")}
        if query.get("category"):
            query["category"] = query["category"].upper()
        bad = self._list_from_url(query)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            bad.append("日期范围")
            self.date_from = self.date_to = ""
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

        view = params.get("view", "")
        if view in allowed_views:
            self.view = view
        else:
            if view:
                bad.append("视图")
            if any(params.get(f.key) for f in CASE_FILTERS if f.key) or params.get("area"):
                self.view = ALL
            elif actor.role == Role.DEPT:
                self.view = "unsigned"
            elif actor.role == Role.DISPATCHER:
                self.view = "triage"
            else:
                self.view = ALL
        return bad

    # -- views and the filters that are not a plain select ---------------------
    @rx.event
    async def set_view(self, value: Any):
        async for ev in self._list_choose("view", value if isinstance(value, str) else None, self.views):
            yield ev

    @rx.event
    async def clear_area_extra(self):
        def change() -> None:
            self.area_extra = self.area_extra_label = ""

        async for ev in self._list_apply(change):
            yield ev

    @rx.event
    async def clear_date_basis(self):
        """Back to submission dates (the badge a drill-down link shows)."""

        def change() -> None:
            self.date_basis = "submitted"

        async for ev in self._list_apply(change):
            yield ev

    @rx.event
    async def clear_text(self):
        """Empty the search box, staying on this tab."""

        def change() -> None:
            self.text = ""
            self.form_key += 1

        async for ev in self._list_apply(change):
            yield ev

    @rx.event
    async def clear_filters(self):
        def change() -> None:
            self._reset_filters()
            self.notice = ""
            self.view = ALL

        async for ev in self._list_apply(change):
            yield ev
