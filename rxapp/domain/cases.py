"""The case lifecycle: the only code that changes a case.

One function per user action (``accept_case``, ``route_case``, ...), called
with keyword arguments, the session first.  Each one

1. checks the actor's role and scope (``AccessDenied``),
2. checks the case's current state against ``TRANSITIONS`` (``InvalidTransition``),
3. validates every argument as untrusted input (``DomainError(message, field)``),
4. writes with optimistic locking — ``UPDATE case SET ..., version = version + 1
   WHERE id = :id AND version = :expected`` — so a stale edit raises
   ``StaleVersion`` and changes nothing,
5. appends exactly one ``CaseEvent``, queues the SMS the requester must get,
   and commits.

Nothing is deleted: rejection, return, reopening are events.  ``TRANSITIONS``
is the single source for the checks and for ``allowed_actions`` (the buttons a
case page shows), so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_in_scope
from rxapp.domain.classify import CATEGORY_CODES, classify, parse_keywords
from rxapp.domain.classify.store import current_model
from rxapp.domain.clock import month_key, now
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, NotFound, StaleVersion
from rxapp.domain.geo.resolve import resolve
from rxapp.domain.holidays import load_overrides
from rxapp.domain.hotspots.detector import detect_on_intake
from rxapp.domain.rollup import apply_case_change, apply_new_cases, snapshot
from rxapp.domain.sms import queue_sms, validate_mobile
from rxapp.domain.sms import render as render_sms
from rxapp.domain.validate import bool_field as _bool
from rxapp.domain.validate import int_field as _int
from rxapp.domain.validate import text_field as _text
from rxapp.domain.workdays import add_workdays, extend_deadline
from rxapp.models import (
    Area,
    AreaLevel,
    Case,
    CaseCreate,
    CaseEvent,
    CaseStatus,
    ClassifierCorrection,
    Category,
    Channel,
    CodeCounter,
    Department,
    Evaluation,
    EvaluationKind,
    Household,
    Meeting,
    MeetingItem,
    Role,
    Satisfaction,
    Sms,
    Team,
    Visit,
)

log = logging.getLogger(__name__)

S = CaseStatus
R = Role

SYSTEM_LABEL = "系统自动受理"
PUBLIC_LABEL = "群众"
CODE_PREFIX = "ZS"
CODE_RE = re.compile(r"^ZS\d{12,}$")

# Intake through these channels comes from residents themselves (no login);
# a phone number is required so they can hear back.
PUBLIC_CHANNELS = (Channel.WEB, Channel.SMS, Channel.API)
SUBMIT_ROLES = (R.DISPATCHER, R.MEMBER, R.ADMIN)

MAX_EXTENSION_DAYS = 15

STATUS_ZH = {
    S.SUBMITTED: "待受理",
    S.ACCEPTED: "已受理",
    S.ROUTED: "已派单",
    S.IN_PROGRESS: "办理中",
    S.RESOLVED: "已办结",
    S.CLOSED: "已结案",
    S.REJECTED: "不予受理",
    S.DUPLICATE: "重复件",
}
SATISFACTION_ZH = {Satisfaction.SATISFIED: "满意", Satisfaction.BASIC: "基本满意", Satisfaction.UNSATISFIED: "不满意"}
CHANNEL_ZH = {
    Channel.DESK: "窗口",
    Channel.PHONE: "电话",
    Channel.VISIT: "走访",
    Channel.WEB: "网上",
    Channel.SMS: "短信",
    Channel.API: "接口",
    Channel.MEETING: "恳谈会",
    Channel.DIARY: "民情日记",
}


# ----------------------------------------------------------------------------
# The transition table
# ----------------------------------------------------------------------------
def _extension_pending(case: Case) -> bool:
    return case.extension_requested_days is not None and not case.extended


def _guard_request_extension(case: Case) -> str | None:
    if case.extended:
        return "本件已延期一次，不能再次延期"
    if _extension_pending(case):
        return "延期申请正在审批中"
    return None


def _guard_decide_extension(case: Case) -> str | None:
    return None if _extension_pending(case) else "没有待审批的延期申请"


@dataclass(frozen=True)
class Transition:
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    label: str  # the action in Chinese, for messages
    guard: Callable[[Case], str | None] | None = None  # extra condition: message when not allowed


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition((S.SUBMITTED,), (R.DISPATCHER, R.ADMIN), "受理"),
    "reject": Transition((S.SUBMITTED,), (R.DISPATCHER, R.ADMIN), "不予受理"),
    "route": Transition((S.ACCEPTED,), (R.DISPATCHER, R.ADMIN), "派单"),
    "sign": Transition((S.ROUTED,), (R.DEPT,), "签收"),
    "return": Transition((S.ROUTED, S.IN_PROGRESS), (R.DEPT,), "退单"),
    "request_extension": Transition((S.IN_PROGRESS,), (R.DEPT,), "申请延期", _guard_request_extension),
    "decide_extension": Transition((S.IN_PROGRESS,), (R.LEADER,), "审批延期", _guard_decide_extension),
    "supervise": Transition(S.OPEN, (R.LEADER,), "督办"),
    "comment": Transition(S.ALL, (R.LEADER,), "点评"),
    "add_note": Transition(S.ALL, R.ALL, "添加内部备注"),
    "public_reply": Transition(S.ALL, (R.DISPATCHER, R.DEPT, R.MEMBER, R.ADMIN), "公开答复"),
    # accepted: a dispatcher answers a simple matter at once (即接即办); an
    # accepted case has no department, so a department never sees it there
    "resolve": Transition((S.ACCEPTED, S.IN_PROGRESS), (R.DEPT, R.DISPATCHER), "办结"),
    "evaluate": Transition((S.RESOLVED,), (R.DISPATCHER, R.MEMBER, R.ADMIN), "回访评价"),
    "close": Transition((S.RESOLVED,), (R.DISPATCHER, R.ADMIN), "结案"),
    "mark_duplicate": Transition(S.OPEN, (R.DISPATCHER, R.ADMIN), "标记为重复件"),
}


def allowed_actions(actor: Actor | None, case: Case) -> list[str]:
    """The actions this actor may take on the case now (what its page offers)."""
    if not isinstance(actor, Actor) or not case_in_scope(actor, case):
        return []
    return [
        name
        for name, rule in TRANSITIONS.items()
        if actor.role in rule.roles
        and case.status in rule.from_states
        and (rule.guard is None or rule.guard(case) is None)
    ]


# ----------------------------------------------------------------------------
# Argument validation (everything from a client is untrusted)
# ----------------------------------------------------------------------------
def _check_actor(actor: object, roles: tuple[str, ...]) -> Actor:
    if actor is None:
        raise AccessDenied("请先登录")
    if not isinstance(actor, Actor) or actor.role not in roles:
        raise AccessDenied()
    return actor


def _id(value: object, field: str = "case_id") -> int:
    return _int(value, field, "编号无效")


def _phone(value: str, field: str = "requester_phone") -> str:
    try:
        return validate_mobile(value)
    except DomainError as exc:
        raise DomainError(exc.message, field) from None


# ----------------------------------------------------------------------------
# Calendar, rules, codes
# ----------------------------------------------------------------------------
def category_rules(session: Session) -> dict[str, tuple[str, ...]]:
    """The keyword rules as administrators edited them (Category.keywords)."""
    rows = session.exec(select(Category.code, Category.keywords, Category.active).order_by(Category.sort, Category.id)).all()
    return _rules_of(rows)


def _rules_of(rows) -> dict[str, tuple[str, ...]]:
    """``(code, keywords, active)`` rows in (sort, id) order -> the rules of the active categories."""
    return dict(_parse_rules(tuple((code, text or "") for code, text, active in rows if active and code in CATEGORY_CODES)))


@functools.lru_cache(maxsize=16)
def _parse_rules(rows: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # cached by the texts themselves: an edit is seen at once, an unchanged set is parsed once
    parsed = []
    for code, text in rows:
        try:
            parsed.append((code, tuple(parse_keywords(text))))
        except ValueError as exc:
            log.warning("keywords of category %s unreadable: %s", code, exc)
    return tuple(parsed)


def default_promise(department: str, due: datetime | None) -> str:
    when = f"{due.year}年{due.month}月{due.day}日" if due else "规定期限"
    return f"由{department}于{when}前办理并答复"


def _fmt_day(d: datetime | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


# ----------------------------------------------------------------------------
# The machinery every action shares
# ----------------------------------------------------------------------------
def _is_sqlite_busy(session: Session, exc: OperationalError) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def claim_sqlite_writer(session: Session) -> None:
    """SQLite: take the write lock with the transaction's first statement, so
    concurrent actions queue on busy_timeout instead of failing on a stale read
    snapshot (SQLite has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("UPDATE codecounter SET last = last WHERE 0")


def _action(fn):
    """Runs an action as one transaction and commits it.

    A DomainError is raised before anything is written; if the action began the
    transaction it is rolled back, so no lock outlives the refusal.  SQLite
    refuses a write whose read snapshot went stale under a concurrent writer
    ("database is locked"): roll back and run the action again on fresh data
    (it then sees the other writer's change, typically as StaleVersion)."""

    @functools.wraps(fn)
    def run(session: Session, **kwargs: Any):
        attempt = 0
        while True:
            began_here = not session.in_transaction()
            try:
                if began_here:
                    claim_sqlite_writer(session)
                result = fn(session, **kwargs)
                session.commit()
                return result
            except DomainError:
                if began_here:
                    session.rollback()
                raise
            except OperationalError as exc:
                session.rollback()
                attempt += 1
                if attempt >= 8 or not _is_sqlite_busy(session, exc):
                    raise
                time.sleep(0.02 * attempt)
            except BaseException:
                session.rollback()
                raise

    return run


def _load(session: Session, actor: object, action: str, case_id: object, expected_version: object) -> tuple[Actor, Case]:
    """Role, case, scope, version and state checks common to every action on a case."""
    rule = TRANSITIONS[action]
    who = _check_actor(actor, rule.roles)
    cid = _id(case_id)
    expected = _int(expected_version, "expected_version", "版本号无效")
    case = session.get(Case, cid, populate_existing=True)
    if case is None:
        raise NotFound("诉求不存在")
    if not case_in_scope(who, case):
        raise AccessDenied()
    if case.version != expected:
        raise StaleVersion()
    if case.status not in rule.from_states:
        raise InvalidTransition(f"诉求当前状态为“{STATUS_ZH.get(case.status, case.status)}”，不能{rule.label}")
    if rule.guard is not None:
        message = rule.guard(case)
        if message:
            raise InvalidTransition(message)
    return who, case


@dataclass(frozen=True)
class _By:
    """Who an event is recorded for: the user (internal) and the public label."""

    user_id: int | None
    label: str

    @staticmethod
    def of(actor: Actor | None) -> _By:
        if actor is None:
            return _By(None, PUBLIC_LABEL)
        return _By(actor.user_id, actor.label or ROLE_LABEL_FALLBACK.get(actor.role, ""))


ROLE_LABEL_FALLBACK = {R.ADMIN: "系统管理员", R.DISPATCHER: "服务中心", R.DEPT: "职能部门", R.MEMBER: "网格服务团队", R.LEADER: "领导"}
SYSTEM = _By(None, SYSTEM_LABEL)


def _change(
    session: Session,
    case: Case,
    *,
    by: _By,
    action: str,
    changes: dict[str, Any],
    note: str = "",
    public: bool = False,
) -> CaseEvent:
    """The versioned UPDATE plus its one event.  ``case`` must be freshly loaded."""
    at = now()
    expected = case.version
    from_status = case.status
    before = snapshot(case)
    values = {**changes, "updated_at": at}
    stmt = (
        update(Case)
        .where(Case.id == case.id, Case.version == expected)
        .values(**values, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        raise StaleVersion()
    for key, value in values.items():
        set_committed_value(case, key, value)
    set_committed_value(case, "version", expected + 1)
    # dashboard rollups change in the same transaction as the case
    apply_case_change(session, before, case)
    event = CaseEvent(
        case_id=case.id,
        at=at,
        actor_user_id=by.user_id,
        actor_label=by.label[:64],
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        public=public,
        version_after=expected + 1,
    )
    session.add(event)
    session.flush()
    return event


def _notify(session: Session, case: Case, template: str, **params: Any) -> None:
    """Queue a notice to the requester, if they left a usable mobile number."""
    if not case.requester_phone:
        return
    try:
        queue_sms(session, phone=case.requester_phone, template=template, case_id=case.id, code=case.code, **params)
    except DomainError:  # e.g. an old landline number: the case page still shows everything
        log.info("case %s: requester phone not a mobile, no %s notice", case.code, template)


def _department_name(session: Session, department_id: int | None) -> str:
    dep = session.get(Department, department_id) if department_id else None
    return dep.name_zh if dep else ""


def _active_department(session: Session, department_id: object, field: str = "department_id") -> Department:
    dep = session.get(Department, _id(department_id, field))
    if dep is None or not dep.active:
        raise DomainError("职能部门不存在或已停用", field)
    return dep


def _category_by_code(session: Session, code: object, field: str = "category_code") -> Category:
    if not isinstance(code, str) or not code.strip() or len(code) > 16:
        raise DomainError("诉求类别不存在", field)
    cat = session.exec(select(Category).where(Category.code == code.strip().upper())).first()
    if cat is None or not cat.active:
        raise DomainError("诉求类别不存在", field)
    return cat


# ----------------------------------------------------------------------------
# Intake
# ----------------------------------------------------------------------------
_FIELD_MESSAGES = {
    "content": "诉求内容需为2到2000个字",
    "requester_phone": "请输入正确的手机号码",
    "requester_name": "姓名不能超过32个字",
    "requester_address": "地址不能超过128个字",
    "grid_id": "请选择所在网格",
    "lat": "位置无效",
    "lon": "位置无效",
    "channel": "受理渠道无效",
    "category_code": "诉求类别不存在",
}


def _case_create(data: object, channel: str) -> CaseCreate:
    if isinstance(data, CaseCreate):
        data = data.model_dump()
    if not isinstance(data, Mapping):
        raise DomainError("提交的内容无效", "content")
    try:
        return CaseCreate.model_validate({**data, "channel": channel})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "content"
        raise DomainError(_FIELD_MESSAGES.get(field, "提交的内容格式不正确"), field) from None


@dataclass(frozen=True)
class _Cat:
    id: int
    code: str
    department_id: int | None
    deadline_workdays: int
    active: bool


@dataclass(frozen=True)
class _Dept:
    id: int
    name_zh: str
    active: bool


_PLACES: tuple[tuple, dict[int, dict[str, int | None]]] = ((), {})
_PLACES_LOCK = threading.Lock()


class IntakeRef:
    """What intake reads besides the request: categories, departments, the
    keyword rules, the holiday schedules and the place of each grid.  Read once
    per transaction (lazily), so a batch of requests pays for it once and
    still sees an administrator's edit committed before it began."""

    def __init__(self, session: Session):
        self.session = session
        self._cats: dict[str, _Cat] | None = None
        self._depts: dict[int, _Dept] | None = None
        self._rules: dict[str, tuple[str, ...]] | None = None
        self._model: Any = None
        self._overrides: Any = None
        self._places: dict[int, dict[str, int | None] | None] = {}

    def _load_categories(self) -> None:
        rows = self.session.exec(
            select(Category.id, Category.code, Category.department_id, Category.deadline_workdays, Category.active, Category.keywords)
            .order_by(Category.sort, Category.id)
        ).all()
        self._cats = {code: _Cat(cid, code, dep, days, active) for cid, code, dep, days, active, _ in rows}
        # the same rules as category_rules (what the intake form suggests from)
        self._rules = _rules_of([(code, kw, active) for _, code, _, _, active, kw in rows])

    @property
    def categories(self) -> dict[str, _Cat]:
        if self._cats is None:
            self._load_categories()
        return self._cats

    @property
    def rules(self) -> dict[str, tuple[str, ...]]:
        if self._rules is None:
            self._load_categories()
        return self._rules

    @property
    def model(self) -> Any:
        """The active classifier model (checked once per transaction)."""
        if self._model is None:
            self._model = (current_model(self.session),)
        return self._model[0]

    @property
    def departments(self) -> dict[int, _Dept]:
        if self._depts is None:
            rows = self.session.exec(select(Department.id, Department.name_zh, Department.active)).all()
            self._depts = {did: _Dept(did, name, active) for did, name, active in rows}
        return self._depts

    @property
    def overrides(self) -> Any:
        if self._overrides is None:
            self._overrides = load_overrides(self.session)
        return self._overrides

    def load_places(self, grid_ids: set[int]) -> None:
        """The area lineage and team of each grid.  Kept per process: areas and
        teams are only ever added (a grid's place never changes, a new team
        takes its grid), so a count and newest id of each — one query per
        transaction — tell when the kept places must be read again."""
        todo = {g for g in grid_ids if g not in self._places}
        if not todo:
            return
        mark = (str(self.session.get_bind().engine.url),) + tuple(
            self.session.exec(
                select(
                    select(func.count(Area.id)).scalar_subquery(),
                    select(func.max(Area.id)).scalar_subquery(),
                    select(func.count(Team.id)).scalar_subquery(),
                    select(func.max(Team.id)).scalar_subquery(),
                )
            ).one()
        )
        global _PLACES
        with _PLACES_LOCK:
            if _PLACES[0] != mark:
                _PLACES = (mark, {})
            kept = _PLACES[1]
        missing = {g for g in todo if g not in kept}
        if missing:
            grids = self.session.exec(select(Area.id, Area.path).where(Area.id.in_(missing), Area.level == AreaLevel.GRID)).all()
            ancestors = {int(x) for _, path in grids for x in path.strip("/").split("/") if x}
            levels = dict(self.session.exec(select(Area.id, Area.level).where(Area.id.in_(ancestors))).all()) if ancestors else {}
            teams = dict(self.session.exec(select(Team.grid_id, Team.id).where(Team.grid_id.in_([g for g, _ in grids]))).all()) if grids else {}
            found: dict[int, dict[str, int | None] | None] = {g: None for g in missing}
            for gid, path in grids:
                lineage = {levels[int(x)]: int(x) for x in path.strip("/").split("/") if x and int(x) in levels}
                found[gid] = {
                    "district_id": lineage.get(AreaLevel.DISTRICT),
                    "township_id": lineage.get(AreaLevel.TOWNSHIP),
                    "community_id": lineage.get(AreaLevel.COMMUNITY),
                    "grid_id": gid,
                    "team_id": teams.get(gid),
                }
            with _PLACES_LOCK:
                if _PLACES[0] == mark and len(_PLACES[1]) < 100_000:
                    _PLACES[1].update({g: p for g, p in found.items() if p is not None})
            kept = {**kept, **found}
        for g in todo:
            self._places[g] = dict(kept[g]) if kept.get(g) is not None else None

    def place(self, grid_id: int) -> dict[str, int | None] | None:
        self.load_places({grid_id})
        return self._places[grid_id]


@dataclass
class IntakePlan:
    """One request checked and classified, nothing written yet."""

    values: dict[str, Any]  # case columns but code, times and what acceptance sets
    by: _By
    channel: str
    category: _Cat | None
    department: _Dept | None
    auto: bool
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Intake:
    """A request taken: what the answer to the requester needs."""

    id: int
    code: str
    status: str
    deadline: datetime | None
    promise_text: str
    category_id: int | None


def _plan_intake(ref: IntakeRef, staff: Actor | None, form: CaseCreate, channel: str) -> IntakePlan | Case:
    """Every check and the classification of one request; the case already
    taken for the same ``source_ref`` (SMS / API) instead, when there is one."""
    session = ref.session
    content = _text(form.content, "content", "诉求内容", min_len=2, max_len=2000)
    name = _text(form.requester_name, "requester_name", "姓名", max_len=32)
    address = _text(form.requester_address, "requester_address", "地址", max_len=128)
    phone = form.requester_phone.strip()
    if phone:
        phone = _phone(phone)
    elif channel in PUBLIC_CHANNELS:
        raise DomainError("请填写手机号码，以便告知办理结果", "requester_phone")

    lon, lat, grid_id = form.lon, form.lat, form.grid_id
    if grid_id is None:
        # no grid chosen: the resolver places the point (GCJ-02) and / or the address
        if lat is None and lon is None and not address:
            raise DomainError("请选择所在网格", "grid_id")
        where = resolve(session, lon=lon, lat=lat, address=address)
        grid_id, lon, lat = where.grid_id, where.lon, where.lat
    place = ref.place(_id(grid_id, "grid_id"))
    if place is None:
        raise DomainError("所选网格不存在", "grid_id")
    # staff register requests only where they work (a member: their team's grid)
    if staff is not None and not case_in_scope(staff, SimpleNamespace(**place, department_id=None)):
        raise AccessDenied("所选网格不在您的管辖范围内")

    source_ref = (form.source_ref or "").strip() or None
    if source_ref and channel in (Channel.SMS, Channel.API):
        existing = session.exec(select(Case).where(Case.source_ref == source_ref, Case.channel == channel)).first()
        if existing is not None:
            return existing

    household_id = visit_id = meeting_item_id = None
    if staff is not None:  # links to our own records come from staff only
        grid_id = place["grid_id"]
        if form.household_id is not None:
            hh = session.get(Household, _id(form.household_id, "household_id"))
            if hh is None or hh.grid_id != grid_id:
                raise DomainError("所选住户不在该网格", "household_id")
            household_id = hh.id
        if form.visit_id is not None:
            # a visit to a household of this same grid (which is in the actor's scope)
            visit = session.get(Visit, _id(form.visit_id, "visit_id"))
            visited = session.get(Household, visit.household_id) if visit is not None else None
            if visited is None or visited.grid_id != grid_id:
                raise DomainError("走访记录不存在或不属于该网格", "visit_id")
            if household_id is not None and visit.household_id != household_id:
                raise DomainError("走访记录与所选住户不符", "visit_id")
            visit_id = visit.id
        if form.meeting_item_id is not None:
            # an item of a meeting held for an area that contains this grid
            item = session.get(MeetingItem, _id(form.meeting_item_id, "meeting_item_id"))
            meeting = session.get(Meeting, item.meeting_id) if item is not None else None
            held_for = session.get(Area, meeting.area_id) if meeting is not None else None
            grid = session.get(Area, grid_id)
            if held_for is None or not grid.path.startswith(held_for.path):
                raise DomainError("恳谈议题不存在或不属于该区域", "meeting_item_id")
            meeting_item_id = item.id

    result = classify(content, ref.rules, ref.model)
    if form.category_code:
        code = form.category_code
        chosen = ref.categories.get(code.strip().upper()) if isinstance(code, str) and len(code) <= 16 else None
        if chosen is None or not chosen.active:
            raise DomainError("诉求类别不存在", "category_code")
        category = chosen
        # a person's choice is for a dispatcher to confirm; a resident's choice
        # only counts when the rules agree with it confidently
        auto = staff is None and result.code == chosen.code and result.auto_accept
    else:
        category = ref.categories.get(result.code)
        category = category if category is not None and category.active else None
        auto = category is not None and result.auto_accept
    department = ref.departments.get(category.department_id) if category and category.department_id else None
    auto = auto and department is not None and department.active and not form.triage
    values = {
        "channel": channel,
        "content": content,
        "requester_name": name,
        "requester_phone": phone,
        "requester_address": address,
        "requester_household_id": household_id,
        "category_id": category.id if category else None,
        "confidence": float(result.confidence),
        "classify_terms": "、".join(result.terms)[:255],
        "classifier_version": result.model_version,
        **place,
        "lat": lat,
        "lon": lon,
        "visit_id": visit_id,
        "meeting_item_id": meeting_item_id,
        "source_ref": source_ref,
        "created_by_user_id": staff.user_id if staff else None,
    }
    return IntakePlan(values, _By.of(staff), channel, category, department, auto, tuple(result.terms))


def _allocate_codes(session: Session, at: datetime, n: int, *, own_transaction: bool = False) -> list[str]:
    """``n`` consecutive public codes, ``ZS`` + yyyymmdd + a 4-digit per-day
    sequence, in one atomic counter upsert: safe when many workers submit at
    once (the counter row stays locked until the caller commits).

    ``own_transaction`` (PostgreSQL, batches): the counter is bumped and
    committed on a connection of its own, so concurrent batches do not queue
    behind each other's counter lock until they commit; a batch that then
    fails leaves a gap in the day's numbers, never a duplicate."""
    day = at.strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        stmt = (
            upsert(CodeCounter)
            .values(day=day, last=n)
            .on_conflict_do_update(index_elements=["day"], set_={"last": CodeCounter.last + n})
            .returning(CodeCounter.last)
        )
        if own_transaction and dialect == "postgresql":
            with session.get_bind().connect() as conn:
                last = conn.execute(stmt).scalar_one()
                conn.commit()
        else:
            last = session.exec(stmt).scalar_one()
    else:  # pragma: no cover - other databases: update, else insert
        res = session.exec(update(CodeCounter).where(CodeCounter.day == day).values(last=CodeCounter.last + n))
        if res.rowcount != 1:
            session.add(CodeCounter(day=day, last=n))
            session.flush()
        last = session.get(CodeCounter, day, populate_existing=True).last
    return [f"{CODE_PREFIX}{day}{number:04d}" for number in range(last - n + 1, last + 1)]


# every row of a multi-row INSERT names the same columns
_NOT_ACCEPTED = {
    "status": S.SUBMITTED,
    "accepted_at": None,
    "auto_accepted": False,
    "deadline": None,
    "deadline_provisional": False,
    "promise_text": "",
    "promise_due": None,
    "promise_owner": "",
    "department_id": None,
    "routed_at": None,
    "version": 1,
}


def _write_intakes(ref: IntakeRef, plans: list[IntakePlan], *, batch: bool = False) -> list[Intake]:
    """Writes planned requests in the caller's transaction, a few statements
    for all of them: the cases (``submitted``, or accepted and routed at once
    when the classification is confident — 系统自动受理 — exactly as
    ``accept_case`` then ``route_case`` would leave them), their events, the
    requesters' SMS and the rollups."""
    session = ref.session
    at = now()
    codes = _allocate_codes(session, at, len(plans), own_transaction=batch)
    deadlines: dict[int, Any] = {}
    rows: list[dict[str, Any]] = []
    for plan, code in zip(plans, codes):
        row = {**plan.values, **_NOT_ACCEPTED, "code": code, "submitted_at": at, "updated_at": at}
        if plan.auto:
            days = plan.category.deadline_workdays
            if days not in deadlines:
                deadlines[days] = add_workdays(at, days, ref.overrides)
            deadline = deadlines[days]
            owner = plan.department.name_zh
            row.update(
                status=S.ROUTED,
                accepted_at=at,
                auto_accepted=True,
                deadline=deadline.due,
                deadline_provisional=deadline.provisional,
                promise_text=default_promise(owner, deadline.due),
                promise_due=deadline.due,
                promise_owner=owner[:64],
                department_id=plan.department.id,
                routed_at=at,
                version=3,
            )
        rows.append(row)
    table = Case.__table__
    conn = session.connection()
    conn.execute(insert(table), rows)  # one multi-row INSERT; the codes are unique, so they find the ids
    id_of = dict(conn.execute(select(table.c.code, table.c.id).where(table.c.code.in_(codes))).all())
    ids = [id_of[code] for code in codes]
    events: list[dict[str, Any]] = []
    sms: list[dict[str, Any]] = []
    out: list[Intake] = []
    for plan, row, case_id in zip(plans, rows, ids):
        row["id"] = case_id

        def event(by: _By, action: str, from_status: str | None, to_status: str, note: str, version: int) -> None:
            events.append(
                {
                    "case_id": case_id,
                    "at": at,
                    "actor_user_id": by.user_id,
                    "actor_label": by.label[:64],
                    "action": action,
                    "from_status": from_status,
                    "to_status": to_status,
                    "note": note,
                    "public": True,
                    "version_after": version,
                }
            )

        event(plan.by, "submit", None, S.SUBMITTED, f"通过{CHANNEL_ZH.get(plan.channel, plan.channel)}提交", 1)
        template, params = None, {}
        if plan.auto:
            event(SYSTEM, "accept", S.SUBMITTED, S.ACCEPTED, f"系统按关键词“{'、'.join(plan.terms[:5])}”自动受理", 2)
            event(SYSTEM, "route", S.ACCEPTED, S.ROUTED, f"转交{plan.department.name_zh}办理", 3)
            template, params = "accepted", {"department": row["promise_owner"], "deadline": row["deadline"]}
        elif plan.channel in PUBLIC_CHANNELS:
            template = "reply_code"
        if template and row["requester_phone"]:
            try:
                number = validate_mobile(row["requester_phone"])
            except DomainError:  # e.g. an old landline number: the case page still shows everything
                log.info("case %s: requester phone not a mobile, no %s notice", row["code"], template)
            else:
                text = render_sms(template, code=row["code"], **params)
                sms.append(dict(direction="out", phone=number, text=text, template=template, case_id=case_id, status="queued", attempts=0, next_attempt_at=at, created_at=at))
        out.append(Intake(case_id, row["code"], row["status"], row.get("deadline"), row.get("promise_text", ""), row["category_id"]))
    conn.execute(insert(CaseEvent.__table__), events)
    if sms:
        conn.execute(insert(Sms.__table__), sms)
    apply_new_cases(session, rows, overrides=None)
    return out


@_action
def submit_case(session: Session, *, actor: Actor | None, data: CaseCreate | Mapping[str, Any], channel: str) -> Case:
    """Take a resident's request.  ``actor`` None = the public (web form, SMS,
    Open311 API).  Classifies with the administrators' keyword rules; when the
    classification is confident the system accepts and routes the case at
    once (系统自动受理), otherwise it waits in the dispatchers' triage queue.

    Idempotent for SMS / API intake: the same ``source_ref`` on the same
    channel returns the case already taken instead of a second one."""
    staff = _check_actor(actor, SUBMIT_ROLES) if actor is not None else None
    if not isinstance(channel, str) or channel not in Channel.ALL:
        raise DomainError("受理渠道无效", "channel")
    if staff is None and channel not in PUBLIC_CHANNELS:
        raise AccessDenied("请先登录")
    ref = IntakeRef(session)
    plan = _plan_intake(ref, staff, _case_create(data, channel), channel)
    if isinstance(plan, Case):
        return plan
    (taken,) = _write_intakes(ref, [plan])
    detect_on_intake(session, [taken.id])  # 热点事件: joins or opens a hot spot in this transaction
    return session.get(Case, taken.id)


def submit_public_batch(
    session: Session, requests: list[tuple[Mapping[str, Any], str]], *, ref: IntakeRef | None = None
) -> list[Intake | Case | DomainError]:
    """Many residents' requests (``(data, channel)``, public channels) taken in
    ONE transaction, committed here: the group commit behind the Open311 API
    under load.  Each request is checked on its own — a refused one gets its
    ``DomainError`` in its place and the others are still taken; nothing is
    written unless the whole batch commits.  A repeated ``source_ref`` in the
    batch answers with the first one's case."""
    out: list[Intake | Case | DomainError | None] = [None] * len(requests)
    ref = ref or IntakeRef(session)
    try:
        claim_sqlite_writer(session)
        forms: list[tuple[int, CaseCreate, str]] = []
        for i, (data, channel) in enumerate(requests):
            try:
                if not isinstance(channel, str) or channel not in PUBLIC_CHANNELS:
                    raise AccessDenied("请先登录")
                forms.append((i, _case_create(data, channel), channel))
            except DomainError as exc:
                out[i] = exc
        ref.load_places({f.grid_id for _, f, _ in forms if isinstance(f.grid_id, int) and not isinstance(f.grid_id, bool)})
        plans: list[tuple[int, IntakePlan]] = []
        first_of: dict[tuple[str, str], int] = {}
        repeats: list[tuple[int, int]] = []
        for i, form, channel in forms:
            source_ref = (form.source_ref or "").strip()
            if source_ref and channel in (Channel.SMS, Channel.API):
                if (channel, source_ref) in first_of:
                    repeats.append((i, first_of[(channel, source_ref)]))
                    continue
                first_of[(channel, source_ref)] = i
            try:
                plan = _plan_intake(ref, None, form, channel)
            except DomainError as exc:
                out[i] = exc
                continue
            if isinstance(plan, Case):
                out[i] = plan
            else:
                plans.append((i, plan))
        if plans:
            taken_all = _write_intakes(ref, [p for _, p in plans], batch=True)
            for (i, _), taken in zip(plans, taken_all):
                out[i] = taken
            detect_on_intake(session, [t.id for t in taken_all])
        for i, first in repeats:
            out[i] = out[first]
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return out


# ----------------------------------------------------------------------------
# Triage: accept, reject, route, mark duplicate
# ----------------------------------------------------------------------------
def _accept(session: Session, case: Case, *, by: _By, category: Category, auto: bool, note: str, promise: str = "") -> None:
    at = now()
    deadline = add_workdays(at, category.deadline_workdays, load_overrides(session))
    owner = _department_name(session, category.department_id) or "相关部门"
    _change(
        session,
        case,
        by=by,
        action="accept",
        changes={
            "status": S.ACCEPTED,
            "accepted_at": at,
            "category_id": category.id,
            "auto_accepted": auto,
            "deadline": deadline.due,
            "deadline_provisional": deadline.provisional,
            "promise_text": promise or default_promise(owner, deadline.due),
            "promise_due": deadline.due,
            "promise_owner": owner[:64],
        },
        note=note,
        public=True,
    )
    _notify(session, case, "accepted", department=owner, deadline=deadline.due)


def _route(session: Session, case: Case, *, by: _By, department: Department, note: str = "") -> None:
    changes: dict[str, Any] = {
        "status": S.ROUTED,
        "department_id": department.id,
        "routed_at": now(),
        "signed_at": None,
    }
    if case.promise_owner != department.name_zh:
        # the promise follows the department; a promise a person wrote stays as written
        if case.promise_text == default_promise(case.promise_owner, case.promise_due):
            changes["promise_text"] = default_promise(department.name_zh, case.promise_due)
        changes["promise_owner"] = department.name_zh[:64]
    text = f"转交{department.name_zh}办理"
    _change(session, case, by=by, action="route", changes=changes, note=f"{text}。{note}" if note else text, public=True)


@_action
def accept_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    expected_version: int,
    category_code: str | None = None,
    promise_text: str | None = None,
    note: str = "",
) -> Case:
    """受理.  ``category_code`` overrides the suggested category (the event
    records old and new).  Sets the deadline and the public promise and tells
    the requester the code and the deadline."""
    who, case = _load(session, actor, "accept", case_id, expected_version)
    suggested = session.get(Category, case.category_id) if case.category_id else None
    if category_code is not None and category_code != "":
        category = _category_by_code(session, category_code)
    elif suggested is not None and suggested.active:
        category = suggested
    else:
        raise DomainError("请选择诉求类别", "category_code")
    promise = _text(promise_text, "promise_text", "承诺内容", max_len=500)
    extra = _text(note, "note", "备注", max_len=500)
    parts = []
    if suggested is None or suggested.id != category.id:
        old = f"{suggested.name_zh}（{suggested.code}）" if suggested else "未分类"
        parts.append(f"类别由{old}改为{category.name_zh}（{category.code}）")
        # a labelled example for the next classifier model (rxapp.domain.classify.learning)
        session.add(ClassifierCorrection(
            case_id=case.id, text=case.content, suggested_code=suggested.code if suggested else "",
            chosen_code=category.code, model_version=case.classifier_version, user_id=who.user_id, created_at=now(),
        ))
    if extra:
        parts.append(extra)
    _accept(session, case, by=_By.of(who), category=category, auto=False, note="；".join(parts), promise=promise)
    return case


@_action
def reject_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, reason: str) -> Case:
    """不予受理 (not a government matter, spam, ...): the reason is public and sent to the requester."""
    who, case = _load(session, actor, "reject", case_id, expected_version)
    why = _text(reason, "reason", "不予受理的理由", min_len=2, max_len=500)
    _change(session, case, by=_By.of(who), action="reject", changes={"status": S.REJECTED, "reject_reason": why}, note=why, public=True)
    _notify(session, case, "rejected", reason=why)
    return case


@_action
def route_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    expected_version: int,
    department_id: int | None = None,
    note: str = "",
) -> Case:
    """派单 to a department (by default the category's); also re-routes a returned case."""
    who, case = _load(session, actor, "route", case_id, expected_version)
    if department_id is None or department_id == "":
        category = session.get(Category, case.category_id) if case.category_id else None
        if category is None or category.department_id is None:
            raise DomainError("请选择职能部门", "department_id")
        department_id = category.department_id
    department = _active_department(session, department_id)
    extra = _text(note, "note", "备注", max_len=500)
    _route(session, case, by=_By.of(who), department=department, note=extra)
    return case


