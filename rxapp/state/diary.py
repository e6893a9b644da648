"""/diary, /diary/new and /diary/[diary_id]: the 民情日记 pages' states.

See ``rxapp.state.teamwork`` for the rules every handler follows."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import reflex as rx

from rxapp.domain import diaries as D
from rxapp.domain.clock import today
from rxapp.domain.errors import DomainError
from rxapp.domain.households import area_choices, household_choices
from rxapp.domain.cases import STATUS_ZH
from rxapp.models import AreaLevel, Role
from rxapp.state.base import AppState, access, run_db
from rxapp.state.paged import Filter, PagedList, filter_setter
from rxapp.state.teamwork import (
    ALL,
    TEAMWORK_ROLES,
    choice,
    day_text,
    error_map,
    field,
    form_of,
    path_id,
    recent_months,
    say,
    this_month,
    toast_error,
    when_text,
)

ACTIVITY_ROWS = 300  # teams shown in the table (the sums count them all)


def _area_options(rows) -> list[dict[str, str]]:
    return [{"id": str(c.id), "label": c.label, "level": c.level} for c in rows]


# ============================================================================
# /diary — lists by month, area, team and member; the month's team counts
# ============================================================================
@access(TEAMWORK_ROLES)
class DiaryListState(PagedList, AppState):
    LIST_ROLES = TEAMWORK_ROLES
    LIST_FILTERS = (
        Filter("month", options="month_options", initial="", label="月份"),
        Filter("area", options="area_options", clears=("team", "team_label", "member", "member_label"), label="区域"),
    )
    month: str = ""
    month_options: list[str] = []
    area: str = ALL
    area_options: list[dict[str, str]] = []
    team: str = ""
    team_label: str = ""
    member: str = ""
    member_label: str = ""
    rows: list[dict[str, str]] = []
    activity: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    sum_visits: int = 0
    sum_diaries: int = 0
    sum_households: int = 0
    comments: list[dict[str, str]] = []
    is_member: bool = False

    set_month = filter_setter("month")
    set_area = filter_setter("area")

    def _export(self, name: str, **extra: str) -> str:
        params = {"month": self.month, **({"area": self.area} if self.area != ALL else {}), **extra}
        return f"/api/export/teamwork/{name}.xlsx?" + urlencode(params)

    @rx.var
    def activity_export(self) -> str:
        return self._export("activity")

    @rx.var
    def diaries_export(self) -> str:
        return self._export("diaries", **({"team": self.team} if self.team else {}))

    async def _list_fetch(self, actor) -> None:
        month, page, size = self.month, self.page, self.page_size
        area = None if self.area == ALL else self.area
        team, member = self.team or None, self.member or None
        members_team = team or (str(actor.team_id) if actor.role == Role.MEMBER and actor.team_id else None)

        def work(sess):
            rows, total = D.list_diaries(sess, actor=actor, month=month, area_id=area, team_id=team, user_id=member, page=page, page_size=size)
            activity = D.activity_for(sess, actor=actor, month=month, area_id=area)
            members = D.team_members_for(sess, actor=actor, team_id=members_team, month=month) if members_team else []
            comments = D.recent_comments(sess, actor=actor) if actor.role == Role.MEMBER else []
            return rows, total, activity, members, comments

        rows, total, activity, members, comments = await run_db(work)
        self.rows = [
            {
                "id": str(r.id),
                "day": day_text(r.day),
                "author": r.author_name,
                "team": r.team_name,
                "grid": r.grid_name,
                "excerpt": r.excerpt,
                "visits": str(r.visits),
                "commented": "1" if r.commented else "",
                "comment": r.comment_excerpt,
            }
            for r in rows
        ]
        self.total = total
        self.sum_visits = sum(a.visits for a in activity)
        self.sum_diaries = sum(a.diaries for a in activity)
        self.sum_households = sum(a.households for a in activity)
        ranked = sorted(activity, key=lambda a: (-a.visits, -a.diaries, a.team_name))[:ACTIVITY_ROWS]
        self.activity = [
            {"id": str(a.team_id), "name": a.team_name, "grid": a.grid_name, "visits": str(a.visits), "diaries": str(a.diaries), "households": str(a.households)}
            for a in ranked
        ]
        self.members = [{"id": str(m.user_id), "name": m.name, "visits": str(m.visits), "diaries": str(m.diaries)} for m in members]
        self.comments = [{"id": str(c.id), "day": day_text(c.day), "comment": c.comment_excerpt} for c in comments]

    @rx.event
    async def load(self):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.is_member = actor.role == Role.MEMBER
            self.month_options = recent_months()
            if actor.role != Role.MEMBER:
                levels = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY)
                self.area_options = _area_options(await run_db(lambda sess: area_choices(sess, actor=actor, levels=levels)))
            else:
                self.area_options = []
            self._list_reset()
            self.team = self.team_label = self.member = self.member_label = ""
            self.month = this_month()
            self._list_from_url(self.router.url.query_parameters)
        except DomainError as exc:
            self.loading = False
            yield toast_error(exc.message)
            return
        async for ev in self._list_reload(actor, first_page=False, url=False):
            yield ev

    async def _refilter(self):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.page = 1
            await self._list_fetch(actor)
        except DomainError as exc:
            return toast_error(exc.message)

    @rx.event
    async def pick_team(self, team_id: Any):
        row = next((a for a in self.activity if a["id"] == team_id), None) if isinstance(team_id, str) else None
        if row is None:
            return None
        self.team, self.team_label = row["id"], row["name"]
        self.member = self.member_label = ""
        return await self._refilter()

    @rx.event
    async def pick_member(self, user_id: Any):
        row = next((m for m in self.members if m["id"] == user_id), None) if isinstance(user_id, str) else None
        if row is None:
            return None
        self.member, self.member_label = row["id"], row["name"]
        return await self._refilter()

    @rx.event
    async def clear_team(self):
        self.team = self.team_label = self.member = self.member_label = ""
        return await self._refilter()

    @rx.event
    async def clear_member(self):
        self.member = self.member_label = ""
        return await self._refilter()


# ============================================================================
# /diary/new — a member writes a day's diary with the households visited
# ============================================================================
DIARY_FIELDS = ("day", "heard", "done", "followups", "visits")
MATCHES = 12


@access((Role.MEMBER,))
class DiaryFormState(AppState):
    day: str = ""
    max_day: str = ""
    households: list[dict[str, str]] = []  # the member's own grid: {id, label}
    query: str = ""
    pending: list[dict[str, str]] = []  # {id, label, note}
    errors: dict[str, str] = {}
    saving: bool = False

    async def _member(self) -> bool:
        try:
            await self.require(Role.MEMBER)
            return True
        except DomainError:
            return False

    @rx.var
    def matches(self) -> list[dict[str, str]]:
        chosen = {p["id"] for p in self.pending}
        q = self.query.strip()
        found = [h for h in self.households if h["id"] not in chosen and (not q or q in h["label"])]
        return found[:MATCHES]

    @rx.event
    async def load(self):
        try:
            actor = await self.require(Role.MEMBER)
            rows = await run_db(lambda sess: household_choices(sess, actor=actor))
        except DomainError as exc:
            return toast_error(exc.message)
        self.max_day = today().isoformat()
        self.day = self.max_day
        self.households = [{"id": str(c.id), "label": c.label} for c in rows]
        self.query = ""
        self.pending = []
        self.errors = {}
        self.saving = False

    @rx.event
    async def set_query(self, value: Any):
        if not await self._member():
            return
        self.query = value[:40] if isinstance(value, str) else ""

    @rx.event
    async def add_household(self, household_id: Any):
        if not await self._member():
            return
        row = next((h for h in self.households if h["id"] == household_id), None) if isinstance(household_id, str) else None
        if row is None or any(p["id"] == row["id"] for p in self.pending):
            return
        if len(self.pending) >= D.MAX_VISITS:
            self.errors = {"visits": f"一篇日记最多记录{D.MAX_VISITS}户走访"}
            return
        self.pending = [*self.pending, {"id": row["id"], "label": row["label"], "note": ""}]
        self.errors = {k: v for k, v in self.errors.items() if k != "visits"}

    @rx.event
    async def remove_household(self, household_id: Any):
        if not await self._member():
            return
        self.pending = [p for p in self.pending if p["id"] != household_id]

    @rx.event
    async def set_note(self, household_id: Any, value: Any):
        if not await self._member() or not isinstance(value, str):
            return
        self.pending = [{**p, "note": value[:2000]} if p["id"] == household_id else p for p in self.pending]

    @rx.event
    async def submit(self, form_data: dict):
        try:
            actor = await self.require(Role.MEMBER)
            f = form_of(form_data)
            data = {
                "day": field(f, "day"),
                "heard": field(f, "heard"),
                "done": field(f, "done"),
                "followups": field(f, "followups"),
                "visits": [{"household_id": p["id"], "note": p["note"]} for p in self.pending],
            }
            self.saving = True
            yield
            diary = await run_db(lambda sess: D.create_diary(sess, actor=actor, data=data))
        except DomainError as exc:
            self.saving = False
            self.errors = error_map(exc, DIARY_FIELDS)
            yield toast_error(exc.message)
            return
        self.saving = False
        self.errors = {}
        self.pending = []
        yield rx.toast.success(await say(self, "tw.diary.saved"))
        yield rx.redirect(f"/diary/{diary.id}")


# ============================================================================
# /diary/[diary_id] — read, comment (leader), add visits and raise cases (author)
# ============================================================================
RAISE_FIELDS = ("content", "requester_name", "requester_phone", "category_code")
EDIT_FIELDS = ("heard", "done", "followups")


@access(TEAMWORK_ROLES)
class DiaryDetailState(AppState):
    found: bool = False
    loading: bool = True
    diary: dict[str, str] = {}
    visits: list[dict[str, str]] = []
    visit_cases: list[dict[str, str]] = []  # {visit_id, code, status}
    is_author: bool = False
    can_comment: bool = False
    can_raise_case: bool = False
    comment_error: str = ""

    # 登记诉求 dialog ("" = closed)
    raise_visit: str = ""
    raise_household: str = ""
    raise_label: str = ""
    raise_name: str = ""
    raise_phone: str = ""
    raise_content: str = ""
    raise_errors: dict[str, str] = {}
    raised_code: str = ""

    # the author's dialogs
    edit_open: bool = False
    edit_errors: dict[str, str] = {}
    add_open: bool = False
    add_options: list[dict[str, str]] = []
    add_errors: dict[str, str] = {}

    _diary_id: int = 0

    async def _fetch(self, actor) -> None:
        diary_id = self._diary_id
        d = await run_db(lambda sess: D.diary_detail(sess, actor=actor, diary_id=diary_id))
        self.diary = {
            "id": str(d.id),
            "day": day_text(d.day),
            "heard": d.heard,
            "done": d.done,
            "followups": d.followups,
            "author": d.author_name,
            "team": d.team_name,
            "grid": d.grid_name,
            "comment": d.leader_comment,
            "commented_by": d.commented_by,
            "commented_at": when_text(d.commented_at),
            "created_at": when_text(d.created_at),
            "version": str(d.version),
        }
        self.visits = [
            {"id": str(v.id), "household_id": str(v.household_id), "representative": v.representative, "address": v.address, "note": v.note, "cases": str(len(v.cases))}
            for v in d.visits
        ]
        self.visit_cases = [
            {"visit_id": str(v.id), "code": c.code, "status": STATUS_ZH.get(c.status, c.status), "status_key": f"tw.case_status.{c.status}"}
            for v in d.visits
            for c in v.cases
        ]
        self.is_author, self.can_comment, self.can_raise_case = d.is_author, d.can_comment, d.can_raise_case
        self.found = True

    @rx.event
    async def load(self):
        self.found = False
        self.loading = True
        self.raise_visit = self.raised_code = ""
        self.edit_open = self.add_open = False
        self.comment_error = ""
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            diary_id = path_id(self.router.url.path)
            if diary_id is None:
                raise DomainError("日记不存在", "diary_id")
            self._diary_id = diary_id
            await self._fetch(actor)
        except DomainError as exc:
            self.diary, self.visits, self.visit_cases = {}, [], []
            return toast_error(exc.message)
        finally:
            self.loading = False

    # -- 点评 -----------------------------------------------------------------
    @rx.event
    async def submit_comment(self, form_data: dict):
        try:
            actor = await self.require(Role.LEADER)
            text = field(form_of(form_data), "comment")
            diary_id, version = self._diary_id, self.diary.get("version", "")
            await run_db(lambda sess: D.comment_diary(sess, actor=actor, diary_id=diary_id, comment=text, expected_version=version))
            self.comment_error = ""
            await self._fetch(actor)
            return rx.toast.success(await say(self, "tw.diary.commented"))
        except DomainError as exc:
            self.comment_error = exc.message
            return toast_error(exc.message)

    # -- 登记诉求 from a visit ------------------------------------------------------
    @rx.event
    async def open_raise(self, visit_id: Any):
        row = next((v for v in self.visits if v["id"] == visit_id), None) if isinstance(visit_id, str) else None
        try:
            actor = await self.require(Role.MEMBER)
            if row is None or not self.can_raise_case:
                raise DomainError("走访记录不存在，请刷新后重试", "visit_id")
            pre = await run_db(lambda sess: D.visit_prefill(sess, actor=actor, visit_id=row["id"], household_id=row["household_id"]))
        except DomainError as exc:
            return toast_error(exc.message)
        self.raise_visit, self.raise_household = str(pre.visit_id), str(pre.household_id)
        self.raise_label = f"{pre.requester_name} · {pre.requester_address}"
        self.raise_name, self.raise_phone, self.raise_content = pre.requester_name, pre.requester_phone, pre.note
        self.raise_errors = {}
        self.raised_code = ""

    @rx.event
    async def close_raise(self, open_: Any = False):
        if open_ is True:
            return
        self.raise_visit = self.raise_household = ""
        self.raise_errors = {}

    @rx.event
    async def submit_raise(self, form_data: dict):
        try:
            actor = await self.require(Role.MEMBER)
            visit_id = self.raise_visit
            if not any(v["id"] == visit_id for v in self.visits):
                raise DomainError("走访记录不存在，请刷新后重试", "form")
            f = form_of(form_data)
            data = {k: field(f, k) for k in ("content", "requester_name", "requester_phone")}
            case = await run_db(lambda sess: D.raise_case_from_visit(sess, actor=actor, visit_id=visit_id, data=data))
        except DomainError as exc:
            self.raise_errors = error_map(exc, RAISE_FIELDS)
            return toast_error(exc.message)
        self.raise_visit = self.raise_household = ""
        self.raise_errors = {}
        self.raised_code = case.code
        await self._fetch(actor)
        return rx.toast.success(await say(self, "tw.raise.done", code=case.code))

    # -- the author's edits -------------------------------------------------------
    @rx.event
    async def open_edit(self):
        try:
            await self.require(Role.MEMBER)
        except DomainError as exc:
            return toast_error(exc.message)
        if self.is_author:
            self.edit_open, self.edit_errors = True, {}

    @rx.event
    async def close_edit(self, open_: Any = False):
        if open_ is not True:
            self.edit_open, self.edit_errors = False, {}

    @rx.event
    async def submit_edit(self, form_data: dict):
        try:
            actor = await self.require(Role.MEMBER)
            f = form_of(form_data)
            data = {k: field(f, k) for k in EDIT_FIELDS}
            diary_id, version = self._diary_id, self.diary.get("version", "")
            await run_db(lambda sess: D.update_diary(sess, actor=actor, diary_id=diary_id, data=data, expected_version=version))
            self.edit_open, self.edit_errors = False, {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "common.saved"))
        except DomainError as exc:
            self.edit_errors = error_map(exc, EDIT_FIELDS)
            return toast_error(exc.message)

    @rx.event
    async def open_add(self):
        try:
            actor = await self.require(Role.MEMBER)
            if not self.is_author:
                return None
            rows = await run_db(lambda sess: household_choices(sess, actor=actor))
        except DomainError as exc:
            return toast_error(exc.message)
        taken = {v["household_id"] for v in self.visits}
        self.add_options = [{"id": str(c.id), "label": c.label} for c in rows if str(c.id) not in taken]
        self.add_open, self.add_errors = True, {}

    @rx.event
    async def close_add(self, open_: Any = False):
        if open_ is not True:
            self.add_open, self.add_errors = False, {}

    @rx.event
    async def submit_add(self, form_data: dict):
        try:
            actor = await self.require(Role.MEMBER)
            f = form_of(form_data)
            household = choice(field(f, "household_id"), self.add_options)
            if household is None:
                raise DomainError("请选择走访的住户", "household_id")
            note = field(f, "note")
            diary_id = self._diary_id
            await run_db(lambda sess: D.add_visit(sess, actor=actor, diary_id=diary_id, household_id=household, note=note))
            self.add_open, self.add_errors = False, {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "tw.diary.visit_added"))
        except DomainError as exc:
            self.add_errors = error_map(exc, ("household_id", "note", "visits"))
            return toast_error(exc.message)

