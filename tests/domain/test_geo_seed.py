"""Seeded grids tile the land, households sit inside their grids on roads of
their grids, and the one resolver puts points and addresses on the right grid
(SQLite and PostgreSQL), Open311 included.

One small seed per backend (4 grids per township, so communities of two grids
exist) is shared by the read-only checks."""

from datetime import datetime

import pytest
import shapely
from shapely.geometry import Point
from sqlalchemy import func, text
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.domain.geo.datum import gcj02_to_wgs84
from rxapp.domain.geo.features import MAX_PAYLOAD, area_features, payload_bytes
from rxapp.domain.geo.land import township_land
from rxapp.domain.geo.resolve import GeoError, Resolver, resolve, resolve_address, resolve_point
from rxapp.domain.geo.shapes import KM_PER_DEG_LAT, to_km
from rxapp.domain.open311 import post_requests
from rxapp.domain.seed import DEMO_API_KEY, seed
from rxapp.models import Area, AreaLevel, Case, Household
from tests.conftest import BACKENDS, _new_database

NOW = datetime(2026, 11, 27, 10, 0, 0)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    url, drop = _new_database(request.param, tmp_path_factory.mktemp("geoseed"))
    engine = make_engine(url)
    seed(engine, cases=400, grids_per_township=4, households_per_grid=(20, 30), now=NOW, random_seed=11)
    yield engine
    engine.dispose()
    drop()


def _shapes(engine, level):
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name, parent_id, geometry FROM area WHERE level = :l"), {"l": level}).all()
    return {r[0]: (r[1], r[2], shapely.from_geojson(r[3])) for r in rows}


def test_each_townships_grids_cover_its_land_without_overlap(seeded):
    towns = _shapes(seeded, AreaLevel.TOWNSHIP)
    comms = _shapes(seeded, AreaLevel.COMMUNITY)
    grids = _shapes(seeded, AreaLevel.GRID)
    land = township_land()
    assert len(towns) == 36 and len(grids) == 36 * 4
    for tid, (tname, _, tgeom) in towns.items():
        mine = [to_km(g) for (_, parent, g) in grids.values() if comms[parent][1] == tid]
        assert len(mine) == 4
        assert all(g.is_valid and not g.is_empty for g in mine)
        total = sum(g.area for g in mine)
        land_km = to_km(land[tname]).area
        assert total == pytest.approx(land_km, rel=0.01), tname  # cover: area sums within 1 %
        union = shapely.union_all(mine)
        assert union.area == pytest.approx(total, rel=1e-4), tname  # no overlap
        assert union.symmetric_difference(to_km(tgeom)).area < 0.01 * land_km, tname
    # a community is exactly the union of its grids
    for cid, (cname, _, cgeom) in comms.items():
        parts = [g for (_, parent, g) in grids.values() if parent == cid]
        assert shapely.union_all(parts).symmetric_difference(cgeom).area < 1e-4 * cgeom.area + 1e-12, cname


def test_every_household_point_is_inside_its_grid_on_a_road_of_its_grid(seeded):
    grids = _shapes(seeded, AreaLevel.GRID)
    with seeded.connect() as conn:
        roads = dict(conn.execute(text("SELECT id, roads FROM area WHERE level = 'grid'")).all())
        households = conn.execute(text("SELECT grid_id, lon, lat, address FROM household")).all()
    assert households
    for grid_id, lon, lat, address in households:
        assert lon is not None and grids[grid_id][2].contains(Point(lon, lat))
        assert any(road in address for road in roads[grid_id].split("、")), address


def test_case_points_are_the_households_or_inside_the_grid(seeded):
    grids = _shapes(seeded, AreaLevel.GRID)
    with seeded.connect() as conn:
        rows = conn.execute(text(
            'SELECT c.grid_id, c.lon, c.lat, h.lon, h.lat FROM "case" c LEFT JOIN household h ON h.id = c.requester_household_id '
            "WHERE c.lat IS NOT NULL")).all()
    assert len(rows) > 100
    for grid_id, lon, lat, hlon, hlat in rows:
        assert grids[grid_id][2].contains(Point(lon, lat))
        if hlon is not None:
            assert (lon, lat) == (hlon, hlat)