@_action
def mark_duplicate(session: Session, *, actor: Actor, case_id: int, expected_version: int, duplicate_of_code: str) -> Case:
    """重复件: the same matter as another case, which goes on being handled."""
    who, case = _load(session, actor, "mark_duplicate", case_id, expected_version)
    code = _text(duplicate_of_code, "duplicate_of_code", "原诉求编号", min_len=1, max_len=20).upper()
    if not CODE_RE.match(code):
        raise DomainError("原诉求编号格式不正确", "duplicate_of_code")
    if code == case.code:
        raise DomainError("不能标记为与自身重复", "duplicate_of_code")
    original = session.exec(select(Case).where(Case.code == code)).first()
    if original is None or not case_in_scope(who, original):
        raise DomainError("原诉求不存在", "duplicate_of_code")
    if original.status in (S.DUPLICATE, S.REJECTED):
        raise DomainError("原诉求本身未在办理，请选择被办理的那一件", "duplicate_of_code")
    changes: dict[str, Any] = {"status": S.DUPLICATE, "duplicate_of_id": original.id}
    if _extension_pending(case):
        changes["extension_requested_days"] = None
    _change(session, case, by=_By.of(who), action="mark_duplicate", changes=changes, note=f"与诉求{original.code}重复，合并办理", public=True)
    return case


