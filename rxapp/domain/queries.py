"""The read side of cases for the staff pages: lists, worklists, the triage
queue and one case's detail.  Everything is filtered, counted, sorted and paged
in SQL inside the actor's scope; rows carry only what a page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from collections.abc import Iterator
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import and_, func, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from rxapp.domain.access import CASE_AREA_COLUMN, Actor, area_in_scope, case_in_scope, case_scope_clause, require_role
from rxapp.domain.cases import CODE_RE, allowed_actions
from rxapp.domain.holidays import load_overrides
from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.workdays import add_workdays
from rxapp.models import Area, AreaLevel, Case, CaseEvent, CaseStatus, Category, Department, Evaluation, Role, User

S = CaseStatus
OPEN_FILTER = "open"  # pseudo-status for the filter: every open state
EXCERPT = 80
MAX_PAGE_SIZE = 100
BUCKET_LIMIT = 200
TIMELINE_LIMIT = 500


# ----------------------------------------------------------------------------
# Row types
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseRow:
    """One line of a case list."""

    id: int
    code: str
    status: str
    channel: str
    excerpt: str
    category_code: str
    category_name: str
    department_name: str
    community_name: str
    submitted_at: datetime
    deadline: datetime | None
    overdue: bool
    supervised: bool
    flagged: bool
    auto_accepted: bool
    confidence: float
    classify_terms: str
    return_count: int
    version: int
    category_name_en: str = ""
    department_name_en: str = ""


@dataclass(frozen=True)
class Page:
    rows: list[CaseRow]
    total: int
    counts_by_status: dict[str, int]
    page: int = 1
    page_size: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class EventRow:
    id: int
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    note: str
    public: bool
    actor_label: str  # what the public sees
    actor_name: str  # the person (staff pages only)
    version_after: int


@dataclass(frozen=True)
class Requester:
    name: str
    phone: str
    address: str
    household_id: int | None
    masked: bool


@dataclass(frozen=True)
class EvaluationRow:
    kind: str
    satisfaction: str | None
    score: int | None
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class CaseView:
    id: int
    code: str
    status: str
    channel: str
    content: str
    category_code: str
    category_name: str
    confidence: float
    classify_terms: str
    auto_accepted: bool
    department_id: int | None
    department_name: str
    district_name: str
    township_name: str
    community_name: str
    grid_name: str
    team_id: int | None
    submitted_at: datetime
    accepted_at: datetime | None
    routed_at: datetime | None
    signed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    deadline: datetime | None
    deadline_provisional: bool
    overdue: bool
    extension_requested_days: int | None
    extension_reason: str
    extended: bool
    supervised: bool
    flagged: bool
    reopen_count: int
    return_count: int
    duplicate_of_code: str
    promise_text: str
    promise_due: datetime | None
    promise_owner: str
    result_text: str
    reject_reason: str
    satisfaction: str | None
    score: int | None
    evaluated_at: datetime | None
    followed_up_at: datetime | None
    version: int
    category_name_en: str = ""
    department_name_en: str = ""


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    requester: Requester
    timeline: list[EventRow]
    evaluations: list[EvaluationRow]
    actions: list[str] = field(default_factory=list)  # allowed_actions for this actor now


# ----------------------------------------------------------------------------
# Filter and sort (validated; never getattr on client strings)
# ----------------------------------------------------------------------------
class CaseFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    status: str | None = None  # a CaseStatus, or "open"
    category_code: str | None = Field(default=None, max_length=16)
    area_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overdue: bool | None = None
    date_from: date | None = None  # submitted (or accepted, see date_basis) on or after
    date_to: date | None = None  # ... on or before
    # "submitted": the dates are submission dates; "accepted": the dashboard's
    # cohort — accepted in the range and not rejected or marked duplicate —
    # so a drill-down lists exactly the cases a KPI counted
    date_basis: Literal["submitted", "accepted"] = "submitted"
    text: str | None = Field(default=None, max_length=100)

    @field_validator("status", "category_code", "text", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("area_id", "department_id", "date_from", "date_to", "overdue", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("date_basis", mode="before")
    @classmethod
    def _default_basis(cls, v: Any) -> Any:
        return "submitted" if v in (None, "") else v

    @field_validator("status")
    @classmethod
    def _known_status(cls, v: str | None) -> str | None:
        if v is not None and v != OPEN_FILTER and v not in S.ALL:
            raise ValueError("unknown status")
        return v

    @field_validator("category_code")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v

    @model_validator(mode="after")
    def _range(self) -> CaseFilter:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from after date_to")
        return self


_FILTER_MESSAGES = {
    "status": "状态无效",
    "category_code": "诉求类别无效",
    "area_id": "区域无效",
    "department_id": "职能部门无效",
    "overdue": "超期筛选无效",
    "date_from": "开始日期无效",
    "date_to": "结束日期无效",
    "date_basis": "日期口径无效",
    "text": "搜索内容不能超过100个字",
}


def parse_filter(value: CaseFilter | dict | None) -> CaseFilter:
    """A client's filter (dict) -> CaseFilter, or DomainError naming the field."""
    if value is None:
        return CaseFilter()
    if isinstance(value, CaseFilter):
        return value
    if not isinstance(value, dict):
        raise DomainError("筛选条件无效", "filters")
    try:
        return CaseFilter.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err.get("loc") else ""
        if not loc:  # the model-level check: the date range
            raise DomainError("开始日期不能晚于结束日期", "date_from") from None
        raise DomainError(_FILTER_MESSAGES.get(loc, "筛选条件无效"), loc if loc in _FILTER_MESSAGES else "filters") from None


