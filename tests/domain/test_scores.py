"""一评价, staff side: staff rate a request; teams score teams monthly; leaders see it."""

import pytest
from sqlmodel import select

from rxapp.domain import public as P
from rxapp.domain import scores as SC
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.models import CaseStatus, Evaluation, EvaluationKind, Role
from tests.domain.cases_support import drive
from tests.factories import add_user

K = EvaluationKind


def test_staff_rate_request_in_scope_once(session, world):
    a = world.actors
    case = drive(session, world, CaseStatus.RESOLVED)
    ev = SC.rate_request(session, actor=a["dispatcher"], case_id=case.id, reasonable=True, cooperative="no", comment=" 配合一般 ")
    assert (ev.kind, ev.reasonable, ev.cooperative, ev.comment, ev.team_id) == (K.STAFF, True, False, "配合一般", case.team_id)
    assert SC.my_staff_rating(session, actor=a["dispatcher"], case_id=case.id).cooperative is False
    with pytest.raises(DomainError):
        SC.rate_request(session, actor=a["dispatcher"], case_id=case.id, reasonable=True, cooperative=True)
    # the case's department and an admin may rate too, each once
    SC.rate_request(session, actor=a["dept_env"], case_id=str(case.id), reasonable="yes", cooperative="yes")
    SC.rate_request(session, actor=a["admin"], case_id=case.id, reasonable=False, cooperative=True)
    assert SC.my_staff_rating(session, actor=a["dept_env"], case_id=case.id).reasonable is True
    n = session.exec(select(Evaluation).where(Evaluation.case_id == case.id, Evaluation.kind == K.STAFF)).all()
    assert len(n) == 3


def test_staff_rate_request_refusals(session, world):
    a = world.actors
    case = drive(session, world, CaseStatus.IN_PROGRESS)
    for who in ("member", "leader", "leader_zhujiajian"):
        with pytest.raises(AccessDenied):
            SC.rate_request(session, actor=a[who], case_id=case.id, reasonable=True, cooperative=True)
    with pytest.raises(AccessDenied):  # another department's case
        SC.rate_request(session, actor=a["dept_other"], case_id=case.id, reasonable=True, cooperative=True)
    with pytest.raises(AccessDenied):
        SC.rate_request(session, actor=None, case_id=case.id, reasonable=True, cooperative=True)
    with pytest.raises(AccessDenied):
        SC.rate_request(session, actor={"role": "admin"}, case_id=case.id, reasonable=True, cooperative=True)
    with pytest.raises(NotFound):
        SC.rate_request(session, actor=a["dispatcher"], case_id=99999999, reasonable=True, cooperative=True)
    for bad in ({"x": 1}, "abc", -1, True, 2**40, None):
        with pytest.raises(DomainError):
            SC.rate_request(session, actor=a["dispatcher"], case_id=bad, reasonable=True, cooperative=True)
    for bad in (None, "maybe", 1, {"v": True}):
        with pytest.raises(DomainError):
            SC.rate_request(session, actor=a["dispatcher"], case_id=case.id, reasonable=bad, cooperative=True)
        with pytest.raises(DomainError):
            SC.rate_request(session, actor=a["dispatcher"], case_id=case.id, reasonable=True, cooperative=bad)
    for bad in ("x" * 501, 5, ["a"]):
        with pytest.raises(DomainError):
            SC.rate_request(session, actor=a["dispatcher"], case_id=case.id, reasonable=True, cooperative=True, comment=bad)
    assert not session.exec(select(Evaluation).where(Evaluation.case_id == case.id, Evaluation.kind == K.STAFF)).all()


