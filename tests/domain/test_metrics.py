"""The dashboard KPIs, their rollups and their scope.

Cases are inserted as rows and moved through their lifecycle by hand (each
change applied to the rollups with ``snapshot`` + ``apply_case_change``, as
the lifecycle module does), so every figure below is computed by hand from a
small, awkward world: an approved extension, a return and re-route, a reopen
after 不满意, a rejection, a duplicate, a late resolution, a case crossing a
month boundary."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

from rxapp.domain.access import area_lineage
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.metrics import DashboardQuery, dashboard, drilldown_filter, kpis_public, parse_query, period_windows
from rxapp.domain.queries import parse_filter, search_cases
from rxapp.domain.rollup import TABLES, WorkClock, apply_case_change, bin_of, dump_rollups, rebuild_rollups, snapshot
from rxapp.domain.workdays import workdays_between
from rxapp.models import Case, CaseStatus

S = CaseStatus
NOW = datetime(2026, 4, 15, 10, 0)  # a Wednesday; "last month" = March 2026, compared with February
_codes = itertools.count(1)


# ----------------------------------------------------------------------------
# Building cases by hand
# ----------------------------------------------------------------------------
def new_case(session: Session, world, *, grid: str | None = "g1", category: str = "ENV", at: datetime, **fields) -> Case:
    """A submitted case (its rollups applied), in ``grid``'s lineage."""
    lineage = area_lineage(session, world.areas[grid]) if grid else {}
    case = Case(
        code=f"ZT{next(_codes):012d}",
        channel="desk",
        content="测试诉求",
        status=S.SUBMITTED,
        category_id=world.ref.category_ids[category],
        district_id=lineage.get("district"),
        township_id=lineage.get("township"),
        community_id=lineage.get("community"),
        grid_id=lineage.get("grid"),
        team_id=world.teams[grid].id if grid else None,
        submitted_at=at,
        updated_at=at,
    )
    for key, value in fields.items():
        setattr(case, key, value)
    session.add(case)
    session.flush()
    apply_case_change(session, None, case)
    return case


def change(session: Session, case: Case, **fields) -> Case:
    before = snapshot(case)
    for key, value in fields.items():
        setattr(case, key, value)
    session.add(case)
    session.flush()
    apply_case_change(session, before, case)
    return case


def dept(world, category: str = "ENV") -> int:
    return world.ref.department_ids[category]


def accept(session, world, case, at: datetime, deadline: datetime, *, route: bool = True, category: str | None = None):
    change(session, case, status=S.ACCEPTED, accepted_at=at, deadline=deadline)
    if route:
        code = category or next(c for c, i in world.ref.category_ids.items() if i == case.category_id)
        change(session, case, status=S.ROUTED, department_id=dept(world, code), routed_at=at)
        change(session, case, status=S.IN_PROGRESS, signed_at=at)
    return case


def resolve(session, case, at: datetime):
    return change(session, case, status=S.RESOLVED, resolved_at=at)


def evaluate(session, case, at: datetime, satisfaction: str, score: int, *, reopen_deadline: datetime | None = None):
    fields = dict(satisfaction=satisfaction, score=score, evaluated_at=at, followed_up_at=at)
    if satisfaction == "unsatisfied" and reopen_deadline is not None:
        fields.update(status=S.IN_PROGRESS, reopen_count=1, flagged=True, resolved_at=None, deadline=reopen_deadline)
    else:
        fields.update(status=S.CLOSED, closed_at=at)
    return change(session, case, **fields)


def d(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute)


def end_of(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 23, 59, 59)


