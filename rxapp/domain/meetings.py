"""民情恳谈 (consultation meetings) and their items, each tracked to an answer.

Three kinds: 户代表会议 (a community's household representatives),
为民解困恳谈 (problem-solving forum with township leaders and departments) and
政企恳谈 (government–enterprise forum, in one of five service areas).  A
meeting records date, place, host, attendees (count and who), agenda and
minutes.  Every issue raised is an item: answered on the spot (the answer is
recorded) or turned into a case (channel ``meeting``, linked both ways; the
item's status then follows the case).  Closing a meeting requires the minutes,
the attendee count and every item answered or turned into a case.

Who may do what:

* member: records meetings for their own team (a 户代表会议 in their
  community, a forum in their township), edits them and their items, turns
  items into cases in their grid; reads the meetings of their team, community
  and township;
* leader: records and edits meetings of areas in their scope (cases are
  registered by members or administrators: leaders do not take intake);
* administrator: everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case as sql_case, func, or_, update
from sqlmodel import Session, select

from rxapp.domain.access import Actor, area_in_scope, area_lineage
from rxapp.domain.cases import STATUS_ZH, submit_case
from rxapp.domain.clock import now, today
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, NotFound
from rxapp.domain.households import (
    check_actor,
    clean_text,
    form,
    member_team,
    parse_day,
    parse_id,
    parse_int,
    parse_month,
    parse_page,
    parse_version,
    scope_area,
    versioned_update,
    write_action,
)
from rxapp.models import Area, AreaLevel, Case, CaseStatus, Channel, Meeting, MeetingItem, MeetingKind, Role, Team

ROLES = (Role.MEMBER, Role.LEADER, Role.ADMIN)
CASE_ROLES = (Role.MEMBER, Role.ADMIN)
KIND_ZH = {
    MeetingKind.HOUSEHOLD_REP: "户代表会议",
    MeetingKind.RELIEF_FORUM: "为民解困恳谈",
    MeetingKind.ENTERPRISE: "政企恳谈",
}
SERVICE_AREAS = ("转型升级", "政策法律", "要素保障", "市场拓展", "帮困减负")
OPEN, CLOSED = "open", "closed"
ITEM_OPEN, ITEM_ANSWERED, ITEM_CASE = "open", "answered", "case"
MAX_ITEMS = 50
MAX_PLAN_DAYS = 90  # a meeting may be entered ahead, with its agenda
MAX_BACKDATE_DAYS = 366

# how an item stands, for the counts and the badges (a case's status decides)
STAND_ANSWERED, STAND_PROGRESS, STAND_OVERDUE, STAND_WAITING = "answered", "in_progress", "overdue", "waiting"
ANSWERED_CASE_STATES = (*CaseStatus.DONE, CaseStatus.REJECTED)


# ============================================================================
# Rows
# ============================================================================
@dataclass(frozen=True)
class ItemCounts:
    total: int = 0
    answered: int = 0
    in_progress: int = 0  # waiting for an answer, or a case still being handled
    overdue: int = 0  # a case past its deadline


@dataclass(frozen=True)
class MeetingRow:
    id: int
    kind: str
    title: str
    held_on: date
    place: str
    host: str
    area_name: str
    service_area: str
    attendees_count: int | None
    status: str
    counts: ItemCounts
    version: int


@dataclass(frozen=True)
class ItemRow:
    id: int
    text: str
    raised_by: str
    status: str  # open / answered / case
    answer: str
    answered_at: datetime | None
    case_code: str
    case_status: str
    case_status_zh: str
    case_deadline: datetime | None
    stand: str  # answered / in_progress / overdue / waiting


@dataclass(frozen=True)
class MeetingDetail:
    id: int
    kind: str
    title: str
    area_id: int
    area_name: str
    team_id: int | None
    held_on: date
    place: str
    host: str
    attendees_count: int | None
    attendees: str
    service_area: str
    agenda: str
    minutes: str
    status: str
    closed_at: datetime | None
    version: int
    items: list[ItemRow]
    counts: ItemCounts
    can_edit: bool
    can_raise_case: bool


# ============================================================================
# Access
# ============================================================================
def _member_areas(session: Session, who: Actor) -> tuple[Team, Area, dict[str, int]]:
    team = member_team(session, who)
    grid = session.get(Area, team.grid_id)
    if grid is None:  # pragma: no cover - foreign key
        raise AccessDenied()
    return team, grid, area_lineage(session, grid)


def _readable(session: Session, who: Actor, meeting: Meeting) -> bool:
    if who.role == Role.ADMIN:
        return True
    if who.role == Role.LEADER:
        return area_in_scope(who, session.get(Area, meeting.area_id))
    if who.role == Role.MEMBER and who.team_id:
        if meeting.team_id == who.team_id:
            return True
        _, _, lineage = _member_areas(session, who)
        return meeting.area_id in (lineage.get(AreaLevel.COMMUNITY), lineage.get(AreaLevel.TOWNSHIP))
    return False


def _editable(session: Session, who: Actor, meeting: Meeting) -> bool:
    if who.role == Role.ADMIN:
        return True
    if who.role == Role.LEADER:
        return area_in_scope(who, session.get(Area, meeting.area_id))
    return who.role == Role.MEMBER and who.team_id is not None and meeting.team_id == who.team_id


def _load(session: Session, who: Actor, meeting_id: object, *, edit: bool = False) -> Meeting:
    meeting = session.get(Meeting, parse_id(meeting_id, "meeting_id", "会议编号"), populate_existing=True)
    if meeting is None:
        raise NotFound("会议不存在")
    if not _readable(session, who, meeting):
        raise AccessDenied("该会议不在您的管辖范围内")
    if edit and not _editable(session, who, meeting):
        raise AccessDenied("只能修改本团队或管辖范围内的会议")
    return meeting


def _load_item(session: Session, who: Actor, item_id: object, *, lock: bool = False) -> tuple[MeetingItem, Meeting]:
    stmt = select(MeetingItem).where(MeetingItem.id == parse_id(item_id, "item_id", "议题编号"))
    if lock:
        stmt = stmt.with_for_update()
    item = session.exec(stmt.execution_options(populate_existing=True)).first()
    if item is None:
        raise NotFound("议题不存在")
    meeting = _load(session, who, item.meeting_id, edit=True)
    return item, meeting


def _require_open(meeting: Meeting) -> None:
    if meeting.status != OPEN:
        raise InvalidTransition("会议已结束，不能再修改")


# ============================================================================
# Field checks
# ============================================================================
def _held_on(value: object) -> date:
    day = parse_day(value, "held_on", "会议日期")
    t = today()
    if day > t + timedelta(days=MAX_PLAN_DAYS):
        raise DomainError(f"会议日期最多提前{MAX_PLAN_DAYS}天登记", "held_on")
    if day < t - timedelta(days=MAX_BACKDATE_DAYS):
        raise DomainError("只能补记一年以内的会议", "held_on")
    return day


def _attendees_count(value: object) -> int | None:
    if value in (None, ""):
        return None
    return parse_int(value, "attendees_count", "参会人数应为1到10000之间的整数", 1, 10_000)


_FIELDS = {
    "title": lambda v: clean_text(v, "title", "会议名称", max_len=100),
    "held_on": _held_on,
    "place": lambda v: clean_text(v, "place", "会议地点", min_len=1, max_len=100),
    "host": lambda v: clean_text(v, "host", "主持人", min_len=1, max_len=64),
    "attendees_count": _attendees_count,
    "attendees": lambda v: clean_text(v, "attendees", "参会人员", max_len=1000),
    "agenda": lambda v: clean_text(v, "agenda", "会议议程", max_len=2000),
    "minutes": lambda v: clean_text(v, "minutes", "会议纪要", max_len=20_000),
}


def _service_area(kind: str, value: object) -> str:
    if kind != MeetingKind.ENTERPRISE:
        return ""
    if not isinstance(value, str) or value not in SERVICE_AREAS:
        raise DomainError("政企恳谈请选择服务领域：" + "、".join(SERVICE_AREAS), "service_area")
    return value


# ============================================================================
# Writing
# ============================================================================
@write_action
def create_meeting(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Meeting:
    """登记恳谈会.  A member's meeting belongs to their team: a 户代表会议 to
    their community, a forum to their township.  A leader or administrator
    names the area (a community, or a township for the forums)."""
    who = check_actor(actor, *ROLES)
    values = form(data)
    kind = values.get("kind")
    if not isinstance(kind, str) or kind not in MeetingKind.ALL:
        raise DomainError("请选择会议类型", "kind")
    if who.role == Role.MEMBER:
        team, _, lineage = _member_areas(session, who)
        level = AreaLevel.COMMUNITY if kind == MeetingKind.HOUSEHOLD_REP else AreaLevel.TOWNSHIP
        area = session.get(Area, lineage.get(level)) if lineage.get(level) else None
        if area is None:
            raise DomainError("未找到所在社区或乡镇街道", "area_id")
        team_id = team.id
    else:
        area = session.get(Area, parse_id(values.get("area_id"), "area_id", "会议所属区域"))
        if area is None or area.level not in (AreaLevel.COMMUNITY, AreaLevel.TOWNSHIP):
            raise DomainError("请选择会议所属的社区村或乡镇街道", "area_id")
        if not area_in_scope(who, area):
            raise AccessDenied("所选区域不在您的管辖范围内")
        if kind == MeetingKind.HOUSEHOLD_REP and area.level != AreaLevel.COMMUNITY:
            raise DomainError("户代表会议请选择社区村", "area_id")
        team_id = None
    clean = {key: check(values.get(key)) for key, check in _FIELDS.items()}
    service_area = _service_area(kind, values.get("service_area"))
    title = clean.pop("title") or f"{area.name}{KIND_ZH[kind]}" + (f"（{service_area}）" if service_area else "")
    lineage = area_lineage(session, area)
    meeting = Meeting(
        kind=kind,
        title=title[:100],
        area_id=area.id,
        township_id=lineage.get(AreaLevel.TOWNSHIP),
        team_id=team_id,
        service_area=service_area,
        status=OPEN,
        created_by_user_id=who.user_id,
        created_at=now(),
        version=1,
        **clean,
    )
    session.add(meeting)
    session.flush()
    return meeting


@write_action
def update_meeting(session: Session, *, actor: Actor, meeting_id: object, data: Mapping[str, Any], expected_version: object) -> Meeting:
    """修改会议记录 (the fields sent; kind and area stay), while the meeting is open."""
    who = check_actor(actor, *ROLES)
    expected = parse_version(expected_version)
    meeting = _load(session, who, meeting_id, edit=True)
    _require_open(meeting)
    values = form(data)
    clean = {key: check(values[key]) for key, check in _FIELDS.items() if key in values}
    if "title" in clean and not clean["title"]:
        raise DomainError("请填写会议名称", "title")
    if "service_area" in values:
        clean["service_area"] = _service_area(meeting.kind, values["service_area"])
    versioned_update(session, Meeting, meeting, expected, clean)
    return meeting


@write_action
def add_item(session: Session, *, actor: Actor, meeting_id: object, text: object, raised_by: object = "") -> MeetingItem:
    """记录议题: an issue raised at the meeting."""
    who = check_actor(actor, *ROLES)
    meeting = _load(session, who, meeting_id, edit=True)
    _require_open(meeting)
    body = clean_text(text, "text", "议题内容", min_len=2, max_len=1000)
    by = clean_text(raised_by, "raised_by", "提出人", max_len=64)
    count = session.exec(select(func.count()).select_from(MeetingItem).where(MeetingItem.meeting_id == meeting.id)).one()
    if count >= MAX_ITEMS:
        raise DomainError(f"一次会议最多记录{MAX_ITEMS}个议题", "text")
    item = MeetingItem(meeting_id=meeting.id, text=body, raised_by=by, status=ITEM_OPEN, created_at=now())
    session.add(item)
    session.flush()
    return item


def _claim_item(session: Session, item: MeetingItem, to_status: str, values: Mapping[str, Any]) -> None:
    """open -> answered / case, once: a concurrent second attempt changes nothing."""
    stmt = (
        update(MeetingItem)
        .where(MeetingItem.id == item.id, MeetingItem.status == ITEM_OPEN)
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        raise InvalidTransition("该议题已答复或已转为诉求，请刷新")
    session.refresh(item)


@write_action
def answer_item(session: Session, *, actor: Actor, item_id: object, answer: object) -> MeetingItem:
    """当场答复: the answer given at the meeting."""
    who = check_actor(actor, *ROLES)
    item, meeting = _load_item(session, who, item_id, lock=True)
    _require_open(meeting)
    text = clean_text(answer, "answer", "答复内容", min_len=2, max_len=2000)
    if item.status != ITEM_OPEN:
        raise InvalidTransition("该议题已答复或已转为诉求，请刷新")
    _claim_item(session, item, ITEM_ANSWERED, {"answer": text, "answered_at": now()})
    return item


@write_action
def raise_case_from_item(session: Session, *, actor: Actor, item_id: object, data: Mapping[str, Any] | None = None) -> Case:
    """转为诉求: intake with channel ``meeting`` linked to the item (both ways);
    the item follows the case from then on.  ``data``: content (default: the
    item's text), category_code, requester_name (default: who raised it),
    requester_phone, grid_id (a member: their own grid)."""
    who = check_actor(actor, *CASE_ROLES)
    item, meeting = _load_item(session, who, item_id, lock=True)
    _require_open(meeting)
    if item.status != ITEM_OPEN:
        raise InvalidTransition("该议题已答复或已转为诉求，请刷新")
    values = form(data or {})
    if who.role == Role.MEMBER:
        grid_id = member_team(session, who).grid_id
    else:
        grid_id = parse_id(values.get("grid_id"), "grid_id", "网格")
        grid = session.get(Area, grid_id)
        area = session.get(Area, meeting.area_id)
        if grid is None or grid.level != AreaLevel.GRID or area is None or not grid.path.startswith(area.path):
            raise DomainError("请选择会议所在区域内的网格", "grid_id")
    content = values.get("content")
    case_data = {
        "content": item.text if content in (None, "") else content,
        "requester_name": values.get("requester_name") if values.get("requester_name") is not None else item.raised_by[:32],
        "requester_phone": values.get("requester_phone") or "",
        "requester_address": values.get("requester_address") or "",
        "grid_id": grid_id,
        "meeting_item_id": item.id,
        "category_code": values.get("category_code") or None,
    }
    # the item is claimed first: submit_case commits it together with the case
    _claim_item(session, item, ITEM_CASE, {"answered_at": now()})
    case = submit_case(session, actor=who, data=case_data, channel=Channel.MEETING)
    item.case_id = case.id
    session.add(item)
    session.flush()
    return case


@write_action
def close_meeting(
    session: Session,
    *,
    actor: Actor,
    meeting_id: object,
    expected_version: object,
    minutes: object = None,
    attendees_count: object = None,
) -> Meeting:
    """结束会议: needs the minutes and the attendee count (given here or saved
    before) and every item answered or turned into a case."""
    who = check_actor(actor, *ROLES)
    expected = parse_version(expected_version)
    meeting = _load(session, who, meeting_id, edit=True)
    _require_open(meeting)
    values: dict[str, Any] = {}
    text = _FIELDS["minutes"](minutes) if minutes is not None else meeting.minutes
    if minutes is not None:
        values["minutes"] = text
    count = _attendees_count(attendees_count) if attendees_count not in (None, "") else meeting.attendees_count
    if attendees_count not in (None, ""):
        values["attendees_count"] = count
    if not (text or "").strip():
        raise DomainError("结束会议前请填写会议纪要", "minutes")
    if not count:
        raise DomainError("结束会议前请填写参会人数", "attendees_count")
    if meeting.held_on > today():
        raise InvalidTransition("会议尚未召开，不能结束")
    waiting = session.exec(
        select(func.count()).select_from(MeetingItem).where(MeetingItem.meeting_id == meeting.id, MeetingItem.status == ITEM_OPEN)
    ).one()
    if waiting:
        raise DomainError(f"还有{waiting}个议题未答复或转为诉求，不能结束会议", "items")
    versioned_update(session, Meeting, meeting, expected, {**values, "status": CLOSED, "closed_at": now()})
    return meeting


# ============================================================================
# Reading
# ============================================================================
def _stand_columns(at: datetime):
    answered = or_(
        MeetingItem.status == ITEM_ANSWERED,
        and_(MeetingItem.status == ITEM_CASE, Case.status.in_(ANSWERED_CASE_STATES)),
    )
    overdue = and_(
        MeetingItem.status == ITEM_CASE,
        Case.status.in_(CaseStatus.OPEN),
        Case.deadline.is_not(None),
        Case.deadline < at,
    )
    return answered, overdue


def item_counts(session: Session, meeting_ids: list[int], at: datetime | None = None) -> dict[int, ItemCounts]:
    """Per meeting: items answered (on the spot, or their case resolved /
    closed / rejected with a reason), overdue (their case open past its
    deadline) and in progress (the rest) — one grouped query."""
    if not meeting_ids:
        return {}
    answered, overdue = _stand_columns(at or now())
    rows = session.exec(
        select(
            MeetingItem.meeting_id,
            func.count(),
            func.sum(sql_case((answered, 1), else_=0)),
            func.sum(sql_case((overdue, 1), else_=0)),
        )
        .outerjoin(Case, Case.id == MeetingItem.case_id)
        .where(MeetingItem.meeting_id.in_(meeting_ids))
        .group_by(MeetingItem.meeting_id)
    ).all()
    out = {}
    for mid, total, ans, late in rows:
        total, ans, late = int(total or 0), int(ans or 0), int(late or 0)
        out[mid] = ItemCounts(total=total, answered=ans, in_progress=total - ans - late, overdue=late)
    return out


def _list_conditions(session: Session, who: Actor, kind: object, month: object, status: object, area_id: object) -> list:
    conds = []
    if who.role == Role.MEMBER:
        team, _, lineage = _member_areas(session, who)
        areas = [a for a in (lineage.get(AreaLevel.COMMUNITY), lineage.get(AreaLevel.TOWNSHIP)) if a]
        conds.append(or_(Meeting.team_id == team.id, Meeting.area_id.in_(areas)))
    else:
        area = scope_area(session, who, area_id)
        if area is not None:
            conds.append(Meeting.area_id.in_(select(Area.id).where(Area.path.startswith(area.path))))
    if kind not in (None, ""):
        if kind not in MeetingKind.ALL:
            raise DomainError("会议类型无效", "kind")
        conds.append(Meeting.kind == kind)
    if month not in (None, ""):
        first, nxt = parse_month(month)
        conds.append(and_(Meeting.held_on >= first, Meeting.held_on < nxt))
    if status not in (None, ""):
        if status not in (OPEN, CLOSED):
            raise DomainError("会议状态无效", "status")
        conds.append(Meeting.status == status)
    return conds


def list_meetings(
    session: Session,
    *,
    actor: Actor,
    kind: object = None,
    month: object = None,
    status: object = None,
    area_id: object = None,
    page: object = 1,
    page_size: object = 20,
) -> tuple[list[MeetingRow], int]:
    """Meetings the actor may read, newest first, each with its item counts."""
    who = check_actor(actor, *ROLES)
    p, size = parse_page(page, page_size)
    conds = _list_conditions(session, who, kind, month, status, area_id)
    total = int(session.exec(select(func.count()).select_from(Meeting).where(*conds)).one())
    if not total:
        return [], 0
    found = session.exec(
        select(Meeting, Area.name)
        .join(Area, Area.id == Meeting.area_id)
        .where(*conds)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .offset((p - 1) * size)
        .limit(size)
    ).all()
    counts = item_counts(session, [m.id for m, _ in found])
    rows = [
        MeetingRow(
            id=m.id,
            kind=m.kind,
            title=m.title,
            held_on=m.held_on,
            place=m.place,
            host=m.host,
            area_name=area_name or "",
            service_area=m.service_area,
            attendees_count=m.attendees_count,
            status=m.status,
            counts=counts.get(m.id, ItemCounts()),
            version=m.version,
        )
        for m, area_name in found
    ]
    return rows, total


def meeting_detail(session: Session, *, actor: Actor, meeting_id: object) -> MeetingDetail:
    who = check_actor(actor, *ROLES)
    meeting = _load(session, who, meeting_id)
    at = now()
    area = session.get(Area, meeting.area_id)
    found = session.exec(
        select(MeetingItem, Case.code, Case.status, Case.deadline)
        .outerjoin(Case, Case.id == MeetingItem.case_id)
        .where(MeetingItem.meeting_id == meeting.id)
        .order_by(MeetingItem.id)
    ).all()
    items = []
    for item, code, status, deadline in found:
        if item.status == ITEM_ANSWERED or (item.status == ITEM_CASE and status in ANSWERED_CASE_STATES):
            stand = STAND_ANSWERED
        elif item.status == ITEM_CASE and status in CaseStatus.OPEN and deadline is not None and deadline < at:
            stand = STAND_OVERDUE
        elif item.status == ITEM_CASE:
            stand = STAND_PROGRESS
        else:
            stand = STAND_WAITING
        items.append(
            ItemRow(
                id=item.id,
                text=item.text,
                raised_by=item.raised_by,
                status=item.status,
                answer=item.answer,
                answered_at=item.answered_at,
                case_code=code or "",
                case_status=status or "",
                case_status_zh=STATUS_ZH.get(status, "") if status else "",
                case_deadline=deadline,
                stand=stand,
            )
        )
    counts = item_counts(session, [meeting.id], at).get(meeting.id, ItemCounts())
    editable = _editable(session, who, meeting)
    return MeetingDetail(
        id=meeting.id,
        kind=meeting.kind,
        title=meeting.title,
        area_id=meeting.area_id,
        area_name=area.name if area else "",
        team_id=meeting.team_id,
        held_on=meeting.held_on,
        place=meeting.place,
        host=meeting.host,
        attendees_count=meeting.attendees_count,
        attendees=meeting.attendees,
        service_area=meeting.service_area,
        agenda=meeting.agenda,
        minutes=meeting.minutes,
        status=meeting.status,
        closed_at=meeting.closed_at,
        version=meeting.version,
        items=items,
        counts=counts,
        can_edit=editable and meeting.status == OPEN,
        can_raise_case=editable and meeting.status == OPEN and who.role in CASE_ROLES,
    )


def meeting_area_choices(session: Session, *, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, name, level) of the communities and townships a leader or
    administrator may record meetings for (members get theirs automatically)."""
    who = check_actor(actor, Role.LEADER, Role.ADMIN)
    root = scope_area(session, who)
    stmt = select(Area.id, Area.name, Area.level, Area.path).where(Area.level.in_((AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY)))
    if root is not None:
        stmt = stmt.where(Area.path.startswith(root.path))
    return [(i, ("\u3000" if level == AreaLevel.COMMUNITY else "") + name, level) for i, name, level, _ in session.exec(stmt.order_by(Area.path).limit(3000)).all()]