# ----------------------------------------------------------------------------
# Department work: sign, return, extension, resolve
# ----------------------------------------------------------------------------
@_action
def sign_case(session: Session, *, actor: Actor, case_id: int, expected_version: int) -> Case:
    """签收: the department takes the case on."""
    who, case = _load(session, actor, "sign", case_id, expected_version)
    _change(
        session,
        case,
        by=_By.of(who),
        action="sign",
        changes={"status": S.IN_PROGRESS, "signed_at": now()},
        note=f"{who.label or '职能部门'}已签收，正在办理",
        public=True,
    )
    return case


@_action
def return_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, reason: str) -> Case:
    """退单: not this department's matter; back to the dispatchers to re-route."""
    who, case = _load(session, actor, "return", case_id, expected_version)
    why = _text(reason, "reason", "退单理由", min_len=2, max_len=500)
    changes: dict[str, Any] = {
        "status": S.ACCEPTED,
        "department_id": None,
        "routed_at": None,
        "signed_at": None,
        "return_count": case.return_count + 1,
    }
    if _extension_pending(case):
        changes["extension_requested_days"] = None
    _change(session, case, by=_By.of(who), action="return", changes=changes, note=why)
    return case


@_action
def request_extension(session: Session, *, actor: Actor, case_id: int, expected_version: int, days: int, reason: str) -> Case:
    """申请延期: once per case, 1..15 working days, for a leader to decide."""
    who, case = _load(session, actor, "request_extension", case_id, expected_version)
    n = _int(days, "days", f"延期天数应为1到{MAX_EXTENSION_DAYS}个工作日", 1, MAX_EXTENSION_DAYS)
    why = _text(reason, "reason", "延期理由", min_len=2, max_len=500)
    _change(
        session,
        case,
        by=_By.of(who),
        action="request_extension",
        changes={"extension_requested_days": n, "extension_reason": why},
        note=f"申请延期{n}个工作日：{why}",
    )
    return case


