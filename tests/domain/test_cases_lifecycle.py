"""The case lifecycle end to end and each action's rules."""

from datetime import timedelta

import pytest
from sqlmodel import select

from rxapp.domain import cases as C
from rxapp.domain.classify import AUTO_ACCEPT_CONFIDENCE, classify
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition
from rxapp.domain.queries import triage_queue
from rxapp.domain.workdays import add_workdays, extend_deadline, parse_schedule_text
from rxapp.models import Case, CaseStatus, Category, Evaluation, HolidaySchedule
from tests.domain.cases_support import CONFIDENT_ENV, PHONE, VAGUE, drive, events, sms_for, submit

S = CaseStatus


def test_happy_path_from_public_submit_to_closed(session, world):
    a = world.actors
    case = submit(session, world, VAGUE, actor=None)
    assert case.status == S.SUBMITTED and case.version == 1
    assert case.code.startswith("ZS" + case.submitted_at.strftime("%Y%m%d")) and len(case.code) == 14
    assert case.township_id == world.areas["zhujiajian"].id and case.community_id == world.areas["c1"].id
    assert case.district_id == world.areas["putuo"].id and case.team_id == world.teams["g1"].id
    assert [m.template for m in sms_for(session, case.id)] == ["reply_code"]

    case = C.accept_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=1, category_code="ENV")
    assert case.status == S.ACCEPTED and case.accepted_at is not None and not case.auto_accepted
    expected = add_workdays(case.accepted_at, 5)
    assert case.deadline == expected.due and case.deadline_provisional == expected.provisional
    assert case.promise_owner == "生态环境局" and case.promise_due == case.deadline
    assert case.promise_text == f"由生态环境局于{case.deadline.year}年{case.deadline.month}月{case.deadline.day}日前办理并答复"
    accepted_sms = sms_for(session, case.id)[-1]
    assert accepted_sms.template == "accepted" and accepted_sms.phone == PHONE
    assert case.code in accepted_sms.text and f"{case.deadline.month}月{case.deadline.day}日" in accepted_sms.text

    case = C.route_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=2)
    assert case.status == S.ROUTED and case.department_id == world.ref.department_ids["ENV"]
    case = C.sign_case(session, actor=a["dept_env"], case_id=case.id, expected_version=3)
    assert case.status == S.IN_PROGRESS and case.signed_at is not None
    case = C.resolve_case(session, actor=a["dept_env"], case_id=case.id, expected_version=4, result_text="  已责令整改  ")
    assert case.status == S.RESOLVED and case.result_text == "已责令整改"
    resolved_sms = sms_for(session, case.id)[-1]
    assert resolved_sms.template == "resolved_with_evaluate_hint" and "已责令整改" in resolved_sms.text and "满意" in resolved_sms.text

    case = C.evaluate_case(session, actor=a["member"], case_id=case.id, expected_version=5, satisfaction="basic", score=4)
    assert case.status == S.CLOSED and case.closed_at and case.followed_up_at and case.satisfaction == "basic"
    evaluation = session.exec(select(Evaluation).where(Evaluation.case_id == case.id)).one()
    assert (evaluation.kind, evaluation.score, evaluation.team_id) == ("requester", 4, world.teams["g1"].id)

    timeline = events(session, case.id)
    assert [e.action for e in timeline] == ["submit", "accept", "route", "sign", "resolve", "evaluate"]
    assert [e.version_after for e in timeline] == [1, 2, 3, 4, 5, 6] and case.version == 6
    assert all(e.public for e in timeline)
    assert timeline[3].actor_label == "生态环境局" and timeline[1].actor_label == "舟山市服务中心"
    assert all("dispatcher" not in e.actor_label and "dept_env" not in e.actor_label for e in timeline)


def test_confident_classification_is_accepted_and_routed_by_the_system(session, world):
    case = submit(session, world, CONFIDENT_ENV, actor=None)
    assert classify(CONFIDENT_ENV).confidence >= AUTO_ACCEPT_CONFIDENCE
    assert case.status == S.ROUTED and case.auto_accepted and case.version == 3
    assert case.department_id == world.ref.department_ids["ENV"] and case.category_id == world.ref.category_ids["ENV"]
    assert "油烟" in case.classify_terms and case.confidence >= AUTO_ACCEPT_CONFIDENCE
    timeline = events(session, case.id)
    assert [(e.action, e.actor_label) for e in timeline[1:]] == [("accept", "系统自动受理"), ("route", "系统自动受理")]
    assert [m.template for m in sms_for(session, case.id)] == ["accepted"]  # the code comes with it
    assert case.deadline == add_workdays(case.accepted_at, 5).due


