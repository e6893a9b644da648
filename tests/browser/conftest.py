"""Browser tests: the real app (`reflex run --env prod`, one port) on a freshly
seeded SQLite database, driven by Playwright in Debian's Chromium."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results"
PORT = int(os.environ.get("GRIDDESK_TEST_PORT", "3100"))
CHROMIUM = os.environ.get("GRIDDESK_CHROMIUM", "/usr/bin/chromium")
# The browser suite runs on a set clock (rxapp.domain.clock): the 5th of a month,
# when a month-to-date completion rate looked like a collapse.
CLOCK = os.environ.get("GRIDDESK_CLOCK", "2026-12-05T10:30:00")
SERVER: dict = {}  # the running app: its process group id and log file, for resource checks


def _get(url: str, timeout: float = 3.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except Exception:
        return 0


@pytest.fixture(scope="session")
def app_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("browser") / "browser.db"
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "-m", "rxapp.seed", "--cases", "400", "--grids-per-township", "1", "--db", url, "--random-seed", "7", "--now", CLOCK[:16]],
        cwd=ROOT,
        env={**os.environ, "GRIDDESK_DEMO": "1"},  # demo accounts and key
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


@pytest.fixture(scope="session")
def app_url(app_db) -> str:
    # demo data, so demo mode (the app refuses demo credentials without it)
    env = {**os.environ, "GRIDDESK_CLOCK": CLOCK, "REFLEX_DB_URL": app_db, "GRIDDESK_DEMO": "1", "GRIDDESK_ORIGINS": f"http://localhost:{PORT},http://127.0.0.1:{PORT}"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "app-server.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--frontend-port", str(PORT), "--backend-port", str(PORT)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://localhost:{PORT}"
    SERVER.update(pgid=proc.pid, log=ARTIFACTS / "app-server.log")
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app server exited with {proc.returncode}; see {log.name}")
        if _get(base + "/_health") == 200 and _get(base + "/login") == 200:
            break
        time.sleep(2)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise RuntimeError("app server did not come up within 10 minutes")
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def shot():
    """shot(page, "name") saves a full-page screenshot under test-results/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, base: str, username: str, password: str = "griddesk-demo") -> None:
    page.goto(base + "/login")
    page.wait_for_selector("#username")
    page.wait_for_function("() => window.__reflex !== undefined || document.readyState === 'complete'")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def display_name(db_url: str, username: str) -> str:
    from sqlmodel import Session, select

    from rxapp.db import make_engine
    from rxapp.models import User

    engine = make_engine(db_url)
    with Session(engine) as s:
        name = s.exec(select(User.display_name).where(User.username == username)).one()
    engine.dispose()
    return name


def server_rss_kib() -> int:
    """Resident memory of every process of the app server (its process group)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != SERVER["pgid"]:
                continue
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total