def test_team_scores_self_peer_household_rep_and_leader_view(session, world):
    a = world.actors
    g1, g2, g4 = world.teams["g1"], world.teams["g2"], world.teams["g4"]
    m2 = add_user(session, world, "member_g2", Role.MEMBER, world.areas["g2"], team_id=g2.id)
    assert m2 is not None
    m = month_key(today())
    SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g1.id, period=m, score=4, comment="自评")
    SC.record_team_score(session, actor=a["member"], kind=K.PEER, team_id=str(g2.id), period=m, score="5")
    SC.record_team_score(session, actor=world.actors["member_g2"], kind=K.PEER, team_id=g1.id, period=m, score=3)
    SC.record_team_score(session, actor=a["member"], kind=K.HOUSEHOLD_REP, team_id=g1.id, period=m, score=5, comment="户代表会议")
    # once per (kind, rater team, team, month)
    with pytest.raises(DomainError):
        SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g1.id, period=m, score=5)
    with pytest.raises(DomainError):
        SC.record_team_score(session, actor=a["member"], kind=K.PEER, team_id=g2.id, period=m, score=5)
    opts = SC.team_options(session, actor=a["member"])
    assert opts[0].id == g1.id and opts[0].own and {o.id for o in opts} == {g1.id, g2.id, world.teams["g3"].id}
    mine = SC.my_team_scores(session, actor=a["member"])
    assert {(r.kind, r.team) for r in mine} == {(K.TEAM_SELF, g1.name), (K.PEER, g2.name), (K.HOUSEHOLD_REP, g1.name)}

    rows = P.team_scores(session, actor=a["leader_zhujiajian"], area_id=world.areas["zhujiajian"].id, month=m)
    by = {(r.team, r.kind): r for r in rows}
    assert by[(g1.name, P.KIND_ZH[K.TEAM_SELF])].mean_score == 4
    assert by[(g1.name, P.KIND_ZH[K.PEER])].mean_score == 3
    assert by[(g1.name, P.KIND_ZH[K.HOUSEHOLD_REP])].mean_score == 5
    assert by[(g2.name, P.KIND_ZH[K.PEER])].mean_score == 5
    assert all(r.team != g4.name for r in rows)


def test_team_score_refusals(session, world):
    a = world.actors
    g1, g2, g4 = world.teams["g1"], world.teams["g2"], world.teams["g4"]
    m = month_key(today())
    ok = dict(kind=K.TEAM_SELF, team_id=g1.id, period=m, score=4)
    for who in ("leader", "leader_zhujiajian", "dispatcher", "dept_env", "admin"):
        with pytest.raises(AccessDenied):
            SC.record_team_score(session, actor=a[who], **ok)
    with pytest.raises(AccessDenied):
        SC.record_team_score(session, actor=None, **ok)
    with pytest.raises(AccessDenied):  # peer score of their own team
        SC.record_team_score(session, actor=a["member"], kind=K.PEER, team_id=g1.id, period=m, score=5)
    with pytest.raises(AccessDenied):  # a team of another township
        SC.record_team_score(session, actor=a["member"], kind=K.PEER, team_id=g4.id, period=m, score=5)
    with pytest.raises(AccessDenied):  # self score for another team
        SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g2.id, period=m, score=5)
    with pytest.raises(AccessDenied):
        SC.record_team_score(session, actor=a["member_g4"], kind=K.HOUSEHOLD_REP, team_id=g1.id, period=m, score=5)
    for kind in ("staff", "requester", "leader", None, {"k": 1}, ""):
        with pytest.raises(DomainError):
            SC.record_team_score(session, actor=a["member"], kind=kind, team_id=g1.id, period=m, score=4)
    for team in ("abc", None, {"id": 1}, 99999999, -3):
        with pytest.raises(DomainError):
            SC.record_team_score(session, actor=a["member"], kind=K.PEER, team_id=team, period=m, score=4)
    for period in ("2026-13", "2026/11", "", None, 202611, "2999-01"):
        with pytest.raises(DomainError):
            SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g1.id, period=period, score=4)
    for score in (0, 6, "9", "abc", None, True, 4.5, "44"):
        with pytest.raises(DomainError):
            SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g1.id, period=m, score=score)
    with pytest.raises(DomainError):
        SC.record_team_score(session, actor=a["member"], kind=K.TEAM_SELF, team_id=g1.id, period=m, score=4, comment="x" * 501)
    assert not session.exec(select(Evaluation).where(Evaluation.kind.in_(SC.TEAM_KINDS))).all()
