"""Administration: users, categories, teams, the holiday schedule, API keys and
the SMS log.

One function per administrator action, the session first and everything else
by keyword.  Each action

1. refuses every actor that is not an administrator (``AccessDenied``),
2. validates every argument as untrusted input — through the models'
   ``XCreate`` / ``XUpdate`` classes or explicit checks — raising
   ``DomainError(message, field)`` with a Chinese message,
3. writes with optimistic locking where the row has a ``version`` (a stale
   edit raises ``StaleVersion`` and changes nothing),
4. appends one ``AuditLog`` row and commits.

Nothing is deleted: users are disabled, API keys revoked.  The read functions
return small frozen rows (never a password hash or a key digest) and page in
SQL.  The command line (``python -m rxapp.users``) runs on the server and acts
as ``cli_actor()``, recorded in the audit log as ``cli``.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, select

from rxapp.domain.access import Actor, area_lineage
from rxapp.domain.classify import format_keywords, parse_keywords
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound, StaleVersion
from rxapp.domain.validate import text_field
from rxapp.domain.validate import bool_field as _bool
from rxapp.domain.validate import int_field as _int
from rxapp.domain.security import hash_password, new_token, token_digest
from rxapp.domain.workdays import parse_schedule_text, schedule_source
from rxapp.i18n import DEFAULT_LOCALE, local_name
from rxapp.models import (
    ApiKey,
    Area,
    AreaLevel,
    AuditLog,
    Case,
    Category,
    CategoryUpdate,
    Department,
    HolidaySchedule,
    LoginSession,
    Role,
    Sms,
    Team,
    TeamMember,
    User,
    UserCreate,
    UserUpdate,
)

MAX_PAGE_SIZE = 50
MIN_PASSWORD, MAX_PASSWORD = 8, 128
SCHEDULE_YEARS = (2000, 2100)
MAX_SCHEDULE_TEXT = 20_000
RATE_LIMIT_RANGE = (1, 100_000)
API_KEY_PREFIX_LENGTH = 8
CLI_USERNAME = "cli"

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_PHONE_RE = re.compile(r"^[0-9+\- ]{0,20}$")
_ID_FIELDS = ("scope_area_id", "team_id", "department_id")

# Chinese names of input fields, for validation messages.
_LABELS = {
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "password": "密码",
    "new_password": "新密码",
    "phone": "电话",
    "scope_area_id": "管辖区域",
    "team_id": "服务团队",
    "department_id": "承办部门",
    "active": "状态",
    "deadline_workdays": "办理时限",
    "keywords": "关键词",
    "name": "名称",
    "leader_name": "组长",
    "year": "年份",
    "text": "节假日安排",
    "rate_limit_per_minute": "每分钟调用上限",
    "case_code": "诉求编号",
}

ROLE_ZH = {
    Role.LEADER: "领导",
    Role.DISPATCHER: "受理派单员",
    Role.DEPT: "职能部门",
    Role.MEMBER: "网格团队成员",
    Role.ADMIN: "系统管理员",
}

R = TypeVar("R")


# ----------------------------------------------------------------------------
# Who may act
# ----------------------------------------------------------------------------
def cli_actor() -> Actor:
    """The command line on the server: trusted (it has the database anyway), an
    administrator that is no user; audited with ``by: cli`` and no user id."""
    return Actor(
        user_id=0,
        username=CLI_USERNAME,
        display_name="命令行",
        role=Role.ADMIN,
        scope_area_id=None,
        scope_level=None,
        scope_path="",
        team_id=None,
        department_id=None,
        label="系统管理员",
    )


def _admin(actor: object) -> Actor:
    if actor is None:
        raise AccessDenied("请先登录")
    if not isinstance(actor, Actor) or actor.role != Role.ADMIN:
        raise AccessDenied()
    return actor


# ----------------------------------------------------------------------------
# Untrusted arguments
# ----------------------------------------------------------------------------
def _id(value: object, field: str) -> int:
    return _int(value, field, f"{_LABELS.get(field, '编号')}无效")


def _version(value: object) -> int:
    return _int(value, "expected_version", "版本号无效")


def _text(value: object, field: str, *, min_len: int = 0, max_len: int) -> str:
    return text_field(value, field, _LABELS.get(field, field), min_len=min_len, max_len=max_len)


def _password(value: object, field: str) -> str:
    label = _LABELS[field]
    if not isinstance(value, str):
        raise DomainError(f"{label}格式不正确", field)
    if len(value) < MIN_PASSWORD:
        raise DomainError(f"{label}至少{MIN_PASSWORD}个字符", field)
    if len(value) > MAX_PASSWORD:
        raise DomainError(f"{label}不能超过{MAX_PASSWORD}个字符", field)
    if not value.strip():
        raise DomainError(f"{label}不能全是空格", field)
    return value


def _page_args(page: object, page_size: object) -> tuple[int, int]:
    return (
        _int(page, "page", "页码无效", 1, 1_000_000),
        _int(page_size, "page_size", f"每页条数必须在1到{MAX_PAGE_SIZE}之间", 1, MAX_PAGE_SIZE),
    )


def _validation_error(exc: ValidationError) -> DomainError:
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    field = str(loc[0]) if loc else None
    label = _LABELS.get(field or "", field or "输入")
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    if kind == "missing":
        message = f"请填写{label}"
    elif kind == "string_too_short":
        n = ctx.get("min_length", 1)
        message = f"请填写{label}" if n <= 1 else f"{label}至少{n}个字符"
    elif kind == "string_too_long":
        message = f"{label}不能超过{ctx.get('max_length')}个字符"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        message = f"{label}超出允许范围"
    else:
        message = f"{label}格式不正确"
    if field == "deadline_workdays" and kind != "missing":
        message = "办理时限必须是1到60个工作日"
    return DomainError(message, field)


M = TypeVar("M", bound=SQLModel)


def _validated(cls: type[M], data: object) -> M:
    """``data`` (a ``cls`` instance or a plain mapping from a client) as a
    freshly validated ``cls``: unknown keys dropped, strings trimmed, booleans
    refused where an id or number belongs (pydantic would read True as 1)."""
    if isinstance(data, SQLModel) and isinstance(data, cls):
        raw = data.model_dump(exclude_unset=True)
    elif isinstance(data, Mapping):
        raw = dict(data)
    else:
        raise DomainError("参数无效", "data")
    fields = cls.model_fields
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or key not in fields:
            continue
        if isinstance(value, bool) and key != "active":
            raise DomainError(f"{_LABELS.get(key, key)}无效", key)
        if key == "active" and value is not None and not isinstance(value, bool):
            raise DomainError("参数无效", key)
        if isinstance(value, str) and key != "password":
            value = value.strip()
        clean[key] = value
    try:
        return cls.model_validate(clean)
    except ValidationError as exc:
        raise _validation_error(exc) from None


# ----------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------
def _is_sqlite_busy(session: Session, exc: OperationalError) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _write(fn: Callable[..., R]) -> Callable[..., R]:
    """Run the action in a savepoint and commit. A refusal (``DomainError``)
    rolls back the savepoint only: whatever the action had written goes, the
    caller's own pending work stays. SQLite refuses a write whose read snapshot
    went stale under a concurrent writer ("database is locked"): roll back and
    run the action again on fresh data."""

    @functools.wraps(fn)
    def run(session: Session, **kwargs: Any) -> R:
        attempt = 0
        while True:
            try:
                with session.begin_nested():
                    result = fn(session, **kwargs)
                session.commit()
                return result
            except DomainError:
                raise
            except OperationalError as exc:
                session.rollback()
                attempt += 1
                if attempt >= 8 or not _is_sqlite_busy(session, exc):
                    raise
                time.sleep(0.02 * attempt)
            except Exception:
                session.rollback()
                raise

    return run


def _audit(session: Session, actor: Actor, action: str, target: str, detail: Mapping[str, Any]) -> None:
    session.add(
        AuditLog(
            at=now(),
            actor_user_id=actor.user_id if actor.user_id and actor.user_id > 0 else None,
            action=action,
            target=target[:64],
            detail=json.dumps({"by": actor.username, **detail}, ensure_ascii=False, default=str, sort_keys=True),
        )
    )
    session.flush()


def _versioned_update(session: Session, model: type, row: Any, expected: int, values: Mapping[str, Any]) -> None:
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


def _end_sessions(session: Session, user_id: int) -> int:
    result = session.exec(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# ----------------------------------------------------------------------------
# Users
# ----------------------------------------------------------------------------
def _load_user(session: Session, user_id: object) -> User:
    user = session.get(User, _id(user_id, "user_id"), populate_existing=True)
    if user is None:
        raise NotFound("用户不存在")
    return user


def _user_shape(
    session: Session, *, role: object, scope_area_id: int | None, team_id: int | None, department_id: int | None
) -> tuple[int | None, int | None, int | None]:
    """The role's rules for scope, team and department. Returns the stored
    (scope_area_id, team_id, department_id): a member's scope defaults to the
    team's grid; a team only belongs to members, a department only to dept users."""
    if role not in Role.ALL:
        raise DomainError("请选择有效的角色", "role")
    scope = None
    if scope_area_id is not None:
        scope = session.get(Area, _id(scope_area_id, "scope_area_id"))
        if scope is None:
            raise DomainError("管辖区域不存在", "scope_area_id")
    if role == Role.DEPT:
        if department_id is None:
            raise DomainError("职能部门用户必须选择所属部门", "department_id")
        dep = session.get(Department, _id(department_id, "department_id"))
        if dep is None or not dep.active:
            raise DomainError("部门不存在或已停用", "department_id")
    else:
        department_id = None
    if role == Role.MEMBER:
        if team_id is None:
            raise DomainError("网格团队成员必须选择所属服务团队", "team_id")
        team = session.get(Team, _id(team_id, "team_id"))
        if team is None or not team.active:
            raise DomainError("服务团队不存在或已停用", "team_id")
        if scope is None:
            scope_area_id = team.grid_id
        elif scope.id != team.grid_id:
            raise DomainError("网格团队成员的管辖区域必须是所在团队的网格", "scope_area_id")
    else:
        team_id = None
    if role in (Role.LEADER, Role.DISPATCHER) and scope is None:
        raise DomainError("请选择管辖区域", "scope_area_id")
    return scope_area_id, team_id, department_id


