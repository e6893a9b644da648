"""Inbound SMS: a resident's text becomes a case (channel ``sms``), and a
reply ``评价 ZS202611260001 满意 [1-5]`` scores a resolved case.

Idempotent on the provider's message id: the inbound ``Sms`` row (unique per
direction and ``provider_msg_id``) is written in the same transaction as the
case, so a retried delivery finds the row and answers the same outcome
without a second case or a second reply.  The code is answered by the SMS
``submit_case`` itself queues (``reply_code``, or ``accepted`` when the
system accepted at once) — nothing is queued here.

Grid choice (every case needs one), through the address index of the one
resolver (``rxapp.domain.geo``): a road, grid or community named in the text;
else the grid of a household or resident with this phone; else of the last
case from this phone; else a township or district named in the text; else
``GRIDDESK_INTAKE_GRID``; else the first grid of the city (a dispatcher sees
the case in triage either way)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from rxapp.domain.cases import SATISFACTION_ZH, evaluate_case_by_requester, submit_case
from rxapp.domain.errors import DomainError
from rxapp.domain.geo.address import ROAD, address_index
from rxapp.domain.geo.resolve import triage_grid
from rxapp.domain.sms import validate_mobile
from rxapp.models import Area, AreaLevel, Case, Channel, Household, Resident, Satisfaction, Sms

MAX_TEXT = 1000
PRECISE_LEVELS = (ROAD, AreaLevel.GRID, AreaLevel.COMMUNITY)  # an address in the text beats the sender's home
MAX_MESSAGE_ID = 64
_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")
_MESSAGE_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
# “评价 ZS202611260001 满意 5”; the resolved notice also suggests “ZS… 满意” without 评价
EVALUATION_RE = re.compile(r"^\s*(?:评价)?\s*(ZS\d{12,16})\s*[，,:：]?\s*(满意|基本满意|不满意)\s*([1-5])?\s*分?\s*$", re.IGNORECASE)
SATISFACTION_OF = {zh: key for key, zh in SATISFACTION_ZH.items()}
DEFAULT_SCORE = {Satisfaction.SATISFIED: 5, Satisfaction.BASIC: 4, Satisfaction.UNSATISFIED: 2}

OUTCOME_CASE = "case"
OUTCOME_EVALUATED = "evaluated"
OUTCOME_REFUSED = "refused"


@dataclass(frozen=True)
class InboundResult:
    outcome: str  # case / evaluated / refused
    case_code: str | None
    message: str
    duplicate: bool = False  # a retried delivery of a message already handled


def _clean(sender: object, text: object, message_id: object) -> tuple[str, str, str]:
    phone = validate_mobile(sender) if isinstance(sender, str) else validate_mobile(None)
    if not isinstance(text, str) or not text.strip():
        raise DomainError("短信内容不能为空", "text")
    body = " ".join(_CONTROL_RE.sub(" ", text).split())  # PostgreSQL refuses NUL in text
    if not body:
        raise DomainError("短信内容不能为空", "text")
    if len(body) > MAX_TEXT:
        raise DomainError(f"短信内容不能超过{MAX_TEXT}个字", "text")
    if not isinstance(message_id, str) or not _MESSAGE_ID_RE.match(message_id.strip()):
        raise DomainError("message_id 应为1到64个可见ASCII字符", "message_id")
    return phone, body, message_id.strip()


def _replay(session: Session, row: Sms) -> InboundResult:
    code = session.get(Case, row.case_id).code if row.case_id else None
    outcome = row.template or OUTCOME_CASE
    return InboundResult(outcome, code, row.last_error or "已处理", duplicate=True)


def _find(session: Session, message_id: str) -> Sms | None:
    return session.exec(select(Sms).where(Sms.direction == "in", Sms.provider_msg_id == message_id)).first()


def intake_grid(session: Session, phone: str, text: str) -> Area:
    """The grid of an SMS request (see the module docstring)."""
    named = address_index(session).match(text)
    if named is not None and named.grid_id is not None and named.level in PRECISE_LEVELS:
        return session.get(Area, named.grid_id)
    hh = session.exec(select(Household.grid_id).where(Household.phone == phone).limit(1)).first()
    grid_id = hh or session.exec(select(Resident.grid_id).where(Resident.phone == phone).limit(1)).first()
    if grid_id is None:
        grid_id = session.exec(
            select(Case.grid_id).where(Case.requester_phone == phone, Case.grid_id.is_not(None)).order_by(Case.id.desc()).limit(1)
        ).first()
    if grid_id is None:
        grid_id = named.grid_id if named is not None and named.grid_id is not None else triage_grid(session)
    return session.get(Area, grid_id)


def receive_sms(session: Session, *, sender: object, text: object, message_id: object, received_at: datetime | None = None) -> InboundResult:
    """Handle one inbound message exactly once (see the module doc)."""
    phone, body, msg_id = _clean(sender, text, message_id)
    found = _find(session, msg_id)
    if found is not None:
        return _replay(session, found)
    from rxapp.domain.clock import now

    row = Sms(
        direction="in",
        phone=phone,
        text=body,
        status="received",
        provider="webhook",
        provider_msg_id=msg_id,
        created_at=received_at or now(),
        sent_at=None,
    )
    try:
        session.add(row)
        session.flush()  # the unique (direction, provider_msg_id) claims the message
        match = EVALUATION_RE.match(body)
        result = _evaluate(session, row, phone, match) if match else _new_case(session, row, phone, body)
        session.commit()
        return result
    except IntegrityError:
        session.rollback()
        found = _find(session, msg_id)
        if found is None:
            raise
        return _replay(session, found)
    except BaseException:
        session.rollback()
        raise


def _new_case(session: Session, row: Sms, phone: str, body: str) -> InboundResult:
    if len(body) < 2:
        raise DomainError("短信内容至少2个字", "text")
    grid = intake_grid(session, phone, body)
    data = {"content": body, "requester_phone": phone, "grid_id": grid.id, "source_ref": f"sms:{row.provider_msg_id}"}
    kept = {k: getattr(row, k) for k in ("direction", "phone", "text", "status", "provider", "provider_msg_id", "created_at")}
    row_id = row.id
    case = submit_case(session, actor=None, data=data, channel=Channel.SMS)  # commits row and case together
    # submit_case re-runs itself after a busy SQLite rollback, which takes the row with it
    row = session.get(Sms, row_id) or Sms(**kept)
    row.case_id, row.template, row.last_error = case.id, OUTCOME_CASE, f"已受理为诉求{case.code}"
    session.add(row)
    return InboundResult(OUTCOME_CASE, case.code, row.last_error)


def _refuse(session: Session, row: Sms, message: str, case: Case | None = None) -> InboundResult:
    row.template, row.last_error = OUTCOME_REFUSED, message[:255]
    row.case_id = case.id if case else None
    session.add(row)
    return InboundResult(OUTCOME_REFUSED, case.code if case else None, message)


def _evaluate(session: Session, row: Sms, phone: str, match: re.Match[str]) -> InboundResult:
    code, verdict, score = match.group(1).upper(), match.group(2), match.group(3)
    satisfaction = SATISFACTION_OF[verdict]
    case = session.exec(select(Case).where(Case.code == code)).first()
    # the same answer for an unknown code and someone else's case: no probing
    if case is None or not case.requester_phone or case.requester_phone != phone:
        return _refuse(session, row, "只能由诉求人本人手机评价自己的诉求")
    points = int(score) if score else DEFAULT_SCORE[satisfaction]
    case_id, version = case.id, case.version
    kept = {k: getattr(row, k) for k in ("direction", "phone", "text", "status", "provider", "provider_msg_id", "created_at")}
    try:
        evaluated = evaluate_case_by_requester(session, case_id=case_id, expected_version=version, satisfaction=satisfaction, score=points, comment="短信评价")
    except DomainError as exc:
        session.rollback()
        row = Sms(**kept)  # the refusal is recorded, so a retried delivery gets the same answer
        session.add(row)
        session.flush()
        return _refuse(session, row, exc.message, session.get(Case, case_id))
    row = session.get(Sms, row.id)
    row.case_id, row.template, row.last_error = evaluated.id, OUTCOME_EVALUATED, f"已记录评价：{verdict}，{points}分"
    session.add(row)
    return InboundResult(OUTCOME_EVALUATED, evaluated.code, row.last_error)
