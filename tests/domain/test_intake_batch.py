"""Group-committed intake: many residents' requests in one transaction, each
checked and answered on its own, leaving exactly what one-at-a-time intake
leaves (cases, events, SMS, rollups)."""

import asyncio
import uuid

import pytest
from sqlmodel import Session, func, select

from rxapp.db import GroupCommit
from rxapp.domain import cases as C
from rxapp.domain import open311 as O
from rxapp.domain.errors import DomainError
from rxapp.domain.rollup import dump_rollups, rebuild_rollups
from rxapp.models import AreaLevel, Case, CaseEvent, CaseStatus, Channel, Sms, Team
from tests.domain.cases_support import CONFIDENT_ENV, PHONE, VAGUE
from rxapp.domain.reference import add_area
from tests.factories import make_world


@pytest.fixture
def committed(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
    return fresh_engine, world


def _req(world, content, grid="g1", **extra):
    return ({"content": content, "grid_id": world.areas[grid].id, "requester_phone": PHONE, **extra}, Channel.API)


def test_a_batch_takes_each_request_as_one_at_a_time_intake_would(committed):
    engine, world = committed
    with Session(engine) as s:
        out = C.submit_public_batch(
            s,
            [
                _req(world, CONFIDENT_ENV),
                _req(world, VAGUE, grid="g4"),
                _req(world, VAGUE, requester_phone="12345"),  # refused: not a mobile number
                _req(world, CONFIDENT_ENV, grid="g3", requester_name="王小明"),
            ],
        )
    assert [type(o).__name__ for o in out] == ["Intake", "Intake", "DomainError", "Intake"]
    assert out[2].field == "requester_phone"
    auto, vague, auto2 = out[0], out[1], out[3]
    assert auto.status == CaseStatus.ROUTED and auto.deadline is not None and "办理并答复" in auto.promise_text
    assert vague.status == CaseStatus.SUBMITTED and vague.deadline is None
    assert len({auto.code, vague.code, auto2.code}) == 3
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 3  # the refused one left nothing
        case = s.get(Case, auto.id)
        assert (case.version, case.grid_id, case.team_id) == (3, world.areas["g1"].id, world.teams["g1"].id)
        assert case.township_id == world.areas["zhujiajian"].id and case.community_id == world.areas["c1"].id
        events = s.exec(select(CaseEvent.action, CaseEvent.version_after).where(CaseEvent.case_id == auto.id).order_by(CaseEvent.id)).all()
        assert events == [("submit", 1), ("accept", 2), ("route", 3)]
        assert s.exec(select(CaseEvent.action).where(CaseEvent.case_id == vague.id)).all() == ["submit"]
        assert s.exec(select(Sms.template).where(Sms.case_id == auto.id)).all() == ["accepted"]
        assert s.exec(select(Sms.template).where(Sms.case_id == vague.id)).all() == ["reply_code"]
        # the rollups written for the whole batch at once equal a rebuild
        maintained = dump_rollups(s)
        rebuild_rollups(s)
        assert dump_rollups(s) == maintained
        s.rollback()


def test_a_batch_matches_submit_case_field_for_field(committed):
    engine, world = committed
    with Session(engine) as s:
        single = C.submit_case(s, actor=None, data=_req(world, CONFIDENT_ENV)[0], channel=Channel.API)
        (batched,) = C.submit_public_batch(s, [_req(world, CONFIDENT_ENV)])
        s.refresh(single)
        b = s.get(Case, batched.id)
        skip = {"id", "code", "submitted_at", "accepted_at", "routed_at", "updated_at", "deadline", "promise_due", "promise_text"}
        assert {k: v for k, v in b.model_dump().items() if k not in skip} == {k: v for k, v in single.model_dump().items() if k not in skip}
        kinds = lambda cid: s.exec(select(CaseEvent.action, CaseEvent.from_status, CaseEvent.to_status, CaseEvent.actor_label, CaseEvent.note).where(CaseEvent.case_id == cid).order_by(CaseEvent.id)).all()  # noqa: E731
        assert kinds(b.id) == kinds(single.id)


def test_a_repeated_source_ref_in_one_batch_is_one_case(committed):
    engine, world = committed
    ref = f"msg-{uuid.uuid4().hex[:8]}"
    with Session(engine) as s:
        a, b = C.submit_public_batch(s, [_req(world, VAGUE, source_ref=ref), _req(world, VAGUE, source_ref=ref)])
        (c,) = C.submit_public_batch(s, [_req(world, VAGUE, source_ref=ref)])
        assert a.code == b.code == c.code
        assert s.exec(select(func.count()).select_from(Case)).one() == 1


def test_a_new_team_is_seen_by_the_next_intake(committed):
    """Grid places are kept per process; adding a team must show at once."""
    engine, world = committed
    with Session(engine, expire_on_commit=False) as s:
        grid = add_area(s, name="c3社区第9网格", level=AreaLevel.GRID, parent=world.areas["c3"])
        s.commit()
        (first,) = C.submit_public_batch(s, [({"content": VAGUE, "grid_id": grid.id, "requester_phone": PHONE}, Channel.WEB)])
        assert s.get(Case, first.id).team_id is None
        team = Team(name="新团队", grid_id=grid.id, township_id=world.areas["changguo"].id)
        s.add(team)
        s.commit()
        (second,) = C.submit_public_batch(s, [({"content": VAGUE, "grid_id": grid.id, "requester_phone": PHONE}, Channel.WEB)])
        assert s.get(Case, second.id).team_id == team.id


def test_open311_batch_answers_each_post_on_its_own(committed, monkeypatch):
    engine, world = committed
    from rxapp.domain.security import token_digest
    from rxapp.domain.clock import now
    from rxapp.models import ApiKey

    with Session(engine) as s:
        s.add(ApiKey(name="k", prefix="k", key_hash=token_digest("key-a"), rate_limit_per_minute=2, created_at=now()))
        s.commit()
    monkeypatch.setenv("REFLEX_REDIS_URL", "")
    O.rate_limiter.reset()
    good = {"service_code": "ENV", "description": CONFIDENT_ENV, "address_string": "朱家尖街道c1社区海滨路", "phone": PHONE}
    with Session(engine) as s:
        out = O.post_requests(
            s,
            [
                ("key-a", good),
                ("nope", good),  # unknown key
                ("key-a", {**good, "service_code": "NOPE"}),  # counts against the limit, then 404
                ("key-a", good),  # over the key's 2 a minute
                (None, good),
            ],
        )
    assert isinstance(out[0], list) and out[0][0]["service_request_id"].startswith("ZS")
    assert [getattr(o, "code", None) for o in out[1:]] == [403, 404, 429, 401]
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert case.grid_id == world.areas["g1"].id  # placed by the address: the community's first grid


def test_open311_batch_answers_a_locked_out_sender_429_and_takes_the_others(committed, monkeypatch):
    """The key-guessing lock is read in the batch (one query), not per request."""
    engine, _world = committed
    from datetime import timedelta

    from rxapp.domain import throttle
    from rxapp.domain.clock import now
    from rxapp.domain.security import token_digest
    from rxapp.models import ApiKey

    rule = throttle.Rule(limit=2, window=timedelta(minutes=10), lock=timedelta(minutes=10))
    with Session(engine) as s:
        s.add(ApiKey(name="k", prefix="k", key_hash=token_digest("key-a"), rate_limit_per_minute=100, created_at=now()))
        s.commit()
        throttle.record_failure(s, "apikey:ip:192.0.2.9", rule)
        until = throttle.record_failure(s, "apikey:ip:192.0.2.9", rule)
        assert until is not None
    monkeypatch.setenv("REFLEX_REDIS_URL", "")
    O.rate_limiter.reset()
    good = {"service_code": "ENV", "description": CONFIDENT_ENV, "address_string": "朱家尖街道c1社区海滨路", "phone": PHONE}
    with Session(engine) as s:
        out = O.post_requests(
            s,
            [
                ("key-a", good, "apikey:ip:192.0.2.9"),  # locked out, even with the right key
                ("key-a", good, "apikey:ip:192.0.2.10"),
                ("key-a", good),  # no sender given
            ],
        )
    assert out[0].code == 429 and "too many invalid keys" in out[0].description and f"{until:%H:%M}" in out[0].description
    assert all(isinstance(o, list) and o[0]["service_request_id"].startswith("ZS") for o in out[1:])
    with Session(engine) as s:
        assert len(s.exec(select(Case)).all()) == 2


def test_group_commit_answers_every_waiter_even_when_a_batch_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("REFLEX_DB_URL", f"sqlite:///{tmp_path}/gc.db")
    from rxapp.db import engine_for

    engine_for.cache_clear()
    seen: list[list] = []

    def write(_session, items):
        seen.append(list(items))
        if "bad" in items and len(items) > 1:
            raise RuntimeError("database error")  # the whole batch fails ...
        if items == ["bad"]:
            raise RuntimeError("still bad")
        return [f"ok:{x}" if x != "refused" else DomainError("不行", "x") for x in items]

    gc = GroupCommit(write, writers=1)

    async def run():
        async def one(x):
            try:
                return await gc.submit(x)
            except Exception as exc:  # noqa: BLE001
                return exc

        return await asyncio.gather(*(one(x) for x in ["a", "b", "bad", "refused", "c"]))

    results = asyncio.run(run())
    engine_for.cache_clear()
    assert results[0] == "ok:a" and results[1] == "ok:b" and results[4] == "ok:c"
    assert isinstance(results[2], RuntimeError) and isinstance(results[3], DomainError)
    assert len(seen[0]) > 1  # they really were grouped first, then retried one by one
    assert gc.items == 5


def test_a_deactivated_category_takes_no_part_in_classification(committed):
    """Intake classifies with the active categories' rules only, as the intake form's suggestion does."""
    from rxapp.domain.classify import classify
    from rxapp.models import Category

    engine, world = committed
    with Session(engine, expire_on_commit=False) as s:
        env = s.exec(select(Category).where(Category.code == "ENV")).one()
        env.active = False
        s.add(env)
        s.commit()
        assert "ENV" not in C.category_rules(s)
        single = C.submit_case(s, actor=None, data=_req(world, CONFIDENT_ENV)[0], channel=Channel.API)
        (batched,) = C.submit_public_batch(s, [_req(world, CONFIDENT_ENV)])
        b = s.get(Case, batched.id)
        expected = classify(CONFIDENT_ENV, C.category_rules(s))  # what the intake form suggests
        expected_id = s.exec(select(Category.id).where(Category.code == expected.code)).one()
        assert expected.code != "ENV" and (single.category_id, b.category_id) == (expected_id, expected_id)
        assert b.confidence == single.confidence == expected.confidence and b.status == single.status
