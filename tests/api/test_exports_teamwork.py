"""The team-work Excel exports: logged in only, each within the caller's
scope (a leader's rows masked as on the page), untrusted query strings refused
with 4xx, real typed .xlsx files."""

import io
import zipfile

import httpx
import pytest

from rxapp.api.app import build_api


@pytest.fixture
def client(state_db):
    transport = httpx.ASGITransport(app=build_api())
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _sheet(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        names = z.namelist()
        text = z.read("xl/worksheets/sheet1.xml").decode()
        if "xl/sharedStrings.xml" in names:
            text += z.read("xl/sharedStrings.xml").decode()
    return text


@pytest.mark.anyio
async def test_anonymous_gets_401(client):
    for path in ("/api/export/teamwork/skills.xlsx?skill=电工", "/api/export/teamwork/activity.xlsx", "/api/export/teamwork/diaries.xlsx"):
        r = await client.get(path)
        assert r.status_code == 401, path


@pytest.mark.anyio
async def test_leader_exports_a_skill_within_scope_masked(client, login_token, state_db):
    client.cookies.set("gd_session", login_token("leader_zhujiajian"))
    r = await client.get("/api/export/teamwork/skills.xlsx", params={"skill": "电工"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    text = _sheet(r.content)
    assert "技能查询" in text and "服务团队" in text
    for grid in ("g1", "g2", "g3"):
        assert f"{grid}户主1" not in text  # names masked for leaders
        assert f"c{1 if grid != 'g3' else 2}社区" in text
    assert "g4" not in text  # 昌国街道 is outside the scope
    r = await client.get("/api/export/teamwork/skills.xlsx", params={"skill": "电工", "area": str(state_db.areas["changguo"].id)})
    assert r.status_code == 403


@pytest.mark.anyio
async def test_member_exports_own_grid_unmasked(client, login_token):
    client.cookies.set("gd_session", login_token("member"))
    r = await client.get("/api/export/teamwork/skills.xlsx", params={"skill": "电工"})
    assert r.status_code == 200
    text = _sheet(r.content)
    assert "g1户主1" in text and "g2户主1" not in text


@pytest.mark.anyio
@pytest.mark.parametrize("params", [{"skill": ""}, {"skill": "电工", "area": "abc"}, {"skill": "x" * 41}, {"skill": "电工", "area": "99999999"}])
async def test_bad_queries_answer_4xx(client, login_token, params):
    client.cookies.set("gd_session", login_token("leader"))
    r = await client.get("/api/export/teamwork/skills.xlsx", params=params)
    assert 400 <= r.status_code < 500


@pytest.mark.anyio
async def test_dispatchers_have_no_team_work_exports(client, login_token):
    client.cookies.set("gd_session", login_token("dispatcher"))
    r = await client.get("/api/export/teamwork/skills.xlsx", params={"skill": "电工"})
    assert r.status_code == 403
    r = await client.get("/api/export/teamwork/activity.xlsx")
    assert r.status_code == 403


@pytest.mark.anyio
async def test_activity_and_diary_exports(client, login_token):
    client.cookies.set("gd_session", login_token("leader_zhujiajian"))
    r = await client.get("/api/export/teamwork/activity.xlsx")
    assert r.status_code == 200
    text = _sheet(r.content)
    assert "走访次数" in text and "c1社区第1网格服务团队" in text and "c3社区" not in text
    r = await client.get("/api/export/teamwork/diaries.xlsx", params={"month": "2026-13"})
    assert r.status_code == 422 and r.json()["detail"] == "月份无效"
    r = await client.get("/api/export/teamwork/diaries.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
