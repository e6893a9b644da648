"""Public read models and the resident's self-service actions.

Everything returned here may leave the server: requester data is removed or
masked (``rxapp.domain.privacy``), timelines show public events under the
department's / centre's label, and the notice board the public sees is the one
a township leader published (frozen rows).  Arguments are untrusted."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case as sa_case
from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.domain import cases as C
from rxapp.domain import throttle
from rxapp.domain.access import Actor, area_in_scope
from rxapp.domain.clock import month_key, now, today
from rxapp.domain.diaries import team_activity
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.geo.resolve import GCJ02, resolve, resolve_point, triage_grid
from rxapp.domain.metrics import kpis_public
from rxapp.domain.names import public_scrub, scrubber
from rxapp.domain.privacy import mask_name, phone_tail, scrub_text
from rxapp.domain.sms import queue_sms, validate_mobile
from rxapp.i18n import DEFAULT_LOCALE, local_name
from rxapp.models import (
    Area,
    AreaLevel,
    BoardPublication,
    Case,
    CaseEvent,
    CaseStatus,
    Category,
    Channel,
    Department,
    Evaluation,
    EvaluationCode,
    EvaluationKind,
    Household,
    PartyMemberEvaluation,
    Role,
    RollupMonth,
    Satisfaction,
    Team,
    TeamMember,
)

S = CaseStatus

SUBMITS_PER_PHONE_PER_DAY = 5
SUBMITS_PER_ADDRESS_PER_DAY = 5
OTP_MINUTES = 10
OTP_MAX_ATTEMPTS = 5
OTP_MAX_PER_CASE_PER_DAY = 3

_CODE_RE = re.compile(r"^ZS\d{12,16}$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

PUBLIC_STATUS = {
    S.SUBMITTED: "待受理",
    S.ACCEPTED: "已受理，待派单",
    S.ROUTED: "已派单，待部门签收",
    S.IN_PROGRESS: "办理中",
    S.RESOLVED: "已办结，待评价",
    S.CLOSED: "已结案",
    S.REJECTED: "不予受理",
    S.DUPLICATE: "重复件（并入原件办理）",
}
ACTION_LABEL = {
    "submit": "提交诉求",
    "accept": "受理",
    "route": "派单",
    "sign": "签收",
    "return": "退回重派",
    "reject": "不予受理",
    "resolve": "办结",
    "evaluate": "评价",
    "close": "结案",
    "public_reply": "答复",
    "decide_extension": "延期审批",
    "request_extension": "申请延期",
    "mark_duplicate": "重复件",
    "lead_resolved": "合并办结",
}
PROMISE_KEPT = "已兑现"
PROMISE_LATE = "逾期兑现"
PROMISE_BROKEN = "超期未兑现"
PROMISE_PENDING = "办理中"
PROMISE_NONE = "—"


# ----------------------------------------------------------------------------
# Untrusted arguments
# ----------------------------------------------------------------------------
def parse_code(value: object) -> str:
    if not isinstance(value, str) or not _CODE_RE.match(value.strip().upper()):
        raise DomainError("请输入正确的诉求编号，如 ZS202611260001", "code")
    return value.strip().upper()


def parse_tail(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}", value.strip()):
        raise DomainError("请输入手机号码后四位", "tail")
    return value.strip()


def parse_month(value: object) -> str:
    if isinstance(value, str):
        m = _MONTH_RE.match(value.strip())
        if m and 2000 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12:
            return value.strip()
    raise DomainError("月份格式应为YYYY-MM", "month")


def parse_area_id(value: object, field: str = "area") -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise DomainError("区域编号无效", field)
    return value


def _month_range(month: str) -> tuple[datetime, datetime]:
    y, m = int(month[:4]), int(month[5:])
    first = datetime(y, m, 1)
    nxt = datetime(y + (m == 12), 1 if m == 12 else m + 1, 1)
    return first, nxt


def _day(d: datetime | None) -> str:
    return d.date().isoformat() if d else ""


# ----------------------------------------------------------------------------
# Promise and public wording
# ----------------------------------------------------------------------------
def promise_state(case: Case, at: datetime | None = None) -> str:
    """Whether the case's public promise (一事一诺) was kept."""
    if case.promise_due is None:
        return PROMISE_NONE
    if case.resolved_at is not None and case.status in S.DONE:
        return PROMISE_KEPT if case.resolved_at <= case.promise_due else PROMISE_LATE
    if case.status in S.OPEN:
        return PROMISE_BROKEN if (at or now()) > case.promise_due else PROMISE_PENDING
    return PROMISE_NONE


def _requester_secrets(case: Case, household: Household | None = None) -> dict[str, list[str]]:
    names = [case.requester_name]
    addresses = [case.requester_address]
    phones = [case.requester_phone]
    if household is not None:
        names.append(household.representative)
        addresses.append(household.address)
        phones.append(household.phone)
    return {"names": names, "addresses": addresses, "phones": phones}


