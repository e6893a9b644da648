"""Demo mode is explicit (issue 12, finding 2): the SMS webhook accepted the
hard-coded fallback secret on any deployment, and the demo key and accounts
worked on any database the demo seed had touched."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from rxapp.api.app import build_api
from rxapp.db import make_engine
from rxapp.domain.demo import DEMO_WEBHOOK_SECRET, SECRET_ENV, demo_accounts, demo_key_live, startup_problem
from rxapp.domain.seed import seed
from rxapp.users import main as users_main

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(cases=30, grids_per_township=1, households_per_grid=(3, 3), members_per_team=(3, 3))


def _seeded(tmp_path, demo: bool, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/seed-{'demo' if demo else 'real'}.db"
    monkeypatch.setenv("GRIDDESK_DEMO", "1" if demo else "0")
    from sqlmodel import SQLModel

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    seed(engine, random_seed=3, **SMALL)
    engine.dispose()
    return url


def _problem(url: str) -> str | None:
    engine = make_engine(url)
    with Session(engine) as s:
        found = startup_problem(s)
    engine.dispose()
    return found


def test_demo_data_refuses_to_start_outside_demo_mode_naming_what_to_set(tmp_path, monkeypatch):
    url = _seeded(tmp_path, True, monkeypatch)
    monkeypatch.setenv("GRIDDESK_DEMO", "1")
    assert _problem(url) is None
    monkeypatch.delenv("GRIDDESK_DEMO")
    monkeypatch.setenv(SECRET_ENV, "a-real-secret-0123456789")
    line = _problem(url)
    assert line and "\n" not in line and "GRIDDESK_DEMO=1" in line
    assert "demo account" in line and "griddesk-demo-key" in line
    # the server itself: one line on stderr, non-zero exit
    env = {**os.environ, "REFLEX_DB_URL": url}
    env.pop("GRIDDESK_DEMO", None)
    done = subprocess.run(
        [sys.executable, "-c", "from rxapp.domain.demo import refuse_unsafe_start; refuse_unsafe_start()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and done.stderr.strip().count("\n") == 0 and "GRIDDESK_DEMO" in done.stderr


def test_unset_or_demo_webhook_secret_refuses_to_start(tmp_path, monkeypatch):
    url = _seeded(tmp_path, False, monkeypatch)
    monkeypatch.delenv("GRIDDESK_DEMO")
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert SECRET_ENV in _problem(url)
    monkeypatch.setenv(SECRET_ENV, DEMO_WEBHOOK_SECRET)
    assert "demo secret" in _problem(url)
    monkeypatch.setenv(SECRET_ENV, "a-real-secret-0123456789")
    assert _problem(url) is None


def test_seed_outside_demo_mode_has_no_usable_demo_credentials_until_an_admin_sets_them(tmp_path, monkeypatch):
    url = _seeded(tmp_path, False, monkeypatch)
    engine = make_engine(url)
    with Session(engine) as s:
        assert demo_accounts(s) == [] and not demo_key_live(s)
    # a real password through the documented command; still no demo account
    assert users_main(["--db", url, "reset-password", "--username", "admin", "--password", "Real-Passw0rd-2026"]) == 0
    with Session(engine) as s:
        assert demo_accounts(s) == []
    engine.dispose()


@pytest.mark.anyio
async def test_forged_sms_with_the_old_fallback_secret_is_refused_outside_demo_mode(state_db, monkeypatch):
    body = {"from": "13800000000", "text": "我家门口路灯坏了", "message_id": "forged-1"}
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")
    monkeypatch.delenv("GRIDDESK_DEMO")
    monkeypatch.delenv(SECRET_ENV, raising=False)
    r = await client.post("/api/sms/inbound", json=body, headers={"X-GridDesk-Webhook-Secret": DEMO_WEBHOOK_SECRET})
    assert r.status_code == 401
    monkeypatch.setenv(SECRET_ENV, DEMO_WEBHOOK_SECRET)  # set to the demo value: still refused
    r = await client.post("/api/sms/inbound", json=body, headers={"X-GridDesk-Webhook-Secret": DEMO_WEBHOOK_SECRET})
    assert r.status_code == 401
    monkeypatch.setenv(SECRET_ENV, "a-real-secret-0123456789")
    r = await client.post("/api/sms/inbound", json=body, headers={"X-GridDesk-Webhook-Secret": "a-real-secret-0123456789"})
    assert r.status_code == 200