def _check_username(session: Session, username: str) -> None:
    # the model's regex is not enforced by SQLModel validation: check it here
    if not _USERNAME_RE.match(username):
        raise DomainError("用户名须为3到32位字母、数字、下划线、点或连字符", "username")
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if session.exec(stmt).first() is not None:
        raise DomainError("用户名已存在", "username")


def _check_phone(phone: str) -> str:
    if not _PHONE_RE.match(phone):
        raise DomainError("电话号码只能包含数字、空格、+ 和 -", "phone")
    return phone


def _sync_roster(session: Session, user: User) -> None:
    """A member's login is on their team's roster (TeamMember, linked by user id)."""
    linked = session.exec(select(TeamMember).where(TeamMember.user_id == user.id)).all()
    if user.role == Role.MEMBER and user.team_id:
        if linked:
            row = linked[0]
            row.team_id, row.name, row.active = user.team_id, user.display_name, True
            session.add(row)
        else:
            session.add(TeamMember(team_id=user.team_id, name=user.display_name, phone=user.phone, user_id=user.id))
    else:
        for row in linked:
            row.active = False
            session.add(row)
    session.flush()


@_write
def create_user(session: Session, *, actor: Actor, data: UserCreate | Mapping[str, Any]) -> User:
    who = _admin(actor)
    user_in = _validated(UserCreate, data)
    _check_username(session, user_in.username)
    _check_phone(user_in.phone)
    _password(user_in.password, "password")
    scope_id, team_id, dep_id = _user_shape(
        session,
        role=user_in.role,
        scope_area_id=user_in.scope_area_id,
        team_id=user_in.team_id,
        department_id=user_in.department_id,
    )
    user = User.model_validate(
        user_in,
        update={
            "scope_area_id": scope_id,
            "team_id": team_id,
            "department_id": dep_id,
            "password_hash": hash_password(user_in.password),
            "created_at": now(),
        },
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create of the same username
        raise DomainError("用户名已存在", "username") from None
    _sync_roster(session, user)
    _audit(
        session,
        who,
        "user.create",
        f"user:{user.id}",
        {"username": user.username, "role": user.role, "scope_area_id": scope_id, "team_id": team_id, "department_id": dep_id},
    )
    return user


@_write
def update_user(
    session: Session, *, actor: Actor, user_id: int, data: UserUpdate | Mapping[str, Any], expected_version: int
) -> User:
    """Change name, role, scope, team, department or active; ``None`` for
    name, role or active means unchanged, for the ids it clears them (a
    member's scope then follows the team's grid)."""
    who = _admin(actor)
    expected = _version(expected_version)
    changes = _validated(UserUpdate, data).model_dump(exclude_unset=True)
    user = _load_user(session, user_id)
    if user.version != expected:
        raise StaleVersion()
    for key in ("display_name", "role", "active"):
        if changes.get(key, "") is None:
            del changes[key]
    role = changes.get("role", user.role)
    if user.id == who.user_id:
        if role != user.role:
            raise DomainError("不能修改自己的角色", "role")
        if changes.get("active") is False:
            raise DomainError("不能停用自己的账号", "active")
    scope_in = changes.get("scope_area_id", None if role == Role.MEMBER else user.scope_area_id)
    scope_id, team_id, dep_id = _user_shape(
        session,
        role=role,
        scope_area_id=scope_in,
        team_id=changes.get("team_id", user.team_id),
        department_id=changes.get("department_id", user.department_id),
    )
    values = {
        "display_name": changes.get("display_name", user.display_name),
        "role": role,
        "scope_area_id": scope_id,
        "team_id": team_id,
        "department_id": dep_id,
        "active": changes.get("active", user.active),
    }
    diff = {k: [getattr(user, k), v] for k, v in values.items() if getattr(user, k) != v}
    if not diff:
        return user
    _versioned_update(session, User, user, expected, {k: new for k, (_, new) in diff.items()})
    _sync_roster(session, user)
    ended = _end_sessions(session, user.id) if diff.get("active", [None, True])[1] is False else 0
    _audit(session, who, "user.update", f"user:{user.id}", {"username": user.username, "changes": diff, "sessions_ended": ended})
    return user


@_write
def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool, expected_version: int) -> User:
    """Disable (ending the user's open sessions) or enable a login. Nothing is deleted."""
    who = _admin(actor)
    want = _bool(active, "active")
    expected = _version(expected_version)
    user = _load_user(session, user_id)
    if user.id == who.user_id and not want:
        raise DomainError("不能停用自己的账号", "active")
    if user.version != expected:
        raise StaleVersion()
    if user.active == want:
        return user
    _versioned_update(session, User, user, expected, {"active": want})
    ended = 0 if want else _end_sessions(session, user.id)
    _audit(
        session,
        who,
        "user.enable" if want else "user.disable",
        f"user:{user.id}",
        {"username": user.username, "sessions_ended": ended},
    )
    return user