def public_text(case: Case, text: str, session: Session | None = None) -> str:
    """Text fit for the public: patterns, the requester's own data and, with a
    session, every name the database knows (``rxapp.domain.names``)."""
    if session is None:
        return scrub_text(text, **_requester_secrets(case))
    household = session.get(Household, case.requester_household_id) if case.requester_household_id else None
    return public_scrub(session, text, **_requester_secrets(case, household))


def _outcome(case: Case, session: Session) -> str:
    """Finish date, promised date, or why it cannot be solved."""
    if case.status in S.DONE and case.resolved_at:
        return f"{_day(case.resolved_at)}办结"
    if case.status == S.REJECTED:
        return "不予受理：" + public_text(case, case.reject_reason, session)
    if case.status == S.DUPLICATE:
        return "重复件，并入原件办理"
    if case.promise_due:
        return f"承诺{_day(case.promise_due)}前办结"
    return "待受理"


# ----------------------------------------------------------------------------
# Track
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicEvent:
    at: str
    action: str
    by: str
    note: str
    action_code: str = ""  # the event's action, for the page's own label


@dataclass(frozen=True)
class PublicCaseView:
    code: str
    status: str
    status_label: str
    category: str
    department: str
    community: str
    content: str
    submitted_on: str
    deadline: str
    resolved_on: str
    result: str
    promise_text: str
    promise_due: str
    promise_owner: str
    promise_state: str
    satisfaction: str
    score: int | None
    can_evaluate: bool
    timeline: list[PublicEvent] = field(default_factory=list)


# Wrong phone tails (the only secret between a case code and its timeline):
# 5 per case code an hour, then that code cannot be tracked for an hour; 20 per
# client (connection and address) an hour.  Counted in the database.
TRACK_CODE_RULE = throttle.Rule(limit=5, window=timedelta(hours=1), lock=timedelta(hours=1))
TRACK_CLIENT_RULE = throttle.Rule(limit=20, window=timedelta(hours=1), lock=timedelta(hours=1))


def _client_keys(clients: tuple[str, ...]) -> list[str]:
    return [throttle.make_key("track", "client", c) for c in clients if isinstance(c, str) and c]


def _find_case(session: Session, code: object, tail: object, clients: tuple[str, ...] = ()) -> Case:
    """The case by its code, only if the phone tail matches (same answer
    otherwise).  ``clients`` name who asks (connection, address) for the
    wrong-guess limits."""
    c = parse_code(code)
    t = parse_tail(tail)
    code_key = throttle.make_key("track", "code", c)
    client_keys = _client_keys(clients)
    if until := throttle.first_lock(session, [code_key]):
        raise DomainError(f"该诉求编号查询错误次数过多，已暂停查询至{until:%H:%M}，请稍后再试或拨打热线", "code")
    if until := throttle.first_lock(session, client_keys):
        raise DomainError(f"查询错误次数过多，请于{until:%H:%M}后再试", "tail")
    case = session.exec(select(Case).where(Case.code == c)).first()
    if case is None or not case.requester_phone or not hmac.compare_digest(phone_tail(case.requester_phone), t):
        locks = [throttle.record_failure(session, key, TRACK_CLIENT_RULE) for key in client_keys]
        if case is not None and (until := throttle.record_failure(session, code_key, TRACK_CODE_RULE)):
            raise DomainError(f"该诉求编号查询错误次数过多，已暂停查询至{until:%H:%M}，请稍后再试或拨打热线", "code")
        if any(locks):
            raise DomainError(f"查询错误次数过多，请于{max(u for u in locks if u):%H:%M}后再试", "tail")
        raise NotFound("未找到该诉求，请核对编号和手机尾号")
    return case


def public_view(session: Session, case: Case, lang: str = DEFAULT_LOCALE) -> PublicCaseView:
    category = session.get(Category, case.category_id) if case.category_id else None
    dep = session.get(Department, case.department_id) if case.department_id else None
    comm = session.get(Area, case.community_id) if case.community_id else None
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.public).order_by(CaseEvent.id)
    ).all()
    timeline = [
        PublicEvent(
            at=e.at.strftime("%Y-%m-%d %H:%M"),
            action=ACTION_LABEL.get(e.action, e.action),
            by=e.actor_label or "",
            note=public_text(case, e.note, session),
            action_code=e.action,
        )
        for e in events
    ]
    return PublicCaseView(
        code=case.code,
        status=case.status,
        status_label=PUBLIC_STATUS.get(case.status, case.status),
        category=local_name(category, lang),
        department=local_name(dep, lang),
        community=comm.name if comm else "",
        content=public_text(case, case.content, session),
        submitted_on=_day(case.submitted_at),
        deadline=_day(case.deadline),
        resolved_on=_day(case.resolved_at),
        result=public_text(case, case.result_text, session),
        promise_text=public_text(case, case.promise_text, session),
        promise_due=_day(case.promise_due),
        promise_owner=local_name(dep, lang) if dep is not None and case.promise_owner == dep.name_zh else case.promise_owner,
        promise_state=promise_state(case),
        satisfaction=C.SATISFACTION_ZH.get(case.satisfaction or "", ""),
        score=case.score,
        can_evaluate=case.status == S.RESOLVED,
        timeline=timeline,
    )


