"""Guessing attacks of issue 12: one socket got 200 wrong phone-tail guesses
for a case code answered in 12.7 s on /public/track; one-time code requests
on /public/evaluate and wrong Open311 api_keys were not throttled either.
Counts live in the database (GuessCounter), so every worker shares them."""

import uuid

import httpx
import pytest
from reflex.istate.data import RouterData
from sqlmodel import Session

import reflex as rx
from rxapp.api.app import build_api
from rxapp.db import get_engine
from rxapp.domain import public as P
from rxapp.domain.open311 import rate_limiter
from rxapp.state.public import PublicEvaluateState, PublicTrackState

PHONE = "13698765432"


def _root(tab: str = "", ip: str = "") -> rx.State:
    root = rx.State()
    root.router = RouterData.from_router_data({"headers": {"cookie": ""}, "pathname": "/public/track", "token": tab, "ip": ip})
    return root


def _new_case(state_db) -> str:
    with Session(get_engine(), expire_on_commit=False) as s:
        return P.public_submit(
            s, data={"content": "小区门口路灯坏了一个多月，晚上很黑", "phone": PHONE, "name": "", "address": "", "grid_id": state_db.areas["g3"].id}
        )


def _wrong_tails():
    return (f"{n:04d}" for n in range(1000, 10000) if f"{n:04d}" != PHONE[-4:])


@pytest.mark.anyio
async def test_a_case_code_stops_answering_after_five_wrong_tails_even_from_new_connections(state_db):
    code = _new_case(state_db)
    tails = _wrong_tails()
    errors = []
    for i in range(8):  # each guess from a fresh connection and address
        track = await _root(f"tab-{uuid.uuid4().hex}", f"10.0.{i}.1").get_state(PublicTrackState)
        await track.track({"code": code, "tail": next(tails)})
        errors.append(track.error)
    assert errors[:4] == ["未找到该诉求，请核对编号和手机尾号"] * 4
    assert all("错误次数过多" in e for e in errors[4:]), errors
    track = await _root("tab-owner", "10.9.9.9").get_state(PublicTrackState)
    await track.track({"code": code, "tail": PHONE[-4:]})  # even the right tail waits out the hour
    assert "错误次数过多" in track.error and not track.case


@pytest.mark.anyio
async def test_one_connection_cannot_sweep_many_codes(state_db):
    root = _root(f"tab-{uuid.uuid4().hex}", "10.1.2.3")
    track = await root.get_state(PublicTrackState)
    for n in range(P.TRACK_CLIENT_RULE.limit):
        await track.track({"code": f"ZS20991231{n:04d}", "tail": "1234"})
    assert "错误次数过多" in track.error
    code = _new_case(state_db)
    await track.track({"code": code, "tail": PHONE[-4:]})
    assert "错误次数过多" in track.error and not track.case
    other = await _root(f"tab-{uuid.uuid4().hex}", "10.1.2.4").get_state(PublicTrackState)
    await other.track({"code": code, "tail": PHONE[-4:]})
    assert other.error == "" and other.case["code"] == code


@pytest.mark.anyio
async def test_evaluation_code_requests_share_the_limit(state_db):
    code = _new_case(state_db)
    tails = _wrong_tails()
    for i in range(5):
        ev = await _root(f"tab-{uuid.uuid4().hex}", f"10.2.{i}.1").get_state(PublicEvaluateState)
        await ev.request_code({"code": code, "tail": next(tails)})
    assert "错误次数过多" in ev.error and ev.step == 1
    ev = await _root("tab-x", "10.2.9.9").get_state(PublicEvaluateState)
    await ev.request_code({"code": code, "tail": PHONE[-4:]})
    assert "错误次数过多" in ev.error


@pytest.mark.anyio
async def test_wrong_open311_api_keys_are_throttled_per_address(state_db, monkeypatch):
    from tests.api.test_open311 import DEMO_KEY, _ensure_key, _post_form

    import rxapp.api.open311 as api
    from rxapp.api.open311 import API_KEY_GUESS_RULE

    _ensure_key(DEMO_KEY)
    rate_limiter.reset()
    transport = httpx.ASGITransport(app=build_api(), client=("192.0.2.77", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        codes = []
        for i in range(API_KEY_GUESS_RULE.limit + 2):
            r = await client.post("/api/open311/v2/requests.json", data=_post_form(api_key=f"guess-{i}-{uuid.uuid4().hex}"))
            codes.append(r.status_code)
        assert codes[: API_KEY_GUESS_RULE.limit] == [403] * API_KEY_GUESS_RULE.limit and codes[-1] == 429, codes
        r = await client.post("/api/open311/v2/requests.json", data=_post_form())
        assert r.status_code == 429 and "too many invalid keys" in r.json()[0]["description"]
        # with photos the lock is read before they are decoded
        async def no_decoding(_form):
            raise AssertionError("photos of a locked-out sender were decoded")

        with monkeypatch.context() as m:
            m.setattr(api, "_photos", no_decoding)
            r = await client.post("/api/open311/v2/requests.json", data=_post_form(), files={"media": ("a.jpg", b"\xff\xd8not-a-photo", "image/jpeg")})
        assert r.status_code == 429 and "too many invalid keys" in r.json()[0]["description"]
    other = httpx.ASGITransport(app=build_api(), client=("192.0.2.78", 5000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as client:
        r = await client.post("/api/open311/v2/requests.json", data=_post_form())
        assert r.status_code == 201
