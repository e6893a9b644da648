"""/meetings and /meetings/[meeting_id]: the 民情恳谈 pages' states.

See ``rxapp.state.teamwork`` for the rules every handler follows."""

from __future__ import annotations

from typing import Any

import reflex as rx

from rxapp.domain import meetings as MT
from rxapp.domain.errors import DomainError
from rxapp.domain.households import area_choices
from rxapp.domain.clock import today
from rxapp.models import AreaLevel, MeetingKind, Role
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
    s,
    say,
    toast_error,
    when_text,
)

MEETING_FIELDS = ("kind", "area_id", "title", "held_on", "place", "host", "attendees_count", "attendees", "service_area", "agenda", "minutes")
CASE_FIELDS = ("content", "requester_name", "requester_phone", "grid_id", "category_code")


def _counts(c: MT.ItemCounts) -> dict[str, str]:
    return {"total": str(c.total), "answered": str(c.answered), "in_progress": str(c.in_progress), "overdue": str(c.overdue)}


# ============================================================================
# /meetings
# ============================================================================
@access(TEAMWORK_ROLES)
class MeetingsState(PagedList, AppState):
    LIST_ROLES = TEAMWORK_ROLES
    LIST_FILTERS = (
        Filter("kind", values=MeetingKind.ALL, label="类型"),
        Filter("status", values=(MT.OPEN, MT.CLOSED), label="状态"),
        Filter("month", options="month_options", label="月份"),
    )
    kind: str = ALL
    status: str = ALL
    month: str = ALL
    month_options: list[str] = []
    rows: list[dict[str, str]] = []
    is_member: bool = False

    set_kind = filter_setter("kind")
    set_status = filter_setter("status")
    set_month = filter_setter("month")

    create_open: bool = False
    create_kind: str = MeetingKind.HOUSEHOLD_REP
    create_errors: dict[str, str] = {}
    area_options: list[dict[str, str]] = []  # leaders and administrators name the area
    today_text: str = ""

    async def _list_fetch(self, actor) -> None:
        kind = None if self.kind == ALL else self.kind
        status = None if self.status == ALL else self.status
        month = None if self.month == ALL else self.month
        page, size = self.page, self.page_size
        rows, total = await run_db(lambda sess: MT.list_meetings(sess, actor=actor, kind=kind, month=month, status=status, page=page, page_size=size))
        self.rows = [
            {
                "id": str(r.id),
                "kind": r.kind,
                "kind_key": f"tw.kind.{r.kind}",
                "title": r.title,
                "held_on": day_text(r.held_on),
                "place": r.place,
                "host": r.host,
                "area": r.area_name,
                "service_area": r.service_area,
                "attendees": s(r.attendees_count),
                "status": r.status,
                **_counts(r.counts),
            }
            for r in rows
        ]
        self.total = total

    @rx.event
    async def load(self):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.is_member = actor.role == Role.MEMBER
            self.month_options = recent_months()
            self.today_text = today().isoformat()
            self.create_open = False
            self._list_reset()
            self._list_from_url(self.router.url.query_parameters)
        except DomainError as exc:
            self.loading = False
            yield toast_error(exc.message)
            return
        async for ev in self._list_reload(actor, first_page=False, url=False):
            yield ev

    @rx.event
    async def open_create(self):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            if actor.role != Role.MEMBER:
                levels = (AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY)
                rows = await run_db(lambda sess: area_choices(sess, actor=actor, levels=levels))
                self.area_options = [{"id": str(c.id), "label": c.label, "level": c.level} for c in rows]
            else:
                self.area_options = []
        except DomainError as exc:
            return toast_error(exc.message)
        self.create_kind = MeetingKind.HOUSEHOLD_REP
        self.create_open, self.create_errors = True, {}

    @rx.event
    async def close_create(self, open_: Any = False):
        if open_ is not True:
            self.create_open, self.create_errors = False, {}

    @rx.event
    async def set_create_kind(self, value: Any):
        if value in MeetingKind.ALL:
            self.create_kind = value

    @rx.event
    async def submit_create(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            f = form_of(form_data)
            data = {k: field(f, k) for k in MEETING_FIELDS if k in f}
            data["kind"] = self.create_kind
            if actor.role != Role.MEMBER and choice(data.get("area_id"), self.area_options) is None:
                raise DomainError("请选择会议所属的社区村或乡镇街道", "area_id")
            meeting = await run_db(lambda sess: MT.create_meeting(sess, actor=actor, data=data))
        except DomainError as exc:
            self.create_errors = error_map(exc, MEETING_FIELDS)
            return toast_error(exc.message)
        self.create_open, self.create_errors = False, {}
        return [rx.toast.success(await say(self, "tw.meeting.created")), rx.redirect(f"/meetings/{meeting.id}")]


# ============================================================================
# /meetings/[meeting_id]
# ============================================================================
@access(TEAMWORK_ROLES)
class MeetingDetailState(AppState):
    found: bool = False
    loading: bool = True
    meeting: dict[str, str] = {}
    items: list[dict[str, str]] = []
    counts: dict[str, str] = {}
    can_edit: bool = False
    can_raise_case: bool = False
    item_error: str = ""

    edit_open: bool = False
    edit_errors: dict[str, str] = {}
    close_open: bool = False
    close_errors: dict[str, str] = {}

    answer_item: str = ""  # the item being answered ("" = closed)
    answer_text: str = ""
    answer_error: str = ""

    raise_item: str = ""  # the item being turned into a case
    raise_text: str = ""
    raise_name: str = ""
    raise_errors: dict[str, str] = {}
    grid_options: list[dict[str, str]] = []  # administrators pick the case's grid

    _meeting_id: int = 0

    async def _fetch(self, actor) -> None:
        mid = self._meeting_id
        d = await run_db(lambda sess: MT.meeting_detail(sess, actor=actor, meeting_id=mid))
        self.meeting = {
            "id": str(d.id),
            "kind": d.kind,
            "kind_key": f"tw.kind.{d.kind}",
            "title": d.title,
            "area": d.area_name,
            "held_on": day_text(d.held_on),
            "place": d.place,
            "host": d.host,
            "attendees_count": s(d.attendees_count),
            "attendees": d.attendees,
            "service_area": d.service_area,
            "agenda": d.agenda,
            "minutes": d.minutes,
            "status": d.status,
            "closed_at": when_text(d.closed_at),
            "version": str(d.version),
        }
        self.items = [
            {
                "id": str(i.id),
                "text": i.text,
                "raised_by": i.raised_by,
                "status": i.status,
                "answer": i.answer,
                "answered_at": when_text(i.answered_at),
                "case_code": i.case_code,
                "case_status_key": f"tw.case_status.{i.case_status}" if i.case_status else "",
                "deadline": day_text(i.case_deadline),
                "stand": i.stand,
                "stand_key": f"tw.stand.{i.stand}",
            }
            for i in d.items
        ]
        self.counts = _counts(d.counts)
        self.can_edit, self.can_raise_case = d.can_edit, d.can_raise_case
        self.found = True

    @rx.event
    async def load(self):
        self.found, self.loading = False, True
        self.edit_open = self.close_open = False
        self.answer_item = self.raise_item = self.item_error = ""
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            mid = path_id(self.router.url.path)
            if mid is None:
                raise DomainError("会议不存在", "meeting_id")
            self._meeting_id = mid
            await self._fetch(actor)
        except DomainError as exc:
            self.meeting, self.items = {}, []
            return toast_error(exc.message)
        finally:
            self.loading = False

    def _item(self, item_id: Any) -> dict[str, str] | None:
        return next((i for i in self.items if i["id"] == item_id), None) if isinstance(item_id, str) else None

    # -- items -------------------------------------------------------------------
    @rx.event
    async def submit_item(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            f = form_of(form_data)
            text, by = field(f, "text"), field(f, "raised_by")
            mid = self._meeting_id
            await run_db(lambda sess: MT.add_item(sess, actor=actor, meeting_id=mid, text=text, raised_by=by))
            self.item_error = ""
            await self._fetch(actor)
            return rx.toast.success(await say(self, "tw.item.added"))
        except DomainError as exc:
            self.item_error = exc.message
            return toast_error(exc.message)

    @rx.event
    async def open_answer(self, item_id: Any):
        row = self._item(item_id)
        if row is None or row["status"] != MT.ITEM_OPEN or not self.can_edit:
            return None
        self.answer_item, self.answer_text, self.answer_error = row["id"], row["text"], ""

    @rx.event
    async def close_answer(self, open_: Any = False):
        if open_ is not True:
            self.answer_item, self.answer_error = "", ""

    @rx.event
    async def submit_answer(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            row = self._item(self.answer_item)
            if row is None:
                raise DomainError("议题不存在，请刷新后重试", "answer")
            answer = field(form_of(form_data), "answer")
            await run_db(lambda sess: MT.answer_item(sess, actor=actor, item_id=row["id"], answer=answer))
            self.answer_item, self.answer_error = "", ""
            await self._fetch(actor)
            return rx.toast.success(await say(self, "tw.item.answered_done"))
        except DomainError as exc:
            self.answer_error = exc.message
            return toast_error(exc.message)

    @rx.event
    async def open_raise(self, item_id: Any):
        row = self._item(item_id)
        try:
            actor = await self.require(Role.MEMBER, Role.ADMIN)
            if row is None or row["status"] != MT.ITEM_OPEN or not self.can_raise_case:
                raise DomainError("议题不存在，请刷新后重试", "item_id")
            if actor.role == Role.ADMIN:
                rows = await run_db(lambda sess: area_choices(sess, actor=actor, levels=(AreaLevel.GRID,)))
                self.grid_options = [{"id": str(c.id), "label": c.label.strip("\u3000")} for c in rows]
            else:
                self.grid_options = []
        except DomainError as exc:
            return toast_error(exc.message)
        self.raise_item, self.raise_text, self.raise_name, self.raise_errors = row["id"], row["text"], row["raised_by"], {}

    @rx.event
    async def close_raise(self, open_: Any = False):
        if open_ is not True:
            self.raise_item, self.raise_errors = "", {}

    @rx.event
    async def submit_raise(self, form_data: dict):
        try:
            actor = await self.require(Role.MEMBER, Role.ADMIN)
            row = self._item(self.raise_item)
            if row is None:
                raise DomainError("议题不存在，请刷新后重试", "form")
            f = form_of(form_data)
            data = {k: field(f, k) for k in ("content", "requester_name", "requester_phone")}
            if actor.role == Role.ADMIN:
                data["grid_id"] = choice(field(f, "grid_id"), self.grid_options)
            case = await run_db(lambda sess: MT.raise_case_from_item(sess, actor=actor, item_id=row["id"], data=data))
        except DomainError as exc:
            self.raise_errors = error_map(exc, CASE_FIELDS)
            return toast_error(exc.message)
        self.raise_item, self.raise_errors = "", {}
        await self._fetch(actor)
        return rx.toast.success(await say(self, "tw.raise.done", code=case.code))

    # -- the meeting -------------------------------------------------------------
    @rx.event
    async def open_edit(self):
        if self.can_edit:
            self.edit_open, self.edit_errors = True, {}

    @rx.event
    async def close_edit(self, open_: Any = False):
        if open_ is not True:
            self.edit_open, self.edit_errors = False, {}

    @rx.event
    async def submit_edit(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            f = form_of(form_data)
            data = {k: field(f, k) for k in MEETING_FIELDS if k in f and k not in ("kind", "area_id")}
            mid, version = self._meeting_id, self.meeting.get("version", "")
            await run_db(lambda sess: MT.update_meeting(sess, actor=actor, meeting_id=mid, data=data, expected_version=version))
            self.edit_open, self.edit_errors = False, {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "common.saved"))
        except DomainError as exc:
            self.edit_errors = error_map(exc, MEETING_FIELDS)
            return toast_error(exc.message)

    @rx.event
    async def open_close(self):
        if self.can_edit:
            self.close_open, self.close_errors = True, {}

    @rx.event
    async def close_close(self, open_: Any = False):
        if open_ is not True:
            self.close_open, self.close_errors = False, {}

    @rx.event
    async def submit_close(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            f = form_of(form_data)
            minutes, count = field(f, "minutes"), field(f, "attendees_count")
            mid, version = self._meeting_id, self.meeting.get("version", "")
            await run_db(
                lambda sess: MT.close_meeting(sess, actor=actor, meeting_id=mid, expected_version=version, minutes=minutes if minutes is not None else "", attendees_count=count)
            )
            self.close_open, self.close_errors = False, {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "tw.meeting.closed_done"))
        except DomainError as exc:
            self.close_errors = error_map(exc, ("minutes", "attendees_count", "items"))
            return toast_error(exc.message)
