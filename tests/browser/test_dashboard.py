"""The dashboard in a real browser: Chinese charts, and live updates across
browser contexts (a case resolved elsewhere moves the KPI within 2 seconds)."""

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.domain.clock import now
from rxapp.models import Case, CaseStatus, Role, User
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_dashboard_renders_kpis_and_chinese_charts(page, app_url, shot):
    login(page, app_url, "leader")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/dashboard")
    expect(page.locator("#kpi-completion_rate")).to_contain_text("%", timeout=30000)
    expect(page.locator("#chart-trend")).to_contain_text("月度受理与办结", timeout=20000)
    expect(page.locator("#chart-categories")).to_contain_text("环境保护")
    expect(page.locator("#area-ranking")).to_contain_text("普陀区")
    shot(page, "dashboard-leader-zh")
    # drill-down: the overdue card opens the case list with that filter
    page.locator("#kpi-overdue_now").click()
    page.wait_for_url("**/cases?*overdue=1*", timeout=20000)


def _resolvable_case(db_url: str) -> tuple[str, str]:
    """An in-progress case accepted this month, and a user of its department."""
    engine = make_engine(db_url)
    month_start = now().replace(day=1, hour=0, minute=0, second=0)
    with Session(engine) as s:
        case = s.exec(
            select(Case).where(Case.status == CaseStatus.IN_PROGRESS, Case.accepted_at >= month_start).order_by(Case.id)
        ).first()
        assert case is not None, "the seed leaves in-progress cases accepted this month"
        user = s.exec(select(User).where(User.role == Role.DEPT, User.department_id == case.department_id)).first()
        return case.code, user.username


def test_a_case_resolved_elsewhere_moves_the_kpi_within_two_seconds(browser, app_url, app_db, shot):
    viewer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = viewer.new_page()
    login(page, app_url, "leader")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/dashboard")
    card = page.locator("#kpi-completion_rate")
    expect(card).to_contain_text("%", timeout=30000)
    page.wait_for_timeout(1500)
    before = card.inner_text()

    # the department resolves it in another browser context
    code, username = _resolvable_case(app_db)
    worker = browser.new_context(viewport={"width": 1280, "height": 900})
    other = worker.new_page()
    login(other, app_url, username)
    other.wait_for_selector("#user-name", timeout=30000)
    other.goto(f"{app_url}/cases/{code}")
    other.click("#action-resolve")
    expect(other.locator("#dialog-submit")).to_be_visible(timeout=10000)
    other.fill("#dialog-result_text", "已现场处理完毕，经复查达标。")
    other.click("#dialog-submit")
    expect(other.locator("#dialog-submit")).to_have_count(0, timeout=20000)
    resolved_at = time.monotonic()

    expect(card).not_to_have_text(before, timeout=2000)
    elapsed = time.monotonic() - resolved_at
    shot(page, "dashboard-live-update")
    assert elapsed <= 2.0
    worker.close()
    viewer.close()
