"""The dispatchers' 待回访 queue: resolved cases whose requester has not been
contacted since the resolution that stands, oldest resolution first, each
with the day the follow-up is due (``FOLLOW_UP_WORKDAYS`` working days after
resolving, on the working-day calendar).  Read-only; the follow-up itself is
recorded by the case lifecycle (``evaluate`` / ``close``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_scope_clause, require_role
from rxapp.domain.clock import now as clock_now
from rxapp.domain.holidays import load_overrides
from rxapp.domain.queries import BUCKET_LIMIT, CaseRow, _row_query, _to_row, queue_window, text_condition
from rxapp.domain.workdays import add_workdays
from rxapp.models import Case, CaseStatus, Role

FOLLOW_UP_WORKDAYS = 3


def _waiting(who: Actor, text: str | None = None):
    conds = [
        case_scope_clause(who),
        Case.status == CaseStatus.RESOLVED,
        Case.resolved_at.is_not(None),
        or_(Case.followed_up_at.is_(None), Case.followed_up_at < Case.resolved_at),
    ]
    if isinstance(text, str) and text.strip():
        conds.append(text_condition(who, text[:100]))
    return conds


def follow_up_queue(
    session: Session, *, actor: Actor, now: datetime | None = None, limit: int = BUCKET_LIMIT, offset: int = 0, text: str | None = None
) -> list[CaseRow]:
    """Resolved, not yet followed up, oldest resolution first; a row's
    ``deadline`` is the follow-up's due time (``overdue`` once it has passed).
    ``limit`` rows from ``offset`` (paged in SQL), those ``text`` matches if given."""
    who = require_role(actor if isinstance(actor, Actor) else None, Role.DISPATCHER, Role.ADMIN)
    limit, offset = queue_window(limit, offset)
    at = now or clock_now()
    overrides = load_overrides(session)
    stmt = (
        _row_query()
        .add_columns(Case.resolved_at)
        .where(*_waiting(who, text))
        .order_by(Case.resolved_at.asc(), Case.id.asc())
        .offset(offset)
        .limit(limit)
    )
    out = []
    for r in session.exec(stmt).all():
        due = add_workdays(r[-1], FOLLOW_UP_WORKDAYS, overrides).due
        out.append(replace(_to_row(r, at), deadline=due, overdue=due < at))
    return out


def follow_up_count(session: Session, *, actor: Actor, text: str | None = None) -> int:
    """How many cases wait for their follow-up (the tab's count, not capped)."""
    who = require_role(actor if isinstance(actor, Actor) else None, Role.DISPATCHER, Role.ADMIN)
    return int(session.exec(select(func.count()).select_from(Case).where(*_waiting(who, text))).one())