@_write
def reset_password(session: Session, *, actor: Actor, user_id: int, new_password: str) -> User:
    """Set a new password, clear the lockout and end every open session of the user."""
    who = _admin(actor)
    password = _password(new_password, "new_password")
    user = _load_user(session, user_id)
    _versioned_update(
        session,
        User,
        user,
        user.version,
        {"password_hash": hash_password(password), "failed_logins": 0, "locked_until": None},
    )
    ended = _end_sessions(session, user.id)
    _audit(session, who, "user.reset_password", f"user:{user.id}", {"username": user.username, "sessions_ended": ended})
    return user


@_write
def unlock_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """Lift a lockout after too many wrong passwords."""
    who = _admin(actor)
    user = _load_user(session, user_id)
    was = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
    _versioned_update(session, User, user, user.version, {"failed_logins": 0, "locked_until": None})
    _audit(session, who, "user.unlock", f"user:{user.id}", {"username": user.username, "was": was})
    return user


# ----------------------------------------------------------------------------
# Categories
# ----------------------------------------------------------------------------
@_write
def update_category(
    session: Session, *, actor: Actor, category_id: int, data: CategoryUpdate | Mapping[str, Any], expected_version: int
) -> Category:
    """Department, deadline (1..60 working days) and keyword rules of a category;
    keywords are stored normalised (``format_keywords(parse_keywords(text))``)."""
    who = _admin(actor)
    expected = _version(expected_version)
    changes = _validated(CategoryUpdate, data).model_dump(exclude_unset=True)
    cat = session.get(Category, _id(category_id, "category_id"), populate_existing=True)
    if cat is None:
        raise NotFound("诉求类别不存在")
    if cat.version != expected:
        raise StaleVersion()
    values: dict[str, Any] = {}
    if "department_id" in changes:
        dep_id = changes["department_id"]
        if dep_id is None:
            raise DomainError("请选择承办部门", "department_id")
        dep = session.get(Department, _id(dep_id, "department_id"))
        if dep is None or not dep.active:
            raise DomainError("部门不存在或已停用", "department_id")
        values["department_id"] = dep.id
    if changes.get("deadline_workdays") is not None:
        values["deadline_workdays"] = changes["deadline_workdays"]
    if changes.get("keywords") is not None:
        try:
            values["keywords"] = format_keywords(parse_keywords(changes["keywords"]))
        except ValueError as exc:
            raise DomainError(str(exc), "keywords") from None
    diff = {k: [getattr(cat, k), v] for k, v in values.items() if getattr(cat, k) != v}
    if not diff:
        return cat
    _versioned_update(session, Category, cat, expected, {k: new for k, (_, new) in diff.items()})
    if "keywords" in diff:  # the audit keeps the size of the change, not two long texts
        old, new = (set(parse_keywords(t or "")) for t in diff["keywords"])
        diff["keywords"] = {"added": sorted(new - old), "removed": sorted(old - new)}
    _audit(session, who, "category.update", f"category:{cat.code}", {"changes": diff})
    return cat


