"""民情日记 (diaries) and household visits (走访), and the monthly team counts.

A member writes a diary entry for a day: what they heard, what they did, the
follow-ups, and the households they visited — picked from their own grid.
From any visit the member can raise a case (channel ``visit``, linked through
``Case.visit_id``).  Leaders read the diaries within their scope and comment
on them (点评); the author sees the comment.

Who may do what:

* member: writes diaries for their own team's grid, edits and adds visits to
  their own entries, reads their team's diaries, raises cases from their
  team's visits;
* leader: reads and comments within their area scope (personal fields of
  households masked);
* administrator: reads everything.

``team_activity`` is the one definition of the monthly visit and diary counts
(走访次数, 日记篇数) that the diary page, the dashboard and the public notice
board share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.domain.access import Actor, area_in_scope, area_lineage
from rxapp.domain.cases import submit_case
from rxapp.domain.clock import now, today
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.households import (
    check_actor,
    clean_text,
    form,
    grid_readable,
    member_team,
    parse_day,
    parse_id,
    parse_month,
    parse_page,
    parse_version,
    personal_visible,
    scope_area,
    versioned_update,
    write_action,
)
from rxapp.domain.queries import mask_address, mask_name
from rxapp.models import Area, AreaLevel, Case, Channel, Diary, Household, Role, Team, User, Visit

READ_ROLES = (Role.MEMBER, Role.LEADER, Role.ADMIN)
MAX_VISITS = 20
MAX_BACKDATE_DAYS = 366
EXCERPT = 60


# ============================================================================
# Rows
# ============================================================================
@dataclass(frozen=True)
class DiaryRow:
    id: int
    day: date
    author_name: str
    team_id: int
    team_name: str
    grid_name: str
    excerpt: str
    visits: int
    commented: bool
    comment_excerpt: str
    version: int


@dataclass(frozen=True)
class VisitCase:
    code: str
    status: str


@dataclass(frozen=True)
class VisitRow:
    id: int
    household_id: int
    representative: str
    address: str
    note: str
    cases: list[VisitCase]


@dataclass(frozen=True)
class DiaryDetail:
    id: int
    day: date
    heard: str
    done: str
    followups: str
    author_name: str
    user_id: int
    team_id: int
    team_name: str
    grid_id: int
    grid_name: str
    leader_comment: str
    commented_by: str
    commented_at: datetime | None
    created_at: datetime
    version: int
    visits: list[VisitRow]
    is_author: bool  # may edit, add visits, raise cases
    can_comment: bool
    can_raise_case: bool
    masked: bool


@dataclass(frozen=True)
class TeamActivity:
    team_id: int
    team_name: str
    grid_id: int
    grid_name: str
    diaries: int
    visits: int
    households: int  # distinct households visited


@dataclass(frozen=True)
class MemberActivity:
    user_id: int
    name: str
    diaries: int
    visits: int


@dataclass(frozen=True)
class VisitPrefill:
    """What the intake page (/cases/new?visit=&household=) fills in."""

    visit_id: int
    household_id: int
    grid_id: int
    visited_on: date
    requester_name: str
    requester_phone: str
    requester_address: str
    note: str


# ============================================================================
# Checks
# ============================================================================
def _diary_day(value: object) -> date:
    day = parse_day(value, "day", "日记日期")
    t = today()
    if day > t:
        raise DomainError("日记日期不能晚于今天", "day")
    if day < t - timedelta(days=MAX_BACKDATE_DAYS):
        raise DomainError("只能补记一年以内的日记", "day")
    return day


def _texts(values: Mapping[str, Any], *, partial: bool) -> dict[str, str]:
    checks = {
        "heard": lambda v: clean_text(v, "heard", "民情内容（听到了什么）", min_len=1, max_len=2000),
        "done": lambda v: clean_text(v, "done", "做了什么", max_len=2000),
        "followups": lambda v: clean_text(v, "followups", "后续跟进", max_len=1000),
    }
    return {k: check(values.get(k)) for k, check in checks.items() if not partial or k in values}


def _visit_households(session: Session, team: Team, visits: object, already: Iterable[int] = ()) -> list[tuple[Household, str]]:
    """The visits sent by a client: households of the team's grid, each once, with a note."""
    if visits in (None, ""):
        visits = []
    if not isinstance(visits, (list, tuple)):
        raise DomainError("走访记录格式不正确", "visits")
    seen = set(already)
    if len(visits) + len(seen) > MAX_VISITS:
        raise DomainError(f"一篇日记最多记录{MAX_VISITS}户走访", "visits")
    out = []
    for item in visits:
        if not isinstance(item, Mapping):
            raise DomainError("走访记录格式不正确", "visits")
        hid = parse_id(item.get("household_id"), "visits", "住户")
        hh = session.get(Household, hid)
        if hh is None or hh.grid_id != team.grid_id:
            raise DomainError("所选住户不在本网格，只能记录本网格住户的走访", "visits")
        if hid in seen:
            raise DomainError(f"住户“{hh.representative}”重复添加", "visits")
        seen.add(hid)
        out.append((hh, clean_text(item.get("note"), "visits", "走访情况", max_len=1000)))
    return out