def track_case(session: Session, *, code: object, tail: object, clients: tuple[str, ...] = (), lang: str = DEFAULT_LOCALE) -> PublicCaseView:
    return public_view(session, _find_case(session, code, tail, clients), lang)


# ----------------------------------------------------------------------------
# Submit (rate-limited)
# ----------------------------------------------------------------------------
def public_submit(session: Session, *, data: Mapping[str, Any]) -> str:
    """A resident's request from /public/submit; returns the case code (also
    sent by SMS).  At most 5 a day per phone and per address."""
    if not isinstance(data, Mapping):
        raise DomainError("提交的内容无效", "content")
    phone = validate_mobile(data.get("phone"))
    address = data.get("address") or ""
    if not isinstance(address, str) or len(address) > 128:
        raise DomainError("地址不能超过128个字", "address")
    address = address.strip()
    start = datetime.combine(today(), datetime.min.time())
    by_phone = session.exec(
        select(func.count()).select_from(Case).where(Case.requester_phone == phone, Case.submitted_at >= start, Case.channel == Channel.WEB)
    ).one()
    if by_phone >= SUBMITS_PER_PHONE_PER_DAY:
        raise DomainError(f"同一手机号每天最多提交{SUBMITS_PER_PHONE_PER_DAY}件诉求，请明天再试或拨打热线", "phone")
    if address:
        by_address = session.exec(
            select(func.count()).select_from(Case).where(Case.requester_address == address, Case.submitted_at >= start, Case.channel == Channel.WEB)
        ).one()
        if by_address >= SUBMITS_PER_ADDRESS_PER_DAY:
            raise DomainError(f"同一地址每天最多提交{SUBMITS_PER_ADDRESS_PER_DAY}件诉求，请明天再试或拨打热线", "address")
    place = submit_place(session, data, address)
    case = C.submit_case(
        session,
        actor=None,
        channel=Channel.WEB,
        data={
            "content": data.get("content") if isinstance(data.get("content"), str) else "",
            "requester_name": data.get("name") if isinstance(data.get("name"), str) else "",
            "requester_phone": phone,
            "requester_address": address,
            **place,
        },
    )
    return case.code


def submit_place(session: Session, data: Mapping[str, Any], address: str) -> dict[str, Any]:
    """Where a public submission is: ``grid_id``, ``lon``/``lat`` (GCJ-02) and
    ``triage`` for intake.

    ``data`` may carry a point (``lon``, ``lat``; GCJ-02 as the map draws it,
    or ``datum="wgs84"`` for the phone's location), a ``grid_id`` picked (or
    corrected) in the selects, and ``place_unknown=True`` (“不清楚”).  A
    chosen grid wins; “不清楚” goes to the dispatchers' triage with the
    address text; otherwise the resolver places the point and / or the address
    (they must agree)."""
    lon, lat = data.get("lon"), data.get("lat")
    has_point = lon not in (None, "") or lat not in (None, "")
    datum = data.get("datum") or GCJ02
    grid_id = data.get("grid_id")
    if grid_id not in (None, ""):
        point = resolve_point(session, lon, lat, datum=datum) if has_point else None
        return {"grid_id": parse_area_id(grid_id, "grid_id"), "lon": point.lon if point else None, "lat": point.lat if point else None}
    if data.get("place_unknown") is True:
        return {"grid_id": triage_grid(session, address), "triage": True}
    if not has_point and not address:
        raise DomainError("请在地图上选点、填写地址或选择所在网格；不清楚可选“不清楚”", "grid_id")
    where = resolve(session, lon=lon, lat=lat, address=address, datum=datum)
    return {"grid_id": where.grid_id, "lon": where.lon, "lat": where.lat}


# ----------------------------------------------------------------------------
# Evaluate with a one-time SMS code
# ----------------------------------------------------------------------------
def _hash(otp: str) -> str:
    return hashlib.sha256(otp.encode()).hexdigest()


def request_evaluation_code(session: Session, *, code: object, tail: object, clients: tuple[str, ...] = ()) -> None:
    """Send a 6-digit one-time code to the requester's phone (resolved cases only)."""
    case = _find_case(session, code, tail, clients)
    if case.status != S.RESOLVED:
        raise DomainError("该诉求当前不能评价（仅已办结、未评价的诉求可以评价）", "code")
    at = now()
    recent = session.exec(
        select(func.count()).select_from(EvaluationCode).where(EvaluationCode.case_id == case.id, EvaluationCode.created_at >= at - timedelta(days=1))
    ).one()
    if recent >= OTP_MAX_PER_CASE_PER_DAY:
        raise DomainError("验证码发送过于频繁，请明天再试", "code")
    otp = f"{secrets.randbelow(10**6):06d}"
    session.add(EvaluationCode(case_id=case.id, code_hash=_hash(otp), created_at=at, expires_at=at + timedelta(minutes=OTP_MINUTES)))
    queue_sms(session, phone=case.requester_phone, template="evaluation_otp", case_id=case.id, code=case.code, otp=otp, minutes=OTP_MINUTES)
    session.commit()


