"""Public HTTP routes: KPI aggregates and the published board as Excel."""

import io
import zipfile

import httpx
import pytest
from sqlmodel import Session

from fastapi import FastAPI

from rxapp.api import public as public_api
from rxapp.domain import public as P
from rxapp.domain.clock import month_key, today
from rxapp.models import CaseStatus
from tests.domain.cases_support import PHONE, drive


@pytest.fixture
def client(state_db):
    app = FastAPI()
    app.include_router(public_api.router)  # the routes alone: no dependency on the rest of the API
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="module")
def published(state_db):
    from rxapp.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as s:
        case = drive(s, state_db, CaseStatus.CLOSED, grid="g3")
        month = month_key(case.submitted_at)
        comm = state_db.areas["c2"].id
        if P.published_board(s, community_id=comm, month=month) is None:
            P.publish_board(s, actor=state_db.actors["leader_zhujiajian"], community_id=comm, month=month)
        return case.code, comm, month


@pytest.mark.anyio
async def test_kpis_are_public_aggregates(client, published):
    r = await client.get("/api/kpis", params={"from": f"{today().year}-01-01", "to": today().isoformat()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["accepted"], int) and "completion_rate" in body and "on_time_rate" in body
    # the headline over the cases due, beside done ÷ accepted, each with the dashboard's definition
    assert isinstance(body["due"], int) and isinstance(body["due_done"], int) and "due_completion_rate" in body
    assert "到期" in body["definitions"]["due_completion_rate"]["zh"] and "due" in body["definitions"]["due_completion_rate"]["en"]
    assert body["definitions"]["completion_rate"]["en"].startswith("Of the cases accepted")
    assert PHONE not in r.text and "王小明" not in r.text


@pytest.mark.anyio
async def test_kpis_refuse_bad_arguments(client):
    assert (await client.get("/api/kpis", params={"from": "yesterday"})).status_code == 422
    assert (await client.get("/api/kpis", params={"area": "abc"})).status_code == 422


@pytest.mark.anyio
async def test_published_board_downloads_as_excel_without_personal_data(client, published):
    code, comm, month = published
    r = await client.get("/api/public/board.xlsx", params={"community": comm, "month": month})
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        cells = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert code in cells
    assert PHONE not in cells and "王小明" not in cells


@pytest.mark.anyio
async def test_unpublished_board_is_not_downloadable(client, state_db):
    r = await client.get("/api/public/board.xlsx", params={"community": state_db.areas["c3"].id, "month": "2020-01"})
    assert r.status_code == 404
