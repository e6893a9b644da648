"""Redis crashes and comes back while residents' requests keep arriving.

Redis holds only UI state: losing it may log people's tabs back to a fresh
state, but never loses a case. While Redis is down /_health says so and
Open311 intake (database only) keeps taking requests; once it is back
/_health recovers, and a person with a tab open before the crash is served
again, as is someone who opens a new one."""

from __future__ import annotations

import time

import pytest

from tests.integration.clients import Open311Load, SocketClient, login_cookie
from tests.integration.conftest import assert_cases_stored, assert_rollups_consistent, wait_for

pytestmark = pytest.mark.integration

REDIS_BACK_WITHIN = 30  # seconds from redis-server answering again to /_health saying so


def test_redis_restart_drops_no_case_data(app, redis_server, it_engine, intake_address, aio):
    cookie = login_cookie(app.base, "leader")
    before = SocketClient(app.base, cookie, reconnection=True)
    aio.run(before.connect())
    load = Open311Load(app.base, intake_address, clients=4)
    try:
        assert aio.run(before.served_as("leader"))
        load.start()
        load.wait_acked(20, timeout=60)

        # Redis dies (SIGKILL, nothing saved)
        redis_server.kill()
        wait_for(lambda: app.health()[1].get("redis") is False, 15, "/_health to report Redis down")
        down = time.monotonic()
        # intake is database only: it keeps acknowledging requests while Redis is down
        load.wait_acked(10, timeout=30, since=down)

        # Redis comes back empty on the same port
        redis_server.start()
        back = time.monotonic()
        wait_for(app.serving, REDIS_BACK_WITHIN, "/_health to report Redis up again")
        recovered = time.monotonic() - back
        load.wait_acked(10, timeout=30, since=time.monotonic())
    finally:
        load.stop()

    # every acknowledged request is a case in PostgreSQL
    results = load.snapshot()
    acked = load.acked()
    assert assert_cases_stored(it_engine, acked) == len(acked)
    failed = [r for r in results if r.status != 201]
    assert failed == [], f"{len(failed)} Open311 POSTs failed around the Redis restart: {failed[:5]}"

    # the tab opened before the crash is served again (its UI state may have been reset)
    aio.run(before.served_as("leader", timeout=30), timeout=60)
    # and so is a new one
    fresh = SocketClient(app.base, login_cookie(app.base, "leader"))
    aio.run(fresh.connect())
    try:
        assert aio.run(fresh.served_as("leader"))
    finally:
        aio.run(fresh.close())
        aio.run(before.close())
    assert_rollups_consistent(it_engine)
    print(f"\nRedis restart: {len(acked)} requests acknowledged and stored; /_health recovered {recovered:.1f}s after Redis")