def test_vague_request_waits_in_the_triage_queue(session, world):
    case = submit(session, world, VAGUE, actor=None)
    assert case.status == S.SUBMITTED and not case.auto_accepted and case.accepted_at is None
    queue = triage_queue(session, actor=world.actors["dispatcher_zhujiajian"])
    assert case.code in [row.code for row in queue]
    assert case.code not in [row.code for row in triage_queue(session, actor=world.actors["admin"]) if row.status != "submitted"]
    with pytest.raises(AccessDenied):
        triage_queue(session, actor=world.actors["dept_env"])


def test_classification_uses_the_keywords_administrators_edited(session, world):
    text = "门口总有小黄狗乱窜"
    assert not classify(text).auto_accept
    env = session.get(Category, world.ref.category_ids["ENV"])
    env.keywords = env.keywords + "、小黄狗:5"
    session.add(env)
    session.commit()
    case = submit(session, world, text, actor=None)
    assert case.auto_accepted and case.category_id == env.id and "小黄狗" in case.classify_terms


def test_staff_chosen_category_is_kept_for_the_dispatcher_to_confirm(session, world):
    case = submit(session, world, CONFIDENT_ENV, actor="member", channel="visit", category_code="health")
    assert case.status == S.SUBMITTED and case.category_id == world.ref.category_ids["HEALTH"]
    case = C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=1)
    assert case.category_id == world.ref.category_ids["HEALTH"]
    assert events(session, case.id)[-1].note == ""  # no override


def test_public_cannot_use_staff_channels_or_link_records(session, world):
    with pytest.raises(AccessDenied):
        submit(session, world, VAGUE, actor=None, channel="desk")
    hh = world.households["g1"][0]
    case = submit(session, world, VAGUE, actor=None, household_id=hh.id)
    assert case.requester_household_id is None


def test_category_override_at_accept_is_recorded_with_old_and_new(session, world):
    case = submit(session, world, VAGUE)
    old = session.get(Category, case.category_id)
    case = C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=1, category_code="SAFETY", note="涉及治安")
    note = events(session, case.id)[-1].note
    assert old.name_zh in note and "社会治安与安全生产" in note and "涉及治安" in note
    assert case.deadline == add_workdays(case.accepted_at, 3).due and case.promise_owner == "公安局"


def test_accept_needs_a_category_when_none_was_suggested(session, world):
    case = submit(session, world, VAGUE)
    session.exec(select(Case).where(Case.id == case.id)).one().category_id = None
    session.commit()
    with pytest.raises(DomainError) as err:
        C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=1)
    assert err.value.field == "category_code"


def test_deadline_follows_the_administrators_holiday_schedule(session, world):
    start = now().date() + timedelta(days=1)
    end = min(start + timedelta(days=12), start.replace(month=12, day=31))
    text = f"{start.isoformat()}~{end.isoformat()} 休 测试假期"
    session.add(HolidaySchedule(year=start.year, text=text, updated_at=now()))
    session.commit()
    case = drive(session, world, S.ACCEPTED)
    overrides = {start.year: parse_schedule_text(start.year, text)}
    assert case.deadline == add_workdays(case.accepted_at, 5, overrides).due
    assert case.deadline.date() > end


