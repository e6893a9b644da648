"""Public states: what they do, and that no var they hold carries personal data."""

import re

import pytest
from sqlmodel import Session, select

from rxapp.db import get_engine
from rxapp.domain import cases as C
from rxapp.models import Case, CaseStatus, Sms
from rxapp.state.board_admin import BoardAdminState
from rxapp.state.public import (
    PublicBoardState,
    PublicEvaluateState,
    PublicHomeState,
    PublicSubmitState,
    PublicTrackState,
)
from tests.state.helpers import guard_allows, root_with_cookie
from reflex.istate.data import RouterData


def db_call(fn):
    with Session(get_engine()) as s:
        return fn(s)

PHONE = "13712345678"
NAME = "欧阳晓峰"
ADDRESS = "朱家尖街道c2社区海滨路88号"
PUBLIC_STATES = (PublicHomeState, PublicBoardState, PublicSubmitState, PublicTrackState, PublicEvaluateState)


def _all_vars(state) -> str:
    """Every var the client can receive: base and computed, of this state."""
    return repr(state.dict(include_computed=True))


def _assert_clean(text: str) -> None:
    for secret in (PHONE, NAME, "海滨路88号", PHONE[-4:] + "'"):
        assert secret not in text, secret


@pytest.mark.anyio
async def test_resident_submits_tracks_and_evaluates_with_no_personal_data_in_state(state_db, login_token):
    root = root_with_cookie(None)
    sub = await root.get_state(PublicSubmitState)
    await sub.load()
    sub.district_id = ""
    await sub.pick_district(str(state_db.areas["zhujiajian"].parent_id))
    await sub.pick_township(str(state_db.areas["zhujiajian"].id))
    await sub.pick_community(str(state_db.areas["c2"].id))
    sub.pick_grid(str(state_db.areas["g3"].id))
    await sub.submit({"content": "海滨路楼下饭店油烟很大，噪音扰民，污染严重", "phone": PHONE, "name": NAME, "address": ADDRESS})
    assert sub.error == "" and re.match(r"^ZS\d{12}$", sub.code)
    code = sub.code
    _assert_clean(_all_vars(sub))

    # staff work the case (domain calls)
    with Session(get_engine(), expire_on_commit=False) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        a = state_db.actors
        if case.status == CaseStatus.SUBMITTED:
            case = C.accept_case(s, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, category_code="ENV")
        if case.status == CaseStatus.ACCEPTED:
            case = C.route_case(s, actor=a["dispatcher"], case_id=case.id, expected_version=case.version)
        dept = a["dept_env"]  # the text is classified ENV with confidence
        case = C.sign_case(s, actor=dept, case_id=case.id, expected_version=case.version)
        C.resolve_case(s, actor=dept, case_id=case.id, expected_version=case.version, result_text=f"已联系{NAME}，路灯已修复")

    track = await root.get_state(PublicTrackState)
    await track.track({"code": code, "tail": "0000"})
    assert track.error and not track.case
    await track.track({"code": code, "tail": PHONE[-4:]})
    assert track.case["status"] == CaseStatus.RESOLVED
    assert any(e["action"] == "办结" for e in track.timeline)
    _assert_clean(_all_vars(track))

    ev = await root.get_state(PublicEvaluateState)
    await ev.request_code({"code": code, "tail": PHONE[-4:]})
    assert ev.step == 2 and ev.error == ""
    _assert_clean(_all_vars(ev))  # the tail lives in a backend-only var
    with Session(get_engine()) as s:
        sms = s.exec(select(Sms).where(Sms.phone == PHONE, Sms.template == "evaluation_otp").order_by(Sms.id.desc())).first()
    otp = re.search(r"验证码(\d{6})", sms.text).group(1)
    await ev.evaluate({"otp": otp, "satisfaction": "basic", "score": "4", "comment": "修得还行"})
    assert ev.step == 3 and ev.result["score"] == "4"
    _assert_clean(_all_vars(ev))


@pytest.mark.anyio
async def test_public_handlers_refuse_garbage_arguments(state_db):
    root = root_with_cookie(None)
    track = await root.get_state(PublicTrackState)
    await track.track({"code": {"$ne": 1}, "tail": ["1"]})
    assert track.error and not track.case
    sub = await root.get_state(PublicSubmitState)
    await sub.load()
    await sub.pick_district({"x": 1})
    assert sub.district_id == ""
    await sub.submit("not a dict")
    assert sub.error and not sub.code


