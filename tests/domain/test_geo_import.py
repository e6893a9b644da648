"""Importing real area boundaries: a good file replaces or creates areas and
every process's resolver follows; a bad file (invalid, overlapping, naming
no area) is refused with the feature named and nothing written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, box, mapping
from sqlmodel import Session, select

from rxapp.domain.admin import cli_actor
from rxapp.domain.errors import DomainError
from rxapp.domain.geo.datum import gcj02_to_wgs84
from rxapp.domain.geo.importer import ImportRefused, import_areas
from rxapp.domain.geo.land import township_land
from rxapp.domain.geo.resolve import resolve_point
from rxapp.domain.geo.shapes import from_geojson
from rxapp.models import Area, AreaLevel, AuditLog
from tests.factories import make_world

ROOT = Path(__file__).resolve().parents[2]


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(geom, **props):
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def _halves(geom):
    """``geom`` cut in two by the vertical line through its centre."""
    minx, miny, maxx, maxy = geom.bounds
    mid = (minx + maxx) / 2
    return geom.intersection(box(minx - 1, miny - 1, mid, maxy + 1)), geom.intersection(box(mid, miny - 1, maxx + 1, maxy + 1))


def _stored(session):
    return {a.id: (a.geometry, a.geo_rev) for a in session.exec(select(Area)).all()}


def test_import_replaces_grid_outlines_and_the_resolver_follows(session):
    w = make_world(session)
    g1, g2 = w.areas["g1"], w.areas["g2"]
    c1 = from_geojson(w.areas["c1"].geometry)
    left, right = _halves(c1)
    report = import_areas(session, _fc(_feature(left, id=g1.id, roads=["新一路", "新二路"]), _feature(right, id=g2.id)), actor=cli_actor())
    assert (report.created, report.updated) == (0, 2) and report.rev >= 1
    session.flush()
    assert g1.geo_rev == g2.geo_rev == report.rev and g1.roads == "新一路、新二路"
    inside = left.representative_point()
    assert resolve_point(session, inside.x, inside.y).grid_id == g1.id
    inside = right.representative_point()
    assert resolve_point(session, inside.x, inside.y).grid_id == g2.id
    audits = session.exec(select(AuditLog).where(AuditLog.action == "area.geometry")).all()
    assert len(audits) == 2 and all(json.loads(a.detail)["previous_geometry"]["type"] == "MultiPolygon" for a in audits)


def test_import_by_path_creates_a_community_and_its_grid(session):
    make_world(session)
    land = township_land()["沈家门街道"]
    left, right = _halves(land)
    fc = _fc(
        _feature(left, path="舟山市/普陀区/沈家门街道/渔港社区", level="community"),
        _feature(left, path="普陀区/沈家门街道/渔港社区/渔港社区第1网格", roads="渔港路、滨港路"),
    )
    report = import_areas(session, fc, actor=cli_actor())
    assert report.created == 2
    grid = session.exec(select(Area).where(Area.name == "渔港社区第1网格")).one()
    comm = session.get(Area, grid.parent_id)
    assert grid.level == AreaLevel.GRID and comm.name == "渔港社区" and comm.level == AreaLevel.COMMUNITY
    p = left.representative_point()
    assert resolve_point(session, p.x, p.y).place.label == "沈家门街道 渔港社区 第1网格"


def test_import_takes_wgs84_files_and_converts_them(session):
    w = make_world(session)
    g1 = w.areas["g1"]
    before = from_geojson(g1.geometry)
    wgs = shapely.transform(before, lambda c: __import__("numpy").array([gcj02_to_wgs84(x, y) for x, y in c]))
    import_areas(session, _fc(_feature(wgs, id=g1.id)), actor=cli_actor(), datum="wgs84")
    after = from_geojson(g1.geometry)
    assert after.symmetric_difference(before).area < 1e-4 * before.area


BOWTIE = {"type": "Polygon", "coordinates": [[[122.39, 29.90], [122.40, 29.91], [122.40, 29.90], [122.39, 29.91], [122.39, 29.90]]]}


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda w, c1: _fc({"type": "Feature", "properties": {"id": w.areas["g1"].id}, "geometry": BOWTIE}), ["第1个要素", "几何无效", "Self-intersection"]),
        (lambda w, c1: _fc(_feature(c1, id=w.areas["g1"].id), _feature(c1, id=w.areas["g2"].id)), ["第1个要素", "第2个要素", "重叠"]),
        (lambda w, c1: _fc(_feature(c1, id=w.areas["g1"].id)), ["第1个要素（id ", "重叠", "已有区域“c1社区第2网格”"]),
        (lambda w, c1: _fc(_feature(c1, id=999999)), ["区域 id 999999 不存在"]),
        (lambda w, c1: _fc(_feature(c1, path="普陀区/没有这个街道/某社区")), ["上级区域不存在"]),
        (lambda w, c1: _fc(_feature(shapely.transform(c1, lambda c: c[:, ::-1]), id=w.areas["g1"].id)), ["超出中国范围"]),
        (lambda w, c1: _fc({"type": "Feature", "properties": {"id": w.areas["g1"].id}, "geometry": {"type": "Point", "coordinates": [122.4, 29.9]}}), ["Polygon"]),
        (lambda w, c1: _fc({"type": "Feature", "properties": {"name": "x"}, "geometry": mapping(c1)}), ["须有 id", "path"]),
        (lambda w, c1: _fc(_feature(c1, id=w.areas["g1"].id), _feature(box(0, 0, 1, 1), id=w.areas["g2"].id)), ["第2个要素", "超出中国范围"]),
        (lambda w, c1: _fc(_feature(c1, id=w.areas["g1"].id, level="community")), ["level"]),
        (lambda w, c1: {"type": "Feature"}, ["FeatureCollection"]),
        (lambda w, c1: _fc(), ["没有要素"]),
    ],
)
def test_bad_import_is_refused_naming_the_feature_and_writes_nothing(session, make, expected):
    w = make_world(session)
    session.flush()
    before = _stored(session)
    c1 = from_geojson(w.areas["c1"].geometry)
    with pytest.raises(ImportRefused) as err:
        import_areas(session, make(w, c1), actor=cli_actor())
    for piece in expected:
        assert piece in err.value.message, err.value.message
    session.flush()
    assert _stored(session) == before
    assert not session.exec(select(AuditLog).where(AuditLog.action == "area.geometry")).all()


def test_only_an_administrator_may_import(session):
    w = make_world(session)
    c1 = from_geojson(w.areas["c1"].geometry)
    with pytest.raises(DomainError):
        import_areas(session, _fc(_feature(c1, id=w.areas["c1"].id)), actor=w.actors["leader"])


def test_areas_command_refuses_a_bad_file_and_imports_a_good_one(fresh_engine, tmp_path):
    eng = fresh_engine
    url = eng.url.render_as_string(hide_password=False)
    with Session(eng, expire_on_commit=False) as s:
        w = make_world(s)
        s.commit()
    g1_id, g2_id = w.areas["g1"].id, w.areas["g2"].id
    left, right = _halves(from_geojson(w.areas["c1"].geometry))
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(_fc(_feature(left, id=g1_id), _feature(left, id=g2_id))), encoding="utf-8")
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(_fc(_feature(left, id=g1_id), _feature(right, id=g2_id))), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "rxapp.areas", "--db", url, "import", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    out = run(str(bad))
    assert out.returncode == 2 and "第1个要素" in out.stderr and "第2个要素" in out.stderr and "重叠" in out.stderr
    out = run(str(tmp_path / "missing.geojson"))
    assert out.returncode == 2 and "文件不存在" in out.stderr
    out = run(str(good), "--dry-run")
    assert out.returncode == 0 and "未写入" in out.stdout
    with Session(eng) as s:
        assert s.get(Area, g1_id).geo_rev == 0
    out = run(str(good))
    assert out.returncode == 0 and "更新 2" in out.stdout, out.stderr
    with Session(eng) as s:
        assert s.get(Area, g1_id).geo_rev == 1
        p = left.representative_point()
        assert from_geojson(s.get(Area, g1_id).geometry).contains(Point(p.x, p.y))
