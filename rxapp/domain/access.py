"""Who may see and do what: roles and area scopes, checked server-side.

Every domain action calls these; the UI hiding a button is never the check."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, select

from rxapp.domain.errors import AccessDenied
from rxapp.models import Area, AreaLevel, Case, Role, User


@dataclass(frozen=True)
class Actor:
    """The authenticated caller as the domain sees it (built from the DB, never from the client)."""

    user_id: int
    username: str
    display_name: str
    role: str
    scope_area_id: int | None
    scope_level: str | None
    scope_path: str
    team_id: int | None
    department_id: int | None
    label: str = ""  # shown publicly for staff updates: department / centre name

    @property
    def is_citywide(self) -> bool:
        return self.role == Role.ADMIN or self.scope_level == AreaLevel.CITY


# Case column that holds the area id of each level.
CASE_AREA_COLUMN = {
    AreaLevel.DISTRICT: Case.district_id,
    AreaLevel.TOWNSHIP: Case.township_id,
    AreaLevel.COMMUNITY: Case.community_id,
    AreaLevel.GRID: Case.grid_id,
}


def actor_for(session: Session, user: User) -> Actor:
    area = session.get(Area, user.scope_area_id) if user.scope_area_id else None
    label = ""
    if user.role == Role.DEPT and user.department_id:
        from rxapp.models import Department

        dep = session.get(Department, user.department_id)
        label = dep.name_zh if dep else ""
    elif user.role == Role.DISPATCHER:
        label = f"{area.name if area else ''}服务中心"
    elif user.role == Role.MEMBER:
        label = "网格服务团队"
    elif user.role == Role.LEADER:
        label = f"{area.name if area else ''}领导"
    else:
        label = "系统管理员"
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        scope_area_id=user.scope_area_id,
        scope_level=area.level if area else None,
        scope_path=area.path if area else "",
        team_id=user.team_id,
        department_id=user.department_id,
        label=label,
    )


def area_in_scope(actor: Actor, area: Area | None) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if area is None or not actor.scope_path:
        return False
    return area.path.startswith(actor.scope_path)


def case_scope_clause(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the cases this actor may see."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.DEPT:
        return Case.department_id == actor.department_id if actor.department_id else false()
    if actor.role == Role.MEMBER:
        # members see their team's grid
        return Case.team_id == actor.team_id if actor.team_id else false()
    if actor.scope_level == AreaLevel.CITY:
        return true()
    column = CASE_AREA_COLUMN.get(actor.scope_level or "")
    return column == actor.scope_area_id if column is not None else false()


def case_in_scope(actor: Actor, case: Case) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.DEPT:
        return actor.department_id is not None and case.department_id == actor.department_id
    if actor.role == Role.MEMBER:
        return actor.team_id is not None and case.team_id == actor.team_id
    if actor.scope_level == AreaLevel.CITY:
        return True
    column = CASE_AREA_COLUMN.get(actor.scope_level or "")
    return column is not None and getattr(case, column.key) == actor.scope_area_id


def area_lineage(session: Session, area: Area) -> dict[str, int]:
    """{level: area id} for the area and its ancestors (from the materialised path)."""
    ids = [int(x) for x in area.path.strip("/").split("/") if x]
    rows = session.exec(select(Area.id, Area.level).where(Area.id.in_(ids))).all()
    return {level: aid for aid, level in rows}


def require_role(actor: Actor | None, *roles: str) -> Actor:
    if actor is None:
        raise AccessDenied("请先登录")
    if actor.role not in roles:
        raise AccessDenied()
    return actor
