"""Every intake channel places a request through the one resolver: the public
form by a tapped point, an address or “不清楚”; staff by a point alone; SMS by
the address in its text; and Open311 GET never shows a household's point."""

import pytest
from sqlmodel import select

from rxapp.domain import cases as C
from rxapp.domain import public as P
from rxapp.domain.errors import DomainError
from rxapp.domain.geo.datum import gcj02_to_wgs84
from rxapp.domain.geo.resolve import GeoError, resolve
from rxapp.domain.open311 import COORD_DECIMALS, _names, _request
from rxapp.domain.sms_inbound import receive_sms
from rxapp.models import Case, CaseStatus

TEXT = "小区门口路灯坏了好几天，晚上出行很不方便"


def _submit(session, **place):
    code = P.public_submit(session, data={"content": TEXT, "phone": "13900007777", **place})
    return session.exec(select(Case).where(Case.code == code)).one()


def test_public_submit_by_tapping_the_map_lands_in_the_tapped_grid(session, world):
    hh = world.households["g2"][0]
    case = _submit(session, lon=hh.lon, lat=hh.lat)
    assert case.grid_id == world.areas["g2"].id and (case.lon, case.lat) == (hh.lon, hh.lat)
    # the phone's own location arrives in WGS84 and is stored converted
    wlon, wlat = gcj02_to_wgs84(hh.lon, hh.lat)
    case = _submit(session, lon=wlon, lat=wlat, datum="wgs84")
    assert case.grid_id == world.areas["g2"].id and abs(case.lon - hh.lon) < 1e-6


def test_public_submit_by_address_names_the_grid_of_its_road(session, world):
    case = _submit(session, address="朱家尖街道c1社区g2甲路8号")
    assert case.grid_id == world.areas["g2"].id


def test_public_submit_says_where_it_is_before_sending(session, world):
    hh = world.households["g3"][0]
    where = resolve(session, lon=hh.lon, lat=hh.lat)
    assert where.place.label == "朱家尖街道 c2社区 第3网格"


def test_public_submit_with_place_unknown_goes_to_triage_with_the_address_text(session, world):
    # text that the rules would accept on their own: still a dispatcher's decision
    confident = "小区旁边的工厂晚上排放废气，气味刺鼻，环境污染严重，请环保部门查处"
    code = P.public_submit(session, data={"content": confident, "phone": "13900007778", "address": "昌国街道c3社区附近", "place_unknown": True})
    case = session.exec(select(Case).where(Case.code == code)).one()
    assert case.status == CaseStatus.SUBMITTED and not case.auto_accepted
    assert case.grid_id == world.areas["g4"].id and case.requester_address == "昌国街道c3社区附近"
    code = P.public_submit(session, data={"content": TEXT, "phone": "13900007779", "place_unknown": True})
    assert session.exec(select(Case).where(Case.code == code)).one().status == CaseStatus.SUBMITTED


def test_public_submit_refuses_a_point_at_sea_and_a_point_far_from_its_address(session, world):
    with pytest.raises(GeoError) as err:
        _submit(session, lon=123.3, lat=30.3)
    assert err.value.field == "location"
    far = world.households["g4"][0]  # 昌国街道
    with pytest.raises(GeoError) as err:
        _submit(session, lon=far.lon, lat=far.lat, address="朱家尖街道c1社区g1甲路3号")
    assert "不一致" in err.value.message
    with pytest.raises(DomainError) as err:
        _submit(session)
    assert err.value.field == "grid_id"


def test_staff_intake_with_only_a_point_finds_the_grid_and_still_checks_scope(session, world):
    hh = world.households["g1"][1]
    case = C.submit_case(session, actor=world.actors["member"], channel="visit",
                         data={"content": TEXT, "requester_phone": "13900008888", "lon": hh.lon, "lat": hh.lat})
    assert case.grid_id == world.areas["g1"].id
    elsewhere = world.households["g4"][0]
    with pytest.raises(DomainError):  # the member works in g1 only
        C.submit_case(session, actor=world.actors["member"], channel="visit",
                      data={"content": TEXT, "requester_phone": "13900008888", "lon": elsewhere.lon, "lat": elsewhere.lat})


def test_sms_naming_a_road_lands_in_that_grid_even_from_a_known_household_phone(session, world):
    home = world.households["g1"][0]
    result = receive_sms(session, sender=home.phone, text="g3甲路上的井盖丢了，很危险，请尽快处理", message_id="geo-sms-1")
    case = session.exec(select(Case).where(Case.code == result.case_code)).one()
    assert case.grid_id == world.areas["g3"].id
    result = receive_sms(session, sender=home.phone, text="家门口下水道堵了，请派人疏通", message_id="geo-sms-2")
    assert session.exec(select(Case).where(Case.code == result.case_code)).one().grid_id == world.areas["g1"].id


def test_open311_answer_never_carries_a_households_own_point(session, world):
    hh = world.households["g1"][0]
    case = C.submit_case(session, actor=world.actors["member"], channel="visit",
                         data={"content": TEXT, "requester_phone": hh.phone, "household_id": hh.id, "lon": hh.lon, "lat": hh.lat})
    answer = _request(case, _names(session, [case]))
    grid = world.areas["g1"]
    glon, glat = gcj02_to_wgs84(grid.label_lon, grid.label_lat)
    assert (answer["lat"], answer["long"]) == (round(glat, COORD_DECIMALS), round(glon, COORD_DECIMALS))
    hlon, hlat = gcj02_to_wgs84(hh.lon, hh.lat)
    # a pinned public report answers its own point, in WGS84, rounded
    pinned = _submit(session, lon=hh.lon, lat=hh.lat)
    answer = _request(pinned, _names(session, [pinned]))
    assert (answer["lat"], answer["long"]) == (round(hlat, COORD_DECIMALS), round(hlon, COORD_DECIMALS))
