"""Issue 14: several residents report one burst water main through Open311;
the hot spot appears live on the dispatcher's workbench, is handled as one,
and when the lead case resolves every requester's SMS is queued."""

import json
import urllib.parse
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

REPORTS = [
    "{g}门口的自来水管爆了，水冒得很高，整栋楼停水",
    "我们{g}这边自来水管爆裂了，路上全是水，家里停水了",
    "{g}水管爆了，停水一上午了，什么时候能修好",
    "自来水管爆了在往外冒水，{g}路面积水，请赶紧来修水管",
]


def post_request(base: str, grid_name: str, text: str, phone: str) -> dict:
    body = urllib.parse.urlencode({"api_key": "griddesk-demo-key", "description": text, "address_string": grid_name,
                                   "phone": phone, "service_code": "INFRA"}).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/api/open311/v2/requests.json", data=body), timeout=30) as r:
        return json.loads(r.read())[0]


def test_open311_reports_become_a_hot_spot_handled_as_one(page, app_url, app_db, shot):
    from rxapp.db import make_engine
    from rxapp.domain import cases as C
    from rxapp.domain.access import actor_for
    from rxapp.models import Area, Case, Sms, User

    engine = make_engine(app_db)
    with Session(engine) as s:
        member = s.exec(select(User).where(User.username == "member")).one()
        grid_name = s.get(Area, member.scope_area_id).name
    tag = uuid.uuid4().int % 1000
    phones = [f"1370{tag:03d}{i:04d}" for i in range(4)]

    login(page, app_url, "dispatcher")
    expect(page.locator("#user-name")).not_to_be_empty(timeout=30000)
    page.goto(app_url + "/")
    expect(page.locator("#hotspot-card")).to_be_visible(timeout=30000)
    codes = [post_request(app_url, grid_name, REPORTS[i].format(g=grid_name), phones[i]) for i in range(4)]
    assert all("service_request_id" in c for c in codes), codes
    row = page.locator(".hotspot-row").filter(has_text="4")
    expect(row.first).to_be_visible(timeout=10000)  # pushed live, no reload
    page.set_viewport_size({"width": 1400, "height": 900})
    shot(page, "hotspot-workbench-1400")
    row.first.locator(".hotspot-handle").click()
    expect(page.locator("#hotspot-message")).to_be_visible(timeout=15000)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "hotspot-workbench-390")

    with Session(engine) as s:
        cases = s.exec(select(Case).where(Case.requester_phone.in_(phones))).all()
        assert len(cases) == 4
        lead = next(c for c in cases if c.status != "duplicate")
        assert sum(c.status == "duplicate" and c.duplicate_of_id == lead.id for c in cases) == 3
        dept = actor_for(s, s.exec(select(User).where(User.role == "dept", User.department_id == lead.department_id)).first())
        lead = C.sign_case(s, actor=dept, case_id=lead.id, expected_version=lead.version)
        C.resolve_case(s, actor=dept, case_id=lead.id, expected_version=lead.version, result_text="供水公司已抢修完毕，恢复供水")
        notices = s.exec(select(Sms.phone).where(Sms.phone.in_(phones), Sms.template.in_(
            ("resolved_with_evaluate_hint", "duplicate_resolved")))).all()
        assert sorted(notices) == sorted(phones)
    engine.dispose()