# ----------------------------------------------------------------------------
# Teams
# ----------------------------------------------------------------------------
def _team_name(value: object) -> str:
    return _text(value, "name", min_len=1, max_len=64)


@_write
def create_team(session: Session, *, actor: Actor, grid_id: int, name: str = "", leader_name: str = "") -> Team:
    """The service team of a grid that has none (one team per grid)."""
    who = _admin(actor)
    grid = session.get(Area, _id(grid_id, "grid_id"))
    if grid is None or grid.level != AreaLevel.GRID:
        raise DomainError("请选择一个网格", "grid_id")
    if session.exec(select(Team.id).where(Team.grid_id == grid.id)).first() is not None:
        raise DomainError("该网格已有服务团队", "grid_id")
    title = _text(name, "name", max_len=64) or f"{grid.name}服务团队"[:64]
    leader = _text(leader_name, "leader_name", max_len=32)
    team = Team(
        name=title,
        grid_id=grid.id,
        township_id=area_lineage(session, grid).get(AreaLevel.TOWNSHIP),
        leader_name=leader,
    )
    session.add(team)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError("该网格已有服务团队", "grid_id") from None
    _audit(session, who, "team.create", f"team:{team.id}", {"name": title, "grid_id": grid.id, "leader_name": leader})
    return team