# ----------------------------------------------------------------------------
# The hand-computed world (March 2026 cohort, February for comparison)
# ----------------------------------------------------------------------------
@pytest.fixture
def march(session, world):
    c = {}
    # A: on time, 满意 5, followed up.  Mon 09:00 -> Wed 15:00 = 0.625 + 1 + 0.625 = 2.25 working days
    c["A"] = accept(session, world, new_case(session, world, at=d(3, 2, 8)), d(3, 2), end_of(3, 9))
    resolve(session, c["A"], d(3, 4, 15))
    evaluate(session, c["A"], d(3, 5, 10), "satisfied", 5)
    # B: extension approved (deadline Mar 6 -> Mar 13), resolved Mar 11: on time against the extended deadline.
    #    Mon 09:00 -> next Wed 09:00 = 0.625 + 6 + 0.375 = 7.0
    c["B"] = accept(session, world, new_case(session, world, at=d(3, 2, 8)), d(3, 2), end_of(3, 6))
    change(session, c["B"], extension_requested_days=5, extended=True, deadline=end_of(3, 13))
    resolve(session, c["B"], d(3, 11))
    # C: routed to the wrong department, returned, re-routed; 基本满意 3.  Tue 09:00 -> Thu 09:00 = 2.0
    c["C"] = new_case(session, world, grid="g2", at=d(3, 3, 8))
    change(session, c["C"], status=S.ACCEPTED, accepted_at=d(3, 3), deadline=end_of(3, 10))
    change(session, c["C"], status=S.ROUTED, department_id=dept(world, "SAFETY"))
    change(session, c["C"], status=S.ACCEPTED, department_id=None, return_count=1)
    change(session, c["C"], status=S.ROUTED, department_id=dept(world, "ENV"))
    change(session, c["C"], status=S.IN_PROGRESS)
    resolve(session, c["C"], d(3, 5))
    evaluate(session, c["C"], d(3, 6), "basic", 3)
    # D: 不满意 reopens it (fresh deadline Mar 12), resolved again Mar 10 and not yet followed up again.
    #    Wed 09:00 -> Tue 09:00 = 0.625 + 2 + 1 + 0.375 = 4.0 (to the resolution that stands)
    c["D"] = accept(session, world, new_case(session, world, at=d(3, 4, 8)), d(3, 4), end_of(3, 11))
    resolve(session, c["D"], d(3, 5))
    evaluate(session, c["D"], d(3, 5, 14), "unsatisfied", 2, reopen_deadline=end_of(3, 12))
    resolve(session, c["D"], d(3, 10))
    # E: rejected (never accepted); F: accepted, then marked duplicate: neither is accepted work
    c["E"] = new_case(session, world, at=d(3, 5, 8))
    change(session, c["E"], status=S.REJECTED, reject_reason="不属于政府职能")
    c["F"] = accept(session, world, new_case(session, world, at=d(3, 5, 8)), d(3, 5), end_of(3, 12))
    change(session, c["F"], status=S.DUPLICATE, duplicate_of_id=c["A"].id)
    # G: resolved after its deadline (Mar 11), 满意 4.  Mon 09:00 -> next Mon 09:00 = 0.625 + 4 + 0.375 = 5.0
    c["G"] = accept(session, world, new_case(session, world, category="LEGAL", at=d(3, 9, 8)), d(3, 9), end_of(3, 11))
    resolve(session, c["G"], d(3, 16))
    evaluate(session, c["G"], d(3, 17), "satisfied", 4)
    # H: still in progress, past its deadline (Mar 27)
    c["H"] = accept(session, world, new_case(session, world, at=d(3, 20, 8)), d(3, 20), end_of(3, 27))
    # I: in 昌国街道 (another district), routed to public security, overdue since Mar 14
    c["I"] = new_case(session, world, grid="g4", category="SAFETY", at=d(3, 10, 8))
    change(session, c["I"], status=S.ACCEPTED, accepted_at=d(3, 10), deadline=end_of(3, 13))
    change(session, c["I"], status=S.ROUTED, department_id=dept(world, "SAFETY"))
    # J: accepted Jan 31, resolved Feb 2 (the January cohort, February's throughput)
    c["J"] = accept(session, world, new_case(session, world, at=d(1, 31, 9)), d(1, 31, 10), end_of(2, 6))
    resolve(session, c["J"], d(2, 2, 10))
    # February: K done on time (满意 5), L still open (overdue since Feb 11)
    c["K"] = accept(session, world, new_case(session, world, at=d(2, 3, 8)), d(2, 3), end_of(2, 10))
    resolve(session, c["K"], d(2, 5))
    evaluate(session, c["K"], d(2, 6), "satisfied", 5)
    c["L"] = accept(session, world, new_case(session, world, at=d(2, 4, 8)), d(2, 4), end_of(2, 10))
    # M: accepted today
    c["M"] = accept(session, world, new_case(session, world, at=d(4, 15, 7)), d(4, 15, 8), end_of(4, 22), route=False)
    return c


def test_handling_times_of_the_world_are_the_hand_counted_working_days():
    clock = WorkClock()
    assert clock.secs(d(3, 2), d(3, 4, 15)) == 2.25 * 86400
    assert clock.secs(d(3, 2), d(3, 11)) == 7 * 86400
    assert clock.secs(d(3, 4), d(3, 10)) == 4 * 86400
    assert clock.secs(d(3, 9), d(3, 16)) == 5 * 86400
    # Jan 31 and Feb 1 2026 are a weekend: only Monday morning counts
    assert clock.secs(d(1, 31, 10), d(2, 2, 10)) == 10 * 3600


def test_work_clock_matches_workdays_between():
    rng = random.Random(3)
    clock = WorkClock()
    for _ in range(3000):
        a = datetime(2025, 1, 1) + timedelta(seconds=rng.randrange(2 * 365 * 86400), microseconds=rng.randrange(10**6))
        b = a + timedelta(seconds=rng.randrange(40 * 86400), microseconds=rng.randrange(10**6))
        assert clock.secs(a, b) == round(workdays_between(a, b) * 86400)


