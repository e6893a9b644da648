"""Hot spots (热点事件): similar requests close in place and time are grouped
on intake; a dispatcher confirms, dismisses or handles them as one, and every
requester hears the result when the lead case resolves."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from rxapp.domain import cases as C
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, StaleVersion
from rxapp.domain.hotspots import actions as H
from rxapp.domain.hotspots.concepts import concepts, not_an_event
from rxapp.domain.hotspots.queries import hotspot_members, hotspots_for_map, list_hotspots, parse_filters
from rxapp.domain.hotspots.similarity import similarity
from rxapp.models import Case, CaseEvent, CaseStatus, Channel, Hotspot, HotspotCase, HotspotStatus, Role, Sms
from tests.domain.cases_support import submit
from tests.factories import add_user, make_world

PIPE = [
    "和平路小区门口的自来水管爆了，水冒得很高，整栋楼停水",
    "我们这边自来水管爆裂了，路上全是水，家里停水了",
    "小区门口水管爆了，停水一上午了，什么时候能修好",
    "自来水管爆了在往外冒水，路面积水，请赶紧来修水管",
]
OTHER = "想咨询一下农村宅基地继承的政策和法律规定"


def _spots(session):
    return list(session.exec(select(Hotspot).order_by(Hotspot.id)).all())


def _members(session, hid):
    return sorted(session.exec(select(HotspotCase.case_id).where(HotspotCase.hotspot_id == hid)).all())


def _pipe_reports(session, world, n=3, grid="g1", actor="dispatcher"):
    return [submit(session, world, PIPE[i], actor=actor, grid=grid, requester_phone=f"1390000{i:04d}") for i in range(n)]


def test_reports_of_one_incident_are_more_alike_than_unrelated_requests():
    assert similarity(PIPE[0], PIPE[1]) > 0.2
    assert similarity(PIPE[0], OTHER) < 0.05


POWER = ["停电了", "到现在还没来电，冰箱里东西都化了", "楼里跳闸了，整栋楼没电，电梯也停了"]


def test_colloquial_variants_name_one_concept_and_routine_requests_none():
    assert all("停水" in concepts(t) for t in PIPE)
    assert all(concepts(t) == {"停电"} for t in POWER[:2]) and "停电" in concepts(POWER[2])
    assert concepts("来电反映：路灯坏了三盏") == frozenset()  # a channel's boilerplate is not "来电"
    assert concepts(OTHER) == frozenset() and concepts("家庭医生签约服务怎么办理") == frozenset()
    assert "工厂排污" in concepts("闻到很浓的臭味，应该是那个厂在偷排")
    assert "工厂排污" in concepts("工厂烟囱冒黑烟，家家户户不敢开窗")


def test_reports_sharing_a_concept_but_few_characters_open_a_hot_spot(session, world):
    cases = [submit(session, world, t, requester_phone=f"1390000{i:04d}") for i, t in enumerate(POWER)]
    (spot,) = _spots(session)
    assert _members(session, spot.id) == sorted(c.id for c in cases) and spot.terms == "停电"


def test_one_caller_reporting_three_times_or_a_routine_question_opens_no_hot_spot(session, world):
    for i in range(3):
        submit(session, world, PIPE[i], requester_phone="13900009999")  # one resident, three calls
    for i in range(3):  # three residents asking the same routine question: no incident
        submit(session, world, "家庭医生签约服务怎么办理，需要带什么材料", grid="g2", requester_phone=f"1390001{i:04d}")
    assert _spots(session) == []
    c = submit(session, world, PIPE[3], grid="g2", requester_phone="13900000003")  # a second caller: still two
    assert _spots(session) == []
    submit(session, world, PIPE[0], requester_phone="13900000004")  # a third distinct caller: it opens
    (spot,) = _spots(session)
    assert spot.case_count == 5 and c.id in _members(session, spot.id)


def test_a_hot_spot_opens_with_the_third_similar_report_in_a_community(session, world):
    a, b = _pipe_reports(session, world, 2)
    assert _spots(session) == []
    c = submit(session, world, PIPE[2], grid="g2", requester_phone="13900000002")  # g2: same community c1
    (spot,) = _spots(session)
    assert spot.status == HotspotStatus.NEW and spot.case_count == 3
    assert _members(session, spot.id) == sorted([a.id, b.id, c.id])
    assert spot.community_id == world.areas["c1"].id and "c1社区" in spot.title
    d = submit(session, world, PIPE[3], requester_phone="13900000003")
    session.refresh(spot)
    assert spot.case_count == 4 and d.id in _members(session, spot.id)


def test_habits_and_worries_open_no_hot_spot_but_a_habit_joins_an_open_one(session, world):
    chronic = ["小区这个月以来经常停水，水压也很低，楼上用不了水", "我们这里每天晚上停水，水压太低了",
               "一到夏天就停水，担心今年还这样"]
    assert all(not_an_event(t) and "停水" in concepts(t) for t in chronic)
    assert not any(not_an_event(t) for t in PIPE)
    for i, t in enumerate(chronic):  # three residents describing a long-standing trouble: the background
        submit(session, world, t, requester_phone=f"1390002{i:04d}")
    assert _spots(session) == []
    a, b = _pipe_reports(session, world, 2)  # a burst main: two reports, the chronic ones do not make it three
    assert _spots(session) == []
    c = submit(session, world, PIPE[2], requester_phone="13900000002")
    (spot,) = _spots(session)
    assert _members(session, spot.id) == sorted([a.id, b.id, c.id])
    d = submit(session, world, "又停水了，我们这经常停水，水管爆了吧", requester_phone="13900000009")
    assert d.id in _members(session, spot.id)  # while the incident is open, a habit report joins it


def test_unrelated_or_distant_reports_open_no_hot_spot(session, world):
    submit(session, world, PIPE[0])
    submit(session, world, OTHER)
    submit(session, world, PIPE[1], grid="g3")  # another community
    submit(session, world, PIPE[2], grid="g4")
    assert _spots(session) == []


def test_open311_batches_are_matched_too(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
        reqs = [({"content": t, "grid_id": world.areas["g1"].id, "requester_phone": f"1370000{i:04d}"}, Channel.API)
                for i, t in enumerate(PIPE)]
        out = C.submit_public_batch(s, reqs)
        (spot,) = _spots(s)
        assert spot.case_count == 4 and _members(s, spot.id) == sorted(o.id for o in out)


def test_handle_as_one_merges_the_others_and_every_requester_hears_the_result(session, world):
    cases = _pipe_reports(session, world, 4)
    (spot,) = _spots(session)
    d = world.actors["dispatcher"]
    lead = cases[1]
    assert lead.status == CaseStatus.ROUTED  # confident: accepted and routed on intake
    H.handle_hotspot_as_one(session, actor=d, hotspot_id=spot.id, expected_version=spot.version, lead_case_id=lead.id)
    session.expire_all()
    assert session.get(Hotspot, spot.id).status == HotspotStatus.HANDLED
    others = [session.get(Case, c.id) for c in cases if c.id != lead.id]
    assert all(c.status == CaseStatus.DUPLICATE and c.duplicate_of_id == lead.id for c in others)
    for c in cases:  # an event on every case concerned
        actions = [e.action for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == c.id)).all()]
        assert ("hotspot_handle" if c.id == lead.id else "mark_duplicate") in actions
    lead = session.get(Case, lead.id)
    dept = add_user(session, world, "dept_infra", Role.DEPT, world.areas["city"], department_id=lead.department_id)
    lead = C.sign_case(session, actor=world.actors[dept.username], case_id=lead.id, expected_version=lead.version)
    lead = C.resolve_case(session, actor=world.actors[dept.username], case_id=lead.id, expected_version=lead.version,
                          result_text="供水公司已抢修完毕，恢复供水")
    texts = {s.phone: s.text for s in session.exec(select(Sms).where(Sms.template.in_(("resolved_with_evaluate_hint", "duplicate_resolved")))).all()}
    assert set(texts) == {f"1390000{i:04d}" for i in range(4)}
    assert all("恢复供水" in t for t in texts.values())


def test_confirm_and_dismiss_are_events_on_every_member(session, world):
    cases = _pipe_reports(session, world, 3)
    (spot,) = _spots(session)
    d = world.actors["dispatcher"]
    spot = H.confirm_hotspot(session, actor=d, hotspot_id=spot.id, expected_version=spot.version)
    assert spot.status == HotspotStatus.CONFIRMED
    with pytest.raises(DomainError) as err:
        H.dismiss_hotspot(session, actor=d, hotspot_id=spot.id, expected_version=spot.version, reason="")
    assert err.value.field == "reason"
    with pytest.raises(StaleVersion):
        H.dismiss_hotspot(session, actor=d, hotspot_id=spot.id, expected_version=1, reason="不是同一件事")
    spot = H.dismiss_hotspot(session, actor=d, hotspot_id=spot.id, expected_version=spot.version, reason="不是同一件事")
    assert spot.status == HotspotStatus.DISMISSED
    for c in cases:
        actions = [e.action for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == c.id)).all()]
        assert "hotspot_confirm" in actions and "hotspot_dismiss" in actions
    with pytest.raises(InvalidTransition):
        H.confirm_hotspot(session, actor=d, hotspot_id=spot.id, expected_version=spot.version)


def test_roles_and_scope_are_checked(session, world):
    _pipe_reports(session, world, 3, grid="g4")  # 昌国街道
    (spot,) = _spots(session)
    a = world.actors
    for who in ("member", "dept_env", "leader", "dispatcher_zhujiajian"):
        with pytest.raises(AccessDenied):
            H.confirm_hotspot(session, actor=a[who], hotspot_id=spot.id, expected_version=spot.version)
    with pytest.raises(AccessDenied):
        H.confirm_hotspot(session, actor=None, hotspot_id=spot.id, expected_version=spot.version)
    with pytest.raises(DomainError):
        H.confirm_hotspot(session, actor=a["dispatcher"], hotspot_id="abc", expected_version=spot.version)
    assert [r.id for r in list_hotspots(session, actor=a["leader_changguo"])] == [spot.id]
    assert list_hotspots(session, actor=a["leader_zhujiajian"]) == []
    assert list_hotspots(session, actor=a["dispatcher_zhujiajian"]) == []
    for who in ("member", "dept_env"):
        with pytest.raises(AccessDenied):
            list_hotspots(session, actor=a[who])
    with pytest.raises(AccessDenied):
        hotspot_members(session, actor=a["leader_zhujiajian"], hotspot_id=spot.id)
    assert len(hotspot_members(session, actor=a["leader"], hotspot_id=spot.id)) == 3


def test_list_filters_and_map_summary_carry_no_personal_data(session, world):
    _pipe_reports(session, world, 3)
    (row,) = list_hotspots(session, actor=world.actors["leader"])
    assert row.case_count == 3 and row.open_count == 3 and row.last_24h == 3 and row.trend == "rising"
    flat = str(row.public()) + str(hotspots_for_map(session, actor=world.actors["leader"]))
    assert "1390000" not in flat and "王小明" not in flat
    since, area, statuses = parse_filters(since="2099-01-01", area=str(world.areas["c1"].id), status="new,confirmed")
    assert list_hotspots(session, actor=world.actors["leader"], since=since, area_id=area, statuses=statuses) == []
    _, area, statuses = parse_filters(area=world.areas["c1"].id, status="all")
    assert len(list_hotspots(session, actor=world.actors["leader"], area_id=area, statuses=statuses)) == 1
    for bad in ({"since": "yesterday"}, {"area": "x"}, {"status": "open"}):
        with pytest.raises(DomainError):
            parse_filters(**bad)


CHRONIC = ["小区这个月以来经常停水，水压也很低，楼上用不了水", "我们这里每天晚上停水，水压太低了"]


@pytest.mark.parametrize("max_candidates", [400, 4])  # 4: the batch's shared read is cut, cases read their own
@pytest.mark.parametrize("rng_seed", [1, 2, 3])
def test_a_batch_finds_what_its_cases_matched_one_by_one_would(fresh_engine, monkeypatch, rng_seed, max_candidates):
    """An intake batch reads its candidates once per community (``_BatchCandidates``):
    the hot spots it opens and joins are those of matching each case on its own."""
    import dataclasses
    import random

    from rxapp.domain.hotspots import detector as D

    with Session(fresh_engine, expire_on_commit=False) as session:
        _batch_against_one_by_one(session, monkeypatch, D, random.Random(rng_seed), dataclasses.replace(D.DEFAULT, max_candidates=max_candidates))


def _batch_against_one_by_one(session, monkeypatch, D, r, settings):
    world = make_world(session)
    session.commit()
    texts = PIPE + POWER + CHRONIC + [OTHER, "家庭医生签约服务怎么办理"]
    grids = ["g1", "g2", "g3", "g4"]

    def one(i):
        return ({"content": r.choice(texts), "grid_id": world.areas[r.choice(grids)].id,
                 "requester_phone": f"1370000{r.randrange(12):04d}"}, Channel.API)

    history = [c.id for c in C.submit_public_batch(session, [one(i) for i in range(12)])]  # hot spots may be open already
    monkeypatch.setattr(D, "DEFAULT", settings)
    with monkeypatch.context() as m:
        m.setattr(C, "detect_on_intake", lambda s, ids: [])
        ids = [c.id for c in C.submit_public_batch(session, [one(i) for i in range(40)])]  # written, not matched yet
    # the batch's cases a second apart, and some earlier cases among them (another worker's,
    # committed meanwhile): the shared read then runs short for the batch's first cases
    base = session.get(Case, ids[0]).submitted_at
    for i, case_id in enumerate(ids):
        session.exec(update(Case).where(Case.id == case_id).values(submitted_at=base + timedelta(seconds=i)))
    for case_id in r.sample(history, 6):
        session.exec(update(Case).where(Case.id == case_id).values(submitted_at=base + timedelta(seconds=r.randrange(40), milliseconds=500)))
    session.commit()

    def spots():  # every hot spot's state and members, as written
        rows = session.exec(select(HotspotCase.case_id, HotspotCase.similarity, HotspotCase.joined_at, Hotspot.id, Hotspot.status,
                                   Hotspot.case_count, Hotspot.first_at, Hotspot.last_at, Hotspot.updated_at)
                            .join(Hotspot, Hotspot.id == HotspotCase.hotspot_id)).all()
        groups: dict[int, list] = {}
        for case_id, sim, joined_at, hid, *spot in rows:
            groups.setdefault(hid, [tuple(spot), []])[1].append((case_id, sim, joined_at))
        return sorted((spot, sorted(members)) for spot, members in groups.values())

    def run(match):
        tx = session.begin_nested()
        try:
            outcomes = match()
            return [(o.case_id, o.opened, bool(o.hotspot_id)) for o in outcomes], spots()
        finally:
            tx.rollback()

    shared = D._BatchCandidates.__call__
    read = []

    def checked(self, s, case, nearby, settings):  # each case's rows: those it would read on its own
        rows = shared(self, s, case, nearby, settings)
        assert [tuple(x) for x in rows] == [tuple(x) for x in D._candidates(s, case, nearby, settings)]
        read.append(len(rows))
        return rows

    with monkeypatch.context() as m:
        m.setattr(D._BatchCandidates, "__call__", checked)
        batched = run(lambda: D.detect_on_intake(session, ids))
    assert read and max(read) > 0
    cases = [D.NewCase(*row) for row in session.exec(select(*D.CASE_FIELDS).where(Case.id.in_(ids)).order_by(Case.id)).all()]
    one_by_one = run(lambda: [D.match_case(session, case) for case in cases])
    assert batched == one_by_one
    assert any(hit for _, _, hit in batched[0]), "the batch meets hot spots"
