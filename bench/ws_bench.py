"""Websocket benchmarks against the real running app (issue 8).

1. ``ws_rtt``: event round trip (send -> the reply's delta arrives) with 1, 50
   and 200 connected clients, each logged in as a leader with the dashboard
   loaded, modelled as people: one event outstanding per client, the next sent
   ~1 s (0.75-1.25 s) after the previous reply.  Handlers:

   * ``echo``  - ``ProbeState.echo`` (rxapp/state/probe.py): the floor; it only
     sets one int, but passes the same firewall and guard as every event.
   * ``tick``  - the dashboard page's ``DashboardState.tick`` (its heartbeat) with
     nothing changed.  Reflex sends no reply for an event that changes no var,
     so the tick is followed at once by an ``echo`` on the same socket (events
     of one tab run in order) and timed until the echo's answer.
   * ``set_period`` - a dashboard filter change (this month <-> this year):
     a full refresh and re-render of that viewer's dashboard.

   Target (issue 8): p95 <= 100 ms at 200 clients.

   ``map_scope`` (issue 13): one tab on /map zooms into each district and
   back out, for each measure, twice (``ws_map_scope``): "cold" is the first
   time a (scope, measure) is asked (computed), "warm" the shared view; the
   other tabs stay connected.  With ``--redis``, ``ws_state_bytes`` reads what
   Redis stores per tab for DashboardState and MapState (the pickle that every
   event of the tab loads and saves).

2. ``ws_live``: 200 dashboards open, each sending its heartbeat ``tick`` as the
   page does (``rx.moment(interval=20000)``; updates are pushed by the server),
   then a dispatcher resolves an
   accepted case of this month through ``rxapp.domain.cases.resolve_case``
   against the same database; for each dashboard, the time from the commit
   (SQLAlchemy ``after_commit``) until a delta with changed KPI cards arrives.
   Target: p95 <= 2 s.

3. ``ws_load_live`` / ``ws_load_rtt`` (issue 18, ``--load-rate N``): the 200
   dashboards spread over 20 filtered views (city, a district, a township, a
   community, one of its grids x no filter / a category / a department x this
   month / this year, set through the page's own events) while a load
   generator in its own process POSTs Open311 requests at a fixed rate (open
   loop: request i is due at i / N s; what the server does not take within a
   second of backlog is not sent and counted) into that community and twenty
   others.  Live latency: for each dashboard and each acknowledged case (201)
   of the window, the time from the 201 until the first delta whose
   ``data_as_of`` (every commit before it is in the figures) is later;
   ``missed`` counts pairs with no such delta ``--live-wait`` s after the
   window.  Then echo (the floor), tick and set_period round trips at 200
   clients with the load still running, each with the intake rate achieved
   meanwhile.  The push task's own record (``GRIDDESK_LIVE_STATS``) gives the
   cycles, their length and the views computed (coalescing: at most once a
   cycle).  Targets: live p95 <= 2 s, events p95 <= 100 ms.

By default it seeds a fresh SQLite database, starts ``reflex run --env prod``
from this repository on ``--port`` and stops it at the end; ``--db-url`` (a
PostgreSQL URL: the database is created, seeded and dropped again unless it
existed), ``--redis`` (a Redis URL; FLUSHDB before and after) and
``--workers`` (GRANIAN_WORKERS) bench the production mode.  ``--url`` benches
an app that is already running instead (part 2 then needs ``--db-url`` of
that app's database).  Prints one JSON line per measurement:

    .venv/bin/python bench/ws_bench.py [--port 3300] [--clients 1,50,200] [--seconds 10]
    .venv/bin/python bench/ws_bench.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/griddesk_ws_bench \\
        --redis redis://127.0.0.1:6379/5 --workers 2
    .venv/bin/python bench/ws_bench.py --load-rate 300                  # + live under intake load, default mode
    .venv/bin/python bench/ws_bench.py --load-rate 1000 --db-url ... --redis ... --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # rxconfig.py is read from the working directory

import httpx  # noqa: E402
import socketio  # noqa: E402
from reflex.state import State  # noqa: E402
from reflex_base.constants import CompileVars  # noqa: E402

from rxapp.db import make_engine  # noqa: E402
from rxapp.domain import cases as C  # noqa: E402
from rxapp.domain.access import actor_for  # noqa: E402
from rxapp.domain.clock import now  # noqa: E402
from rxapp.models import Case, CaseStatus, User  # noqa: E402
from rxapp.state.base import AppState  # noqa: E402
from rxapp.state.dashboard import DashboardState  # noqa: E402
from rxapp.state.map import MapState  # noqa: E402
from rxapp.state.probe import ProbeState  # noqa: E402

PASSWORD = "griddesk-demo"
LEADERS = ("leader", "admin")  # city scope: every case shows on their dashboard
RESOLVER = "dispatcher"
FIELD = "_rx_state_"
HYDRATE = f"{State.get_full_name()}.{CompileVars.HYDRATE}"
DASH = DashboardState.get_full_name()
PROBE = ProbeState.get_full_name()
APP = AppState.get_full_name()
MAP = MapState.get_full_name()
ROUTER = {"pathname": "/dashboard", "query": {}, "asPath": "/dashboard"}
MAP_ROUTER = {"pathname": "/map", "query": {}, "asPath": "/map"}
MAP_MEASURES = ("completion", "overdue", "intake", "satisfaction")
TICK_EVERY = 20.0  # the page's rx.moment interval (a heartbeat: updates are pushed)
REPLY_TIMEOUT = 10.0  # a reply later than this counts as a timeout
SETTLE_MAX = 20.0  # a server that cannot work off its backlog in this time is not measured further in that phase


def emit(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def note(msg: str) -> None:
    print(f"[ws_bench] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def summary(ms: list[float]) -> dict:
    r = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {"p50_ms": r(pct(ms, 0.50)), "p95_ms": r(pct(ms, 0.95)), "max_ms": r(max(ms) if ms else None)}


# ---------------------------------------------------------------------------
# the app under test
# ---------------------------------------------------------------------------
def _get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except Exception:
        return 0, b""


class Server:
    """Seeds a database and runs ``reflex run --env prod`` from this repo, as
    tests/browser/conftest.py does."""

    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="ws_bench_"))
        self.proc: subprocess.Popen | None = None
        self.log_path = self.tmp / "app-server.log"
        self.stats_path = self.tmp / "live-stats.jsonl"
        self.created_pg: str | None = None
        self.db_url = args.db_url or f"sqlite:///{self.tmp / 'ws_bench.db'}"

    # -- database -----------------------------------------------------------
    def prepare_db(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        url = make_url(self.db_url)
        if url.get_backend_name() == "postgresql":
            admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
            admin = admin.execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first():
                    conn.execute(text(f'CREATE DATABASE "{url.database}"'))
                    self.created_pg = url.database
            admin.dispose()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rxapp.seed", "--cases", str(self.args.cases), "--grids-per-township", "1",
             "--db", self.db_url, "--random-seed", "7", "--if-empty", "--quiet"],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "GRIDDESK_DEMO": "1"},
        )
        note(f"seeded {self.db_url} in {time.perf_counter() - t0:.1f}s")
        # the intake load would hit the demo key's per-minute limit: lift it in this bench database
        engine = make_engine(self.db_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE apikey SET rate_limit_per_minute = 100000000"))
        engine.dispose()

    def drop_db(self) -> None:
        if not self.created_pg or self.args.keep_db:
            return
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        url = make_url(self.db_url)
        admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
        with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.created_pg}" WITH (FORCE)'))
        admin.dispose()
        note(f"dropped database {self.created_pg}")

    # -- redis --------------------------------------------------------------
    def flush_redis(self) -> None:
        if self.args.redis:
            import redis

            r = redis.Redis.from_url(self.args.redis)
            r.flushdb()
            r.close()

    # -- app server -----------------------------------------------------------
    def start(self) -> str:
        port = self.args.port
        base = f"http://localhost:{port}"
        import socket

        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} is in use: stop that server or pass --port")
        env = {
            **os.environ,
            "REFLEX_DB_URL": self.db_url,
            "GRIDDESK_ORIGINS": f"http://localhost:{port},http://127.0.0.1:{port}",
            "PYTHONUNBUFFERED": "1",
            "GRIDDESK_DEMO": "1",  # the demo accounts the tabs sign in with
            # the disk state manager's files live with this run, not in the repo's .states
            "REFLEX_STATES_WORKDIR": str(self.tmp / "states"),
            # the push task's cycles (rxapp.state.dashboard): views computed per cycle
            "GRIDDESK_LIVE_STATS": str(self.stats_path),
        }
        env.pop("REFLEX_STATE_MANAGER_MODE", None)
        if self.args.state_manager and not self.args.redis:
            env["REFLEX_STATE_MANAGER_MODE"] = self.args.state_manager
        env.pop("REFLEX_REDIS_URL", None)
        env.pop("GRANIAN_WORKERS", None)
        if self.args.redis:
            env["REFLEX_REDIS_URL"] = self.args.redis
        if self.args.workers:
            env["GRANIAN_WORKERS"] = str(self.args.workers)
        reflex = Path(sys.executable).with_name("reflex")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(reflex), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 600:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app server exited with {self.proc.returncode}; see {self.log_path}")
            status, body = _get(base + "/_health")
            if status == 200 and _get(base + "/login")[0] == 200:
                note(f"app up on {base} after {time.perf_counter() - t0:.0f}s: {body.decode()[:120]} (log {self.log_path})")
                return base
            time.sleep(2)
        raise RuntimeError("app server did not come up within 10 minutes")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of every process of the server's group."""
        if self.proc is None:
            return None
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                if int(fields[2]) != self.proc.pid:  # field 5: pgrp
                    continue
                total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            except (OSError, IndexError, ValueError):
                continue
        return total