def test_resolver_puts_every_household_point_and_address_on_its_grid(seeded):
    with Session(seeded) as s:
        households = s.exec(select(Household.grid_id, Household.lon, Household.lat, Household.address)).all()
        resolver = Resolver.of(s)
        by_point = sum(resolver.point(lon, lat).grid_id == g for g, lon, lat, _ in households)
        by_address = sum(resolver.address(addr).grid_id == g for g, _, _, addr in households)
        both = sum(resolver.resolve(lon=lon, lat=lat, address=addr).grid_id == g for g, lon, lat, addr in households)
    assert by_point == len(households) == both
    assert by_address >= 0.95 * len(households)


def test_point_at_sea_is_refused_and_just_off_the_coast_takes_the_nearest_grid(seeded):
    with Session(seeded) as s:
        with pytest.raises(GeoError) as err:
            resolve_point(s, 123.2, 30.2)  # open sea east of 东极
        assert "不在本市" in err.value.message and err.value.field == "location"
        with pytest.raises(GeoError):
            resolve_point(s, 116.4, 39.9)  # Beijing
        # 300 m south of the southernmost point of 朱家尖's land
        land = township_land()["朱家尖街道"]
        x, y = min(shapely.get_coordinates(land), key=lambda c: c[1])
        near = resolve_point(s, x, y - 0.3 / KM_PER_DEG_LAT)
        assert 0 < near.distance_m <= 500
        assert near.place.names[1] == "朱家尖街道"
        for bad in (("abc", 30), (float("nan"), 30), (True, 30), (200, 30)):
            with pytest.raises(GeoError):
                resolve_point(s, *bad)


def test_address_naming_nowhere_and_point_disagreeing_with_address_are_refused(seeded):
    with Session(seeded) as s:
        with pytest.raises(GeoError) as err:
            resolve_address(s, "火星基地一号")
        assert err.value.field == "address"
        hh = s.exec(select(Household).order_by(Household.id)).first()
        far = s.exec(select(Household).where(Household.community_id != hh.community_id).order_by(Household.id.desc())).first()
        with pytest.raises(GeoError) as err:
            resolve(s, lon=far.lon, lat=far.lat, address=hh.address)
        assert "不一致" in err.value.message
        # a WGS84 point (a phone's location) is converted first
        wlon, wlat = gcj02_to_wgs84(hh.lon, hh.lat)
        assert resolve(s, lon=wlon, lat=wlat, datum="wgs84").grid_id == hh.grid_id


def test_open311_lat_long_of_a_seeded_household_lands_in_its_grid(seeded):
    with Session(seeded) as s:
        hhs = s.exec(select(Household).order_by(Household.id).limit(5)).all()
        posts = []
        for hh in hhs:
            wlon, wlat = gcj02_to_wgs84(hh.lon, hh.lat)
            posts.append((DEMO_API_KEY, {"service_code": "ENV", "description": "路边垃圾堆放很久没人清理，气味很大",
                                         "lat": f"{wlat:.6f}", "long": f"{wlon:.6f}", "phone": "13900001111"}))
        answers = post_requests(s, posts)
        codes = [a[0]["service_request_id"] for a in answers]
        for hh, code in zip(hhs, codes):
            case = s.exec(select(Case).where(Case.code == code)).one()
            assert case.grid_id == hh.grid_id
            assert abs(case.lon - hh.lon) < 1e-5 and abs(case.lat - hh.lat) < 1e-5  # stored back in GCJ-02


def test_area_features_of_every_scope_stay_within_the_payload_budget(seeded):
    with Session(seeded) as s:
        city = s.exec(select(Area).where(Area.level == AreaLevel.CITY)).one()
        fc = area_features(s, city.id)
        assert len(fc["features"]) == 4 and payload_bytes(fc) <= MAX_PAYLOAD
        town = s.exec(select(Area).where(Area.name == "朱家尖街道")).one()
        fc = area_features(s, town.id)
        assert fc["features"] and all(f["properties"]["level"] == AreaLevel.COMMUNITY for f in fc["features"])
        grid = s.exec(select(Area).where(Area.level == AreaLevel.GRID).order_by(Area.id)).first()
        assert [f["id"] for f in area_features(s, grid.id)["features"]] == [grid.id]


