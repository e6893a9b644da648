"""The reference geography shipped in ``rxapp/data`` (GCJ-02): the four
district outlines, the 36 township seats, and each township's land.

``zhoushan_townships.csv`` (columns ``lon``, ``lat``) is the one source of
township coordinates.  A township's land is its district's land nearest to its
seat: the Voronoi cell of the seat among the district's seats (in the local
kilometre plane), clipped to the district outline.  So the townships of a
district tile it exactly, every island belongs to the township whose seat is
closest, and a township always holds its own seat.  All of it is computed once
per process.
"""

from __future__ import annotations

import json
from functools import lru_cache

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point

from rxapp.domain.geo.shapes import from_km, polygonal, to_km
from rxapp.domain.reference import DATA_DIR, read_csv

DISTRICTS_FILE = "zhoushan_districts.geojson"


@lru_cache(maxsize=1)
def district_collection() -> dict:
    """The district outlines as shipped: a GeoJSON FeatureCollection (properties ``adcode``, ``name``)."""
    with open(DATA_DIR / DISTRICTS_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def district_shapes() -> dict[str, MultiPolygon]:
    """District name → its land (lon/lat)."""
    out = {}
    for feature in district_collection()["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        out[feature["properties"]["name"]] = polygonal(geom)
    return out


@lru_cache(maxsize=1)
def township_seats() -> dict[str, tuple[str, float, float]]:
    """Township name → (district name, lon, lat of its seat)."""
    return {row["township_zh"]: (row["district_zh"], float(row["lon"]), float(row["lat"])) for row in read_csv("zhoushan_townships.csv")}


@lru_cache(maxsize=1)
def township_land() -> dict[str, MultiPolygon]:
    """Township name → its land (lon/lat): the seat's Voronoi cell within its district."""
    seats = township_seats()
    out: dict[str, MultiPolygon] = {}
    for district, land in district_shapes().items():
        names = [n for n, (d, _, _) in seats.items() if d == district]
        land_km = to_km(land)
        points = [to_km(Point(seats[n][1], seats[n][2])) for n in names]
        if len(points) == 1:
            out[names[0]] = land
            continue
        cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=land_km.envelope.buffer(10.0), ordered=True)
        for name, cell in zip(names, shapely.get_parts(cells)):
            out[name] = from_km(polygonal(cell.intersection(land_km)))
    return out


def seat_of(township: str) -> tuple[float, float] | None:
    seat = township_seats().get(township)
    return (seat[1], seat[2]) if seat else None


def fill_reference_geometry(session, city, districts: dict[str, object], townships: dict[str, object]) -> None:
    """Give the city, district and township ``Area`` rows their reference
    geometry where they have none yet (an imported geometry is never replaced)."""
    from rxapp.domain.geo.shapes import area_columns

    def fill(area, geom, label=None) -> None:
        if area.geometry is None and geom is not None and not geom.is_empty:
            for key, value in area_columns(geom, label).items():
                setattr(area, key, value)
            session.add(area)

    shapes = district_shapes()
    if city.geometry is None:
        fill(city, shapely.union_all(list(shapes.values())))
    for name, area in districts.items():
        fill(area, shapes.get(name))
    land = township_land()
    for name, area in townships.items():
        fill(area, land.get(name), seat_of(name))