def test_submit_validation(session, world):
    g1 = world.areas["g1"].id
    bad = [
        ({"content": " 好 ", "grid_id": g1, "requester_phone": PHONE}, "content"),
        ({"content": "长" * 2001, "grid_id": g1, "requester_phone": PHONE}, "content"),
        ({"content": "路灯坏了好几天", "grid_id": g1, "requester_phone": "12345"}, "requester_phone"),
        ({"content": "路灯坏了好几天", "grid_id": g1}, "requester_phone"),  # web needs a phone
        ({"content": "路灯坏了好几天", "grid_id": world.areas["c1"].id, "requester_phone": PHONE}, "grid_id"),
        ({"content": "路灯坏了好几天", "grid_id": 10**9, "requester_phone": PHONE}, "grid_id"),
        ({"content": "路灯坏了好几天", "grid_id": "abc", "requester_phone": PHONE}, "grid_id"),
        ({"content": "路灯坏了好几天", "requester_phone": PHONE}, "grid_id"),
        ({"content": "路灯坏了好几天", "grid_id": g1, "requester_phone": PHONE, "category_code": "NOPE"}, "category_code"),
        ({"content": 12345, "grid_id": g1, "requester_phone": PHONE}, "content"),
    ]
    for data, field in bad:
        with pytest.raises(DomainError) as err:
            C.submit_case(session, actor=None, data=data, channel="web")
        assert type(err.value) is DomainError and err.value.field == field, data
    for garbage in (None, "text", 42, ["x"]):
        with pytest.raises(DomainError):
            C.submit_case(session, actor=None, data=garbage, channel="web")
    with pytest.raises(DomainError) as err:
        C.submit_case(session, actor=None, data={"content": "路灯坏了", "grid_id": g1, "requester_phone": PHONE}, channel="pigeon")
    assert err.value.field == "channel"
    # a desk request needs no phone, and a phone is normalised
    case = submit(session, world, "路灯坏了好几天", requester_phone="")
    assert case.requester_phone == ""
    case = submit(session, world, "路灯坏了好几天", requester_phone="+86 138-0000-1234")
    assert case.requester_phone == PHONE


def test_intake_ignores_fields_a_client_may_not_set(session, world):
    case = submit(
        session, world, VAGUE, actor=None,
        status="closed", code="ZS000000000001", version=99, auto_accepted=True, department_id=1, flagged=True, score=5,
    )
    assert (case.status, case.version, case.auto_accepted, case.department_id, case.flagged, case.score) == (
        S.SUBMITTED, 1, False, None, False, None,
    )
    assert case.code != "ZS000000000001"


def test_codes_count_up_per_day(session, world):
    first = submit(session, world)
    second = submit(session, world)
    assert first.code[:10] == second.code[:10]
    assert int(second.code[10:]) == int(first.code[10:]) + 1


def test_sms_intake_is_idempotent_on_the_message_id(session, world):
    one = submit(session, world, VAGUE, actor=None, channel="sms", source_ref="msg-1")
    again = submit(session, world, VAGUE, actor=None, channel="sms", source_ref="msg-1")
    assert one.id == again.id and len(events(session, one.id)) == 1


def test_reject_needs_a_reason_and_tells_the_requester(session, world):
    case = submit(session, world)
    for reason in ("", "  ", None, 5, "x" * 501):
        with pytest.raises(DomainError) as err:
            C.reject_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=1, reason=reason)
        assert err.value.field == "reason"
    case = C.reject_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=1, reason="属于民事纠纷，请通过诉讼解决")
    assert case.status == S.REJECTED and case.reject_reason.startswith("属于民事纠纷")
    sms = sms_for(session, case.id)[-1]
    assert sms.template == "rejected" and "属于民事纠纷" in sms.text and case.code in sms.text
    with pytest.raises(InvalidTransition):
        C.accept_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=2, category_code="ENV")


def test_return_goes_back_to_the_dispatcher_and_can_be_rerouted(session, world):
    a = world.actors
    case = drive(session, world, S.IN_PROGRESS)
    with pytest.raises(DomainError):
        C.return_case(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, reason="")
    case = C.return_case(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, reason="属于公安局职责")
    assert case.status == S.ACCEPTED and case.department_id is None and case.return_count == 1
    assert case.routed_at is None and case.signed_at is None and case.deadline is not None
    assert events(session, case.id)[-1].public is False
    assert C.allowed_actions(a["dept_env"], case) == []
    case = C.route_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, department_id=world.ref.department_ids["SAFETY"])
    assert case.status == S.ROUTED and case.promise_owner == "公安局" and "公安局" in case.promise_text
    case = C.sign_case(session, actor=a["dept_other"], case_id=case.id, expected_version=case.version)
    assert case.status == S.IN_PROGRESS
    with pytest.raises(DomainError) as err:
        C.route_case(session, actor=a["dispatcher"], case_id=drive(session, world, S.ACCEPTED).id, expected_version=2, department_id=10**8)
    assert err.value.field == "department_id"


