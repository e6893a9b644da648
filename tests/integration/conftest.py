"""Integration under load and faults: the real app (`reflex run --env prod`,
two granian workers, Redis state manager) on a scratch PostgreSQL database,
with a private redis-server the tests may kill and restart.

Package-scoped fixtures: the app, Redis and the database are torn down after
this package's last test (tests/conftest.py sorts the package just before the
browser tests), so this server and the browser tests' server never run at the
same time. No anyio / pytest-asyncio here: socket clients run in
``asyncio.run`` inside a thread (see ``in_thread``), load runs in plain threads.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from rxapp.db import make_engine
from tests.conftest import _new_database

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results"
PORT = int(os.environ.get("GRIDDESK_IT_PORT", "3200"))
REDIS_SERVER = os.environ.get("GRIDDESK_REDIS_SERVER", "redis-server")
WORKERS = 2
APP_START_TIMEOUT = 600  # the first run compiles the frontend
DEMO_KEY = "griddesk-demo-key"
PASSWORD = "griddesk-demo"

_STARTED: list[Callable[[], None]] = []  # last-resort cleanup if pytest itself dies


@atexit.register
def _kill_leftovers() -> None:
    for stop in reversed(_STARTED):
        try:
            stop()
        except Exception:
            pass


# ----------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------
def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as exc:  # e.g. connection refused while something restarts
            last_exc = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    """(status, parsed JSON body or text); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except Exception:
        return 0, None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode("utf-8", "replace")