@_write
def rename_team(session: Session, *, actor: Actor, team_id: int, name: str, leader_name: str | None = None) -> Team:
    """New name and (unless ``None``) team leader."""
    who = _admin(actor)
    title = _team_name(name)
    leader = None if leader_name is None else _text(leader_name, "leader_name", max_len=32)
    team = session.get(Team, _id(team_id, "team_id"), populate_existing=True)
    if team is None:
        raise NotFound("服务团队不存在")
    diff: dict[str, list[str]] = {}
    if team.name != title:
        diff["name"] = [team.name, title]
        team.name = title
    if leader is not None and team.leader_name != leader:
        diff["leader_name"] = [team.leader_name, leader]
        team.leader_name = leader
    if not diff:
        return team
    session.add(team)
    session.flush()
    _audit(session, who, "team.rename", f"team:{team.id}", {"changes": diff})
    return team


# ----------------------------------------------------------------------------
# Holiday schedule
# ----------------------------------------------------------------------------
@_write
def save_holiday_schedule(session: Session, *, actor: Actor, year: int, text: str) -> HolidaySchedule:
    """Enter or replace a year's official schedule (it wins over the calendar package)."""
    who = _admin(actor)
    y = _int(year, "year", f"年份必须在{SCHEDULE_YEARS[0]}到{SCHEDULE_YEARS[1]}之间", *SCHEDULE_YEARS)
    if not isinstance(text, str):
        raise DomainError("节假日安排格式不正确", "text")
    if len(text) > MAX_SCHEDULE_TEXT:
        raise DomainError(f"节假日安排不能超过{MAX_SCHEDULE_TEXT}个字", "text")
    body = text.strip()
    if not body:
        raise DomainError("请填写节假日安排", "text")
    try:
        sched = parse_schedule_text(y, body)
    except ValueError as exc:
        raise DomainError(str(exc), "text") from None
    row = session.get(HolidaySchedule, y, populate_existing=True)
    replaced = row is not None
    if row is None:
        row = HolidaySchedule(year=y, text="", updated_at=now())
    row.text = body + "\n"
    row.updated_at = now()
    row.updated_by_user_id = who.user_id if who.user_id > 0 else None
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another administrator saved the same year at the same moment
        raise StaleVersion() from None
    _audit(
        session,
        who,
        "holiday.save",
        f"holiday:{y}",
        {"year": y, "holidays": len(sched.holidays), "workdays": len(sched.workdays), "replaced": replaced},
    )
    return row


def _official_years(session: Session, years: list[int]) -> set[int]:
    """Years whose stored schedule parses (an unreadable one does not count)."""
    found = set()
    for y, text in session.exec(select(HolidaySchedule.year, HolidaySchedule.text).where(HolidaySchedule.year.in_(years))).all():
        try:
            parse_schedule_text(y, text)
        except ValueError:
            continue
        found.add(y)
    return found


def schedule_status(session: Session, today: date) -> list[tuple[int, str]]:
    """(year, source) for this year and next: ``official`` / ``package`` / ``missing``.
    Not personal data, so no actor: leaders' pages may warn with it as well."""
    if isinstance(today, datetime):
        today = today.date()
    years = [today.year, today.year + 1]
    official = _official_years(session, years)
    return [(y, "official" if y in official else schedule_source(y)) for y in years]


def holiday_schedule_text(session: Session, *, actor: Actor, year: int) -> str:
    """The stored schedule text of ``year`` ("" when none was entered)."""
    _admin(actor)
    y = _int(year, "year", f"年份必须在{SCHEDULE_YEARS[0]}到{SCHEDULE_YEARS[1]}之间", *SCHEDULE_YEARS)
    row = session.get(HolidaySchedule, y)
    return row.text if row else ""


