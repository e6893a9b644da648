"""Public read models and self-service: track, submit limits, evaluate by SMS
code, the frozen monthly board, promises, scores, party members."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from rxapp.domain import cases as C
from rxapp.domain import public as P
from rxapp.domain.clock import month_key, now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.models import Area, BoardPublication, CaseStatus, Evaluation, Sms, TeamMember
from tests.domain.cases_support import PHONE, drive


def _resolved(session, world):
    return drive(session, world, CaseStatus.RESOLVED)


def _otp(session, case_id) -> str:
    sms = session.exec(select(Sms).where(Sms.case_id == case_id, Sms.template == "evaluation_otp").order_by(Sms.id.desc())).first()
    return re.search(r"验证码(\d{6})", sms.text).group(1)


def test_track_needs_the_matching_phone_tail_and_shows_no_requester_data(session, world):
    case = _resolved(session, world)
    view = P.track_case(session, code=case.code, tail=PHONE[-4:])
    assert view.code == case.code and view.status == CaseStatus.RESOLVED
    assert view.promise_state == P.PROMISE_KEPT
    assert [e.action for e in view.timeline][0] == "提交诉求"
    dump = repr(view)
    assert "王小明" not in dump and PHONE not in dump
    with pytest.raises(NotFound):
        P.track_case(session, code=case.code, tail="0000")
    with pytest.raises(DomainError):
        P.track_case(session, code={"x": 1}, tail=PHONE[-4:])


def test_public_timeline_hides_internal_notes_and_staff_names(session, world):
    case = drive(session, world, CaseStatus.IN_PROGRESS)
    C.add_note(session, actor=world.actors["dept_env"], case_id=case.id, expected_version=case.version, note="内部：联系人很难缠")
    view = P.track_case(session, code=case.code, tail=PHONE[-4:])
    assert all("难缠" not in e.note for e in view.timeline)
    assert all(e.by != "dept_env" for e in view.timeline)


def test_public_submit_is_rate_limited_per_phone(session, world):
    g1 = world.areas["g1"].id
    codes = [P.public_submit(session, data={"content": f"路灯坏了第{i}次", "phone": "13900001111", "grid_id": g1}) for i in range(P.SUBMITS_PER_PHONE_PER_DAY)]
    assert len(set(codes)) == P.SUBMITS_PER_PHONE_PER_DAY
    assert session.exec(select(Sms).where(Sms.phone == "13900001111")).all()
    with pytest.raises(DomainError) as err:
        P.public_submit(session, data={"content": "路灯又坏了", "phone": "13900001111", "grid_id": g1})
    assert err.value.field == "phone"


def test_public_submit_is_rate_limited_per_address(session, world):
    g1 = world.areas["g1"].id
    for i in range(P.SUBMITS_PER_ADDRESS_PER_DAY):
        P.public_submit(session, data={"content": f"噪音扰民{i}", "phone": f"1390000200{i}", "address": "海景路1号", "grid_id": g1})
    with pytest.raises(DomainError) as err:
        P.public_submit(session, data={"content": "噪音扰民", "phone": "13900002999", "address": "海景路1号", "grid_id": g1})
    assert err.value.field == "address"


def test_public_submit_requires_a_valid_mobile(session, world):
    with pytest.raises(DomainError):
        P.public_submit(session, data={"content": "路灯坏了", "phone": "12345", "grid_id": world.areas["g1"].id})


def test_requester_evaluates_once_with_the_sms_code(session, world):
    case = _resolved(session, world)
    P.request_evaluation_code(session, code=case.code, tail=PHONE[-4:])
    otp = _otp(session, case.id)
    with pytest.raises(DomainError):
        P.evaluate_with_code(session, code=case.code, tail=PHONE[-4:], otp="000000" if otp != "000000" else "111111", satisfaction="satisfied", score=5)
    view = P.evaluate_with_code(session, code=case.code, tail=PHONE[-4:], otp=otp, satisfaction="satisfied", score=5, comment="很好")
    assert view.status == CaseStatus.CLOSED and view.score == 5
    ev = session.exec(select(Evaluation).where(Evaluation.case_id == case.id)).one()
    assert ev.kind == "requester" and ev.rater_user_id is None
    with pytest.raises(DomainError):
        P.evaluate_with_code(session, code=case.code, tail=PHONE[-4:], otp=otp, satisfaction="satisfied", score=5)
    with pytest.raises(DomainError):
        P.request_evaluation_code(session, code=case.code, tail=PHONE[-4:])


def test_unsatisfied_requester_reopens_the_case(session, world):
    case = _resolved(session, world)
    P.request_evaluation_code(session, code=case.code, tail=PHONE[-4:])
    view = P.evaluate_with_code(session, code=case.code, tail=PHONE[-4:], otp=_otp(session, case.id), satisfaction="unsatisfied", score=1)
    assert view.status == CaseStatus.IN_PROGRESS


def test_evaluation_code_cannot_be_requested_before_resolution(session, world):
    case = drive(session, world, CaseStatus.IN_PROGRESS)
    with pytest.raises(DomainError):
        P.request_evaluation_code(session, code=case.code, tail=PHONE[-4:])


def test_board_is_public_only_after_a_leader_publishes_it_and_then_frozen(session, world):
    case = drive(session, world, CaseStatus.CLOSED)
    month = month_key(case.submitted_at)
    comm = world.areas["c1"].id
    assert P.published_board(session, community_id=comm, month=month) is None
    live = P.live_board(session, community_id=comm, month=month)
    row = next(r for r in live.rows if r.code == case.code)
    assert row.score == 5 and row.promise == P.PROMISE_KEPT
    with pytest.raises(AccessDenied):
        P.publish_board(session, actor=world.actors["dispatcher"], community_id=comm, month=month)
    with pytest.raises(AccessDenied):
        P.publish_board(session, actor=world.actors["leader_changguo"], community_id=comm, month=month)
    P.publish_board(session, actor=world.actors["leader_zhujiajian"], community_id=comm, month=month)
    board = P.published_board(session, community_id=comm, month=month)
    assert board.published and any(r.code == case.code and r.score == 5 for r in board.rows)
    assert all("王小明" not in r.summary for r in board.rows)
    with pytest.raises(DomainError):
        P.publish_board(session, actor=world.actors["leader_zhujiajian"], community_id=comm, month=month)
    assert P.published_months(session, community_id=comm) == [month]
    assert session.exec(select(BoardPublication)).first().rows_json


def test_batch_publish_is_all_or_nothing_and_opens_the_default_board(session, world):
    case = drive(session, world, CaseStatus.CLOSED)
    month = month_key(case.submitted_at)
    c1, c2 = world.areas["c1"].id, world.areas["c2"].id
    assert P.default_board_community(session) is None
    # a community outside the township leader's scope refuses the whole batch
    outside = next(a.id for k, a in world.areas.items() if a.level == "community" and not a.path.startswith(world.areas["zhujiajian"].path))
    with pytest.raises(AccessDenied):
        P.publish_boards(session, actor=world.actors["leader_zhujiajian"], community_ids=[c1, outside], month=month)
    assert session.exec(select(BoardPublication)).first() is None
    with pytest.raises(DomainError):
        P.publish_boards(session, actor=world.actors["leader"], community_ids=[c1], month="2999-01")
    with pytest.raises(DomainError):
        P.publish_boards(session, actor=world.actors["leader"], community_ids=[], month=month)
    boards = P.publish_boards(session, actor=world.actors["leader_zhujiajian"], community_ids=[c2, c1, str(c1)], month=month)
    assert [b.community_id for b in boards] == [c2, c1]
    # each batch board equals the one-community live board
    for b in boards:
        assert b.rows == P.live_board(session, community_id=b.community_id, month=month).rows
    assert any(r.code == case.code for r in boards[1].rows)
    # the default: the first community (area order) whose latest board lists requests
    first_with_rows = min((b for b in boards if b.rows), key=lambda b: session.get(Area, b.community_id).path)
    assert P.default_board_community(session) == first_with_rows.community_id
    P.publish_boards(session, actor=world.actors["leader_zhujiajian"], community_ids=[c1, c2], month="2000-01")  # older, empty
    assert P.default_board_community(session) == first_with_rows.community_id  # the latest board counts
    assert P.area_lineage(session, c1) == [world.areas["zhujiajian"].parent_id, world.areas["zhujiajian"].id, c1]
    with pytest.raises(DomainError):
        P.publish_boards(session, actor=world.actors["leader"], community_ids=[c1], month=month)


def test_party_members_count_their_households_open_and_overdue_items(session, world):
    tm, hh = _linked_party_member(session, world)
    open_case = drive(session, world, CaseStatus.IN_PROGRESS)
    done = drive(session, world, CaseStatus.CLOSED)
    for c in (open_case, done):
        c.requester_household_id = hh.id
        session.add(c)
    session.flush()
    rows = {m.id: m for m in P.party_members(session, actor=world.actors["leader_zhujiajian"])}
    me = rows[tm.id]
    assert (me.households, me.open) == (1, 1) and me.overdue == 0
    late = P.party_members(session, actor=world.actors["leader_zhujiajian"], at=open_case.deadline + timedelta(days=1))
    assert next(m for m in late if m.id == tm.id).overdue == 1
    assert late[0].open >= me.open  # most open first


def test_promise_state_marks_open_cases_past_their_promise_as_broken(session, world):
    case = drive(session, world, CaseStatus.IN_PROGRESS)
    assert P.promise_state(case) == P.PROMISE_PENDING
    assert P.promise_state(case, at=case.promise_due.replace(year=case.promise_due.year + 1)) == P.PROMISE_BROKEN


def test_team_scores_for_leaders_only(session, world):
    case = drive(session, world, CaseStatus.CLOSED)
    rows = P.team_scores(session, actor=world.actors["leader_zhujiajian"], area_id=world.areas["zhujiajian"].id, month=month_key(now()))
    assert any(r.kind == "群众评价" and r.mean_score == 5 for r in rows)
    assert case.team_id in {r.team_id for r in rows}
    with pytest.raises(AccessDenied):
        P.team_scores(session, actor=world.actors["member"], area_id=world.areas["zhujiajian"].id, month=month_key(now()))


def test_party_members_overdue_are_masked(session, world):
    tm = TeamMember(team_id=world.teams["g1"].id, name="陈建国", party_member=True)
    session.add(tm)
    session.flush()
    hh = world.households["g1"][0]
    hh.party_member_id = tm.id
    session.add(hh)
    session.flush()
    case = drive(session, world, CaseStatus.IN_PROGRESS)
    case.requester_household_id = hh.id
    session.add(case)
    session.flush()
    later = case.deadline.replace(year=case.deadline.year + 1)
    rows = P.party_members_overdue(session, at=later)
    assert [(r.member, r.overdue) for r in rows] == [("陈**", 1)]


def test_kpi_lines_and_top_categories(session, world):
    drive(session, world, CaseStatus.CLOSED)
    lines = P.kpi_lines(session)
    assert lines[0].level == "city" and {line.period for line in lines} == {"本月", "本年"}
    assert isinstance(P.top_categories(session), list)


def _linked_party_member(session, world):
    tm = TeamMember(team_id=world.teams["g1"].id, name="陈建国", party_member=True)
    session.add(tm)
    session.flush()
    hh = world.households["g1"][0]
    hh.party_member_id = tm.id
    session.add(hh)
    session.flush()
    return tm, hh


def test_handbook_lists_linked_households_requests_and_how_they_were_resolved(session, world):
    tm, hh = _linked_party_member(session, world)
    case = drive(session, world, CaseStatus.CLOSED)
    case.requester_household_id = hh.id
    session.add(case)
    session.flush()
    assert tm.id in {m.id for m in P.party_members(session, actor=world.actors["leader_zhujiajian"])}
    assert tm.id not in {m.id for m in P.party_members(session, actor=world.actors["leader_changguo"])}
    hb = P.handbook(session, actor=world.actors["member"], member_id=tm.id)
    assert [(c.code, c.promise, c.satisfaction) for c in hb.cases] == [(case.code, P.PROMISE_KEPT, "满意")]
    with pytest.raises(AccessDenied):
        P.handbook(session, actor=world.actors["member_g4"], member_id=tm.id)
    with pytest.raises(AccessDenied):
        P.handbook(session, actor=world.actors["leader_changguo"], member_id=tm.id)


def test_monthly_assessment_is_recorded_once_per_kind_and_month(session, world):
    tm, _ = _linked_party_member(session, world)
    ev = P.record_assessment(session, actor=world.actors["member"], member_id=tm.id, kind="household_rep", period="2026-10", score="4", comment="联系群众及时")
    assert ev.kind == "household_rep" and ev.period == "2026-10" and ev.team_id == world.teams["g1"].id
    P.record_assessment(session, actor=world.actors["leader_zhujiajian"], member_id=tm.id, kind="leader", period="2026-10", score=5)
    with pytest.raises(DomainError):
        P.record_assessment(session, actor=world.actors["member"], member_id=tm.id, kind="household_rep", period="2026-10", score=3)
    with pytest.raises(DomainError):
        P.record_assessment(session, actor=world.actors["member"], member_id=tm.id, kind="peer", period="2026-11", score=3)
    with pytest.raises(AccessDenied):
        P.record_assessment(session, actor=world.actors["dept_env"], member_id=tm.id, kind="leader", period="2026-11", score=3)
    hb = P.handbook(session, actor=world.actors["leader"], member_id=tm.id)
    assert sorted((a.kind, a.score) for a in hb.assessments) == [("户代表评议", 4), ("社区党组织评议", 5)]
