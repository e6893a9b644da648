"""WGS84 ↔ GCJ-02, the one conversion at the edges of the stored datum.

GridDesk stores every coordinate (area geometry, household and case points) in
**GCJ-02**, China's offset datum, because the reference outlines and township
seats (AMap-derived, ``rxapp/data/zhoushan_districts.geojson``) are in it and
the base layer the map draws is those outlines: converting them would move
every coastline, converting points is exact enough and cheap.  Around
Zhoushan GCJ-02 sits about 0.4 km east and 0.25 km south of WGS84.

WGS84 arrives from Open311 ``lat``/``long`` and the browser's geolocation
(and 天地图 tiles, CGCS2000 ≈ WGS84): call :func:`wgs84_to_gcj02` on the way
in and :func:`gcj02_to_wgs84` on the way out (Open311 GET answers).

The forward transform is the published GCJ-02 formula (Krasovsky 1940
ellipsoid, the standard polynomial offset); it has no closed-form inverse, so
the inverse iterates ``x ← x − (f(x) − target)`` until the step is below
1e-9° (about 0.1 mm), which takes 3–5 rounds here.  Outside mainland China
GCJ-02 equals WGS84 and both functions return the point unchanged.
"""

from __future__ import annotations

import math

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # its eccentricity squared


def outside_china(lon: float, lat: float) -> bool:
    """The published formula's own bounding box (no offset outside it)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point (lon, lat) in GCJ-02."""
    if outside_china(lon, lat):
        return lon, lat
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance: float = 1e-9, max_rounds: int = 20) -> tuple[float, float]:
    """A GCJ-02 point (lon, lat) in WGS84: the forward formula inverted by iteration."""
    if outside_china(lon, lat):
        return lon, lat
    x, y = lon, lat
    for _ in range(max_rounds):
        fx, fy = wgs84_to_gcj02(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if abs(dx) < tolerance and abs(dy) < tolerance:
            break
    return x, y
