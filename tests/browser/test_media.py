"""Photos from a 390-px phone: a resident submits a request and adds a
photo carrying GPS EXIF (upload with progress); the stored copies carry no
EXIF; the photo is private (the public track page and an anonymous fetch
show nothing) until a dispatcher, also on a phone, taps it large and
publishes it; then /public/track shows it.  A handler adds an "after" photo
on the case page.  No request leaves the app's host."""

import io
import random
import re
from urllib.parse import urlparse

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.browser.conftest import login
from tests.browser.test_public import _pick, _pick_zhujiajian

pytestmark = pytest.mark.browser

PHONE_SIZE = {"width": 390, "height": 844}


def gps_photo(path, color) -> None:
    img = Image.new("RGB", (1600, 1200), color)
    for x in range(0, 1600, 50):
        img.paste((255, 255, 255), (x, 0, x + 6, 1200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (29.0, 53.0, 10.0), 3: "E", 4: (122.0, 24.0, 5.0)}
    img.save(path, "JPEG", exif=exif.tobytes(), quality=92)


def media_rows(app_db: str, code: str):
    from rxapp.db import make_engine
    from rxapp.models import Case, Media

    engine = make_engine(app_db)
    with Session(engine) as s:
        case_id = s.exec(select(Case.id).where(Case.code == code)).one()
        rows = list(s.exec(select(Media).where(Media.case_id == case_id).order_by(Media.id)).all())
    engine.dispose()
    return rows


def test_resident_photo_from_a_phone_is_private_until_published(page, app_url, app_db, shot, tmp_path):
    from rxapp.domain.media.storage import storage_from_env

    foreign = []
    host = urlparse(app_url).hostname
    page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).hostname not in (host, None) and not r.url.startswith("data:") else None)
    page.set_viewport_size(PHONE_SIZE)
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))

    # the resident submits, then adds a photo with progress
    page.goto(app_url + "/public/submit")
    _pick_zhujiajian(page, "submit")
    _pick(page, "submit-grid")
    expect(page.locator("#submit-grid")).to_have_value(re.compile(r"^\d+$"), timeout=20000)
    page.fill("#submit-content", "海堤护栏断了一截，老人小孩经过很危险，请尽快修复")
    page.fill("#submit-phone", phone)
    page.click("#submit-button")
    expect(page.locator("#submitted-code")).to_have_text(re.compile(r"^ZS\d{12}$"), timeout=30000)
    code = page.locator("#submitted-code").inner_text()
    photo = tmp_path / "IMG_0001.jpg"
    gps_photo(photo, (40, 110, 170))
    page.locator("#resident-media input[type=file]").set_input_files(str(photo))
    expect(page.locator("#resident-media")).to_contain_text("IMG_0001.jpg", timeout=10000)
    shot(page, "media-resident-390-chosen")
    page.locator("#resident-media .media-upload-button").click()
    expect(page.locator("#resident-media .media-notice")).to_contain_text("1", timeout=60000)
    shot(page, "media-resident-390-uploaded")

    (row,) = media_rows(app_db, code)
    assert row.stage == "report" and not row.public
    store = storage_from_env()
    for h in (row.sha256, row.thumb_sha256):
        stored = Image.open(io.BytesIO(store.get(h)))
        assert len(stored.getexif()) == 0 and not stored.getexif().get_ifd(0x8825) and "exif" not in stored.info

    # private: not on the track page, not to an anonymous fetch
    page.goto(app_url + "/public/track")
    page.fill("#track-code", code)
    page.fill("#track-tail", phone[-4:])
    page.click("#track-button")
    expect(page.locator("#track-status")).to_be_visible(timeout=20000)
    page.wait_for_timeout(1500)
    expect(page.locator("#track-media img")).to_have_count(0)
    for path in (f"/api/media/{row.token}", f"/api/media/{row.token}/thumb", f"/api/media/{row.sha256}", f"/_upload/{row.sha256}"):
        assert page.request.get(app_url + path).status == 404, path

    # a dispatcher on a phone sees it, taps it large, publishes it
    login(page, app_url, "dispatcher")
    expect(page.locator("#user-name")).not_to_be_empty(timeout=30000)
    page.goto(f"{app_url}/cases/{code}")
    thumb = page.locator("#case-media .media-thumb img").first
    expect(thumb).to_be_visible(timeout=30000)
    thumb.click()
    expect(page.locator(".media-large")).to_be_visible(timeout=10000)
    shot(page, "media-case-390-large")
    page.locator(".media-publish").click()
    expect(page.locator(".media-unpublish")).to_be_visible(timeout=20000)
    page.keyboard.press("Escape")
    assert media_rows(app_db, code)[0].public
    page.set_viewport_size({"width": 1400, "height": 900})
    shot(page, "media-case-1400")
    page.set_viewport_size(PHONE_SIZE)

    # a handler's "after" photo from the same page (PNG this time)
    after = tmp_path / "after.png"
    Image.new("RGB", (800, 600), (90, 160, 90)).save(after, "PNG")
    page.locator("#media-stage").click()
    page.get_by_role("option", name="办理后").click()
    page.locator("#case-media input[type=file]").set_input_files(str(after))
    page.locator("#case-media .media-upload-button").click()
    expect(page.locator("#case-media .media-notice")).to_be_visible(timeout=60000)
    expect(page.locator("#case-media .media-thumb")).to_have_count(2, timeout=20000)
    shot(page, "media-case-390")
    rows = media_rows(app_db, code)
    assert [r.stage for r in rows] == ["report", "after"] and rows[1].uploaded_by_user_id is not None

    # now the public track page shows the published photo (and not the private "after")
    page.context.clear_cookies()
    page.goto(app_url + "/public/track")
    page.fill("#track-code", code)
    page.fill("#track-tail", phone[-4:])
    page.click("#track-button")
    expect(page.locator("#track-media img")).to_have_count(1, timeout=20000)
    assert row.token in page.locator("#track-media img").first.get_attribute("src")
    shot(page, "media-track-390")
    assert page.request.get(app_url + f"/api/media/{row.token}").status == 200
    assert page.request.get(app_url + f"/api/media/{rows[1].token}").status == 404
    assert foreign == []


