"""Photos over HTTP: Open311 POST with multipart ``media``, ``media_url`` only
for published photos, the scope-checked file route with its headers, the
size limit before the body is read, and the S3 backend against a real
S3-compatible server (moto's standalone server on localhost)."""

import io
import socket
import subprocess
import sys
import time

import boto3
import httpx
import pytest
from PIL import Image
from sqlmodel import Session, select

from rxapp.api.app import build_api
from rxapp.db import get_engine
from rxapp.domain.media import actions as M
from rxapp.domain.media.images import MAX_FILE_BYTES
from rxapp.domain.media.storage import S3Storage, storage_from_env
from rxapp.domain.open311 import rate_limiter
from rxapp.models import Case, Media
from tests.api.test_open311 import BASE, DEMO_KEY, _ensure_key, _post_form
from tests.domain.test_media import GPS_IFD, photo

pytestmark = pytest.mark.anyio


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDDESK_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("GRIDDESK_MEDIA_BACKEND", "fs")
    return tmp_path / "media"


@pytest.fixture
def client(state_db, media_dir):
    _ensure_key(DEMO_KEY)
    rate_limiter.reset()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


def _files(*items):
    return [("media", (name, data, "image/jpeg")) for name, data in items]


def _rows(code: str) -> list[Media]:
    with Session(get_engine()) as s:
        case_id = s.exec(select(Case.id).where(Case.code == code)).one()
        return list(s.exec(select(Media).where(Media.case_id == case_id)).all())


def _blobs(media_dir) -> list:
    return [p for p in media_dir.rglob("*") if p.is_file()] if media_dir.exists() else []