def evaluate_with_code(session: Session, *, code: object, tail: object, otp: object, satisfaction: object, score: object, comment: object = "", clients: tuple[str, ...] = ()) -> PublicCaseView:
    case = _find_case(session, code, tail, clients)
    if case.status != S.RESOLVED:
        raise DomainError("该诉求已评价或当前不能评价", "code")
    if not isinstance(otp, str) or not re.fullmatch(r"\d{6}", otp.strip()):
        raise DomainError("请输入短信中的6位验证码", "otp")
    at = now()
    row = session.exec(
        select(EvaluationCode)
        .where(EvaluationCode.case_id == case.id, EvaluationCode.used_at.is_(None), EvaluationCode.expires_at > at)
        .order_by(EvaluationCode.id.desc())
    ).first()
    if row is None or row.attempts >= OTP_MAX_ATTEMPTS:
        raise DomainError("验证码已失效，请重新获取", "otp")
    if not hmac.compare_digest(row.code_hash, _hash(otp.strip())):
        row.attempts += 1
        session.add(row)
        session.commit()
        raise DomainError("验证码不正确", "otp")
    case_id, version, otp_id = case.id, case.version, row.id
    evaluated = C.evaluate_case_by_requester(
        session, case_id=case_id, expected_version=version, satisfaction=satisfaction, score=score, comment=comment
    )
    row = session.get(EvaluationCode, otp_id)
    row.used_at = now()
    session.add(row)
    session.commit()
    return public_view(session, evaluated)


# ----------------------------------------------------------------------------
# Area pickers
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaOption:
    id: int
    name: str
    level: str


def area_children(session: Session, parent_id: object | None = None) -> list[AreaOption]:
    if parent_id in (None, ""):
        q = select(Area).where(Area.parent_id.is_(None))
    else:
        q = select(Area).where(Area.parent_id == parse_area_id(parent_id))
    return [AreaOption(a.id, a.name, a.level) for a in session.exec(q.order_by(Area.sort, Area.id)).all()]


def city(session: Session) -> Area:
    area = session.exec(select(Area).where(Area.level == AreaLevel.CITY)).first()
    if area is None:
        raise NotFound("区域不存在")
    return area


# ----------------------------------------------------------------------------
# The monthly notice board
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardRow:
    code: str
    summary: str
    category: str
    status: str
    outcome: str
    promise: str
    score: int | None
    satisfaction: str


@dataclass(frozen=True)
class BoardTeam:
    team: str
    visits: int
    diaries: int


@dataclass(frozen=True)
class Board:
    community_id: int
    community: str
    month: str
    published: bool
    published_at: str
    rows: list[BoardRow]
    teams: list[BoardTeam]


BOARD_LIMIT = 500


def _community(session: Session, community_id: object) -> Area:
    area = session.get(Area, parse_area_id(community_id, "community"))
    if area is None or area.level != AreaLevel.COMMUNITY:
        raise NotFound("社区不存在")
    return area


# what a board row shows and scrubs (``_outcome``, ``promise_state``, ``_requester_secrets``)
_BOARD_CASE_COLS = (
    Case.id,
    Case.code,
    Case.content,
    Case.category_id,
    Case.status,
    Case.reject_reason,
    Case.resolved_at,
    Case.promise_due,
    Case.score,
    Case.satisfaction,
    Case.community_id,
    Case.requester_name,
    Case.requester_phone,
    Case.requester_address,
    Case.requester_household_id,
)


def _board_bodies(session: Session, comms: list[Area], month: str, at: datetime | None = None) -> dict[int, tuple[list[BoardRow], list[BoardTeam]]]:
    """The rows and team counts of each community's board for ``month``, in a
    few queries for any number of communities (cases, their households, the
    teams' diaries and visits); every text is scrubbed for the public."""
    first, nxt = _month_range(month)
    ids = [c.id for c in comms]
    rank = func.row_number().over(partition_by=Case.community_id, order_by=(Case.submitted_at, Case.id)).label("rank")
    ranked = (
        select(Case.id, rank)
        .where(Case.community_id.in_(ids), Case.submitted_at >= first, Case.submitted_at < nxt)
        .subquery()
    )
    # plain rows of the columns a board reads (no ORM objects: a month of a
    # whole city is tens of thousands of cases); the helpers read them by name
    cases = session.exec(
        select(*_BOARD_CASE_COLS)
        .join(ranked, ranked.c.id == Case.id)
        .where(ranked.c.rank <= BOARD_LIMIT)
        .order_by(Case.community_id, Case.submitted_at, Case.id)
    ).all()
    hh_ids = {c.requester_household_id for c in cases if c.requester_household_id}
    households: dict[int, Any] = {}
    hh = sorted(hh_ids)
    for i in range(0, len(hh), 5000):  # under every driver's bound-parameter limit
        households.update(
            (h.id, h)
            for h in session.exec(
                select(Household.id, Household.representative, Household.address, Household.phone).where(Household.id.in_(hh[i : i + 5000]))
            ).all()
        )
    cats = {c.id: c.name_zh for c in session.exec(select(Category)).all()}
    scrub = scrubber(session)
    at = at or now()

    def text(c: Any, value: str) -> str:
        return scrub(value, **_requester_secrets(c, households.get(c.requester_household_id)))

    def outcome(c: Any) -> str:  # == _outcome, with the households read once
        if c.status == S.REJECTED:
            return "不予受理：" + text(c, c.reject_reason)
        return _outcome(c, session)

    def summary(c: Any, limit: int = 80) -> str:  # == _summary
        t = text(c, c.content)
        return t if len(t) <= limit else t[: limit - 1] + "…"

    out: dict[int, tuple[list[BoardRow], list[BoardTeam]]] = {cid: ([], []) for cid in ids}
    for c in cases:
        out[c.community_id][0].append(
            BoardRow(
                code=c.code,
                summary=summary(c),
                category=cats.get(c.category_id, "") if c.category_id else "",
                status=PUBLIC_STATUS.get(c.status, c.status),
                outcome=outcome(c),
                promise=promise_state(c, at),
                score=c.score,
                satisfaction=C.SATISFACTION_ZH.get(c.satisfaction or "", ""),
            )
        )
    if len(comms) == 1:
        acts = team_activity(session, area=comms[0], month=month)
        grid_comm = {t.grid_id: comms[0].id for t in acts}
    else:
        acts = team_activity(session, month=month)
        grid_comm = dict(session.exec(select(Area.id, Area.parent_id).where(Area.level == AreaLevel.GRID, Area.parent_id.in_(ids))).all())
    for t in acts:
        cid = grid_comm.get(t.grid_id)
        if cid in out:
            out[cid][1].append(BoardTeam(t.team_name, t.visits, t.diaries))
    return out


