"""What the map (网格一张图) shows, read in SQL inside the viewer's scope.

For a scope area and the dashboard's filters (:class:`rxapp.domain.metrics.DashboardQuery`):

* the areas one level below, each with the four map measures — 办结率
  (the period's cohort: done ÷ accepted), overdue now (open past deadline),
  intake per 1,000 households (accepted in the period ÷ households × 1,000)
  and 满意率 (满意 + 基本满意 ÷ evaluated) — and this month's team visits; the
  counters come from :mod:`rxapp.domain.metrics` (rollups where it has them),
  so a figure on the map is the figure of the dashboard's ranking;
* their outlines (simplified GeoJSON, cached per area and shared by every
  viewer) over the district outlines as the base layer;
* the open cases with a point, and this month's visited households with a
  point (staff only: these are the only per-household points, and no public
  function here returns them).

Scope is enforced by ``metrics._context`` (the area must lie inside the
actor's scope; leaders, dispatchers and administrators only) and every case
query carries ``case_scope_clause``.  The public choropleth
(:func:`public_townships`) carries township aggregates only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from shapely.geometry import mapping, shape
from sqlalchemy import func, select
from sqlmodel import Session

from rxapp.domain import metrics as M
from rxapp.domain.access import CASE_AREA_COLUMN, Actor
from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.geo import features, land
from rxapp.models import Area, AreaLevel, Case, CaseStatus, Household, Team, Visit

MEASURES = ("completion", "overdue", "intake", "satisfaction")
MAX_CASE_POINTS = 1500
MAX_VISIT_POINTS = 1500
# simplification tolerance: this share of the shown extent (≈ 1 screen pixel at 1,000 px)
SIMPLIFY_SHARE = 1 / 1500


# ----------------------------------------------------------------------------
# Geometry: the geo capability's features, with the view box of each scope
# ----------------------------------------------------------------------------
def extent_of(bounds) -> float:
    minx, miny, maxx, maxy = bounds
    return max(maxx - minx, maxy - miny, 1e-4)


def simplified(geometry: dict, extent: float) -> dict:
    """``geometry`` simplified for a view ``extent`` degrees wide (topology
    kept), coordinates rounded to what that view can show (≈ 1 px at 1,500 px)."""
    tol = max(extent * SIMPLIFY_SHARE, 1e-6)
    g = shape(geometry).simplify(tol, preserve_topology=True)
    nd = max(4, min(6, int(-math.log10(tol)) + 1))
    out = mapping(g)
    return {"type": out["type"], "coordinates": _round(out["coordinates"], nd)}


def _round(coords, nd: int):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(coords[0], nd), round(coords[1], nd)]
    return [_round(c, nd) for c in coords]


def district_shapes() -> dict:
    """District name → its land (shapely, lon/lat): the base layer's source."""
    return land.district_shapes()


_bboxes: dict[int, tuple[dict, list[float] | None]] = {}


def area_outlines(session: Session, parent: Area) -> dict:
    """The areas one level below ``parent`` (``features.area_features``: id,
    name, label point; simplified per level, cached, shared) with a ``bbox``
    member for the view (kept beside the shared collection, never written into it)."""
    if parent.level == AreaLevel.GRID:
        return {"type": "FeatureCollection", "features": [], "bbox": None}
    fc = features.area_features(session, parent.id)
    hit = _bboxes.get(id(fc))
    if hit is None or hit[0] is not fc:
        hit = (fc, _bbox(fc["features"]))
        if len(_bboxes) > 512:
            _bboxes.clear()
        _bboxes[id(fc)] = hit
    return {"type": "FeatureCollection", "features": fc["features"], "bbox": hit[1]}


def _bbox(feats: list[dict]) -> list[float] | None:
    xs, ys = [], []
    for f in feats:
        minx, miny, maxx, maxy = shape(f["geometry"]).bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
    return [min(xs), min(ys), max(xs), max(ys)] if xs else None


@lru_cache(maxsize=1)
def city_bbox() -> list[float]:
    return _bbox(features.district_outlines()["features"]) or [121.5, 29.5, 123.0, 30.9]


# ----------------------------------------------------------------------------
# Measures per area
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaMeasure:
    id: int
    name: str
    accepted: int
    done: int
    completion: float | None  # done ÷ accepted (the period's cohort)
    overdue: int  # open past deadline, now
    households: int
    intake: float | None  # accepted per 1,000 households
    evaluated: int
    satisfaction: float | None
    visits: int  # team visits this calendar month


@dataclass(frozen=True)
class CasePoint:
    code: str
    status: str
    overdue: bool
    lon: float
    lat: float


@dataclass(frozen=True)
class MapData:
    area_id: int
    area_name: str
    area_level: str
    child_level: str | None
    parent_id: int | None
    date_from: date
    date_to: date
    areas: list[AreaMeasure]
    outlines: dict  # FeatureCollection of the areas one level below
    cases: list[CasePoint]
    cases_total: int  # open cases with a point in scope (the list is capped)
    visits: list[tuple[float, float]]
    generated_at: datetime