def test_every_kpi_of_the_month_against_hand_computed_values(session, world, march):
    dash = dashboard(session, actor=world.actors["leader"], query={"period": "last_month", "min_volume": 1}, now=NOW)
    k = dash.kpis
    assert (dash.date_from, dash.date_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (dash.previous_from, dash.previous_to) == (date(2026, 2, 1), date(2026, 2, 28))
    # accepted: A B C D G H I (E rejected, F duplicate excluded); done: A B C D G
    assert (k.accepted.value, k.done.value) == (7, 5)
    assert (k.completion_rate.numerator, k.completion_rate.denominator) == (5, 7)
    assert k.completion_rate.value == pytest.approx(5 / 7)
    # on time: A, B (extended deadline), C, D (renewed deadline); G late
    assert (k.on_time_rate.numerator, k.on_time_rate.denominator) == (4, 5)
    # 满意 A G, 基本满意 C, 不满意 D (its latest verdict)
    assert (k.satisfaction_rate.numerator, k.satisfaction_rate.denominator) == (3, 4)
    assert k.mean_score.value == pytest.approx((5 + 3 + 2 + 4) / 4)
    # followed up after the standing resolution: A C G (D's contact predates its second resolution; B none)
    assert (k.follow_up_rate.numerator, k.follow_up_rate.denominator) == (3, 5)
    # handling 2.25, 7, 2, 4, 5 working days: nearest rank 3 of 5 = 4.0, rank 5 of 5 = 7.0, exactly
    assert k.handling_median_days.value == pytest.approx(4.0)
    assert k.handling_p90_days.value == pytest.approx(7.0)
    assert k.handling_mean_days.value == pytest.approx((2.25 + 7 + 2 + 4 + 5) / 5)
    # the headline 办结率 counts the cases due: deadlines in March A B C D G H I (F is a duplicate),
    # plus L, due Feb 10 and still open; done A B C D G.  February: J K L due, J K done.
    assert (k.due_completion_rate.numerator, k.due_completion_rate.denominator) == (5, 8)
    assert k.due_completion_rate.value == pytest.approx(5 / 8) and k.due_completion_rate.previous == pytest.approx(2 / 3)
    # overdue now: H, I, L; at the end of Mar 18 (one period earlier): I, L (G was late Mar 12-15 only)
    assert (k.overdue_now.value, k.overdue_now.previous, k.overdue_now.change) == (3, 2, 1)
    # intake: today M; this month (Apr 1-15) M vs Mar 1-15: A B C D G I
    assert (k.intake_today.value, k.intake_today.previous) == (1, 0)
    assert (k.intake_month.value, k.intake_month.previous) == (1, 6)
    # received counts every submission: Mar 1-15 adds the rejected E and the duplicate F
    assert (k.received_month.value, k.received_month.previous) == (1, 8)
    assert [(s.level, s.count) for s in dash.satisfaction] == [("satisfied", 2), ("basic", 1), ("unsatisfied", 1)]
    env, safety = dept(world, "ENV"), dept(world, "SAFETY")
    assert {(r.department_id, r.overdue) for r in dash.overdue_by_department} == {(env, 2), (safety, 1)}


def test_due_completion_counts_only_cases_due_and_agrees_below_the_rollups(session, world, march):
    """Mid-April, "this month" has no deadline yet except the open ones carried
    over (H, I, L): 0 of 3, not a collapse of the cases accepted in April (M is
    not yet due and does not count).  A grid reads the cases, a city the rollups."""
    k = dashboard(session, actor=world.actors["leader"], query={"period": "this_month"}, now=NOW).kpis
    assert (k.due_completion_rate.numerator, k.due_completion_rate.denominator) == (0, 3)
    grid = dashboard(session, actor=world.actors["leader"], query={"period": "last_month", "area_id": world.areas["g1"].id}, now=NOW).kpis
    # g1's March deadlines: A B D G H; carried: L.  Done: A B D G
    assert (grid.due_completion_rate.numerator, grid.due_completion_rate.denominator) == (4, 6)
    public = kpis_public(session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), now=NOW)
    assert (public.due_done, public.due, public.due_completion_rate) == (5, 8, pytest.approx(5 / 8))


def test_the_trend_keeps_the_running_month_marked_partial(session, world, march):
    trend = dashboard(session, actor=world.actors["leader"], query={"period": "this_month"}, now=NOW).trend
    assert trend[-1].month == "2026-04" and trend[-1].partial and not any(p.partial for p in trend[:-1])