def live_board(session: Session, *, community_id: object, month: object) -> Board:
    """The board computed now (for the leader's preview and for publishing)."""
    comm = _community(session, community_id)
    m = parse_month(month)
    rows, teams = _board_bodies(session, [comm], m)[comm.id]
    return Board(comm.id, comm.name, m, False, "", rows, teams)


def _may_publish(session: Session, actor: object, comm: Area) -> Actor:
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    if actor.role not in (Role.LEADER, Role.ADMIN):
        raise AccessDenied("只有领导可以公示")
    if actor.role == Role.LEADER and not comm.path.startswith(actor.scope_path or "\0"):
        raise AccessDenied("该社区不在您的管辖范围内")
    return actor


def publish_boards(session: Session, *, actor: Actor, community_ids: list[object], month: object, at: datetime | None = None) -> list[Board]:
    """A leader publishes the month for several communities at once: each
    board's rows are frozen.  All or nothing: any community outside the
    leader's scope, a future month or a month already published refuses the
    whole batch.  ``at`` (trusted callers only, e.g. the demo seed) is the
    publication time, default now."""
    m = parse_month(month)
    at = (at or now()).replace(microsecond=0)
    if m > month_key(at):
        raise DomainError("不能公示未来月份", "month")
    ids = list(dict.fromkeys(parse_area_id(c, "community") for c in community_ids))
    if not ids:
        raise DomainError("请选择社区", "community")
    comms = {a.id: a for a in session.exec(select(Area).where(Area.id.in_(ids))).all()}
    for cid in ids:
        comm = comms.get(cid)
        if comm is None or comm.level != AreaLevel.COMMUNITY:
            raise NotFound("社区不存在")
    who = None
    for cid in ids:
        who = _may_publish(session, actor, comms[cid])
    done = session.exec(select(BoardPublication.community_id).where(BoardPublication.community_id.in_(ids), BoardPublication.month == m)).first()
    if done is not None:
        raise DomainError("该月公示栏已发布，不能更改", "month")
    bodies = _board_bodies(session, [comms[cid] for cid in ids], m, at)
    boards = []
    for cid in ids:
        rows, teams = bodies[cid]
        session.add(
            BoardPublication(
                community_id=cid,
                month=m,
                published_by_user_id=who.user_id,
                published_at=at,
                # vars(): the fields of these flat dataclasses, as asdict gives them, without its deep copies
                rows_json=json.dumps([vars(r) for r in rows], ensure_ascii=False),
                teams_json=json.dumps([vars(t) for t in teams], ensure_ascii=False),
            )
        )
        boards.append(Board(cid, comms[cid].name, m, True, at.strftime("%Y-%m-%d %H:%M"), rows, teams))
    session.commit()
    return boards


def publish_board(session: Session, *, actor: Actor, community_id: object, month: object) -> Board:
    """A township (or higher) leader publishes the month: the rows are frozen."""
    comm = _community(session, community_id)
    _may_publish(session, actor, comm)
    return publish_boards(session, actor=actor, community_ids=[comm.id], month=month)[0]


def published_board(session: Session, *, community_id: object, month: object) -> Board | None:
    """What the public sees: the frozen board, or None when not published."""
    comm = _community(session, community_id)
    m = parse_month(month)
    pub = session.exec(select(BoardPublication).where(BoardPublication.community_id == comm.id, BoardPublication.month == m)).first()
    if pub is None:
        return None
    # frozen rows are scrubbed again on the way out: a board published before the
    # complete scrub may hold names that only the known-names pass catches
    scrub = scrubber(session)
    rows = [BoardRow(**{**r, "summary": scrub(r.get("summary", "")), "outcome": scrub(r.get("outcome", ""))}) for r in json.loads(pub.rows_json)]
    teams = [BoardTeam(**t) for t in json.loads(pub.teams_json or "[]")]
    return Board(comm.id, comm.name, m, True, pub.published_at.strftime("%Y-%m-%d %H:%M"), rows, teams)


