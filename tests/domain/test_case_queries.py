"""The read side: searching, worklists, triage and a case's detail, in scope."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from rxapp.domain import cases as C
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.queries import CaseFilter, case_detail, department_worklist, search_cases, triage_queue, worklist_bucket, worklist_counts
from rxapp.models import Case
from tests.domain.cases_support import CONFIDENT_ENV, drive, submit


@pytest.fixture
def cases(session, world):
    """g1: submitted, routed (ENV), resolved (ENV); g4: one submitted."""
    made = {
        "submitted": submit(session, world, "有件事想当面说说甲乙丙"),
        "routed": drive(session, world, "routed"),
        "resolved": drive(session, world, "resolved"),
        "g4": submit(session, world, "有件事想当面说说丁戊己", grid="g4"),
    }
    return made


def codes(page):
    return {row.code for row in page.rows}


def test_search_stays_in_the_actors_scope(session, world, cases):
    a = world.actors
    everything = search_cases(session, actor=a["dispatcher"], filters=CaseFilter(), sort="newest", page=1, page_size=50)
    assert {c.code for c in cases.values()} <= codes(everything)
    township = search_cases(session, actor=a["leader_zhujiajian"], filters=None)
    assert cases["g4"].code not in codes(township) and cases["routed"].code in codes(township)
    dept = search_cases(session, actor=a["dept_env"])
    assert codes(dept) >= {cases["routed"].code, cases["resolved"].code} and cases["submitted"].code not in codes(dept)
    assert not codes(search_cases(session, actor=a["dept_other"])) & {c.code for c in cases.values()}
    member = search_cases(session, actor=a["member_g4"])
    assert codes(member) == {cases["g4"].code}
    with pytest.raises(AccessDenied):
        search_cases(session, actor=None)


def test_search_filters_counts_and_pages(session, world, cases):
    a = world.actors["dispatcher"]
    page = search_cases(session, actor=a, filters={"status": "routed"}, sort="deadline", page=1, page_size=10)
    assert cases["routed"].code in codes(page) and all(r.status == "routed" for r in page.rows)
    assert page.total == page.counts_by_status["routed"] and page.counts_by_status.get("submitted", 0) >= 2
    open_page = search_cases(session, actor=a, filters={"status": "open", "area_id": world.areas["c1"].id})
    assert codes(open_page) >= {cases["submitted"].code, cases["routed"].code}
    assert cases["resolved"].code not in codes(open_page) and cases["g4"].code not in codes(open_page)
    assert codes(search_cases(session, actor=a, filters={"text": "丁戊"})) == {cases["g4"].code}
    assert codes(search_cases(session, actor=a, filters={"text": cases["routed"].code.lower()})) == {cases["routed"].code}
    assert codes(search_cases(session, actor=a, filters={"text": "100%"})) == set()  # LIKE wildcards are literal
    env = search_cases(session, actor=a, filters={"category_code": "env", "department_id": world.ref.department_ids["ENV"]})
    assert codes(env) == {cases["routed"].code, cases["resolved"].code}
    today = now().date()
    assert search_cases(session, actor=a, filters={"date_from": today, "date_to": today}).total >= 4
    assert search_cases(session, actor=a, filters={"date_to": today - timedelta(days=1)}).total == 0
    # overdue: push one deadline into the past
    session.exec(update(Case).where(Case.id == cases["routed"].id).values(deadline=now() - timedelta(days=1)))
    session.commit()
    overdue = search_cases(session, actor=a, filters={"overdue": True})
    assert codes(overdue) == {cases["routed"].code} and overdue.rows[0].overdue
    assert cases["routed"].code not in codes(search_cases(session, actor=a, filters={"overdue": False}, page_size=100))
    # paging
    first = search_cases(session, actor=a, sort="oldest", page=1, page_size=2)
    second = search_cases(session, actor=a, sort="oldest", page=2, page_size=2)
    assert len(first.rows) == 2 and not codes(first) & codes(second) and first.total == second.total
    assert search_cases(session, actor=a, page=999, page_size=100).rows == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"filters": {"status": "bogus"}}, "status"),
        ({"filters": {"area_id": "x"}}, "area_id"),
        ({"filters": {"area_id": 10**9}}, "area_id"),
        ({"filters": {"category_code": "NOPE"}}, "category_code"),
        ({"filters": {"date_from": "2026-02-30"}}, "date_from"),
        ({"filters": {"date_from": "2026-03-02", "date_to": "2026-03-01"}}, "date_from"),
        ({"filters": {"text": "长" * 101}}, "text"),
        ({"filters": {"order_by": "id"}}, "filters"),
        ({"filters": "status=open"}, "filters"),
        ({"sort": "__class__"}, "sort"),
        ({"sort": "content"}, "sort"),
        ({"page": 0}, "page"),
        ({"page": "2"}, "page"),
        ({"page_size": 1000}, "page_size"),
    ],
)
def test_search_refuses_bad_input(session, world, kwargs, field):
    with pytest.raises(DomainError) as err:
        search_cases(session, actor=world.actors["dispatcher"], **kwargs)
    assert type(err.value) is DomainError and err.value.field == field


def test_area_filter_outside_scope_is_denied(session, world):
    with pytest.raises(AccessDenied):
        search_cases(session, actor=world.actors["leader_changguo"], filters={"area_id": world.areas["g1"].id})
    with pytest.raises(AccessDenied):
        search_cases(session, actor=world.actors["member"], filters={"area_id": world.areas["g4"].id})


def test_department_worklist_buckets(session, world):
    a = world.actors
    routed = drive(session, world, "routed")
    working = drive(session, world, "in_progress")
    late = drive(session, world, "in_progress")
    soon = drive(session, world, "in_progress")
    session.exec(update(Case).where(Case.id == late.id).values(deadline=now() - timedelta(hours=1)))
    session.exec(update(Case).where(Case.id == soon.id).values(deadline=now() + timedelta(minutes=30)))
    session.commit()
    buckets = department_worklist(session, actor=a["dept_env"])
    assert list(buckets) == ["待签收", "办理中", "即将超期", "已超期"]
    names = {k: {r.code for r in v} for k, v in buckets.items()}
    assert routed.code in names["待签收"] and {working.code, late.code, soon.code} <= names["办理中"]
    assert names["即将超期"] == {soon.code} and names["已超期"] == {late.code}
    assert all(not v for v in department_worklist(session, actor=a["dept_other"]).values())
    # the tabs' counts are exact and agree with the status chips of the same scope
    counts = worklist_counts(session, actor=a["dept_env"])
    assert counts == {k: len(v) for k, v in buckets.items()}
    chips = search_cases(session, actor=a["dept_env"], page_size=10).counts_by_status
    assert counts["待签收"] == chips.get("routed", 0) and counts["办理中"] == chips.get("in_progress", 0)
    paged = [r.code for off in (0, 2, 4) for r in worklist_bucket(session, actor=a["dept_env"], bucket="办理中", limit=2, offset=off)]
    assert paged == [r.code for r in buckets["办理中"]]
    assert [r.code for r in worklist_bucket(session, actor=a["dept_env"], bucket="办理中", text=late.code)] == [late.code]
    with pytest.raises(DomainError):
        worklist_bucket(session, actor=a["dept_env"], bucket="全部")
    for other in ("dispatcher", "leader", "member"):
        with pytest.raises(AccessDenied):
            department_worklist(session, actor=a[other])
        with pytest.raises(AccessDenied):
            worklist_counts(session, actor=a[other])


def test_triage_queue_lists_waiting_cases_in_scope(session, world):
    a = world.actors
    waiting = submit(session, world)
    returned = drive(session, world, "in_progress")
    returned = C.return_case(session, actor=a["dept_env"], case_id=returned.id, expected_version=returned.version, reason="非本部门职责")
    auto = submit(session, world, CONFIDENT_ENV, actor=None)
    far = submit(session, world, grid="g4")
    queue = {r.code: r for r in triage_queue(session, actor=a["dispatcher_zhujiajian"])}
    assert waiting.code in queue and returned.code in queue and auto.code not in queue and far.code not in queue
    assert queue[returned.code].return_count == 1 and queue[waiting.code].status == "submitted"
    for other in ("leader", "dept_env", "member"):
        with pytest.raises(AccessDenied):
            triage_queue(session, actor=a[other])


def test_case_detail_shows_requester_to_handlers_and_masks_it_for_leaders(session, world):
    a = world.actors
    case = drive(session, world, "in_progress")
    C.add_note(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, note="内部：已核实")
    full = case_detail(session, actor=a["dept_env"], code=case.code)
    assert full.requester.phone == "13800001234" and full.requester.name == "王小明" and not full.requester.masked
    assert full.case.department_name == "生态环境局" and full.case.community_name == "c1社区" and full.case.category_code == "ENV"
    assert [e.action for e in full.timeline] == ["submit", "accept", "route", "sign", "add_note"]
    assert full.timeline[-1].public is False and full.timeline[-1].actor_name == "dispatcher"
    assert full.actions == C.allowed_actions(a["dept_env"], case)
    for who in ("dispatcher", "admin", "member"):
        assert not case_detail(session, actor=a[who], code=case.code.lower()).requester.masked
    masked = case_detail(session, actor=a["leader_zhujiajian"], code=case.code)
    assert masked.requester.masked and masked.requester.phone == "138****1234" and masked.requester.name == "王**"
    for outsider in ("leader_changguo", "dept_other", "member_g4"):
        with pytest.raises(AccessDenied):
            case_detail(session, actor=a[outsider], code=case.code)
    with pytest.raises(NotFound):
        case_detail(session, actor=a["admin"], code="ZS209901010001")
    for bad in ("", "ZS12", "'; drop table case;--", None, 5):
        with pytest.raises(DomainError) as err:
            case_detail(session, actor=a["admin"], code=bad)
        assert err.value.field == "code"
    with pytest.raises(AccessDenied):
        case_detail(session, actor=None, code=case.code)


def test_triage_queue_pages_in_sql_and_its_count_is_the_chips_sum(session, world, cases):
    """The tab count is exact (never "200+") and equals the status chips
    待受理 + 已受理 of the same scope; pages from an offset add up to the
    whole queue, and the search text narrows both."""
    from rxapp.domain.queries import triage_count

    a = world.actors
    for _ in range(4):
        submit(session, world)
    for who in ("dispatcher", "dispatcher_zhujiajian", "admin"):
        whole = [r.code for r in triage_queue(session, actor=a[who])]
        paged = [r.code for off in range(0, len(whole) + 3, 3) for r in triage_queue(session, actor=a[who], limit=3, offset=off)]
        assert paged == whole
        chips = search_cases(session, actor=a[who], page_size=10).counts_by_status
        assert triage_count(session, actor=a[who]) == len(whole) == chips.get("submitted", 0) + chips.get("accepted", 0)
    found = triage_queue(session, actor=a["dispatcher"], text=cases["g4"].code)
    assert [r.code for r in found] == [cases["g4"].code] and triage_count(session, actor=a["dispatcher"], text=cases["g4"].code) == 1
    for bad in (-1, "3", True, 10**9):
        with pytest.raises(DomainError):
            triage_queue(session, actor=a["dispatcher"], offset=bad)