def test_extension_moves_the_deadline_once_and_tells_the_requester(session, world):
    a = world.actors
    case = drive(session, world, S.IN_PROGRESS)
    before = case.deadline
    for days in (0, 16, "3天", None, 2.5, True):
        with pytest.raises(DomainError) as err:
            C.request_extension(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, days=days, reason="需要协调")
        assert err.value.field == "days"
    case = C.request_extension(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, days=3, reason="需要协调多个部门")
    with pytest.raises(InvalidTransition):  # already pending
        C.request_extension(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, days=3, reason="再延")
    with pytest.raises(DomainError):
        C.decide_extension(session, actor=a["leader_zhujiajian"], case_id=case.id, expected_version=case.version, approve="yes")
    case = C.decide_extension(session, actor=a["leader_zhujiajian"], case_id=case.id, expected_version=case.version, approve=True)
    assert case.extended and case.deadline == extend_deadline(before, 3).due and case.promise_due == case.deadline
    sms = sms_for(session, case.id)[-1]
    assert sms.template == "extended" and f"{case.deadline.month}月{case.deadline.day}日" in sms.text
    with pytest.raises(InvalidTransition):
        C.request_extension(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, days=2, reason="还要再延")
    with pytest.raises(InvalidTransition):
        C.decide_extension(session, actor=a["leader"], case_id=case.id, expected_version=case.version, approve=True)


def test_refused_extension_keeps_the_deadline_and_may_be_asked_again(session, world):
    a = world.actors
    case = drive(session, world, S.IN_PROGRESS, pending_extension=True)
    before = case.deadline
    case = C.decide_extension(session, actor=a["leader"], case_id=case.id, expected_version=case.version, approve=False, note="请按期办结")
    assert not case.extended and case.deadline == before and case.extension_requested_days is None
    assert events(session, case.id)[-1].public is False
    assert "request_extension" in C.allowed_actions(a["dept_env"], case)


def test_unsatisfied_reopens_once_then_closes_flagged(session, world):
    a = world.actors
    case = drive(session, world, S.RESOLVED)
    for sat, score in (("great", 5), (None, 5), ("satisfied", 0), ("satisfied", 6), ("satisfied", "five"), ("satisfied", True)):
        with pytest.raises(DomainError):
            C.evaluate_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, satisfaction=sat, score=score)
    case = C.evaluate_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, satisfaction="unsatisfied", score=1, comment="油烟还在")
    assert case.status == S.IN_PROGRESS and case.reopen_count == 1 and case.flagged and case.resolved_at is None
    assert case.deadline == add_workdays(case.evaluated_at, 5).due and case.department_id == world.ref.department_ids["ENV"]
    case = C.resolve_case(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, result_text="再次整改")
    case = C.evaluate_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, satisfaction="unsatisfied", score=2)
    assert case.status == S.CLOSED and case.flagged and case.reopen_count == 1
    assert len(session.exec(select(Evaluation).where(Evaluation.case_id == case.id)).all()) == 2


def test_mark_duplicate_links_an_existing_other_case(session, world):
    a = world.actors
    original = drive(session, world, S.ROUTED)
    case = submit(session, world)
    for code, field in ((case.code, "duplicate_of_code"), ("ZS209901019999", "duplicate_of_code"), ("abc", "duplicate_of_code"), (12, "duplicate_of_code")):
        with pytest.raises(DomainError) as err:
            C.mark_duplicate(session, actor=a["dispatcher"], case_id=case.id, expected_version=1, duplicate_of_code=code)
        assert err.value.field == field
    # an original outside the dispatcher's area is as good as unknown
    far = submit(session, world, grid="g4")
    with pytest.raises(DomainError):
        C.mark_duplicate(session, actor=a["dispatcher_zhujiajian"], case_id=case.id, expected_version=1, duplicate_of_code=far.code)
    case = C.mark_duplicate(session, actor=a["dispatcher"], case_id=case.id, expected_version=1, duplicate_of_code=original.code.lower())
    assert case.status == S.DUPLICATE and case.duplicate_of_id == original.id
    assert original.code in events(session, case.id)[-1].note
    with pytest.raises(InvalidTransition):
        C.mark_duplicate(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, duplicate_of_code=original.code)


