"""What the map (网格一张图) colours and marks, for staff in their scope.
Pure domain, aggregated in SQL through the dashboard's own definitions
(``rxapp.domain.metrics``: the same query, scope check, period windows and
rollups), so a figure on the map is the figure on the dashboard.

``area_measures(session, *, actor, query=None, now=None) -> list[AreaMeasure]``
    One row per area one level below the query's area (the same areas
    ``features.area_features(session, area_id)`` draws; join on ``area_id``):
    ``completion_rate`` (办结率, the dashboard headline's definition: done ÷
    due, the cases due in the period or overdue from before it — the figure
    the dashboard shows for that area; ``accepted`` / ``done`` are the
    period's accept cohort, as the area ranking), ``on_time_rate``, ``overdue_now`` (超期件,
    open past deadline now), ``intake_per_1000_households`` (accepted in the
    period per 1,000 households of the area), ``satisfaction_rate`` (满意率),
    with their numerators and denominators.  A grid scope gives its own row.

``case_points(session, *, actor, query=None, limit=2000, now=None) -> CasePoints``
    Open cases in scope with a point (status, overdue, category, grid), their
    coordinates rounded to ``POINT_DECIMALS`` (about 10 m: where on a street,
    not which door), overdue first then newest, at most ``limit``; ``total``
    says how many there are.  Staff only (leaders, dispatchers, admins): the
    public map shows areas, never points.

``team_visits(session, *, actor, query=None, now=None) -> list[VisitSpot]``
    This month's 走访 per grid in scope, at the grid's label point (never a
    household's point).

``MEASURES`` names the four choropleth measures with their Chinese labels;
``measure_value(row, name)`` reads one.  Caching across viewers is the
caller's (the dashboard's ``shared_view`` pattern: key on actor scope, query
and ``lookups.change_mark``); geometry is cached here (``features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from rxapp.domain import metrics as MX
from rxapp.domain.access import CASE_AREA_COLUMN, Actor
from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import AccessDenied
from rxapp.models import Area, AreaLevel, Case, CaseStatus, Category, Diary, Household, Visit

POINT_DECIMALS = 4
MAX_POINTS = 5000
MEASURES = {
    "completion_rate": "办结率",
    "overdue_now": "超期件",
    "intake_per_1000_households": "每千户受理量",
    "satisfaction_rate": "满意率",
}


@dataclass(frozen=True)
class AreaMeasure:
    area_id: int
    name: str
    level: str
    accepted: int
    done: int
    due: int
    due_done: int
    completion_rate: float | None  # due_done ÷ due (应办结口径)
    resolved: int
    on_time: int
    on_time_rate: float | None
    overdue_now: int
    households: int
    intake_per_1000_households: float | None
    evaluated: int
    good: int
    satisfaction_rate: float | None


@dataclass(frozen=True)
class CasePoint:
    code: str
    lon: float
    lat: float
    status: str
    overdue: bool
    category_code: str
    grid_id: int | None


@dataclass(frozen=True)
class CasePoints:
    points: list[CasePoint]
    total: int  # open cases with a point in scope (``points`` holds at most ``limit``)


@dataclass(frozen=True)
class VisitSpot:
    grid_id: int
    name: str
    lon: float
    lat: float
    visits: int


def measure_value(row: AreaMeasure, name: str) -> float | int | None:
    if name not in MEASURES:
        raise ValueError(name)
    return getattr(row, name)


def _ctx(session: Session, actor: object, query: object):
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    q = MX.parse_query(query)
    return q, MX._context(session, actor, q)


def _households(ctx, level: str, ids: list[int]) -> dict[int, int]:
    """Households per area of ``level`` among ``ids`` (through the grid → community → township → district chain)."""
    if not ids:
        return {}
    grid = aliased(Area)
    q = select(Household.id).select_from(Household).join(grid, grid.id == Household.grid_id)
    key = grid.id if level == AreaLevel.GRID else grid.parent_id
    if level in (AreaLevel.TOWNSHIP, AreaLevel.DISTRICT):
        comm = aliased(Area)
        q = q.join(comm, comm.id == grid.parent_id)
        key = comm.parent_id
        if level == AreaLevel.DISTRICT:
            town = aliased(Area)
            q = q.join(town, town.id == comm.parent_id)
            key = town.parent_id
    q = q.with_only_columns(key, func.count(Household.id)).where(key.in_(ids)).group_by(key)
    return {int(a): int(n) for a, n in ctx.run(q).all()}


def area_measures(session: Session, *, actor: Actor, query: MX.DashboardQuery | Mapping | None = None,
                  now: datetime | None = None) -> list[AreaMeasure]:
    """The map's measures per area one level below the query's area (see the module docstring)."""
    q, ctx = _ctx(session, actor, query)
    at = now or clock_now()
    cur, _ = MX.period_windows(q, at.date())
    level = MX.CHILD_LEVEL.get(ctx.level)
    if level is None:  # a grid: its own figures
        level, children = ctx.level, [(ctx.area.id, ctx.area.name)]
        group = None
    else:
        children = MX._children(ctx)
        group = level
    ids = [i for i, _ in children]
    # the team rollup (community / grid groups, unfiltered) counts 满意 + 基本满意 as "good"; the others apart
    good_cols = ("good",) if group in (AreaLevel.COMMUNITY, AreaLevel.GRID) and not ctx.filtered else ("satisfied", "basic")
    cols = MX.RANK_COLS + ("evaluated",) + good_cols
    counters = MX._cohort(ctx, cur, cols, group, ids)
    if group is None:
        counters = {ctx.area.id: counters.get(0) or MX._zero(cols)}
    column = CASE_AREA_COLUMN[level]
    overdue = dict(ctx.run(
        select(column, func.count()).where(Case.status.in_(CaseStatus.OPEN), Case.deadline.is_not(None), Case.deadline < at,
                                           column.in_(ids), *ctx.case_conditions()).group_by(column)
    ).all()) if ids else {}
    households = _households(ctx, level, ids)
    dues = MX._due_by_child(ctx, cur, at.date(), level, ids)
    rows = []
    for aid, name in children:
        c = counters.get(aid) or MX._zero(cols)
        good = c.get("good", 0) + c.get("satisfied", 0) + c.get("basic", 0)
        hh = households.get(aid, 0)
        due, due_done = dues.get(aid, (0, 0))
        rows.append(AreaMeasure(
            area_id=aid, name=name, level=level,
            accepted=c["accepted"], done=c["done"], due=due, due_done=due_done, completion_rate=MX._rate(due_done, due),
            resolved=c["resolved"], on_time=c["on_time"], on_time_rate=MX._rate(c["on_time"], c["resolved"]),
            overdue_now=int(overdue.get(aid, 0)), households=hh,
            intake_per_1000_households=round(c["accepted"] * 1000 / hh, 1) if hh else None,
            evaluated=c["evaluated"], good=good, satisfaction_rate=MX._rate(good, c["evaluated"]),
        ))
    return rows


def case_points(session: Session, *, actor: Actor, query: MX.DashboardQuery | Mapping | None = None, limit: int = 2000,
                now: datetime | None = None) -> CasePoints:
    """Open cases with a point in scope, rounded (see the module docstring)."""
    _, ctx = _ctx(session, actor, query)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_POINTS:
        limit = 2000
    at = now or clock_now()
    conds = [Case.status.in_(CaseStatus.OPEN), Case.lat.is_not(None), Case.lon.is_not(None), *ctx.case_conditions()]
    total = int(ctx.run(select(func.count()).select_from(Case).where(*conds)).scalar_one())
    late = (Case.deadline.is_not(None)) & (Case.deadline < at)
    rows = ctx.run(
        select(Case.code, Case.lon, Case.lat, Case.status, Case.deadline, Category.code, Case.grid_id)
        .select_from(Case).outerjoin(Category, Category.id == Case.category_id)
        .where(*conds).order_by(late.desc(), Case.id.desc()).limit(limit)
    ).all()
    points = [
        CasePoint(code, round(lon, POINT_DECIMALS), round(lat, POINT_DECIMALS), status,
                  deadline is not None and deadline < at, cat or "", grid)
        for code, lon, lat, status, deadline, cat, grid in rows
    ]
    return CasePoints(points, total)


def team_visits(session: Session, *, actor: Actor, query: MX.DashboardQuery | Mapping | None = None,
                now: datetime | None = None) -> list[VisitSpot]:
    """This month's visits per grid in scope, at each grid's label point."""
    _, ctx = _ctx(session, actor, query)
    at = now or clock_now()
    first = at.date().replace(day=1)
    grid = aliased(Area)
    conds = [Visit.visited_on >= first, Visit.visited_on <= at.date(), grid.label_lon.is_not(None)]
    if ctx.level != AreaLevel.CITY:  # the area is inside the actor's scope (checked by the dashboard's context)
        conds.append(grid.path.startswith(ctx.area.path))
    rows = ctx.run(
        select(grid.id, grid.name, grid.label_lon, grid.label_lat, func.count(Visit.id))
        .select_from(Visit).join(Diary, Diary.id == Visit.diary_id).join(grid, grid.id == Diary.grid_id)
        .where(*conds).group_by(grid.id, grid.name, grid.label_lon, grid.label_lat).order_by(grid.id)
    ).all()
    return [VisitSpot(int(g), n, float(lo), float(la), int(c)) for g, n, lo, la, c in rows]
