"""Issue 15, point 4: charts people can read, at 390 px and 1400 px.

Screenshots of /dashboard, /public and /map at both widths land under
test-results/ (``h15-charts-<page>-<width>.png``); the measurable parts are
asserted: no page wider than a phone, Plotly's toolbar hidden on phones,
month labels clear of the legend, whole-number ticks on the team-activity
chart and no row for a team without activity, no chart card that only says
"not ranked", and the /public rate bars on a zoomed axis with their values."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

WIDTHS = (390, 1400)


def _boxes_overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def _texts(locator) -> list[str]:
    """The text of SVG elements (they have no innerText)."""
    return [t.strip() for t in locator.evaluate_all("els => els.map(e => e.textContent || '')") if t.strip()]


def _no_wider_than(page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def _leader_on(browser, app_url: str, path: str, width: int, chart: str):
    """A leader's page at ``width`` px, once ``chart`` is drawn and the page is no wider than the screen."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, app_url, "leader")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + path)
    expect(page.locator(f"{chart} .main-svg").first).to_be_visible(timeout=30000)
    page.wait_for_timeout(1500)
    _no_wider_than(page, width)
    return context, page


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_charts_read_at_phone_and_desktop_width(browser, app_url, shot, width):
    context, page = _leader_on(browser, app_url, "/dashboard", width, "#chart-trend")
    expect(page.locator("#chart-activity .main-svg").first).to_be_visible(timeout=20000)

    # the toolbar: hidden on a phone, there (on hover) on a desktop
    toolbars = page.locator(".js-plotly-plot .modebar-container")
    assert toolbars.count() >= 5
    if width < 640:
        for i in range(toolbars.count()):
            expect(toolbars.nth(i)).to_be_hidden()

    # month labels never run into the legend; the running month is on the axis
    trend = page.locator("#chart-trend")
    assert "本月未完" in _texts(trend.locator(".xtick text"))[-1]
    legend = trend.locator(".legend").bounding_box()
    for box in [t.bounding_box() for t in trend.locator(".xtick text").all()]:
        assert box and not _boxes_overlap(box, legend), (box, legend)

    # team activity: whole-number ticks, and every team listed has a bar
    activity = page.locator("#chart-activity")
    ticks = _texts(activity.locator(".xtick text"))
    assert ticks and all(re.fullmatch(r"\d[\d,]*", t) for t in ticks), ticks
    teams = activity.locator(".ytick text").count()
    bars = activity.locator(".bars .point path").evaluate_all("els => els.filter(e => (e.getAttribute('d') || '').length > 4 && e.getBBox().width > 0).length")
    assert teams <= bars, (teams, bars)  # two series per team: at least one bar each

    # no half-row card that only says nothing is ranked
    if page.locator("#team-ranking").count() == 0:
        expect(page.locator("#team-ranking-note")).to_be_visible()
    if page.locator("#chart-areas").count() == 0:
        expect(page.locator("#area-ranking")).to_be_visible()
        expect(page.get_by_text(re.compile("暂不排名；下表列出全部区域"))).to_be_visible()
    shot(page, f"h15-charts-dashboard-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_public_rate_bars_are_zoomed_and_labelled(browser, app_url, shot, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(app_url + "/public")
    chart = page.locator("#rate-chart")
    labels = chart.locator("text.rate-label")
    expect(labels.first).to_be_visible(timeout=30000)
    page.wait_for_timeout(800)
    values = _texts(labels)
    # every bar carries its value, 100 % included (nothing clipped at the top of the axis)
    bars = chart.locator(".recharts-bar-rectangle").count()
    assert len(values) == bars > 0, (values, bars)
    assert all(re.fullmatch(r"\d{1,3}(\.\d)?", v) for v in values), values
    # the axis is zoomed: it starts well above 0, and says where
    low = int(re.search(r"(\d+)%", chart.locator("#rate-chart-note").inner_text()).group(1))
    assert 0 < low < min(float(v) for v in values)
    ticks = [t for t in _texts(chart.locator(".recharts-cartesian-axis-tick-value")) if t.endswith("%")]
    assert ticks[0] == f"{low}%" and ticks[-1] == "100%", ticks
    # labels of one group never overlap each other
    boxes = [b for b in (labels.nth(i).bounding_box() for i in range(labels.count())) if b]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _boxes_overlap(a, b), (a, b)
    _no_wider_than(page, width)
    shot(page, f"h15-charts-public-{width}")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_map_at_phone_and_desktop_width(browser, app_url, shot, width):
    context, page = _leader_on(browser, app_url, "/map", width, "#grid-map")
    if width < 640:
        expect(page.locator("#grid-map .modebar-container")).to_be_hidden()
    shot(page, f"h15-charts-map-{width}")
    context.close()
