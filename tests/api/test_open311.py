"""Open311 GeoReport v2 as a client written by someone else uses it: list
services, post with the demo key, follow the request to closed, in JSON and
XML, with the spec's errors — and no personal data in any GET answer."""

import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlmodel import Session, select

from rxapp.api.app import build_api
from rxapp.db import get_engine
from rxapp.domain import cases as C
from rxapp.domain.clock import now
from rxapp.domain.geo.datum import gcj02_to_wgs84
from rxapp.domain.open311 import rate_limiter
from rxapp.domain.security import token_digest
from rxapp.models import ApiKey, Case, CaseStatus

BASE = "/api/open311/v2"
DEMO_KEY = "griddesk-demo-key"
PHONE = "13912345678"
NAME_FIRST, NAME_LAST = "小明", "王"
ADDRESS = "朱家尖街道c1社区海滨路18号3幢201室"
POINT: dict[str, str] = {}  # a WGS84 point inside grid g1 of c1社区, as a phone sends it (set by ``client``)


def _point_in(area) -> dict[str, str]:
    lon, lat = gcj02_to_wgs84(area.label_lon, area.label_lat)
    return {"lat": f"{lat:.6f}", "long": f"{lon:.6f}"}


def _ensure_key(plain: str, *, revoked: bool = False, rate: int = 600) -> None:
    with Session(get_engine()) as s:
        if s.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(plain))).first() is None:
            s.add(ApiKey(name=plain, prefix=plain[:8], key_hash=token_digest(plain), rate_limit_per_minute=rate, created_at=now(), revoked_at=now() if revoked else None))
            s.commit()


@pytest.fixture
def client(state_db):
    _ensure_key(DEMO_KEY)
    rate_limiter.reset()
    POINT.update(_point_in(state_db.areas["g1"]))
    transport = httpx.ASGITransport(app=build_api())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _post_form(**extra):
    form = {
        "api_key": DEMO_KEY,
        "service_code": "ENV",
        "description": "小区旁边的工厂晚上排放废气，气味刺鼻，环境污染严重，请环保部门查处",
        "address_string": ADDRESS,
        **POINT,
        "phone": PHONE,
        "first_name": NAME_FIRST,
        "last_name": NAME_LAST,
        "email": "wang@example.com",
    }
    form.update(extra)
    return {k: v for k, v in form.items() if v is not None}


def _drive_to_closed(world, code: str) -> None:
    """Staff work the case through the domain, as they would on the pages."""
    with Session(get_engine(), expire_on_commit=False) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        d, dept = world.actors["dispatcher"], world.actors["dept_env"]
        if case.status == CaseStatus.SUBMITTED:
            case = C.accept_case(s, actor=d, case_id=case.id, expected_version=case.version, category_code="ENV")
        if case.status == CaseStatus.ACCEPTED:
            case = C.route_case(s, actor=d, case_id=case.id, expected_version=case.version)
        case = C.sign_case(s, actor=dept, case_id=case.id, expected_version=case.version)
        case = C.public_reply(s, actor=dept, case_id=case.id, expected_version=case.version, text=f"已派员现场检查，联系人{NAME_LAST}{NAME_FIRST}，电话{PHONE}")
        case = C.resolve_case(s, actor=dept, case_id=case.id, expected_version=case.version, result_text="已责令工厂整改并加装废气处理设施")
        C.evaluate_case(s, actor=d, case_id=case.id, expected_version=case.version, satisfaction="satisfied", score=5)


def _no_personal_data(text: str) -> None:
    for secret in (PHONE, "王小明", "wang@example.com", "海滨路18号", "3幢201室", POINT["lat"], POINT["long"]):
        assert secret not in text, secret


