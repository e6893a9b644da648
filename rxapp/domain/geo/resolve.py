"""Where → which grid: the one resolver every intake channel uses.

* ``resolve_point(session, lon, lat, datum=...)``: point-in-polygon over the
  grids (a shapely STRtree over their polygons in the local kilometre plane,
  built once per process and rebuilt when the areas change, see ``cache``).
  A point inside no grid takes the nearest grid within ``NEAREST_KM``
  (500 m: a pin on the quay or just off a simplified coastline); farther out
  it is refused with a clear message (``GeoError``, field ``location``).
* ``resolve_address(session, text)``: the address index (road, community,
  township and district names, ``address.AddressIndex``).
* ``resolve(session, lon=, lat=, address=, datum=)``: either or both; with
  both, the place the address names must contain the point's grid, otherwise
  ``GeoError`` names both places so the person can correct one.

Points are GCJ-02 inside GridDesk; pass ``datum="wgs84"`` for Open311
``lat``/``long`` and browser geolocation (converted by ``datum``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from sqlmodel import Session, select

from rxapp.domain.errors import DomainError
from rxapp.domain.geo.cache import AreaCache
from rxapp.domain.geo.datum import wgs84_to_gcj02
from rxapp.domain.geo.shapes import KM_PER_DEG_LAT, KM_PER_DEG_LON, LAT0, LON0, to_km
from rxapp.models import Area, AreaLevel

NEAREST_KM = 0.5
WGS84 = "wgs84"
GCJ02 = "gcj02"
DATUMS = (WGS84, GCJ02)


class GeoError(DomainError):
    """A place that cannot be put on a grid (at sea, outside the city, unknown address, disagreement)."""

    def __init__(self, message: str, field: str = "location"):
        super().__init__(message, field)


@dataclass(frozen=True)
class Place:
    """A grid and its ancestors: ids and names, for intake and for "已定位到：…"."""

    grid_id: int
    community_id: int | None
    township_id: int | None
    district_id: int | None
    names: tuple[str, ...]  # district, township, community, grid

    @property
    def label(self) -> str:
        """“朱家尖街道 白山社区 第2网格” (the district is left out: the township says it)."""
        return " ".join(n for n in self.names[1:] if n)


@dataclass(frozen=True)
class PointMatch:
    place: Place
    lon: float  # GCJ-02, as stored
    lat: float
    distance_m: float  # 0 inside the grid; else to the nearest grid (≤ 500 m)


class GridMap:
    """The grid polygons of one database, in the local kilometre plane, with an STRtree."""

    def __init__(self, places: dict[int, Place], ids: list[int], geoms_km: list):
        self.places = places
        self.ids = np.asarray(ids, dtype=np.int64)
        self.geoms = np.asarray(geoms_km, dtype=object)
        self.tree = STRtree(self.geoms)
        shapely.prepare(self.geoms)

    @classmethod
    def build(cls, session: Session) -> GridMap:
        rows = session.exec(select(Area.id, Area.name, Area.level, Area.path)).all()
        info = {r[0]: (r[1], r[2]) for r in rows}
        places: dict[int, Place] = {}
        for aid, _name, level, path in rows:
            if level != AreaLevel.GRID:
                continue
            chain = [int(x) for x in path.strip("/").split("/") if x]
            by_level = {info[a][1]: a for a in chain if a in info}
            names = tuple(info[by_level[lvl]][0] if lvl in by_level else "" for lvl in AreaLevel.ORDER[1:])
            places[aid] = Place(aid, by_level.get(AreaLevel.COMMUNITY), by_level.get(AreaLevel.TOWNSHIP),
                                by_level.get(AreaLevel.DISTRICT), names)
        shaped = session.exec(
            select(Area.id, Area.geometry).where(Area.level == AreaLevel.GRID, Area.geometry.is_not(None)).order_by(Area.id)
        ).all()
        ids = [r[0] for r in shaped]
        geoms = shapely.from_geojson([r[1] for r in shaped]) if shaped else []
        return cls(places, ids, [to_km(g) for g in geoms])

    def locate(self, lon: float, lat: float) -> tuple[int, float] | None:
        """(grid id, metres to it) of a GCJ-02 point: 0 inside; the nearest grid within 500 m; else None."""
        if not len(self.ids):
            return None
        point = shapely.Point((lon - LON0) * KM_PER_DEG_LON, (lat - LAT0) * KM_PER_DEG_LAT)
        hits = self.tree.query(point, predicate="intersects")
        if len(hits):
            return int(self.ids[hits].min()), 0.0  # on a shared edge: the older grid
        near, dist = self.tree.query_nearest(point, max_distance=NEAREST_KM, return_distance=True)
        if not len(near):
            return None
        return int(self.ids[near].min()), float(dist[0]) * 1000.0


_grid_maps: AreaCache[GridMap] = AreaCache(GridMap.build)


def grid_map(session: Session) -> GridMap:
    """This process's grid map of the session's database (current as of the areas' mark)."""
    return _grid_maps.get(session)


def _point(lon: object, lat: object, datum: object) -> tuple[float, float]:
    if datum not in DATUMS:
        raise GeoError("坐标系无效")
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise GeoError("位置无效：经纬度应为数字") from None
    if isinstance(lon, bool) or isinstance(lat, bool) or not (np.isfinite(x) and np.isfinite(y)) or not (-180 <= x <= 180 and -90 <= y <= 90):
        raise GeoError("位置无效：经纬度超出范围")
    return wgs84_to_gcj02(x, y) if datum == WGS84 else (x, y)


def resolve_point(session: Session, lon: object, lat: object, *, datum: str = GCJ02) -> PointMatch:
    """The grid of a point (see the module docstring); ``GeoError`` at sea or outside the city."""
    x, y = _point(lon, lat, datum)
    gm = grid_map(session)
    if not len(gm.ids):
        raise GeoError("网格尚无边界数据，请选择所在网格或填写地址")
    found = gm.locate(x, y)
    if found is None:
        raise GeoError("该位置不在本市任何网格内（海上或市外），请在陆地上选点或填写地址")
    grid_id, metres = found
    return PointMatch(gm.places[grid_id], round(x, 6), round(y, 6), round(metres, 1))