def _load_diary(session: Session, actor: Actor, diary_id: object, *, lock: bool = False) -> Diary:
    diary = session.get(Diary, parse_id(diary_id, "diary_id", "日记编号"), populate_existing=True, with_for_update=lock or None)
    if diary is None:
        raise NotFound("日记不存在")
    if not _diary_readable(session, actor, diary):
        raise AccessDenied("该日记不在您的管辖范围内")
    return diary


def _diary_readable(session: Session, actor: Actor, diary: Diary) -> bool:
    if actor.role == Role.MEMBER:
        return actor.team_id is not None and diary.team_id == actor.team_id
    return grid_readable(session, actor, diary.grid_id)


def _own(actor: Actor, diary: Diary) -> None:
    if actor.role != Role.MEMBER or diary.user_id != actor.user_id:
        raise AccessDenied("只能修改自己的日记")


# ============================================================================
# Writing
# ============================================================================
@write_action
def create_diary(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Diary:
    """写民情日记: the day (today or earlier), what was heard (required), done,
    follow-ups, and the households visited (``visits``: [{household_id, note}])."""
    who = check_actor(actor, Role.MEMBER)
    team = member_team(session, who)
    values = form(data)
    day = _diary_day(values.get("day"))
    texts = _texts(values, partial=False)
    visits = _visit_households(session, team, values.get("visits"))
    grid = session.get(Area, team.grid_id)
    at = now()
    diary = Diary(
        day=day,
        **texts,
        user_id=who.user_id,
        team_id=team.id,
        grid_id=team.grid_id,
        township_id=area_lineage(session, grid).get(AreaLevel.TOWNSHIP) if grid else None,
        created_at=at,
        version=1,
    )
    session.add(diary)
    session.flush()
    for hh, note in visits:
        session.add(Visit(diary_id=diary.id, household_id=hh.id, user_id=who.user_id, team_id=team.id, visited_on=day, note=note, created_at=at))
    session.flush()
    return diary


@write_action
def update_diary(session: Session, *, actor: Actor, diary_id: object, data: Mapping[str, Any], expected_version: object) -> Diary:
    """The author corrects the texts (optimistic locking)."""
    who = check_actor(actor, Role.MEMBER)
    expected = parse_version(expected_version)
    diary = _load_diary(session, who, diary_id)
    _own(who, diary)
    versioned_update(session, Diary, diary, expected, _texts(form(data), partial=True))
    return diary


@write_action
def add_visit(session: Session, *, actor: Actor, diary_id: object, household_id: object, note: object = "") -> Visit:
    """补记一户走访 on the author's own diary (same day)."""
    who = check_actor(actor, Role.MEMBER)
    diary = _load_diary(session, who, diary_id, lock=True)  # one visit list change at a time
    _own(who, diary)
    team = member_team(session, who)
    if team.id != diary.team_id:
        raise AccessDenied("只能修改本团队的日记")
    existing = session.exec(select(Visit.household_id).where(Visit.diary_id == diary.id)).all()
    [(hh, text)] = _visit_households(session, team, [{"household_id": household_id, "note": note}], existing)
    visit = Visit(diary_id=diary.id, household_id=hh.id, user_id=who.user_id, team_id=team.id, visited_on=diary.day, note=text, created_at=now())
    session.add(visit)
    session.flush()
    return visit


@write_action
def comment_diary(session: Session, *, actor: Actor, diary_id: object, comment: object, expected_version: object) -> Diary:
    """点评: a leader whose scope covers the diary's grid; a new comment replaces
    the previous one (who and when are recorded)."""
    who = check_actor(actor, Role.LEADER)
    expected = parse_version(expected_version)
    diary = _load_diary(session, who, diary_id)
    if not area_in_scope(who, session.get(Area, diary.grid_id)):
        raise AccessDenied("该日记不在您的管辖范围内")
    text = clean_text(comment, "comment", "点评内容", min_len=2, max_len=1000)
    versioned_update(
        session, Diary, diary, expected, {"leader_comment": text, "commented_by_user_id": who.user_id, "commented_at": now()}
    )
    return diary


def _visit_for_case(session: Session, who: Actor, visit_id: object) -> tuple[Visit, Household]:
    visit = session.get(Visit, parse_id(visit_id, "visit_id", "走访编号"))
    if visit is None:
        raise NotFound("走访记录不存在")
    if who.role == Role.MEMBER and visit.team_id != who.team_id:
        raise AccessDenied("只能从本团队的走访登记诉求")
    hh = session.get(Household, visit.household_id)
    if hh is None:  # pragma: no cover - foreign key
        raise NotFound("住户不存在")
    return visit, hh


def visit_prefill(session: Session, *, actor: Actor, visit_id: object, household_id: object = None) -> VisitPrefill:
    """What the intake page fills in for "raise a case" from a visit; checks
    the visit is the member's team's (and the household, when given, the visit's)."""
    who = check_actor(actor, Role.MEMBER, Role.ADMIN)
    visit, hh = _visit_for_case(session, who, visit_id)
    if household_id not in (None, "") and parse_id(household_id, "household_id", "住户编号") != hh.id:
        raise DomainError("住户与走访记录不符", "household_id")
    return VisitPrefill(
        visit_id=visit.id,
        household_id=hh.id,
        grid_id=hh.grid_id,
        visited_on=visit.visited_on,
        requester_name=hh.representative,
        requester_phone=hh.phone,
        requester_address=hh.address,
        note=visit.note,
    )


@write_action
def raise_case_from_visit(session: Session, *, actor: Actor, visit_id: object, data: Mapping[str, Any]) -> Case:
    """登记诉求 from a visit: intake with channel ``visit``, linked to the visit
    and its household; the requester defaults to the household's
    representative.  ``data``: content (required), category_code,
    requester_name, requester_phone."""
    who = check_actor(actor, Role.MEMBER, Role.ADMIN)
    visit, hh = _visit_for_case(session, who, visit_id)
    values = form(data)

    def pick(key: str, default: str) -> Any:
        value = values.get(key)
        return default if value is None else value

    case_data = {
        "content": values.get("content") if values.get("content") is not None else "",
        "requester_name": pick("requester_name", hh.representative),
        "requester_phone": pick("requester_phone", hh.phone),
        "requester_address": pick("requester_address", hh.address),
        "grid_id": hh.grid_id,
        "household_id": hh.id,
        "visit_id": visit.id,
        "category_code": values.get("category_code") or None,
    }
    return submit_case(session, actor=who, data=case_data, channel=Channel.VISIT)


# ============================================================================
# Reading
# ============================================================================
def _team_ids_in(area: Area):
    """Subquery: the teams whose grid lies in the area."""
    return select(Team.id).join(Area, Area.id == Team.grid_id).where(Area.path.startswith(area.path))


def _list_conditions(session: Session, who: Actor, month: object, area_id: object, team_id: object, user_id: object) -> list:
    first, nxt = parse_month(month)
    conds = [Diary.day >= first, Diary.day < nxt]
    if who.role == Role.MEMBER:
        team = member_team(session, who)
        conds.append(Diary.team_id == team.id)
    else:
        area = scope_area(session, who, area_id)
        if area is not None:
            conds.append(Diary.team_id.in_(_team_ids_in(area)))
    if team_id not in (None, ""):
        team = session.get(Team, parse_id(team_id, "team_id", "服务团队"))
        if team is None or not grid_readable(session, who, team.grid_id):
            raise AccessDenied("所选团队不在您的管辖范围内")
        conds.append(Diary.team_id == team.id)
    if user_id not in (None, ""):
        conds.append(Diary.user_id == parse_id(user_id, "user_id", "成员"))
    return conds


def list_diaries(
    session: Session,
    *,
    actor: Actor,
    month: object,
    area_id: object = None,
    team_id: object = None,
    user_id: object = None,
    page: object = 1,
    page_size: object = 20,
) -> tuple[list[DiaryRow], int]:
    """Diaries of a month the actor may read, newest first, optionally by
    area, team and author; a page and the total."""
    who = check_actor(actor, *READ_ROLES)
    p, size = parse_page(page, page_size)
    conds = _list_conditions(session, who, month, area_id, team_id, user_id)
    total = int(session.exec(select(func.count()).select_from(Diary).where(*conds)).one())
    if not total:
        return [], 0
    stmt = (
        select(
            Diary.id,
            Diary.day,
            User.display_name,
            Diary.team_id,
            Team.name,
            Area.name,
            func.substr(Diary.heard, 1, EXCERPT),
            Diary.leader_comment,
            Diary.version,
        )
        .join(User, User.id == Diary.user_id)
        .join(Team, Team.id == Diary.team_id)
        .join(Area, Area.id == Diary.grid_id)
        .where(*conds)
        .order_by(Diary.day.desc(), Diary.id.desc())
        .offset((p - 1) * size)
        .limit(size)
    )
    found = session.exec(stmt).all()
    ids = [r[0] for r in found]
    counts = dict(
        session.exec(select(Visit.diary_id, func.count()).where(Visit.diary_id.in_(ids)).group_by(Visit.diary_id)).all()
    ) if ids else {}
    rows = [
        DiaryRow(
            id=i,
            day=day,
            author_name=name or "",
            team_id=tid,
            team_name=tname or "",
            grid_name=gname or "",
            excerpt=excerpt or "",
            visits=int(counts.get(i, 0)),
            commented=bool(comment),
            comment_excerpt=(comment or "")[:EXCERPT],
            version=version,
        )
        for i, day, name, tid, tname, gname, excerpt, comment, version in found
    ]
    return rows, total


def diary_detail(session: Session, *, actor: Actor, diary_id: object) -> DiaryDetail:
    who = check_actor(actor, *READ_ROLES)
    diary = _load_diary(session, who, diary_id)
    author = session.get(User, diary.user_id)
    team = session.get(Team, diary.team_id)
    grid = session.get(Area, diary.grid_id)
    commenter = session.get(User, diary.commented_by_user_id) if diary.commented_by_user_id else None
    masked = not personal_visible(session, who, diary.grid_id)
    visits = session.exec(
        select(Visit, Household.representative, Household.address)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.diary_id == diary.id)
        .order_by(Visit.id)
    ).all()
    visit_ids = [v.id for v, _, _ in visits]
    cases: dict[int, list[VisitCase]] = {}
    if visit_ids:
        for vid, code, status in session.exec(
            select(Case.visit_id, Case.code, Case.status).where(Case.visit_id.in_(visit_ids)).order_by(Case.id)
        ).all():
            cases.setdefault(vid, []).append(VisitCase(code, status))
    is_author = who.role == Role.MEMBER and diary.user_id == who.user_id
    return DiaryDetail(
        id=diary.id,
        day=diary.day,
        heard=diary.heard,
        done=diary.done,
        followups=diary.followups,
        author_name=author.display_name if author else "",
        user_id=diary.user_id,
        team_id=diary.team_id,
        team_name=team.name if team else "",
        grid_id=diary.grid_id,
        grid_name=grid.name if grid else "",
        leader_comment=diary.leader_comment,
        commented_by=commenter.display_name if commenter else "",
        commented_at=diary.commented_at,
        created_at=diary.created_at,
        version=diary.version,
        visits=[
            VisitRow(
                id=v.id,
                household_id=v.household_id,
                representative=mask_name(rep) if masked else rep,
                address=mask_address(addr) if masked else addr,
                note=v.note,
                cases=cases.get(v.id, []),
            )
            for v, rep, addr in visits
        ],
        is_author=is_author,
        can_comment=who.role == Role.LEADER and area_in_scope(who, grid),
        can_raise_case=who.role == Role.MEMBER and diary.team_id == who.team_id,
        masked=masked,
    )