# ----------------------------------------------------------------------------
# API keys
# ----------------------------------------------------------------------------
@_write
def issue_api_key(session: Session, *, actor: Actor, name: str, rate_limit_per_minute: int = 600) -> tuple[ApiKey, str]:
    """A new key for an Open311 client. The plain key is returned once and
    never stored: the table keeps its SHA-256 and its first characters."""
    who = _admin(actor)
    title = _text(name, "name", min_len=1, max_len=64)
    rate = _int(
        rate_limit_per_minute,
        "rate_limit_per_minute",
        f"每分钟调用上限必须在{RATE_LIMIT_RANGE[0]}到{RATE_LIMIT_RANGE[1]}之间",
        *RATE_LIMIT_RANGE,
    )
    plain = new_token()
    key = ApiKey(
        name=title,
        prefix=plain[:API_KEY_PREFIX_LENGTH],
        key_hash=token_digest(plain),
        rate_limit_per_minute=rate,
        created_at=now(),
    )
    session.add(key)
    session.flush()
    _audit(session, who, "api_key.issue", f"api_key:{key.id}", {"name": title, "prefix": key.prefix, "rate_limit_per_minute": rate})
    return key, plain


@_write
def revoke_api_key(session: Session, *, actor: Actor, key_id: int) -> ApiKey:
    who = _admin(actor)
    key = session.get(ApiKey, _id(key_id, "key_id"), populate_existing=True)
    if key is None:
        raise NotFound("API 密钥不存在")
    if key.revoked_at is not None:
        raise DomainError("该密钥已吊销", "key_id")
    key.revoked_at = now()
    session.add(key)
    session.flush()
    _audit(session, who, "api_key.revoke", f"api_key:{key.id}", {"name": key.name, "prefix": key.prefix})
    return key


