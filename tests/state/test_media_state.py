"""Photo widgets' states as any client could drive them: every upload
handler checks who is asking and what they loaded; the guard lets the
public reach only the resident's upload."""

import io
from pathlib import Path

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import Session, func, select

from rxapp.db import get_engine
from rxapp.models import Media
from rxapp.state.media import CaseMediaState, ItemMediaState, PublicMediaState, VisitMediaState
from rxapp.state.public import PublicSubmitState
from tests.domain.cases_support import submit
from tests.domain.test_media import BAD, photo
from tests.state.helpers import guard_allows, root_with_cookie

pytestmark = pytest.mark.anyio


def upload(name: str, data: bytes) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))


def media_count() -> int:
    with Session(get_engine()) as s:
        return s.exec(select(func.count()).select_from(Media)).one()


def at_path(root, path: str, token: str | None) -> None:
    cookie = f"gd_session={token}" if token else ""
    root.router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": path, "asPath": path})


async def test_resident_adds_photos_only_to_the_request_this_tab_made(state_db):
    root = root_with_cookie(None)
    media = await root.get_state(PublicMediaState)
    before = media_count()
    await media.upload_resident_photos([upload("a.jpg", photo())])
    assert media.error and media_count() == before  # nothing submitted yet
    sub = await root.get_state(PublicSubmitState)
    sub.grid_id = str(state_db.areas["g1"].id)
    await sub.submit({"content": "路灯坏了好几天，晚上很黑", "phone": "13712340000", "name": "", "address": ""})
    assert sub.code
    await media.upload_resident_photos([upload("a.jpg", photo()), upload("b.jpg", BAD["truncated jpeg"][1])])
    assert "损坏" in media.error and media_count() == before
    await media.upload_resident_photos([upload("a.jpg", photo()), upload("b.png", photo("PNG"))])
    assert media.error == "" and media.added == 2 and media_count() == before + 2
    await media.upload_resident_photos([upload("c.jpg", photo()), upload("d.jpg", photo())])
    assert media.error and media_count() == before + 2  # three at most
    await media.upload_resident_photos("not files")
    assert media.error


async def test_case_upload_needs_the_case_in_scope(state_db, login_token):
    with Session(get_engine(), expire_on_commit=False) as s:
        case = submit(s, state_db)
        s.commit()
    before = media_count()
    root = rx.State()
    at_path(root, f"/cases/{case.code}", login_token("member_g4"))
    other = await root.get_state(CaseMediaState)
    await other.load()
    assert other.items == [] and other.loaded_code == ""
    await other.upload([upload("a.jpg", photo())])
    assert other.error and media_count() == before

    root = rx.State()
    at_path(root, f"/cases/{case.code}", login_token("member"))
    mine = await root.get_state(CaseMediaState)
    await mine.load()
    assert mine.loaded_code == case.code and mine.stage == "intake"
    mine.set_stage("after")
    await mine.upload([upload("a.jpg", photo())])
    assert mine.error == "" and len(mine.items) == 1 and mine.items[0]["stage"] == "after"
    await mine.publish(mine.items[0]["token"])
    assert mine.items[0]["public"] == "1" and mine.after_items == mine.items
    await mine.publish({"token": "x"})
    assert mine.error  # garbage argument: a message, no crash


async def test_guard_lets_the_public_reach_only_the_resident_upload(state_db, login_token):
    anonymous = root_with_cookie(None)
    assert await guard_allows(anonymous, PublicMediaState, "upload_resident_photos")
    assert await guard_allows(anonymous, PublicMediaState, "load_track")
    for cls in (CaseMediaState, VisitMediaState, ItemMediaState):
        assert not await guard_allows(anonymous, cls, "upload")
    dept = root_with_cookie(login_token("dept_env"))
    assert await guard_allows(dept, CaseMediaState, "upload")
    assert not await guard_allows(dept, VisitMediaState, "upload")


async def test_visit_upload_needs_an_opened_visit_of_ones_team(state_db, login_token):
    root = rx.State()
    at_path(root, "/diary/999999", login_token("member"))
    state = await root.get_state(VisitMediaState)
    await state.load()
    await state.open_upload("123")  # not a visit of this page
    assert not state.dialog_open
    await state.upload([upload("a.jpg", photo())])
    assert state.error
