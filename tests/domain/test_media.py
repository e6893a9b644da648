"""Photos and files: bad input refused with nothing written (no row, no
blob), no EXIF (GPS above all) in any stored file, scope on every read and
write, publishing recorded and respected."""

import io
import zlib

import pytest
from PIL import Image
from sqlmodel import func, select

from rxapp.domain import meetings as MT
from rxapp.domain.clock import today
from rxapp.domain.diaries import create_diary
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.media import actions as M
from rxapp.domain.media.images import MAX_FILE_BYTES
from rxapp.domain.media.storage import FileStorage
from rxapp.models import Media, MediaEvent, MeetingKind, Visit
from tests.domain.cases_support import drive, submit

GPS_IFD = 0x8825


def photo(fmt="JPEG", size=(1200, 900), gps=True, color=(30, 120, 200)) -> bytes:
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 40):  # some detail, so the encoder has work to do
        img.paste((255, 255, 255), (x, 0, x + 4, size[1]))
    out = io.BytesIO()
    kw = {}
    if gps and fmt in ("JPEG", "PNG", "WEBP", "HEIF"):
        exif = Image.Exif()
        exif[GPS_IFD] = {1: "N", 2: (29.0, 53.0, 10.0), 3: "E", 4: (122.0, 24.0, 5.0)}
        exif[0x010F] = "PhoneMaker"
        kw["exif"] = exif.tobytes()
    img.save(out, format=fmt, **kw)
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def assert_clean(store: FileStorage, rows: list[Media]) -> None:
    for row in rows:
        for h in (row.sha256, row.thumb_sha256):
            img = Image.open(io.BytesIO(store.get(h)))
            assert img.format == "JPEG"
            exif = img.getexif()
            assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
            assert "exif" not in img.info and "xmp" not in img.info and "icc_profile" not in img.info


@pytest.fixture
def store(tmp_path):
    return FileStorage(tmp_path / "media")


def blobs(store: FileStorage) -> list:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


def media_count(session) -> int:
    return session.exec(select(func.count()).select_from(Media)).one()


def test_resident_photos_of_every_format_are_stored_without_metadata(session, world, store):
    case = submit(session, world, actor=None, channel="web")
    uploads = [("a.jpg", photo("JPEG")), ("b.png", photo("PNG")), ("c.heic", photo("HEIF"))]
    rows = M.attach_resident_photos(session, case_id=case.id, uploads=uploads, storage=store)
    assert [r.stage for r in rows] == ["report"] * 3 and not any(r.public for r in rows)
    assert_clean(store, rows)
    webp = submit(session, world, actor=None, channel="web")
    assert_clean(store, M.attach_resident_photos(session, case_id=webp.id, uploads=[("d.webp", photo("WEBP"))], storage=store))
    # the token in URLs is not the content hash
    assert all(r.token not in (r.sha256, r.thumb_sha256) and r.sha256 not in M.media_url(r.token) for r in rows)
    assert session.exec(select(func.count()).select_from(MediaEvent).where(MediaEvent.action == "attach")).one() == 4


def _big_jpeg_header(w: int, h: int) -> bytes:
    """A tiny JPEG whose header claims w x h pixels (a decompression bomb)."""
    data = bytearray(photo(size=(16, 16), gps=False))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = h.to_bytes(2, "big") + w.to_bytes(2, "big")
    return bytes(data)


def _bomb_png(w: int = 50_000, h: int = 50_000) -> bytes:
    """A small PNG whose IHDR claims w x h (CRC fixed, so only the size is wrong)."""
    data = bytearray(photo("PNG", size=(16, 16), gps=False))
    data[16:24] = w.to_bytes(4, "big") + h.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


