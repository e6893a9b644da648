"""Optimistic locking and concurrent intake, on real separate connections."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update
from sqlmodel import Session, func, select

from rxapp.domain import cases as C
from rxapp.domain.errors import StaleVersion
from rxapp.models import Case, CaseEvent
from tests.domain.cases_support import PHONE, VAGUE, drive, snapshot
from tests.factories import make_world


def test_stale_version_is_refused_and_changes_nothing(session, world):
    case = drive(session, world, "routed")
    before = snapshot(session, case.id)
    with pytest.raises(StaleVersion) as err:
        C.sign_case(session, actor=world.actors["dept_env"], case_id=case.id, expected_version=case.version - 1)
    assert err.value.message == "已被他人修改，请刷新后重试"
    assert snapshot(session, case.id) == before


def test_a_write_between_load_and_update_is_caught_by_the_versioned_update(session, world, monkeypatch):
    """The UPDATE itself checks the version (not only the read before it)."""
    case = drive(session, world, "routed")
    real_load = C._load

    def load_then_someone_else_writes(*args, **kwargs):
        who, loaded = real_load(*args, **kwargs)
        bump = update(Case).where(Case.id == loaded.id).values(version=Case.version + 1)
        session.exec(bump.execution_options(synchronize_session=False))  # as another connection would
        return who, loaded

    monkeypatch.setattr(C, "_load", load_then_someone_else_writes)
    events_before = session.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    with pytest.raises(StaleVersion):
        C.sign_case(session, actor=world.actors["dept_env"], case_id=case.id, expected_version=case.version)
    session.rollback()
    session.expire_all()
    assert session.get(Case, case.id).status == "routed"
    assert session.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)).one() == events_before


def _prepared(engine):
    with Session(engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
        case = drive(s, world, "routed")
        return world, case.id, case.version


@pytest.mark.parametrize("read_first", [False, True], ids=["fresh-session", "session-already-read"])
def test_two_sessions_racing_on_one_case_exactly_one_wins(fresh_engine, monkeypatch, read_first):
    """With ``read_first`` each session has read the case before acting, so on
    SQLite the loser's write hits a stale snapshot and the action is retried."""
    world, case_id, version = _prepared(fresh_engine)
    dept = world.actors["dept_env"]
    if fresh_engine.dialect.name == "postgresql" and not read_first:
        # both pass the read check before either writes: the row lock and the
        # versioned UPDATE decide (SQLite serialises writers up front instead)
        gate = threading.Barrier(2, timeout=10)
        real_load = C._load

        def load_together(*args, **kwargs):
            result = real_load(*args, **kwargs)
            gate.wait()
            return result

        monkeypatch.setattr(C, "_load", load_together)

    def sign():
        with Session(fresh_engine, expire_on_commit=False) as s:
            if read_first:
                s.get(Case, case_id)
                start.wait()
            C.sign_case(s, actor=dept, case_id=case_id, expected_version=version)

    def note():
        with Session(fresh_engine, expire_on_commit=False) as s:
            if read_first:
                s.get(Case, case_id)
                start.wait()
            C.add_note(s, actor=dept, case_id=case_id, expected_version=version, note="已联系现场")

    start = threading.Barrier(2, timeout=10)

    def run(fn):
        if not read_first:
            start.wait()
        try:
            fn()
            return "ok"
        except StaleVersion:
            return "stale"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(run, [sign, note]))
    assert outcomes == ["ok", "stale"]
    with Session(fresh_engine) as s:
        case = s.get(Case, case_id)
        n_events = s.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).one()
        assert case.version == version + 1 and n_events == version + 1
        assert case.status in ("in_progress", "routed")


def test_concurrent_intake_gets_unique_sequential_codes(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
    grid_id = world.areas["g1"].id
    threads, per_thread = 6, 4
    start = threading.Barrier(threads, timeout=10)

    def intake(i):
        start.wait()
        codes = []
        for j in range(per_thread):
            with Session(fresh_engine, expire_on_commit=False) as s:
                data = {"content": f"{VAGUE}{i}-{j}", "grid_id": grid_id, "requester_phone": PHONE}
                codes.append(C.submit_case(s, actor=None, data=data, channel="web").code)
        return codes

    with ThreadPoolExecutor(threads) as pool:
        codes = [c for batch in pool.map(intake, range(threads)) for c in batch]
    assert len(set(codes)) == threads * per_thread
    assert sorted(int(c[-4:]) for c in codes) == list(range(1, threads * per_thread + 1))
    with Session(fresh_engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == threads * per_thread
