"""The map (网格一张图) as the UI draws it, over the geo capability's data.

``measures`` gives the four measures per area one level below the scope
(the dashboard's own definitions and scope check), the open case points and
this month's visits per grid; ``features`` the simplified outlines.  Here:
the view box of each scope, this month's visits summed per area, the public
township choropleth (aggregates only, never a point), a case's place for its
small map, and the check of a tapped point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlmodel import Session

from rxapp.domain import metrics as M
from rxapp.domain.access import Actor
from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.geo import features, land, measures
from rxapp.models import Area, AreaLevel, Case

MEASURES = ("completion", "overdue", "intake", "satisfaction")
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
# Measures per area (``measures``: the dashboard's own definitions), as the map shows them
# ----------------------------------------------------------------------------
# the map's measure names → the field of ``measures.AreaMeasure``
FIELDS = {
    "completion": "completion_rate",
    "overdue": "overdue_now",
    "intake": "intake_per_1000_households",
    "satisfaction": "satisfaction_rate",
}


@dataclass(frozen=True)
class MapArea:
    """One area as the map colours and lists it (``measures.AreaMeasure`` plus this month's visits)."""

    id: int
    name: str
    accepted: int
    completion: float | None
    overdue: int
    intake: float | None
    satisfaction: float | None
    visits: int


@dataclass(frozen=True)
class MapData:
    area_id: int
    area_name: str
    area_level: str
    child_level: str | None
    date_from: date
    date_to: date
    areas: list[MapArea]
    outlines: dict  # FeatureCollection of the areas one level below
    cases: list[measures.CasePoint]
    cases_total: int  # open cases with a point in scope (the list is capped)
    visits: list[measures.VisitSpot]  # per grid, at its label point (never a household's)
    generated_at: datetime


def _visits_by_area(session: Session, spots: list[measures.VisitSpot], ids: list[int]) -> dict[int, int]:
    """This month's visits of each area, summed from its grids' spots."""
    if not spots or not ids:
        return {}
    paths = dict(session.execute(select(Area.id, Area.path).where(Area.id.in_({v.grid_id for v in spots}))).all())
    wanted, out = set(ids), {}
    for v in spots:
        for part in str(paths.get(v.grid_id, "")).strip("/").split("/"):
            if part.isdigit() and int(part) in wanted:
                out[int(part)] = out.get(int(part), 0) + v.visits
                break
    return out


MAX_CASE_POINTS = 1500


def map_view(session: Session, *, actor: Actor, query: M.DashboardQuery | dict | None = None, now: datetime | None = None) -> MapData:
    """The map of ``query``'s area (default: the actor's scope) for ``actor``
    (scope checked by ``measures``, through the dashboard's context)."""
    q = M.parse_query(query)
    at = now or clock_now()
    rows = measures.area_measures(session, actor=actor, query=q, now=at)
    points = measures.case_points(session, actor=actor, query=q, limit=MAX_CASE_POINTS, now=at)
    spots = measures.team_visits(session, actor=actor, query=q, now=at)
    ctx = M._context(session, actor, q)
    cur, _ = M.period_windows(q, at.date())
    child_level = M.CHILD_LEVEL.get(ctx.level)
    if child_level is None:
        rows = []
    visits = _visits_by_area(session, spots, [r.area_id for r in rows])
    areas = [
        MapArea(r.area_id, r.name, r.accepted, r.completion_rate, r.overdue_now, r.intake_per_1000_households, r.satisfaction_rate, visits.get(r.area_id, 0))
        for r in rows
    ]
    return MapData(
        area_id=ctx.area.id,
        area_name=ctx.area.name,
        area_level=ctx.level,
        child_level=child_level,
        date_from=cur.start,
        date_to=cur.end,
        areas=areas,
        outlines=area_outlines(session, ctx.area),
        cases=points.points,
        cases_total=points.total,
        visits=spots,
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


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


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
    window = M.Window(q.date_from, q.date_to)
    groups = M._cohort(ctx, window, cols, "township", ids)
    dues = M._due_by_child(ctx, window, clock_now().date(), AreaLevel.TOWNSHIP, ids)  # 办结率 as the headline: done ÷ due
    rows = []
    for i, name in towns:
        c = groups.get(int(i)) or {k: 0 for k in cols}
        due, due_done = dues.get(int(i), (0, 0))
        rows.append(
            PublicArea(int(i), name, c["accepted"], _rate(due_done, due), _rate(c["on_time"], c["resolved"]), _rate(c["satisfied"] + c["basic"], c["evaluated"]))
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
    "MapArea",
    "MapData",
    "PublicArea",
    "area_outlines",
    "city_bbox",
    "map_view",
    "parse_point",
    "public_townships",
]