@_action
def decide_extension(session: Session, *, actor: Actor, case_id: int, expected_version: int, approve: bool, note: str = "") -> Case:
    """The leader approves (deadline moves by the requested working days, the
    requester is told) or refuses (the department may ask again)."""
    who, case = _load(session, actor, "decide_extension", case_id, expected_version)
    yes = _bool(approve, "approve")
    extra = _text(note, "note", "审批意见", max_len=500)
    days = case.extension_requested_days or 0
    if yes:
        base = case.deadline or now()
        deadline = extend_deadline(base, days, load_overrides(session))
        changes: dict[str, Any] = {
            "extended": True,
            "deadline": deadline.due,
            "deadline_provisional": case.deadline_provisional or deadline.provisional,
            "promise_due": deadline.due,
        }
        if case.promise_text == default_promise(case.promise_owner, case.promise_due):
            changes["promise_text"] = default_promise(case.promise_owner, deadline.due)
        text = f"同意延期{days}个工作日，办理期限延至{_fmt_day(deadline.due)}"
        _change(session, case, by=_By.of(who), action="decide_extension", changes=changes, note=f"{text}。{extra}" if extra else text, public=True)
        _notify(session, case, "extended", deadline=deadline.due, reason=case.extension_reason)
    else:
        text = f"不同意延期{days}个工作日"
        _change(
            session,
            case,
            by=_By.of(who),
            action="decide_extension",
            changes={"extension_requested_days": None},
            note=f"{text}：{extra}" if extra else text,
        )
    return case