BAD = {
    "pdf renamed jpg": ("scan.jpg", pdf()),
    "polyglot: jpeg with a pdf inside": ("x.jpg", photo(gps=False)[:-2] + b"%PDF-1.4 obj" + b"\xff\xd9"),
    "polyglot: jpeg with an archive after it": ("x.jpg", photo(gps=False) + b"PK\x03\x04" + b"\x00" * 30),
    "polyglot: png with html after IEND": ("x.png", photo("PNG", gps=False) + b"<html><script>alert(1)</script>"),
    "polyglot: jpeg with other bytes after its end": ("x.jpg", photo(gps=False) + b"\x01\x02payload-of-another-format"),
    "truncated jpeg": ("x.jpg", photo(gps=False)[:-400]),
    "truncated png": ("x.png", photo("PNG", gps=False)[:-100]),
    "50000 x 50000 png": ("bomb.png", _bomb_png()),
    "50000 x 50000 jpeg header": ("bomb.jpg", _big_jpeg_header(50_000, 50_000)),
    "gif": ("x.jpg", (lambda b: (Image.new("RGB", (10, 10)).save(b, "GIF"), b.getvalue())[1])(io.BytesIO())),
    "svg": ("x.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    "text": ("x.jpg", b"hello"),
    "empty": ("x.jpg", b""),
    "over 10 MB": ("x.jpg", b"\xff\xd8" + b"\x00" * (MAX_FILE_BYTES + 1)),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_upload_is_refused_and_nothing_is_written(session, world, store, name):
    case = submit(session, world, actor=None, channel="web")
    filename, data = BAD[name]
    before = media_count(session)
    with pytest.raises(DomainError) as err:
        # a good photo beside the bad one is not kept either
        M.attach_resident_photos(session, case_id=case.id, uploads=[("ok.jpg", photo()), (filename, data)], storage=store)
    assert err.value.field == "media" and any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert media_count(session) == before
    assert blobs(store) == []


def test_pdf_only_for_staff_and_checked(session, world, store):
    case = drive(session, world, "in_progress")
    rows = M.attach_case_files(session, actor=world.actors["dept_env"], case_id=case.id, uploads=[("整改报告.pdf", pdf())], stage="after", storage=store)
    assert rows[0].kind == "pdf" and rows[0].filename == "整改报告.pdf"
    served = M.open_media(session, actor=world.actors["dept_env"], token=rows[0].token, storage=store)
    assert served.attachment and served.content_type == "application/pdf"
    with pytest.raises(DomainError):
        M.attach_case_files(session, actor=world.actors["dept_env"], case_id=case.id, uploads=[("x.pdf", pdf().replace(b"trailer", b"/JavaScript (app.alert(1)) trailer"))], stage="after", storage=store)
    with pytest.raises(DomainError):  # a resident cannot send PDFs
        M.attach_resident_photos(session, case_id=submit(session, world, actor=None, channel="web").id, uploads=[("x.pdf", pdf())], storage=store)
    with pytest.raises(DomainError):  # and a PDF is never published
        M.publish_photo(session, actor=world.actors["dispatcher"], token=rows[0].token)


def test_resident_may_add_three_photos_at_most(session, world, store):
    case = submit(session, world, actor=None, channel="web")
    M.attach_resident_photos(session, case_id=case.id, uploads=[("a.jpg", photo()), ("b.jpg", photo(color=(1, 2, 3)))], storage=store)
    with pytest.raises(DomainError):
        M.attach_resident_photos(session, case_id=case.id, uploads=[("c.jpg", photo()), ("d.jpg", photo())], storage=store)
    M.attach_resident_photos(session, case_id=case.id, uploads=[("c.jpg", photo())], storage=store)
    with pytest.raises(DomainError):
        M.attach_resident_photos(session, case_id=case.id, uploads=[("e.jpg", photo())], storage=store)
    with pytest.raises(AccessDenied):  # a desk case is not a resident's own web request
        M.attach_resident_photos(session, case_id=submit(session, world).id, uploads=[("a.jpg", photo())], storage=store)


def test_handler_attaches_before_and_after_in_scope_only(session, world, store):
    case = drive(session, world, "in_progress")
    rows = M.attach_case_files(session, actor=world.actors["dept_env"], case_id=case.id, uploads=[("b.jpg", photo())], stage="before", storage=store)
    rows += M.attach_case_files(session, actor=world.actors["dept_env"], case_id=case.id, uploads=[("a.jpg", photo(color=(9, 9, 9)))], stage="after", storage=store)
    assert [r.stage for r in rows] == ["before", "after"]
    assert_clean(store, rows)
    for outsider in ("dept_other", "member_g4", "leader_changguo"):
        with pytest.raises(AccessDenied):
            M.attach_case_files(session, actor=world.actors[outsider], case_id=case.id, uploads=[("b.jpg", photo())], stage="before", storage=store)
    with pytest.raises(DomainError):
        M.attach_case_files(session, actor=world.actors["dept_env"], case_id=case.id, uploads=[("b.jpg", photo())], stage="whatever", storage=store)
    with pytest.raises(AccessDenied):
        M.attach_case_files(session, actor=None, case_id=case.id, uploads=[("b.jpg", photo())], stage="before", storage=store)


def test_private_photo_is_hidden_from_other_grids_anonymous_and_public_until_published(session, world, store):
    case = submit(session, world, actor=None, channel="web")
    (row,) = M.attach_resident_photos(session, case_id=case.id, uploads=[("a.jpg", photo())], storage=store)
    for who in (None, world.actors["member_g4"], world.actors["leader_changguo"], world.actors["dept_other"]):
        for token in (row.token, row.sha256, row.sha256[:32], f"{row.sha256[:2]}/{row.sha256[2:4]}/{row.sha256}"):
            for variant in ("", "thumb"):
                with pytest.raises(NotFound):
                    M.open_media(session, actor=who, token=token, variant=variant, storage=store)
    assert M.public_case_media(session, case_id=case.id) == []
    assert M.open_media(session, actor=world.actors["member"], token=row.token, storage=store).data == store.get(row.sha256)
    with pytest.raises(NotFound):  # publishing needs the case in scope
        M.publish_photo(session, actor=world.actors["member_g4"], token=row.token)
    M.publish_photo(session, actor=world.actors["dispatcher"], token=row.token)
    assert [v.token for v in M.public_case_media(session, case_id=case.id)] == [row.token]
    assert M.public_photo_tokens(session, [case.id]) == {case.id: row.token}
    assert M.open_media(session, actor=None, token=row.token, variant="thumb", storage=store).public
    M.unpublish_photo(session, actor=world.actors["dispatcher"], token=row.token)
    with pytest.raises(NotFound):
        M.open_media(session, actor=None, token=row.token, storage=store)
    actions = session.exec(select(MediaEvent.action).where(MediaEvent.media_id == row.id).order_by(MediaEvent.id)).all()
    assert actions == ["attach", "publish", "unpublish"]
    assert session.get(Media, row.id) is not None  # nothing deleted


def test_visit_photos_belong_to_the_team(session, world, store):
    visits = [{"household_id": h.id, "note": "走访"} for h in world.households["g1"][:1]]
    diary = create_diary(session, actor=world.actors["member"], data={"day": today().isoformat(), "heard": "地下室进水", "visits": visits})
    visit = session.exec(select(Visit).where(Visit.diary_id == diary.id)).first()
    (row,) = M.attach_visit_photos(session, actor=world.actors["member"], visit_id=visit.id, uploads=[("v.jpg", photo())], storage=store)
    assert_clean(store, [row])
    with pytest.raises(AccessDenied):
        M.attach_visit_photos(session, actor=world.actors["member_g4"], visit_id=visit.id, uploads=[("v.jpg", photo())], storage=store)
    assert [v.token for v in M.visit_media(session, actor=world.actors["leader_zhujiajian"], visit_ids=[visit.id])[visit.id]] == [row.token]
    assert M.visit_media(session, actor=world.actors["member_g4"], visit_ids=[visit.id]) == {}
    for who in (None, world.actors["member_g4"], world.actors["leader_changguo"], world.actors["dispatcher"]):
        with pytest.raises(NotFound):
            M.open_media(session, actor=who, token=row.token, storage=store)
    with pytest.raises(NotFound):  # visit photos are never public
        M.publish_photo(session, actor=world.actors["admin"], token=row.token)


def test_meeting_item_photos_follow_the_meeting(session, world, store):
    data = {"kind": MeetingKind.HOUSEHOLD_REP, "held_on": today().isoformat(), "place": "c1社区会议室", "host": "社区书记", "attendees": "户代表12人", "agenda": "停车难"}
    meeting = MT.create_meeting(session, actor=world.actors["member"], data=data)
    item = MT.add_item(session, actor=world.actors["member"], meeting_id=meeting.id, text="停车位不足")
    (row,) = M.attach_item_photos(session, actor=world.actors["member"], item_id=item.id, uploads=[("i.png", photo("PNG"))], storage=store)
    with pytest.raises(AccessDenied):
        M.attach_item_photos(session, actor=world.actors["member_g4"], item_id=item.id, uploads=[("i.png", photo("PNG"))], storage=store)
    assert list(M.item_media(session, actor=world.actors["member"], item_ids=[item.id])) == [item.id]
    assert M.item_media(session, actor=world.actors["member_g4"], item_ids=[item.id]) == {}
    with pytest.raises(NotFound):
        M.open_media(session, actor=world.actors["member_g4"], token=row.token, storage=store)
