"""Shared helpers for the case lifecycle tests: a case driven to any state."""

from sqlmodel import Session, func, select

from rxapp.domain import cases as C
from rxapp.models import Case, CaseEvent, CaseStatus, Evaluation, Sms

# Texts whose classification under the default rules is known.
CONFIDENT_ENV = "楼下饭店油烟很大，噪音扰民，污染严重"  # ENV, confident: auto-accepted
VAGUE = "有件事想当面说说"  # no keyword at all: stays in triage
PHONE = "13800001234"

ALL_ACTORS = (
    "admin",
    "leader",
    "leader_putuo",
    "leader_zhujiajian",
    "leader_changguo",
    "dispatcher",
    "dispatcher_zhujiajian",
    "dept_env",
    "dept_other",
    "member",
    "member_g4",
)


def submit(session: Session, world, text: str = VAGUE, *, actor: str | None = "dispatcher", grid: str = "g1", channel: str | None = None, **extra) -> Case:
    data = {"content": text, "grid_id": world.areas[grid].id, "requester_name": "王小明", "requester_phone": PHONE, **extra}
    who = world.actors[actor] if actor else None
    return C.submit_case(session, actor=who, data=data, channel=channel or ("desk" if actor else "web"))


def drive(session: Session, world, status: str, *, category: str = "ENV", grid: str = "g1", pending_extension: bool = False) -> Case:
    """A fresh case (in grid g1, category ENV by default) brought to ``status``
    through the real actions."""
    a = world.actors
    case = submit(session, world, grid=grid)
    if status == CaseStatus.SUBMITTED:
        return case
    if status in (CaseStatus.REJECTED, CaseStatus.DUPLICATE):
        if status == CaseStatus.REJECTED:
            return C.reject_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, reason="不属于政府职能")
        other = submit(session, world, grid=grid)
        return C.mark_duplicate(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, duplicate_of_code=other.code)
    case = C.accept_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, category_code=category)
    if status == CaseStatus.ACCEPTED:
        return case
    case = C.route_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version)
    if status == CaseStatus.ROUTED:
        return case
    dept = world.actors["dept_env"] if category == "ENV" else None
    case = C.sign_case(session, actor=dept, case_id=case.id, expected_version=case.version)
    if pending_extension:
        case = C.request_extension(session, actor=dept, case_id=case.id, expected_version=case.version, days=3, reason="需要协调多个部门")
    if status == CaseStatus.IN_PROGRESS:
        return case
    case = C.resolve_case(session, actor=dept, case_id=case.id, expected_version=case.version, result_text="已责令整改，油烟净化器已安装")
    if status == CaseStatus.RESOLVED:
        return case
    assert status == CaseStatus.CLOSED
    return C.evaluate_case(session, actor=a["dispatcher"], case_id=case.id, expected_version=case.version, satisfaction="satisfied", score=5)


def events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all())


def sms_for(session: Session, case_id: int) -> list[Sms]:
    return list(session.exec(select(Sms).where(Sms.case_id == case_id).order_by(Sms.id)).all())


def snapshot(session: Session, case_id: int) -> dict:
    """Everything an action could change, to prove a failed action changed nothing."""
    session.expire_all()
    case = session.get(Case, case_id)
    return {
        "case": case.model_dump(),
        "events": session.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)).one(),
        "sms": session.exec(select(func.count()).select_from(Sms).where(Sms.case_id == case_id)).one(),
        "evaluations": session.exec(select(func.count()).select_from(Evaluation).where(Evaluation.case_id == case_id)).one(),
    }


# Valid arguments per action (apart from actor, case and version).
def valid_args(name: str, world, session: Session, case: Case) -> dict:
    if name == "mark_duplicate":
        other = submit(session, world)
        return {"duplicate_of_code": other.code}
    return {
        "accept": {"category_code": "ENV"},
        "reject": {"reason": "不属于政府职能"},
        "route": {},
        "sign": {},
        "return": {"reason": "不属于本部门职责"},
        "request_extension": {"days": 3, "reason": "需要协调多个部门"},
        "decide_extension": {"approve": True},
        "supervise": {"note": "请加快办理"},
        "comment": {"note": "处理及时，值得肯定"},
        "add_note": {"note": "已电话联系群众"},
        "public_reply": {"text": "正在协调处理，请耐心等待"},
        "resolve": {"result_text": "已责令整改"},
        "evaluate": {"satisfaction": "satisfied", "score": 5},
        "close": {},
    }[name]


# The state each action is tested from (with the ENV department handling it).
ACTION_STATE = {
    "accept": CaseStatus.SUBMITTED,
    "reject": CaseStatus.SUBMITTED,
    "route": CaseStatus.ACCEPTED,
    "sign": CaseStatus.ROUTED,
    "return": CaseStatus.ROUTED,
    "request_extension": CaseStatus.IN_PROGRESS,
    "decide_extension": CaseStatus.IN_PROGRESS,
    "supervise": CaseStatus.IN_PROGRESS,
    "comment": CaseStatus.IN_PROGRESS,
    "add_note": CaseStatus.IN_PROGRESS,
    "public_reply": CaseStatus.IN_PROGRESS,
    "resolve": CaseStatus.IN_PROGRESS,
    "evaluate": CaseStatus.RESOLVED,
    "close": CaseStatus.RESOLVED,
    "mark_duplicate": CaseStatus.SUBMITTED,
}


def case_for(session: Session, world, name: str) -> Case:
    return drive(session, world, ACTION_STATE[name], pending_extension=name == "decide_extension")
