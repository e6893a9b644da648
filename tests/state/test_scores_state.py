"""States of the staff side of 一评价: a staff rating on /cases/<code>, monthly
team scores on /team-scores, and the leader's view of all of it."""

import pytest
from sqlmodel import select

from rxapp.domain import cases as C
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import AccessDenied
from rxapp.models import Evaluation, EvaluationKind
from rxapp.state.case_detail import CaseDetailState
from rxapp.state.board_admin import BoardAdminState
from rxapp.state.public import last_full_month
from rxapp.state.team_scores import TeamScoreReadState, TeamScoreState
from tests.state.helpers import guard_allows, root_with_cookie
from tests.state.test_cases_state import call, db, state, token, unique  # noqa: F401  (token: fixture)


def _submit(world):
    data = {"content": unique("楼下饭店油烟很大，噪音扰民"), "grid_id": world.areas["g1"].id, "requester_name": "王小明", "requester_phone": "13800005678"}
    return db(lambda s: C.submit_case(s, actor=world.actors["dispatcher"], data=data, channel="desk"))


@pytest.mark.anyio
async def test_staff_rate_the_request_once_on_the_case_page(state_db, token):
    w = state_db
    case = _submit(w)
    _, s = await state(CaseDetailState, token("dispatcher"), f"/cases/{case.code}")
    await call(s.load)
    assert s.can_rate and s.staff_rating == {}
    await call(s.rate_request, {"reasonable": "maybe", "cooperative": "yes"})
    assert s.rate_error and s.staff_rating == {}
    await call(s.rate_request, "garbage")
    assert s.rate_error
    await call(s.rate_request, {"reasonable": "yes", "cooperative": "no", "comment": "来电语气较冲"})
    assert s.rate_error == "" and s.staff_rating["reasonable"] == "1" and s.staff_rating["cooperative"] == ""
    assert any(e["kind_key"] == "cases.evaluation.staff" for e in s.evaluations)
    await call(s.rate_request, {"reasonable": "yes", "cooperative": "yes"})
    assert s.rate_error  # once per case per rater
    rows = db(lambda x: x.exec(select(Evaluation).where(Evaluation.case_id == case.id, Evaluation.kind == EvaluationKind.STAFF)).all())
    assert len(rows) == 1 and rows[0].reasonable is True and rows[0].cooperative is False

    # a member sees the case page but may not rate (the handler refuses, not only the UI)
    _, m = await state(CaseDetailState, token("member"), f"/cases/{case.code}")
    await call(m.load)
    assert m.error == "" and not m.can_rate
    with pytest.raises(AccessDenied):
        await call(m.rate_request, {"reasonable": "yes", "cooperative": "yes"})


@pytest.mark.anyio
async def test_team_scores_recorded_by_a_member_and_seen_by_the_leader(state_db, token):
    w = state_db
    month = month_key(today())
    anon = root_with_cookie(None)
    assert not await guard_allows(anon, TeamScoreState, "record")
    assert not await guard_allows(root_with_cookie(token("leader_zhujiajian")), TeamScoreState, "record")
    assert await guard_allows(root_with_cookie(token("member")), TeamScoreState, "record")
    with pytest.raises(AccessDenied):
        await (await anon.get_state(TeamScoreState)).record({"kind": "team_self", "period": month, "score": "4"})

    _, t = await state(TeamScoreState, token("member"), "/team-scores")
    await call(t.load)
    assert t.ts_month == month and t.ts_teams[0]["own"] == "1" and t.ts_teams[0]["id"] == str(w.teams["g1"].id)
    await call(t.record, {"kind": "team_self", "team": str(w.teams["g2"].id), "period": month, "score": "4", "comment": "本月走访到位"})
    assert t.error == "" and t.ts_rows[0]["team"] == w.teams["g1"].name  # self score: always the own team
    await call(t.record, {"kind": "peer", "team": str(w.teams["g2"].id), "period": month, "score": "5"})
    await call(t.record, {"kind": "household_rep", "period": month, "score": "3", "comment": "户代表会议"})
    assert t.error == "" and len(t.ts_rows) == 3
    await call(t.record, {"kind": "peer", "team": str(w.teams["g4"].id), "period": month, "score": "5"})
    assert t.error  # another township
    await call(t.record, {"kind": "peer", "team": str(w.teams["g2"].id), "period": month, "score": "2"})
    assert t.error  # duplicate
    await call(t.record, {"kind": {"$ne": 1}, "score": ["5"]})
    assert t.error
    await call(t.record, "nope")
    assert t.error and len(t.ts_rows) == 3

    _, adm = await state(BoardAdminState, token("leader_zhujiajian"), "/board-admin")
    await call(adm.load)
    # opens on the leader's own township and the last full month
    assert (adm.b_district, adm.b_township) == (str(w.areas["zhujiajian"].parent_id), str(w.areas["zhujiajian"].id))
    assert adm.b_month == last_full_month() < month
    await call(adm.set_month, month)
    kinds = {(r["team"], r["kind"]) for r in adm.scores}
    g1 = w.teams["g1"].name
    assert {(g1, "团队自评"), (g1, "户代表评议"), (w.teams["g2"].name, "团队互评")} <= kinds

    # /team-scores: leaders read their area's scores (last full month first), members are sent on to record
    _, rd = await state(TeamScoreReadState, token("leader_zhujiajian"), "/team-scores")
    await call(rd.load)
    assert rd.tr_read and rd.tr_month == last_full_month()
    await call(rd.set_month, month)
    assert rd.error == "" and {(r["team"], r["kind"]) for r in rd.tr_rows} == kinds
    await call(rd.set_month, "2026-13")
    assert rd.error
    _, other = await state(TeamScoreReadState, token("leader_changguo"), "/team-scores")
    await call(other.load)
    await call(other.set_month, month)
    assert all(r["team"] not in (g1, w.teams["g2"].name) for r in other.tr_rows)  # another township's teams only
    _, mem = await state(TeamScoreReadState, token("member"), "/team-scores")
    assert [e.fn.__name__ if hasattr(e, "fn") else str(e) for e in await call(mem.load)] and not mem.tr_read
    with pytest.raises(AccessDenied):
        await call(mem.set_month, month)
    assert await guard_allows(root_with_cookie(token("leader")), TeamScoreReadState, "load")
    assert not await guard_allows(root_with_cookie(token("dispatcher")), TeamScoreReadState, "load")
