"""At intake: the caller's history and possible duplicates, in scope; linking
the new case to one."""

import pytest

from rxapp.domain.errors import AccessDenied
from rxapp.domain.hotspots.intake import caller_history, link_new_case, possible_duplicates
from rxapp.models import CaseStatus
from tests.domain.cases_support import submit
from tests.domain.test_hotspots import OTHER, PIPE

CALLER = "13955556666"


def test_a_returning_callers_cases_show_in_scope(session, world):
    a = submit(session, world, PIPE[0], requester_phone=CALLER)
    b = submit(session, world, OTHER, grid="g4", requester_phone=CALLER)
    rows = caller_history(session, actor=world.actors["dispatcher"], phone=CALLER)
    assert [r.code for r in rows] == [b.code, a.code] and rows[0].status and rows[0].submitted
    # a member sees only their grid's cases; a department has no intake view
    assert [r.code for r in caller_history(session, actor=world.actors["member"], phone=CALLER)] == [a.code]
    assert caller_history(session, actor=world.actors["dispatcher"], phone="abc") == []
    with pytest.raises(AccessDenied):
        caller_history(session, actor=world.actors["dept_env"], phone=CALLER)


def test_possible_duplicates_by_phone_or_similar_text_in_the_community(session, world):
    a = submit(session, world, PIPE[0], requester_phone="13900001111")
    submit(session, world, OTHER, grid="g2", requester_phone="13900002222")
    far = submit(session, world, PIPE[1], grid="g4", requester_phone="13900003333")
    d = world.actors["dispatcher"]
    rows = possible_duplicates(session, actor=d, text=PIPE[2], grid_id=world.areas["g2"].id)
    assert [r.code for r in rows] == [a.code] and rows[0].reason == "text"
    rows = possible_duplicates(session, actor=d, text="有件事想当面说说", phone="13900003333")
    assert [r.code for r in rows] == [far.code] and rows[0].reason == "phone"
    assert possible_duplicates(session, actor=world.actors["member_g4"], text=PIPE[2], grid_id=world.areas["g2"].id) == []


def test_a_report_naming_the_same_incident_in_other_words_is_a_possible_duplicate(session, world):
    from rxapp.domain.hotspots.similarity import similarity

    power = submit(session, world, "停电了", requester_phone="13900004444")
    submit(session, world, "路灯坏了好几盏，晚上很黑", requester_phone="13900005555")  # no incident concept
    text = "到现在还没来电，冰箱里东西都化了"
    assert similarity(text, "停电了") < 0.12  # few shared characters: text alone would not list it
    rows = possible_duplicates(session, actor=world.actors["dispatcher"], text=text, grid_id=world.areas["g1"].id)
    assert [r.code for r in rows] == [power.code]


def test_the_new_case_is_linked_to_the_chosen_one(session, world):
    a = submit(session, world, PIPE[0], requester_phone="13900001111")
    new = submit(session, world, PIPE[1], requester_phone="13900004444")
    linked = link_new_case(session, actor=world.actors["dispatcher"], content=PIPE[1], duplicate_of_code=a.code)
    assert linked.id == new.id and linked.status == CaseStatus.DUPLICATE and linked.duplicate_of_id == a.id
