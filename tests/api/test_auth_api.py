"""The login HTTP API against a real database (the state_db world)."""

import httpx
import pytest

from rxapp.api.app import build_api
from tests.factories import PASSWORD


@pytest.fixture
def client(state_db):
    transport = httpx.ASGITransport(app=build_api())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.anyio
async def test_login_sets_httponly_samesite_cookie(client):
    r = await client.post("/api/auth/login", json={"username": "leader_putuo", "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert "gd_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


@pytest.fixture
def probe_user(state_db):
    """A user of its own, so locking it cannot disturb other tests."""
    import uuid

    from sqlmodel import Session

    from rxapp.db import get_engine
    from rxapp.domain.clock import now
    from rxapp.models import Role, User
    from tests.factories import password_hash

    name = f"probe_{uuid.uuid4().hex[:8]}"
    with Session(get_engine()) as s:
        s.add(User(username=name, display_name=name, role=Role.LEADER, scope_area_id=state_db.areas["changguo"].id, password_hash=password_hash(), created_at=now()))
        s.commit()
    return name


@pytest.mark.anyio
async def test_wrong_password_answers_401_then_423_when_locked(client, probe_user):
    for _ in range(4):
        r = await client.post("/api/auth/login", json={"username": probe_user, "password": "wrong-one"})
        assert r.status_code == 401
        assert r.json()["detail"] == "用户名或密码错误"
    r = await client.post("/api/auth/login", json={"username": probe_user, "password": "wrong-one"})
    assert r.status_code == 423
    r = await client.post("/api/auth/login", json={"username": probe_user, "password": PASSWORD})
    assert r.status_code == 423


@pytest.mark.anyio
async def test_login_form_redirects_back_with_error_and_never_off_site(client):
    r = await client.post("/api/auth/login-form", data={"username": "no_such_user", "password": "bad-pass", "next": "/cases"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?error=invalid")
    r = await client.post("/api/auth/login-form", data={"username": "leader", "password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "httponly" in r.headers["set-cookie"].lower()


@pytest.mark.anyio
@pytest.mark.parametrize("body", [{}, {"username": "x"}, {"username": 5, "password": []}, {"username": "a" * 500, "password": "b"}])
async def test_malformed_login_bodies_answer_4xx_not_5xx(client, body):
    r = await client.post("/api/auth/login", json=body)
    assert 400 <= r.status_code < 500


@pytest.mark.anyio
async def test_logout_deletes_the_server_session(client, state_db):
    r = await client.post("/api/auth/login", json={"username": "dept_env", "password": PASSWORD})
    token = r.cookies.get("gd_session")
    r = await client.post("/api/auth/logout", headers={"accept": "application/json"}, cookies={"gd_session": token})
    assert r.status_code == 200
    from sqlmodel import Session

    from rxapp.db import get_engine
    from rxapp.domain.auth import actor_for_token

    with Session(get_engine()) as s:
        assert actor_for_token(s, token) is None
