"""At intake: who is calling, and is it already known.

* ``caller_history`` — a phone's earlier cases (status, date, category), the
  way a 12345 seat sees a returning caller;
* ``possible_duplicates`` — open cases of the last 30 days from the same
  phone, or with a similar text (the detector's ``similarity``) in the same
  community as the chosen grid;
* ``link_new_case`` — the new case, once taken, marked a duplicate of the one
  chosen (dispatchers, administrators, through ``mark_duplicate``), or for a
  grid member an internal note asking the dispatcher to check.

Everything is filtered by the caller's scope (``case_scope_clause``): a
member sees only their grid's cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from rxapp.domain import cases as lifecycle
from rxapp.domain.access import Actor, case_scope_clause
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.hotspots.concepts import concepts
from rxapp.domain.hotspots.detector import DEFAULT, strip_places
from rxapp.domain.hotspots.similarity import cosine, vector
from rxapp.domain.validate import int_field
from rxapp.models import Area, Case, CaseStatus, Category, HotspotCase, Role

S = CaseStatus
ASSIST_ROLES = (Role.DISPATCHER, Role.MEMBER, Role.ADMIN)
WINDOW = timedelta(days=30)
MAX_ROWS = 10
# Text alone: the cosine at which two requests read as one matter (the detector's threshold before
# the concept lexicon); texts naming one incident concept need only the detector's own low bar.
TEXT_THRESHOLD = 0.12


@dataclass(frozen=True)
class KnownCase:
    code: str
    status: str
    submitted: str
    category: str
    content: str
    reason: str  # "phone" / "text"
    hotspot_id: int | None = None


def _check(actor: object) -> Actor:
    if actor is None:
        raise AccessDenied("请先登录")
    if not isinstance(actor, Actor) or actor.role not in ASSIST_ROLES:
        raise AccessDenied()
    return actor


def _phone(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    digits = value.strip().replace(" ", "").replace("-", "")
    return digits if 7 <= len(digits) <= 20 and digits.isdigit() else None


def _rows(session: Session, stmt, reason: str) -> list[KnownCase]:
    cats = dict(session.exec(select(Category.id, Category.name_zh)).all())
    out = []
    for c, hid in session.exec(stmt).all():
        out.append(KnownCase(c.code, lifecycle.STATUS_ZH.get(c.status, c.status), c.submitted_at.strftime("%Y-%m-%d"),
                             cats.get(c.category_id, ""), c.content[:60], reason, hid))
    return out


def caller_history(session: Session, *, actor: object, phone: object, limit: int = MAX_ROWS) -> list[KnownCase]:
    who = _check(actor)
    number = _phone(phone)
    if number is None:
        return []
    stmt = (
        select(Case, HotspotCase.hotspot_id).outerjoin(HotspotCase, HotspotCase.case_id == Case.id)
        .where(Case.requester_phone == number, case_scope_clause(who))
        .order_by(Case.submitted_at.desc()).limit(limit)
    )
    return _rows(session, stmt, "phone")


def possible_duplicates(session: Session, *, actor: object, text: object, phone: object = None, grid_id: object = None,
                        limit: int = MAX_ROWS) -> list[KnownCase]:
    who = _check(actor)
    content = text.strip() if isinstance(text, str) else ""
    number = _phone(phone)
    community_id = None
    if grid_id not in (None, "", "none"):
        grid = session.get(Area, int_field(grid_id, "grid_id", "网格无效"))
        community_id = grid.parent_id if grid is not None else None
    if not number and (len(content) < 4 or community_id is None):
        return []
    since = now() - WINDOW
    place = []
    if number:
        place.append(Case.requester_phone == number)
    if community_id is not None and len(content) >= 4:
        place.append(Case.community_id == community_id)
    stmt = (
        select(Case, HotspotCase.hotspot_id).outerjoin(HotspotCase, HotspotCase.case_id == Case.id)
        .where(Case.submitted_at >= since, Case.status.in_(S.OPEN), case_scope_clause(who), or_(*place))
        .order_by(Case.submitted_at.desc()).limit(400)
    )
    names = tuple(n for n in (session.get(Area, community_id).name if community_id else "",) if n)
    mine = strip_places(content, names)
    v, my_concepts = (vector(mine), concepts(mine)) if content else ({}, frozenset())
    scored = []
    cats = dict(session.exec(select(Category.id, Category.name_zh)).all())
    for c, hid in session.exec(stmt).all():
        same_phone = bool(number) and c.requester_phone == number
        theirs = strip_places(c.content, names)
        sim = cosine(v, vector(theirs)) if v else 0.0
        if same_phone or sim >= TEXT_THRESHOLD or (sim >= DEFAULT.threshold and my_concepts & concepts(theirs)):
            scored.append((same_phone, sim, KnownCase(
                c.code, lifecycle.STATUS_ZH.get(c.status, c.status), c.submitted_at.strftime("%Y-%m-%d"),
                cats.get(c.category_id, ""), c.content[:60], "phone" if same_phone else "text", hid)))
    scored.sort(key=lambda x: (-x[1], not x[0]))
    return [k for _, _, k in scored[:limit]]


def link_new_case(session: Session, *, actor: object, content: object, duplicate_of_code: object) -> Case | None:
    """After intake: the case this actor has just taken (same text, last 10
    minutes) is linked to ``duplicate_of_code``.  Dispatchers and
    administrators mark it a duplicate; a member leaves a note for them."""
    who = _check(actor)
    code = duplicate_of_code.strip().upper() if isinstance(duplicate_of_code, str) else ""
    if not lifecycle.CODE_RE.match(code):
        raise DomainError("原诉求编号格式不正确", "duplicate_of_code")
    text = content.strip() if isinstance(content, str) else ""
    new = session.exec(
        select(Case).where(Case.created_by_user_id == who.user_id, Case.content == text,
                           Case.submitted_at >= now() - timedelta(minutes=10), Case.code != code)
        .order_by(Case.id.desc())
    ).first()
    if new is None:
        return None
    if who.role in (Role.DISPATCHER, Role.ADMIN) and new.status in S.OPEN:
        return lifecycle.mark_duplicate(session, actor=who, case_id=new.id, expected_version=new.version, duplicate_of_code=code)
    return lifecycle.add_note(session, actor=who, case_id=new.id, expected_version=new.version,
                              note=f"受理时发现可能与诉求{code}重复，请受理员核实后合并办理")
