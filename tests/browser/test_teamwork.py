"""Issue 5 in the browser: a member logs a diary with two household visits,
raises a case from one (channel visit), the case is in /cases, a leader
comments on the diary, the team's visit count for the month goes up by two;
the diary, visit and raise-a-case pages on a 390-px phone; a meeting whose
every item is tracked; the skill search exported to Excel."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.models import Case, Diary, Meeting, MeetingItem, Visit
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

HEARD = "3号楼楼道灯不亮，老人晚上出行不便"
CASE_TEXT = "3号楼楼道灯坏了一个多月，请物业尽快维修"
COMMENT = "走访细致，请跟踪楼道灯维修进度"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _db(url: str, fn):
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return fn(s)
    finally:
        engine.dispose()


def _signed_in(browser, app_url, username, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(30000)
    login(page, app_url, username)
    expect(page.locator("#user-name")).to_be_visible()
    return ctx, page


def _month_visits(page) -> int:
    expect(page.locator(".diary-row").first.or_(page.get_by_text("暂无数据")).first).to_be_visible()
    page.wait_for_function("() => /^\\d+$/.test(document.querySelector('#month-visits')?.textContent || '')")
    return int(page.locator("#month-visits").inner_text())


def _write_diary(page, shot=None, name="") -> int:
    """On /diary/new: the texts, two households of the grid (a note on the first), save."""
    expect(page.locator("#diary-heard")).to_be_visible()
    page.fill("#diary-heard", HEARD)
    page.fill("#diary-done", "已联系物业报修")
    matches = page.locator(".household-match")
    expect(matches.first).to_be_visible()
    matches.nth(0).click()
    expect(page.locator(".pending-visit")).to_have_count(1)
    page.locator(".household-match").nth(0).click()
    expect(page.locator(".pending-visit")).to_have_count(2)
    note = page.locator(".visit-note textarea").first
    note.fill("反映楼道灯不亮")
    note.blur()
    if shot:
        shot(page, f"{name}-diary-new")
    page.click("#diary-submit")
    page.wait_for_url(re.compile(r".*/diary/\d+$"))
    expect(page.locator(".visit-card")).to_have_count(2)
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def test_member_diary_visits_case_leader_comment_and_team_count(browser, app_url, app_db, shot):
    ctx, page = _signed_in(browser, app_url, "member", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(app_url + "/diary")
    before = _month_visits(page)
    shot(page, "teamwork-diary-list-before")

    page.click("#diary-write")
    page.wait_for_url("**/diary/new")
    diary_id = _write_diary(page)
    shot(page, "teamwork-diary-detail")

    # raise a case from the first visit, in the dialog on the visit
    first = page.locator(".visit-card").first
    intake = first.locator(".raise-case-intake")
    expect(intake).to_have_attribute("href", re.compile(r"/cases/new\?visit=\d+&household=\d+$"))
    first.locator(".raise-case").click()
    expect(page.locator("#raise-content")).to_have_value("反映楼道灯不亮")
    page.fill("#raise-content", CASE_TEXT)
    shot(page, "teamwork-raise-dialog")
    page.click("#raise-submit")
    badge = first.locator(".visit-case")
    expect(badge).to_contain_text("ZS")
    code = re.search(r"ZS\d{12}", badge.inner_text()).group(0)

    case = _db(app_db, lambda s: s.exec(select(Case).where(Case.code == code)).one())
    visits = _db(app_db, lambda s: s.exec(select(Visit).where(Visit.diary_id == diary_id).order_by(Visit.id)).all())
    assert case.channel == "visit" and case.visit_id == visits[0].id
    assert case.requester_household_id == visits[0].household_id and case.content == CASE_TEXT

    # the case in /cases (the member's team's list, newest first) and on its page with channel 走访
    page.goto(app_url + "/cases")
    expect(page.get_by_text(code).first).to_be_visible()
    page.goto(app_url + f"/cases/{code}")
    expect(page.get_by_text("走访").first).to_be_visible()

    # the team's visit count for the month went up by two
    page.goto(app_url + "/diary")
    expect(page.locator("#month-visits")).to_have_text(str(before + 2))
    with page.expect_download() as info:
        page.click("#activity-export")
    assert info.value.suggested_filename.endswith(".xlsx")
    ctx.close()

    # the township leader comments on the diary
    ctx, lead = _signed_in(browser, app_url, "leader_zhujiajian", viewport={"width": 1280, "height": 900})
    lead.goto(app_url + f"/diary/{diary_id}")
    expect(lead.locator(".visit-card")).to_have_count(2)
    expect(lead.locator(".raise-case")).to_have_count(0)
    lead.fill("#comment-text", COMMENT)
    lead.click("#comment-submit")
    expect(lead.locator("#diary-comment")).to_have_text(COMMENT)
    shot(lead, "teamwork-leader-comment")
    ctx.close()
    assert _db(app_db, lambda s: s.get(Diary, diary_id).leader_comment) == COMMENT

    # the member sees it, on the diary and on /diary
    ctx, page = _signed_in(browser, app_url, "member", viewport={"width": 1280, "height": 900})
    page.goto(app_url + f"/diary/{diary_id}")
    expect(page.locator("#diary-comment")).to_have_text(COMMENT)
    page.goto(app_url + "/diary")
    expect(page.locator("#diary-new-comments")).to_contain_text(COMMENT[:10])
    ctx.close()


def test_diary_visit_and_raise_a_case_on_a_390px_phone(browser, app_url, app_db, shot):
    ctx, page = _signed_in(browser, app_url, "member", **PHONE)

    def fits() -> None:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 392, f"page is {width}px wide on a 390px screen"

    page.goto(app_url + "/diary")
    _month_visits(page)
    fits()
    shot(page, "teamwork-phone-diary-list")

    page.goto(app_url + "/diary/new")
    diary_id = _write_diary(page, shot, "teamwork-phone")
    fits()
    shot(page, "teamwork-phone-diary-detail")

    page.locator(".visit-card").nth(1).locator(".raise-case").click()
    expect(page.locator("#raise-content")).to_be_visible()
    box = page.locator("#raise-dialog").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 391
    page.fill("#raise-content", "门口下水道堵塞，雨天积水")
    page.fill("#raise-phone", "1380000")  # not a mobile number: refused next to the field
    page.click("#raise-submit")
    expect(page.get_by_text("请输入正确的手机号码").first).to_be_visible()
    shot(page, "teamwork-phone-raise-error")
    page.fill("#raise-phone", "13800001234")
    page.click("#raise-submit")
    expect(page.locator(".visit-card").nth(1).locator(".visit-case")).to_contain_text("ZS")
    fits()
    shot(page, "teamwork-phone-case-raised")
    assert _db(app_db, lambda s: s.exec(select(Case).join(Visit, Visit.id == Case.visit_id).where(Visit.diary_id == diary_id)).one()).channel == "visit"

    # the empty and the future diary are refused with a message next to the field
    page.goto(app_url + "/diary/new")
    expect(page.locator("#diary-heard")).to_be_visible()
    page.click("#diary-submit")
    expect(page.get_by_text("请填写民情内容（听到了什么）").first).to_be_visible()
    fits()
    shot(page, "teamwork-phone-diary-empty")
    ctx.close()


def test_meeting_items_answered_or_turned_into_cases_then_closed(browser, app_url, app_db, shot):
    ctx, page = _signed_in(browser, app_url, "member", viewport={"width": 1280, "height": 900})
    page.goto(app_url + "/meetings")
    expect(page.locator(".meeting-row").first).to_be_visible()
    shot(page, "teamwork-meetings-list")
    page.click("#meeting-new")
    page.fill("#meeting-place", "社区二楼会议室")
    page.fill("#meeting-host", "社区书记")
    page.click("#meeting-create-submit")
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    meeting_id = int(page.url.rsplit("/", 1)[-1])

    for text in ("小区停车位不足，晚上乱停车", "河道有垃圾漂浮，气味很大"):
        page.fill("#item-text", text)
        page.click("#item-add")
        expect(page.get_by_text(text)).to_be_visible()
    expect(page.locator(".meeting-item")).to_have_count(2)
    page.locator(".meeting-item").nth(0).locator(".item-answer").click()
    page.fill("#answer-text", "社区协调学校操场夜间开放停车")
    page.click("#answer-submit")
    expect(page.locator(".meeting-item").nth(0)).to_contain_text("社区协调学校操场夜间开放停车")
    page.locator(".meeting-item").nth(1).locator(".item-case").click()
    page.click("#item-case-submit")
    expect(page.locator(".meeting-item").nth(1)).to_contain_text("ZS")

    page.click("#meeting-close")
    page.click("#close-submit")  # no minutes, no count yet
    expect(page.get_by_text("结束会议前请填写会议纪要").first).to_be_visible()
    page.fill("#close-minutes", "会议讨论停车和河道两个问题，停车当场答复，河道转诉求办理。")
    page.fill("#close-count", "18")
    page.click("#close-submit")
    expect(page.get_by_text("已结束").first).to_be_visible()
    shot(page, "teamwork-meeting-closed")
    meeting = _db(app_db, lambda s: s.get(Meeting, meeting_id))
    items = _db(app_db, lambda s: s.exec(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id).order_by(MeetingItem.id)).all())
    assert meeting.status == "closed" and meeting.attendees_count == 18
    assert [i.status for i in items] == ["answered", "case"] and items[1].case_id
    ctx.close()


def test_leader_finds_a_skill_within_scope_and_exports_it(browser, app_url, shot):
    ctx, page = _signed_in(browser, app_url, "leader_putuo", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(app_url + "/households")
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert "****" in page.locator("table tbody tr").first.inner_text()
    shot(page, "teamwork-households-leader")
    page.click("#tab-skills")
    page.fill("#skill-input", "电工")
    page.click("#skill-search")
    expect(page.locator("#skill-export")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    assert "****" in rows.first.inner_text()  # masked for leaders
    shot(page, "teamwork-skill-search")
    with page.expect_download() as info:
        page.click("#skill-export")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as f:
        assert f.read(2) == b"PK"
    ctx.close()
