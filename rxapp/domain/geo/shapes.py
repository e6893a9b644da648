"""Geometry plumbing shared by the geo modules: GeoJSON text ↔ shapely, the
bounding-box and label columns of an area, and a local plane in kilometres.

Stored coordinates are GCJ-02 lon/lat degrees (see ``datum``).  Cutting land
into cells needs distances that mean the same east-west as north-south, so
the tessellation works in a local equirectangular plane around Zhoushan
(``to_km`` / ``from_km``): at 30° N a degree of longitude is 0.87 of a
degree of latitude, and within the city's 1.2° of latitude the scale error
of that plane stays below 1 %.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

# The local plane's origin (the middle of the city) and its scale.
LON0, LAT0 = 122.35, 30.25
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(LAT0))
STORED_DECIMALS = 6  # ~0.1 m: shared edges of neighbouring cells stay identical


def to_km(geom: BaseGeometry) -> BaseGeometry:
    """Lon/lat degrees → kilometres east/north of (LON0, LAT0)."""
    return shapely.transform(geom, lambda c: np.column_stack(((c[:, 0] - LON0) * KM_PER_DEG_LON, (c[:, 1] - LAT0) * KM_PER_DEG_LAT)))


def from_km(geom: BaseGeometry) -> BaseGeometry:
    """Kilometres of the local plane → lon/lat degrees."""
    return shapely.transform(geom, lambda c: np.column_stack((c[:, 0] / KM_PER_DEG_LON + LON0, c[:, 1] / KM_PER_DEG_LAT + LAT0)))


def polygonal(geom: BaseGeometry) -> MultiPolygon:
    """The polygon parts of ``geom`` (an intersection may add lines or points) as one MultiPolygon."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    nested = [q for p in shapely.get_parts(geom) if isinstance(p, MultiPolygon) for q in p.geoms]
    return MultiPolygon(parts + nested)


def from_geojson(text: str | None) -> BaseGeometry | None:
    """A stored ``Area.geometry`` (GeoJSON geometry text) as shapely, or None."""
    if not text:
        return None
    return shapely.from_geojson(text)


def stored(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` as it will be stored: snapped to ``STORED_DECIMALS`` (still valid)."""
    return shapely.set_precision(geom, 10.0 ** -STORED_DECIMALS)


def area_columns(geom: BaseGeometry, label: tuple[float, float] | None = None) -> dict[str, object]:
    """The ``Area`` geometry columns for ``geom`` (lon/lat degrees): GeoJSON text
    rounded to ``STORED_DECIMALS``, bounding box, and a label point inside the
    area (``label`` when given, e.g. a township's seat)."""
    geom = stored(geom)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if label is None:
        largest = max(shapely.get_parts(geom), key=lambda p: p.area)
        point = largest.representative_point()
        label = (point.x, point.y)
    return {
        "geometry": shapely.to_geojson(geom),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "label_lon": round(label[0], STORED_DECIMALS),
        "label_lat": round(label[1], STORED_DECIMALS),
    }
