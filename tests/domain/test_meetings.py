"""民情恳谈: three kinds, items answered on the spot or turned into cases whose
status the item follows, closing needs minutes and the attendee count, the
list's per-meeting counts, and who may record and read what."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from rxapp.domain import meetings as MT
from rxapp.domain.clock import now, today
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, StaleVersion
from rxapp.models import Case, CaseStatus, Channel, Meeting, MeetingItem, MeetingKind


def _meeting(session, world, actor="member", kind=MeetingKind.HOUSEHOLD_REP, **extra):
    data = {"kind": kind, "held_on": today().isoformat(), "place": "c1社区会议室", "host": "社区书记", "attendees": "户代表12人", "agenda": "1. 停车难", **extra}
    return MT.create_meeting(session, actor=world.actors[actor], data=data)


def test_member_records_a_household_rep_meeting_for_own_community(session, world):
    m = _meeting(session, world)
    assert m.area_id == world.areas["c1"].id
    assert m.team_id == world.teams["g1"].id
    assert m.township_id == world.areas["zhujiajian"].id
    assert m.title == "c1社区户代表会议"
    assert m.status == "open"
    forum = _meeting(session, world, kind=MeetingKind.RELIEF_FORUM)
    assert forum.area_id == world.areas["zhujiajian"].id


def test_enterprise_forum_needs_one_of_the_five_service_areas(session, world):
    with pytest.raises(DomainError) as err:
        _meeting(session, world, kind=MeetingKind.ENTERPRISE)
    assert err.value.field == "service_area"
    with pytest.raises(DomainError):
        _meeting(session, world, kind=MeetingKind.ENTERPRISE, service_area="招商引资")
    m = _meeting(session, world, kind=MeetingKind.ENTERPRISE, service_area="要素保障")
    assert m.service_area == "要素保障" and "要素保障" in m.title
    # other kinds carry no service area even if one is sent
    assert _meeting(session, world, service_area="要素保障").service_area == ""


@pytest.mark.parametrize(
    "field, value",
    [("kind", "party"), ("held_on", ""), ("place", ""), ("host", " "), ("attendees_count", 0), ("attendees_count", "many"), ("agenda", "议" * 2001), ("title", "题" * 101)],
)
def test_bad_meeting_fields_are_refused_with_the_field(session, world, field, value):
    with pytest.raises(DomainError) as err:
        _meeting(session, world, **{field: value})
    assert err.value.field == field


def test_meeting_date_limits(session, world):
    with pytest.raises(DomainError) as err:
        _meeting(session, world, held_on=(today() + timedelta(days=120)).isoformat())
    assert err.value.field == "held_on"


def test_leader_records_in_scope_only(session, world):
    lz = world.actors["leader_zhujiajian"]
    m = MT.create_meeting(session, actor=lz, data={"kind": MeetingKind.RELIEF_FORUM, "area_id": world.areas["zhujiajian"].id, "held_on": today().isoformat(), "place": "街道会议室", "host": "街道党工委书记"})
    assert m.team_id is None
    with pytest.raises(AccessDenied):
        MT.create_meeting(session, actor=lz, data={"kind": MeetingKind.RELIEF_FORUM, "area_id": world.areas["changguo"].id, "held_on": today().isoformat(), "place": "x", "host": "y"})
    with pytest.raises(DomainError) as err:  # a 户代表会议 belongs to a community
        MT.create_meeting(session, actor=lz, data={"kind": MeetingKind.HOUSEHOLD_REP, "area_id": world.areas["zhujiajian"].id, "held_on": today().isoformat(), "place": "x", "host": "y"})
    assert err.value.field == "area_id"
    with pytest.raises(AccessDenied):
        _meeting(session, world, actor="dispatcher")


def test_item_answered_on_the_spot(session, world):
    m = _meeting(session, world)
    item = MT.add_item(session, actor=world.actors["member"], meeting_id=m.id, text="小区停车位不足", raised_by="3号楼户代表")
    MT.answer_item(session, actor=world.actors["member"], item_id=item.id, answer="社区协调夜间开放学校操场停车")
    detail = MT.meeting_detail(session, actor=world.actors["member"], meeting_id=m.id)
    assert detail.items[0].status == "answered" and detail.items[0].stand == "answered"
    assert detail.counts.answered == 1 and detail.counts.total == 1
    with pytest.raises(InvalidTransition):
        MT.answer_item(session, actor=world.actors["member"], item_id=item.id, answer="再答一次")
    with pytest.raises(DomainError) as err:
        MT.answer_item(session, actor=world.actors["member"], item_id=MT.add_item(session, actor=world.actors["member"], meeting_id=m.id, text="另一个问题").id, answer="")
    assert err.value.field == "answer"


def test_item_turned_into_a_case_follows_the_case(session, world):
    m = _meeting(session, world)
    item = MT.add_item(session, actor=world.actors["member"], meeting_id=m.id, text="河道有垃圾漂浮，气味很大", raised_by="王大伯")
    case = MT.raise_case_from_item(session, actor=world.actors["member"], item_id=item.id, data={"category_code": "ENV"})
    assert case.channel == Channel.MEETING
    assert case.meeting_item_id == item.id
    assert case.grid_id == world.areas["g1"].id
    assert case.requester_name == "王大伯"
    assert session.get(MeetingItem, item.id).case_id == case.id
    detail = MT.meeting_detail(session, actor=world.actors["member"], meeting_id=m.id)
    row = detail.items[0]
    assert (row.status, row.case_code, row.case_status, row.stand) == ("case", case.code, CaseStatus.SUBMITTED, "in_progress")
    assert detail.counts.in_progress == 1
    # a second attempt on the same item changes nothing
    with pytest.raises(InvalidTransition):
        MT.raise_case_from_item(session, actor=world.actors["member"], item_id=item.id, data={})
    assert session.exec(select(func.count()).select_from(Case)).one() == 1

    # the case runs late: the item counts as overdue; resolved: answered
    session.exec(update(Case).where(Case.id == case.id).values(status=CaseStatus.IN_PROGRESS, deadline=now() - timedelta(days=1)))
    session.commit()
    assert MT.item_counts(session, [m.id])[m.id].overdue == 1
    session.exec(update(Case).where(Case.id == case.id).values(status=CaseStatus.RESOLVED))
    session.commit()
    counts = MT.item_counts(session, [m.id])[m.id]
    assert (counts.answered, counts.in_progress, counts.overdue) == (1, 0, 0)


def test_a_refused_case_leaves_the_item_open(session, world):
    m = _meeting(session, world)
    item = MT.add_item(session, actor=world.actors["member"], meeting_id=m.id, text="问题描述")
    with pytest.raises(DomainError) as err:
        MT.raise_case_from_item(session, actor=world.actors["member"], item_id=item.id, data={"content": "x"})
    assert err.value.field == "content"
    assert session.get(MeetingItem, item.id, populate_existing=True).status == "open"
    assert session.exec(select(func.count()).select_from(Case)).one() == 0


def test_leaders_cannot_take_intake_from_items(session, world):
    m = _meeting(session, world)
    item = MT.add_item(session, actor=world.actors["leader_zhujiajian"], meeting_id=m.id, text="问题描述")
    with pytest.raises(AccessDenied):
        MT.raise_case_from_item(session, actor=world.actors["leader_zhujiajian"], item_id=item.id, data={})


def test_closing_requires_minutes_count_and_every_item_tracked(session, world):
    mem = world.actors["member"]
    m = _meeting(session, world)
    item = MT.add_item(session, actor=mem, meeting_id=m.id, text="路灯不亮")
    with pytest.raises(DomainError) as err:
        MT.close_meeting(session, actor=mem, meeting_id=m.id, expected_version=m.version)
    assert err.value.field == "minutes"
    with pytest.raises(DomainError) as err:
        MT.close_meeting(session, actor=mem, meeting_id=m.id, expected_version=m.version, minutes="会议讨论了路灯问题")
    assert err.value.field == "attendees_count"
    with pytest.raises(DomainError) as err:
        MT.close_meeting(session, actor=mem, meeting_id=m.id, expected_version=m.version, minutes="会议讨论了路灯问题", attendees_count=15)
    assert err.value.field == "items"
    MT.answer_item(session, actor=mem, item_id=item.id, answer="已报修，三天内修好")
    with pytest.raises(StaleVersion):
        MT.close_meeting(session, actor=mem, meeting_id=m.id, expected_version=99, minutes="纪要", attendees_count=15)
    MT.close_meeting(session, actor=mem, meeting_id=m.id, expected_version=m.version, minutes="会议讨论了路灯问题", attendees_count=15)
    closed = session.get(Meeting, m.id)
    assert closed.status == "closed" and closed.attendees_count == 15 and closed.closed_at is not None
    with pytest.raises(InvalidTransition):
        MT.add_item(session, actor=mem, meeting_id=m.id, text="会后新问题")
    with pytest.raises(InvalidTransition):
        MT.update_meeting(session, actor=mem, meeting_id=m.id, data={"place": "x"}, expected_version=closed.version)


def test_a_future_meeting_cannot_be_closed(session, world):
    m = _meeting(session, world, held_on=(today() + timedelta(days=3)).isoformat(), attendees_count=10, minutes="预备")
    with pytest.raises(InvalidTransition):
        MT.close_meeting(session, actor=world.actors["member"], meeting_id=m.id, expected_version=m.version)


def test_update_is_optimistically_locked(session, world):
    m = _meeting(session, world)
    MT.update_meeting(session, actor=world.actors["member"], meeting_id=m.id, data={"attendees_count": "20"}, expected_version=1)
    assert session.get(Meeting, m.id).attendees_count == 20
    with pytest.raises(StaleVersion):
        MT.update_meeting(session, actor=world.actors["member"], meeting_id=m.id, data={"place": "新地点"}, expected_version=1)


def test_who_reads_and_edits_which_meetings(session, world):
    ours = _meeting(session, world)
    theirs = _meeting(session, world, actor="member_g4")
    lz = world.actors["leader_zhujiajian"]
    town_forum = MT.create_meeting(session, actor=lz, data={"kind": MeetingKind.RELIEF_FORUM, "area_id": world.areas["zhujiajian"].id, "held_on": today().isoformat(), "place": "街道", "host": "书记"})
    mem = world.actors["member"]
    rows, total = MT.list_meetings(session, actor=mem)
    assert {r.id for r in rows} == {ours.id, town_forum.id}
    # a member reads the township forum but does not edit it
    assert not MT.meeting_detail(session, actor=mem, meeting_id=town_forum.id).can_edit
    with pytest.raises(AccessDenied):
        MT.add_item(session, actor=mem, meeting_id=town_forum.id, text="问题")
    with pytest.raises(AccessDenied):
        MT.meeting_detail(session, actor=mem, meeting_id=theirs.id)
    with pytest.raises(AccessDenied):
        MT.meeting_detail(session, actor=lz, meeting_id=theirs.id)
    rows, total = MT.list_meetings(session, actor=world.actors["leader"])
    assert total == 3
    rows, total = MT.list_meetings(session, actor=lz, kind=MeetingKind.RELIEF_FORUM)
    assert [r.id for r in rows] == [town_forum.id]
    with pytest.raises(DomainError):
        MT.list_meetings(session, actor=lz, kind="party")
    with pytest.raises(AccessDenied):
        MT.list_meetings(session, actor=world.actors["dept_env"])


def test_list_counts_answered_in_progress_overdue(session, world):
    mem = world.actors["member"]
    m = _meeting(session, world)
    a = MT.add_item(session, actor=mem, meeting_id=m.id, text="问题一")
    MT.add_item(session, actor=mem, meeting_id=m.id, text="问题二")
    c = MT.add_item(session, actor=mem, meeting_id=m.id, text="河道有垃圾漂浮")
    MT.answer_item(session, actor=mem, item_id=a.id, answer="已答复")
    case = MT.raise_case_from_item(session, actor=mem, item_id=c.id, data={})
    session.exec(update(Case).where(Case.id == case.id).values(status=CaseStatus.ROUTED, deadline=now() - timedelta(hours=1)))
    session.commit()
    rows, _ = MT.list_meetings(session, actor=mem)
    counts = next(r for r in rows if r.id == m.id).counts
    assert (counts.total, counts.answered, counts.in_progress, counts.overdue) == (3, 1, 1, 1)


def test_two_people_turning_one_item_into_a_case_at_once_make_one_case(fresh_engine):
    import threading

    from sqlmodel import Session

    from tests.factories import make_world

    with Session(fresh_engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
        actor = world.actors["member"]
        m = MT.create_meeting(s, actor=actor, data={"kind": MeetingKind.HOUSEHOLD_REP, "held_on": today().isoformat(), "place": "会议室", "host": "书记"})
        item = MT.add_item(s, actor=actor, meeting_id=m.id, text="路灯不亮，晚上出行不便")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def raise_it():
        with Session(fresh_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                results.append(MT.raise_case_from_item(s, actor=actor, item_id=item.id, data={}).code)
            except InvalidTransition:
                results.append("refused")

    threads = [threading.Thread(target=raise_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r == "refused" for r in results) == [False, True], results
    with Session(fresh_engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 1
        linked = s.get(MeetingItem, item.id)
        assert linked.status == "case" and linked.case_id is not None