def _actor(s, username):
    from rxapp.domain.access import actor_for
    from rxapp.models import User

    return actor_for(s, s.exec(select(User).where(User.username == username)).one())


def test_map_measures_are_the_dashboards_figures_per_area(seeded):
    from rxapp.domain.geo.measures import area_measures
    from rxapp.domain.metrics import dashboard

    with Session(seeded) as s:
        leader = _actor(s, "leader")
        query = {"period": "custom", "date_from": "2025-01-01", "date_to": "2026-11-27"}
        rows = area_measures(s, actor=leader, query=query, now=NOW)
        board = dashboard(s, actor=leader, query=query, now=NOW)
        ranking = {r.id: r for r in board.area_ranking}
        assert {r.name for r in rows} == {"定海区", "普陀区", "岱山县", "嵊泗县"}
        for r in rows:
            assert (r.accepted, r.done, r.on_time) == (ranking[r.area_id].accepted, ranking[r.area_id].done, ranking[r.area_id].on_time)
            # 办结率 on the map is the dashboard's headline for that area (done ÷ due)
            own = dashboard(s, actor=leader, query={**query, "area_id": r.area_id}, now=NOW).kpis.due_completion_rate
            assert r.completion_rate == own.value and (r.due_done, r.due) == (own.numerator, own.denominator)
        with seeded.connect() as conn:
            assert sum(r.households for r in rows) == conn.execute(text("SELECT count(*) FROM household")).scalar_one()
            overdue = conn.execute(text(
                "SELECT count(*) FROM \"case\" WHERE status IN ('submitted','accepted','routed','in_progress') AND deadline < :at"),
                {"at": NOW}).scalar_one()
        assert sum(r.overdue_now for r in rows) == overdue == board.kpis.overdue_now.value
        assert all(r.intake_per_1000_households == round(r.accepted * 1000 / r.households, 1) for r in rows)
        # one level down: a township's communities; and a grid's own row
        town = s.exec(select(Area).where(Area.name == "朱家尖街道")).one()
        comms = area_measures(s, actor=leader, query={**query, "area_id": town.id}, now=NOW)
        assert len(comms) >= 2 and all(r.level == AreaLevel.COMMUNITY for r in comms)
        assert sum(r.households for r in comms) == s.exec(select(func.count()).select_from(Household).where(
            Household.community_id.in_([r.area_id for r in comms]))).one()
        grid = s.exec(select(Area).where(Area.level == AreaLevel.GRID).order_by(Area.id)).first()
        [own] = area_measures(s, actor=leader, query={**query, "area_id": grid.id}, now=NOW)
        assert own.area_id == grid.id


def test_case_points_and_visits_stay_in_the_viewers_scope(seeded):
    from rxapp.domain.errors import AccessDenied
    from rxapp.domain.geo.measures import POINT_DECIMALS, case_points, team_visits

    with Session(seeded) as s:
        putuo = s.exec(select(Area).where(Area.name == "普陀区")).one()
        mine = case_points(s, actor=_actor(s, "leader_putuo"), now=NOW)
        everyone = case_points(s, actor=_actor(s, "leader"), now=NOW)
        assert 0 < mine.total < everyone.total
        codes = [p.code for p in mine.points]
        districts = set(s.exec(select(Case.district_id).where(Case.code.in_(codes))).all())
        assert districts == {putuo.id}
        assert all(round(p.lon, POINT_DECIMALS) == p.lon for p in mine.points)
        overdue = [p.overdue for p in everyone.points]
        assert overdue == sorted(overdue, reverse=True)  # overdue first
        with pytest.raises(AccessDenied):
            case_points(s, actor=_actor(s, "leader_putuo"), query={"area_id": s.exec(select(Area).where(Area.name == "定海区")).one().id})
        with pytest.raises(AccessDenied):
            case_points(s, actor=_actor(s, "dept_env"))
        spots = team_visits(s, actor=_actor(s, "leader_putuo"), now=NOW)
        assert spots and all(s.get(Area, v.grid_id).path.startswith(putuo.path) for v in spots)