def recent_comments(session: Session, *, actor: Actor, days: int = 14, limit: int = 5) -> list[DiaryRow]:
    """A member's own diaries a leader commented on lately (shown on /diary)."""
    who = check_actor(actor, Role.MEMBER)
    since = now() - timedelta(days=days)
    found = session.exec(
        select(Diary.id, Diary.day, Diary.leader_comment, Diary.version, Diary.team_id)
        .where(Diary.user_id == who.user_id, Diary.commented_at >= since, Diary.leader_comment != "")
        .order_by(Diary.commented_at.desc())
        .limit(limit)
    ).all()
    return [
        DiaryRow(i, day, who.display_name, tid, "", "", "", 0, True, (comment or "")[:EXCERPT], version)
        for i, day, comment, version, tid in found
    ]


# ============================================================================
# Monthly counts: one definition for the diary page, dashboard and public board
# ============================================================================
def team_activity(
    session: Session,
    *,
    team_ids: Sequence[int] | None = None,
    area: Area | int | None = None,
    month: str | date,
) -> list[TeamActivity]:
    """Per team, the diaries (日记篇数), visits (走访次数) and distinct households
    visited in the month (by the diary day / visit day), for the given teams or
    every active team whose grid lies in ``area`` (None and no ids: all teams).
    Teams without any record are listed with zeros.  Aggregated in SQL over the
    (team_id, day) indexes; no access check: the counts are public."""
    first, nxt = parse_month(month)
    teams = select(Team.id, Team.name, Team.grid_id, Area.name, Area.path).join(Area, Area.id == Team.grid_id).where(Team.active)
    if team_ids is not None:
        ids = [parse_id(t, "team_ids", "服务团队") for t in team_ids]
        if not ids:
            return []
        teams = teams.where(Team.id.in_(ids))
    if area is not None:
        area_row = area if isinstance(area, Area) else session.get(Area, parse_id(area, "area", "区域"))
        if area_row is None:
            raise DomainError("区域不存在", "area")
        teams = teams.where(Area.path.startswith(area_row.path))
    team_rows = session.exec(teams.order_by(Area.path)).all()
    if not team_rows:
        return []
    scope = teams.with_only_columns(Team.id).order_by(None)
    diaries = dict(
        session.exec(
            select(Diary.team_id, func.count())
            .where(Diary.team_id.in_(scope), Diary.day >= first, Diary.day < nxt)
            .group_by(Diary.team_id)
        ).all()
    )
    visits = {
        tid: (int(n), int(h))
        for tid, n, h in session.exec(
            select(Visit.team_id, func.count(), func.count(func.distinct(Visit.household_id)))
            .where(Visit.team_id.in_(scope), Visit.visited_on >= first, Visit.visited_on < nxt)
            .group_by(Visit.team_id)
        ).all()
    }
    return [
        TeamActivity(
            team_id=tid,
            team_name=name,
            grid_id=grid_id,
            grid_name=grid_name,
            diaries=int(diaries.get(tid, 0)),
            visits=visits.get(tid, (0, 0))[0],
            households=visits.get(tid, (0, 0))[1],
        )
        for tid, name, grid_id, grid_name, _ in team_rows
    ]