def test_the_trend_rate_leaves_out_the_cases_not_yet_due(session, world, march):
    """A month just ended must not dip for cases still inside their deadline:
    N (accepted 31 March, due 20 April, open on 15 April) leaves March's rate;
    H and I (open, past their deadlines) stay in it as not done."""
    accept(session, world, new_case(session, world, at=d(3, 31, 8)), d(3, 31), end_of(4, 20))
    for area in (None, world.areas["g1"].id):
        query = {"period": "last_month"} | ({"area_id": area} if area else {})
        trend = {p.month: p for p in dashboard(session, actor=world.actors["leader"], query=query, now=NOW).trend}
        march_point = trend["2026-03"]
        if area is None:
            assert (march_point.accepted, march_point.done, march_point.not_due) == (8, 5, 1)
            assert march_point.completion_rate == pytest.approx(5 / 7)
        else:
            assert march_point.not_due == 1 and march_point.completion_rate == pytest.approx(march_point.done / (march_point.accepted - 1))
        assert trend["2026-02"].not_due == 0 and trend["2026-02"].completion_rate == pytest.approx(1 / 2)  # L: open, overdue
    current = dashboard(session, actor=world.actors["leader"], query={"period": "this_month"}, now=NOW).trend[-1]
    assert current.partial and current.not_due == 1  # M, due 22 April


def test_previous_period_values_and_changes(session, world, march):
    k = dashboard(session, actor=world.actors["leader"], query={"period": "last_month"}, now=NOW).kpis
    # February: K done on time, L open
    assert (k.accepted.previous, k.done.previous) == (2, 1)
    assert k.completion_rate.previous == pytest.approx(0.5)
    assert k.completion_rate.change == pytest.approx(5 / 7 - 0.5)
    assert k.on_time_rate.previous == 1.0 and k.on_time_rate.change == pytest.approx(0.8 - 1.0)
    assert k.satisfaction_rate.previous == 1.0 and k.mean_score.previous == 5.0
    assert k.follow_up_rate.previous == 1.0
    # K: Tue 09:00 -> Thu 09:00 = 2.0 working days, exactly
    assert k.handling_median_days.previous == pytest.approx(2.0)
    assert k.handling_median_days.change == pytest.approx(4.125 - 2.125)


def test_a_case_counts_in_the_month_it_was_accepted(session, world, march):
    jan = dashboard(session, actor=world.actors["leader"], query={"period": "custom", "date_from": "2026-01-01", "date_to": "2026-01-31"}, now=NOW)
    feb = dashboard(session, actor=world.actors["leader"], query={"period": "custom", "date_from": "2026-02-01", "date_to": "2026-02-28"}, now=NOW)
    assert (jan.kpis.accepted.value, jan.kpis.done.value) == (1, 1)  # J
    assert jan.kpis.handling_median_days.value == pytest.approx(10 / 24)  # 10 working hours, exactly
    assert (feb.kpis.accepted.value, feb.kpis.done.value) == (2, 1)  # K, L: not J
    trend = {p.month: p for p in dashboard(session, actor=world.actors["leader"], query={"period": "last_month"}, now=NOW).trend}
    assert len(trend) == 12 and list(trend)[-1] == "2026-03"
    assert (trend["2026-01"].accepted, trend["2026-01"].done, trend["2026-01"].done_in) == (1, 1, 0)
    assert (trend["2026-02"].accepted, trend["2026-02"].done_in) == (2, 2)  # J and K resolved in February
    assert (trend["2026-03"].received, trend["2026-03"].accepted, trend["2026-03"].done, trend["2026-03"].done_in) == (9, 7, 5, 5)


def test_categories_and_rankings(session, world, march):
    dash = dashboard(session, actor=world.actors["leader"], query={"period": "last_month", "min_volume": 1}, now=NOW)
    cats = {c.code: c for c in dash.categories}
    assert len(cats) == 14
    assert (cats["ENV"].accepted, cats["ENV"].done) == (5, 4)  # A B C D H
    assert (cats["LEGAL"].accepted, cats["LEGAL"].on_time_rate) == (1, 0.0)  # G, late
    assert (cats["SAFETY"].accepted, cats["SAFETY"].completion_rate) == (1, 0.0)  # I
    assert cats["EDU"].accepted == 0 and cats["EDU"].completion_rate is None
    # districts, worst first: 定海区 (I only, not done) before 普陀区
    assert dash.ranking_level == "district"
    ranked = [r for r in dash.area_ranking if r.rank is not None]
    assert [(r.id, r.rank, r.accepted, r.done) for r in ranked] == [
        (world.areas["dinghai"].id, 1, 1, 0),
        (world.areas["putuo"].id, 2, 6, 5),
    ]
    # teams worst first: g4 (I, not done), g1 (A B D G H: 4 of 5 done, G late), g2 (C); g3 has no case
    assert [(r.id, r.accepted, r.done) for r in dash.team_ranking] == [
        (world.teams["g4"].id, 1, 0),
        (world.teams["g1"].id, 5, 4),
        (world.teams["g2"].id, 1, 1),
    ]
    assert dash.team_ranking[1].on_time_rate == pytest.approx(3 / 4)
    assert (dash.teams_ranked, dash.teams_below_volume) == (3, 0)
    # a minimum volume keeps small areas out of the ranking (listed after it, unranked)
    big = dashboard(session, actor=world.actors["leader"], query={"period": "last_month", "min_volume": 2}, now=NOW)
    assert [r.rank for r in big.area_ranking] == [1, None, None, None]  # every district is listed
    assert [r.id for r in big.area_ranking[:2]] == [world.areas["putuo"].id, world.areas["dinghai"].id]
    assert [r.id for r in big.team_ranking] == [world.teams["g1"].id]