# ---------------------------------------------------------------------------
# one browser tab, spoken to in Reflex's protocol
# ---------------------------------------------------------------------------
class Tab:
    def __init__(self, base: str, origin: str, cookie: str):
        self.base, self.origin, self.cookie = base, origin, cookie
        self.token = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self._on_update, namespace="/_event")
        self.seq = 0
        self.waiters: list[tuple[callable, asyncio.Future]] = []
        self.cards: list | None = None
        self.card_changes: list[float] = []  # arrival times of deltas whose cards differ from the previous ones
        self.period = "this_month"  # the dashboard's default
        self.as_of: list[tuple[float, float]] = []  # (arrival, data_as_of), wall clock: what each delta's figures include

    async def connect(self) -> None:
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path="/_event",
            transports=["websocket"],
            namespaces=["/_event"],
            headers={"Cookie": f"gd_session={self.cookie}", "Origin": self.origin},
            wait_timeout=30,
        )

    def _on_update(self, update) -> None:
        t = time.monotonic()
        delta = update.get("delta") if isinstance(update, dict) else None
        if not delta:
            return
        seen: dict[str, dict] = {}
        for state, fields in delta.items():
            seen[state] = {k.split(FIELD)[0]: v for k, v in (fields or {}).items()}
        dash = seen.get(DASH, {})
        if dash.get("data_as_of"):
            self.as_of.append((time.time(), float(dash["data_as_of"])))
        if "cards" in dash:
            if self.cards is not None and dash["cards"] != self.cards:
                self.card_changes.append(t)
            self.cards = dash["cards"]
        if "period" in dash:
            self.period = dash["period"]
        keep = []
        for pred, fut in self.waiters:
            if fut.done():
                continue
            if pred(seen):
                fut.set_result(t)
            else:
                keep.append((pred, fut))
        self.waiters = keep

    def expect(self, pred) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((pred, fut))
        return fut

    async def send(self, name: str, payload: dict | None = None, router: dict = ROUTER) -> None:
        await self.sio.emit("event", {"name": name, "payload": payload or {}, "router_data": router}, namespace="/_event")

    async def call(self, name: str, payload: dict | None, pred, timeout: float = 30.0, router: dict = ROUTER) -> float:
        fut = self.expect(pred)
        await self.send(name, payload, router)
        return await asyncio.wait_for(fut, timeout)

    # -- what a person's page sends ----------------------------------------
    async def open_dashboard(self) -> None:
        await self.connect()
        await self.call(HYDRATE, {}, lambda d: APP in d or DASH in d)
        await self.call(f"{APP}.load_user", {}, lambda d: "user_role" in d.get(APP, {}))
        await self.call(f"{DASH}.load", {}, lambda d: bool(d.get(DASH, {}).get("cards")), timeout=60)

    def echo_future(self) -> tuple[int, asyncio.Future]:
        self.seq += 1
        n = self.seq
        return n, self.expect(lambda d, n=n: d.get(PROBE, {}).get("seq") == n)

    async def echo(self) -> None:
        n, fut = self.echo_future()
        await self.send(f"{PROBE}.echo", {"seq": n})
        await fut

    async def tick(self) -> None:
        await self.send(f"{DASH}.tick", {"_now": time.strftime("%Y-%m-%dT%H:%M:%S")})

    async def tick_then_echo(self) -> None:
        n, fut = self.echo_future()
        await self.tick()
        await self.send(f"{PROBE}.echo", {"seq": n})
        await fut

    async def set_period(self, value: str) -> None:
        await self.call(f"{DASH}.set_period", {"value": value}, lambda d: d.get(DASH, {}).get("period") == value)

    async def close(self) -> None:
        try:
            await self.sio.disconnect()
        except Exception:
            pass