def member_activity(session: Session, *, team_id: int, month: str | date) -> list[MemberActivity]:
    """Per author in a team: diaries and visits of the month (members with a
    login in the team are listed even with zeros)."""
    first, nxt = parse_month(month)
    tid = parse_id(team_id, "team_id", "服务团队")
    diaries = dict(
        session.exec(
            select(Diary.user_id, func.count()).where(Diary.team_id == tid, Diary.day >= first, Diary.day < nxt).group_by(Diary.user_id)
        ).all()
    )
    visits = dict(
        session.exec(
            select(Visit.user_id, func.count())
            .where(Visit.team_id == tid, Visit.visited_on >= first, Visit.visited_on < nxt)
            .group_by(Visit.user_id)
        ).all()
    )
    ids = set(diaries) | set(visits)
    ids |= set(session.exec(select(User.id).where(User.team_id == tid, User.role == Role.MEMBER, User.active)).all())
    if not ids:
        return []
    names = dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    rows = [MemberActivity(uid, names.get(uid, ""), int(diaries.get(uid, 0)), int(visits.get(uid, 0))) for uid in ids]
    return sorted(rows, key=lambda r: (-r.visits, -r.diaries, r.name))


def activity_for(session: Session, *, actor: Actor, month: object, area_id: object = None) -> list[TeamActivity]:
    """``team_activity`` limited to what the actor may see (a member: their team)."""
    who = check_actor(actor, *READ_ROLES)
    if who.role == Role.MEMBER:
        return team_activity(session, team_ids=[member_team(session, who).id], month=_month_text(month))
    area = scope_area(session, who, area_id)
    return team_activity(session, area=area, month=_month_text(month))


def _month_text(month: object) -> str:
    first, _ = parse_month(month)
    return f"{first.year:04d}-{first.month:02d}"


def team_members_for(session: Session, *, actor: Actor, team_id: object, month: object) -> list[MemberActivity]:
    """``member_activity`` for a team the actor may read."""
    who = check_actor(actor, *READ_ROLES)
    team = session.get(Team, parse_id(team_id, "team_id", "服务团队"))
    if team is None or not grid_readable(session, who, team.grid_id):
        raise AccessDenied("所选团队不在您的管辖范围内")
    return member_activity(session, team_id=team.id, month=_month_text(month))
