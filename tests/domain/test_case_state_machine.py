"""Random sequences of case actions — allowed and forbidden, by every role,
with stale versions and garbage arguments — and the invariants that must hold
after every step."""

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlmodel import func, select

from rxapp.domain import cases as C
from rxapp.domain.rollup import dump_rollups, rebuild_rollups
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, StaleVersion
from rxapp.models import Case, CaseEvent, CaseStatus, Evaluation, Sms
from tests.domain.cases_support import ALL_ACTORS, CONFIDENT_ENV, VAGUE, submit
from tests.domain.test_cases_permissions import GARBAGE_ARGS

S = CaseStatus
ACTIONS = list(C.TRANSITIONS)
ACTORS = list(ALL_ACTORS) + [None]

FORWARD = {"accept", "route", "sign", "resolve", "evaluate", "request_extension", "decide_extension"}

# Where a successful action leaves the case (None: where it was; evaluate depends on the verdict).
TARGET = {
    "accept": S.ACCEPTED,
    "reject": S.REJECTED,
    "route": S.ROUTED,
    "sign": S.IN_PROGRESS,
    "return": S.ACCEPTED,
    "request_extension": None,
    "decide_extension": None,
    "supervise": None,
    "comment": None,
    "add_note": None,
    "public_reply": None,
    "resolve": S.RESOLVED,
    "evaluate": "evaluate",
    "close": S.CLOSED,
    "mark_duplicate": S.DUPLICATE,
}


def _args(name: str, other_code: str, draw) -> dict:
    return {
        "accept": {"category_code": draw(st.sampled_from(["ENV", "LEGAL", "SAFETY"]))},
        "reject": {"reason": "不属于政府职能"},
        "route": {},
        "sign": {},
        "return": {"reason": "不属于本部门职责"},
        "request_extension": {"days": draw(st.integers(1, 15)), "reason": "需要协调"},
        "decide_extension": {"approve": draw(st.booleans())},
        "supervise": {"note": "请加快办理"},
        "comment": {"note": "办理及时"},
        "add_note": {"note": "已联系"},
        "public_reply": {"text": "正在处理"},
        "resolve": {"result_text": "已办结"},
        "evaluate": {"satisfaction": draw(st.sampled_from(["satisfied", "basic", "unsatisfied"])), "score": draw(st.integers(1, 5))},
        "close": {},
        "mark_duplicate": {"duplicate_of_code": other_code},
    }[name]


def _count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