@pytest.mark.anyio
async def test_client_lists_services_posts_and_follows_request_to_closed(client, state_db):
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = r.json()
    assert len(services) == 14
    env = next(s for s in services if s["service_code"] == "ENV")
    assert env["metadata"] is False and env["type"] == "realtime" and env["group"] == "生态环境局"
    assert env["service_name"] == "环境保护" and env["keywords"] and env["description"]

    r = await client.get(f"{BASE}/services/ENV.json")
    assert r.status_code == 200 and r.json() == {"service_code": "ENV", "attributes": []}

    r = await client.post(f"{BASE}/requests.json", data=_post_form())
    assert r.status_code == 201, r.text
    [answer] = r.json()
    code = answer["service_request_id"]
    assert code.startswith("ZS") and answer["account_id"] is None and code in answer["service_notice"]

    r = await client.get(f"{BASE}/requests/{code}.json")
    assert r.status_code == 200
    [req] = r.json()
    assert req["status"] == "open" and req["service_code"] == "ENV" and req["media_url"] is None
    assert req["address"].endswith("c1社区") and "朱家尖街道" in req["address"]
    assert req["lat"] == round(float(POINT["lat"]), 2) and req["long"] == round(float(POINT["long"]), 2)
    _no_personal_data(r.text)

    _drive_to_closed(state_db, code)

    r = await client.get(f"{BASE}/requests/{code}.json")
    [req] = r.json()
    assert req["status"] == "closed" and req["agency_responsible"] == "生态环境局"
    assert "废气处理设施" in req["status_notes"] and req["expected_datetime"].endswith("+08:00")
    _no_personal_data(r.text)

    r = await client.get(f"{BASE}/requests.json", params={"status": "closed", "service_code": "ENV", "page_size": "200"})
    assert code in [x["service_request_id"] for x in r.json()]
    _no_personal_data(r.text)
    r = await client.get(f"{BASE}/requests.json", params={"status": "open", "service_request_id": code})
    assert r.json() == []

    r = await client.get(f"{BASE}/servicerequestupdates.json", params={"service_request_id": code})
    updates = r.json()
    assert updates[0]["status"] == "open" and updates[-1]["status"] == "closed"
    assert any(u["agency_responsible"] == "生态环境局" and "现场检查" in u["description"] for u in updates)
    assert all(set(u) >= {"update_id", "service_request_id", "status", "updated_datetime", "description"} for u in updates)
    _no_personal_data(r.text)


@pytest.mark.anyio
async def test_xml_variants_use_the_spec_element_names(client):
    r = await client.get(f"{BASE}/services.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "services" and len(root.findall("service")) == 14
    assert root.find("service/service_code") is not None and root.find("service/metadata").text == "false"

    r = await client.get(f"{BASE}/services/INFRA.xml")
    root = ET.fromstring(r.content)
    assert root.tag == "service_definition" and root.find("service_code").text == "INFRA" and root.find("attributes") is not None

    r = await client.post(f"{BASE}/requests.xml", data=_post_form(description="路灯坏了好几天，晚上出行很不方便", service_code="INFRA"))
    assert r.status_code == 201
    root = ET.fromstring(r.content)
    code = root.find("request/service_request_id").text
    assert root.tag == "service_requests" and root.find("request/service_notice").text

    r = await client.get(f"{BASE}/requests/{code}.xml")
    root = ET.fromstring(r.content)
    assert root.find("request/status").text == "open" and root.find("request/media_url").text is None
    _no_personal_data(r.text)

    r = await client.get(f"{BASE}/servicerequestupdates.xml", params={"service_request_id": code})
    assert ET.fromstring(r.content).tag == "service_request_updates"

    r = await client.get(f"{BASE}/requests/ZS209901010001.xml")
    root = ET.fromstring(r.content)
    assert r.status_code == 404 and root.tag == "errors" and root.find("error/code").text == "404"


@pytest.mark.anyio
async def test_errors_answer_in_spec_format_with_the_right_status(client):
    _ensure_key("revoked-test-key", revoked=True)

    async def err(resp, status):
        assert resp.status_code == status, resp.text
        [e] = resp.json()
        assert e["code"] == status and e["description"]
        return e["description"]

    assert "api_key" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(api_key=None)), 401)
    assert "invalid" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(api_key="not-a-key")), 403)
    assert "revoked" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(api_key="revoked-test-key")), 403)
    assert "service_code" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(service_code="NOPE")), 404)
    assert "phone" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(phone="12345")), 400)
    assert "phone" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(phone=None)), 400)
    assert "description" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(description="")), 400)
    assert "lat" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(lat="north")), 400)
    assert "location" in await err(await client.post(f"{BASE}/requests.json", data=_post_form(lat=None, long=None, address_string=None)), 400)
    assert "address_string" in await err(
        await client.post(f"{BASE}/requests.json", data=_post_form(lat=None, long=None, address_string="火星基地")), 400
    )
    assert "jurisdiction" in await err(await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "beijing"}), 404)
    await err(await client.get(f"{BASE}/services/NOPE.json"), 404)
    await err(await client.get(f"{BASE}/requests/ZS209901010001.json"), 404)
    await err(await client.get(f"{BASE}/requests/x%27%3B--.json"), 404)
    await err(await client.get(f"{BASE}/services.yaml"), 404)
    assert "start_date" in await err(await client.get(f"{BASE}/requests.json", params={"start_date": "yesterday"}), 400)
    assert "status" in await err(await client.get(f"{BASE}/requests.json", params={"status": "pending"}), 400)
    assert "page_size" in await err(await client.get(f"{BASE}/requests.json", params={"page_size": "100000"}), 400)