# ----------------------------------------------------------------------------
# Read side
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    phone: str
    scope_area_id: int | None
    scope_name: str
    scope_level: str
    team_id: int | None
    team_name: str
    team_township_id: int | None
    department_id: int | None
    department_name: str
    active: bool
    locked: bool
    failed_logins: int
    created_at: datetime
    version: int


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_users(
    session: Session, *, actor: Actor, query: str = "", page: int = 1, page_size: int = 20
) -> tuple[list[UserRow], int]:
    """One page of users (by id), filtered in SQL on username or name."""
    _admin(actor)
    q = _text(query, "query", max_len=64)
    page, size = _page_args(page, page_size)
    cond = []
    if q:
        pattern = _like(q)
        cond.append(or_(User.username.ilike(pattern, escape="\\"), User.display_name.ilike(pattern, escape="\\")))
    total = session.exec(select(func.count()).select_from(User).where(*cond)).one()
    stmt = (
        select(User, Area.name, Area.level, Team.name, Team.township_id, Department.name_zh)
        .outerjoin(Area, Area.id == User.scope_area_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(*cond)
        .order_by(User.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    t = now()
    rows = [
        UserRow(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            phone=u.phone,
            scope_area_id=u.scope_area_id,
            scope_name=area_name or "",
            scope_level=area_level or "",
            team_id=u.team_id,
            team_name=team_name or "",
            team_township_id=team_township_id,
            department_id=u.department_id,
            department_name=dep_name or "",
            active=u.active,
            locked=bool(u.locked_until and u.locked_until > t),
            failed_logins=u.failed_logins,
            created_at=u.created_at,
            version=u.version,
        )
        for u, area_name, area_level, team_name, team_township_id, dep_name in session.exec(stmt).all()
    ]
    return rows, total


def find_user(session: Session, *, actor: Actor, username: str) -> User:
    """A user by username (for the command line)."""
    _admin(actor)
    name = _text(username, "username", min_len=1, max_len=64)
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        raise DomainError(f"用户 {name} 不存在", "username")
    return user


@dataclass(frozen=True)
class CategoryRow:
    id: int
    code: str
    name_zh: str
    department_id: int | None
    department_name: str
    deadline_workdays: int
    keywords: str
    keyword_count: int
    active: bool
    version: int
    name_en: str = ""
    department_name_en: str = ""


def list_categories(session: Session, *, actor: Actor) -> list[CategoryRow]:
    _admin(actor)
    stmt = (
        select(Category, Department.name_zh, Department.name_en)
        .outerjoin(Department, Department.id == Category.department_id)
        .order_by(Category.sort, Category.id)
    )
    rows = []
    for cat, dep_name, dep_name_en in session.exec(stmt).all():
        try:
            count = len(parse_keywords(cat.keywords or ""))
        except ValueError:
            count = 0
        rows.append(
            CategoryRow(
                id=cat.id,
                code=cat.code,
                name_zh=cat.name_zh,
                department_id=cat.department_id,
                department_name=dep_name or "",
                department_name_en=dep_name_en or "",
                name_en=cat.name_en,
                deadline_workdays=cat.deadline_workdays,
                keywords=cat.keywords or "",
                keyword_count=count,
                active=cat.active,
                version=cat.version,
            )
        )
    return rows


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    grid_id: int
    grid_name: str
    township_id: int | None
    township_name: str
    leader_name: str
    member_count: int
    active: bool


def list_teams(
    session: Session, *, actor: Actor, township_id: int | None = None, page: int = 1, page_size: int = 20
) -> tuple[list[TeamRow], int]:
    """One page of teams, optionally of one township, with active roster size."""
    _admin(actor)
    page, size = _page_args(page, page_size)
    cond = []
    if township_id is not None:
        cond.append(Team.township_id == _id(township_id, "township_id"))
    total = session.exec(select(func.count()).select_from(Team).where(*cond)).one()
    grid = aliased(Area)
    township = aliased(Area)
    members = (
        select(func.count(TeamMember.id))
        .where(TeamMember.team_id == Team.id, TeamMember.active)
        .correlate(Team)
        .scalar_subquery()
    )
    stmt = (
        select(Team, grid.name, township.name, members)
        .join(grid, grid.id == Team.grid_id)
        .outerjoin(township, township.id == Team.township_id)
        .where(*cond)
        .order_by(Team.township_id, Team.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    rows = [
        TeamRow(
            id=team.id,
            name=team.name,
            grid_id=team.grid_id,
            grid_name=grid_name or "",
            township_id=team.township_id,
            township_name=township_name or "",
            leader_name=team.leader_name,
            member_count=int(count or 0),
            active=team.active,
        )
        for team, grid_name, township_name, count in session.exec(stmt).all()
    ]
    return rows, total


@dataclass(frozen=True)
class ApiKeyRow:
    id: int
    name: str
    prefix: str
    rate_limit_per_minute: int
    created_at: datetime
    revoked_at: datetime | None


def list_api_keys(session: Session, *, actor: Actor) -> list[ApiKeyRow]:
    """Every key, newest first (a deployment has a handful); never the digest."""
    _admin(actor)
    keys = session.exec(select(ApiKey).order_by(ApiKey.id.desc()).limit(500)).all()
    return [
        ApiKeyRow(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            rate_limit_per_minute=k.rate_limit_per_minute,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )
        for k in keys
    ]


@dataclass(frozen=True)
class SmsRow:
    id: int
    direction: str
    phone: str  # in full: only administrators read the log
    text: str
    template: str
    case_code: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


SMS_DIRECTIONS = ("in", "out")
SMS_STATUSES = ("queued", "sent", "failed", "received", "kept")


def list_sms(
    session: Session,
    *,
    actor: Actor,
    phone: str = "",
    case_code: str = "",
    day: str = "",
    direction: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[SmsRow], int]:
    """The SMS log, newest first, searched in SQL: phone (digits, a part of
    the number), case code (a part of it), one day (``YYYY-MM-DD``),
    direction and state (one of their values, "" = any)."""
    _admin(actor)
    page, size = _page_args(page, page_size)
    phone_q = _text(phone, "phone", max_len=20)
    code_q = _text(case_code, "case_code", max_len=20).upper()
    if phone_q and not phone_q.isdigit():
        raise DomainError("手机号只能包含数字", "phone")
    if code_q and not code_q.isalnum():
        raise DomainError("诉求编号只能包含字母和数字", "case_code")
    if direction not in ("", *SMS_DIRECTIONS):
        raise DomainError("方向无效", "direction")
    if status not in ("", *SMS_STATUSES):
        raise DomainError("状态无效", "status")
    cond = []
    if phone_q:
        cond.append(Sms.phone.contains(phone_q, autoescape=True))
    if code_q:
        cond.append(Case.code.contains(code_q, autoescape=True))
    if day:
        try:
            d = date.fromisoformat(day) if isinstance(day, str) and len(day) == 10 else None
        except ValueError:
            d = None
        if d is None:
            raise DomainError("日期无效", "day")
        start = datetime(d.year, d.month, d.day)
        cond += [Sms.created_at >= start, Sms.created_at < start + timedelta(days=1)]
    if direction:
        cond.append(Sms.direction == direction)
    if status:
        cond.append(Sms.status == status)
    count = select(func.count()).select_from(Sms)
    if code_q:
        count = count.join(Case, Case.id == Sms.case_id)
    total = session.exec(count.where(*cond)).one()
    stmt = (
        select(Sms, Case.code)
        .outerjoin(Case, Case.id == Sms.case_id)
        .where(*cond)
        .order_by(Sms.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    rows = [
        SmsRow(
            id=s.id,
            direction=s.direction,
            phone=s.phone,
            text=s.text,
            template=s.template,
            case_code=code or "",
            status=s.status,
            attempts=s.attempts,
            last_error=s.last_error,
            created_at=s.created_at,
            sent_at=s.sent_at,
            next_attempt_at=s.next_attempt_at,
        )
        for s, code in session.exec(stmt).all()
    ]
    return rows, total


# ----------------------------------------------------------------------------
# Choices for the forms
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    level: str = ""


_SCOPE_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.TOWNSHIP)


def scope_choices(session: Session, *, actor: Actor) -> list[Choice]:
    """City, districts and townships (a few dozen), labelled with their path."""
    _admin(actor)
    areas = session.exec(select(Area).where(Area.level.in_(_SCOPE_LEVELS)).order_by(Area.path)).all()
    by_id = {a.id: a for a in areas}
    rank = {lvl: i for i, lvl in enumerate(AreaLevel.ORDER)}

    def label(a: Area) -> str:
        if a.level == AreaLevel.TOWNSHIP and a.parent_id in by_id:
            return f"{by_id[a.parent_id].name} · {a.name}"
        return a.name

    def key(a: Area) -> tuple:
        district = a if a.level == AreaLevel.DISTRICT else by_id.get(a.parent_id or 0)
        return (
            rank.get(a.level, 9) > 0,
            district.sort if district else 0,
            district.id if district else 0,
            rank.get(a.level, 9),
            a.sort,
            a.id,
        )

    return [Choice(a.id, label(a), a.level) for a in sorted(areas, key=key)]


def department_choices(session: Session, *, actor: Actor, lang: str = DEFAULT_LOCALE) -> list[Choice]:
    _admin(actor)
    deps = session.exec(select(Department).where(Department.active).order_by(Department.id)).all()
    return [Choice(d.id, local_name(d, lang)) for d in deps]


def team_choices(session: Session, *, actor: Actor, township_id: int) -> list[Choice]:
    """Active teams of one township (for the member's team select)."""
    _admin(actor)
    tid = _id(township_id, "township_id")
    teams = session.exec(
        select(Team).where(Team.township_id == tid, Team.active).order_by(Team.id).limit(500)
    ).all()
    return [Choice(t.id, t.name) for t in teams]


def free_grid_choices(session: Session, *, actor: Actor, township_id: int) -> list[Choice]:
    """Grids of one township that have no team yet (for create_team)."""
    _admin(actor)
    township = session.get(Area, _id(township_id, "township_id"))
    if township is None or township.level != AreaLevel.TOWNSHIP:
        raise DomainError("请选择乡镇街道", "township_id")
    grids = session.exec(
        select(Area)
        .outerjoin(Team, Team.grid_id == Area.id)
        .where(Area.level == AreaLevel.GRID, Area.path.startswith(township.path), Team.id.is_(None))
        .order_by(Area.path)
        .limit(500)
    ).all()
    return [Choice(g.id, g.name, g.level) for g in grids]


def resolve_area_path(session: Session, text: object) -> Area:
    """``"舟山市/普陀区/朱家尖街道"`` -> that area (names from the root down)."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError("请填写管辖区域", "scope")
    names = [p.strip() for p in re.split(r"[/／>]", text) if p.strip()]
    parent: Area | None = None
    for name in names:
        stmt = select(Area).where(Area.name == name)
        stmt = stmt.where(Area.parent_id == parent.id) if parent else stmt.where(Area.parent_id.is_(None))
        found = session.exec(stmt).first()
        if found is None:
            raise DomainError(f"找不到区域“{name}”（路径：{text.strip()}）", "scope")
        parent = found
    if parent is None:
        raise DomainError("请填写管辖区域", "scope")
    return parent


def department_by_code(session: Session, code: object) -> Department:
    if not isinstance(code, str) or not code.strip():
        raise DomainError("请填写部门代码", "department_id")
    dep = session.exec(select(Department).where(Department.code == code.strip().upper())).first()
    if dep is None:
        raise DomainError(f"部门代码 {code.strip()} 不存在", "department_id")
    return dep


__all__ = [
    "ApiKeyRow",
    "CategoryRow",
    "Choice",
    "ROLE_ZH",
    "SmsRow",
    "TeamRow",
    "UserRow",
    "cli_actor",
    "create_team",
    "create_user",
    "department_by_code",
    "department_choices",
    "find_user",
    "free_grid_choices",
    "holiday_schedule_text",
    "issue_api_key",
    "list_api_keys",
    "list_categories",
    "list_sms",
    "list_teams",
    "list_users",
    "rename_team",
    "reset_password",
    "resolve_area_path",
    "revoke_api_key",
    "save_holiday_schedule",
    "schedule_status",
    "scope_choices",
    "set_user_active",
    "team_choices",
    "unlock_user",
    "update_category",
    "update_user",
]
