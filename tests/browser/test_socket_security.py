"""Raw websocket clients against the running app: what a hostile client gets.

No browser: python-socketio speaks Reflex's protocol directly, so the
checks do not depend on what the UI shows or hides."""

import asyncio
import json
import threading
import time
import uuid

import httpx
import pytest
import socketio
from reflex.state import State
from reflex_base.constants import CompileVars

from rxapp.state.base import AppState
from rxapp.state.home import HomeState
from tests.browser.conftest import SERVER, display_name, server_rss_kib

pytestmark = pytest.mark.browser


class RawClient:
    def __init__(self, base: str, token: str, session_cookie: str | None = None):
        self.base, self.token, self.cookie = base, token, session_cookie
        self.updates: list = []
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self.updates.append, namespace="/_event")

    async def __aenter__(self):
        headers = {"Cookie": f"gd_session={self.cookie}"} if self.cookie else {}
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path="/_event",
            transports=["websocket"],
            namespaces=["/_event"],
            headers=headers,
        )
        return self

    async def __aexit__(self, *exc):
        await self.sio.disconnect()

    async def send(self, name: str, payload: dict | None = None, wait: float = 1.5):
        await self.sio.emit(
            "event",
            {"name": name, "payload": payload or {}, "router_data": {"pathname": "/", "query": {}, "asPath": "/"}},
            namespace="/_event",
        )
        await asyncio.sleep(wait)

    def received(self) -> str:
        return json.dumps(self.updates, ensure_ascii=False)

    def values_of(self, state_cls: type, var: str) -> list:
        """Every value the server sent for ``state_cls.var``."""
        name = state_cls.get_full_name()
        found = []
        for update in self.updates:
            delta = (update or {}).get("delta", {}) if isinstance(update, dict) else {}
            for key, value in (delta.get(name) or {}).items():
                if key.split("_rx_state_")[0] == var:
                    found.append(value)
        return found


def run_in_own_loop(coro_fn):
    """Playwright's sync API owns this thread's event loop: run the raw
    client in a thread with a loop of its own."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = asyncio.run(coro_fn())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def hydrate() -> str:
    return f"{State.get_full_name()}.{CompileVars.HYDRATE}"


def login_cookie(base: str, username: str) -> str:
    r = httpx.post(base + "/api/auth/login", json={"username": username, "password": "griddesk-demo"})
    r.raise_for_status()
    return r.cookies["gd_session"]


def test_anonymous_socket_sending_privileged_events_gets_nothing(app_url):
    run_in_own_loop(lambda: _anonymous(app_url))


async def _anonymous(app_url):
    async with RawClient(app_url, str(uuid.uuid4())) as c:
        await c.send(hydrate())
        await c.send(f"{HomeState.get_full_name()}.load")
        await c.send(f"{AppState.get_full_name()}.load_user")
        assert c.updates, "the server answered"
        assert True not in c.values_of(HomeState, "loaded")
        assert all(v == "" for v in c.values_of(AppState, "user_role"))


def test_tab_token_without_its_session_cookie_receives_no_private_data(app_url, app_db):
    run_in_own_loop(lambda: _stolen_token(app_url, app_db))


async def _stolen_token(app_url, app_db):
    token = str(uuid.uuid4())
    name = display_name(app_db, "leader_zhujiajian")
    cookie = login_cookie(app_url, "leader_zhujiajian")
    async with RawClient(app_url, token, cookie) as owner:
        await owner.send(hydrate())
        await owner.send(f"{AppState.get_full_name()}.load_user")
        await owner.send(f"{HomeState.get_full_name()}.load")
        assert name in owner.values_of(AppState, "user_name")
        assert True in owner.values_of(HomeState, "loaded")
    # somebody else presents the same tab token, without the cookie
    async with RawClient(app_url, token) as thief:
        await thief.send(hydrate(), wait=2.5)
        assert thief.updates, "the server answered the hydrate"
        assert name not in thief.received()
        # the leader's scope must not show; the UI catalog (public, sent to every tab) may name a place in an example
        from rxapp.i18n import MESSAGES

        got = thief.received()
        for text in (*MESSAGES["zh"].values(), *MESSAGES["en"].values()):
            if "朱家尖街道" in text:
                got = got.replace(json.dumps(text, ensure_ascii=False)[1:-1], "")
        assert "朱家尖街道" not in got


def test_a_flood_of_unknown_and_malformed_events_leaves_the_worker_flat(app_url):
    """20,000 unknown or malformed events from one anonymous socket: memory and
    log stay flat, the flooding socket is cut off, and people are still served."""
    log = SERVER["log"]
    run_in_own_loop(lambda: _warm_up(app_url))
    rss_before, log_before = server_rss_kib(), log.stat().st_size
    sent = run_in_own_loop(lambda: _flood(app_url, 20_000))
    assert sent == 20_000
    time.sleep(2)
    rss_growth_mib = (server_rss_kib() - rss_before) / 1024
    log_growth = log.stat().st_size - log_before
    assert rss_growth_mib < 16, f"worker grew by {rss_growth_mib:.1f} MiB"
    assert log_growth < 20_000, f"log grew by {log_growth} bytes"
    # a person is still served
    run_in_own_loop(lambda: _served(app_url))


async def _warm_up(app_url):
    async with RawClient(app_url, str(uuid.uuid4())) as c:
        await c.send(hydrate(), wait=1.0)


async def _flood(app_url, count: int) -> int:
    junk = [
        {"name": "reflex___state____state.no_such_state.steal", "payload": {}, "router_data": {}},
        {"name": 12345},
        "not even json",
        {"name": f"{HomeState.get_full_name()}.no_such_handler", "payload": {}, "router_data": {}},
        {"name": f"{HomeState.get_full_name()}.load", "payload": "x", "router_data": {}},
    ]
    sent = 0
    client = RawClient(app_url, str(uuid.uuid4()))
    await client.__aenter__()
    for i in range(count):
        try:
            if client.sio.connected:
                await client.sio.emit("event", junk[i % len(junk)], namespace="/_event")
        except Exception:  # cut off by the server: the rest goes nowhere, as for a real attacker
            pass
        sent += 1
        if i % 500 == 0:
            await asyncio.sleep(0)
    await asyncio.sleep(1)
    try:
        await client.__aexit__()
    except Exception:
        pass
    return sent


async def _served(app_url):
    async with RawClient(app_url, str(uuid.uuid4())) as c:
        await c.send(hydrate(), wait=1.5)
        assert c.updates, "a normal client still gets its state"


def test_a_socket_from_another_origin_is_refused(app_url):
    """The websocket is accepted only from GRIDDESK_ORIGINS (a page on another
    site cannot open one with the visitor's cookie)."""

    async def connects(origin: str) -> bool:
        sio = socketio.AsyncClient(reconnection=False)
        try:
            await sio.connect(
                f"{app_url}?token={uuid.uuid4()}",
                socketio_path="/_event",
                transports=["websocket"],
                namespaces=["/_event"],
                headers={"Origin": origin},
                wait_timeout=5,
            )
            return True
        except socketio.exceptions.ConnectionError:
            return False
        finally:
            await sio.disconnect()

    assert run_in_own_loop(lambda: connects("https://evil.example")) is False
    assert run_in_own_loop(lambda: connects(app_url)) is True