def in_thread(coro_fn: Callable[[], Any], timeout: float = 180) -> Any:
    """Run an async client in a thread with an event loop of its own (the main
    thread's loop may belong to Playwright's sync API in the same session)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro_fn())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=timeout)
    if thread.is_alive():
        raise AssertionError(f"async client still running after {timeout}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class LoopThread:
    """An event loop in a thread of its own, for async clients that live
    across several steps of a test (connect, fault, reconnect)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="it-loop")
        self.thread.start()

    def run(self, coro, timeout: float = 60) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            raise AssertionError(f"async step still running after {timeout:.0f}s") from None

    def close(self) -> None:
        async def cancel_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in rest:
                t.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel_rest(), self.loop).result(timeout=10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str


def processes_in_group(pgid: int) -> list[Proc]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getpgid(pid) != pgid:
                continue
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie is no longer a worker
        except (OSError, ProcessLookupError, ValueError, IndexError):
            continue
        found.append(Proc(pid, ppid, cmd))
    return found


# ----------------------------------------------------------------------------
# Redis: a private server the tests may kill and start again on the same port
# ----------------------------------------------------------------------------
class RedisServer:
    def __init__(self, port: int, log_path: Path):
        self.port, self.log_path = port, log_path
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{port}/0"

    def ping(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def start(self, timeout: float = 30) -> None:
        assert self.proc is None or self.proc.poll() is not None, "redis-server already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(lambda: self.proc.poll() is None and self.ping(), timeout, f"redis-server on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save — as a crashed Redis."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def port_taken(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------
# The app: `reflex run --env prod` on one port, two workers
# ----------------------------------------------------------------------------
class AppServer:
    def __init__(self, port: int, env: dict[str, str], log_path: Path):
        self.port, self.env, self.log_path = port, env, log_path
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def health(self) -> tuple[int, Any]:
        return http_get(self.base + "/_health")

    def serving(self) -> bool:
        status, body = self.health()
        return status == 200 and isinstance(body, dict) and body.get("db") is True and body.get("redis") is True

    def start(self, timeout: float = APP_START_TIMEOUT) -> None:
        assert not self.alive(), "app already running"
        if port_taken(self.port):
            raise RuntimeError(f"port {self.port} is already in use: set GRIDDESK_IT_PORT to a free port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a")
        log.write(f"\n===== start {self.starts + 1} at {time.strftime('%H:%M:%S')} =====\n")
        log.flush()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--frontend-port", str(self.port), "--backend-port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app server exited with {self.proc.returncode}; see {self.log_path}:\n{self.log_tail()}")
            if self.serving() and http_get(self.base + "/login")[0] == 200 and len(self.workers()) == WORKERS:
                return
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"app server did not come up within {timeout:.0f}s; see {self.log_path}:\n{self.log_tail()}")

    def ensure_up(self) -> None:
        """Start the app again if an earlier test's fault left it down."""
        if self.alive() and self.serving():
            return
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and processes_in_group(self.pgid):
            time.sleep(0.2)
        if processes_in_group(self.pgid):
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    # -- granian's processes ------------------------------------------------
    def granian_main(self) -> Proc | None:
        """The process whose children are the workers: the one in the app's
        process group with the most Python children."""
        procs = processes_in_group(self.pgid)
        children: dict[int, list[Proc]] = {}
        for p in procs:
            if "python" in p.cmdline or "reflex" in p.cmdline:
                children.setdefault(p.ppid, []).append(p)
        best = max(children.items(), key=lambda kv: len(kv[1]), default=None)
        if best is None or len(best[1]) < 2:
            return None
        return next((p for p in procs if p.pid == best[0]), None)

    def workers(self) -> list[Proc]:
        main = self.granian_main()
        if main is None:
            return []
        return [p for p in processes_in_group(self.pgid) if p.ppid == main.pid and ("python" in p.cmdline or "reflex" in p.cmdline)]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------
def _run(cmd: list[str], env: dict[str, str], timeout: float, what: str) -> None:
    r = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n{r.stdout[-4000:]}")


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("REFLEX_ASYNC_DB_URL", "REFLEX_REDIS_URL", "GRANIAN_WORKERS"):
        env.pop(var, None)
    env["GRIDDESK_DEMO"] = "1"  # the demo seed: demo accounts and key
    return env


@pytest.fixture(scope="package")
def it_db_url() -> Iterator[str]:
    """A scratch PostgreSQL database, migrated with `reflex db migrate` and seeded small."""
    url, drop = _new_database("postgresql", None)
    _STARTED.append(drop)
    try:
        env = {**_base_env(), "REFLEX_DB_URL": url}
        _run([str(ROOT / ".venv/bin/reflex"), "db", "migrate"], env, 300, "reflex db migrate")
        _run(
            [sys.executable, "-m", "rxapp.seed", "--cases", "400", "--grids-per-township", "1", "--db", url, "--random-seed", "7", "--quiet"],
            env,
            300,
            "seed",
        )
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.execute(text("UPDATE apikey SET rate_limit_per_minute = 1000000"))
        eng.dispose()
        yield url
    finally:
        drop()
        _STARTED.remove(drop)


@pytest.fixture(scope="package")
def it_engine(it_db_url) -> Iterator[Engine]:
    """The test's own connections to the scratch database (room for the load threads)."""
    from sqlmodel import create_engine

    eng = create_engine(it_db_url, pool_pre_ping=True, pool_size=32, max_overflow=0, pool_timeout=60)
    yield eng
    eng.dispose()


@pytest.fixture(scope="package")
def it_logs(tmp_path_factory) -> Iterator[Path]:
    """The servers' logs: written under pytest's temporary directory, copied to
    test-results/ at the end (best effort, for CI artifacts)."""
    logs = tmp_path_factory.mktemp("integration-logs")
    yield logs
    try:
        import shutil

        ARTIFACTS.mkdir(exist_ok=True)
        for f in logs.iterdir():
            shutil.copy(f, ARTIFACTS / f.name)
    except OSError:
        pass


@pytest.fixture(scope="package")
def redis_server(it_logs) -> Iterator[RedisServer]:
    import shutil

    if shutil.which(REDIS_SERVER) is None:
        raise RuntimeError(f"{REDIS_SERVER} not found: the integration tests start a private Redis (apt-get install redis-server)")
    server = RedisServer(free_port(), it_logs / "it-redis.log")
    _STARTED.append(server.kill)
    try:
        server.start()
        yield server
    finally:
        server.kill()
        _STARTED.remove(server.kill)


@pytest.fixture(scope="package")
def app_server(it_db_url, redis_server, it_logs) -> Iterator[AppServer]:
    env = {
        **_base_env(),
        "REFLEX_DB_URL": it_db_url,
        "REFLEX_REDIS_URL": redis_server.url,
        "GRANIAN_WORKERS": str(WORKERS),
        "GRIDDESK_ORIGINS": f"http://localhost:{PORT},http://127.0.0.1:{PORT}",
    }
    server = AppServer(PORT, env, it_logs / "it-app-server.log")
    _STARTED.append(server.stop)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        _STARTED.remove(server.stop)


@pytest.fixture(scope="package")
def intake_address(it_engine) -> str:
    """An address Open311 intake places on a grid: a community that has one."""
    from sqlalchemy.orm import aliased
    from sqlmodel import Session, select

    from rxapp.models import Area, AreaLevel

    parent = aliased(Area)
    with Session(it_engine) as s:
        community = s.exec(
            select(parent.name).join(Area, Area.parent_id == parent.id).where(Area.level == AreaLevel.GRID).order_by(Area.id)
        ).first()
    assert community, "the seed has no grid"
    return f"{community}海滨路18号3幢201室"


@pytest.fixture
def aio() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.close()


@pytest.fixture
def app(app_server, redis_server) -> AppServer:
    """The running app, started again if an earlier test's fault left it down."""
    if redis_server.proc is None or redis_server.proc.poll() is not None:
        redis_server.start()
    app_server.ensure_up()
    return app_server


# ----------------------------------------------------------------------------
# Checks on what the database holds
# ----------------------------------------------------------------------------
def assert_rollups_consistent(engine: Engine) -> None:
    """The dashboard rollups every action kept in step equal a rebuild from
    the cases table (rebuilt inside a transaction that is rolled back)."""
    from sqlmodel import Session

    from rxapp.domain.rollup import dump_rollups, rebuild_rollups

    with Session(engine) as s:
        maintained = dump_rollups(s)
        rebuild_rollups(s)
        rebuilt = dump_rollups(s)
        s.rollback()
    for table in rebuilt:
        assert maintained.get(table) == rebuilt[table], f"rollup {table} differs from a rebuild"


def assert_cases_stored(engine: Engine, codes: list[str]) -> int:
    """Every acknowledged case code is a case in the database, once. Returns how many."""
    from sqlmodel import Session, select

    from rxapp.models import Case

    assert len(codes) == len(set(codes)), "one code was acknowledged twice"
    with Session(engine) as s:
        found: set[str] = set()
        for i in range(0, len(codes), 500):
            found.update(s.exec(select(Case.code).where(Case.code.in_(codes[i : i + 500]))).all())
    missing = sorted(set(codes) - found)
    assert missing == [], f"{len(missing)} acknowledged cases are not in the database: {missing[:10]}"
    return len(found)
