"""HTTP-level findings of issue 12: 422 answers that echoed the input (the
password included), unbounded bodies, and login CSRF."""

import httpx
import pytest

from rxapp.api.app import build_api
from rxapp.api.hardening import JSON_BODY_LIMIT, UPLOAD_BODY_LIMIT, body_limit_for, same_site_request
from tests.factories import PASSWORD

SECRET = "hunter2-Secret-Password"


@pytest.fixture
def client(state_db, monkeypatch):
    monkeypatch.setenv("GRIDDESK_ORIGINS", "http://localhost:3000")
    transport = httpx.ASGITransport(app=build_api())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        {"username": ["x"], "password": SECRET},
        {"username": "leader", "password": {"p": SECRET}},
        {"username": "a" * 100, "password": SECRET},
        {"username": "leader", "password": SECRET * 20},
    ],
)
async def test_login_validation_errors_never_echo_the_input(client, body):
    r = await client.post("/api/auth/login", json=body)
    assert r.status_code == 422
    assert SECRET not in r.text and "hunter2" not in r.text and "aaaa" not in r.text
    assert r.json()["field"] in ("username", "password", "username.0", "password.p")


@pytest.mark.anyio
async def test_other_routes_422_do_not_echo_either(client):
    r = await client.post("/api/sms/inbound", json={"from": SECRET, "text": 5}, headers={"X-GridDesk-Webhook-Secret": "x"})
    assert SECRET not in r.text


@pytest.mark.anyio
async def test_oversized_bodies_are_refused_before_reading(client):
    big = "x" * (JSON_BODY_LIMIT + 1)
    r = await client.post("/api/auth/login", content=('{"username":"leader","password":"' + big + '"}').encode(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and big[:1000] not in r.text

    async def chunks():  # no Content-Length: counted while streaming
        for _ in range(100):
            yield b"x" * 4096

    r = await client.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert body_limit_for("multipart/form-data; boundary=x") == UPLOAD_BODY_LIMIT >= 30 * 1024 * 1024


@pytest.mark.anyio
async def test_cross_site_login_form_is_refused(client):
    form = {"username": "leader", "password": PASSWORD, "next": "/"}
    r = await client.post("/api/auth/login-form", data=form, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = await client.post("/api/auth/login-form", data=form, headers={"referer": "https://evil.example/page"})
    assert r.status_code == 403
    r = await client.post("/api/auth/login-form", data=form, headers={"origin": "null"})
    assert r.status_code == 403
    r = await client.post("/api/auth/login-form", data=form, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    r = await client.post("/api/auth/logout", headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    # from the site itself (a configured origin, or the request's own host) it works
    r = await client.post("/api/auth/login-form", data=form, headers={"origin": "http://localhost:3000"})
    assert r.status_code == 303 and "gd_session=" in r.headers["set-cookie"]
    r = await client.post("/api/auth/login-form", data=form, headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"})
    assert r.status_code == 303


def test_machine_routes_are_exempt_and_reads_are_unaffected():
    evil = {"origin": "https://evil.example", "host": "griddesk.example"}
    assert same_site_request("POST", "/api/open311/v2/requests.json", evil)
    assert same_site_request("POST", "/api/sms/inbound", evil)
    assert same_site_request("GET", "/api/export/cases.xlsx", evil)
    assert not same_site_request("POST", "/api/auth/login", evil)
    assert same_site_request("POST", "/api/auth/login", {"host": "griddesk.example"})  # a script, not a browser
