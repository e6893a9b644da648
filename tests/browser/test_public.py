"""Issue 6 item 8: a resident submits at /public/submit, tracks the case,
and after the department resolves it (domain calls against the app's
database) scores it at /public/evaluate with the one-time code read from the
SMS outbox; a township leader publishes the month's board at /board-admin and
the public board shows the case with its score. Screens at 1280 and 390 px."""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.browser.conftest import CLOCK, login

pytestmark = pytest.mark.browser

CONTENT = "楼下饭店油烟很大，噪音扰民，污染严重"  # classified ENV with confidence: auto-routed


def _engine(app_db):
    from rxapp.db import make_engine

    return make_engine(app_db)


def _last_full_month() -> str:
    y, m = int(CLOCK[:4]), int(CLOCK[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def _pick(page, select_id: str, label: str | None = None) -> None:
    """Choose an option of a native select (by label, else the first real one)."""
    sel = page.locator(f"#{select_id}")
    expect(sel.locator("option")).not_to_have_count(1, timeout=20000)
    if label:
        sel.select_option(label=label)
    else:
        sel.select_option(index=1)


def _pick_zhujiajian(page, prefix: str) -> str:
    _pick(page, f"{prefix}-district", "普陀区")
    _pick(page, f"{prefix}-township", "朱家尖街道")
    _pick(page, f"{prefix}-community")
    # the first community's label (not option:checked: a controlled select shows
    # its old value until the server's answer arrives)
    return page.locator(f"#{prefix}-community option").nth(1).inner_text()


def _resolve(app_db, code: str) -> None:
    from rxapp.domain import cases as C
    from rxapp.domain.access import actor_for
    from rxapp.models import Case, CaseStatus, User

    eng = _engine(app_db)
    with Session(eng, expire_on_commit=False) as s:
        case = s.exec(select(Case).where(Case.code == code)).one()
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        if case.status == CaseStatus.SUBMITTED:
            case = C.accept_case(s, actor=dispatcher, case_id=case.id, expected_version=case.version, category_code="ENV")
        if case.status == CaseStatus.ACCEPTED:
            case = C.route_case(s, actor=dispatcher, case_id=case.id, expected_version=case.version)
        dept_user = s.exec(select(User).where(User.role == "dept", User.department_id == case.department_id)).first()
        dept = actor_for(s, dept_user)
        case = C.sign_case(s, actor=dept, case_id=case.id, expected_version=case.version)
        C.resolve_case(s, actor=dept, case_id=case.id, expected_version=case.version, result_text="已责令饭店安装油烟净化器")
    eng.dispose()


def _otp(app_db, phone: str) -> str:
    from rxapp.models import Sms

    eng = _engine(app_db)
    with Session(eng) as s:
        sms = s.exec(select(Sms).where(Sms.phone == phone, Sms.template == "evaluation_otp").order_by(Sms.id.desc())).first()
    eng.dispose()
    assert sms is not None, "no one-time code in the SMS outbox"
    return re.search(r"验证码(\d{6})", sms.text).group(1)


def test_resident_submits_tracks_evaluates_and_the_published_board_shows_the_score(page, app_url, app_db, shot):
    phone = "139" + str(uuid.uuid4().int)[:8]
    page.set_viewport_size({"width": 1280, "height": 900})

    # submit
    page.goto(app_url + "/public/submit")
    community = _pick_zhujiajian(page, "submit")
    expect(page.locator("#submit-community")).to_have_value(re.compile(r"^\d+$"), timeout=20000)
    _pick(page, "submit-grid")
    expect(page.locator("#submit-grid")).to_have_value(re.compile(r"^\d+$"), timeout=20000)
    page.fill("#submit-content", CONTENT)
    page.fill("#submit-phone", phone)
    page.fill("#submit-name", "测试居民")
    page.fill("#submit-address", "朱家尖街道测试路99号")
    shot(page, "public-submit-1280")
    page.click("#submit-button")
    expect(page.locator("#submitted-code")).to_have_text(re.compile(r"^ZS\d{12}$"), timeout=30000)
    code = page.locator("#submitted-code").inner_text()
    shot(page, "public-submitted-1280")

    # track before resolution: wrong tail refused, right tail shows the status
    page.goto(app_url + "/public/track")
    page.fill("#track-code", code)
    page.fill("#track-tail", "0000" if phone[-4:] != "0000" else "1111")
    page.click("#track-button")
    expect(page.locator(".form-error")).to_be_visible(timeout=20000)
    page.fill("#track-tail", phone[-4:])
    page.click("#track-button")
    expect(page.locator("#track-status")).to_be_visible(timeout=20000)
    assert phone not in page.content() and "测试路99号" not in page.content()

    # the department resolves it
    _resolve(app_db, code)
    page.click("#track-button")
    expect(page.locator("#track-status")).to_have_text("已办结，待评价", timeout=20000)
    shot(page, "public-track-1280")

    # evaluate with the SMS one-time code
    page.goto(f"{app_url}/public/evaluate?code={code}")
    expect(page.locator("#eval-code")).to_have_value(code, timeout=20000)
    page.fill("#eval-tail", phone[-4:])
    page.click("#eval-request")
    expect(page.locator("#eval-otp")).to_be_visible(timeout=20000)
    page.fill("#eval-otp", _otp(app_db, phone))
    page.select_option("#eval-score", "4")
    page.click("#eval-submit")
    expect(page.locator("#eval-done")).to_be_visible(timeout=20000)
    shot(page, "public-evaluated-1280")

    # a township leader publishes the month's board
    login(page, app_url, "leader_zhujiajian")
    expect(page.locator("#user-name")).not_to_be_empty(timeout=30000)
    page.goto(app_url + "/board-admin")
    expect(page.locator("#admin-month")).to_have_value(_last_full_month(), timeout=20000)  # opens on the last full month
    page.select_option("#admin-month", CLOCK[:7])  # the case is this month's
    expect(page.locator("#admin-month")).to_have_value(CLOCK[:7])
    _pick(page, "admin-district", "普陀区")
    _pick(page, "admin-township", "朱家尖街道")
    expect(page.locator("#admin-community option", has_text=community)).to_have_count(1, timeout=20000)
    page.locator("#admin-community").select_option(label=community)
    expect(page.locator("#board-table")).to_contain_text(code, timeout=20000)
    page.click("#publish-board")
    expect(page.locator("#publish-info")).to_be_visible(timeout=20000)
    shot(page, "board-admin-1280")
    page.click("#logout-form button")
    page.wait_for_url("**/login**", timeout=20000)

    # the public board shows it with the score
    page.goto(app_url + "/public/board")
    _pick(page, "pick-district", "普陀区")
    _pick(page, "pick-township", "朱家尖街道")
    expect(page.locator("#pick-community option", has_text=community)).to_have_count(1, timeout=20000)
    page.locator("#pick-community").select_option(label=community)
    row = page.locator("#board-table tr", has_text=code)
    expect(row).to_have_count(1, timeout=20000)
    expect(row.locator("td").last).to_have_text("4")
    expect(page.locator("#board-xlsx")).to_be_visible()
    shot(page, "public-board-1280")
    page.emulate_media(media="print")
    shot(page, "public-board-print")
    page.emulate_media(media="screen")

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "public-board-390")
    page.goto(app_url + "/public")
    expect(page.locator("table.board-table tbody tr").first).to_be_visible(timeout=20000)
    shot(page, "public-home-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("table.board-table tbody tr").first).to_be_visible(timeout=20000)
    page.locator("#home-area").select_option(label="普陀区")
    expect(page.locator("table.board-table").first).to_contain_text("朱家尖街道", timeout=20000)
    shot(page, "public-home-1280")