def test_resolved_case_can_be_closed_without_evaluation(session, world):
    case = drive(session, world, S.RESOLVED)
    case = C.close_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version, note="多次联系未接通")
    assert case.status == S.CLOSED and case.closed_at is not None and case.satisfaction is None


def test_dispatcher_answers_a_simple_matter_at_once(session, world):
    case = drive(session, world, S.ACCEPTED, category="LEGAL")
    case = C.resolve_case(session, actor=world.actors["dispatcher"], case_id=case.id, expected_version=case.version, result_text="已当场解答政策问题")
    assert case.status == S.RESOLVED and case.department_id is None


def test_leader_supervises_and_comments_staff_note_and_reply(session, world):
    a = world.actors
    case = drive(session, world, S.IN_PROGRESS)
    with pytest.raises(DomainError):
        C.supervise_case(session, actor=a["leader"], case_id=case.id, expected_version=case.version, note="")
    case = C.supervise_case(session, actor=a["leader_putuo"], case_id=case.id, expected_version=case.version, note="请三日内办结")
    assert case.supervised
    case = C.comment_case(session, actor=a["leader"], case_id=case.id, expected_version=case.version, note="态度很好")
    case = C.add_note(session, actor=a["member"], case_id=case.id, expected_version=case.version, note="已上门了解情况")
    case = C.public_reply(session, actor=a["dept_env"], case_id=case.id, expected_version=case.version, text="已安排执法人员现场检查")
    timeline = events(session, case.id)
    assert [(e.action, e.public) for e in timeline[-4:]] == [("supervise", False), ("comment", False), ("add_note", False), ("public_reply", True)]
    assert timeline[-1].actor_label == "生态环境局" and case.status == S.IN_PROGRESS
    closed = drive(session, world, S.CLOSED)
    with pytest.raises(InvalidTransition):
        C.supervise_case(session, actor=a["leader"], case_id=closed.id, expected_version=closed.version, note="督办一下")
    C.comment_case(session, actor=a["leader"], case_id=closed.id, expected_version=closed.version, note="办得好")


def test_allowed_actions_follow_the_transition_table(session, world):
    a = world.actors
    case = drive(session, world, S.ROUTED)
    assert C.allowed_actions(a["dept_env"], case) == ["sign", "return", "add_note", "public_reply"]
    assert C.allowed_actions(a["dept_other"], case) == []
    assert C.allowed_actions(a["leader_changguo"], case) == []
    assert C.allowed_actions(a["leader_zhujiajian"], case) == ["supervise", "comment", "add_note"]
    assert C.allowed_actions(a["dispatcher"], case) == ["add_note", "public_reply", "mark_duplicate"]
    assert C.allowed_actions(None, case) == []
    for name, rule in C.TRANSITIONS.items():
        assert name in C.ACTION_FUNCTIONS and rule.from_states and rule.roles


def test_a_case_links_only_to_a_visit_of_its_own_grid(session, world):
    """A visit of another grid (or made up) cannot be attached to a case."""
    from datetime import date

    from rxapp.domain import cases as C
    from rxapp.domain.clock import now
    from rxapp.domain.errors import DomainError
    from rxapp.models import Visit

    member = world.actors["member"]
    hh_g4 = world.households["g4"][0]
    foreign = Visit(household_id=hh_g4.id, user_id=world.users["member_g4"].id, team_id=world.teams["g4"].id, visited_on=date.today(), created_at=now())
    session.add(foreign)
    session.flush()
    data = {"content": "楼道灯坏了很久没人修", "grid_id": world.areas["g1"].id, "visit_id": foreign.id}
    with pytest.raises(DomainError) as err:
        C.submit_case(session, actor=member, data=data, channel="visit")
    assert err.value.field == "visit_id"
    hh_g1 = world.households["g1"][0]
    own = Visit(household_id=hh_g1.id, user_id=world.users["member"].id, team_id=world.teams["g1"].id, visited_on=date.today(), created_at=now())
    session.add(own)
    session.flush()
    case = C.submit_case(session, actor=member, data={**data, "visit_id": own.id, "household_id": hh_g1.id}, channel="visit")
    assert case.visit_id == own.id