async def test_open311_post_takes_photos_and_get_shows_only_published_ones(client, state_db, media_dir):
    r = await client.post(f"{BASE}/requests.json", data=_post_form(), files=_files(("a.jpg", photo()), ("b.png", photo("PNG"))))
    assert r.status_code == 201, r.text
    code = r.json()[0]["service_request_id"]
    rows = _rows(code)
    assert len(rows) == 2 and not any(m.public for m in rows) and {m.uploaded_by_label for m in rows} == {"Open311"}
    for m in rows:  # stored without EXIF
        img = Image.open(media_dir / m.sha256[:2] / m.sha256[2:4] / m.sha256)
        assert len(img.getexif()) == 0 and not img.getexif().get_ifd(GPS_IFD)
    got = (await client.get(f"{BASE}/requests/{code}.json")).json()[0]
    assert got["media_url"] is None
    listed = {x["service_request_id"]: x for x in (await client.get(f"{BASE}/requests.json", params={"service_request_id": code})).json()}
    assert listed[code]["media_url"] is None
    with Session(get_engine(), expire_on_commit=False) as s:
        M.publish_photo(s, actor=state_db.actors["dispatcher"], token=rows[0].token)
    got = (await client.get(f"{BASE}/requests/{code}.json")).json()[0]
    assert got["media_url"] == f"http://testserver/api/media/{rows[0].token}"
    listed = (await client.get(f"{BASE}/requests.json", params={"service_request_id": code})).json()
    assert listed[0]["media_url"] == got["media_url"]
    served = await client.get(got["media_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff" and "inline" in served.headers["content-disposition"]
    xml = await client.get(f"{BASE}/requests/{code}.xml")
    assert f"/api/media/{rows[0].token}" in xml.text
    with Session(get_engine(), expire_on_commit=False) as s:
        M.unpublish_photo(s, actor=state_db.actors["dispatcher"], token=rows[0].token)
    assert (await client.get(f"{BASE}/requests/{code}.json")).json()[0]["media_url"] is None
    assert (await client.get(got["media_url"])).status_code == 404


async def test_open311_bad_photo_refuses_the_whole_post(client, media_dir):
    with Session(get_engine()) as s:
        before = (len(s.exec(select(Case.id)).all()), len(s.exec(select(Media.id)).all()))
    pdf = b"%PDF-1.4\n%%EOF\n"
    for files in (_files(("a.jpg", photo()), ("b.jpg", pdf)), _files(*[(f"{i}.jpg", photo()) for i in range(4)])):
        r = await client.post(f"{BASE}/requests.json", data=_post_form(), files=files)
        assert r.status_code == 400, r.text
        assert "media" in r.json()[0]["description"] or "request" in r.json()[0]["description"]
    with Session(get_engine()) as s:
        assert (len(s.exec(select(Case.id)).all()), len(s.exec(select(Media.id)).all())) == before
    assert _blobs(media_dir) == []


async def test_oversized_upload_is_refused_before_the_body_is_read(client):
    sent = 0

    async def body():
        nonlocal sent
        yield b'--x\r\nContent-Disposition: form-data; name="media"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        for _ in range(40):  # 40 MB in 1 MB chunks, no Content-Length
            sent += 1
            yield b"\x00" * (1024 * 1024)

    r = await client.post(f"{BASE}/requests.json", content=body(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413 and sent < 40  # cut off at the ceiling, not read to the end
    declared = await client.post(
        f"{BASE}/requests.json", content=b"x", headers={"content-type": "multipart/form-data; boundary=x", "content-length": str(4 * MAX_FILE_BYTES)}
    )
    assert declared.status_code == 413 and "10MB" in declared.json()["detail"]
    # Reflex's upload endpoint: the same ceilings, before the body is read
    for handler, size in (("state.media_state.upload_resident_photos", 3), ("state.case_media_state.upload", 5)):
        r = await client.post("/_upload", content=b"x", headers={"reflex-event-handler": handler, "content-length": str(size * MAX_FILE_BYTES + 300 * 1024)})
        assert r.status_code == 413


async def test_file_route_checks_scope_and_sets_headers(client, state_db, login_token, media_dir):
    with Session(get_engine(), expire_on_commit=False) as s:
        from tests.domain.cases_support import submit

        case = submit(s, state_db, actor=None, channel="web")
        s.commit()
        (row,) = M.attach_resident_photos(s, case_id=case.id, uploads=[("a.jpg", photo())])
    urls = [f"/api/media/{row.token}", f"/api/media/{row.token}/thumb"]
    guesses = [f"/api/media/{row.sha256}", f"/api/media/{row.sha256[:32]}", f"/media/{row.sha256[:2]}/{row.sha256[2:4]}/{row.sha256}", f"/_upload/{row.sha256}"]
    for path in urls + guesses:  # anonymous: nothing
        assert (await client.get(path)).status_code == 404, path
    client.cookies.set("gd_session", login_token("member_g4"))
    for path in urls + guesses:  # another grid's member: nothing
        assert (await client.get(path)).status_code == 404, path
    client.cookies.set("gd_session", login_token("member"))
    for path in urls:
        r = await client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"].startswith("inline") and r.headers["cache-control"] == "private, no-store"
    for path in guesses:
        assert (await client.get(path)).status_code == 404, path


def _free_port() -> int:
    for port in range(5160, 5170):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port in 5160-5169 for the moto server")


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("moto server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_s3_backend_against_a_real_s3_server(s3_endpoint, monkeypatch, state_db):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket="griddesk-media")
    monkeypatch.setenv("GRIDDESK_MEDIA_BACKEND", "s3")
    monkeypatch.setenv("GRIDDESK_S3_ENDPOINT", s3_endpoint)
    monkeypatch.setenv("GRIDDESK_S3_BUCKET", "griddesk-media")
    store = storage_from_env()
    assert isinstance(store, S3Storage)
    with Session(get_engine(), expire_on_commit=False) as s:
        from tests.domain.cases_support import submit

        case = submit(s, state_db, actor=None, channel="web")
        s.commit()
        (row,) = M.attach_resident_photos(s, case_id=case.id, uploads=[("a.jpg", photo())])
        served = M.open_media(s, actor=state_db.actors["member"], token=row.token, variant="thumb")
    raw = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").get_object(Bucket="griddesk-media", Key=store.key(row.sha256))
    assert raw["ContentType"] == "image/jpeg"
    body = raw["Body"].read()
    assert len(Image.open(io.BytesIO(body)).getexif()) == 0
    assert served.data == store.get(row.thumb_sha256) and store.exists(row.sha256)
    assert store.get("0" * 64) is None and not store.exists("0" * 64)
