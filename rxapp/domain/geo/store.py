"""Writing geometry onto ``Area`` rows (and points onto households) through
the ORM: the importer, the test world and small deployments use these; the
bulk seed writes the same columns (``shapes.area_columns``) as tuples."""

from __future__ import annotations

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlmodel import Session, select

from rxapp.domain.geo.land import seat_of, township_land
from rxapp.domain.geo.shapes import area_columns, stored
from rxapp.domain.geo.tessellate import points_in, tessellate_township
from rxapp.models import Area, Household


def set_geometry(area: Area, geom: BaseGeometry, *, label: tuple[float, float] | None = None, rev: int | None = None) -> None:
    """Give ``area`` the geometry ``geom`` (lon/lat, GCJ-02); ``rev`` moves its ``geo_rev``."""
    for key, value in area_columns(geom, label).items():
        setattr(area, key, value)
    if rev is not None:
        area.geo_rev = rev


def cut_township(session: Session, township: Area, communities: list[tuple[Area, list[Area]]], *, random_seed: int = 0,
                 roads: dict[int, list[str]] | None = None) -> None:
    """Cut a reference township's land into the given communities and grids
    (``tessellate``), store their geometry and ``roads`` (grid id → names),
    and put each of their households on a point inside its grid."""
    rng = np.random.default_rng(random_seed)
    land = township_land()[township.name]
    shapes = tessellate_township(land, seat_of(township.name), [len(grids) for _, grids in communities], rng)
    for (comm, grids), (comm_shape, grid_shapes) in zip(communities, shapes):
        set_geometry(comm, comm_shape)
        session.add(comm)
        for grid, shape in zip(grids, grid_shapes):
            shape = stored(shape)
            set_geometry(grid, shape)
            if roads and grid.id in roads:
                grid.roads = "、".join(roads[grid.id])
            session.add(grid)
            households = session.exec(select(Household).where(Household.grid_id == grid.id).order_by(Household.id)).all()
            for hh, (lon, lat) in zip(households, points_in(shape, len(households), rng)):
                hh.lon, hh.lat = float(lon), float(lat)
                session.add(hh)
    session.flush()