def _member_diary_and_meeting(app_db: str) -> tuple[int, int | None]:
    from sqlalchemy import func

    from rxapp.db import make_engine
    from rxapp.models import Diary, Meeting, MeetingItem, User, Visit

    engine = make_engine(app_db)
    with Session(engine) as s:
        member = s.exec(select(User).where(User.username == "member")).one()
        diary_id = s.exec(
            select(Diary.id).join(Visit, Visit.diary_id == Diary.id).where(Diary.user_id == member.id).order_by(Diary.day.desc()).limit(1)
        ).one()
        meeting_id = s.exec(
            select(Meeting.id)
            .join(MeetingItem, MeetingItem.meeting_id == Meeting.id)
            .where(Meeting.team_id == member.team_id)
            .group_by(Meeting.id)
            .order_by(func.max(Meeting.held_on).desc())
            .limit(1)
        ).first()
    engine.dispose()
    return diary_id, meeting_id


def test_member_keeps_photos_with_a_visit_and_a_meeting_item(page, app_url, app_db, shot, tmp_path):
    diary_id, meeting_id = _member_diary_and_meeting(app_db)
    login(page, app_url, "member")
    expect(page.locator("#user-name")).not_to_be_empty(timeout=30000)
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{app_url}/diary/{diary_id}")
    card = page.locator(".visit-card").first
    expect(card.locator(".media-add")).to_be_visible(timeout=30000)
    before = card.locator(".media-thumb").count()
    card.locator(".media-add").click()
    flooded = tmp_path / "cellar.jpg"
    gps_photo(flooded, (60, 80, 120))
    page.locator("#visit-media-upload input[type=file], [role=dialog] input[type=file]").first.set_input_files(str(flooded))
    page.locator("[role=dialog] .media-upload-button").click()
    expect(card.locator(".media-thumb")).to_have_count(before + 1, timeout=60000)
    shot(page, "media-visit-390")
    token = card.locator(".media-thumb img").last.get_attribute("src").split("/api/media/")[1].split("/")[0]
    assert page.request.get(f"{app_url}/api/media/{token}/thumb").status == 200
    page.context.clear_cookies()
    assert page.request.get(f"{app_url}/api/media/{token}/thumb").status == 404  # anonymous
    login(page, app_url, "member")
    expect(page.locator("#user-name")).not_to_be_empty(timeout=30000)
    if meeting_id is not None:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(f"{app_url}/meetings/{meeting_id}")
        item = page.locator(".meeting-item").first
        expect(item.locator(".media-add")).to_be_visible(timeout=30000)
        item.locator(".media-add").click()
        minutes = tmp_path / "item.png"
        Image.new("RGB", (900, 700), (200, 180, 120)).save(minutes, "PNG")
        page.locator("[role=dialog] input[type=file]").first.set_input_files(str(minutes))
        page.locator("[role=dialog] .media-upload-button").click()
        expect(item.locator(".media-thumb")).to_have_count(1, timeout=60000)
        shot(page, "media-meeting-1400")