def published_months(session: Session, *, community_id: object) -> list[str]:
    comm = _community(session, community_id)
    return list(
        session.exec(select(BoardPublication.month).where(BoardPublication.community_id == comm.id).order_by(BoardPublication.month.desc())).all()
    )


def default_board_community(session: Session) -> int | None:
    """The community /public/board opens on: the first (in area order) whose
    latest published board lists requests, else the first with any published
    board; None when nothing is published."""
    latest = (
        select(BoardPublication.community_id, func.max(BoardPublication.month).label("month"))
        .group_by(BoardPublication.community_id)
        .subquery()
    )
    return session.exec(
        select(BoardPublication.community_id)
        .join(latest, (latest.c.community_id == BoardPublication.community_id) & (latest.c.month == BoardPublication.month))
        .join(Area, Area.id == BoardPublication.community_id)
        .order_by(_case_int(BoardPublication.rows_json == "[]"), Area.path)
        .limit(1)
    ).first()


def area_lineage(session: Session, area_id: object) -> list[int]:
    """The ids from the district down to ``area_id`` (the city left out), for
    opening the district → township → community pickers on an area."""
    area = session.get(Area, parse_area_id(area_id))
    if area is None:
        raise NotFound("区域不存在")
    chain: list[int] = []
    while area is not None and area.level != AreaLevel.CITY:
        chain.append(area.id)
        area = session.get(Area, area.parent_id) if area.parent_id else None
    return chain[::-1]


# ----------------------------------------------------------------------------
# Two-way scores per team and month (leaders)
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamScore:
    team_id: int
    team: str
    kind: str
    n: int
    mean_score: float | None
    good_rate: float | None
    reasonable_rate: float | None
    cooperative_rate: float | None
    kind_code: str = ""


KIND_ZH = {
    EvaluationKind.REQUESTER: "群众评价",
    EvaluationKind.STAFF: "工作人员评诉求",
    EvaluationKind.TEAM_SELF: "团队自评",
    EvaluationKind.PEER: "团队互评",
    EvaluationKind.HOUSEHOLD_REP: "户代表评议",
    EvaluationKind.LEADER: "领导评价",
    EvaluationKind.PUBLIC: "公众评价",
}


def team_scores(session: Session, *, actor: Actor, area_id: object, month: object) -> list[TeamScore]:
    """Every kind of evaluation per team for the month, within the leader's scope."""
    if not isinstance(actor, Actor) or actor.role not in (Role.LEADER, Role.ADMIN):
        raise AccessDenied()
    area = session.get(Area, parse_area_id(area_id))
    if area is None:
        raise NotFound("区域不存在")
    if actor.role == Role.LEADER and not area.path.startswith(actor.scope_path or "\0"):
        raise AccessDenied("该区域不在您的管辖范围内")
    m = parse_month(month)
    q = (
        select(
            Team.id,
            Team.name,
            Evaluation.kind,
            func.count(),
            func.avg(Evaluation.score),
            func.sum(_case_int(Evaluation.satisfaction.in_(Satisfaction.GOOD))),
            func.count(Evaluation.satisfaction),
            func.sum(_case_int(Evaluation.reasonable.is_(True))),
            func.count(Evaluation.reasonable),
            func.sum(_case_int(Evaluation.cooperative.is_(True))),
            func.count(Evaluation.cooperative),
        )
        .join(Team, Team.id == Evaluation.team_id)
        .join(Area, Area.id == Team.grid_id)
        .where(Evaluation.period == m, Area.path.startswith(area.path))
        .group_by(Team.id, Team.name, Evaluation.kind)
        .order_by(Team.name, Evaluation.kind)
    )
    out = []
    for tid, name, kind, n, mean, g, gn, r, rn, c, cn in session.exec(q).all():
        out.append(
            TeamScore(
                team_id=tid,
                team=name,
                kind=KIND_ZH.get(kind, kind),
                n=int(n),
                mean_score=round(float(mean), 2) if mean is not None else None,
                good_rate=(int(g or 0) / gn) if gn else None,
                reasonable_rate=(int(r or 0) / rn) if rn else None,
                cooperative_rate=(int(c or 0) / cn) if cn else None,
                kind_code=kind,
            )
        )
    return out


def _case_int(cond):
    return sa_case((cond, 1), else_=0)


# ----------------------------------------------------------------------------
# Public KPIs for /public
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiLine:
    area_id: int
    area: str
    level: str
    period: str  # 本月 / 本年
    accepted: int
    completion_rate: float | None  # the headline 办结率: done ÷ due (see rxapp.domain.metrics)
    on_time_rate: float | None
    satisfaction_rate: float | None


@dataclass(frozen=True)
class TopCategory:
    category: str
    count: int


