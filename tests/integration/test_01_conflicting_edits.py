"""200 people edit 4 hot cases at once, on PostgreSQL, the way the case page
does it: each holds the version their page loaded, a stale edit is refused
("已被他人修改，请刷新后重试") and they refresh and try again. Most go through the
domain functions in threads; two people do it through the running app's
websocket (real Socket.IO clients on the case page, two workers, Redis).

Afterwards every acknowledged change has exactly its one event, each hot
case's event versions run 1..N without a gap or a duplicate, nothing refused
was written, and the dashboard rollups still equal a rebuild from scratch."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, select

from rxapp.domain import cases as C
from rxapp.domain.access import actor_for
from rxapp.domain.errors import DomainError, StaleVersion
from rxapp.models import Case, CaseEvent, CaseStatus, User
from rxapp.state.case_detail import CaseDetailState
from tests.integration.clients import SocketClient, login_cookie
from tests.integration.conftest import assert_rollups_consistent, in_thread

pytestmark = pytest.mark.integration

HOT_CASES = 4
DOMAIN_ACTIONS = 180
SOCKET_PEOPLE = ("admin", "dispatcher")
SOCKET_EDITS_EACH = 10  # 180 + 2 x 10 = 200 edits
MAX_TRIES = 400
ROLE = {"admin": "admin", "dispatcher": "dispatcher"}
BAD_EVERY = 12  # every 12th domain edit is invalid (note too long): refused even when fresh

# (action, username, keyword of the text argument)
KINDS = (
    ("add_note", "admin", "note"),
    ("comment", "leader", "note"),
    ("supervise", "leader", "note"),
    ("public_reply", "dispatcher", "text"),
    ("add_note", "dispatcher", "note"),
)


@dataclass
class Outcome:
    who: str
    case_id: int
    action: str
    acked: str | None = None  # the text of the change that was acknowledged
    version: int | None = None  # the case version the domain returned with it
    refused: list[str] = field(default_factory=list)  # texts of refused attempts
    final_error: str = ""  # a non-stale refusal that ended the attempt (expected for bad edits)
    unexpected: str = ""  # anything else: the test fails


def _hot_cases(engine, actors: dict) -> list[int]:
    """Open cases every actor of KINDS may act on (scope and state)."""
    with Session(engine) as s:
        rows = s.exec(select(Case).where(Case.status.in_([CaseStatus.IN_PROGRESS, CaseStatus.ROUTED])).order_by(Case.id)).all()
        hot = [c.id for c in rows if all(kind in C.allowed_actions(actors[user], c) for kind, user, _ in KINDS)]
    assert len(hot) >= HOT_CASES, f"the seed has only {len(hot)} cases every actor may act on"
    return hot[:HOT_CASES]


def _domain_person(engine, i: int, case_id: int, actors: dict, run: str, gate: threading.Barrier) -> Outcome:
    action, user, arg = KINDS[i % len(KINDS)]
    fn = C.ACTION_FUNCTIONS[action]
    bad = i % BAD_EVERY == 0
    rng = random.Random(i)
    out = Outcome(f"{user}#{i}", case_id, action)
    gate.wait()
    for attempt in range(MAX_TRIES):
        with Session(engine) as s:  # the page: loads the case and shows its version
            version = s.get(Case, case_id).version
        time.sleep(rng.uniform(0, 0.01))  # reading it, typing
        text = f"IT{run} d{i} t{attempt}"
        value = text + " " + "长" * 2100 if bad else text
        with Session(engine, expire_on_commit=False) as s:
            try:
                case = fn(s, actor=actors[user], case_id=case_id, expected_version=version, **{arg: value})
            except StaleVersion:
                out.refused.append(text)  # "已被他人修改，请刷新后重试": refresh and try again
                time.sleep(rng.uniform(0, 0.02))
                continue
            except DomainError as exc:
                out.refused.append(text)
                out.final_error = exc.message
                return out
            except Exception as exc:  # noqa: BLE001 - reported by the test
                out.unexpected = f"{type(exc).__name__}: {exc}"
                return out
            out.acked, out.version = text, case.version
            return out
    out.unexpected = f"gave up after {MAX_TRIES} stale refusals"
    return out


async def _socket_person(
    base: str, username: str, case_code: str, case_id: int, run: str, ready: threading.Barrier, go: threading.Event
) -> list[Outcome]:
    """A person on /cases/<code> adding internal notes through the real page
    state: open the dialog, submit; on 已被他人修改 refresh the page and retry."""
    detail = CaseDetailState.get_full_name()
    values = SocketClient.values
    outcomes: list[Outcome] = []
    async with SocketClient(base, login_cookie(base, username)) as c:
        # the case page's route, as the browser reports it with every event
        c.router_data = {"pathname": "/cases/[code]", "query": {"code": case_code}, "asPath": f"/cases/{case_code}"}
        assert await c.served_as(ROLE[username])

        async def load(event: str) -> None:
            mark = await c.emit(f"{detail}.{event}")
            await c.wait(lambda ups: False in values(ups, CaseDetailState, "loading"), mark, 30, f"case page {event}")
            errors = [e for e in values(c.updates[mark:], CaseDetailState, "error") if e]
            assert not errors, f"case page for {username}: {errors}"

        await load("load")
        await asyncio.to_thread(ready.wait)  # every socket person has the page open
        await asyncio.to_thread(go.wait, 60)  # the domain threads are let loose too
        for n in range(SOCKET_EDITS_EACH):
            out = Outcome(f"{username}@socket", case_id, "add_note")
            for attempt in range(MAX_TRIES):
                text = f"IT{run} s{username}{n} t{attempt}"
                mark = await c.emit(f"{detail}.open_action", {"name": "add_note"})
                await c.wait(lambda ups: "add_note" in values(ups, CaseDetailState, "dialog"), mark, 30, "the note dialog")
                mark = await c.emit(f"{detail}.submit_action", {"form_data": {"note": text}})

                def verdict(ups):
                    if "" in values(ups, CaseDetailState, "dialog"):
                        return ("ok", "")
                    for errs in values(ups, CaseDetailState, "dialog_errors"):
                        if isinstance(errs, dict) and errs.get("form"):
                            return ("refused", errs["form"])
                    return None

                result, message = await c.wait(verdict, mark, 30, "the outcome of submit_action")
                if result == "ok":
                    out.acked = text
                    break
                out.refused.append(text)
                if message != StaleVersion().message:
                    out.unexpected = f"refused: {message}"
                    break
                await load("refresh")  # the person clicks refresh
            else:
                out.unexpected = f"gave up after {MAX_TRIES} stale refusals"
            outcomes.append(out)
    return outcomes


def test_200_concurrent_conflicting_edits_lose_nothing(app, it_engine):
    run = uuid.uuid4().hex[:6]
    with Session(it_engine, expire_on_commit=False) as s:
        actors = {u.username: actor_for(s, u) for u in s.exec(select(User)).all()}
    hot = _hot_cases(it_engine, actors)
    with Session(it_engine) as s:
        cases = {cid: s.get(Case, cid) for cid in hot}
        before = {cid: c.version for cid, c in cases.items()}
        codes = {cid: c.code for cid, c in cases.items()}

    # two people on the websocket on the same hot case page, racing each other
    # and the domain threads
    ready = threading.Barrier(len(SOCKET_PEOPLE) + 1, timeout=120)
    go = threading.Event()
    socket_results: dict[str, list[Outcome]] = {}
    socket_errors: list[BaseException] = []

    def socket_people() -> None:
        async def all_people():
            try:
                return await asyncio.gather(*(_socket_person(app.base, u, codes[hot[0]], hot[0], run, ready, go) for u in SOCKET_PEOPLE))
            except BaseException:
                ready.abort()  # nobody waits for a person who failed
                raise

        try:
            for u, outs in zip(SOCKET_PEOPLE, in_thread(all_people, timeout=240)):
                socket_results[u] = outs
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            socket_errors.append(exc)
            ready.abort()

    socket_thread = threading.Thread(target=socket_people, daemon=True)
    socket_thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        socket_thread.join(timeout=30)
        raise socket_errors[0] if socket_errors else AssertionError("the socket people never got their page")

    gate = threading.Barrier(DOMAIN_ACTIONS + 1, timeout=120)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=DOMAIN_ACTIONS) as pool:
        futures = [pool.submit(_domain_person, it_engine, i, hot[i % HOT_CASES], actors, run, gate) for i in range(DOMAIN_ACTIONS)]
        gate.wait()
        go.set()
        outcomes = [f.result(timeout=240) for f in futures]
    domain_done = time.monotonic() - started
    socket_thread.join(timeout=240)
    elapsed = time.monotonic() - started
    assert not socket_thread.is_alive(), "the socket people did not finish"
    if socket_errors:
        raise socket_errors[0]
    for outs in socket_results.values():
        outcomes.extend(outs)
    assert len(outcomes) == DOMAIN_ACTIONS + len(SOCKET_PEOPLE) * SOCKET_EDITS_EACH == 200

    # -- what each person was told ------------------------------------------
    assert [o for o in outcomes if o.unexpected] == []
    bad = [o for o in outcomes if o.final_error]
    assert len(bad) == len(range(0, DOMAIN_ACTIONS, BAD_EVERY)) and all(o.acked is None for o in bad)
    acked = [o for o in outcomes if o.acked]
    assert len(acked) == 200 - len(bad)
    stale = sum(len(o.refused) for o in outcomes) - len(bad)
    assert stale > 0, "no edit ever conflicted: the load did not race"

    # -- what the database holds ----------------------------------------------
    with Session(it_engine) as s:
        events = s.exec(select(CaseEvent).where(CaseEvent.note.like(f"IT{run} %"))).all()
        by_note = Counter(e.note for e in events)
        assert [n for n, k in by_note.items() if k > 1] == [], "an acknowledged change was written twice"
        refused_texts = {t for o in outcomes for t in o.refused}
        written_refused = [e.note[:40] for e in events if e.note.split(" 长")[0] in refused_texts]
        assert written_refused == [], "a refused edit was written"
        assert set(by_note) == {o.acked for o in acked}, "acknowledged changes and written events differ"
        event_of = {e.note: e for e in events}
        for o in acked:
            e = event_of[o.acked]
            assert (e.case_id, e.action) == (o.case_id, o.action)
            if o.version is not None:  # the domain's answer: this change made exactly that version
                assert e.version_after == o.version
        for cid in hot:
            case = s.get(Case, cid)
            versions = s.exec(select(CaseEvent.version_after).where(CaseEvent.case_id == cid)).all()
            assert sorted(versions) == list(range(1, len(versions) + 1)), f"case {cid}: event versions not 1..N"
            assert case.version == max(versions) == len(versions)
            assert case.version - before[cid] == sum(1 for o in acked if o.case_id == cid)
    assert_rollups_consistent(it_engine)
    socket_stale = sum(len(o.refused) for outs in socket_results.values() for o in outs)
    print(
        f"\n200 edits on {HOT_CASES} cases in {elapsed:.1f}s (domain threads {domain_done:.1f}s): {len(acked)} acknowledged, {stale} stale refusals retried"
        f" ({socket_stale} of them on the websocket), {len(bad)} invalid refused"
    )
