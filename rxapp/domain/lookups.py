"""Small read-only look-ups for the staff pages, scoped to the actor:
category and department choices, areas below the actor's scope, township
names for list rows, and the visit / household a case is raised from."""

from dataclasses import dataclass

from sqlmodel import Session, select

from rxapp.domain.access import Actor, area_in_scope
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.i18n import DEFAULT_LOCALE, local_name
from rxapp.models import Area, AreaLevel, Case, Category, Department, Household, Role, Team, Visit


@dataclass(frozen=True)
class Choices:
    categories: list[dict[str, str]]  # {code, id, label, department_id}
    departments: list[dict[str, str]]  # {id, label}


def choices(session: Session, lang: str = DEFAULT_LOCALE) -> Choices:
    cats = session.exec(select(Category).where(Category.active).order_by(Category.sort, Category.id)).all()
    deps = session.exec(select(Department).where(Department.active).order_by(Department.id)).all()
    return Choices(
        categories=[
            {"code": c.code, "id": c.code, "label": local_name(c, lang), "name": local_name(c, lang), "department_id": str(c.department_id or "")}
            for c in cats
        ],
        departments=[{"id": str(d.id), "label": local_name(d, lang)} for d in deps],
    )


def scope_root(session: Session, actor: Actor) -> Area | None:
    """The top of the actor's area scope (an administrator without one: the city)."""
    if actor.scope_area_id:
        return session.get(Area, actor.scope_area_id)
    if actor.role == Role.ADMIN:
        return session.exec(select(Area).where(Area.parent_id.is_(None)).order_by(Area.id)).first()
    return None


def child_areas(session: Session, actor: Actor, parent_id: int) -> list[dict[str, str]]:
    parent = session.get(Area, parent_id)
    if parent is None or not area_in_scope(actor, parent) or parent.level == AreaLevel.GRID:
        return []
    rows = session.exec(select(Area).where(Area.parent_id == parent.id).order_by(Area.sort, Area.id).limit(500)).all()
    return [{"id": str(a.id), "label": a.name, "level": a.level} for a in rows]


def scoped_area(session: Session, actor: Actor, area_id: int) -> Area | None:
    area = session.get(Area, area_id)
    return area if area is not None and area_in_scope(actor, area) else None


def path_ids(area: Area) -> list[int]:
    return [int(x) for x in area.path.strip("/").split("/") if x]


def township_names(session: Session, case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(Case.id, Area.name).join(Area, Area.id == Case.township_id).where(Case.id.in_(case_ids))
    ).all()
    return dict(rows)


def townships_in(session: Session, root: Area) -> list[dict[str, str]]:
    """Townships under a city or district, labelled "district · township"."""
    rows = session.exec(
        select(Area)
        .where(Area.level == AreaLevel.TOWNSHIP, Area.path.startswith(root.path))
        .order_by(Area.path)
        .limit(1000)
    ).all()
    parents = {a.id: a.name for a in session.exec(select(Area).where(Area.id.in_({t.parent_id for t in rows if t.parent_id}))).all()}
    show_district = root.level == AreaLevel.CITY
    return [
        {"id": str(t.id), "label": f"{parents.get(t.parent_id, '')} · {t.name}" if show_district else t.name}
        for t in sorted(rows, key=lambda t: (path_ids(t)[:-1], t.sort, t.id))
    ]


def link_for_intake(session: Session, actor: Actor, visit_id: int | None, household_id: int | None) -> tuple[Visit | None, Household]:
    """The visit / household a member raises a case from, if they are this
    actor's to use: a member's own team's visit and grid, or within a
    dispatcher's or administrator's scope. DomainError otherwise."""
    visit = None
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise DomainError("走访记录不存在", "visit_id")
        if household_id is not None and household_id != visit.household_id:
            raise DomainError("走访记录与住户不符", "household_id")
        household_id = visit.household_id
        if actor.role == Role.MEMBER and visit.team_id != actor.team_id:
            raise AccessDenied("该走访记录不属于您的服务团队")
    if household_id is None:
        raise DomainError("住户不存在", "household_id")
    household = session.get(Household, household_id)
    grid = session.get(Area, household.grid_id) if household else None
    if household is None or grid is None:
        raise DomainError("住户不存在", "household_id")
    if actor.role == Role.MEMBER:
        team = session.get(Team, actor.team_id) if actor.team_id else None
        if team is None or team.grid_id != household.grid_id:
            raise AccessDenied("该住户不在您所在的网格")
    elif not area_in_scope(actor, grid):
        raise AccessDenied("该住户不在您的管辖范围内")
    return visit, household


def area_names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(Area.id, Area.name).where(Area.id.in_(ids))).all())


def area_breadcrumb(session: Session, actor: Actor, area_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The path from the actor's scope down to ``area_id`` (never above the
    scope), and the areas one level below it."""
    area = session.get(Area, area_id)
    if area is None:
        return [], []
    ids = path_ids(area)
    rows = {a.id: a for a in session.exec(select(Area).where(Area.id.in_(ids))).all()}
    scope = session.get(Area, actor.scope_area_id) if actor.scope_area_id else None
    crumbs = [rows[i] for i in ids if i in rows and (scope is None or rows[i].path.startswith(scope.path))]
    kids = session.exec(select(Area.id, Area.name).where(Area.parent_id == area.id).order_by(Area.sort, Area.id)).all()
    return [(a.id, a.name) for a in crumbs], [(i, n) for i, n in kids]


def category_and_department_names(session: Session) -> tuple[list[tuple[str, str, str]], list[tuple[int, str, str]]]:
    """(code, name_zh, name_en) of the categories and (id, name_zh, name_en) of the departments."""
    cats = session.exec(select(Category.code, Category.name_zh, Category.name_en).order_by(Category.sort)).all()
    deps = session.exec(select(Department.id, Department.name_zh, Department.name_en).order_by(Department.id)).all()
    return [tuple(c) for c in cats], [tuple(d) for d in deps]


def change_mark(session: Session) -> tuple[int, int, int]:
    """The newest case event, visit and diary ids: any change to what the
    dashboard shows moves one of them."""
    from sqlalchemy import func

    from rxapp.models import CaseEvent, Diary

    row = session.execute(
        select(
            select(func.max(CaseEvent.id)).scalar_subquery(),
            select(func.max(Visit.id)).scalar_subquery(),
            select(func.max(Diary.id)).scalar_subquery(),
        )
    ).one()
    return tuple(int(v or 0) for v in row)