@pytest.mark.anyio
async def test_key_over_its_rate_limit_answers_429(client):
    _ensure_key("slow-client-key", rate=2)
    answers = [await client.post(f"{BASE}/requests.json", data=_post_form(api_key="slow-client-key", service_code="NOPE")) for _ in range(3)]
    assert [r.status_code for r in answers] == [404, 404, 429]
    assert answers[2].json() == [{"code": 429, "description": "api_key: rate limit of 2 requests per minute exceeded"}]


def test_rate_limit_is_shared_by_workers_through_redis():
    """Two limiters = two backend workers on one Redis: one count per key."""
    import random

    from rxapp.domain.open311 import RateLimiter

    url = "redis://127.0.0.1:6379/9"
    a, b = RateLimiter(redis_url=url), RateLimiter(redis_url=url)
    key = random.randint(10**8, 10**9)
    try:
        assert a.allow_many(key, 5, 3) == 3
        assert b.allow_many(key, 5, 3) == 2
        assert not a.allow(key, 5) and not b.allow(key, 5)
        assert a.allow(key + 1, 5)  # another key has its own count
    finally:
        a.reset()


def test_rate_limit_falls_back_to_the_worker_when_redis_is_down():
    from rxapp.domain.open311 import RateLimiter

    limiter = RateLimiter(redis_url="redis://127.0.0.1:1/0")
    assert limiter.allow_many(7, 2, 3) == 2
    assert limiter._client() is None  # Redis is not tried again for a while: no wait on every request
    assert not limiter.allow(7, 2)


@pytest.fixture
def own_db(tmp_path, monkeypatch):
    """A database of its own (the load below would crowd the shared one's worklists)."""
    from sqlmodel import SQLModel

    from rxapp.db import engine_for, make_engine
    from tests.factories import make_world

    url = f"sqlite:///{tmp_path}/load.db"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    with Session(eng) as s:
        point = _point_in(make_world(s).areas["g1"])
        s.commit()
    eng.dispose()
    monkeypatch.setenv("REFLEX_DB_URL", url)
    engine_for.cache_clear()
    _ensure_key(DEMO_KEY)
    rate_limiter.reset()
    POINT.update(point)
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")
    engine_for.cache_clear()


@pytest.mark.anyio
async def test_concurrent_posts_are_grouped_and_every_one_is_taken(own_db):
    import asyncio

    from rxapp.api.open311 import intake

    form = _post_form()
    before = (intake.batches, intake.items)
    async with own_db as client:
        answers = await asyncio.gather(*(client.post(f"{BASE}/requests.json", data={**form, "phone": f"1391234{i:04d}"}) for i in range(40)))
    assert [r.status_code for r in answers] == [201] * 40
    codes = [r.json()[0]["service_request_id"] for r in answers]
    assert len(set(codes)) == 40
    assert intake.items - before[1] == 40 and intake.batches - before[0] < 40  # grouped into fewer transactions
    with Session(get_engine()) as s:
        assert len(s.exec(select(Case.id).where(Case.code.in_(codes))).all()) == 40
