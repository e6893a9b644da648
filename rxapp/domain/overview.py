"""The workbench numbers of one user: counts in their own scope, in SQL."""

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, func
from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_scope_clause
from rxapp.domain.clock import now
from rxapp.models import Case, CaseStatus


@dataclass(frozen=True)
class Overview:
    open_cases: int
    overdue_cases: int
    accepted_today: int
    accepted_this_month: int


def overview(session: Session, *, actor: Actor, at: datetime | None = None) -> Overview:
    t = at or now()
    day_start = datetime.combine(t.date(), time.min)
    month_start = day_start.replace(day=1)
    is_open = Case.status.in_(CaseStatus.OPEN)
    row = session.exec(
        select(
            func.count().filter(is_open),
            func.count().filter(and_(is_open, Case.deadline < t)),
            func.count().filter(Case.accepted_at >= day_start),
            func.count().filter(Case.accepted_at >= month_start),
        ).where(case_scope_clause(actor))
    ).one()
    return Overview(*[int(v or 0) for v in row])
