"""Reference geography: the datum conversion, township seats on land in their
own district, township land tiling each district, and the reference loader
giving districts and townships their geometry."""

import json
import math

import pytest
import shapely
from shapely.geometry import Point
from sqlmodel import select

from rxapp.domain.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from rxapp.domain.geo.features import MAX_PAYLOAD, area_features, district_outlines, payload_bytes
from rxapp.domain.geo.land import district_shapes, township_land, township_seats
from rxapp.domain.geo.shapes import from_geojson, to_km
from rxapp.domain.reference import DATA_DIR, load_reference
from rxapp.models import Area, AreaLevel
from rxapp.domain import seed_text


def test_gcj02_of_a_known_point_matches_the_published_offset():
    # Tiananmen: WGS84 116.397428, 39.90923 is GCJ-02 116.403671, 39.910633 (the usual check value)
    lon, lat = wgs84_to_gcj02(116.397428, 39.90923)
    assert lon == pytest.approx(116.403671, abs=2e-6) and lat == pytest.approx(39.910633, abs=2e-6)


@pytest.mark.parametrize("lon,lat", [(122.1044, 30.0115), (122.3888, 29.9223), (122.8076, 30.7196), (121.87, 30.0)])
def test_gcj02_inverse_round_trips_to_a_millimetre(lon, lat):
    g = wgs84_to_gcj02(lon, lat)
    back = gcj02_to_wgs84(*g)
    assert math.hypot(back[0] - lon, back[1] - lat) < 1e-8
    # and the offset here is the documented ~0.4 km east, ~0.25 km south
    assert 0.003 < g[0] - lon < 0.006 and -0.004 < g[1] - lat < -0.001


def test_points_outside_china_are_not_shifted():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_every_township_seat_is_on_land_inside_its_own_district_only():
    districts = district_shapes()
    seats = township_seats()
    assert len(seats) == 36
    for name, (district, lon, lat) in seats.items():
        p = Point(lon, lat)
        inside = [d for d, shape in districts.items() if shape.contains(p)]
        assert inside == [district], (name, inside)


def test_seed_text_no_longer_carries_township_coordinates():
    # zhoushan_townships.csv is the one source of township coordinates
    assert not hasattr(seed_text, "TOWNSHIP_LATLON")


def test_township_land_tiles_each_district_and_holds_its_seat():
    land = township_land()
    for district, shape in district_shapes().items():
        names = [n for n, (d, _, _) in township_seats().items() if d == district]
        parts = [to_km(land[n]) for n in names]
        assert sum(p.area for p in parts) == pytest.approx(to_km(shape).area, rel=1e-6)
        union = shapely.union_all(parts)
        assert union.symmetric_difference(to_km(shape)).area < 1e-6 * to_km(shape).area
        for n in names:
            _, lon, lat = township_seats()[n]
            assert land[n].contains(Point(lon, lat)), n


def test_reference_files_are_inside_the_project():
    assert (DATA_DIR / "zhoushan_districts.geojson").exists()
    assert (DATA_DIR / "zhoushan_townships_notes.md").exists()
    served = DATA_DIR.parent.parent / "assets" / "geo" / "zhoushan_districts.geojson"
    assert json.loads(served.read_text(encoding="utf-8")) == json.loads((DATA_DIR / "zhoushan_districts.geojson").read_text(encoding="utf-8"))


def test_load_reference_gives_districts_and_townships_geometry(session):
    ref = load_reference(session)
    session.flush()
    towns = session.exec(select(Area).where(Area.level == AreaLevel.TOWNSHIP)).all()
    assert len(towns) == 36
    for town in towns:
        geom = from_geojson(town.geometry)
        assert geom is not None and geom.is_valid and not geom.is_empty
        assert town.min_lon <= town.label_lon <= town.max_lon and town.min_lat <= town.label_lat <= town.max_lat
        assert geom.contains(Point(town.label_lon, town.label_lat))
    city = session.get(Area, ref.city_id)
    fc = area_features(session, city.id)
    assert {f["properties"]["name"] for f in fc["features"]} == {"定海区", "普陀区", "岱山县", "嵊泗县"}
    assert payload_bytes(fc) <= MAX_PAYLOAD
    putuo = area_features(session, ref.district_ids["普陀区"])
    assert len(putuo["features"]) == 9
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in putuo["features"])
    # the same dict is served again from the cache
    assert area_features(session, ref.district_ids["普陀区"]) is putuo


def test_district_outlines_base_layer_is_small_and_valid():
    fc = district_outlines()
    assert len(fc["features"]) == 4
    assert payload_bytes(fc) < 100_000
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in fc["features"])