# sort key -> ORDER BY; the id breaks ties so paging is stable
SORTS: dict[str, tuple] = {
    "newest": (Case.submitted_at.desc(), Case.id.desc()),
    "oldest": (Case.submitted_at.asc(), Case.id.asc()),
    "deadline": (Case.deadline.asc().nulls_last(), Case.id.asc()),
    "updated": (Case.updated_at.desc(), Case.id.desc()),
}
DEFAULT_SORT = "newest"


# ----------------------------------------------------------------------------
# Lists
# ----------------------------------------------------------------------------
_Community = aliased(Area)


def _row_query():
    return (
        select(
            Case.id,
            Case.code,
            Case.status,
            Case.channel,
            func.substr(Case.content, 1, EXCERPT),
            Category.code,
            Category.name_zh,
            Department.name_zh,
            _Community.name,
            Case.submitted_at,
            Case.deadline,
            Case.supervised,
            Case.flagged,
            Case.auto_accepted,
            Case.confidence,
            Case.classify_terms,
            Case.return_count,
            Case.version,
            Category.name_en,
            Department.name_en,
        )
        .select_from(Case)
        .outerjoin(Category, Category.id == Case.category_id)
        .outerjoin(Department, Department.id == Case.department_id)
        .outerjoin(_Community, _Community.id == Case.community_id)
    )


def _to_row(r: Any, at: datetime) -> CaseRow:
    deadline = r[10]
    return CaseRow(
        id=r[0],
        code=r[1],
        status=r[2],
        channel=r[3],
        excerpt=r[4] or "",
        category_code=r[5] or "",
        category_name=r[6] or "",
        department_name=r[7] or "",
        community_name=r[8] or "",
        submitted_at=r[9],
        deadline=deadline,
        overdue=bool(deadline is not None and r[2] in S.OPEN and deadline < at),
        supervised=bool(r[11]),
        flagged=bool(r[12]),
        auto_accepted=bool(r[13]),
        confidence=float(r[14] or 0.0),
        classify_terms=r[15] or "",
        return_count=int(r[16] or 0),
        version=int(r[17]),
        category_name_en=r[18] or "",
        department_name_en=r[19] or "",
    )


def _is_overdue(at: datetime):
    return and_(Case.status.in_(S.OPEN), Case.deadline.is_not(None), Case.deadline < at)