def login_cookies(base: str, n: int) -> list[str]:
    """``n`` real sessions, logged in one after another (Argon2, lockout)."""
    cookies = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(n):
            r = client.post("/api/auth/login", json={"username": LEADERS[i % len(LEADERS)], "password": PASSWORD})
            r.raise_for_status()
            cookies.append(r.cookies["gd_session"])
            client.cookies.clear()
    return cookies


class LoopLag:
    """How late this (client) event loop wakes up: the client's own share of
    every measured latency."""

    def __init__(self):
        self.samples: list[float] = []
        self._task = None

    async def _run(self):
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.05)
            self.samples.append((time.monotonic() - t - 0.05) * 1000)

    def start(self):
        self.samples = []
        self._task = asyncio.create_task(self._run())

    def stop(self) -> dict:
        self._task.cancel()
        return {"client_lag_p95_ms": round(pct(self.samples, 0.95) or 0, 1), "client_lag_max_ms": round(max(self.samples, default=0), 1)}


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as fh:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fh.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Usage:
    """Cores used during a phase by the app server (its process group), by
    this client, and by everything else on the machine: PostgreSQL and Redis
    when used, and any other work (which skews the figures: report it)."""

    def __init__(self, server: Server | None):
        self.server = server

    def __enter__(self):
        self.t0 = time.monotonic()
        self.c0 = resource.getrusage(resource.RUSAGE_SELF)
        self.s0 = self.server.cpu_seconds() if self.server else None
        self.m0 = machine_busy_seconds()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        client = c1.ru_utime + c1.ru_stime - self.c0.ru_utime - self.c0.ru_stime
        s1 = self.server.cpu_seconds() if self.server else None
        server = (s1 - self.s0) if s1 is not None and self.s0 is not None else None
        machine = machine_busy_seconds() - self.m0
        self.client_cores = round(client / wall, 2)
        self.server_cores = round(server / wall, 2) if server is not None else None
        self.other_cores = round(max(0.0, machine - client - (server or 0)) / wall, 2) if server is not None else None

    def row(self) -> dict:
        return {"server_cpu_cores": self.server_cores, "client_cpu_cores": self.client_cores, "other_cpu_cores": self.other_cores}


async def settle(tabs: list[Tab]) -> float:
    """Wait until every tab's queue on the server has drained (the events of
    one tab run in order, so its echo answers after everything sent before),
    so a backlog left by one phase is not counted against the next.  Returns
    the seconds it took: more than a few hundred ms means a backlog, and
    ``SETTLE_MAX`` means the server never caught up (the figures after it are
    measured on top of that backlog)."""
    t0 = time.monotonic()
    await asyncio.gather(*(asyncio.wait_for(t.echo(), SETTLE_MAX) for t in tabs), return_exceptions=True)
    return round(time.monotonic() - t0, 1)