@_action
def resolve_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, result_text: str) -> Case:
    """办结 with the result; the requester gets it by SMS with how to evaluate."""
    who, case = _load(session, actor, "resolve", case_id, expected_version)
    result = _text(result_text, "result_text", "办理结果", min_len=2, max_len=2000)
    changes: dict[str, Any] = {"status": S.RESOLVED, "resolved_at": now(), "result_text": result}
    if _extension_pending(case):
        changes["extension_requested_days"] = None
    _change(session, case, by=_By.of(who), action="resolve", changes=changes, note=result, public=True)
    _notify(session, case, "resolved_with_evaluate_hint", result=result)
    _notify_duplicates(session, case, result)
    return case


def _notify_duplicates(session: Session, lead: Case, result: str) -> None:
    """Requests merged into ``lead`` (重复件, e.g. a hot spot handled as one):
    each requester hears the result too, and each case's public timeline says so."""
    dups = session.exec(select(Case).where(Case.duplicate_of_id == lead.id, Case.status == S.DUPLICATE)).all()
    if not dups:
        return
    at = now()
    for dup in dups:
        session.add(CaseEvent(case_id=dup.id, at=at, actor_user_id=None, actor_label=lead.promise_owner or SYSTEM_LABEL,
                              action="lead_resolved", from_status=dup.status, to_status=dup.status,
                              note=f"并入的诉求{lead.code}已办结：{result}", public=True, version_after=dup.version))
        _notify(session, dup, "duplicate_resolved", lead=lead.code, result=result)
    session.flush()


