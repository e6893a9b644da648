"""The SMS gateway webhook: a resident's text becomes one case however often
the provider delivers it, the code goes back by SMS, and a 评价 reply counts
only from the requester's own phone."""

import uuid

import httpx
import pytest
from sqlmodel import Session, select

from rxapp.api.app import build_api
from rxapp.domain.demo import DEMO_WEBHOOK_SECRET
from rxapp.db import get_engine
from rxapp.domain import cases as C
from rxapp.models import Case, CaseStatus, Evaluation, Sms

URL = "/api/sms/inbound"
HEADERS = {"X-GridDesk-Webhook-Secret": DEMO_WEBHOOK_SECRET}


@pytest.fixture
def client(state_db, monkeypatch):
    monkeypatch.delenv("GRIDDESK_SMS_WEBHOOK_SECRET", raising=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


def _msg(text: str, phone: str = "13955550001", message_id: str | None = None) -> dict:
    return {"from": phone, "text": text, "message_id": message_id or uuid.uuid4().hex, "received_at": "2026-11-26T09:30:00+08:00"}


def _cases(code: str) -> list[Case]:
    with Session(get_engine()) as s:
        return list(s.exec(select(Case).where(Case.code == code)).all())


@pytest.mark.anyio
async def test_retried_delivery_makes_one_case_and_one_reply(client):
    msg = _msg("我家楼下的路灯坏了一个星期，晚上很黑，请尽快修理", phone="13955550001")
    first = await client.post(URL, json=msg, headers=HEADERS)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["outcome"] == "case" and answer["case_code"].startswith("ZS") and answer["duplicate"] is False
    again = await client.post(URL, json=msg, headers=HEADERS)
    assert again.status_code == 200 and again.json()["case_code"] == answer["case_code"] and again.json()["duplicate"] is True
    [case] = _cases(answer["case_code"])
    assert case.channel == "sms" and case.requester_phone == "13955550001" and case.grid_id is not None
    with Session(get_engine()) as s:
        with_code = s.exec(select(Case).where(Case.source_ref == f"sms:{msg['message_id']}")).all()
        assert len(with_code) == 1
        inbound = s.exec(select(Sms).where(Sms.direction == "in", Sms.provider_msg_id == msg["message_id"])).all()
        assert len(inbound) == 1 and inbound[0].case_id == case.id
        replies = s.exec(select(Sms).where(Sms.direction == "out", Sms.case_id == case.id)).all()
        assert len(replies) == 1 and case.code in replies[0].text  # the code goes back exactly once


@pytest.mark.anyio
async def test_known_household_phone_places_the_case_on_its_grid(client, state_db):
    hh = state_db.households["g4"][0]
    r = await client.post(URL, json=_msg("邻居装修噪音太大，晚上十点还在施工", phone=hh.phone), headers=HEADERS)
    [case] = _cases(r.json()["case_code"])
    assert case.grid_id == state_db.areas["g4"].id


@pytest.mark.anyio
async def test_evaluation_reply_counts_only_from_the_requester_phone(client, state_db):
    phone = "13955550002"
    r = await client.post(URL, json=_msg("请问社区的养老补贴怎么申请，需要什么材料", phone=phone), headers=HEADERS)
    code = r.json()["case_code"]
    with Session(get_engine(), expire_on_commit=False) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        d = state_db.actors["dispatcher"]
        if case.status == CaseStatus.SUBMITTED:
            case = C.accept_case(s, actor=d, case_id=case.id, expected_version=case.version, category_code="LEGAL")
        if case.status == CaseStatus.ROUTED:
            pytest.skip("auto-routed to a department without a test user")
        C.resolve_case(s, actor=d, case_id=case.id, expected_version=case.version, result_text="已电话告知申请材料和办理地点")

    stranger = await client.post(URL, json=_msg(f"评价 {code} 不满意", phone="13955559999"), headers=HEADERS)
    assert stranger.status_code == 200 and stranger.json()["outcome"] == "refused"
    assert _cases(code)[0].status == CaseStatus.RESOLVED

    reply = _msg(f"评价 {code} 满意 4", phone=phone)
    ok = await client.post(URL, json=reply, headers=HEADERS)
    assert ok.json()["outcome"] == "evaluated" and ok.json()["case_code"] == code
    again = await client.post(URL, json=reply, headers=HEADERS)
    assert again.json()["outcome"] == "evaluated" and again.json()["duplicate"] is True
    [case] = _cases(code)
    assert (case.status, case.satisfaction, case.score) == (CaseStatus.CLOSED, "satisfied", 4)
    with Session(get_engine()) as s:
        assert len(s.exec(select(Evaluation).where(Evaluation.case_id == case.id)).all()) == 1

    late = await client.post(URL, json=_msg(f"评价 {code} 不满意", phone=phone), headers=HEADERS)
    assert late.json()["outcome"] == "refused"  # already closed
    assert _cases(code)[0].status == CaseStatus.CLOSED


@pytest.mark.anyio
async def test_bad_or_missing_secret_answers_401(client, monkeypatch):
    msg = _msg("测试一下短信接口是否可用")
    assert (await client.post(URL, json=msg)).status_code == 401
    assert (await client.post(URL, json=msg, headers={"X-GridDesk-Webhook-Secret": "guess"})).status_code == 401
    monkeypatch.setenv("GRIDDESK_SMS_WEBHOOK_SECRET", "a-real-secret")
    assert (await client.post(URL, json=msg, headers=HEADERS)).status_code == 401  # the demo secret no longer works
    assert (await client.post(URL, json=msg, headers={"X-GridDesk-Webhook-Secret": "a-real-secret"})).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"from": "12345", "text": "路灯坏了", "message_id": "m1"},
        {"from": "13955550003", "text": "   ", "message_id": "m2"},
        {"from": "13955550003", "text": "路灯坏了", "message_id": "有空格 的id"},
        {"from": "13955550003", "text": "x" * 1001, "message_id": "m3"},
        {"from": "13955550003", "text": "路灯坏了", "message_id": "m4", "received_at": "yesterday"},
    ],
)
async def test_malformed_messages_answer_4xx(client, body):
    r = await client.post(URL, json=body, headers=HEADERS)
    assert 400 <= r.status_code < 500, r.text


def test_receive_sms_is_idempotent_on_every_database(session, world):
    """The domain function itself, on SQLite and PostgreSQL."""
    from rxapp.domain.sms_inbound import receive_sms

    hh = world.households["g1"][0]
    first = receive_sms(session, sender=hh.phone, text="小区垃圾好几天没人清运，臭味很大", message_id="prov-0001")
    again = receive_sms(session, sender=hh.phone, text="小区垃圾好几天没人清运，臭味很大", message_id="prov-0001")
    assert first.outcome == again.outcome == "case" and first.case_code == again.case_code and again.duplicate
    assert len(session.exec(select(Case).where(Case.source_ref == "sms:prov-0001")).all()) == 1
    case = session.exec(select(Case).where(Case.code == first.case_code)).one()
    assert case.grid_id == world.areas["g1"].id and case.channel == "sms"
    refused = receive_sms(session, sender="13955558888", text=f"评价 {case.code} 满意", message_id="prov-0002")
    assert refused.outcome == "refused"
    early = receive_sms(session, sender=hh.phone, text=f"{case.code} 满意", message_id="prov-0003")
    assert early.outcome == "refused" and early.case_code == case.code  # not resolved yet
    assert receive_sms(session, sender=hh.phone, text=f"{case.code} 满意", message_id="prov-0003").outcome == "refused"
