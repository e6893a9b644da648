"""Map data for the UI (网格一张图): GeoJSON built once per process, shared by
every viewer.  Pure domain (no reflex); coordinates GCJ-02 lon/lat, the same
frame as the base layer, so the map draws them as they are.

``district_outlines()``
    The base layer: the four districts as a FeatureCollection (properties
    ``name``, ``adcode``), lightly simplified (~60 KB).  The same outlines are
    served as a static file at ``/geo/zhoushan_districts.geojson``
    (``assets/geo/``) for a client that fetches it itself.

``area_features(session, parent_area_id, *, tolerance=None)``
    The areas one level below ``parent_area_id`` (city → districts, district →
    townships, township → communities, community → grids; a grid → itself) as
    a FeatureCollection.  Each feature: ``id`` (the area id), ``geometry``,
    ``properties`` ``{"id", "name", "level", "parent_id", "label": [lon, lat]}``.
    Siblings are simplified together as a coverage (shared edges stay shared,
    no slivers) with a tolerance per level (``TOLERANCE``, degrees) and
    coordinates cut to 5 decimals (~1 m); areas without geometry are left out.
    Cached per (database, areas mark, parent, tolerance): an import or a seed
    invalidates it.  The city scope is ~40 KB, a township's communities
    ~30 KB (``MAX_PAYLOAD`` is the budget the tests hold it to).

The measures to colour areas by and the case points live in ``measures``;
join them to the features by area id.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from functools import lru_cache

import shapely
from shapely.errors import GEOSException
from sqlmodel import Session, select

from rxapp.domain.errors import NotFound
from rxapp.domain.geo.cache import areas_mark
from rxapp.domain.geo.land import district_collection
from rxapp.domain.geo.shapes import from_geojson
from rxapp.models import Area, AreaLevel

# Simplification tolerance (degrees; 0.001° ≈ 100 m) by the level of the areas drawn.
TOLERANCE = {
    AreaLevel.CITY: 0.002,
    AreaLevel.DISTRICT: 0.0008,
    AreaLevel.TOWNSHIP: 0.0004,
    AreaLevel.COMMUNITY: 0.0002,
    AreaLevel.GRID: 0.0001,
}
DECIMALS = 5
MAX_PAYLOAD = 300_000  # bytes of GeoJSON for one scope
_CACHE_SIZE = 256

_cache: OrderedDict[tuple, dict] = OrderedDict()
_lock = threading.Lock()


def _round_coords(geojson: dict) -> dict:
    def rnd(c):
        return [round(c[0], DECIMALS), round(c[1], DECIMALS)] if isinstance(c[0], float) else [rnd(x) for x in c]

    return {"type": geojson["type"], "coordinates": rnd(geojson["coordinates"])}


def _simplified(geoms: list, tolerance: float) -> list:
    """Siblings simplified as one coverage; each on its own when they are not a clean coverage."""
    if tolerance <= 0:
        return geoms
    try:
        out = list(shapely.coverage_simplify(geoms, tolerance))
        if all(g.is_valid and not g.is_empty for g in out):
            return out
    except GEOSException:
        pass
    return [g.simplify(tolerance, preserve_topology=True) for g in geoms]


def _feature(area_id: int, name: str, level: str, parent_id: int | None, label, geom) -> dict:
    return {
        "type": "Feature",
        "id": area_id,
        "geometry": _round_coords(json.loads(shapely.to_geojson(geom))),
        "properties": {"id": area_id, "name": name, "level": level, "parent_id": parent_id, "label": label},
    }


def _build(session: Session, parent: Area, tolerance: float) -> dict:
    cols = (Area.id, Area.name, Area.level, Area.parent_id, Area.label_lon, Area.label_lat, Area.geometry)
    rows = session.exec(select(*cols).where(Area.parent_id == parent.id, Area.geometry.is_not(None)).order_by(Area.sort, Area.id)).all()
    if not rows and parent.level == AreaLevel.GRID and parent.geometry:
        rows = [(parent.id, parent.name, parent.level, parent.parent_id, parent.label_lon, parent.label_lat, parent.geometry)]
    geoms = _simplified([from_geojson(r[6]) for r in rows], tolerance)
    features = []
    for r, geom in zip(rows, geoms):
        label = [round(r[4], DECIMALS), round(r[5], DECIMALS)] if r[4] is not None and r[5] is not None else None
        features.append(_feature(r[0], r[1], r[2], r[3], label, geom))
    return {"type": "FeatureCollection", "features": features}


def area_features(session: Session, parent_area_id: int, *, tolerance: float | None = None) -> dict:
    """The areas one level below ``parent_area_id`` as GeoJSON (see the module docstring).

    The returned dict is shared by every caller: do not modify it."""
    if isinstance(parent_area_id, bool) or not isinstance(parent_area_id, int):
        raise NotFound("区域不存在")
    parent = session.get(Area, parent_area_id)
    if parent is None:
        raise NotFound("区域不存在")
    child_level = AreaLevel.ORDER[min(AreaLevel.ORDER.index(parent.level) + 1, len(AreaLevel.ORDER) - 1)] if parent.level in AreaLevel.ORDER else AreaLevel.GRID
    tol = TOLERANCE[child_level] if tolerance is None else max(0.0, min(float(tolerance), 0.05))
    key = (areas_mark(session), parent_area_id, tol)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    built = _build(session, parent, tol)
    with _lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


@lru_cache(maxsize=1)
def district_outlines() -> dict:
    """The district outlines (base layer), simplified once per process."""
    feats = district_collection()["features"]
    geoms = _simplified([shapely.geometry.shape(f["geometry"]) for f in feats], TOLERANCE[AreaLevel.CITY])
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": f["properties"]["adcode"], "properties": dict(f["properties"]),
             "geometry": _round_coords(json.loads(shapely.to_geojson(g)))}
            for f, g in zip(feats, geoms)
        ],
    }


def payload_bytes(collection: dict) -> int:
    """Size of a FeatureCollection as the browser receives it (compact JSON, UTF-8)."""
    return len(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
