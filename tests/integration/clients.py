"""Clients the integration tests drive the app with: a browser-like Socket.IO
client speaking Reflex's protocol, and a stream of Open311 POSTs."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import aiohttp
import httpx
import socketio
import yarl
from reflex.state import State
from reflex_base.constants import CompileVars

from rxapp.state.base import AppState
from tests.integration.conftest import DEMO_KEY, PASSWORD

OPEN311_POST = "/api/open311/v2/requests.json"


def login_cookie(base: str, username: str) -> str:
    r = httpx.post(base + "/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.cookies["gd_session"]


def hydrate_event() -> str:
    return f"{State.get_full_name()}.{CompileVars.HYDRATE}"


def load_user_event() -> str:
    return f"{AppState.get_full_name()}.load_user"


class SocketClient:
    """Speaks Reflex's Socket.IO protocol like a browser tab: a tab token in
    the URL, the session cookie in a cookie jar that survives reconnects (the
    engineio client alone keeps a ``Cookie`` header only for the first
    connection: on reconnect it would come back logged out, which a browser
    never does)."""

    def __init__(self, base: str, cookie: str | None = None, *, reconnection: bool = False):
        self.base, self.cookie = base, cookie
        self.token = str(uuid.uuid4())
        self.router_data = {"pathname": "/", "query": {}, "asPath": "/"}
        self.updates: list[dict] = []
        self.connects = 0
        self.disconnects = 0
        self.reconnection = reconnection
        self.http: aiohttp.ClientSession | None = None
        self.sio: socketio.AsyncClient | None = None

    async def connect(self) -> SocketClient:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP-address host
        if self.cookie:
            jar.update_cookies({"gd_session": self.cookie}, yarl.URL(self.base))
        self.http = aiohttp.ClientSession(cookie_jar=jar)
        self.sio = socketio.AsyncClient(
            reconnection=self.reconnection,
            reconnection_delay=0.3,
            reconnection_delay_max=2,
            randomization_factor=0.2,
            http_session=self.http,
        )
        self.sio.on("event", self._on_update, namespace="/_event")
        self.sio.on("connect", self._on_connect, namespace="/_event")
        self.sio.on("disconnect", self._on_disconnect, namespace="/_event")
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path="/_event",
            transports=["websocket"],
            namespaces=["/_event"],
            headers={"Origin": self.base},
            wait_timeout=15,
        )
        return self

    def _on_update(self, data: Any) -> None:
        if isinstance(data, dict):
            self.updates.append(data)

    def _on_connect(self) -> None:
        self.connects += 1

    def _on_disconnect(self, *_args: Any) -> None:
        self.disconnects += 1

    async def close(self) -> None:
        try:
            if self.sio is not None:
                await self.sio.disconnect()
        finally:
            if self.http is not None:
                await self.http.close()

    async def __aenter__(self) -> SocketClient:
        return await self.connect()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    def local_port(self) -> int | None:
        ws = getattr(getattr(self.sio, "eio", None), "ws", None)
        sockname = ws.get_extra_info("sockname") if ws is not None else None
        return sockname[1] if sockname else None

    async def emit(self, name: str, payload: dict | None = None) -> int:
        """Send one event; returns the index of the first update that can answer it."""
        mark = len(self.updates)
        await self.sio.emit(
            "event", {"name": name, "payload": payload or {}, "router_data": self.router_data}, namespace="/_event"
        )
        return mark

    async def wait(self, predicate: Callable[[list[dict]], Any], since: int, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.updates[since:])
            if found:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"socket: no {what} within {timeout:.0f}s ({len(self.updates) - since} updates since)")
            await asyncio.sleep(0.05)

    @staticmethod
    def values(updates: list[dict], state_cls: type, var: str) -> list[Any]:
        """Every value the server sent for ``state_cls.var`` in ``updates``."""
        name = state_cls.get_full_name()
        found = []
        for update in updates:
            for key, value in ((update.get("delta") or {}).get(name) or {}).items():
                if key.split("_rx_state_")[0] == var:
                    found.append(value)
        return found

    async def served_as(self, role: str, timeout: float = 20.0) -> bool:
        """Hydrate and load the user; True once the server answers with ``role``."""
        await self.emit(hydrate_event())
        mark = await self.emit(load_user_event())
        await self.wait(lambda ups: role in self.values(ups, AppState, "user_role"), mark, timeout, f"user_role {role!r}")
        return True


def worker_serving(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server end of the TCP connection from
    ``client_port`` (read from /proc: the socket's inode, then whose fd it is)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    cols = line.split()
                    local, remote, state, inode = cols[1], cols[2], cols[3], cols[9]
                    if state == "01" and int(local.rsplit(":", 1)[1], 16) == server_port and int(remote.rsplit(":", 1)[1], 16) == client_port:
                        inodes.add(f"socket:[{inode}]")
        except OSError:
            continue
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


# ----------------------------------------------------------------------------
# Open311 load
# ----------------------------------------------------------------------------
@dataclass
class PostResult:
    at: float  # time.monotonic() when the answer arrived
    status: int  # 0: no HTTP answer (connection reset, timeout)
    code: str | None = None
    error: str = ""


@dataclass
class Open311Load:
    """``clients`` threads posting service requests until stopped."""

    base: str
    address: str
    clients: int = 6
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    results: list[PostResult] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def form(self, n: int) -> dict[str, str]:
        return {
            "api_key": DEMO_KEY,
            "service_code": "ENV",
            "description": f"[{self.tag}-{n}] 小区旁边的工厂晚上排放废气，气味刺鼻，请环保部门查处",
            "address_string": self.address,
            "phone": "13912345678",
            "first_name": "小明",
            "last_name": "王",
        }

    def post_once(self, client: httpx.Client, n: int) -> PostResult:
        try:
            r = client.post(self.base + OPEN311_POST, data=self.form(n))
        except httpx.HTTPError as exc:
            return PostResult(time.monotonic(), 0, error=type(exc).__name__)
        code = None
        if r.status_code == 201:
            code = r.json()[0]["service_request_id"]
        return PostResult(time.monotonic(), r.status_code, code, "" if r.status_code == 201 else r.text[:200])

    def _run(self, idx: int) -> None:
        n = 0
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                result = self.post_once(client, idx * 1_000_000 + n)
                n += 1
                with self._lock:
                    self.results.append(result)
                if result.status == 0:
                    time.sleep(0.05)  # a dropped connection: a real client backs off a little

    def start(self) -> Open311Load:
        for i in range(self.clients):
            t = threading.Thread(target=self._run, args=(i,), daemon=True, name=f"open311-{i}")
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 60) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=timeout)
        assert not any(t.is_alive() for t in self._threads), "an Open311 client did not stop"

    def snapshot(self) -> list[PostResult]:
        with self._lock:
            return list(self.results)

    def post_one(self) -> PostResult:
        """One more request, outside the stream."""
        with httpx.Client(timeout=30) as client:
            return self.post_once(client, -1)

    def acked(self) -> list[str]:
        return [r.code for r in self.snapshot() if r.status == 201 and r.code]

    def wait_acked(self, n: int, timeout: float, since: float = 0.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for r in self.snapshot() if r.status == 201 and r.at >= since) < n:
            if time.monotonic() >= deadline:
                got = sum(1 for r in self.snapshot() if r.status == 201 and r.at >= since)
                statuses = sorted({r.status for r in self.snapshot() if r.at >= since})
                raise AssertionError(f"only {got} of {n} Open311 POSTs acknowledged within {timeout:.0f}s (statuses seen: {statuses})")
            time.sleep(0.1)
