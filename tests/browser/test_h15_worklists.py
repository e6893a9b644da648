"""Issue 15, points 2 and 3 in a real browser on the suite's set clock: the
dispatcher's 待回访 queue, tab counts that agree with the status chips, page
jumps and page size on a long list, the dashboard's filters surviving Back
from a drill-down (and opening the same from a shared link), the holiday
warning for administrators only, and /team-scores in the navigation of the
roles that may read it."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp import formatting as fmt
from rxapp.db import make_engine
from rxapp.domain.access import actor_for
from rxapp.domain.followup import follow_up_queue
from rxapp.models import User
from tests.browser.conftest import CLOCK, login

pytestmark = pytest.mark.browser

CODE_LINKS = "#case-table a[href^='/cases/ZS']"


def _signed_in(browser, app_url, username: str, width: int = 1400):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, app_url, username)
    page.wait_for_selector("#user-name", timeout=30000)
    return context, page


def _follow_up_expected(db_url: str) -> list[tuple[str, str]]:
    engine = make_engine(db_url)
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "dispatcher")).one()
        rows = follow_up_queue(s, actor=actor_for(s, user), now=datetime.fromisoformat(CLOCK))
    engine.dispose()
    return [(r.code, fmt.day(r.deadline, "zh")) for r in rows]


def _number(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    return int(digits) if digits else 0


def test_dispatcher_follow_up_queue_is_oldest_first_with_its_deadline(browser, app_url, app_db, shot):
    expected = _follow_up_expected(app_db)
    assert expected, "the seeded demo has resolved cases waiting for their follow-up"
    context, page = _signed_in(browser, app_url, "dispatcher")
    page.goto(app_url + "/cases")
    tab = page.locator("#view-follow_up")
    expect(tab).to_be_visible(timeout=30000)
    expect(tab).to_contain_text(str(len(expected)))  # the tab's count is the queue's
    tab.click()
    page.wait_for_url(re.compile(r"view=follow_up"), timeout=20000)
    expect(page.locator("#follow-up-note")).to_contain_text("回访期限")
    expect(page.locator("#case-table thead")).to_contain_text("回访期限")
    first_page = expected[:20]
    expect(page.locator(CODE_LINKS)).to_have_count(len(first_page), timeout=20000)
    codes = page.locator(CODE_LINKS).all_inner_texts()
    assert codes == [c for c, _ in first_page]  # oldest resolution first, as the domain orders them
    deadlines = [t.splitlines()[0].strip() for t in page.locator("#case-table tbody tr td:nth-child(8)").all_inner_texts()]
    assert deadlines == [d for _, d in first_page]  # the follow-up's due day, not the handling deadline
    assert deadlines == sorted(deadlines, key=lambda d: tuple(int(x) for x in re.findall(r"\d+", d)))
    shot(page, "h15-follow-up-queue")
    context.close()


def _chip_counts(page) -> dict[str, int]:
    counts = {}
    for text in page.locator("#status-chips button").all_inner_texts():
        m = re.match(r"^\s*(\D+?)\s*(\d+)\s*$", text.replace("\n", " "))
        assert m, text
        counts[m.group(1)] = int(m.group(2))
    return counts


def _tab_count(page, view: str) -> int:
    badge = page.locator(f"#view-{view} .rt-Badge").first  # Radix draws a tab's label twice (active, inactive)
    expect(badge).to_have_text(re.compile(r"^\d+$"), timeout=20000)
    return int(badge.inner_text())


# each work-queue tab and the status chips it must agree with (the same scope, no filter)
AGREEMENT = {
    "dispatcher": {"triage": ("待受理", "已受理")},
    "dept_env": {"unsigned": ("已派单",), "handling": ("办理中",)},
}


@pytest.mark.parametrize("username", sorted(AGREEMENT))
def test_tab_counts_agree_with_the_status_chips(browser, app_url, username):
    context, page = _signed_in(browser, app_url, username)
    page.goto(app_url + "/cases?view=all")
    expect(page.locator("#status-chips button").first).to_be_visible(timeout=30000)
    page.wait_for_timeout(800)
    counts = _chip_counts(page)
    tabs = {view: _tab_count(page, view) for view in AGREEMENT[username]}
    for view, chips in AGREEMENT[username].items():
        assert tabs[view] == sum(counts[c] for c in chips), (view, tabs, counts)
    total = _number(re.search(r"共\s*([\d,]+)\s*件", page.locator("body").inner_text()).group(1))
    assert total == counts["全部"]
    # opening a tab lists as many cases as its count says
    view, n = next(iter(tabs.items()))
    page.locator(f"#view-{view}").click()
    page.wait_for_url(re.compile(rf"view={view}"), timeout=20000)
    expect(page.get_by_text(re.compile(rf"共\s*{n}\s*件"))).to_be_visible(timeout=20000)
    context.close()


def test_page_jump_and_page_size_on_a_long_list(browser, app_url):
    context, page = _signed_in(browser, app_url, "dispatcher")
    page.goto(app_url + "/cases?view=all&size=10")
    expect(page.locator(CODE_LINKS)).to_have_count(10, timeout=30000)
    pages_text = page.get_by_text(re.compile(r"^\s*1 / \d+\s*$"))
    expect(pages_text).to_be_visible(timeout=20000)
    pages = int(pages_text.inner_text().split("/")[1])
    assert pages >= 10
    jump = page.get_by_label("跳转到第几页")
    jump.fill("7")
    jump.press("Enter")
    page.wait_for_url(re.compile(r"page=7"), timeout=20000)
    expect(page.get_by_text(re.compile(rf"^\s*7 / {pages}\s*$"))).to_be_visible(timeout=20000)
    first_on_7 = page.locator(CODE_LINKS).first.inner_text()
    # a page size from the select: back to page 1, fifty rows, the URL says so
    page.get_by_label("每页条数").click()
    page.get_by_role("option", name="50", exact=True).click()
    page.wait_for_url(re.compile(r"size=50"), timeout=20000)
    assert "page=" not in page.url
    expect(page.locator(CODE_LINKS)).to_have_count(50, timeout=20000)
    page.get_by_role("button", name="最后一页").click()
    last = -(-pages * 10 // 50)
    expect(page.get_by_text(re.compile(rf"^\s*{last} / {last}\s*$"))).to_be_visible(timeout=20000)
    # a shared link opens the same page of the same size
    other = context.new_page()
    other.goto(app_url + "/cases?view=all&size=10&page=7")
    expect(other.locator(CODE_LINKS).first).to_have_text(first_on_7, timeout=30000)
    context.close()


def test_back_from_a_dashboard_drill_down_keeps_scope_category_and_period(browser, app_url, shot):
    context, page = _signed_in(browser, app_url, "leader")
    page.goto(app_url + "/dashboard")
    expect(page.locator("#kpi-due_completion_rate")).to_be_visible(timeout=30000)
    # the period
    page.locator("#period").get_by_role("radio", name="今年").click()
    page.wait_for_url(re.compile(r"period=this_year"), timeout=20000)
    # the scope: a district from the drill-down select
    page.locator("#area-drill").click()
    page.get_by_role("option", name="普陀区").click()
    page.wait_for_url(re.compile(r"area=\d+"), timeout=20000)
    expect(page.locator("#dash-scope")).to_contain_text("普陀区", timeout=20000)
    # the category
    page.locator("#category-filter").click()
    page.get_by_role("option", name="环境保护").click()
    page.wait_for_url(re.compile(r"category=ENV"), timeout=20000)
    expect(page.locator("#kpi-completion_rate")).to_be_visible(timeout=20000)
    page.wait_for_timeout(800)
    dash_url = page.url
    scope = page.locator("#dash-scope").inner_text()

    def shows_the_filters(p) -> None:
        expect(p.locator("#dash-scope")).to_have_text(scope, timeout=30000)
        expect(p.locator("#period").get_by_role("radio", name="今年")).to_have_attribute("aria-checked", "true")
        expect(p.locator("#category-filter")).to_have_text("环境保护")
        expect(p.get_by_role("link", name="普陀区", exact=True).first).to_be_visible()

    # a figure drills down to /cases with the same filters …
    page.locator("#kpi-completion_rate").click()
    page.wait_for_url(re.compile(r"/cases\?"), timeout=20000)
    assert "category=ENV" in page.url and "area=" in page.url
    expect(page.locator(CODE_LINKS + ", #cases-empty").first).to_be_visible(timeout=30000)
    # … and Back brings the dashboard back as it was left
    page.go_back(wait_until="commit")
    page.wait_for_url(re.compile(r"/dashboard"), timeout=20000)
    for key in ("period=this_year", "category=ENV", "area="):
        assert key in page.url, page.url
    shows_the_filters(page)
    shot(page, "h15-dashboard-after-back")
    # the address is shareable: a new page opened on it shows the same
    other = context.new_page()
    other.goto(dash_url)
    shows_the_filters(other)
    context.close()


@pytest.mark.parametrize(
    "username, warning, note",
    [("admin", True, False), ("leader", False, True), ("dispatcher", False, False), ("member", False, False)],
)
def test_holiday_schedule_warning_goes_to_administrators_only(browser, app_url, username, warning, note):
    context, page = _signed_in(browser, app_url, username)
    page.goto(app_url + "/")
    expect(page.locator("main, body").first).to_contain_text("工作台", timeout=30000)
    page.wait_for_timeout(2500)  # the workbench's figures are in
    expect(page.locator("#schedule-warning")).to_have_count(1 if warning else 0)
    expect(page.locator("#schedule-note")).to_have_count(1 if note else 0)
    if warning:
        expect(page.locator("#schedule-warning")).to_contain_text("节假日安排尚未录入")
    if username in ("admin", "leader"):
        page.goto(app_url + "/dashboard")
        expect(page.locator("#kpi-due_completion_rate")).to_be_visible(timeout=30000)
        warned = page.get_by_text("节假日安排尚未录入")
        expect(warned).to_have_count(1 if warning else 0)
    context.close()


@pytest.mark.parametrize("username, reaches", [("leader", True), ("admin", True), ("member", True), ("dispatcher", False), ("dept_env", False)])
def test_team_scores_is_in_the_navigation_of_the_roles_that_use_it(browser, app_url, username, reaches):
    context, page = _signed_in(browser, app_url, username)
    link = page.locator("nav a[href='/team-scores'], aside a[href='/team-scores'], a[href='/team-scores']").first
    if not reaches:
        page.wait_for_timeout(1500)
        expect(page.locator("a[href='/team-scores']")).to_have_count(0)
        context.close()
        return
    expect(link).to_be_visible(timeout=30000)
    link.click()
    page.wait_for_url("**/team-scores", timeout=20000)
    expect(page.locator("main h1").first).to_contain_text("团队", timeout=30000)
    context.close()