def test_township_leader_gets_only_their_township(session, world, march):
    mine = dashboard(session, actor=world.actors["leader_changguo"], query={"period": "last_month"}, now=NOW)
    assert mine.area_id == world.areas["changguo"].id
    assert (mine.kpis.accepted.value, mine.kpis.overdue_now.value) == (1, 1)  # I only
    zhu = dashboard(session, actor=world.actors["leader_zhujiajian"], query={"period": "last_month"}, now=NOW)
    assert (zhu.kpis.accepted.value, zhu.kpis.overdue_now.value) == (6, 2)  # not I
    assert zhu.ranking_level == "community"
    assert {r.id for r in zhu.area_ranking} == {world.areas["c1"].id, world.areas["c2"].id}
    for other in ("zhujiajian", "city", "dinghai", "putuo", "g1"):
        with pytest.raises(AccessDenied):
            dashboard(session, actor=world.actors["leader_changguo"], query={"period": "last_month", "area_id": world.areas[other].id}, now=NOW)
    for who in ("member", "dept_env"):
        with pytest.raises(AccessDenied):
            dashboard(session, actor=world.actors[who], query={}, now=NOW)
    with pytest.raises(AccessDenied):
        dashboard(session, actor=None, query={}, now=NOW)


def test_lower_scopes_read_their_cases_directly_with_the_same_definitions(session, world, march):
    q = {"period": "last_month", "min_volume": 1}
    zhu = dashboard(session, actor=world.actors["leader_zhujiajian"], query=q, now=NOW)
    c1 = dashboard(session, actor=world.actors["leader_zhujiajian"], query={**q, "area_id": world.areas["c1"].id}, now=NOW)
    g2 = dashboard(session, actor=world.actors["dispatcher_zhujiajian"], query={**q, "area_id": world.areas["g2"].id}, now=NOW)
    # C is the only case in g2 (community c1); everything else of 朱家尖 is in g1 (also c1)
    assert c1.kpis == zhu.kpis
    assert (g2.kpis.accepted.value, g2.kpis.done.value, g2.kpis.satisfaction_rate.value) == (1, 1, 1.0)
    assert c1.ranking_level == "grid" and {r.id for r in c1.area_ranking} == {world.areas["g1"].id, world.areas["g2"].id}
    assert g2.ranking_level is None and g2.area_ranking == []


def test_category_and_department_filters(session, world, march):
    q = {"period": "last_month", "min_volume": 1}
    env = dashboard(session, actor=world.actors["leader"], query={**q, "category_code": "env"}, now=NOW)
    assert (env.kpis.accepted.value, env.kpis.done.value, env.kpis.on_time_rate.numerator) == (5, 4, 4)
    assert env.kpis.overdue_now.value == 2  # H and L
    assert [c.code for c in env.categories] == ["ENV"]
    safety = dashboard(session, actor=world.actors["leader"], query={**q, "department_id": dept(world, "SAFETY")}, now=NOW)
    assert (safety.kpis.accepted.value, safety.kpis.overdue_now.value) == (1, 1)  # I (C was re-routed away)
    with pytest.raises(DomainError) as err:
        dashboard(session, actor=world.actors["leader"], query={**q, "category_code": "NOPE"}, now=NOW)
    assert err.value.field == "category_code"


