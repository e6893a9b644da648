"""Issue 6 item 7: no personal data of any resident in anything the public
receives. With the seeded database (plus a published board and a case of our
own), walk every public page in Chromium — the rendered HTML and every
websocket frame the page receives — and every public API response, and fail
if any resident's name (≥ 2 characters), phone number or street address from
the database appears."""

import io
import json
import re
import uuid
import zipfile

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

pytestmark = pytest.mark.browser

OUR_PHONE = "137" + str(uuid.uuid4().int)[:8]
OUR_NAME = "司马青云"
OUR_ADDRESS = "朱家尖街道隐私测试路77号"
PARTY_NAME = "诸葛明亮"


def _engine(app_db):
    from rxapp.db import make_engine

    return make_engine(app_db)


def _decode_frame(payload) -> str:
    """A socket.io frame as readable text (JSON re-dumped without \\u escapes)."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    m = re.match(r"^\d+(.*)$", payload, re.S)
    body = m.group(1) if m else payload
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return payload


def _secrets(app_db) -> dict[str, set[str]]:
    from rxapp.domain.privacy import mask_address
    from rxapp.models import Area, Case, Household, Resident, TeamMember

    names: set[str] = set()
    phones: set[str] = set()
    addresses: set[str] = set()
    eng = _engine(app_db)
    with Session(eng) as s:
        for name, phone in s.exec(select(Resident.name, Resident.phone)).all():
            names.add(name)
            phones.add(phone)
        for rep, phone, addr in s.exec(select(Household.representative, Household.phone, Household.address)).all():
            names.add(rep)
            phones.add(phone)
            addresses.add(addr)
        for name, phone, addr in s.exec(select(Case.requester_name, Case.requester_phone, Case.requester_address)).all():
            names.add(name)
            phones.add(phone)
            addresses.add(addr)
        for name in s.exec(select(TeamMember.name).where(TeamMember.party_member)).all():
            names.add(name)  # party members are masked like residents
        area_names = sorted(s.exec(select(Area.name)).all(), key=len, reverse=True)
    eng.dispose()

    def only_areas(text: str) -> bool:
        # a place named by its areas alone (the map's "朱家尖街道 白山社区 第2网格") is public, not a street
        for n in area_names:
            text = text.replace(n, "")
        return len(text.strip()) < 3

    # the street part of an address (what stays after the community) must never show
    streets = set()
    for a in addresses:
        if a and not only_areas(a):
            streets.add(a)
            rest = a[len(mask_address(a)) :]
            if len(rest) >= 3 and not only_areas(rest):
                streets.add(rest)
    return {
        "name": {n.strip() for n in names if n and len(n.strip()) >= 2},
        "phone": {re.sub(r"\D", "", p) for p in phones if p and len(re.sub(r"\D", "", p)) >= 7},
        "address": streets,
    }


def _leaks(text: str, secrets: dict[str, set[str]]) -> list[str]:
    digits_only = re.sub(r"\D", "", text)
    found = [f"name {n}" for n in secrets["name"] if n in text]
    found += [f"phone {p}" for p in secrets["phone"] if p in text or (len(p) == 11 and p in digits_only and p in re.sub(r"[\s-]", "", text))]
    found += [f"address {a}" for a in secrets["address"] if a in text]
    return found


@pytest.fixture(scope="module")
def prepared(app_db):
    """A case of our own (resolved, with our name in the result text), and a
    published board for its community and for a busy seeded community."""
    from sqlalchemy import func

    from rxapp.domain import cases as C
    from rxapp.domain import public as P
    from rxapp.domain.access import actor_for
    from rxapp.domain.clock import month_key
    from rxapp.models import Area, AreaLevel, Case, User

    eng = _engine(app_db)
    with Session(eng, expire_on_commit=False) as s:
        # away from 朱家尖街道, whose board test_public.py publishes itself
        zhujiajian = s.exec(select(Area).where(Area.name == "朱家尖街道")).one()
        grid = s.exec(select(Area).where(Area.level == AreaLevel.GRID, ~Area.path.startswith(zhujiajian.path))).first()
        code = P.public_submit(s, data={"content": f"我是{OUR_NAME}，电话{OUR_PHONE}，楼下饭店油烟很大，噪音扰民，污染严重", "phone": OUR_PHONE, "name": OUR_NAME, "address": OUR_ADDRESS, "grid_id": grid.id})
        case = s.exec(select(Case).where(Case.code == code)).one()
        admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        if case.status == "submitted":
            case = C.accept_case(s, actor=admin, case_id=case.id, expected_version=case.version, category_code="ENV")
        if case.status == "accepted":
            case = C.route_case(s, actor=admin, case_id=case.id, expected_version=case.version)
        dept = actor_for(s, s.exec(select(User).where(User.role == "dept", User.department_id == case.department_id)).first())
        case = C.sign_case(s, actor=dept, case_id=case.id, expected_version=case.version)
        C.resolve_case(s, actor=dept, case_id=case.id, expected_version=case.version, result_text=f"已上门联系{OUR_NAME}（{OUR_ADDRESS}），问题已解决")
        del dispatcher
        # a party member (public list masks them like residents) whose linked
        # household has a request open past its deadline
        from datetime import timedelta

        from sqlalchemy import update

        from rxapp.domain.clock import now
        from rxapp.models import Household, Team, TeamMember

        team = s.exec(select(Team).where(Team.grid_id == grid.id)).one()
        tm = TeamMember(team_id=team.id, name=PARTY_NAME, party_member=True)
        s.add(tm)
        s.flush()
        hh = s.exec(select(Household).where(Household.grid_id == grid.id)).first()
        hh.party_member_id = tm.id
        s.add(hh)
        late_code = P.public_submit(s, data={"content": "小区门口积水严重，下雨天出行困难", "phone": OUR_PHONE, "grid_id": grid.id})
        s.exec(
            update(Case)
            .where(Case.code == late_code)
            .values(requester_household_id=hh.id, status="in_progress", deadline=now() - timedelta(days=3))
        )
        s.commit()
        busy = s.exec(
            select(Case.community_id, func.count()).where(Case.community_id.is_not(None), Case.township_id != zhujiajian.id).group_by(Case.community_id).order_by(func.count().desc())
        ).first()[0]
        busy_month = s.exec(select(Case.submitted_at).where(Case.community_id == busy).order_by(Case.submitted_at.desc())).first()
        boards = [(case.community_id, month_key(case.submitted_at)), (busy, month_key(busy_month))]
        for comm, month in boards:
            if P.published_board(s, community_id=comm, month=month) is None:
                P.publish_board(s, actor=admin, community_id=comm, month=month)
        names = {a.id: a for a in s.exec(select(Area)).all()}
        picks = []
        for comm, month in boards:
            c = names[comm]
            t = names[c.parent_id]
            picks.append((names[t.parent_id].name, t.name, c.name, month))
    eng.dispose()
    return {"code": code, "picks": picks}


def test_no_personal_data_in_any_public_page_or_api_response(page, app_url, app_db, prepared):
    secrets = _secrets(app_db)
    secrets["name"].add(OUR_NAME)
    secrets["phone"].add(OUR_PHONE)
    secrets["address"].add("隐私测试路77号")
    # the check itself works: the sets are filled and a planted secret is found
    assert len(secrets["name"]) > 50 and len(secrets["phone"]) > 50 and len(secrets["address"]) > 50
    assert _leaks(f"x{OUR_NAME}x 电话{OUR_PHONE}", secrets)
    received: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(_decode_frame(payload))))
    seen: dict[str, str] = {}

    def capture(name: str) -> None:
        page.wait_for_timeout(800)
        seen[name] = page.content()

    page.goto(app_url + "/public")
    expect(page.get_by_text("本月与本年")).to_be_visible(timeout=30000)
    expect(page.locator("table.board-table tbody tr").first).to_be_visible(timeout=30000)
    capture("/public")
    assert "诸葛**" in seen["/public"]  # the overdue list is there, masked
    page.locator("#home-area").select_option(index=1)
    expect(page.locator("table.board-table tbody tr")).not_to_have_count(10, timeout=20000)
    capture("/public (a district and its townships)")

    for district, township, community, month in prepared["picks"]:
        page.goto(app_url + "/public/board")
        page.locator("#pick-district").select_option(label=district)
        expect(page.locator("#pick-township option")).not_to_have_count(1, timeout=20000)
        page.locator("#pick-township").select_option(label=township)
        expect(page.locator("#pick-community option")).not_to_have_count(1, timeout=20000)
        page.locator("#pick-community").select_option(label=community)
        expect(page.locator("#board-table")).to_be_visible(timeout=20000)
        page.locator("#pick-month").select_option(month)
        expect(page.locator("#board-table tbody tr").first).to_be_visible(timeout=20000)
        capture(f"/public/board {community} {month}")

    page.goto(app_url + "/public/submit")
    expect(page.locator("#submit-district option")).not_to_have_count(1, timeout=20000)
    capture("/public/submit")

    page.goto(app_url + "/public/track")
    page.fill("#track-code", prepared["code"])
    page.fill("#track-tail", OUR_PHONE[-4:])
    page.click("#track-button")
    expect(page.locator("#track-status")).to_be_visible(timeout=20000)
    capture("/public/track")
    # what the resident typed is in the input boxes only, never sent back
    seen["/public/track"] = seen["/public/track"].replace(f'value="{OUR_PHONE[-4:]}"', "")

    page.goto(f"{app_url}/public/evaluate?code={prepared['code']}")
    page.wait_for_load_state("networkidle")  # the page's socket is up before the form is sent
    page.fill("#eval-tail", OUR_PHONE[-4:])
    page.click("#eval-request")
    expect(page.locator("#eval-otp")).to_be_visible(timeout=45000)  # the whole suite runs on 2 loaded cores
    capture("/public/evaluate")

    for path in ("/api/kpis", "/api/kpis?area=2"):
        r = page.request.get(app_url + path)
        assert r.status == 200
        seen[path] = r.text()
    eng = _engine(app_db)
    from rxapp.models import BoardPublication

    with Session(eng) as s:
        pubs = s.exec(select(BoardPublication.community_id, BoardPublication.month)).all()
    eng.dispose()
    for comm, month in pubs:
        r = page.request.get(f"{app_url}/api/public/board.xlsx?community={comm}&month={month}")
        assert r.status == 200
        with zipfile.ZipFile(io.BytesIO(r.body())) as z:
            seen[f"board.xlsx {comm} {month}"] = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))

    assert received, "no websocket frames captured"
    seen["websocket frames"] = "\n".join(received)
    assert prepared["code"] in seen["/public/track"]
    problems = {where: _leaks(text, secrets) for where, text in seen.items()}
    problems = {k: v[:10] for k, v in problems.items() if v}
    assert not problems, problems