# ----------------------------------------------------------------------------
# Follow-up: evaluate, close
# ----------------------------------------------------------------------------
def _record_verdict(
    session: Session,
    case: Case,
    *,
    by: _By,
    rater_user_id: int | None,
    satisfaction: object,
    score: object,
    comment: object,
    followed_up: bool,
    label: str,
) -> Case:
    """A requester's verdict on a resolved case, whoever records it: satisfied /
    basic closes; the first 不满意 reopens (flagged, a fresh deadline, the
    default promise follows it); a second one closes flagged.  One event, one
    ``Evaluation``.  ``followed_up``: staff recorded it on a 回访 call."""
    if not isinstance(satisfaction, str) or satisfaction not in Satisfaction.ALL:
        raise DomainError("请选择满意程度", "satisfaction")
    points = _int(score, "score", "评分应为1到5分", 1, 5)
    remark = _text(comment, "comment", "评价意见", max_len=500)
    at = now()
    changes: dict[str, Any] = {"satisfaction": satisfaction, "score": points, "evaluated_at": at}
    if followed_up:
        changes["followed_up_at"] = at
    verdict = f"{label}：{SATISFACTION_ZH[satisfaction]}，{points}分"
    if satisfaction in Satisfaction.GOOD:
        changes.update(status=S.CLOSED, closed_at=at)
    elif case.reopen_count == 0:
        category = session.get(Category, case.category_id) if case.category_id else None
        deadline = add_workdays(at, category.deadline_workdays if category else 5, load_overrides(session))
        changes.update(
            status=S.IN_PROGRESS,
            reopen_count=1,
            flagged=True,
            resolved_at=None,
            deadline=deadline.due,
            deadline_provisional=deadline.provisional,
            promise_due=deadline.due,
        )
        if case.promise_text == default_promise(case.promise_owner, case.promise_due):
            changes["promise_text"] = default_promise(case.promise_owner, deadline.due)
        verdict += f"；重新办理，期限至{_fmt_day(deadline.due)}"
    else:
        changes.update(status=S.CLOSED, closed_at=at, flagged=True)
        verdict += "；再次不满意，结案并标记"
    _change(session, case, by=by, action="evaluate", changes=changes, note=verdict, public=True)
    session.add(
        Evaluation(
            kind=EvaluationKind.REQUESTER,
            case_id=case.id,
            team_id=case.team_id,
            rater_user_id=rater_user_id,
            period=month_key(at),
            satisfaction=satisfaction,
            score=points,
            comment=remark,
            created_at=at,
        )
    )
    session.flush()
    return case


