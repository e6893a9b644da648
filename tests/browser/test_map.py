"""The grid map in a real browser: it renders at 1280 and 390 px with no
request to any host but the app, clicks drill, and a resident's tap on the
public form lands in the right grid."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.models import Area, AreaLevel, Case, Household
from tests.browser.conftest import PORT, login

pytestmark = pytest.mark.browser

ZHUJIAJIAN_SEAT = (122.39312, 29.92003)  # rxapp/data/zhoushan_townships.csv (GCJ-02)


@pytest.fixture(scope="module")
def zhujiajian_grid(app_db) -> tuple[int, str]:
    """(id, name) of the grid holding 朱家尖街道's seat.  A seed without grid
    outlines gets them here: each township's single grid takes its township's land."""
    from rxapp.domain.geo.shapes import from_geojson

    engine = make_engine(app_db)
    with Session(engine) as s:
        town = s.exec(select(Area).where(Area.name == "朱家尖街道", Area.level == AreaLevel.TOWNSHIP)).one()
        below = s.exec(select(Area).where(Area.path.startswith(town.path), Area.id != town.id)).all()
        if not any(a.geometry for a in below if a.level == AreaLevel.GRID):
            for a in below:
                a.geometry, a.geo_rev = town.geometry, a.geo_rev + 1
                a.min_lon, a.min_lat, a.max_lon, a.max_lat = town.min_lon, town.min_lat, town.max_lon, town.max_lat
                a.label_lon, a.label_lat = town.label_lon, town.label_lat
                s.add(a)
            s.commit()
        from shapely.geometry import Point

        grid = next(a for a in below if a.level == AreaLevel.GRID and a.geometry and from_geojson(a.geometry).covers(Point(*ZHUJIAJIAN_SEAT)))
        out = (grid.id, grid.name)
    engine.dispose()
    return out


def _record_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.on("websocket", lambda ws: seen.append(ws.url))
    return seen


def _outside(urls: list[str]) -> list[str]:
    """Every request that went anywhere but the app itself."""
    own = [u for u in urls if not u.startswith(("data:", "blob:"))]
    return [u for u in own if urlparse(u).hostname not in ("localhost", "127.0.0.1") or urlparse(u).port != PORT]


def _tap(page, map_id: str, lon: float, lat: float) -> None:
    """Click the map at a lon/lat (converted with the figure's own axes)."""
    box = page.evaluate(
        """([id, lon, lat]) => {
            const gd = document.getElementById(id);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(lon), r.top + ya._offset + ya.l2p(lat)];
        }""",
        [map_id, lon, lat],
    )
    page.mouse.click(box[0], box[1])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_map_renders_with_no_outside_request(browser, app_url, shot, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    urls = _record_requests(page)
    login(page, app_url, "leader")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(app_url + "/map")
    expect(page.locator("#grid-map .main-svg").first).to_be_visible(timeout=30000)
    expect(page.locator("#map-areas")).to_contain_text("普陀区", timeout=20000)
    expect(page.locator("#grid-map")).to_contain_text("普陀区")
    page.wait_for_timeout(800)
    shot(page, f"map-leader-{width}")
    # the measure switch recolours, the legend shows the unit
    if width >= 768:  # tabs
        page.locator("#map-measure").get_by_role("radio", name="超期件").click()
    else:  # a select on a phone (four tabs do not fit)
        expect(page.locator("#map-measure")).to_be_hidden()
        page.locator("#map-measure-select").click()
        page.get_by_role("option", name="超期件").click()
    expect(page.locator("#grid-map")).to_contain_text("超期件（件）", timeout=20000)
    # a click on an area's label zooms into it (scope drill)
    page.locator("#map-areas").get_by_text("普陀区").click()
    expect(page.locator("#map-scope")).to_contain_text("普陀区", timeout=20000)
    expect(page.locator("#map-areas")).to_contain_text("朱家尖街道", timeout=20000)
    page.wait_for_timeout(800)
    shot(page, f"map-putuo-{width}")
    # the dashboard's card, same filters and scope
    page.goto(app_url + "/dashboard")
    expect(page.locator("#map-card")).to_contain_text("定海区", timeout=30000)
    page.locator("#map-card").scroll_into_view_if_needed()
    shot(page, f"dashboard-map-card-{width}")
    # a table figure drills down to /cases
    page.locator("#map-areas").get_by_role("link").nth(1).click()
    page.wait_for_url("**/cases?*", timeout=20000)
    assert not _outside(urls), _outside(urls)
    ctx.close()


def test_a_public_submission_by_tapping_the_map_lands_in_the_right_grid(browser, app_url, app_db, shot, zhujiajian_grid):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=False)
    page = ctx.new_page()
    urls = _record_requests(page)
    page.goto(app_url + "/public/submit")
    expect(page.locator("#pick-map .main-svg").first).to_be_visible(timeout=30000)
    page.wait_for_timeout(500)
    _tap(page, "pick-map", *ZHUJIAJIAN_SEAT)
    located = page.locator("#pick-located")
    expect(located).to_contain_text("已定位到：朱家尖街道", timeout=20000)
    expect(located).to_contain_text(zhujiajian_grid[1].split("社区")[-1])
    expect(page.locator("#submit-grid")).to_have_value(str(zhujiajian_grid[0]))
    # tap again on the zoomed map: the spot moves, the grid stays
    page.wait_for_timeout(500)
    _tap(page, "pick-map", ZHUJIAJIAN_SEAT[0] + 0.001, ZHUJIAJIAN_SEAT[1] + 0.001)
    page.wait_for_timeout(800)
    expect(located).to_contain_text(zhujiajian_grid[1].split("社区")[-1])
    shot(page, "public-submit-picked-390")
    page.fill("#submit-content", "海滨路路灯坏了好几天，晚上很黑")
    page.fill("#submit-phone", "13900001111")
    page.click("#submit-button")
    code = page.locator("#submitted-code")
    expect(code).to_contain_text("ZS", timeout=20000)
    engine = make_engine(app_db)
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.code == code.inner_text().strip())).one()
        assert case.grid_id == zhujiajian_grid[0]
        assert case.lon == pytest.approx(ZHUJIAJIAN_SEAT[0] + 0.001, abs=3e-4)
        assert case.lat == pytest.approx(ZHUJIAJIAN_SEAT[1] + 0.001, abs=3e-4)
    engine.dispose()
    assert not _outside(urls), _outside(urls)
    ctx.close()
    # staff see the case's small map
    staff = browser.new_context(viewport={"width": 390, "height": 844})
    page = staff.new_page()
    urls = _record_requests(page)
    login(page, app_url, "dispatcher")
    page.wait_for_selector("#user-name", timeout=30000)
    page.goto(f"{app_url}/cases/{case.code}")
    expect(page.locator("#case-map .main-svg").first).to_be_visible(timeout=30000)
    page.locator("#case-map-card").scroll_into_view_if_needed()
    shot(page, "case-detail-map-390")
    assert not _outside(urls), _outside(urls)
    staff.close()