@pytest.mark.anyio
async def test_home_state_holds_aggregates_only(state_db):
    root = root_with_cookie(None)
    home = await root.get_state(PublicHomeState)
    await home.load()
    assert home.loaded and home.lines and home.districts
    await home.pick_area(str(state_db.areas["putuo"].id))
    assert any("朱家尖街道" in line["area"] for line in home.lines)
    await home.pick_area({"evil": 1})
    assert home.area_id == "" and home.lines[0]["area"].startswith(state_db.areas["city"].name)
    _assert_clean(_all_vars(home))


@pytest.mark.anyio
async def test_guard_lets_anyone_use_public_states_but_only_leaders_publish(state_db, login_token):
    anon = root_with_cookie(None)
    for cls in PUBLIC_STATES:
        assert await guard_allows(anon, cls, "load" if cls is not PublicTrackState else "track")
    assert not await guard_allows(anon, BoardAdminState, "publish")
    assert not await guard_allows(root_with_cookie(login_token("member")), BoardAdminState, "publish")
    assert await guard_allows(root_with_cookie(login_token("leader_zhujiajian")), BoardAdminState, "publish")


@pytest.mark.anyio
async def test_leader_publishes_a_board_the_public_then_sees(state_db, login_token):
    from rxapp.domain.clock import month_key, today

    leader = root_with_cookie(login_token("leader_zhujiajian"))
    adm = await leader.get_state(BoardAdminState)
    await adm.load()
    assert adm.b_township == str(state_db.areas["zhujiajian"].id) and adm.b_month < month_key(today())
    await adm.set_month(month_key(today()))
    await adm.pick_community(str(state_db.areas["c1"].id))
    if not adm.published:
        await adm.publish()
        assert adm.error == "" and adm.published

    anon = root_with_cookie(None)
    board = await anon.get_state(PublicBoardState)
    await board.load()
    await board.pick_district(str(state_db.areas["zhujiajian"].parent_id))
    await board.pick_township(str(state_db.areas["zhujiajian"].id))
    await board.pick_community(str(state_db.areas["c1"].id))
    assert board.month == month_key(today()) and board.xlsx_url.endswith(board.month)

    # a fresh visit opens on a board: ?community= when it names a community, else the default one
    from rxapp.domain.public import default_board_community

    for query, expected in (("?community=" + str(state_db.areas["c1"].id), state_db.areas["c1"].id), ("?community=abc", None), ("", None)):
        root = root_with_cookie(None)
        root.router = RouterData.from_router_data({"headers": {}, "pathname": "/public/board", "asPath": "/public/board" + query})
        fresh = await root.get_state(PublicBoardState)
        await fresh.load()
        want = expected or db_call(default_board_community)
        assert want  # c1's board of this month at least
        assert fresh.community_id == str(want) and fresh.months and fresh.month == fresh.months[0] and fresh.community_name
        assert fresh.township_id and fresh.district_id


@pytest.mark.anyio
async def test_board_admin_refuses_anonymous_callers(state_db):
    from rxapp.domain.errors import AccessDenied

    anon = root_with_cookie(None)
    adm = await anon.get_state(BoardAdminState)
    with pytest.raises(AccessDenied):
        await adm.publish()


@pytest.mark.anyio
async def test_party_page_opens_on_the_members_with_their_open_items(state_db, login_token):
    from rxapp.domain import public as P
    from rxapp.domain.access import actor_for
    from rxapp.models import User
    from rxapp.state.party import PartyHandbookState

    root = root_with_cookie(login_token("leader_zhujiajian"))
    party = await root.get_state(PartyHandbookState)
    await party.load()
    assert party.members and party.member_id == ""
    leader = db_call(lambda s: actor_for(s, s.exec(select(User).where(User.username == "leader_zhujiajian")).one()))
    expected = db_call(lambda s: P.party_members(s, actor=leader))
    assert [(m["id"], m["open"], m["overdue"]) for m in party.members] == [(str(r.id), str(r.open), str(r.overdue)) for r in expected]
    opens = [int(m["open"]) for m in party.members]
    assert opens == sorted(opens, reverse=True)
    await party.pick_member(party.members[0]["id"])
    assert party.member_name == party.members[0]["name"] and party.error == ""
