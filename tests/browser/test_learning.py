"""Issue 17 in the browser: a dispatcher overrides a suggested category; an
administrator retrains on /admin → 分类模型, activates the new model and sees
its version active with its measured accuracy; the 预警 list renders for a
department handler and a dispatcher, and the leaders' dashboard shows the count."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.models import Case, Category, ClassifierCorrection, LearnedModel
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _signed_in(page, base, username):
    login(page, base, username)
    expect(page.locator("#user-name")).to_be_visible(timeout=30000)


def test_override_retrain_and_activate_a_new_classifier_model(page, browser, app_url, app_db, shot):
    engine = make_engine(app_db)
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.status == "submitted").order_by(Case.id)).first()
        assert case is not None
        suggested = s.get(Category, case.category_id).code if case.category_id else ""
        target = s.exec(select(Category).where(Category.code == ("LEGAL" if suggested != "LEGAL" else "OTHER"))).one()
        code, target_code, target_name = case.code, target.code, target.name_zh

    _signed_in(page, app_url, "dispatcher")
    page.goto(f"{app_url}/cases/{code}")
    page.click("#action-accept", timeout=30000)
    expect(page.locator("#dialog-submit")).to_be_visible(timeout=10000)
    page.get_by_role("dialog").get_by_role("combobox").first.click()
    page.get_by_role("option", name=target_name).first.click()
    page.click("#dialog-submit")
    expect(page.locator("#dialog-submit")).to_have_count(0, timeout=20000)
    with Session(engine) as s:
        rows = s.exec(select(ClassifierCorrection).where(ClassifierCorrection.case_id == case.id)).all()
        assert [r.chosen_code for r in rows] == [target_code]

    admin = browser.new_page(viewport={"width": 1400, "height": 1000})
    _signed_in(admin, app_url, "admin")
    admin.goto(app_url + "/admin")
    admin.get_by_role("tab", name="分类模型").click()
    expect(admin.locator("#classify-retrain")).to_be_enabled(timeout=30000)
    admin.fill("#classify-test-text", "路灯又坏了")
    admin.click("#classify-test-run")
    expect(admin.locator("#classify-test-result")).to_contain_text("路灯", timeout=20000)
    admin.click("#classify-retrain")
    row = admin.locator(".classify-model-row").first
    expect(row).to_contain_text("v1", timeout=240000)
    row.locator(".classify-activate").click()
    expect(row).to_contain_text("使用中", timeout=120000)
    with Session(engine) as s:
        model = s.exec(select(LearnedModel).where(LearnedModel.kind == "classify", LearnedModel.active == True)).one()  # noqa: E712
        assert model.version == 1 and model.corrections >= 1
    expect(row).to_contain_text(f"{model.accuracy * 100:.1f}%")
    shot(admin, "admin-classify-1400")
    admin.set_viewport_size({"width": 390, "height": 900})
    shot(admin, "admin-classify-390")
    admin.close()


def test_warning_list_for_a_department_handler_and_a_dispatcher(page, browser, app_url, app_db, shot):
    from rxapp.domain import cases as C
    from rxapp.domain.access import actor_for
    from rxapp.domain.warning import train_model
    from rxapp.models import Area, AreaLevel, User

    with Session(make_engine(app_db)) as s:
        train_model(s, actor=None)
        # an open case of 生态环境局 (accepted and routed by the system: a confident ENV text)
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        grid = s.exec(select(Area).where(Area.level == AreaLevel.GRID).order_by(Area.id)).first()
        case = C.submit_case(s, actor=dispatcher, channel="desk", data={
            "content": "楼下饭店油烟很大，噪音扰民，污染严重", "grid_id": grid.id,
            "requester_name": "王小明", "requester_phone": "13800001234"})
        assert case.department_id is not None and case.status in ("accepted", "routed")

    _signed_in(page, app_url, "dispatcher")
    page.goto(app_url + "/warnings")
    expect(page.locator(".warning-row").first).to_be_visible(timeout=30000)
    expect(page.locator("#warning-list")).to_contain_text("%")
    shot(page, "warnings-dispatcher-1400")

    dept = browser.new_page(viewport={"width": 390, "height": 900})
    _signed_in(dept, app_url, "dept_env")
    dept.goto(app_url + "/warnings")
    expect(dept.get_by_role("heading", name="超期预警")).to_be_visible(timeout=30000)
    # all its open cases, by risk: stacked cards on a phone, every reason on screen
    card = dept.locator(".warning-card-row").first
    expect(card).to_be_visible(timeout=30000)
    expect(dept.locator(".warning-row").first).to_be_hidden()
    expect(card).to_contain_text("主要原因")
    assert dept.evaluate("document.documentElement.scrollWidth") <= 390  # nothing off to the side
    shot(dept, "warnings-dept-390")
    dept.close()

    leader = browser.new_page(viewport={"width": 1400, "height": 1000})
    _signed_in(leader, app_url, "leader")
    leader.goto(app_url + "/dashboard")
    expect(leader.locator("#warning-card")).to_be_visible(timeout=60000)
    expect(leader.locator("#warning-card")).not_to_contain_text("—", timeout=30000)
    shot(leader, "dashboard-warning-card")
    leader.close()