# ---------------------------------------------------------------------------
# 1. round trips, people-paced
# ---------------------------------------------------------------------------
async def rtt_phase(tabs: list[Tab], handler: str, seconds: float, warmup: float) -> dict:
    ms: list[float] = []
    sent = timeouts = 0
    start = time.monotonic()
    measure_from, end = start + warmup, start + warmup + seconds

    async def person(tab: Tab, k: int):
        nonlocal sent, timeouts
        flip = k % 2 == 0
        await asyncio.sleep(random.uniform(0, 1.0))
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                if handler == "echo":
                    await asyncio.wait_for(tab.echo(), REPLY_TIMEOUT)
                elif handler == "tick":
                    await asyncio.wait_for(tab.tick_then_echo(), REPLY_TIMEOUT)
                else:
                    flip = not flip
                    await asyncio.wait_for(tab.set_period("this_year" if flip else "this_month"), REPLY_TIMEOUT)
                t1 = time.monotonic()
                if t0 >= measure_from:
                    ms.append((t1 - t0) * 1000)
                    sent += 1
            except asyncio.TimeoutError:  # counted even when sent during the warm-up
                timeouts += 1
                sent += 1
            await asyncio.sleep(random.uniform(0.75, 1.25))

    await asyncio.gather(*(person(t, k) for k, t in enumerate(tabs)))
    elapsed = time.monotonic() - measure_from
    per = 2 if handler == "tick" else 1  # the tick is followed by its echo
    return {"samples": len(ms), "timeouts": timeouts, "offered_per_s": round(sent / elapsed, 1),
            "events_per_s": round(per * sent / elapsed, 1), **summary(ms)}


# ---------------------------------------------------------------------------
# 1b. the map's scope change (/map): click an area, switch the measure
# ---------------------------------------------------------------------------
async def map_scope_phase(tab: Tab, rounds: int = 2, think: float = 0.0) -> list[dict]:
    """One tab opens /map (city scope) and, for each measure, zooms into each
    district and back out, ``rounds`` times, timing each event until its map
    arrives.  "cold" is the first time this client asks for a (scope,
    measure); after that every viewer gets the shared one ("warm").  A cold
    request finds its map already computed when the server's work ahead (the
    maps one click below, the scope's other measures) got to it first: with
    ``think`` seconds between clicks, as a person pauses, it usually has;
    back to back (``think`` 0) it usually has not."""
    got: dict = {}

    def keep(d: dict) -> bool:
        m = d.get(MAP, {})
        got.update(m)
        return bool(m.get("children")) and bool(m.get("fig"))

    await tab.call(f"{MAP}.load", {}, keep, timeout=120, router=MAP_ROUTER)
    city = (got["breadcrumb"][0]["id"], got["breadcrumb"][0]["name"])
    districts = [(c["id"], c["name"]) for c in got["children"]]
    seen, ms = {(city[0], "completion")}, {"cold": [], "warm": []}

    async def timed(kind_key, name, payload, pred):
        await asyncio.sleep(think)
        t0 = time.monotonic()
        await tab.call(f"{MAP}.{name}", payload, pred, router=MAP_ROUTER)
        ms["warm" if kind_key in seen else "cold"].append((time.monotonic() - t0) * 1000)
        seen.add(kind_key)

    for _ in range(rounds):
        for measure in MAP_MEASURES[1:] + MAP_MEASURES[:1]:
            await timed((city[0], measure), "set_measure", {"value": measure}, lambda d: "fig" in d.get(MAP, {}))
            for area_id, name in districts:
                await timed((area_id, measure), "set_area", {"value": area_id}, lambda d, n=name: d.get(MAP, {}).get("area_name") == n)
                await timed((city[0], measure), "set_area", {"value": city[0]}, lambda d, n=city[1]: d.get(MAP, {}).get("area_name") == n)
    return [{"bench": "ws_map_scope", "cache": kind, "samples": len(v), **summary(v)} for kind, v in ms.items()]


