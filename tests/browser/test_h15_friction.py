"""Issue 15 in a real browser, on the suite's set clock (the 5th of December,
rxapp.domain.clock via GRIDDESK_CLOCK): the honest headline with its
definition, filters that survive Back from a drill-down, the SMS log search,
the favicon, and the dashboard's charts at 390 px and 1400 px (screenshots
under test-results/)."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp import formatting as fmt
from rxapp.db import make_engine
from rxapp.domain.access import actor_for
from rxapp.domain.metrics import dashboard
from rxapp.models import User
from tests.browser.conftest import CLOCK, login

pytestmark = pytest.mark.browser


def _expected_headline(db_url: str) -> tuple[str, str, int, int]:
    """The headline and the second figure as the domain computes them on the set clock."""
    engine = make_engine(db_url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "leader")).one()
        d = dashboard(s, actor=actor_for(s, user), now=datetime.fromisoformat(CLOCK))
    engine.dispose()
    k = d.kpis
    return (
        fmt.percent(k.due_completion_rate.value, "zh", 2),
        fmt.percent(k.completion_rate.value, "zh", 2),
        k.due_completion_rate.denominator,
        k.completion_rate.denominator,
    )


def test_headline_counts_cases_due_with_its_definition_on_the_fifth(page, app_url, app_db, shot):
    assert CLOCK[8:10] == "05"  # the 5th of a month
    headline, so_far, due, accepted = _expected_headline(app_db)
    assert due > 0 and accepted > 0
    page.set_viewport_size({"width": 1400, "height": 900})
    login(page, app_url, "leader")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/dashboard")
    expect(page.locator("#kpi-due_completion_rate")).to_have_text(headline, timeout=30000)
    expect(page.locator("#kpi-completion_rate")).to_have_text(so_far)
    expect(page.locator("#kpi-definition-headline")).to_contain_text("期内到期")
    expect(page.locator("#period-explain")).to_contain_text("近30天")
    # the definition on tap: the info button opens it
    page.get_by_role("button", name="指标口径").first.click()
    expect(page.get_by_role("dialog")).to_contain_text("到期")
    page.keyboard.press("Escape")
    # the running month stays on the trend's axis, marked partial
    expect(page.locator("#chart-trend")).to_contain_text("本月未完", timeout=20000)
    shot(page, "h15-dashboard-1400")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(1500)
    expect(page.locator("#chart-trend .modebar-container").first).to_be_hidden()
    shot(page, "h15-dashboard-390")


def test_back_from_a_case_keeps_the_list_filters(page, app_url):
    login(page, app_url, "dispatcher")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/cases?view=all&status=open&size=10")
    link = page.locator("a[href^='/cases/ZS']").first
    expect(link).to_be_visible(timeout=30000)
    page.wait_for_timeout(1000)
    shown = page.locator("a[href^='/cases/ZS']").count()  # 10 rows (each may be linked in the table and the phone layout)
    assert shown in (10, 20)
    link.click()
    page.wait_for_url("**/cases/ZS*", timeout=20000)
    page.go_back(wait_until="commit")
    expect(page).to_have_url(re.compile(r"/cases/?\?.*status=open"), timeout=20000)
    assert "size=10" in page.url
    expect(page.locator("a[href^='/cases/ZS']")).to_have_count(shown, timeout=20000)


def test_sms_log_search_and_favicon(page, app_url):
    login(page, app_url, "admin")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/admin?tab=sms")
    expect(page.locator("#sms-search")).to_be_visible(timeout=30000)
    page.locator("#sms-search input[name=phone]").fill("139")
    page.locator("#sms-search button[type=submit]").click()
    page.wait_for_url("**phone=139**", timeout=20000)
    assert page.request.get(app_url + "/favicon.ico").status == 200


def _last_full_month() -> str:
    y, m = int(CLOCK[:4]), int(CLOCK[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def test_pages_open_on_something_useful(page, app_url, shot):
    """The seeded demo's boards are published: /public/board opens on the
    latest board of a default community; /board-admin on the leader's own
    township and the last full month; /party on the members with their open
    items; leaders reach /team-scores from the navigation and read it."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url + "/public/board")
    expect(page.locator("#board-table tbody tr").first).to_be_visible(timeout=30000)
    expect(page.locator("#pick-community")).not_to_have_value("")
    expect(page.locator("#pick-month")).to_have_value(re.compile(r"^\d{4}-\d{2}$"))
    assert page.locator("#pick-month option").count() >= 4  # the placeholder and three published months
    expect(page.locator("#board-xlsx")).to_be_visible()
    shot(page, "h15-public-board-default")

    login(page, app_url, "leader_zhujiajian")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/board-admin")
    expect(page.locator("#admin-month")).to_have_value(_last_full_month(), timeout=30000)
    expect(page.locator("#admin-township option:checked")).to_have_text("朱家尖街道", timeout=20000)
    expect(page.locator("#admin-community option")).not_to_have_count(1)

    page.goto(app_url + "/party")
    rows = page.locator("#party-members tbody tr")
    expect(rows.first).to_be_visible(timeout=30000)
    opens = [int(t) for t in page.locator("#party-members tbody tr td:nth-child(4)").all_inner_texts()]
    assert opens == sorted(opens, reverse=True)
    rows.first.locator("button").click()
    expect(page.locator("#handbook-table")).to_be_visible(timeout=20000)
    shot(page, "h15-party-default")

    page.locator("a[href='/team-scores']").first.click()
    page.wait_for_url("**/team-scores", timeout=20000)
    expect(page.locator("#tr-month")).to_have_value(_last_full_month(), timeout=30000)
    expect(page.locator("#tr-table tbody tr").first).to_be_visible(timeout=20000)
    shot(page, "h15-team-scores-leader")


def test_dispatcher_searches_within_the_triage_tab(page, app_url):
    """The search box on a work-queue tab filters that tab (by code here) and
    stays on it; the query lands in the URL."""
    login(page, app_url, "dispatcher")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/cases?view=triage")
    first = page.locator("a[href^='/cases/ZS']").first
    expect(first).to_be_visible(timeout=30000)
    code = first.get_attribute("href").rsplit("/", 1)[-1]
    box = page.locator("#queue-text")
    expect(box).to_have_attribute("placeholder", re.compile("号码"))  # dispatchers may search by phone
    box.fill(code)
    page.locator("#queue-search").click()
    page.wait_for_url(re.compile(r"q=" + code), timeout=20000)
    assert "view=triage" in page.url
    expect(page.locator("a[href^='/cases/ZS']").first).to_have_attribute("href", "/cases/" + code)
    codes = {h.rsplit("/", 1)[-1] for h in page.locator("a[href^='/cases/ZS']").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert codes == {code}