def kpi_lines(session: Session, *, area_id: object | None = None) -> list[KpiLine]:
    """This month and this year for the area and each of its children."""
    area = city(session) if area_id in (None, "") else session.get(Area, parse_area_id(area_id))
    if area is None:
        raise NotFound("区域不存在")
    d = today()
    periods = (("本月", date(d.year, d.month, 1)), ("本年", date(d.year, 1, 1)))
    areas = [area]
    if area.level in (AreaLevel.CITY, AreaLevel.DISTRICT):
        areas += list(session.exec(select(Area).where(Area.parent_id == area.id).order_by(Area.sort, Area.id)).all())
    lines = []
    for a in areas:
        for label, start in periods:
            k = kpis_public(session, date_from=start, date_to=d, area_id=a.id)
            lines.append(KpiLine(a.id, a.name, a.level, label, k.accepted, k.due_completion_rate, k.on_time_rate, k.satisfaction_rate))
    return lines


def top_categories(session: Session, *, area_id: object | None = None, limit: int = 8, lang: str = DEFAULT_LOCALE) -> list[TopCategory]:
    """The categories residents raised most this year (from the monthly rollup)."""
    area = city(session) if area_id in (None, "") else session.get(Area, parse_area_id(area_id))
    if area is None:
        raise NotFound("区域不存在")
    key = 0 if area.level == AreaLevel.CITY else area.id
    y = today().year
    rows = session.exec(
        select(Category.name_zh, Category.name_en, func.sum(RollupMonth.received))
        .join(Category, Category.id == RollupMonth.category_id)
        .where(RollupMonth.area_id == key, RollupMonth.month >= y * 100 + 1, RollupMonth.month <= y * 100 + 12)
        .group_by(Category.id, Category.name_zh, Category.name_en)
        .order_by(func.sum(RollupMonth.received).desc())
        .limit(limit)
    ).all()
    return [TopCategory(local_name((zh, en), lang), int(n or 0)) for zh, en, n in rows if n]


# ----------------------------------------------------------------------------
# Sunshine party members (阳光党员)
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PartyMemberOverdue:
    member: str  # masked like a resident
    team: str
    overdue: int


def party_members_overdue(session: Session, *, area_id: object | None = None, at: datetime | None = None) -> list[PartyMemberOverdue]:
    """Public list: party members whose linked households (联户) have requests
    open past their deadline. Names masked as residents'."""
    moment = at or now()
    q = (
        select(TeamMember.name, Team.name, func.count(Case.id))
        .join(Household, Household.party_member_id == TeamMember.id)
        .join(Case, Case.requester_household_id == Household.id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.party_member, Case.status.in_(S.OPEN), Case.deadline < moment)
        .group_by(TeamMember.id, TeamMember.name, Team.name)
        .order_by(func.count(Case.id).desc())
        .limit(200)
    )
    if area_id not in (None, ""):
        area = session.get(Area, parse_area_id(area_id))
        if area is None:
            raise NotFound("区域不存在")
        q = q.join(Area, Area.id == Household.grid_id).where(Area.path.startswith(area.path))
    return [PartyMemberOverdue(mask_name(name), team, int(n)) for name, team, n in session.exec(q).all()]



# ----------------------------------------------------------------------------
# Sunshine party members, staff side: the handbook (the requests of the
# households a member is linked to, 联户, and how each was resolved) and the
# monthly assessment by the community committee (leader) or the resident
# representatives (household_rep), stored as Evaluation rows with a period.
# ----------------------------------------------------------------------------
HANDBOOK_ROLES = (Role.LEADER, Role.MEMBER, Role.ADMIN, Role.DISPATCHER)
ASSESS_ROLES = (Role.LEADER, Role.MEMBER, Role.ADMIN)  # a member records the representatives' verdict at a meeting
ASSESS_KINDS = {EvaluationKind.HOUSEHOLD_REP: "户代表评议", EvaluationKind.LEADER: "社区党组织评议"}


@dataclass(frozen=True)
class PartyMemberRow:
    id: int
    name: str
    team: str
    households: int
    open: int = 0  # open requests of the linked households (联户)
    overdue: int = 0  # of those, past their deadline


@dataclass(frozen=True)
class HandbookCase:
    code: str
    household: str
    content: str
    status: str
    result: str
    promise: str
    satisfaction: str


@dataclass(frozen=True)
class Assessment:
    period: str
    kind: str
    score: int | None
    comment: str


@dataclass(frozen=True)
class Handbook:
    member: PartyMemberRow
    cases: list[HandbookCase]
    assessments: list[Assessment]


def _require(actor: object, roles: tuple[str, ...]) -> Actor:
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    if actor.role not in roles:
        raise AccessDenied()
    return actor


def _member_in_scope(session: Session, who: Actor, member_id: object) -> tuple[TeamMember, Team]:
    tm = session.get(TeamMember, parse_area_id(member_id, "member_id"))
    if tm is None or not tm.party_member:
        raise NotFound("党员不存在")
    team = session.get(Team, tm.team_id)
    grid = session.get(Area, team.grid_id) if team else None
    if who.role == Role.MEMBER and who.team_id != tm.team_id:
        raise AccessDenied()
    if who.role != Role.MEMBER and not area_in_scope(who, grid):
        raise AccessDenied()
    return tm, team


