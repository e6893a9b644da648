"""A backend worker dies (SIGKILL) in the middle of a load run.

Several Open311 clients keep posting; the granian worker serving a logged-in
person's websocket is killed. Every request that was acknowledged (201) is a
case in PostgreSQL, the app keeps serving (later POSTs succeed, /_health is
200, the worker is replaced) and the person's tab reconnects and is served."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.integration.clients import Open311Load, SocketClient, login_cookie, worker_serving
from tests.integration.conftest import WORKERS, assert_cases_stored, assert_rollups_consistent, wait_for

pytestmark = pytest.mark.integration

RESPAWN_NOTE = (
    "the whole app stopped after one worker was killed: reflex 0.10.1 starts granian "
    "without respawn_failed_workers, so granian shuts everything down when a worker dies"
)


def test_killing_a_worker_mid_load_loses_no_acknowledged_case(app, it_engine, intake_address, aio):
    person = SocketClient(app.base, login_cookie(app.base, "leader"), reconnection=True)
    aio.run(person.connect())
    load = Open311Load(app.base, intake_address, clients=6)
    try:
        assert aio.run(person.served_as("leader"))
        main = app.granian_main()
        workers = {w.pid for w in app.workers()}
        victim = worker_serving(app.port, person.local_port(), sorted(workers))
        assert main is not None and len(workers) == WORKERS, f"granian main {main}, workers {workers}"
        assert victim in workers and victim != main.pid, f"the socket is served by {victim}, not a worker {workers}"

        load.start()
        load.wait_acked(30, timeout=60)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()

        # the app keeps serving: new requests are acknowledged after the kill
        def served_since_kill() -> bool:
            assert app.alive(), f"{RESPAWN_NOTE}; app log:\n{app.log_tail()}"
            return sum(1 for r in load.snapshot() if r.status == 201 and r.at > killed + 1) >= 30

        wait_for(served_since_kill, 60, "Open311 POSTs to succeed after the kill", interval=0.25)
        assert app.alive(), RESPAWN_NOTE
        wait_for(app.serving, 30, "/_health 200 after the kill")
        # granian replaced the dead worker
        wait_for(lambda: len(app.workers()) == WORKERS and victim not in {w.pid for w in app.workers()}, 30, "a new worker")

        # the person's tab reconnects by itself and its next event is answered
        wait_for(lambda: person.connects >= 2 and person.connected, 30, "the websocket to reconnect")
        assert person.disconnects >= 1
        assert aio.run(person.served_as("leader"))
        load.wait_acked(10, timeout=30, since=time.monotonic())
    finally:
        load.stop()
        aio.run(person.close())

    results = load.snapshot()
    acked = load.acked()
    assert assert_cases_stored(it_engine, acked) == len(acked)
    lost = [r for r in results if r.status != 201]
    # only requests in flight on the killed worker may fail, and they fail without an answer
    assert all(r.status == 0 and r.at >= killed for r in lost), f"unexpected failures: {lost[:5]}"
    assert len(lost) <= load.clients, f"{len(lost)} requests failed for one killed worker"
    last = load.post_one()  # and the app still takes requests
    assert last.status == 201, last
    assert_cases_stored(it_engine, [last.code])
    assert_rollups_consistent(it_engine)
    print(f"\nworker kill: {len(acked)} acknowledged and stored, {len(lost)} in flight on the killed worker got no answer")
