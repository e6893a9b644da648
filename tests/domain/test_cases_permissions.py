"""Every action refuses every role that may not take it, every actor outside
the case's scope, and garbage arguments (a DomainError naming the field, never a crash)."""

import pytest

from rxapp.domain import cases as C
from rxapp.domain.access import case_in_scope
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from tests.domain.cases_support import ALL_ACTORS, case_for, drive, snapshot, submit, valid_args

ACTIONS = list(C.TRANSITIONS)

# The actor (of an allowed role, in scope) who takes each action in the tests.
ALLOWED_BY = {
    "accept": "dispatcher_zhujiajian",
    "reject": "dispatcher",
    "route": "dispatcher_zhujiajian",
    "sign": "dept_env",
    "return": "dept_env",
    "request_extension": "dept_env",
    "decide_extension": "leader_zhujiajian",
    "supervise": "leader_putuo",
    "comment": "leader",
    "add_note": "member",
    "public_reply": "dept_env",
    "resolve": "dept_env",
    "evaluate": "member",
    "close": "admin",
    "mark_duplicate": "dispatcher",
}


@pytest.mark.parametrize("name", ACTIONS)
def test_action_refuses_wrong_roles_and_out_of_scope_actors(session, world, name):
    case = case_for(session, world, name)
    args = valid_args(name, world, session, case)
    fn = C.ACTION_FUNCTIONS[name]
    rule = C.TRANSITIONS[name]
    before = snapshot(session, case.id)
    refused = []
    for username in ALL_ACTORS:
        actor = world.actors[username]
        if actor.role in rule.roles and case_in_scope(actor, case):
            continue
        refused.append(username)
        with pytest.raises(AccessDenied):
            fn(session, actor=actor, case_id=case.id, expected_version=case.version, **args)
    for nobody in (None, {"role": "admin"}, "admin"):
        with pytest.raises(AccessDenied):
            fn(session, actor=nobody, case_id=case.id, expected_version=case.version, **args)
    assert snapshot(session, case.id) == before
    # the refusals cover both a wrong role and, where the role exists, the wrong area/department
    assert "leader_changguo" in refused and "dept_other" in refused and "member_g4" in refused
    # and the allowed actor does succeed
    version = case.version
    done = fn(session, actor=world.actors[ALLOWED_BY[name]], case_id=case.id, expected_version=version, **args)
    assert done.version == version + 1


def test_out_of_scope_examples(session, world):
    a = world.actors
    case = drive(session, world, "routed")
    with pytest.raises(AccessDenied):
        C.supervise_case(session, actor=a["leader_changguo"], case_id=case.id, expected_version=case.version, note="督办")
    with pytest.raises(AccessDenied):
        C.sign_case(session, actor=a["dept_other"], case_id=case.id, expected_version=case.version)
    with pytest.raises(AccessDenied):
        C.add_note(session, actor=a["member_g4"], case_id=case.id, expected_version=case.version, note="备注")
    g4 = submit(session, world, grid="g4")
    with pytest.raises(AccessDenied):
        C.accept_case(session, actor=a["dispatcher_zhujiajian"], case_id=g4.id, expected_version=1, category_code="ENV")
    # a department sees nothing before the case is routed to it
    accepted = drive(session, world, "accepted")
    with pytest.raises(AccessDenied):
        C.add_note(session, actor=a["dept_env"], case_id=accepted.id, expected_version=accepted.version, note="备注")


def test_submit_roles_and_scope(session, world):
    for username in ("leader", "leader_zhujiajian", "dept_env"):
        with pytest.raises(AccessDenied):
            submit(session, world, actor=username)
    with pytest.raises(AccessDenied):  # a member takes requests in their own grid only
        submit(session, world, actor="member", grid="g4", channel="visit")
    with pytest.raises(AccessDenied):
        submit(session, world, actor="dispatcher_zhujiajian", grid="g4")
    assert submit(session, world, actor="member", channel="visit").team_id == world.teams["g1"].id


GARBAGE_IDS = ["abc", None, 1.5, -1, 0, True, [1], {"id": 1}, 2**40, "", "9" * 5000, "١٢", float("nan")]


@pytest.mark.parametrize("name", ACTIONS)
def test_garbage_ids_and_versions_are_domain_errors(session, world, name):
    case = case_for(session, world, name)
    args = valid_args(name, world, session, case)
    fn = C.ACTION_FUNCTIONS[name]
    actor = world.actors[ALLOWED_BY[name]]
    before = snapshot(session, case.id)
    for bad in GARBAGE_IDS:
        with pytest.raises(DomainError) as err:
            fn(session, actor=actor, case_id=bad, expected_version=case.version, **args)
        assert type(err.value) is DomainError and err.value.field == "case_id"
        with pytest.raises(DomainError) as err:
            fn(session, actor=actor, case_id=case.id, expected_version=bad, **args)
        assert type(err.value) is DomainError and err.value.field == "expected_version"
    with pytest.raises(NotFound):
        fn(session, actor=actor, case_id=2**31 - 1, expected_version=1, **args)
    assert snapshot(session, case.id) == before


# Garbage per argument: (argument, bad values)
GARBAGE_ARGS = {
    "accept": [("category_code", [123, "NOPE", ["ENV"]]), ("promise_text", [5, "长" * 501]), ("note", [{"a": 1}])],
    "reject": [("reason", [None, "", " ", 7, "长" * 501, ["原因"]])],
    "route": [("department_id", ["abc", -3, 10**8, 1.5]), ("note", [3])],
    "sign": [],
    "return": [("reason", [None, "", 1, b"bytes"])],
    "request_extension": [("days", [0, 16, "x", None, 1.5, True]), ("reason", ["", None, 9])],
    "decide_extension": [("approve", ["yes", 1, None]), ("note", [8, "长" * 501])],
    "supervise": [("note", ["", None, 1])],
    "comment": [("note", ["", None, 1, "长" * 1001])],
    "add_note": [("note", ["", None, 1])],
    "public_reply": [("text", ["", None, 1])],
    "resolve": [("result_text", ["", " x ", None, 1, "长" * 2001])],
    "evaluate": [("satisfaction", ["great", None, 1]), ("score", [0, 6, "x", None, 2.5, False]), ("comment", [5])],
    "close": [("note", [5, "长" * 501])],
    "mark_duplicate": [("duplicate_of_code", [None, 12, "", "ZS1", "ZS209912319999"])],
}


@pytest.mark.parametrize("name", ACTIONS)
def test_garbage_arguments_are_domain_errors_naming_the_field(session, world, name):
    case = case_for(session, world, name)
    args = valid_args(name, world, session, case)
    fn = C.ACTION_FUNCTIONS[name]
    actor = world.actors[ALLOWED_BY[name]]
    before = snapshot(session, case.id)
    for arg, values in GARBAGE_ARGS[name]:
        for bad in values:
            with pytest.raises(DomainError) as err:
                fn(session, actor=actor, case_id=case.id, expected_version=case.version, **{**args, arg: bad})
            assert type(err.value) is DomainError and err.value.field == arg, (arg, bad)
            assert err.value.message
    assert snapshot(session, case.id) == before


def test_every_action_has_garbage_cases():
    assert set(GARBAGE_ARGS) == set(C.TRANSITIONS) == set(ALLOWED_BY)
