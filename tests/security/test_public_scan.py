"""The public-surface scan of issue 12, finding 1: seed, then look for every
stored name of a resident, requester or household representative — as a
substring, not only a whole token — in every public answer: Open311 GET
(JSON and XML, list, single, updates), /api/kpis, the published notice board
and board.xlsx, and the public pages' state (what their websocket frames
carry).  Before the complete scrub, cases quoting a visited resident
("走访中彭国平反映…") published full names."""

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import ahocorasick
import httpx
import pytest
from sqlmodel import Session, select

from rxapp.domain.errors import DomainError
from rxapp.api.app import build_api
from rxapp.db import engine_for, make_engine
from rxapp.domain import public as P
from rxapp.domain.access import actor_for
from rxapp.domain.clock import month_key, today
from rxapp.models import Area, AreaLevel, Case, Household, Resident, User
from rxapp.state.public import PublicBoardState, PublicHomeState, PublicTrackState
from tests.state.helpers import root_with_cookie

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "scan.db"
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "-m", "rxapp.seed", "--cases", "400", "--grids-per-township", "1", "--db", url, "--random-seed", "7", "--quiet"],
        cwd=ROOT, env={**os.environ, "GRIDDESK_DEMO": "1"}, check=True, stdout=subprocess.DEVNULL,
    )
    old = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = url
    engine_for.cache_clear()
    yield url
    if old is None:
        os.environ.pop("REFLEX_DB_URL", None)
    else:
        os.environ["REFLEX_DB_URL"] = old
    engine_for.cache_clear()


def _stored_names(url: str) -> ahocorasick.Automaton:
    engine = make_engine(url)
    with Session(engine) as s:
        names = set(s.exec(select(Resident.name)).all()) | set(s.exec(select(Household.representative)).all())
        names |= set(s.exec(select(Case.requester_name)).all())
    engine.dispose()
    a = ahocorasick.Automaton()
    for n in {n.strip() for n in names if n and len(n.strip()) >= 2}:
        a.add_word(n, n)
    a.make_automaton()
    return a


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml"))


@pytest.mark.anyio
async def test_no_stored_name_appears_in_any_public_answer(seeded_url):
    names = _stored_names(seeded_url)
    answers: dict[str, str] = {}
    engine = make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as s:
        cases = s.exec(select(Case)).all()
        quoting = [c for c in cases if re.search(r"走访|反映", c.content or "")]
        communities = s.exec(select(Area).where(Area.level == AreaLevel.COMMUNITY)).all()
        month = month_key(today())
        published = []
        admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
        for comm in communities:
            for m in sorted({c.submitted_at.strftime("%Y-%m") for c in cases if c.community_id == comm.id and c.submitted_at.strftime("%Y-%m") <= month})[-2:]:
                try:  # the demo seed already publishes the last full months: scan those boards as they are
                    P.publish_board(s, actor=admin, community_id=comm.id, month=m)
                except DomainError as exc:
                    assert "已发布" in exc.message, exc.message
                published.append((comm.id, m))
        s.commit()
    engine.dispose()
    assert quoting and published

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")
    base = "/api/open311/v2"
    for fmt in ("json", "xml"):
        for page in range(1, 3):
            r = await client.get(f"{base}/requests.{fmt}", params={"page_size": "1000", "page": str(page)})
            answers[f"requests.{fmt} p{page}"] = r.text
        r = await client.get(f"{base}/servicerequestupdates.{fmt}", params={"page_size": "1000"})
        answers[f"updates.{fmt}"] = r.text
    for c in cases[:60] + quoting:
        r = await client.get(f"{base}/requests/{c.code}.json")
        answers[f"single {c.code}"] = r.text
    answers["kpis"] = (await client.get("/api/kpis")).text
    for comm_id, m in published:
        r = await client.get("/api/public/board.xlsx", params={"community": str(comm_id), "month": m})
        assert r.status_code == 200
        answers[f"board.xlsx {comm_id} {m}"] = _xlsx_text(r.content)

    root = root_with_cookie(None)
    home = await root.get_state(PublicHomeState)
    await home.load()
    answers["/public"] = repr(home.dict(include_computed=True))
    for d in home.districts:
        await home.pick_area(d["id"])
        answers[f"/public {d['id']}"] = repr(home.dict(include_computed=True))
    board = await root.get_state(PublicBoardState)
    for comm_id, m in published:
        board.community_id = str(comm_id)
        board.months = [m]
        await board.pick_month(m)
        answers[f"/public/board {comm_id} {m}"] = repr(board.dict(include_computed=True))
    for c in (cases[:40] + quoting)[:120]:
        track = await root_with_cookie(None).get_state(PublicTrackState)
        await track.track({"code": c.code, "tail": c.requester_phone[-4:]})
        answers[f"/public/track {c.code}"] = repr(track.dict(include_computed=True))

    found = [(where, name) for where, text in answers.items() for _, name in names.iter(text)]
    assert found == [], f"{len(found)} names in public answers, e.g. {found[:10]}"


