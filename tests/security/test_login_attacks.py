"""Login attacks from the outside security test (issue 12): parallel wrong
passwords beating the lockout (SQLite answered 500 "database is locked" and
the counter stayed at 4), and usernames told apart by their answers."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session

from rxapp.api.app import build_api
from rxapp.db import engine_for
from rxapp.domain.clock import now
from rxapp.models import Role, User
from tests.factories import PASSWORD, password_hash

PARALLEL = 50


@pytest.fixture
def live_db(fresh_engine, monkeypatch):
    """The API's own engine (``REFLEX_DB_URL``) on a brand-new database with one user."""
    url = fresh_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("REFLEX_DB_URL", url)
    engine_for.cache_clear()
    with Session(fresh_engine) as s:
        s.add(User(username="target", display_name="target", role=Role.ADMIN, password_hash=password_hash(), created_at=now()))
        s.commit()
    yield fresh_engine
    engine_for(url).dispose()
    engine_for.cache_clear()


async def _storm(client: httpx.AsyncClient, username: str, n: int) -> list[int]:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=n))  # run_db's threads: all at once
    answers = await asyncio.gather(
        *(client.post("/api/auth/login", json={"username": username, "password": f"wrong-{i}"}) for i in range(n))
    )
    return [r.status_code for r in answers]


@pytest.mark.anyio
async def test_fifty_parallel_wrong_logins_lock_the_account_and_never_answer_500(live_db):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
        codes = await _storm(client, "target", PARALLEL)
        assert set(codes) <= {401, 423}, sorted(codes)
        with Session(live_db) as s:
            user = s.exec(__import__("sqlmodel").select(User).where(User.username == "target")).one()
            assert user.failed_logins >= 5 and user.locked_until is not None and user.locked_until > now()
        r = await client.post("/api/auth/login", json={"username": "target", "password": PASSWORD})
        assert r.status_code == 423, "the right password must be refused while locked"


@pytest.mark.anyio
async def test_unknown_username_is_locked_like_a_real_one(live_db):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
        seen = {}
        for name in ("target", "no_such_person"):
            codes = []
            for _ in range(6):
                r = await client.post("/api/auth/login", json={"username": name, "password": "wrong-one"})
                codes.append((r.status_code, r.json()["detail"][:8]))
            seen[name] = codes
        assert seen["target"] == seen["no_such_person"]
        assert [c for c, _ in seen["target"]] == [401, 401, 401, 401, 423, 423]


@pytest.mark.anyio
async def test_parallel_wrong_logins_for_an_unknown_username_lock_it_too(live_db):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
        codes = await _storm(client, "ghost", 20)
        assert set(codes) <= {401, 423} and 423 in codes
        r = await client.post("/api/auth/login", json={"username": "ghost", "password": "anything"})
        assert r.status_code == 423
