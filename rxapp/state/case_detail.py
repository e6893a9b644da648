"""/cases/[code] — one case: its fields, timeline, evaluations and the
actions this user may take (each checked against the version the page
loaded). See ``rxapp.state.case_common`` for the contract every handler keeps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from rxapp.domain import queries as Q
from rxapp.domain import scores as SC
from rxapp.domain.access import Actor
from rxapp.domain.cases import ACTION_FUNCTIONS, TRANSITIONS
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, StaleVersion
from rxapp.domain.holidays import load_overrides
from rxapp.domain.lookups import Choices, category_and_department_names, choices as _choices
from rxapp.domain.workdays import workdays_between
from rxapp.i18n import local_name, translate
from rxapp.models import Channel, Satisfaction
from rxapp.state.base import STAFF, AppState, access, run_db
from rxapp.state.case_common import (
    ACTION_COLOR,
    ACTION_FIELDS,
    NONE,
    STATUS_COLOR,
    S,
    _case_code,
    _day,
    _form,
    _int_text,
    _status_key,
    _text,
    _toast_error,
    _when,
)


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


def _case_fields(v: Q.CaseView, lang: str) -> dict[str, str]:
    area = " / ".join(x for x in (v.district_name, v.township_name, v.community_name, v.grid_name) if x)
    return {
        "code": v.code,
        "status": v.status,
        "status_key": _status_key(v.status),
        "status_color": STATUS_COLOR.get(v.status, "gray"),
        "channel_key": f"cases.channel.{v.channel}" if v.channel in Channel.ALL else "cases.channel.other",
        "content": v.content,
        "category": local_name((v.category_name, v.category_name_en), lang) if v.category_code else "",
        "category_code": v.category_code,
        "confidence": str(round(v.confidence * 100)),
        "terms": v.classify_terms,
        "department": local_name((v.department_name, v.department_name_en), lang),
        "area": area,
        "submitted": _when(v.submitted_at, lang),
        "accepted": _when(v.accepted_at, lang),
        "resolved": _when(v.resolved_at, lang),
        "deadline": _when(v.deadline, lang),
        "provisional": "1" if v.deadline_provisional else "",
        "promise_text": v.promise_text,
        "promise_due": _day(v.promise_due, lang),
        # the promise is made in the handling department's name: that name in the language
        "promise_owner": local_name((v.department_name, v.department_name_en), lang) if v.promise_owner == v.department_name else v.promise_owner,
        "result_text": v.result_text,
        "reject_reason": v.reject_reason,
        "duplicate_of": v.duplicate_of_code,
        "satisfaction_key": f"cases.satisfaction.{v.satisfaction}" if v.satisfaction in Satisfaction.ALL else "",
        "score": str(v.score) if v.score is not None else "",
        "extension_days": str(v.extension_requested_days) if v.extension_requested_days is not None else "",
        "extension_reason": v.extension_reason,
        "version": str(v.version),
    }


def _event_row(e: Q.EventRow, lang: str, departments: dict[str, str]) -> dict[str, str]:
    changed = bool(e.to_status) and e.from_status != e.to_status
    # a department acts under its name (stored in Chinese): that name in the language
    label = departments.get(e.actor_label, e.actor_label) if lang != "zh" else e.actor_label
    actor = " · ".join(x for x in (label, e.actor_name) if x)
    return {
        "id": str(e.id),
        "at": _when(e.at, lang),
        "action_key": f"cases.action.{e.action}" if e.action in TRANSITIONS or e.action == "submit" else "cases.action.other",
        "actor": actor or "—",
        "from_key": _status_key(e.from_status) if changed and e.from_status else "",
        "to_key": _status_key(e.to_status) if changed else "",
        "note": e.note,
        "public": "1" if e.public else "",
    }


def _evaluation_row(ev: Q.EvaluationRow, lang: str) -> dict[str, str]:
    return {
        "kind_key": f"cases.evaluation.{ev.kind}",
        "satisfaction_key": f"cases.satisfaction.{ev.satisfaction}" if ev.satisfaction in Satisfaction.ALL else "",
        "score": str(ev.score) if ev.score is not None else "",
        "comment": ev.comment,
        "at": _when(ev.created_at, lang),
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
    departments: dict[str, str] | None = None  # Chinese name -> English name


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
        lang = await self.ui_lang()

        def work(s: Session) -> DetailResult:
            detail = Q.case_detail(s, actor=actor, code=code)
            at = now()
            rating = None
            if actor.role in SC.STAFF_RATERS:
                try:
                    rating = ("1", SC.my_staff_rating(s, actor=actor, case_id=detail.case.id))
                except DomainError:
                    rating = None
            _, deps = category_and_department_names(s)
            return DetailResult(detail, _choices(s, lang), _countdown(detail.case, at, load_overrides(s)), rating, {zh: en for _, zh, en in deps if en})

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
        self.case = _case_fields(v, lang)
        self.badges = _badges(v)
        self.countdown_key, self.countdown_n, self.countdown_color = res.countdown
        r = d.requester
        self.requester = (
            {"name": r.name, "phone": r.phone, "address": r.address, "masked": "1" if r.masked else ""}
            if (r.name or r.phone or r.address)
            else {}
        )
        self.timeline = [_event_row(e, lang, res.departments or {}) for e in d.timeline]
        self.evaluations = [_evaluation_row(e, lang) for e in d.evaluations]
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

    async def _open(self, actor: Actor, code: str | None):
        """A clean page, the spinner, then the case (or why it cannot be shown)."""
        self._clear()
        self.loading = True
        yield
        try:
            if code is None:
                self.error = "诉求编号格式不正确"
                return
            await self._fetch(actor, code)
        except AccessDenied:
            self.error = "您无权查看该诉求"
        except DomainError as exc:
            self.error = exc.message
        finally:
            self.loading = False

    @rx.event
    async def load(self):
        """on_load: the case named in the path, for this user."""
        actor = await self.require(*STAFF)
        async for ev in self._open(actor, self._code_from_path()):
            yield ev

    @rx.event
    async def refresh(self):
        """Reload the case (after a stale-version refusal)."""
        actor = await self.require(*STAFF)
        if self._code:
            async for ev in self._open(actor, self._code):
                yield ev

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
        lang = await self.ui_lang()
        label = translate(f"cases.action.{name}", lang)
        code = self._code
        self.dialog = ""
        try:
            await self._fetch(actor, code)
        except DomainError:  # e.g. a department's case after 退单 is no longer theirs to see
            self._clear()
            self.error = "该诉求已不在您的工作范围内"
        yield rx.toast.success(translate("cases.toast.done", lang, action=label))

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