class CaseMachine(RuleBasedStateMachine):
    def __init__(self, session, world):
        super().__init__()
        self.session = session
        self.world = world

    @initialize(confident=st.booleans())
    def new_case(self, confident):
        s = self.session
        self.other = submit(s, self.world, VAGUE)  # the original a duplicate may point at
        case = submit(s, self.world, CONFIDENT_ENV if confident else VAGUE, actor=None)
        self.case_id = case.id
        self.totals = self._totals()

    # -- helpers -------------------------------------------------------------
    def _case(self) -> Case:
        return self.session.get(Case, self.case_id, populate_existing=True)

    def _totals(self) -> tuple[int, int, int, int]:
        s = self.session
        return (_count(s, Case), _count(s, CaseEvent), _count(s, Sms), _count(s, Evaluation))

    def _attempt(self, name: str, username: str | None, kwargs: dict, version_shift: int, args_ok: bool) -> None:
        case = self._case()
        snapshot = case.model_dump()
        allowed = username is not None and name in C.allowed_actions(self.world.actors[username], case)
        version, status, reopen_count = case.version, case.status, case.reopen_count
        events_before = _count(self.session, CaseEvent, CaseEvent.case_id == self.case_id)
        actor = self.world.actors[username] if username else None
        fn = C.ACTION_FUNCTIONS[name]
        try:
            fn(self.session, actor=actor, case_id=self.case_id, expected_version=version + version_shift, **kwargs)
        except DomainError as exc:
            assert not (allowed and version_shift == 0 and args_ok), f"{name} by {username} refused: {exc.message}"
            if not allowed:
                assert isinstance(exc, (AccessDenied, InvalidTransition, StaleVersion)) or not args_ok or version_shift
            after = self._case()
            assert after.model_dump() == snapshot, "a refused action changed the case"
            assert _count(self.session, CaseEvent, CaseEvent.case_id == self.case_id) == events_before
            return
        assert allowed and version_shift == 0 and args_ok, f"{name} by {username} should have been refused"
        event(f"done: {name}")
        after = self._case()
        assert after.version == version + 1
        new_events = self.session.exec(
            select(CaseEvent).where(CaseEvent.case_id == self.case_id).order_by(CaseEvent.id).offset(events_before)
        ).all()
        assert [(e.action, e.from_status, e.to_status, e.version_after) for e in new_events] == [
            (name, status, after.status, after.version)
        ]
        target = TARGET[name]
        if target is None:
            assert after.status == status
        elif target == "evaluate":
            reopened = kwargs["satisfaction"] == "unsatisfied" and reopen_count == 0
            assert after.status == (S.IN_PROGRESS if reopened else S.CLOSED)
        else:
            assert after.status == target

    # -- rules ---------------------------------------------------------------
    @rule(
        data=st.data(),
        name=st.sampled_from(ACTIONS),
        username=st.sampled_from(ACTORS),
        version_shift=st.sampled_from([0, 0, 0, -1, 1]),
        garbage=st.booleans(),
    )
    def attempt_anything(self, data, name, username, version_shift, garbage):
        kwargs = _args(name, self.other.code, data.draw)
        args_ok = True
        if garbage and GARBAGE_ARGS[name]:
            arg, values = data.draw(st.sampled_from(GARBAGE_ARGS[name]))
            kwargs[arg] = data.draw(st.sampled_from(values))
            args_ok = False
        self._attempt(name, username, kwargs, version_shift, args_ok)

    @rule(data=st.data())
    def take_an_allowed_step(self, data):
        case = self._case()
        by_action: dict[str, list[str]] = {}
        for username in ALL_ACTORS:
            for name in C.allowed_actions(self.world.actors[username], case):
                by_action.setdefault(name, []).append(username)
        if not by_action:
            return
        # the action first, so the many who may add a note do not crowd out
        # progress; moving the case forward is likelier than ending it early
        weighted = [n for n in sorted(by_action) for _ in range(10 if n in FORWARD else 1)]
        name = data.draw(st.sampled_from(weighted))
        username = data.draw(st.sampled_from(by_action[name]))
        self._attempt(name, username, _args(name, self.other.code, data.draw), 0, True)

    # -- invariants ----------------------------------------------------------
    @invariant()
    def version_counts_the_events(self):
        case = self._case()
        evs = self.session.exec(select(CaseEvent).where(CaseEvent.case_id == self.case_id).order_by(CaseEvent.id)).all()
        assert case.version == len(evs)  # 1 (submit) + one per change
        assert [e.version_after for e in evs] == list(range(1, len(evs) + 1))
        assert evs[0].action == "submit" and evs[-1].to_status == case.status
        assert all(e.from_status == prev.to_status for prev, e in zip(evs, evs[1:]))

    @invariant()
    def status_agrees_with_the_record(self):
        c = self._case()
        if c.status == S.SUBMITTED:
            assert c.accepted_at is None and c.department_id is None and c.deadline is None
        if c.status in (S.ACCEPTED, S.ROUTED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED):
            assert c.accepted_at is not None and c.deadline is not None and c.category_id is not None
            assert c.promise_due is not None and c.promise_owner
        if c.status == S.ACCEPTED:
            assert c.department_id is None and c.routed_at is None and c.signed_at is None
        if c.status == S.ROUTED:
            assert c.department_id is not None and c.routed_at is not None and c.signed_at is None
        if c.status == S.IN_PROGRESS:
            assert c.resolved_at is None and c.closed_at is None
        if c.status == S.RESOLVED:
            assert c.resolved_at is not None and c.result_text and c.closed_at is None
        if c.status == S.CLOSED:
            assert c.closed_at is not None and c.resolved_at is not None
        if c.status == S.REJECTED:
            assert c.reject_reason and c.accepted_at is None
        if c.status == S.DUPLICATE:
            assert c.duplicate_of_id == self.other.id
        assert c.reopen_count in (0, 1) and (c.flagged or c.reopen_count == 0)
        assert not c.extended or c.extension_requested_days
        assert c.satisfaction is None or c.followed_up_at is not None

    def teardown(self):
        # the dashboard rollups kept action by action equal a rebuild from scratch
        maintained = dump_rollups(self.session)
        rebuild_rollups(self.session)
        assert dump_rollups(self.session) == maintained

    @invariant()
    def nothing_is_lost(self):
        now = self._totals()
        assert now[0] == self.totals[0]  # no case appears or disappears
        assert all(n >= b for n, b in zip(now[1:], self.totals[1:]))
        self.totals = now


def test_random_action_sequences_keep_the_invariants(session, world):
    run_state_machine_as_test(
        lambda: CaseMachine(session, world),
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
