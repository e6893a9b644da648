"""Cut a township's land into communities and grids (demo and load-test data).

Two Voronoi levels, each clipped to the land above it, so the cells tile it
exactly (no gap, no overlap) and grids nest in their community:

1. community seeds in the township's land — the first at the township seat
   (the town centre), the others drawn with a bias towards the seat, as
   people live denser in town, so central communities come out smaller;
2. grid seeds inside each community (a community of one grid is that grid).

Everything runs in the local kilometre plane (``shapes.to_km``) and returns
lon/lat polygons as they will be stored (snapped, no overlap; a community is
the union of its grids).  Randomness comes from the caller's
``numpy.random.Generator`` only, so a seed value gives the same map.
``points_in`` draws household points inside a grid.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPoint, MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from rxapp.domain.geo.shapes import STORED_DECIMALS, from_km, polygonal, stored, to_km

NEAR_SEAT = 0.6  # share of community seeds drawn around the seat
GRID_SIZE = 10.0 ** -STORED_DECIMALS  # overlay precision: the stored coordinates' grid


def _sample(geom_km: BaseGeometry, n: int, rng: np.random.Generator, centre: tuple[float, float] | None = None,
            spread: float = 0.0) -> np.ndarray:
    """``n`` points inside ``geom_km``: uniform, or (with ``centre``) a mix of a
    normal around it and uniform.  Rejection sampling, vectorised."""
    if n <= 0:
        return np.empty((0, 2))
    shapely.prepare(geom_km)
    minx, miny, maxx, maxy = geom_km.bounds
    out: list[np.ndarray] = []
    have = 0
    for _ in range(200):
        m = max(16, 4 * (n - have))
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        if centre is not None:
            near = rng.random(m) < NEAR_SEAT
            xs[near] = rng.normal(centre[0], spread, near.sum())
            ys[near] = rng.normal(centre[1], spread, near.sum())
        keep = shapely.contains_xy(geom_km, xs, ys)
        pts = np.column_stack((xs[keep], ys[keep]))
        out.append(pts)
        have += len(pts)
        if have >= n:
            break
    pts = np.concatenate(out)[:n] if out else np.empty((0, 2))
    if len(pts) < n:  # a sliver: fall back to points spread along its inside
        p = geom_km.representative_point()
        extra = np.array([[p.x + 1e-6 * i, p.y] for i in range(n - len(pts))])
        pts = np.concatenate([pts, extra]) if len(pts) else extra
    return pts


def _cells(land_km: BaseGeometry, seeds: np.ndarray) -> list[MultiPolygon]:
    """The Voronoi cells of ``seeds`` clipped to ``land_km``, in seed order."""
    if len(seeds) == 1:
        return [polygonal(land_km)]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=land_km.envelope.buffer(5.0), ordered=True)
    parts = shapely.get_parts(cells)
    clipped = shapely.intersection(parts, land_km)
    return [polygonal(c) for c in clipped]


def _distinct(points: np.ndarray) -> np.ndarray:
    """Nudge repeated seeds apart (Voronoi needs distinct sites)."""
    seen: set[tuple[float, float]] = set()
    for i, (x, y) in enumerate(points):
        key = (round(x, 6), round(y, 6))
        while key in seen:
            x += 1e-4
            key = (round(x, 6), round(y, 6))
        points[i] = (x, y)
        seen.add(key)
    return points


def tessellate_township(land: BaseGeometry, seat: tuple[float, float], community_sizes: list[int],
                        rng: np.random.Generator) -> list[tuple[MultiPolygon, list[MultiPolygon]]]:
    """``land`` (lon/lat) cut into ``len(community_sizes)`` communities of
    ``community_sizes[i]`` grids each: ``[(community, [grid, ...]), ...]`` (lon/lat)."""
    land_km = to_km(land)
    seat_km = to_km(Point(seat))
    if not land_km.contains(seat_km):
        seat_km = land_km.representative_point()
    n = len(community_sizes)
    spread = max(0.8, float(np.sqrt(land_km.area)) / 4)
    seeds = np.concatenate([[[seat_km.x, seat_km.y]], _sample(land_km, n - 1, rng, (seat_km.x, seat_km.y), spread)])
    communities = _cells(land_km, _distinct(seeds))
    grids, sizes = [], []
    for comm_km, size in zip(communities, community_sizes):
        cells = [comm_km] if size == 1 else _cells(comm_km, _distinct(_sample(comm_km, size, rng)))
        grids.extend(from_km(g) for g in cells)
        sizes.append(len(cells))
    grids = _clean_coverage(grids)
    out, at = [], 0
    for size in sizes:
        mine = grids[at : at + size]
        at += size
        out.append((polygonal(shapely.union_all(mine, grid_size=GRID_SIZE)), mine))
    return out


def _clean_coverage(cells: list[BaseGeometry]) -> list[MultiPolygon]:
    """The cells snapped to the stored precision with no overlap left: snapping
    two neighbours apart can leave a sliver of a square metre both claim (and a
    point in it would sit in two grids), so each cell gives up what it shares
    with the cells before it (overlay on the stored precision grid)."""
    snapped = [stored(c) for c in cells]
    tree = STRtree(snapped)
    out: list[MultiPolygon] = []
    for i, cell in enumerate(snapped):
        # an earlier cell as cleaned (its overlay may have moved an edge by a grid step)
        near = [out[j] for j in tree.query(cell) if j < i]
        earlier = [g for g, hit in zip(near, shapely.overlaps(near, cell)) if hit] if near else []
        if earlier:
            cell = shapely.difference(cell, shapely.union_all(earlier, grid_size=GRID_SIZE), grid_size=GRID_SIZE)
        out.append(polygonal(cell))
    return out


def points_in(geom: BaseGeometry, n: int, rng: np.random.Generator, decimals: int = STORED_DECIMALS) -> np.ndarray:
    """``n`` uniform points (lon, lat rows, rounded to ``decimals``) inside ``geom`` (lon/lat).
    Pass the geometry as stored (``shapes.stored``): a rounded point is checked
    against it and drawn again when rounding pushed it out."""
    shapely.prepare(geom)
    geom_km = to_km(geom)
    out = np.empty((0, 2))
    for _ in range(20):
        pts = _sample(geom_km, n - len(out), rng)
        lonlat = np.round(shapely.get_coordinates(from_km(MultiPoint(pts))), decimals)
        keep = shapely.contains_xy(geom, lonlat[:, 0], lonlat[:, 1])
        out = np.concatenate([out, lonlat[keep]])
        if len(out) >= n:
            break
    return out[:n]