@_action
def evaluate_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    expected_version: int,
    satisfaction: str,
    score: int,
    comment: str = "",
) -> Case:
    """回访: record the requester's verdict.  Satisfied / basic closes the case;
    the first 不满意 reopens it (flagged, a fresh deadline), a second one closes it flagged."""
    who, case = _load(session, actor, "evaluate", case_id, expected_version)
    return _record_verdict(session, case, by=_By.of(who), rater_user_id=who.user_id, satisfaction=satisfaction, score=score, comment=comment, followed_up=True, label="回访评价")


@_action
def close_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, note: str = "") -> Case:
    """结案 without an evaluation (e.g. the requester could not be reached)."""
    who, case = _load(session, actor, "close", case_id, expected_version)
    extra = _text(note, "note", "结案说明", max_len=500)
    _change(session, case, by=_By.of(who), action="close", changes={"status": S.CLOSED, "closed_at": now()}, note=extra or "结案", public=True)
    return case


# ----------------------------------------------------------------------------
# Leaders and notes: supervise, comment, internal note, public reply
# ----------------------------------------------------------------------------
@_action
def supervise_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, note: str) -> Case:
    """督办: a leader presses the department on an open case."""
    who, case = _load(session, actor, "supervise", case_id, expected_version)
    text = _text(note, "note", "督办意见", min_len=2, max_len=500)
    _change(session, case, by=_By.of(who), action="supervise", changes={"supervised": True}, note=text)
    return case