def test_no_stored_name_leaves_in_an_outbound_sms(seeded_url):
    """SMS to third parties: a case merged into a lead case (重复件) hears the
    lead's result, written by staff and often quoting what the lead case
    says ("走访中彭国平反映…").  Results quoting their case are sent through
    the real notice code (the lead's own notice and every merged case's);
    then every outbound SMS in the table is scanned for every stored name.
    Before: the names the same notices would carry unscrubbed."""
    from rxapp.domain import cases as C
    from rxapp.domain import sms as M
    from rxapp.models import CaseStatus, Sms

    names = _stored_names(seeded_url)
    engine = make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as s:
        first_new = (s.exec(select(Sms.id).order_by(Sms.id.desc())).first() or 0) + 1
        cases = s.exec(select(Case).order_by(Case.id)).all()
        mobile = [c for c in cases if re.fullmatch(r"1[3-9]\d{9}", c.requester_phone or "")]
        # leads with no duplicate of their own yet (the seed merges some, depending on its date):
        # each lead then sends exactly its notice and its two new duplicates'
        merged_into = {c.duplicate_of_id for c in cases if c.duplicate_of_id is not None}
        leads = [c for c in mobile if re.search(r"走访|反映", c.content or "") and c.status != CaseStatus.DUPLICATE
                 and c.id not in merged_into][:30]
        others = [c for c in mobile if c not in leads]
        assert len(leads) >= 10 and len(others) >= 2 * len(leads)
        before = 0
        for i, lead in enumerate(leads):
            result = f"经核实：{lead.content[:200]}。已处理完毕。"
            for dup in others[2 * i : 2 * i + 2]:  # two other residents' cases merged into this one
                dup.status, dup.duplicate_of_id = CaseStatus.DUPLICATE, lead.id
                s.add(dup)
                before += sum(1 for _ in names.iter(M.render("duplicate_resolved", code=dup.code, lead=lead.code, result=result)))
            s.flush()
            C._notify(s, lead, "resolved_with_evaluate_hint", result=result)
            before += sum(1 for _ in names.iter(M.render("resolved_with_evaluate_hint", code=lead.code, result=result)))
            C._notify_duplicates(s, lead, result)
        s.commit()
        new = s.exec(select(Sms).where(Sms.id >= first_new)).all()
        outbound = s.exec(select(Sms.text).where(Sms.direction == "out")).all()
    engine.dispose()
    assert len(new) == 3 * len(leads) and {m.template for m in new} == {"resolved_with_evaluate_hint", "duplicate_resolved"}
    after_new = sum(1 for m in new for _ in names.iter(m.text))
    found = [(text[:60], name) for text in outbound for _, name in names.iter(text)]
    print(f"outbound SMS scan: {len(new)} notices quoting {len(leads)} cases, names before scrub {before} -> after {after_new}; "
          f"whole outbound table {len(outbound)} messages, {len(found)} names")
    assert before > 0, "the quoted cases name residents: the scan would prove nothing"
    assert found == [], f"{len(found)} names in outbound SMS, e.g. {found[:5]}"