_COLS = ("accepted", "done", "evaluated", "satisfied", "basic")


def _households_by_child(ctx: M._Ctx, child_level: str, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    if child_level == AreaLevel.GRID:
        q = select(Household.grid_id, func.count()).where(Household.grid_id.in_(ids)).group_by(Household.grid_id)
        return {int(i): int(n) for i, n in ctx.run(q).all()}
    # households per grid under the scope, summed up to the child through the grid's path
    grid = select(Area.id.label("gid"), Area.path.label("path")).where(Area.level == AreaLevel.GRID, Area.path.startswith(ctx.area.path)).subquery()
    q = select(grid.c.path, func.count()).select_from(Household).join(grid, grid.c.gid == Household.grid_id).group_by(grid.c.path)
    return _sum_by_child(ctx.run(q).all(), ids)


def _sum_by_child(rows, ids: list[int]) -> dict[int, int]:
    wanted = set(ids)
    out: dict[int, int] = {}
    for path, n in rows:
        for part in str(path).strip("/").split("/"):
            if part.isdigit() and int(part) in wanted:
                out[int(part)] = out.get(int(part), 0) + int(n)
                break
    return out


def _overdue_by_child(ctx: M._Ctx, child_level: str, at: datetime) -> dict[int, int]:
    col = CASE_AREA_COLUMN[child_level]
    q = (
        select(col, func.count())
        .where(Case.status.in_(CaseStatus.OPEN), Case.deadline.is_not(None), Case.deadline < at, *ctx.case_conditions())
        .group_by(col)
    )
    return {int(i): int(n) for i, n in ctx.run(q).all() if i is not None}


def _visits_by_child(ctx: M._Ctx, ids: list[int], first: date, last: date) -> dict[int, int]:
    if not ids:
        return {}
    q = (
        select(Area.path, func.count())
        .select_from(Visit)
        .join(Team, Team.id == Visit.team_id)
        .join(Area, Area.id == Team.grid_id)
        .where(Visit.visited_on >= first, Visit.visited_on <= last, Area.path.startswith(ctx.area.path))
        .group_by(Area.path)
    )
    return _sum_by_child(ctx.run(q).all(), ids)


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def area_measures(ctx: M._Ctx, window: M.Window, at: datetime) -> list[AreaMeasure]:
    child_level = M.CHILD_LEVEL.get(ctx.level)
    if child_level is None:
        return []
    children = M._children(ctx)
    ids = [i for i, _ in children]
    groups = M._cohort(ctx, window, _COLS, child_level, ids)
    overdue = _overdue_by_child(ctx, child_level, at)
    households = _households_by_child(ctx, child_level, ids)
    today = at.date()
    visits = _visits_by_child(ctx, ids, today.replace(day=1), today)
    out = []
    for i, name in children:
        c = groups.get(i) or {k: 0 for k in _COLS}
        hh = households.get(i, 0)
        out.append(
            AreaMeasure(
                id=i,
                name=name,
                accepted=c["accepted"],
                done=c["done"],
                completion=_rate(c["done"], c["accepted"]),
                overdue=overdue.get(i, 0),
                households=hh,
                intake=c["accepted"] * 1000 / hh if hh else None,
                evaluated=c["evaluated"],
                satisfaction=_rate(c["satisfied"] + c["basic"], c["evaluated"]),
                visits=visits.get(i, 0),
            )
        )
    return out


def _case_points(ctx: M._Ctx, at: datetime) -> tuple[list[CasePoint], int]:
    conds = [Case.status.in_(CaseStatus.OPEN), Case.lon.is_not(None), Case.lat.is_not(None), *ctx.case_conditions()]
    total = int(ctx.run(select(func.count()).select_from(Case).where(*conds)).scalar_one())
    # the most urgent first when the cap cuts: overdue, then the nearest deadline
    rows = ctx.run(
        select(Case.code, Case.status, Case.deadline, Case.lon, Case.lat)
        .where(*conds)
        .order_by(Case.deadline.is_(None), Case.deadline, Case.id)
        .limit(MAX_CASE_POINTS)
    ).all()
    pts = [CasePoint(code, status, bool(deadline is not None and deadline < at), round(float(lon), 5), round(float(lat), 5)) for code, status, deadline, lon, lat in rows]
    return pts, total


def _visit_points(ctx: M._Ctx, at: datetime) -> list[tuple[float, float]]:
    """This month's visited households with a point (once each), in scope."""
    lon, lat = getattr(Household, "lon", None), getattr(Household, "lat", None)
    if lon is None or lat is None:
        return []
    first = at.date().replace(day=1)
    q = (
        select(lon, lat)
        .select_from(Visit)
        .join(Household, Household.id == Visit.household_id)
        .join(Area, Area.id == Household.grid_id)
        .where(Visit.visited_on >= first, Visit.visited_on <= at.date(), Area.path.startswith(ctx.area.path), lon.is_not(None), lat.is_not(None))
        .distinct()
        .limit(MAX_VISIT_POINTS)
    )
    return [(round(float(x), 5), round(float(y), 5)) for x, y in ctx.run(q).all()]


def map_view(session: Session, *, actor: Actor, query: M.DashboardQuery | dict | None = None, now: datetime | None = None) -> MapData:
    """The map of ``query``'s area (default: the actor's scope) for ``actor``."""
    q = M.parse_query(query)
    at = now or clock_now()
    ctx = M._context(session, actor, q)
    cur, _ = M.period_windows(q, at.date())
    cases, total = _case_points(ctx, at)
    return MapData(
        area_id=ctx.area.id,
        area_name=ctx.area.name,
        area_level=ctx.level,
        child_level=M.CHILD_LEVEL.get(ctx.level),
        parent_id=ctx.area.parent_id,
        date_from=cur.start,
        date_to=cur.end,
        areas=area_measures(ctx, cur, at),
        outlines=area_outlines(session, ctx.area),
        cases=cases,
        cases_total=total,
        visits=_visit_points(ctx, at),
        generated_at=at,
    )


# ----------------------------------------------------------------------------
# Public: township aggregates only
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicArea:
    id: int
    name: str
    accepted: int
    completion: float | None
    on_time: float | None
    satisfaction: float | None


def public_townships(session: Session, *, date_from: date, date_to: date) -> tuple[list[PublicArea], dict]:
    """Completion, on-time and satisfaction of every township (the public
    choropleth), and the outlines to draw: aggregates only, no point."""
    q = M.parse_query({"period": "custom", "date_from": date_from, "date_to": date_to})
    ctx = M._context(session, None, q)
    towns = session.execute(
        select(Area.id, Area.name).where(Area.level == AreaLevel.TOWNSHIP).order_by(Area.path)
    ).all()
    ids = [int(i) for i, _ in towns]
    cols = ("accepted", "done", "resolved", "on_time", "evaluated", "satisfied", "basic")
    groups = M._cohort(ctx, M.Window(q.date_from, q.date_to), cols, "township", ids)
    rows = []
    for i, name in towns:
        c = groups.get(int(i)) or {k: 0 for k in cols}
        rows.append(
            PublicArea(int(i), name, c["accepted"], _rate(c["done"], c["accepted"]), _rate(c["on_time"], c["resolved"]), _rate(c["satisfied"] + c["basic"], c["evaluated"]))
        )
    feats = []
    districts = session.execute(select(Area).where(Area.level == AreaLevel.DISTRICT).order_by(Area.sort, Area.id)).scalars().all()
    for d in districts:
        feats += area_outlines(session, d)["features"]
    return rows, {"type": "FeatureCollection", "features": feats, "bbox": _bbox(feats)}


def case_place(session: Session, *, actor: Actor, code: object) -> tuple[tuple[float, float] | None, dict | None]:
    """(the case's point, its grid's outline) for a staff member who may see the case."""
    from rxapp.domain.access import case_in_scope

    if not isinstance(code, str) or not 4 <= len(code) <= 20:
        raise DomainError("诉求编号无效", "code")
    case = session.execute(select(Case).where(Case.code == code.strip().upper())).scalar_one_or_none()
    if case is None:
        raise DomainError("诉求不存在", "code")
    if not case_in_scope(actor, case):
        raise AccessDenied("该诉求不在您的管辖范围内")
    point = (float(case.lon), float(case.lat)) if case.lon is not None and case.lat is not None else None
    return point, _grid_outline(session, case.grid_id)


def _grid_outline(session: Session, grid_id: int | None) -> dict | None:
    if grid_id is None:
        return None
    grid = session.get(Area, grid_id)
    parent = session.get(Area, grid.parent_id) if grid is not None and grid.parent_id else None
    if parent is None:
        return None
    for f in area_outlines(session, parent)["features"]:
        if f["properties"]["id"] == grid_id:
            return f["geometry"]
    return None


def parse_point(value: object) -> tuple[float, float]:
    """``"lon,lat"`` from a client (a tap or the phone's location) → floats, checked."""
    if not isinstance(value, str) or len(value) > 64 or "," not in value:
        raise DomainError("位置无效，请在地图上重新点选", "point")
    a, _, b = value.partition(",")
    try:
        lon, lat = float(a), float(b)
    except ValueError:
        raise DomainError("位置无效，请在地图上重新点选", "point") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError("位置无效，请在地图上重新点选", "point")
    return lon, lat


__all__ = [
    "MEASURES",
    "AreaMeasure",
    "CasePoint",
    "MapData",
    "PublicArea",
    "area_outlines",
    "city_bbox",
    "map_view",
    "parse_point",
    "public_townships",
]