@_action
def comment_case(session: Session, *, actor: Actor, case_id: int, expected_version: int, note: str) -> Case:
    """点评: a leader's remark on how the case is handled (internal)."""
    who, case = _load(session, actor, "comment", case_id, expected_version)
    text = _text(note, "note", "点评内容", min_len=2, max_len=1000)
    _change(session, case, by=_By.of(who), action="comment", changes={}, note=text)
    return case


@_action
def add_note(session: Session, *, actor: Actor, case_id: int, expected_version: int, note: str) -> Case:
    """An internal note on the timeline (staff only)."""
    who, case = _load(session, actor, "add_note", case_id, expected_version)
    text = _text(note, "note", "备注内容", min_len=1, max_len=2000)
    _change(session, case, by=_By.of(who), action="add_note", changes={}, note=text)
    return case


@_action
def public_reply(session: Session, *, actor: Actor, case_id: int, expected_version: int, text: str) -> Case:
    """A public timeline entry (shown under the department / centre name)."""
    who, case = _load(session, actor, "public_reply", case_id, expected_version)
    body = _text(text, "text", "答复内容", min_len=2, max_len=1000)
    _change(session, case, by=_By.of(who), action="public_reply", changes={}, note=body, public=True)
    return case


# action name -> the function that takes it (for state handlers dispatching by name)
ACTION_FUNCTIONS: dict[str, Callable[..., Case]] = {
    "accept": accept_case,
    "reject": reject_case,
    "route": route_case,
    "sign": sign_case,
    "return": return_case,
    "request_extension": request_extension,
    "decide_extension": decide_extension,
    "supervise": supervise_case,
    "comment": comment_case,
    "add_note": add_note,
    "public_reply": public_reply,
    "resolve": resolve_case,
    "evaluate": evaluate_case,
    "close": close_case,
    "mark_duplicate": mark_duplicate,
}


@_action
def evaluate_case_by_requester(session: Session, *, case_id: int, expected_version: int, satisfaction: str, score: int, comment: str = "") -> Case:
    """The requester scores their own resolved case (self-service, no login;
    the caller has verified the SMS one-time code).  Same rules as
    ``evaluate_case``: resolved only, once per resolution, satisfied / basic
    closes, the first 不满意 reopens, a second one closes flagged."""
    case = session.get(Case, _id(case_id), populate_existing=True)
    if case is None:
        raise NotFound("诉求不存在")
    if case.version != _int(expected_version, "expected_version", "版本号无效"):
        raise StaleVersion()
    if case.status != S.RESOLVED:
        raise InvalidTransition(f"诉求当前状态为“{STATUS_ZH.get(case.status, case.status)}”，不能评价")
    return _record_verdict(session, case, by=_By.of(None), rater_user_id=None, satisfaction=satisfaction, score=score, comment=comment, followed_up=False, label="群众评价")
