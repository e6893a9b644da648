"""Where → which grid: the one resolver every intake channel uses.

* ``resolve_point(session, lon, lat, datum=...)``: point-in-polygon over the
  grids (a shapely STRtree over their stored polygons, built once per process and rebuilt when the areas change, see ``cache``).
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

import os
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from sqlmodel import Session, select

from rxapp.domain.errors import DomainError
from rxapp.domain.geo.address import ROAD, AddressIndex, address_index
from rxapp.domain.geo.cache import AreaCache, areas_mark
from rxapp.domain.geo.datum import wgs84_to_gcj02
from rxapp.domain.geo.shapes import KM_PER_DEG_LAT, KM_PER_DEG_LON, to_km
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
        """“朱家尖街道 白山社区 第2网格” (the district is left out: the township says it;
        a grid named after its community drops the repeat)."""
        _, town, comm, grid = self.names
        if comm and grid.startswith(comm) and len(grid) > len(comm):
            grid = grid[len(comm):]
        return " ".join(n for n in (town, comm, grid) if n)


@dataclass(frozen=True)
class PointMatch:
    place: Place
    lon: float  # GCJ-02, as stored
    lat: float
    distance_m: float  # 0 inside the grid; else to the nearest grid (≤ 500 m)

    @property
    def grid_id(self) -> int:
        return self.place.grid_id


class GridMap:
    """The grid polygons of one database (lon/lat as stored, so a stored point
    inside its stored grid is found inside it exactly), with an STRtree."""

    def __init__(self, places: dict[int, Place], ids: list[int], geoms: list):
        self.places = places
        self.ids = np.asarray(ids, dtype=np.int64)
        self.geoms = np.asarray(geoms, dtype=object)
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
        return cls(places, ids, list(geoms))

    def locate(self, lon: float, lat: float) -> tuple[int, float] | None:
        """(grid id, metres to it) of a GCJ-02 point: 0 inside; the nearest grid within 500 m; else None."""
        if not len(self.ids):
            return None
        point = shapely.Point(lon, lat)
        hits = self.tree.query(point, predicate="intersects")
        if len(hits):
            return int(self.ids[hits].min()), 0.0  # on a shared edge: the older grid
        # off every grid: the nearest within NEAREST_KM, measured in the kilometre plane
        dlon, dlat = NEAREST_KM / KM_PER_DEG_LON, NEAREST_KM / KM_PER_DEG_LAT
        near = self.tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        if not len(near):
            return None
        here = to_km(point)
        dist = {int(self.ids[i]): to_km(self.geoms[i]).distance(here) for i in near}
        best = min(dist, key=lambda g: (dist[g], g))
        return (best, dist[best] * 1000.0) if dist[best] <= NEAREST_KM else None


_grid_maps: AreaCache[GridMap] = AreaCache(GridMap.build)


def grid_map(session: Session) -> GridMap:
    """This process's grid map of the session's database (current as of the areas' mark)."""
    return _grid_maps.get(session)


def _point(lon: object, lat: object, datum: object) -> tuple[float, float]:
    if datum not in DATUMS:
        raise GeoError("坐标系无效")
    if isinstance(lon, bool) or isinstance(lat, bool):
        raise GeoError("位置无效：经纬度应为数字")
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise GeoError("位置无效：经纬度应为数字") from None
    if not (np.isfinite(x) and np.isfinite(y)) or not (-180 <= x <= 180 and -90 <= y <= 90):
        raise GeoError("位置无效：经纬度超出范围")
    return wgs84_to_gcj02(x, y) if datum == WGS84 else (x, y)


def _address_text(address: object) -> str:
    if address is None:
        return ""
    if not isinstance(address, str):
        raise GeoError("地址无效", "address")
    text = " ".join(address.split())
    if len(text) > 128:
        raise GeoError("地址不能超过128个字", "address")
    return text


@dataclass(frozen=True)
class Resolution:
    """Where a request is: its grid (with names) and how it was found."""

    place: Place
    source: str  # "point", "address" or "both"
    lon: float | None = None  # GCJ-02, as stored on the case
    lat: float | None = None
    distance_m: float | None = None  # a point outside every grid: metres to the grid taken
    address_level: str | None = None  # road, grid, community, township or district: how precise the address was

    @property
    def grid_id(self) -> int:
        return self.place.grid_id

    @property
    def precise(self) -> bool:
        """A point, or an address naming a road or a grid (not just a community or broader)."""
        return self.source != "address" or self.address_level in (ROAD, AreaLevel.GRID)


class Resolver:
    """The grid map and the address index of one database, checked current
    once (one query) — for a batch of requests, take one and call it for each."""

    def __init__(self, grids: GridMap, addresses: AddressIndex):
        self.grids = grids
        self.addresses = addresses

    @classmethod
    def of(cls, session: Session) -> Resolver:
        mark = areas_mark(session)
        return cls(_grid_maps.get(session, mark), address_index(session, mark))

    def point(self, lon: object, lat: object, *, datum: str = GCJ02) -> PointMatch:
        x, y = _point(lon, lat, datum)
        if not len(self.grids.ids):
            raise GeoError("网格尚无边界数据，请选择所在网格或填写地址")
        found = self.grids.locate(x, y)
        if found is None:
            raise GeoError("该位置不在本市任何网格内（海上或市外），请在陆地上选点或填写地址")
        grid_id, metres = found
        return PointMatch(self.grids.places[grid_id], round(x, 6), round(y, 6), round(metres, 1))

    def address(self, address: object) -> Resolution:
        text = _address_text(address)
        found = self.addresses.match(text) if text else None
        place = self.grids.places.get(found.grid_id) if found is not None and found.grid_id is not None else None
        if place is None:
            raise GeoError("无法从地址确定所在网格，请写明乡镇（街道）、社区（村）或道路名称", "address")
        return Resolution(place, "address", address_level=found.level)

    def resolve(self, *, lon: object = None, lat: object = None, address: object = None, datum: str = GCJ02) -> Resolution:
        has_point = lon not in (None, "") or lat not in (None, "")
        text = _address_text(address)
        if not has_point and not text:
            raise GeoError("请在地图上选点，或填写地址")
        if not has_point:
            return self.address(text)
        match = self.point(lon, lat, datum=datum)
        found = self.addresses.match(text) if text else None
        if found is None:  # no address, or one we cannot read: it does not overrule a pin
            return Resolution(match.place, "point", match.lon, match.lat, match.distance_m)
        named = found.area_id
        if found.level in (ROAD, AreaLevel.GRID):
            named_grid = self.grids.places.get(found.grid_id)
            named = named_grid.community_id if named_grid and named_grid.community_id else found.area_id
        if not self.addresses.contains(named, match.place.grid_id):
            where = self.addresses.info.get(named, ("",))[0]
            said = found.name if where == found.name else f"{found.name}（{where}）"
            raise GeoError(f"地图上的位置（{match.place.label}）与地址中的“{said}”不一致，请更正其一", "location")
        return Resolution(match.place, "both", match.lon, match.lat, match.distance_m, found.level)


def resolve_point(session: Session, lon: object, lat: object, *, datum: str = GCJ02) -> PointMatch:
    """The grid of a point (see the module docstring); ``GeoError`` at sea or outside the city."""
    return Resolver.of(session).point(lon, lat, datum=datum)


def resolve_address(session: Session, address: object) -> Resolution:
    """The grid an address names (``GeoError`` on field ``address`` when it names no known place)."""
    return Resolver.of(session).address(address)


def resolve(session: Session, *, lon: object = None, lat: object = None, address: object = None, datum: str = GCJ02) -> Resolution:
    """A point and/or an address → the grid (see the module docstring).

    With both, the point's grid must lie in the area the address names (a road
    or a grid counts as its community: a pin across a grid line from the road
    named is normal); otherwise ``GeoError`` names both places."""
    return Resolver.of(session).resolve(lon=lon, lat=lat, address=address, datum=datum)


def place_of(session: Session, grid_id: int) -> Place | None:
    """The names and ancestors of a grid (None when it is not a grid)."""
    return grid_map(session).places.get(grid_id)


def default_intake_grid(session: Session) -> Area | None:
    """``GRIDDESK_INTAKE_GRID``: an area id or a grid's name (the jurisdiction's intake grid)."""
    value = (os.environ.get("GRIDDESK_INTAKE_GRID") or "").strip()
    if not value:
        return None
    area = session.get(Area, int(value)) if value.isdigit() and len(value) < 10 else None
    if area is None:
        area = session.exec(select(Area).where(Area.name == value, Area.level == AreaLevel.GRID)).first()
    if area is None or area.level == AreaLevel.GRID:
        return area
    return session.exec(
        select(Area).where(Area.level == AreaLevel.GRID, Area.path.startswith(area.path)).order_by(Area.sort, Area.id).limit(1)
    ).first()


def triage_grid(session: Session, address: object = None) -> int:
    """A grid for a request whose place is unclear (a resident's "不清楚", an SMS
    naming nowhere): what the address names if anything, else the
    jurisdiction's intake grid, else the city's first grid.  The case waits in
    the dispatchers' triage, who set the real place."""
    try:
        return resolve_address(session, address).grid_id
    except GeoError:
        pass
    grid = default_intake_grid(session) or session.exec(
        select(Area).where(Area.level == AreaLevel.GRID).order_by(Area.path, Area.id).limit(1)
    ).first()
    if grid is None:
        raise GeoError("系统尚未设置任何网格，无法受理", "grid_id")
    return grid.id