def party_members(session: Session, *, actor: Actor, limit: int = 300, at: datetime | None = None) -> list[PartyMemberRow]:
    """The party members in the caller's scope with their linked households and
    those households' open (and overdue) requests, most open first; counted in SQL."""
    who = _require(actor, HANDBOOK_ROLES)
    moment = at or now()
    homes = select(Household.party_member_id.label("pm"), func.count().label("n")).group_by(Household.party_member_id).subquery()
    items = (
        select(
            Household.party_member_id.label("pm"),
            func.count().label("open"),
            func.sum(_case_int(Case.deadline < moment)).label("overdue"),
        )
        .join(Case, Case.requester_household_id == Household.id)
        .where(Case.status.in_(S.OPEN))
        .group_by(Household.party_member_id)
        .subquery()
    )
    q = (
        select(TeamMember.id, TeamMember.name, Team.name, func.coalesce(homes.c.n, 0), func.coalesce(items.c.open, 0), func.coalesce(items.c.overdue, 0))
        .join(Team, Team.id == TeamMember.team_id)
        .join(Area, Area.id == Team.grid_id)
        .outerjoin(homes, homes.c.pm == TeamMember.id)
        .outerjoin(items, items.c.pm == TeamMember.id)
        .where(TeamMember.party_member, TeamMember.active)
    )
    if who.role == Role.MEMBER:
        q = q.where(TeamMember.team_id == (who.team_id or -1))
    elif not who.is_citywide:
        q = q.where(Area.path.startswith(who.scope_path or "\0"))
    q = q.order_by(func.coalesce(items.c.open, 0).desc(), Area.path, TeamMember.id).limit(limit)
    return [PartyMemberRow(int(i), name, team, int(n), int(o), int(d or 0)) for i, name, team, n, o, d in session.exec(q).all()]


def handbook(session: Session, *, actor: Actor, member_id: object) -> Handbook:
    who = _require(actor, HANDBOOK_ROLES)
    tm, team = _member_in_scope(session, who, member_id)
    households = {h.id: h for h in session.exec(select(Household).where(Household.party_member_id == tm.id)).all()}
    cases = session.exec(select(Case).where(Case.requester_household_id.in_(list(households) or [-1])).order_by(Case.submitted_at.desc()).limit(200)).all()
    rows = [
        HandbookCase(
            code=c.code,
            household=households[c.requester_household_id].address if c.requester_household_id in households else "",
            content=c.content[:120],
            status=PUBLIC_STATUS.get(c.status, c.status),
            result=c.result_text or c.reject_reason,
            promise=promise_state(c),
            satisfaction=C.SATISFACTION_ZH.get(c.satisfaction or "", ""),
        )
        for c in cases
    ]
    evals = session.exec(
        select(Evaluation)
        .join(PartyMemberEvaluation, PartyMemberEvaluation.evaluation_id == Evaluation.id)
        .where(PartyMemberEvaluation.team_member_id == tm.id)
        .order_by(Evaluation.period.desc(), Evaluation.id.desc())
    ).all()
    assessments = [Assessment(e.period, ASSESS_KINDS.get(e.kind, e.kind), e.score, e.comment) for e in evals]
    return Handbook(PartyMemberRow(tm.id, tm.name, team.name, len(households)), rows, assessments)


def record_assessment(session: Session, *, actor: Actor, member_id: object, kind: object, period: object, score: object, comment: object = "") -> Evaluation:
    """One monthly assessment of a party member; one per kind and month."""
    who = _require(actor, ASSESS_ROLES)
    tm, team = _member_in_scope(session, who, member_id)
    if kind not in ASSESS_KINDS:
        raise DomainError("评议类型无效", "kind")
    month = parse_month(period)
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError("评分应为1到5分", "score")
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > 500:
        raise DomainError("评议意见不能超过500个字", "comment")
    dup = session.exec(
        select(Evaluation.id)
        .join(PartyMemberEvaluation, PartyMemberEvaluation.evaluation_id == Evaluation.id)
        .where(PartyMemberEvaluation.team_member_id == tm.id, Evaluation.kind == kind, Evaluation.period == month)
    ).first()
    if dup is not None:
        raise DomainError("该党员本月此类评议已录入", "period")
    ev = Evaluation(kind=kind, team_id=team.id, rater_user_id=who.user_id, period=month, score=score, comment=comment.strip(), created_at=now())
    session.add(ev)
    session.flush()
    session.add(PartyMemberEvaluation(evaluation_id=ev.id, team_member_id=tm.id))
    session.commit()
    return ev

__all__ = [
    "handbook",
    "party_members",
    "record_assessment",
    "Board",
    "BoardRow",
    "PublicCaseView",
    "area_children",
    "area_lineage",
    "default_board_community",
    "evaluate_with_code",
    "kpi_lines",
    "live_board",
    "party_members_overdue",
    "public_submit",
    "publish_board",
    "publish_boards",
    "published_board",
    "request_evaluation_code",
    "team_scores",
    "top_categories",
    "track_case",
]