async def state_bytes(redis_url: str, tabs: list[Tab], states: dict[str, str]) -> dict:
    """What Redis stores per tab for each state (the pickle every event of that tab loads and saves)."""
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(redis_url)
    try:
        out = {}
        for label, full_name in states.items():
            sizes = [n for n in [await r.strlen(f"{t.token}_{full_name}") for t in tabs] if n]
            if sizes:
                out[label] = {"tabs": len(sizes), "median_bytes": int(sorted(sizes)[len(sizes) // 2]), "max_bytes": max(sizes)}
        return out
    finally:
        await r.aclose()


# ---------------------------------------------------------------------------
# 2. live update: 200 ticking dashboards, one case resolved
# ---------------------------------------------------------------------------
def pick_cases(engine, n: int) -> list[tuple[int, int, str]]:
    """Accepted, unresolved cases of this month (so this month's KPI cards move)."""
    from sqlmodel import Session, select

    first = now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with Session(engine) as s:
        rows = s.exec(
            select(Case.id, Case.version, Case.code)
            .where(Case.status.in_((CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)), Case.accepted_at >= first)
            .order_by(Case.id)
            .limit(n)
        ).all()
        if len(rows) < n:  # fall back to any open case
            rows += s.exec(
                select(Case.id, Case.version, Case.code)
                .where(Case.status.in_((CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)))
                .order_by(Case.id.desc())
                .limit(n - len(rows))
            ).all()
    return [tuple(r) for r in rows]


def resolve(engine, case: tuple[int, int, str]) -> float:
    """Resolve ``case`` as the dispatcher would, in one transaction through the
    domain; returns the monotonic time of its commit."""
    from sqlalchemy import event
    from sqlmodel import Session, select

    committed: list[float] = []
    with Session(engine) as s:
        actor = actor_for(s, s.exec(select(User).where(User.username == RESOLVER)).one())
        s.commit()
        event.listen(s, "after_commit", lambda _s: committed.append(time.monotonic()))
        C.resolve_case(s, actor=actor, case_id=case[0], expected_version=case[1], result_text="已现场处理完毕（ws_bench）")
    return committed[-1]


async def heartbeat(tab: Tab, stop: asyncio.Event) -> None:
    """The page's ``tick``: setInterval(TICK_EVERY), fixed period, random phase."""
    await asyncio.sleep(random.uniform(0, TICK_EVERY))
    nxt = time.monotonic()
    while not stop.is_set():
        try:
            await tab.tick()
        except Exception:
            pass
        nxt += TICK_EVERY
        await asyncio.sleep(max(0.0, nxt - time.monotonic()))


async def live_phase(tabs: list[Tab], db_url: str, resolutions: int, wait: float) -> list[dict]:
    stop = asyncio.Event()
    engine = make_engine(db_url)
    cases = await asyncio.to_thread(pick_cases, engine, resolutions)  # also warms the engine
    tickers = [asyncio.create_task(heartbeat(t, stop)) for t in tabs]
    rows, everything = [], []
    try:
        await asyncio.sleep(3.0)  # every page ticking
        stuck = False
        for i, case in enumerate(cases):
            settle_s = None if stuck else await settle(tabs)
            if stuck or settle_s >= SETTLE_MAX:
                stuck = True  # the ticks keep the backlog growing: no point waiting again
                rows.append({"bench": "ws_live", "resolution": i + 1, "dashboards": len(tabs), "settle_s": settle_s,
                             "skipped": f"the server had not worked off its backlog after {SETTLE_MAX:.0f} s"})
                continue
            await asyncio.sleep(random.uniform(0.5, 1.5))
            lag = LoopLag()
            lag.start()
            for t in tabs:
                t.card_changes.clear()
            committed = await asyncio.to_thread(resolve, engine, case)
            deadline = committed + wait
            while time.monotonic() < deadline and not all(any(c > committed for c in t.card_changes) for t in tabs):
                await asyncio.sleep(0.05)
            ms = [(min(c for c in t.card_changes if c > committed) - committed) * 1000 for t in tabs if any(c > committed for c in t.card_changes)]
            everything += ms
            rows.append({"bench": "ws_live", "resolution": i + 1, "case": case[2], "dashboards": len(tabs), "settle_s": settle_s,
                         "updated": len(ms), **summary(ms), **lag.stop(), "target_p95_ms": 2000})
    finally:
        stop.set()
        await asyncio.gather(*tickers, return_exceptions=True)
        engine.dispose()
    done = sum(1 for r in rows if "skipped" not in r)
    rows.append({"bench": "ws_live_all", "dashboards": len(tabs), "resolutions": done, "updates": len(everything),
                 "expected": len(cases) * len(tabs), **summary(everything), "target_p95_ms": 2000,
                 "met": len(everything) == len(cases) * len(tabs) > 0 and pct(everything, 0.95) <= 2000})
    return rows


# ---------------------------------------------------------------------------
# 3. live under intake load: 200 dashboards over 20 filtered views while
#    Open311 POSTs arrive at a fixed rate (issue 18)
# ---------------------------------------------------------------------------
LOAD_TEXTS = (
    "小区旁边的工厂晚上排放废气，气味刺鼻，请环保部门查处",
    "村里路灯坏了好几个月，晚上出门很不方便",
    "邻居装修占用公共楼道，沟通多次没有结果",
    "河道里漂着很多垃圾，夏天有臭味",
    "公司拖欠工资三个月，老板一直推脱",
)


async def _loadgen(base: str, rate: float, connections: int, bodies: list[str], out: str, offset: int) -> None:
    """Open-loop Open311 intake: request i is due at t0 + i / rate, whatever
    the answers take; ``connections`` keep-alive sockets send what is due.
    A backlog of more than one second of requests is not sent (counted as
    ``not_sent``): the achieved rate is what the server took.  Runs until
    SIGTERM, then writes the wall-clock time of every 201 to ``out``."""
    import signal as _signal
    from collections import Counter

    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    queue: asyncio.Queue = asyncio.Queue()
    acks: list[float] = []
    errors: Counter = Counter()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(_signal.SIGTERM, stop.set)
    loop.add_signal_handler(_signal.SIGINT, stop.set)
    head = f"POST /api/open311/v2/requests.json HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"

    async def conn_worker() -> None:
        reader = writer = None
        while not stop.is_set():
            i = await queue.get()
            body = f"{bodies[i % len(bodies)]}&phone=13{(offset + i) % 10**9:09d}".encode()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status = int((await reader.readline()).split()[1])
                length, chunked = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                if chunked:
                    while (size := int((await reader.readline()).strip() or b"0", 16)):
                        await reader.readexactly(size + 2)
                    await reader.readline()
                else:
                    await reader.readexactly(length)
                if status == 201:
                    acks.append(time.time())
                else:
                    errors[str(status)] += 1
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
                errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None

    workers = [asyncio.create_task(conn_worker()) for _ in range(connections)]
    t0, due, not_sent = time.monotonic(), 0, 0
    started = time.time()
    while not stop.is_set():
        target = int((time.monotonic() - t0) * rate)
        while due < target:
            if queue.qsize() < rate:
                queue.put_nowait(due)
            else:
                not_sent += 1
            due += 1
        await asyncio.sleep(0.005)
    for w in workers:
        w.cancel()
    with open(out, "w") as fh:
        json.dump({"started": started, "stopped": time.time(), "due": due, "not_sent": not_sent, "errors": dict(errors), "acks": acks}, fh)


class IntakeLoad:
    """The load generator in its own process (it shares the machine's cores, not this loop)."""

    def __init__(self, base: str, rate: float, connections: int, bodies: list[str], tmp: Path):
        self.out = tmp / f"load-{uuid.uuid4().hex[:8]}.json"
        spec = tmp / f"load-{uuid.uuid4().hex[:8]}.spec.json"
        spec.write_text(json.dumps({"base": base, "rate": rate, "connections": connections, "bodies": bodies, "out": str(self.out),
                                    "offset": random.randrange(10**8)}))
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--loadgen", str(spec)], cwd=ROOT)

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        return json.loads(self.out.read_text())


def view_matrix(db_url: str, texts_n: int = 40) -> tuple[list[dict], list[str]]:
    """Twenty dashboard views (scope x category/department x period) and the
    Open311 bodies of the load, which all land inside the narrowest views'
    areas (one community; its grids) or beside them."""
    from sqlmodel import Session, select

    from rxapp.models import Area, AreaLevel, Category

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            areas = s.exec(select(Area.id, Area.name, Area.level, Area.parent_id).order_by(Area.id)).all()
            cat = s.exec(select(Category.code, Category.department_id).where(Category.code == "ENV")).first() or \
                s.exec(select(Category.code, Category.department_id).where(Category.department_id.is_not(None)).order_by(Category.id)).first()
    finally:
        engine.dispose()
    by_id = {a.id: a for a in areas}
    communities = [a for a in areas if a.level == AreaLevel.COMMUNITY]
    community = communities[0]
    grid = next(a for a in areas if a.level == AreaLevel.GRID and a.parent_id == community.id)
    township = by_id[community.parent_id]
    district = by_id[township.parent_id]
    scopes = [0, district.id, township.id, community.id, grid.id]
    combos = [({}, "this_month"), ({"category": cat[0]}, "this_year"), ({"department": str(cat[1])}, "this_month"), ({}, "this_year")]
    views = [{"area": a, **f, "period": p} for a in scopes for f, p in combos]
    names = [community.name] * (texts_n // 2) + [c.name for c in communities[1 : texts_n // 2 + 1]]
    bodies = [
        urllib.parse.urlencode({"api_key": "griddesk-demo-key", "service_code": cat[0], "description": f"{LOAD_TEXTS[i % len(LOAD_TEXTS)]}（{i}）",
                                "address_string": names[i % len(names)]})
        for i in range(len(names))
    ]
    return views, bodies


async def set_view(tab: Tab, view: dict) -> None:
    """Filters as a person sets them on the page (each event answers with its delta)."""
    changed = lambda key, v: (lambda d: key in d.get(DASH, {}) or "error" in d.get(DASH, {}))  # noqa: E731
    if view["area"]:
        await tab.call(f"{DASH}.set_area", {"value": str(view["area"])}, lambda d: "area_name" in d.get(DASH, {}), timeout=60)
    if view.get("category"):
        await tab.call(f"{DASH}.set_category", {"value": view["category"]}, changed("category_code", view["category"]), timeout=60)
    if view.get("department"):
        await tab.call(f"{DASH}.set_department", {"value": view["department"]}, changed("department_id", view["department"]), timeout=60)
    if view["period"] != tab.period:
        await tab.set_period(view["period"])


def live_latency(tabs: list[Tab], commits: list[float], horizon: float, samples: int = 2000) -> tuple[list[float], int]:
    """For each tab and each (sampled) commit: the time from the commit's 201
    until the first delta whose figures include it (``data_as_of`` >= the
    commit).  Returns the latencies (ms) and how many never arrived by ``horizon``."""
    import bisect

    step = max(1, len(commits) // samples)
    picked = commits[::step]
    out, missed = [], 0
    for tab in tabs:
        arrivals, best = [], []
        top = 0.0
        for t_arr, as_of in tab.as_of:
            if t_arr > horizon:
                break
            if as_of > top:
                top = as_of
                arrivals.append(t_arr)
                best.append(as_of)
        for c in picked:
            k = bisect.bisect_left(best, c)
            if k < len(best):
                out.append((arrivals[k] - c) * 1000)
            else:
                missed += 1
    return out, missed


def read_stats(path: Path, t0: float, t1: float) -> dict:
    """The push task's cycles between t0 and t1 (all workers)."""
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if t0 <= r["t"] <= t1:
                rows.append(r)
    if not rows:
        return {"push_cycles": 0}
    secs = t1 - t0
    per_worker = len({r["pid"] for r in rows})
    return {
        "push_workers": per_worker,
        "push_cycles_per_s_per_worker": round(len(rows) / secs / per_worker, 2),
        "push_cycle_p50_ms": round(pct([r["cycle_s"] * 1000 for r in rows], 0.5), 1),
        "push_cycle_max_ms": round(max(r["cycle_s"] for r in rows) * 1000, 1),
        "views_computed_per_s": round(sum(r["computed"] for r in rows) / secs, 1),
        "views_from_other_workers_per_s": round(sum(r.get("from_other_workers", 0) for r in rows) / secs, 1),
        "max_computations_of_one_view_per_cycle_with_the_events_before_it": max(r["max_per_view"] for r in rows),
    }


def loadavg() -> list[float]:
    with open("/proc/loadavg") as fh:
        return [float(v) for v in fh.read().split()[:3]]


async def live_load_phase(args, tabs: list[Tab], base: str, db_url: str, server: Server | None, mode: dict) -> None:
    views, bodies = view_matrix(db_url)
    sem = asyncio.Semaphore(10)

    async def assign(k: int, tab: Tab):
        async with sem:
            await set_view(tab, views[k % len(views)])

    t0 = time.perf_counter()
    await asyncio.gather(*(assign(k, t) for k, t in enumerate(tabs)))
    note(f"{len(tabs)} dashboards on {len(views)} views in {time.perf_counter() - t0:.1f}s")
    stop = asyncio.Event()

    tmp = server.tmp if server else Path(tempfile.mkdtemp(prefix="ws_bench_"))
    load = IntakeLoad(base, args.load_rate, args.load_connections, bodies, tmp)
    tickers = [asyncio.create_task(heartbeat(t, stop)) for t in tabs]
    common = {**mode, "dashboards": len(tabs), "views": len(views), "target_rate_per_s": args.load_rate}
    result = None
    try:
        await asyncio.sleep(args.load_warmup)
        for t in tabs:
            t.as_of.clear()
        la0 = loadavg()
        w0 = time.time()
        lag = LoopLag()
        lag.start()
        with Usage(server) as use:
            await asyncio.sleep(args.load_seconds)
        w1 = time.time()
        lag_row = lag.stop()
        await asyncio.sleep(args.live_wait)  # deltas for the window's last commits (the load goes on)
        horizon = time.time()
        la1 = loadavg()
        live_rows = []
        for handler in ("echo", "tick", "set_period"):
            await settle(tabs)
            lag2 = LoopLag()
            lag2.start()
            p0 = time.time()
            with Usage(server) as use2:
                row = await rtt_phase(tabs, handler, args.seconds, args.warmup)
            live_rows.append({"bench": "ws_load_rtt", **common, "handler": handler, "_span": (p0 + args.warmup, time.time()),
                              **row, **use2.row(), **lag2.stop(),
                              "loadavg": loadavg(), "target_p95_ms": 100,
                              "met": row["p95_ms"] is not None and row["p95_ms"] <= 100 and not row["timeouts"]})
    finally:
        stop.set()
        await asyncio.gather(*tickers, return_exceptions=True)
        result = load.stop()
    acks = sorted(result["acks"])
    in_window = [a for a in acks if w0 <= a <= w1]
    ms, missed = live_latency(tabs, in_window, horizon)
    per_tab = []
    for tab in tabs:
        one, miss = live_latency([tab], in_window, horizon, samples=500)
        per_tab.append(float("inf") if miss else (pct(one, 0.95) or 0.0))
    emit({"bench": "ws_load_live", **common,
          "achieved_rate_per_s": round(len(in_window) / (w1 - w0), 1), "window_s": round(w1 - w0, 1),
          "errors": result["errors"], "not_sent": result["not_sent"],
          "commits": len(in_window), "samples": len(ms), "missed": missed, **summary(ms),
          "worst_dashboard_p95_ms": None if not per_tab else (None if max(per_tab) == float("inf") else round(max(per_tab), 1)),
          "dashboards_within_2s_p95": sum(1 for v in per_tab if v <= 2000),
          "updates_per_dashboard_per_s": round(sum(len([a for a in t.as_of if w0 <= a[0] <= w1]) for t in tabs) / len(tabs) / (w1 - w0), 2),
          **(read_stats(server.stats_path, w0, w1) if server else {}),
          **use.row(), **lag_row, "loadavg_start": la0, "loadavg_end": la1, "target_p95_ms": 2000,
          "met": not missed and bool(ms) and pct(ms, 0.95) <= 2000})
    for row in live_rows:
        a, b = row.pop("_span")
        emit({**row, "achieved_rate_per_s": round(sum(1 for x in acks if a <= x <= b) / max(1e-9, b - a), 1)})


# ---------------------------------------------------------------------------
async def bench(args, base: str, origin: str, server: Server | None, mode: dict) -> None:
    levels = sorted({int(x) for x in args.clients.split(",") if x})
    n_tabs = max(levels + [args.dashboards])
    t0 = time.perf_counter()
    cookies = login_cookies(base, min(args.sessions, n_tabs))
    t_login = time.perf_counter() - t0
    tabs = [Tab(base, origin, cookies[i % len(cookies)]) for i in range(n_tabs)]
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(10)

    async def open_one(tab: Tab):
        async with sem:
            await tab.open_dashboard()

    await asyncio.gather(*(open_one(t) for t in tabs))
    emit({"bench": "ws_setup", **mode, "tabs": n_tabs, "sessions": len(cookies), "login_s": round(t_login, 1),
          "open_dashboards_s": round(time.perf_counter() - t0, 1)})
    handlers = [h for h in args.handlers.split(",") if h]

    async def rtt(handler: str):
        stuck = False
        for n in levels:
            settle_s = None if stuck else await settle(tabs)
            if stuck or settle_s >= SETTLE_MAX:
                stuck = True  # more clients will not do better: skip the rest of this handler
                emit({"bench": "ws_rtt", **mode, "handler": handler, "clients": n, "connected": n_tabs, "settle_s": settle_s,
                      "skipped": f"the server had not worked off its backlog after {SETTLE_MAX:.0f} s", "met": False})
                continue
            lag = LoopLag()
            lag.start()
            with Usage(server) as use:
                row = await rtt_phase(tabs[:n], handler, args.seconds, args.warmup)
            emit({"bench": "ws_rtt", **mode, "handler": handler, "clients": n, "connected": n_tabs,
                  "seconds": args.seconds, "settle_s": settle_s, **row, **use.row(), **lag.stop(),
                  **({"target_p95_ms": 100, "met": row["p95_ms"] is not None and row["p95_ms"] <= 100 and not row["timeouts"]} if n >= 200 else {})})

    try:
        if args.redis:
            emit({"bench": "ws_state_bytes", **mode, "page": "/dashboard",
                  **await state_bytes(args.redis, tabs[:50], {"DashboardState": DASH, "MapState (card)": MAP})})
        for handler in handlers:
            if handler == "map_scope":
                await settle(tabs)
                with Usage(server) as use:
                    rows = await map_scope_phase(tabs[0], think=args.map_think)
                for row in rows:
                    emit({**row, **mode, "think_s": args.map_think, "connected": n_tabs, **use.row()})
                if args.redis:
                    emit({"bench": "ws_state_bytes", **mode, "page": "/map", **await state_bytes(args.redis, tabs[:1], {"MapState": MAP})})
            elif handler != "set_period":
                await rtt(handler)
        if args.resolutions and args.dashboards:
            if not args.db_url and server is None:
                note("part 2 skipped: --url needs --db-url of the app's database")
            else:
                with Usage(server) as use:
                    rows = await live_phase(tabs[: args.dashboards], server.db_url if server else args.db_url, args.resolutions, args.live_wait)
                for row in rows:
                    emit({**row, **mode, **(use.row() if row["bench"] == "ws_live_all" else {})})
        if "set_period" in handlers:  # at 200 clients it leaves the server a backlog
            await rtt("set_period")
        if args.load_rate > 0 and args.dashboards:  # last: it adds cases
            if not args.db_url and server is None:
                note("part 3 skipped: --url needs --db-url of the app's database")
            else:
                await live_load_phase(args, tabs[: args.dashboards], base, server.db_url if server else args.db_url, server, mode)
    finally:
        await asyncio.gather(*(t.close() for t in tabs))


def configured_state_manager() -> str:
    """What rxconfig.py chooses without Redis and without REFLEX_STATE_MANAGER_MODE."""
    saved = {k: os.environ.pop(k) for k in ("REFLEX_STATE_MANAGER_MODE", "REFLEX_REDIS_URL") if k in os.environ}
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("_rxconfig_probe", ROOT / "rxconfig.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        mode = module.config.state_manager_mode
        return str(getattr(mode, "value", mode))
    except Exception:
        return "unknown"
    finally:
        os.environ.update(saved)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--loadgen":  # the load generator's own process (IntakeLoad)
        spec = json.loads(Path(sys.argv[2]).read_text())
        asyncio.run(_loadgen(spec["base"], spec["rate"], spec["connections"], spec["bodies"], spec["out"], spec["offset"]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="bench this running app instead of starting one")
    ap.add_argument("--origin", help="Origin header the socket sends (default: the app's base URL)")
    ap.add_argument("--db-url", help="database to seed and serve (default: a fresh SQLite file); PostgreSQL databases are created if missing")
    ap.add_argument("--redis", help="Redis URL for the state manager (use a db number >= 5; it is flushed)")
    ap.add_argument("--workers", type=int, default=0, help="GRANIAN_WORKERS (needs --redis for more than 1)")
    ap.add_argument("--state-manager", choices=["disk", "memory"], help="REFLEX_STATE_MANAGER_MODE without Redis (default: the app's, memory)")
    ap.add_argument("--port", type=int, default=3300)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--clients", default="1,50,200")
    ap.add_argument("--handlers", default="echo,tick,map_scope,set_period")
    ap.add_argument("--map-think", type=float, default=0.0, help="seconds between the map_scope phase's clicks (a person's pause)")
    ap.add_argument("--seconds", type=float, default=6.0, help="measured seconds per (handler, clients)")
    ap.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each")
    ap.add_argument("--sessions", type=int, default=20, help="logins shared round-robin by the tabs (leader, admin)")
    ap.add_argument("--dashboards", type=int, default=200)
    ap.add_argument("--resolutions", type=int, default=3)
    ap.add_argument("--live-wait", type=float, default=8.0, help="seconds to wait for every dashboard after a commit")
    ap.add_argument("--load-rate", type=float, default=0,
                    help="part 3 (issue 18): Open311 POSTs per second while the dashboards spread over 20 views (0: skip; 300 SQLite, 1000 production)")
    ap.add_argument("--load-connections", type=int, default=128, help="keep-alive sockets of the load generator")
    ap.add_argument("--load-seconds", type=float, default=20.0, help="measured seconds of live updates under the load")
    ap.add_argument("--load-warmup", type=float, default=5.0, help="seconds of load before measuring")
    ap.add_argument("--keep-db", action="store_true", help="do not drop a PostgreSQL database this script created")
    args = ap.parse_args()
    if args.workers > 1 and not args.redis and not args.url:
        ap.error("--workers > 1 needs --redis (Reflex runs one worker without Redis)")

    db = "postgresql" if (args.db_url or "").startswith("postgresql") else "sqlite"
    mode = {"db": db, "redis": bool(args.redis), "workers": args.workers or 1,
            "state_manager": "redis" if args.redis else (args.state_manager or configured_state_manager())}
    server = None
    ok = False
    try:
        if args.url:
            base = args.url.rstrip("/")
        else:
            server = Server(args)
            server.prepare_db()
            server.flush_redis()
            base = server.start()
        parts = urlsplit(base)
        origin = args.origin or f"{parts.scheme}://{parts.netloc}"
        asyncio.run(bench(args, base, origin, server, mode))
        ok = True
    except BaseException:
        if server is not None and server.log_path.exists():
            note("app server log (tail):\n" + "".join(server.log_path.read_text(errors="replace").splitlines(True)[-40:]))
        raise
    finally:
        if server is not None:
            server.stop()
            server.flush_redis()
            server.drop_db()
            if ok:
                shutil.rmtree(server.tmp, ignore_errors=True)
            else:
                note(f"kept {server.tmp} (server log, database)")


if __name__ == "__main__":
    main()
