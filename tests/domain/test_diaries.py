"""民情日记 and visits: members write for their own grid, no future dates,
empty or oversized texts refused next to the field, cases raised from a visit
(channel visit, linked), leaders comment within scope, and the monthly team
counts (team_activity) that the dashboard and the public board share."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from rxapp.domain import diaries as D
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import AccessDenied, DomainError, NotFound, StaleVersion
from rxapp.models import Case, CaseEvent, Channel, Diary, Visit


def _visits(world, grid="g1", n=2):
    return [{"household_id": h.id, "note": f"走访{h.representative}"} for h in world.households[grid][:n]]


def _write(session, world, actor="member", day=None, **extra):
    day = day or today()
    data = {"day": day if isinstance(day, str) else day.isoformat(), "heard": "楼道灯坏了，老人晚上出行不便", "done": "已登记", "followups": "三天后回访", "visits": _visits(world), **extra}
    return D.create_diary(session, actor=world.actors[actor], data=data)


def test_member_logs_a_diary_with_two_visits(session, world):
    diary = _write(session, world)
    visits = session.exec(select(Visit).where(Visit.diary_id == diary.id)).all()
    assert len(visits) == 2
    assert {v.visited_on for v in visits} == {today()}
    assert {v.team_id for v in visits} == {world.teams["g1"].id}
    assert diary.township_id == world.areas["zhujiajian"].id


def test_future_dates_are_refused(session, world):
    with pytest.raises(DomainError) as err:
        _write(session, world, day=today() + timedelta(days=1))
    assert err.value.field == "day" and err.value.message == "日记日期不能晚于今天"
    with pytest.raises(DomainError) as err:
        _write(session, world, day="2026-13-40")
    assert err.value.field == "day"
    with pytest.raises(DomainError) as err:
        _write(session, world, day=today() - timedelta(days=400))
    assert err.value.field == "day"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("heard", "", "请填写民情内容（听到了什么）"),
        ("heard", "   \n ", "请填写民情内容（听到了什么）"),
        ("heard", "民" * 2001, "民情内容（听到了什么）不能超过2000个字"),
        ("done", "做" * 2001, "做了什么不能超过2000个字"),
        ("followups", "跟" * 1001, "后续跟进不能超过1000个字"),
        ("heard", {"$gt": ""}, "格式不正确"),
    ],
)
def test_empty_or_oversized_texts_are_refused_next_to_the_field(session, world, field, value, message):
    with pytest.raises(DomainError) as err:
        _write(session, world, **{field: value})
    assert err.value.field == field
    assert message in err.value.message
    assert session.exec(select(func.count()).select_from(Diary)).one() == 0


def test_households_from_another_grid_or_twice_are_refused(session, world):
    with pytest.raises(DomainError) as err:
        _write(session, world, visits=_visits(world, "g4", 1))
    assert err.value.field == "visits" and "本网格" in err.value.message
    twice = _visits(world, "g1", 1) * 2
    with pytest.raises(DomainError) as err:
        _write(session, world, visits=twice)
    assert "重复" in err.value.message
    with pytest.raises(DomainError):
        _write(session, world, visits="1,2")
    with pytest.raises(DomainError):
        _write(session, world, visits=[{"household_id": "abc"}])
    with pytest.raises(DomainError) as err:
        _write(session, world, visits=[{"household_id": world.households["g1"][0].id, "note": "记" * 1001}])
    assert err.value.field == "visits"


@pytest.mark.parametrize("who", ["leader_zhujiajian", "admin", "dispatcher", "dept_env"])
def test_only_members_write_diaries(session, world, who):
    with pytest.raises(AccessDenied):
        _write(session, world, actor=who)


def test_author_edits_and_adds_a_visit_others_cannot(session, world):
    diary = _write(session, world, visits=[])
    m = world.actors["member"]
    D.update_diary(session, actor=m, diary_id=diary.id, data={"done": "已联系物业"}, expected_version=diary.version)
    assert session.get(Diary, diary.id).done == "已联系物业"
    with pytest.raises(StaleVersion):
        D.update_diary(session, actor=m, diary_id=diary.id, data={"done": "x"}, expected_version=1)
    D.add_visit(session, actor=m, diary_id=diary.id, household_id=world.households["g1"][2].id, note="补记")
    with pytest.raises(DomainError):
        D.add_visit(session, actor=m, diary_id=diary.id, household_id=world.households["g1"][2].id)
    with pytest.raises(AccessDenied):
        D.add_visit(session, actor=world.actors["member_g4"], diary_id=diary.id, household_id=world.households["g4"][0].id)
    with pytest.raises(AccessDenied):
        D.update_diary(session, actor=world.actors["leader_zhujiajian"], diary_id=diary.id, data={"done": "x"}, expected_version=2)


def test_raise_a_case_from_a_visit_links_it_with_channel_visit(session, world):
    diary = _write(session, world)
    visit = session.exec(select(Visit).where(Visit.diary_id == diary.id).order_by(Visit.id)).first()
    hh = world.households["g1"][0]
    prefill = D.visit_prefill(session, actor=world.actors["member"], visit_id=visit.id, household_id=hh.id)
    assert (prefill.household_id, prefill.grid_id, prefill.requester_name) == (hh.id, hh.grid_id, hh.representative)

    case = D.raise_case_from_visit(session, actor=world.actors["member"], visit_id=visit.id, data={"content": "楼道灯坏了，请尽快维修"})
    assert case.channel == Channel.VISIT
    assert case.visit_id == visit.id
    assert case.requester_household_id == hh.id
    assert case.team_id == world.teams["g1"].id
    assert case.requester_name == hh.representative
    assert session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).first().action == "submit"
    detail = D.diary_detail(session, actor=world.actors["member"], diary_id=diary.id)
    assert [c.code for c in detail.visits[0].cases] == [case.code]


def test_raise_a_case_refuses_other_teams_and_bad_input(session, world):
    diary = _write(session, world)
    visit = session.exec(select(Visit).where(Visit.diary_id == diary.id)).first()
    with pytest.raises(AccessDenied):
        D.raise_case_from_visit(session, actor=world.actors["member_g4"], visit_id=visit.id, data={"content": "测试内容"})
    with pytest.raises(AccessDenied):
        D.raise_case_from_visit(session, actor=world.actors["leader_zhujiajian"], visit_id=visit.id, data={"content": "测试内容"})
    with pytest.raises(DomainError) as err:
        D.raise_case_from_visit(session, actor=world.actors["member"], visit_id=visit.id, data={"content": ""})
    assert err.value.field == "content"
    with pytest.raises(DomainError) as err:
        D.raise_case_from_visit(session, actor=world.actors["member"], visit_id=visit.id, data={"content": "路灯坏了需要修", "requester_phone": "12"})
    assert err.value.field == "requester_phone"
    with pytest.raises(DomainError):
        D.visit_prefill(session, actor=world.actors["member"], visit_id=visit.id, household_id=world.households["g1"][2].id)
    with pytest.raises(NotFound):
        D.raise_case_from_visit(session, actor=world.actors["member"], visit_id=2**31 - 2, data={"content": "测试内容"})
    assert session.exec(select(func.count()).select_from(Case)).one() == 0


def test_leader_comments_within_scope_and_member_sees_it(session, world):
    diary = _write(session, world)
    with pytest.raises(AccessDenied):
        D.comment_diary(session, actor=world.actors["leader_changguo"], diary_id=diary.id, comment="很好", expected_version=diary.version)
    with pytest.raises(AccessDenied):
        D.comment_diary(session, actor=world.actors["member"], diary_id=diary.id, comment="很好", expected_version=diary.version)
    with pytest.raises(DomainError) as err:
        D.comment_diary(session, actor=world.actors["leader_zhujiajian"], diary_id=diary.id, comment=" ", expected_version=diary.version)
    assert err.value.field == "comment"
    D.comment_diary(session, actor=world.actors["leader_zhujiajian"], diary_id=diary.id, comment="走访细致，请跟踪路灯维修", expected_version=diary.version)
    with pytest.raises(StaleVersion):
        D.comment_diary(session, actor=world.actors["leader_putuo"], diary_id=diary.id, comment="同意", expected_version=1)
    detail = D.diary_detail(session, actor=world.actors["member"], diary_id=diary.id)
    assert detail.leader_comment == "走访细致，请跟踪路灯维修"
    assert detail.commented_by == "leader_zhujiajian"
    assert [r.id for r in D.recent_comments(session, actor=world.actors["member"])] == [diary.id]
    rows, _ = D.list_diaries(session, actor=world.actors["member"], month=month_key(today()))
    assert rows[0].commented


def test_leader_reads_masked_households_in_diaries(session, world):
    diary = _write(session, world)
    detail = D.diary_detail(session, actor=world.actors["leader_zhujiajian"], diary_id=diary.id)
    assert detail.can_comment and not detail.is_author and not detail.can_raise_case
    assert all(v.representative != world.households["g1"][i].representative for i, v in enumerate(detail.visits))
    with pytest.raises(AccessDenied):
        D.diary_detail(session, actor=world.actors["leader_changguo"], diary_id=diary.id)
    with pytest.raises(AccessDenied):
        D.diary_detail(session, actor=world.actors["member_g4"], diary_id=diary.id)
    with pytest.raises(AccessDenied):
        D.diary_detail(session, actor=world.actors["dispatcher"], diary_id=diary.id)


def test_lists_by_member_team_and_month(session, world):
    _write(session, world)
    _write(session, world, day=today() - timedelta(days=40), visits=[])
    D.create_diary(session, actor=world.actors["member_g4"], data={"day": today().isoformat(), "heard": "反映停车难", "visits": _visits(world, "g4", 1)})
    month = month_key(today())
    rows, total = D.list_diaries(session, actor=world.actors["leader"], month=month)
    assert total == 2
    rows, total = D.list_diaries(session, actor=world.actors["leader"], month=month, team_id=world.teams["g4"].id)
    assert total == 1 and rows[0].visits == 1
    rows, total = D.list_diaries(session, actor=world.actors["leader"], month=month, user_id=world.users["member"].id)
    assert total == 1 and rows[0].visits == 2 and rows[0].author_name == "member"
    rows, total = D.list_diaries(session, actor=world.actors["leader_zhujiajian"], month=month)
    assert total == 1
    rows, total = D.list_diaries(session, actor=world.actors["member"], month=month_key(today() - timedelta(days=40)))
    assert total >= 1
    with pytest.raises(AccessDenied):
        D.list_diaries(session, actor=world.actors["leader_zhujiajian"], month=month, team_id=world.teams["g4"].id)
    with pytest.raises(DomainError):
        D.list_diaries(session, actor=world.actors["leader"], month="2026-13")


def test_team_activity_counts_visits_and_diaries_per_team_and_month(session, world):
    month = month_key(today())
    before = {a.team_id: a for a in D.team_activity(session, area=world.areas["zhujiajian"], month=month)}
    assert set(before) == {world.teams[g].id for g in ("g1", "g2", "g3")}
    _write(session, world)
    after = {a.team_id: a for a in D.team_activity(session, area=world.areas["zhujiajian"], month=month)}
    g1 = world.teams["g1"].id
    assert after[g1].visits == before[g1].visits + 2
    assert after[g1].diaries == before[g1].diaries + 1
    assert after[g1].households == 2
    only = D.team_activity(session, team_ids=[g1], month=month)
    assert [(a.team_id, a.visits) for a in only] == [(g1, after[g1].visits)]
    assert D.team_activity(session, team_ids=[], month=month) == []
    # another month is untouched
    prev = month_key(today().replace(day=1) - timedelta(days=1))
    assert all(a.visits == 0 for a in D.team_activity(session, team_ids=[g1], month=prev))
    members = D.member_activity(session, team_id=g1, month=month)
    assert [(m.name, m.visits, m.diaries) for m in members] == [("member", 2, 1)]
    # the scoped wrapper: a member sees their team only
    assert [a.team_id for a in D.activity_for(session, actor=world.actors["member"], month=month)] == [g1]
    with pytest.raises(AccessDenied):
        D.team_members_for(session, actor=world.actors["member_g4"], team_id=g1, month=month)