def test_public_kpis_are_the_dashboard_figures(session, world, march):
    pub = kpis_public(session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), now=NOW)
    k = dashboard(session, actor=world.actors["leader"], query={"period": "last_month"}, now=NOW).kpis
    assert (pub.accepted, pub.done, pub.overdue_now) == (7, 5, 3)
    assert (pub.completion_rate, pub.on_time_rate, pub.satisfaction_rate) == (k.completion_rate.value, k.on_time_rate.value, k.satisfaction_rate.value)
    assert pub.handling_median_days == k.handling_median_days.value
    town = kpis_public(session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), area_id=world.areas["changguo"].id, now=NOW)
    assert (town.accepted, town.overdue_now) == (1, 1)
    with pytest.raises(DomainError):
        kpis_public(session, date_from=date(2026, 3, 2), date_to=date(2026, 3, 1))
    with pytest.raises(DomainError):
        kpis_public(session, date_from=date(2010, 1, 1), date_to=date(2026, 3, 1))


def test_drilldown_filters_open_the_case_list(session, world, march):
    actor = world.actors["leader_zhujiajian"]
    q = {"period": "last_month"}
    f = drilldown_filter(session, actor=actor, query=q, target="accepted", now=NOW)
    assert f == {
        "status": None,
        "category_code": None,
        "area_id": world.areas["zhujiajian"].id,
        "department_id": None,
        "overdue": None,
        "date_from": "2026-03-01",
        "date_to": "2026-03-31",
        "date_basis": "accepted",
    }
    f = drilldown_filter(session, actor=actor, query=q, target="department_overdue", key=dept(world), now=NOW)
    assert (f["status"], f["overdue"], f["department_id"], f["date_from"]) == ("open", True, dept(world), None)
    assert drilldown_filter(session, actor=actor, query=q, target="category", key="legal", now=NOW)["category_code"] == "LEGAL"
    assert drilldown_filter(session, actor=actor, query=q, target="team", key=world.teams["g2"].id, now=NOW)["area_id"] == world.areas["g2"].id
    for target, key in (("accepted", None), ("open", None), ("overdue", None), ("area", world.areas["c1"].id)):
        parse_filter(drilldown_filter(session, actor=actor, query=q, target=target, key=key, now=NOW))  # valid CaseFilter
    with pytest.raises(AccessDenied):
        drilldown_filter(session, actor=actor, query=q, target="team", key=world.teams["g4"].id, now=NOW)
    with pytest.raises(DomainError):
        drilldown_filter(session, actor=actor, query=q, target="getattr", now=NOW)


def test_query_validation():
    assert parse_query(None) == DashboardQuery()
    assert parse_query({"period": "custom", "date_from": "2026-01-01", "date_to": "2035-12-31"}).date_to == date(2035, 12, 31)
    for bad, field in (
        ({"period": "custom", "date_from": "2016-01-01", "date_to": "2026-01-01"}, "date_from"),  # over 10 years
        ({"period": "custom", "date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_from"),
        ({"period": "custom", "date_from": "2026-02-01"}, "date_from"),
        ({"period": "this_month", "date_from": "2026-02-01"}, "date_from"),
        ({"period": "every_day"}, "period"),
        ({"area_id": "abc"}, "area_id"),
        ({"area_id": {"$gt": 1}}, "area_id"),
        ({"department_id": -1}, "department_id"),
        ({"min_volume": 0}, "min_volume"),
        ({"sort": "id; drop table case"}, "query"),
    ):
        with pytest.raises(DomainError) as err:
            parse_query(bad)
        assert err.value.field == field, bad
    with pytest.raises(DomainError):
        parse_query("period=this_month")


def test_periods_and_their_previous_periods():
    def windows(today, **q):
        cur, prev = period_windows(parse_query(q), today)
        return (cur.start, cur.end), (prev.start, prev.end)

    assert windows(date(2026, 3, 31), period="this_month") == ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28)))
    assert windows(date(2026, 3, 15), period="this_month") == ((date(2026, 3, 1), date(2026, 3, 15)), (date(2026, 2, 1), date(2026, 2, 15)))
    assert windows(date(2026, 1, 10), period="last_month") == ((date(2025, 12, 1), date(2025, 12, 31)), (date(2025, 11, 1), date(2025, 11, 30)))
    assert windows(date(2028, 2, 29), period="this_year") == ((date(2028, 1, 1), date(2028, 2, 29)), (date(2027, 1, 1), date(2027, 2, 28)))
    assert windows(date(2026, 5, 1), period="custom", date_from="2026-03-10", date_to="2026-03-19") == (
        (date(2026, 3, 10), date(2026, 3, 19)),
        (date(2026, 2, 28), date(2026, 3, 9)),
    )


