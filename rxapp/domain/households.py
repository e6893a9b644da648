"""The households and residents registry (户 / 居民) and skill search (技能查询).

A grid team keeps the households of its grid: address, representative,
residents with their skills and specialties (for job matching), party
membership and needs (低保, 独居老人 ...).

Who may do what (checked here, whatever the UI shows):

* a member reads and edits the households of their own team's grid only;
* a leader reads within their area scope, with personal fields masked
  (name, phone, address; notes and birth years hidden): leaders oversee and
  match jobs through the grid team, they do not call residents themselves;
* an administrator reads and edits everywhere, unmasked;
* dispatchers and departments have no access to the registry.

Edits use optimistic locking (``version``): a stale edit raises
``StaleVersion`` and changes nothing.  Nothing is deleted.

This module also holds the small helpers the other team-work modules
(``diaries``, ``meetings``) share: untrusted-argument parsing, the write
wrapper and the team/grid access checks.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func, or_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from rxapp.domain.access import Actor, area_in_scope, area_lineage
from rxapp.domain.clock import now, today
from rxapp.domain.errors import AccessDenied, DomainError, NotFound, StaleVersion
from rxapp.domain.queries import mask_address, mask_name, mask_phone
from rxapp.models import Area, AreaLevel, Household, Resident, Role, Team, TeamMember, Visit

R = TypeVar("R")

MAX_ID = 2**31 - 1
MAX_PAGE_SIZE = 100
EXPORT_LIMIT = 20_000
REGISTRY_ROLES = (Role.MEMBER, Role.LEADER, Role.ADMIN)
EDIT_ROLES = (Role.MEMBER, Role.ADMIN)
GENDERS = ("", "男", "女")
SKILL_SPLIT = re.compile(r"[\s,，、;；/]+")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")


# ============================================================================
# Shared helpers for the team-work modules
# ============================================================================
def check_actor(actor: object, *roles: str) -> Actor:
    if actor is None:
        raise AccessDenied("请先登录")
    if not isinstance(actor, Actor) or actor.role not in roles:
        raise AccessDenied()
    return actor


def parse_int(value: object, field: str, message: str, lo: int = 1, hi: int = MAX_ID) -> int:
    """An integer from a client: an int or a short string of digits."""
    if isinstance(value, str) and 0 < len(value) <= 12 and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DomainError(message, field)
    return value


def parse_id(value: object, field: str, label: str = "编号") -> int:
    return parse_int(value, field, f"{label}无效")


def parse_version(value: object) -> int:
    return parse_int(value, "expected_version", "版本号无效")


def clean_text(value: object, field: str, label: str, *, min_len: int = 0, max_len: int) -> str:
    """Trimmed text, refused (with a message for the field) when empty where
    required or longer than allowed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"{label}格式不正确", field)
    text = value.strip()
    if min_len and len(text) < min_len:
        raise DomainError(f"请填写{label}" if not text else f"{label}至少{min_len}个字", field)
    if len(text) > max_len:
        raise DomainError(f"{label}不能超过{max_len}个字（现有{len(text)}个字）", field)
    return text