def test_enter_in_the_address_box_locates_the_address_without_sending_the_form(browser, app_url, app_db):
    engine = make_engine(app_db)
    with Session(engine) as s:
        address, grid_id = s.exec(select(Household.address, Household.grid_id).order_by(Household.id)).first()
    engine.dispose()
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(app_url + "/public/submit")
    expect(page.locator("#pick-map .main-svg").first).to_be_visible(timeout=30000)
    page.fill("#submit-content", "楼道里的灯坏了，晚上看不见")
    page.fill("#submit-phone", "13900002222")
    page.fill("#pick-address", address)
    page.press("#pick-address", "Enter")
    expect(page.locator("#pick-located")).to_contain_text("已定位到", timeout=20000)
    expect(page.locator("#submit-grid")).to_have_value(str(grid_id))
    page.wait_for_timeout(500)
    assert page.locator("#submitted-code").count() == 0  # Enter did not send the request
    ctx.close()


def test_public_home_shows_a_township_choropleth_without_points(browser, app_url, shot):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    urls = _record_requests(page)
    page.goto(app_url + "/public")
    expect(page.locator("#public-map")).to_contain_text("朱家尖街道", timeout=30000)
    page.locator("#public-map-card").scroll_into_view_if_needed()
    shot(page, "public-choropleth-390")
    # areas only: no marker trace carries a point of a case or household
    traces = page.evaluate("() => document.getElementById('public-map').data.map(t => [t.mode, (t.x || []).length])")
    assert all(mode != "markers" or n <= 1 for mode, n in traces), traces
    assert not _outside(urls), _outside(urls)
    ctx.close()