def _filter_conditions(session: Session, actor: Actor, f: CaseFilter, at: datetime) -> list:
    """Conditions other than status (so the status tabs can be counted in one go)."""
    conds = [case_scope_clause(actor)]
    if f.area_id is not None:
        area = session.get(Area, f.area_id)
        if area is None:
            raise DomainError("区域不存在", "area_id")
        if not area_in_scope(actor, area):
            raise AccessDenied("所选区域不在您的管辖范围内")
        if area.level != AreaLevel.CITY:
            column = CASE_AREA_COLUMN.get(area.level)
            if column is None:
                raise DomainError("区域不存在", "area_id")
            conds.append(column == area.id)
    if f.category_code is not None:
        cat_id = session.exec(select(Category.id).where(Category.code == f.category_code)).first()
        if cat_id is None:
            raise DomainError("诉求类别无效", "category_code")
        conds.append(Case.category_id == cat_id)
    if f.department_id is not None:
        conds.append(Case.department_id == f.department_id)
    if f.overdue is True:
        conds.append(_is_overdue(at))
    elif f.overdue is False:
        conds.append(~_is_overdue(at))
    day_of = Case.accepted_at if f.date_basis == "accepted" else Case.submitted_at
    if f.date_basis == "accepted":
        conds.append(Case.accepted_at.is_not(None))
        conds.append(Case.status.not_in((S.REJECTED, S.DUPLICATE)))
    if f.date_from is not None:
        conds.append(day_of >= datetime.combine(f.date_from, time.min))
    if f.date_to is not None:
        conds.append(day_of < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.text:
        conds.append(text_condition(actor, f.text))
    return conds


PHONE_SEARCH_RE = re.compile(r"\d{4,11}")


def may_search_phone(actor: Actor) -> bool:
    """Only the roles that see requesters' phones may find cases by one."""
    return isinstance(actor, Actor) and _full_requester(actor)


def text_condition(actor: Actor, text: str):
    """What a list's search box matches: the content, the exact case code and,
    for roles that see phones, 4 to 11 digits of the requester's phone
    (spaces and dashes ignored)."""
    t = text.strip()
    alts = [Case.content.contains(t, autoescape=True), Case.code == t.upper()]
    digits = re.sub(r"[\s-]", "", t)
    if may_search_phone(actor) and PHONE_SEARCH_RE.fullmatch(digits):
        alts.append(Case.requester_phone.contains(digits, autoescape=True))
    return or_(*alts)


def _status_condition(status: str | None):
    if status is None:
        return true()
    if status == OPEN_FILTER:
        return Case.status.in_(S.OPEN)
    return Case.status == status


def search_cases(
    session: Session,
    *,
    actor: Actor,
    filters: CaseFilter | dict | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = 20,
    now: datetime | None = None,
) -> Page:
    """A page of the cases this actor may see, with the total and the count of
    each status under the same filters (for the status tabs)."""
    who = require_role(actor if isinstance(actor, Actor) else None, *Role.ALL)
    f = parse_filter(filters)
    if not isinstance(sort, str) or sort not in SORTS:
        raise DomainError("排序方式无效", "sort")
    for name, value, hi in (("page", page, 10**6), ("page_size", page_size, MAX_PAGE_SIZE)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
            raise DomainError("分页参数无效", name)
    at = now or clock_now()
    conds = _filter_conditions(session, who, f, at)

    counts = {
        status: int(n)
        for status, n in session.exec(select(Case.status, func.count()).where(*conds).group_by(Case.status)).all()
    }
    if f.status is None:
        total = sum(counts.values())
    elif f.status == OPEN_FILTER:
        total = sum(counts.get(s, 0) for s in S.OPEN)
    else:
        total = counts.get(f.status, 0)
    rows: list[CaseRow] = []
    if total and (page - 1) * page_size < total:
        stmt = (
            _row_query()
            .where(*conds, _status_condition(f.status))
            .order_by(*SORTS[sort])
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        rows = [_to_row(r, at) for r in session.exec(stmt).all()]
    return Page(rows=rows, total=total, counts_by_status=counts, page=page, page_size=page_size)


EXPORT_LIMIT = 50_000


def export_cases(
    session: Session,
    *,
    actor: Actor,
    filters: CaseFilter | dict | None = None,
    sort: str = DEFAULT_SORT,
    limit: int = EXPORT_LIMIT,
    now: datetime | None = None,
) -> Iterator[CaseRow]:
    """Every case of a list (same filters and scope as ``search_cases``), for
    an Excel export: streamed in one query, at most ``limit`` rows."""
    who = require_role(actor if isinstance(actor, Actor) else None, *Role.ALL)
    f = parse_filter(filters)
    if not isinstance(sort, str) or sort not in SORTS:
        raise DomainError("排序方式无效", "sort")
    at = now or clock_now()
    conds = _filter_conditions(session, who, f, at)
    stmt = _row_query().where(*conds, _status_condition(f.status)).order_by(*SORTS[sort]).limit(min(limit, EXPORT_LIMIT))
    for r in session.exec(stmt.execution_options(yield_per=2000)):
        yield _to_row(r, at)


WORKLIST_BUCKETS = ("待签收", "办理中", "即将超期", "已超期")


def _worklist_where(session: Session, actor: Actor, at: datetime) -> tuple[object, dict]:
    who = require_role(actor if isinstance(actor, Actor) else None, Role.DEPT)
    if who.department_id is None:
        raise AccessDenied()
    soon = add_workdays(at, 1, load_overrides(session)).due
    mine = and_(Case.department_id == who.department_id, Case.status.in_((S.ROUTED, S.IN_PROGRESS)))
    conditions = {
        "待签收": Case.status == S.ROUTED,
        "办理中": Case.status == S.IN_PROGRESS,
        "即将超期": and_(Case.deadline >= at, Case.deadline <= soon),
        "已超期": Case.deadline < at,
    }
    return who, mine, conditions


def worklist_bucket(
    session: Session, *, actor: Actor, bucket: str, now: datetime | None = None, limit: int = BUCKET_LIMIT, offset: int = 0, text: str | None = None
) -> list[CaseRow]:
    """One bucket of a department's open work, by deadline; ``limit`` rows
    from ``offset`` (paged in SQL), those ``text`` matches if given."""
    at = now or clock_now()
    who, mine, conditions = _worklist_where(session, actor, at)
    if bucket not in conditions:
        raise DomainError("工作清单无效", "bucket")
    limit, offset = queue_window(limit, offset)
    conds = [mine, conditions[bucket]] + ([text_condition(who, text[:100])] if isinstance(text, str) and text.strip() else [])
    stmt = _row_query().where(*conds).order_by(*SORTS["deadline"]).offset(offset).limit(limit)
    return [_to_row(r, at) for r in session.exec(stmt).all()]


def worklist_counts(session: Session, *, actor: Actor, now: datetime | None = None, text: str | None = None) -> dict[str, int]:
    """How many cases each bucket holds (the tabs' counts, exact, in one query)."""
    at = now or clock_now()
    who, mine, conditions = _worklist_where(session, actor, at)
    where = [mine] + ([text_condition(who, text[:100])] if isinstance(text, str) and text.strip() else [])
    row = session.exec(select(*(func.count().filter(conditions[b]) for b in WORKLIST_BUCKETS)).select_from(Case).where(*where)).one()
    return {b: int(n or 0) for b, n in zip(WORKLIST_BUCKETS, row)}


def department_worklist(session: Session, *, actor: Actor, now: datetime | None = None) -> dict[str, list[CaseRow]]:
    """A department's open work in four buckets (a case due soon or overdue
    also appears under 待签收 / 办理中); each bucket ordered by deadline, at
    most ``BUCKET_LIMIT`` rows (pages: ``worklist_bucket``)."""
    at = now or clock_now()
    return {b: worklist_bucket(session, actor=actor, bucket=b, now=at) for b in WORKLIST_BUCKETS}


def queue_window(limit: object, offset: object) -> tuple[int, int]:
    """A work queue's page (``limit`` rows from ``offset``), checked."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise DomainError("数量无效", "limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= 10**8:
        raise DomainError("位置无效", "offset")
    return limit, offset


def _triage_where(who: Actor, text: str | None) -> list:
    conds = [case_scope_clause(who), Case.status.in_((S.SUBMITTED, S.ACCEPTED))]
    if isinstance(text, str) and text.strip():
        conds.append(text_condition(who, text[:100]))
    return conds


def triage_queue(
    session: Session, *, actor: Actor, now: datetime | None = None, limit: int = BUCKET_LIMIT, offset: int = 0, text: str | None = None
) -> list[CaseRow]:
    """The dispatchers' queue: cases waiting to be accepted (submitted) and
    accepted cases waiting to be routed (including ones a department returned),
    oldest first; ``limit`` rows from ``offset`` (paged in SQL), those the
    search ``text`` matches if given."""
    who = require_role(actor if isinstance(actor, Actor) else None, Role.DISPATCHER, Role.ADMIN)
    limit, offset = queue_window(limit, offset)
    at = now or clock_now()
    stmt = _row_query().where(*_triage_where(who, text)).order_by(Case.submitted_at.asc(), Case.id.asc()).offset(offset).limit(limit)
    return [_to_row(r, at) for r in session.exec(stmt).all()]


def triage_count(session: Session, *, actor: Actor, text: str | None = None) -> int:
    """How many cases the triage queue holds (its tab's count, not capped):
    the status chips 待受理 plus 已受理 of the same scope."""
    who = require_role(actor if isinstance(actor, Actor) else None, Role.DISPATCHER, Role.ADMIN)
    return int(session.exec(select(func.count()).select_from(Case).where(*_triage_where(who, text))).one())


# ----------------------------------------------------------------------------
# One case
# ----------------------------------------------------------------------------
def mask_name(name: str) -> str:
    name = name or ""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    phone = phone or ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else ("*" * len(phone))


def mask_address(address: str) -> str:
    address = address or ""
    keep = min(6, len(address) // 2)
    return address[:keep] + "****" if address else ""


def _full_requester(actor: Actor) -> bool:
    # leaders oversee, they do not call residents back: masked for them
    return actor.role in (Role.DISPATCHER, Role.ADMIN, Role.DEPT, Role.MEMBER)


def case_detail(session: Session, *, actor: Actor, code: str, now: datetime | None = None) -> CaseDetail:
    """A case with its whole timeline for a staff member in scope."""
    who = require_role(actor if isinstance(actor, Actor) else None, *Role.ALL)
    if not isinstance(code, str) or not CODE_RE.match(code.strip().upper()):
        raise DomainError("诉求编号格式不正确", "code")
    case = session.exec(select(Case).where(Case.code == code.strip().upper())).first()
    if case is None:
        raise NotFound("诉求不存在")
    if not case_in_scope(who, case):
        raise AccessDenied()
    at = now or clock_now()

    area_ids = [i for i in (case.district_id, case.township_id, case.community_id, case.grid_id) if i]
    names = dict(session.exec(select(Area.id, Area.name).where(Area.id.in_(area_ids))).all()) if area_ids else {}
    category = session.get(Category, case.category_id) if case.category_id else None
    department = session.get(Department, case.department_id) if case.department_id else None
    duplicate_of = (
        session.exec(select(Case.code).where(Case.id == case.duplicate_of_id)).first() if case.duplicate_of_id else None
    )
    view = CaseView(
        id=case.id,
        code=case.code,
        status=case.status,
        channel=case.channel,
        content=case.content,
        category_code=category.code if category else "",
        category_name=category.name_zh if category else "",
        category_name_en=category.name_en if category else "",
        confidence=case.confidence,
        classify_terms=case.classify_terms,
        auto_accepted=case.auto_accepted,
        department_id=case.department_id,
        department_name=department.name_zh if department else "",
        department_name_en=department.name_en if department else "",
        district_name=names.get(case.district_id, ""),
        township_name=names.get(case.township_id, ""),
        community_name=names.get(case.community_id, ""),
        grid_name=names.get(case.grid_id, ""),
        team_id=case.team_id,
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        routed_at=case.routed_at,
        signed_at=case.signed_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        deadline=case.deadline,
        deadline_provisional=case.deadline_provisional,
        overdue=bool(case.deadline and case.status in S.OPEN and case.deadline < at),
        extension_requested_days=case.extension_requested_days,
        extension_reason=case.extension_reason,
        extended=case.extended,
        supervised=case.supervised,
        flagged=case.flagged,
        reopen_count=case.reopen_count,
        return_count=case.return_count,
        duplicate_of_code=duplicate_of or "",
        promise_text=case.promise_text,
        promise_due=case.promise_due,
        promise_owner=case.promise_owner,
        result_text=case.result_text,
        reject_reason=case.reject_reason,
        satisfaction=case.satisfaction,
        score=case.score,
        evaluated_at=case.evaluated_at,
        followed_up_at=case.followed_up_at,
        version=case.version,
    )
    if _full_requester(who):
        requester = Requester(
            case.requester_name, case.requester_phone, case.requester_address, case.requester_household_id, False
        )
    else:
        requester = Requester(
            mask_name(case.requester_name), mask_phone(case.requester_phone), mask_address(case.requester_address), None, True
        )
    events = session.exec(
        select(CaseEvent, User.display_name)
        .outerjoin(User, User.id == CaseEvent.actor_user_id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id)
        .limit(TIMELINE_LIMIT)
    ).all()
    timeline = [
        EventRow(
            id=e.id,
            at=e.at,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
            public=e.public,
            actor_label=e.actor_label,
            actor_name=person or "",
            version_after=e.version_after,
        )
        for e, person in events
    ]
    evaluations = [
        EvaluationRow(ev.kind, ev.satisfaction, ev.score, ev.comment, ev.created_at)
        for ev in session.exec(select(Evaluation).where(Evaluation.case_id == case.id).order_by(Evaluation.id)).all()
    ]
    return CaseDetail(case=view, requester=requester, timeline=timeline, evaluations=evaluations, actions=allowed_actions(who, case))