def parse_bool(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("on", "true", "1", 1):
        return True
    if value in ("", "off", "false", "0", 0, None):
        return False
    raise DomainError("参数无效", field)


def parse_day(value: object, field: str, label: str = "日期") -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DomainError(f"请选择{label}" if value in (None, "") else f"{label}格式不正确", field)


def parse_month(value: object, field: str = "month") -> tuple[date, date]:
    """"YYYY-MM" (or a date) -> (first day, first day of the next month)."""
    if isinstance(value, date):
        first = value.replace(day=1)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        y, m = (int(x) for x in value.strip().split("-"))
        if not (2000 <= y <= 2100 and 1 <= m <= 12):
            raise DomainError("月份无效", field)
        first = date(y, m, 1)
    else:
        raise DomainError("月份无效", field)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def parse_page(page: object, page_size: object, max_size: int = MAX_PAGE_SIZE) -> tuple[int, int]:
    return (
        parse_int(page, "page", "页码无效", 1, 1_000_000),
        parse_int(page_size, "page_size", f"每页条数必须在1到{max_size}之间", 1, max_size),
    )


def form(data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DomainError("提交的内容无效", "form")
    return data


def claim_writer(session: Session) -> None:
    """SQLite: take the write lock with the transaction's first statement, so
    concurrent writers queue on busy_timeout instead of failing on a stale
    read snapshot (the same trick as the case lifecycle)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("UPDATE codecounter SET last = last WHERE 0")


def _sqlite_busy(session: Session, exc: OperationalError) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def write_action(fn: Callable[..., R]) -> Callable[..., R]:
    """Run a team-work action as one transaction and commit it.  A refusal
    (``DomainError``) is raised before anything is kept: the transaction the
    action began is rolled back.  Call with no transaction open."""

    @functools.wraps(fn)
    def run(session: Session, **kwargs: Any) -> R:
        attempt = 0
        while True:
            began_here = not session.in_transaction()
            try:
                if began_here:
                    claim_writer(session)
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
                if attempt >= 8 or not _sqlite_busy(session, exc):
                    raise
                time.sleep(0.02 * attempt)
            except BaseException:
                session.rollback()
                raise

    return run


def versioned_update(session: Session, model: type, row: Any, expected: int, values: Mapping[str, Any]) -> None:
    """``UPDATE ... SET ..., version = version + 1 WHERE id = :id AND version = :expected``."""
    stmt = (
        update(model)
        .where(model.id == row.id, model.version == expected)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount != 1:
        raise StaleVersion()
    session.refresh(row)


# -- teams, grids, scope --------------------------------------------------------
def member_team(session: Session, actor: Actor) -> Team:
    """The team of a member (their grid is the team's grid)."""
    team = session.get(Team, actor.team_id) if actor.team_id else None
    if team is None or not team.active:
        raise AccessDenied("您尚未加入服务团队")
    return team


def grid_readable(session: Session, actor: Actor, grid_id: int | None) -> bool:
    """May the actor read team-work records of this grid?"""
    if grid_id is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MEMBER:
        return actor.team_id is not None and session.exec(
            select(Team.id).where(Team.id == actor.team_id, Team.grid_id == grid_id)
        ).first() is not None
    if actor.role == Role.LEADER:
        return area_in_scope(actor, session.get(Area, grid_id))
    return False


def grid_editable(session: Session, actor: Actor, grid_id: int | None) -> bool:
    """Members edit their own grid only; administrators everywhere."""
    if grid_id is None:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MEMBER:
        return grid_readable(session, actor, grid_id)
    return False


def personal_visible(session: Session, actor: Actor, grid_id: int | None) -> bool:
    """Names, phones, addresses and notes: for the grid's own team and administrators."""
    return actor.role == Role.ADMIN or (actor.role == Role.MEMBER and grid_readable(session, actor, grid_id))


def scope_area(session: Session, actor: Actor, area_id: object = None, field: str = "area_id") -> Area | None:
    """The area a list is limited to: the one asked for (checked against the
    scope), else the actor's own scope (None = everything, administrators)."""
    if area_id not in (None, ""):
        area = session.get(Area, parse_id(area_id, field, "区域"))
        if area is None:
            raise DomainError("区域不存在", field)
        if actor.role == Role.MEMBER:
            team = member_team(session, actor)
            grid = session.get(Area, team.grid_id)
            if grid is None or not grid.path.startswith(area.path):
                raise AccessDenied("所选区域不在您的管辖范围内")
            return grid
        if not area_in_scope(actor, area):
            raise AccessDenied("所选区域不在您的管辖范围内")
        return area
    if actor.role == Role.MEMBER:
        return session.get(Area, member_team(session, actor).grid_id)
    if actor.role == Role.ADMIN and not actor.scope_area_id:
        return None
    area = session.get(Area, actor.scope_area_id) if actor.scope_area_id else None
    if area is None and actor.role != Role.ADMIN:
        raise AccessDenied()
    return area


@dataclass(frozen=True)
class AreaChoice:
    id: int
    label: str
    level: str


def area_choices(session: Session, *, actor: Actor, levels: tuple[str, ...] | None = None, limit: int = 2000) -> list[AreaChoice]:
    """Areas inside the actor's scope (their own scope first), for the filters
    of lists and searches; indented by depth."""
    who = check_actor(actor, *REGISTRY_ROLES)
    root = scope_area(session, who)
    wanted = levels or (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY, AreaLevel.GRID)
    stmt = select(Area.id, Area.name, Area.level, Area.path).where(Area.level.in_(wanted))
    if root is not None:
        stmt = stmt.where(Area.path.startswith(root.path))
    rows = session.exec(stmt.order_by(Area.path).limit(limit)).all()
    depth0 = root.path.count("/") if root is not None else 2
    out = []
    for aid, name, level, path in rows:
        indent = max(0, path.count("/") - depth0)
        out.append(AreaChoice(aid, "\u3000" * indent + name, level))
    return out


# ============================================================================
# Field checks
# ============================================================================
def _phone(value: object, field: str = "phone") -> str:
    text = clean_text(value, field, "电话", max_len=20)
    if text and not _PHONE_RE.match(text):
        raise DomainError("电话号码格式不正确", field)
    return text


def _skills(value: object, field: str, label: str) -> str:
    """Skills as words separated by one space (焊工 电工), however typed."""
    text = clean_text(value, field, label, max_len=200)
    words = []
    for word in SKILL_SPLIT.split(text):
        if word and word not in words:
            if len(word) > 20:
                raise DomainError(f"{label}中每一项不能超过20个字", field)
            words.append(word)
    return " ".join(words)


def _needs(value: object) -> str:
    return _skills(value, "needs", "需求标注")[:128] if value else ""


_HOUSEHOLD_FIELDS: dict[str, Callable[[object], Any]] = {
    "address": lambda v: clean_text(v, "address", "地址", min_len=1, max_len=128),
    "representative": lambda v: clean_text(v, "representative", "户代表", min_len=1, max_len=32),
    "phone": lambda v: _phone(v, "phone"),
    "size": lambda v: parse_int(v, "size", "家庭人口应为1到30人", 1, 30),
    "needs": _needs,
    "notes": lambda v: clean_text(v, "notes", "备注", max_len=500),
}


def _birth_year(value: object) -> int | None:
    if value in (None, ""):
        return None
    return parse_int(value, "birth_year", f"出生年份应在1900到{today().year}之间", 1900, today().year)


def _gender(value: object) -> str:
    value = "" if value is None else value
    if value not in GENDERS:
        raise DomainError("性别无效", "gender")
    return value


_RESIDENT_FIELDS: dict[str, Callable[[object], Any]] = {
    "name": lambda v: clean_text(v, "name", "姓名", min_len=1, max_len=32),
    "gender": _gender,
    "birth_year": _birth_year,
    "relation": lambda v: clean_text(v, "relation", "与户代表关系", max_len=16),
    "phone": lambda v: _phone(v, "phone"),
    "skills": lambda v: _skills(v, "skills", "技能"),
    "specialties": lambda v: _skills(v, "specialties", "特长"),
    "party_member": lambda v: parse_bool(v, "party_member"),
}


def _clean(fields: dict[str, Callable[[object], Any]], data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Only the known fields, each checked; on create every field is read
    (missing = empty), on update only those present."""
    out: dict[str, Any] = {}
    for key, check in fields.items():
        if key in data:
            out[key] = check(data[key])
        elif not partial:
            out[key] = check(None if key != "size" else 1)
    return out


# ============================================================================
# Rows
# ============================================================================
@dataclass(frozen=True)
class HouseholdRow:
    id: int
    grid_id: int
    grid_name: str
    community_name: str
    address: str
    representative: str
    phone: str
    size: int
    needs: str
    notes: str
    residents: int
    party_member_name: str  # 联户党员
    version: int
    masked: bool


@dataclass(frozen=True)
class ResidentRow:
    id: int
    household_id: int
    name: str
    gender: str
    birth_year: int | None
    relation: str
    phone: str
    skills: str
    specialties: str
    party_member: bool
    version: int
    masked: bool


@dataclass(frozen=True)
class HouseholdVisitRow:
    visited_on: date
    member_name: str
    note: str
    diary_id: int | None


@dataclass(frozen=True)
class HouseholdDetail:
    household: HouseholdRow
    residents: list[ResidentRow]
    visits: list[HouseholdVisitRow]
    can_edit: bool


@dataclass(frozen=True)
class SkillRow:
    resident_id: int
    name: str
    gender: str
    birth_year: int | None
    skills: str
    specialties: str
    party_member: bool
    phone: str
    address: str
    grid_name: str
    community_name: str
    township_name: str
    team_name: str
    masked: bool


def _household_row(hh: Household, grid_name: str, community_name: str, residents: int, party: str, masked: bool) -> HouseholdRow:
    return HouseholdRow(
        id=hh.id,
        grid_id=hh.grid_id,
        grid_name=grid_name,
        community_name=community_name,
        address=mask_address(hh.address) if masked else hh.address,
        representative=mask_name(hh.representative) if masked else hh.representative,
        phone=mask_phone(hh.phone) if masked else hh.phone,
        size=hh.size,
        needs=hh.needs,
        notes="" if masked else hh.notes,
        residents=residents,
        party_member_name=party,
        version=hh.version,
        masked=masked,
    )


def _resident_row(r: Resident, masked: bool) -> ResidentRow:
    return ResidentRow(
        id=r.id,
        household_id=r.household_id,
        name=mask_name(r.name) if masked else r.name,
        gender=r.gender,
        birth_year=None if masked else r.birth_year,
        relation=r.relation,
        phone=mask_phone(r.phone) if masked else r.phone,
        skills=r.skills,
        specialties=r.specialties,
        party_member=r.party_member,
        version=r.version,
        masked=masked,
    )


# ============================================================================
# Reading
# ============================================================================
_Grid = aliased(Area)
_Community = aliased(Area)
_Township = aliased(Area)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_households(
    session: Session,
    *,
    actor: Actor,
    area_id: object = None,
    query: object = "",
    need: object = "",
    page: object = 1,
    page_size: object = 20,
) -> tuple[list[HouseholdRow], int]:
    """A page of the households the actor may see (a member: their grid), with
    the total.  ``query`` searches address, representative and phone — for
    those who may see them; ``need`` filters by a need (低保, 独居老人 ...)."""
    who = check_actor(actor, *REGISTRY_ROLES)
    p, size = parse_page(page, page_size)
    area = scope_area(session, who, area_id)
    text = clean_text(query, "query", "查询内容", max_len=40)
    need_text = clean_text(need, "need", "需求", max_len=20)
    conds = []
    if area is not None:
        conds.append(_Grid.path.startswith(area.path))
    if need_text:
        conds.append(Household.needs.contains(need_text, autoescape=True))
    if text:
        if who.role == Role.LEADER:
            # leaders see masked rows: a name search would reveal who lives where
            raise DomainError("领导账号不能按姓名、电话或地址查询，请按区域和需求筛选", "query")
        conds.append(
            or_(
                Household.address.contains(text, autoescape=True),
                Household.representative.contains(text, autoescape=True),
                Household.phone.contains(text, autoescape=True),
            )
        )
    base = select(Household.id).join(_Grid, _Grid.id == Household.grid_id).where(*conds)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    if not total:
        return [], 0
    residents = (
        select(Resident.household_id, func.count().label("n")).group_by(Resident.household_id).subquery()
    )
    stmt = (
        select(Household, _Grid.name, _Community.name, func.coalesce(residents.c.n, 0), TeamMember.name)
        .join(_Grid, _Grid.id == Household.grid_id)
        .outerjoin(_Community, _Community.id == Household.community_id)
        .outerjoin(residents, residents.c.household_id == Household.id)
        .outerjoin(TeamMember, TeamMember.id == Household.party_member_id)
        .where(*conds)
        .order_by(_Grid.path, Household.id)
        .offset((p - 1) * size)
        .limit(size)
    )
    rows = []
    visible: dict[int, bool] = {}
    for hh, grid_name, comm_name, n, party in session.exec(stmt).all():
        if hh.grid_id not in visible:
            visible[hh.grid_id] = personal_visible(session, who, hh.grid_id)
        rows.append(_household_row(hh, grid_name or "", comm_name or "", int(n), party or "", not visible[hh.grid_id]))
    return rows, int(total)


def _load_household(session: Session, actor: Actor, household_id: object) -> Household:
    hh = session.get(Household, parse_id(household_id, "household_id", "住户编号"))
    if hh is None:
        raise NotFound("住户不存在")
    if not grid_readable(session, actor, hh.grid_id):
        raise AccessDenied("该住户不在您的管辖范围内")
    return hh


def household_detail(session: Session, *, actor: Actor, household_id: object) -> HouseholdDetail:
    who = check_actor(actor, *REGISTRY_ROLES)
    hh = _load_household(session, who, household_id)
    masked = not personal_visible(session, who, hh.grid_id)
    grid = session.get(Area, hh.grid_id)
    community = session.get(Area, hh.community_id) if hh.community_id else None
    party = session.get(TeamMember, hh.party_member_id) if hh.party_member_id else None
    residents = session.exec(select(Resident).where(Resident.household_id == hh.id).order_by(Resident.id)).all()
    from rxapp.models import User

    visits = session.exec(
        select(Visit.visited_on, User.display_name, Visit.note, Visit.diary_id)
        .join(User, User.id == Visit.user_id)
        .where(Visit.household_id == hh.id)
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(20)
    ).all()
    return HouseholdDetail(
        household=_household_row(hh, grid.name if grid else "", community.name if community else "", len(residents), party.name if party else "", masked),
        residents=[_resident_row(r, masked) for r in residents],
        visits=[HouseholdVisitRow(d, name or "", "" if masked else note, diary) for d, name, note, diary in visits],
        can_edit=grid_editable(session, who, hh.grid_id),
    )


@dataclass(frozen=True)
class HouseholdChoice:
    id: int
    label: str  # representative · address
    representative: str
    address: str


def household_choices(session: Session, *, actor: Actor, query: object = "", limit: int = 500) -> list[HouseholdChoice]:
    """The households of a member's own grid, to pick the ones visited."""
    who = check_actor(actor, Role.MEMBER)
    team = member_team(session, who)
    text = clean_text(query, "query", "查询内容", max_len=40)
    stmt = select(Household.id, Household.representative, Household.address).where(Household.grid_id == team.grid_id)
    if text:
        stmt = stmt.where(or_(Household.address.contains(text, autoescape=True), Household.representative.contains(text, autoescape=True)))
    rows = session.exec(stmt.order_by(Household.id).limit(limit)).all()
    return [HouseholdChoice(i, f"{rep} · {addr}", rep, addr) for i, rep, addr in rows]


def _skill_query(session: Session, who: Actor, skill: object, area_id: object):
    word = clean_text(skill, "skill", "技能", min_len=1, max_len=20)
    area = scope_area(session, who, area_id)
    conds = [or_(Resident.skills.contains(word, autoescape=True), Resident.specialties.contains(word, autoescape=True))]
    if area is not None:
        conds.append(_Grid.path.startswith(area.path))
    stmt = (
        select(Resident, Household.address, _Grid.name, _Community.name, Team.name, _Grid.path)
        .join(Household, Household.id == Resident.household_id)
        .join(_Grid, _Grid.id == Resident.grid_id)
        .outerjoin(_Community, _Community.id == _Grid.parent_id)
        .outerjoin(Team, Team.grid_id == _Grid.id)
        .where(*conds)
    )
    count = select(func.count()).select_from(Resident).join(_Grid, _Grid.id == Resident.grid_id).where(*conds)
    return stmt, count


def _township_names(session: Session, paths: set[str]) -> dict[str, str]:
    ids = {int(x) for p in paths for x in p.strip("/").split("/") if x}
    if not ids:
        return {}
    rows = session.exec(select(Area.id, Area.name, Area.level).where(Area.id.in_(ids), Area.level == AreaLevel.TOWNSHIP)).all()
    by_id = {str(i): name for i, name, _ in rows}
    out = {}
    for p in paths:
        out[p] = next((by_id[x] for x in p.strip("/").split("/") if x in by_id), "")
    return out


def _skill_rows(session: Session, who: Actor, found) -> list[SkillRow]:
    towns = _township_names(session, {r[5] for r in found})
    visible: dict[int, bool] = {}
    out = []
    for res, address, grid_name, comm_name, team_name, path in found:
        if res.grid_id not in visible:
            visible[res.grid_id] = personal_visible(session, who, res.grid_id)
        masked = not visible[res.grid_id]
        out.append(
            SkillRow(
                resident_id=res.id,
                name=mask_name(res.name) if masked else res.name,
                gender=res.gender,
                birth_year=res.birth_year,
                skills=res.skills,
                specialties=res.specialties,
                party_member=res.party_member,
                phone=mask_phone(res.phone) if masked else res.phone,
                address=mask_address(address) if masked else address,
                grid_name=grid_name or "",
                community_name=comm_name or "",
                township_name=towns.get(path, ""),
                team_name=team_name or "",
                masked=masked,
            )
        )
    return out


def skill_search(
    session: Session,
    *,
    actor: Actor,
    skill: object,
    area_id: object = None,
    page: object = 1,
    page_size: object = 20,
) -> tuple[list[SkillRow], int]:
    """Residents whose skills or specialties mention ``skill`` (焊工, 电工 ...)
    within the actor's scope (or an area inside it), for job matching; a page
    of rows and the total.  Leaders get masked rows and contact the person
    through the grid team named in each row."""
    who = check_actor(actor, *REGISTRY_ROLES)
    p, size = parse_page(page, page_size)
    stmt, count = _skill_query(session, who, skill, area_id)
    total = int(session.exec(count).one())
    if not total:
        return [], 0
    found = session.exec(stmt.order_by(_Grid.path, Resident.id).offset((p - 1) * size).limit(size)).all()
    return _skill_rows(session, who, found), total


def skill_export(session: Session, *, actor: Actor, skill: object, area_id: object = None) -> tuple[list[SkillRow], bool]:
    """Every match (up to ``EXPORT_LIMIT``) for the Excel export; True when cut short."""
    who = check_actor(actor, *REGISTRY_ROLES)
    stmt, _ = _skill_query(session, who, skill, area_id)
    found = session.exec(stmt.order_by(_Grid.path, Resident.id).limit(EXPORT_LIMIT + 1)).all()
    return _skill_rows(session, who, found[:EXPORT_LIMIT]), len(found) > EXPORT_LIMIT


# ============================================================================
# Writing
# ============================================================================
@write_action
def create_household(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Household:
    """登记住户.  A member registers in their own grid (a grid sent by the
    client must be theirs); an administrator names the grid."""
    who = check_actor(actor, *EDIT_ROLES)
    values = form(data)
    if who.role == Role.MEMBER:
        grid_id = member_team(session, who).grid_id
        asked = values.get("grid_id")
        if asked not in (None, "") and parse_id(asked, "grid_id", "网格") != grid_id:
            raise AccessDenied("只能登记本网格的住户")
    else:
        grid_id = parse_id(values.get("grid_id"), "grid_id", "网格")
    grid = session.get(Area, grid_id)
    if grid is None or grid.level != AreaLevel.GRID:
        raise DomainError("所选网格不存在", "grid_id")
    clean = _clean(_HOUSEHOLD_FIELDS, values, partial=False)
    hh = Household(
        **clean,
        grid_id=grid.id,
        community_id=area_lineage(session, grid).get(AreaLevel.COMMUNITY),
        created_at=now(),
        version=1,
    )
    session.add(hh)
    session.flush()
    return hh


@write_action
def update_household(session: Session, *, actor: Actor, household_id: object, data: Mapping[str, Any], expected_version: object) -> Household:
    """修改住户信息 (only the fields sent), with optimistic locking."""
    who = check_actor(actor, *EDIT_ROLES)
    expected = parse_version(expected_version)
    hh = _load_household(session, who, household_id)
    if not grid_editable(session, who, hh.grid_id):
        raise AccessDenied("只能修改本网格的住户")
    clean = _clean(_HOUSEHOLD_FIELDS, form(data), partial=True)
    versioned_update(session, Household, hh, expected, clean)
    return hh


@write_action
def add_resident(session: Session, *, actor: Actor, household_id: object, data: Mapping[str, Any]) -> Resident:
    """登记家庭成员."""
    who = check_actor(actor, *EDIT_ROLES)
    hh = _load_household(session, who, household_id)
    if not grid_editable(session, who, hh.grid_id):
        raise AccessDenied("只能修改本网格的住户")
    clean = _clean(_RESIDENT_FIELDS, form(data), partial=False)
    count = session.exec(select(func.count()).select_from(Resident).where(Resident.household_id == hh.id)).one()
    if count >= 30:
        raise DomainError("一户最多登记30名成员", "name")
    resident = Resident(**clean, household_id=hh.id, grid_id=hh.grid_id, created_at=now(), version=1)
    session.add(resident)
    session.flush()
    return resident


@write_action
def update_resident(session: Session, *, actor: Actor, resident_id: object, data: Mapping[str, Any], expected_version: object) -> Resident:
    """修改家庭成员信息 (only the fields sent), with optimistic locking."""
    who = check_actor(actor, *EDIT_ROLES)
    expected = parse_version(expected_version)
    resident = session.get(Resident, parse_id(resident_id, "resident_id", "成员编号"))
    if resident is None:
        raise NotFound("家庭成员不存在")
    if not grid_readable(session, who, resident.grid_id):
        raise AccessDenied("该住户不在您的管辖范围内")
    if not grid_editable(session, who, resident.grid_id):
        raise AccessDenied("只能修改本网格的住户")
    clean = _clean(_RESIDENT_FIELDS, form(data), partial=True)
    versioned_update(session, Resident, resident, expected, clean)
    return resident