# ----------------------------------------------------------------------------
# Rollup reads agree with direct reads, whatever the window
# ----------------------------------------------------------------------------
def _random_cases(session, world, rng: random.Random, n: int, grids=("g1", "g2")) -> None:
    """``n`` cases over Jan-Apr 2026 in ``grids``, each taken some way down its lifecycle."""
    cats = ["ENV", "LEGAL", "SAFETY", "INFRA"]
    for _ in range(n):
        start = datetime(2026, 1, 1, 8) + timedelta(days=rng.randrange(100), hours=rng.randrange(10))
        case = new_case(session, world, grid=rng.choice(grids), category=rng.choice(cats), at=start)
        fate = rng.random()
        if fate < 0.08:
            change(session, case, status=S.REJECTED)
            continue
        acc = start + timedelta(hours=1)
        deadline = datetime.combine((acc + timedelta(days=rng.randrange(2, 12))).date(), datetime.max.time()).replace(microsecond=0)
        accept(session, world, case, acc, deadline)
        if fate < 0.15:
            change(session, case, status=S.DUPLICATE)
            continue
        if fate < 0.3:
            continue  # still open
        resolve(session, case, acc + timedelta(hours=rng.randrange(4, 400)))
        if rng.random() < 0.8:
            evaluate(session, case, case.resolved_at + timedelta(hours=5), rng.choice(["satisfied", "basic", "unsatisfied"]), rng.randint(1, 5))


def test_rollup_reads_equal_direct_reads_for_partial_months(session, world):
    _random_cases(session, world, random.Random(11), 90)
    actor = world.actors["leader_zhujiajian"]  # 朱家尖: read from rollups; its community c1 (g1, g2): read from cases
    c1 = world.areas["c1"].id
    for lo, hi in (("2026-01-10", "2026-03-25"), ("2026-02-03", "2026-02-26"), ("2026-03-01", "2026-04-15"), ("2026-02-20", "2026-03-05"), ("2026-01-01", "2026-01-30")):
        for extra in ({}, {"category_code": "ENV"}, {"department_id": dept(world, "LEGAL")}):
            q = {"period": "custom", "date_from": lo, "date_to": hi, "min_volume": 1, **extra}
            town = dashboard(session, actor=actor, query=q, now=NOW)
            comm = dashboard(session, actor=actor, query={**q, "area_id": c1}, now=NOW)
            assert town.kpis == comm.kpis, (lo, hi, extra)
            assert town.categories == comm.categories
            assert town.team_ranking == comm.team_ranking
            assert town.trend == comm.trend
            assert town.kpis.accepted.value > 0


# ----------------------------------------------------------------------------
# Rollups maintained change by change == rebuilt from scratch
# ----------------------------------------------------------------------------
_dump = dump_rollups


# mostly the next natural step of a case's lifecycle, sometimes a detour or an odd edit
OPS = ("advance",) * 8 + ("return", "extend", "duplicate", "move", "edit_times")


@st.composite
def histories(draw):
    n_cases = draw(st.integers(1, 4))
    ops = draw(st.lists(st.tuples(st.integers(0, n_cases - 1), st.sampled_from(OPS), st.integers(0, 10**6)), min_size=4, max_size=40))
    starts = draw(st.lists(st.integers(0, 120 * 24), min_size=n_cases, max_size=n_cases))
    grids = draw(st.lists(st.sampled_from(["g1", "g2", "g3", "g4", None]), min_size=n_cases, max_size=n_cases))
    return starts, grids, ops


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories())
def test_rollups_equal_a_rebuild_after_any_history(session, world, history):
    starts, grids, ops = history
    nested = session.begin_nested()
    try:
        base = datetime(2026, 1, 28, 8)
        cases = [
            new_case(session, world, grid=g, category=["ENV", "LEGAL", "SAFETY"][i % 3], at=base + timedelta(hours=h))
            for i, (h, g) in enumerate(zip(starts, grids))
        ]
        for idx, op, r in ops:
            _step(session, world, cases[idx], op, r)
        maintained = _dump(session)
        rebuild_rollups(session)
        assert _dump(session) == maintained
    finally:
        nested.rollback()


