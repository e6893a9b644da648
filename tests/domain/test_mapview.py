"""The map's data: measures per sub-area, case points, scope and geometry size."""

import json
from datetime import timedelta

import pytest

from rxapp.components import map_figures
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.geo import mapview as MV
from rxapp.models import CaseStatus
from tests.domain.cases_support import drive, submit


def test_city_map_has_the_four_districts_with_outlines_under_the_size_budget(session, world):
    data = MV.map_view(session, actor=world.actors["leader"])
    assert data.area_level == "city" and data.child_level == "district"
    assert {a.name for a in data.areas} == {"定海区", "普陀区", "岱山县", "嵊泗县"}
    names = {f["properties"]["name"] for f in data.outlines["features"]}
    assert names == {"定海区", "普陀区", "岱山县", "嵊泗县"}
    fig, _ = map_figures.choropleth(data.outlines, data.areas, "completion", "zh", bbox=data.outlines["bbox"], unit_key="map.unit.completion")
    assert len(json.dumps(fig, separators=(",", ":"), ensure_ascii=False).encode()) <= 300_000


def test_map_areas_carry_the_measures_of_their_scope(session, world):
    done = drive(session, world, CaseStatus.RESOLVED, grid="g1")
    waiting = drive(session, world, CaseStatus.ACCEPTED, grid="g3")
    # 办结率 counts the cases due: before any deadline there is no rate, after both one of two is done
    period = {"period": "custom", "date_from": done.submitted_at.date().isoformat()}
    early = MV.map_view(session, actor=world.actors["leader_zhujiajian"], query={**period, "date_to": done.submitted_at.date().isoformat()}, now=done.submitted_at)
    assert {a.name: a.completion for a in early.areas if a.name in ("c1社区", "c2社区")} == {"c1社区": None, "c2社区": None}
    later = max(done.deadline, waiting.deadline) + timedelta(days=1)
    data = MV.map_view(session, actor=world.actors["leader_zhujiajian"], query={**period, "date_to": later.date().isoformat()}, now=later)
    by_name = {a.name: a for a in data.areas}
    c1, c2 = by_name["c1社区"], by_name["c2社区"]
    assert (c1.accepted, c1.completion) == (1, 1.0)
    assert (c2.accepted, c2.completion) == (1, 0.0)
    assert c1.intake == pytest.approx(1000 / 6, abs=0.1)


def test_open_case_points_stay_inside_the_viewers_scope(session, world):
    submit(session, world, grid="g1", lon=122.39, lat=29.92)
    submit(session, world, grid="g4", lon=122.10, lat=30.02)
    mine = MV.map_view(session, actor=world.actors["leader_zhujiajian"])
    assert [(p.lon, p.lat) for p in mine.cases] == [(122.39, 29.92)]
    city = MV.map_view(session, actor=world.actors["leader"])
    assert city.cases_total == 2


def test_a_township_leader_cannot_map_another_township(session, world):
    with pytest.raises(AccessDenied):
        MV.map_view(session, actor=world.actors["leader_zhujiajian"], query={"area_id": world.areas["changguo"].id})


@pytest.mark.parametrize("who", ["member", "dept_env"])
def test_members_and_departments_get_no_map(session, world, who):
    with pytest.raises(AccessDenied):
        MV.map_view(session, actor=world.actors[who])


def test_public_townships_carry_aggregates_only(session, world):
    from rxapp.domain.clock import today

    rows, fc = MV.public_townships(session, date_from=today().replace(day=1), date_to=today())
    assert rows and fc["features"]
    assert set(MV.PublicArea.__dataclass_fields__) == {"id", "name", "accepted", "completion", "on_time", "satisfaction"}


@pytest.mark.parametrize("bad", ["", "abc", "1", "nan,1", "200,10", "1,2,3", None, 5, "9" * 80])
def test_a_bad_point_is_refused(bad):
    with pytest.raises(DomainError):
        MV.parse_point(bad)