def _step(session, world, case: Case, op: str, r: int) -> None:
    """One lifecycle step (or a detour, or an odd edit), applied like the lifecycle module would."""
    t = (case.updated_at or case.submitted_at) + timedelta(hours=1 + r % 200, minutes=r % 60)
    status = case.status
    if op == "advance":
        if status == S.SUBMITTED and r % 10 == 0:
            change(session, case, status=S.REJECTED, updated_at=t)
        elif status == S.SUBMITTED:
            change(session, case, status=S.ACCEPTED, accepted_at=t, deadline=t + timedelta(days=1 + r % 9), updated_at=t)
        elif status == S.ACCEPTED and r % 5 != 0:
            change(session, case, status=S.ROUTED, department_id=dept(world, ["ENV", "SAFETY", "LEGAL"][r % 3]), updated_at=t)
        elif status == S.ROUTED:
            change(session, case, status=S.IN_PROGRESS, updated_at=t)
        elif status in (S.ACCEPTED, S.IN_PROGRESS):  # resolve (即接即办 from accepted)
            if case.deadline is not None and r % 3 == 0:  # exactly at the deadline: on time
                t = max(case.deadline, case.accepted_at)
            change(session, case, status=S.RESOLVED, resolved_at=t, updated_at=t)
        elif status == S.RESOLVED and r % 6 == 0:
            change(session, case, status=S.CLOSED, closed_at=t, updated_at=t)
        elif status == S.RESOLVED:
            sat = ["satisfied", "basic", "unsatisfied", "unsatisfied"][r % 4]
            if r % 5 == 0:  # a contact at the very moment of resolution counts as after it
                t = case.resolved_at
            fields = dict(satisfaction=sat, score=1 + r % 5, evaluated_at=t, followed_up_at=t, updated_at=t)
            if sat == "unsatisfied" and case.reopen_count == 0:
                fields.update(status=S.IN_PROGRESS, reopen_count=1, resolved_at=None, deadline=t + timedelta(days=3))
            else:
                fields.update(status=S.CLOSED, closed_at=t)
            change(session, case, **fields)
    elif op == "return" and status in (S.ROUTED, S.IN_PROGRESS):
        change(session, case, status=S.ACCEPTED, department_id=None, return_count=case.return_count + 1, updated_at=t)
    elif op == "extend" and status == S.IN_PROGRESS and case.deadline:
        change(session, case, extended=True, deadline=case.deadline + timedelta(days=1 + r % 5), updated_at=t)
    elif op == "duplicate" and status in S.OPEN:
        change(session, case, status=S.DUPLICATE, updated_at=t)
    elif op == "move":  # an area correction: every rollup key moves with it
        grid = ["g1", "g3", "g4"][r % 3]
        lineage = area_lineage(session, world.areas[grid])
        change(
            session,
            case,
            grid_id=lineage["grid"],
            community_id=lineage["community"],
            township_id=lineage["township"],
            district_id=lineage["district"],
            team_id=world.teams[grid].id,
        )
    elif op == "edit_times" and case.accepted_at is not None:  # data repair across a month boundary
        change(session, case, accepted_at=case.accepted_at - timedelta(days=r % 40))


def test_concurrent_writers_keep_the_rollups_exact(fresh_engine):
    """Four writers change cases at once, each change its own transaction, all
    on the same hot city rows: no update is lost, nobody deadlocks."""
    from tests.factories import make_world

    with Session(fresh_engine, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
    sqlite = fresh_engine.dialect.name == "sqlite"
    errors: list[BaseException] = []

    def transaction(s: Session):
        if sqlite:  # take the single writer's lock first, as the lifecycle module does
            s.connection().exec_driver_sql("UPDATE codecounter SET last = last WHERE 0")

    def writer(k: int) -> None:
        try:
            with Session(fresh_engine, expire_on_commit=False) as s:
                for i in range(6):
                    at = d(3, 2 + i, 8 + k)
                    transaction(s)
                    case = new_case(s, world, grid=["g1", "g2", "g3", "g4"][k], at=at)
                    s.commit()
                    transaction(s)
                    accept(s, world, case, at, end_of(3, 12 + i % 3), route=False)
                    s.commit()
                    transaction(s)
                    resolve(s, case, at + timedelta(days=i % 4, hours=3))
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    import threading

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(fresh_engine) as s:
        maintained = _dump(s)
        assert maintained["rollupmonth"][(0, 202603, world.ref.category_ids["ENV"], 0)][:3] == (24, 24, 24)
        rebuild_rollups(s)
        assert _dump(s) == maintained
        s.rollback()


def test_handling_bins_are_quarter_working_days():
    assert [bin_of(s) for s in (0, 21599, 21600, 86400 * 2.25, 86400 * 60, 86400 * 900)] == [0, 0, 1, 9, 240, 240]


def test_a_drilldown_lists_exactly_the_cases_the_kpi_counted(session, world, march):
    """Click a card, get its number of rows: the list uses the KPI's cohort
    (accepted in the period), not submission dates."""
    for username in ("leader", "leader_zhujiajian"):
        actor = world.actors[username]
        q = {"period": "last_month"}
        k = dashboard(session, actor=actor, query=q, now=NOW).kpis
        f = drilldown_filter(session, actor=actor, query=q, target="accepted", now=NOW)
        assert search_cases(session, actor=actor, filters=f, now=NOW).total == k.accepted.value, username
        env = dashboard(session, actor=actor, query={**q, "category_code": "ENV"}, now=NOW).kpis
        f = drilldown_filter(session, actor=actor, query=q, target="category", key="ENV", now=NOW)
        assert search_cases(session, actor=actor, filters=f, now=NOW).total == env.accepted.value, username
