"""The workbench numbers of one user: counts in their own scope, in SQL."""

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, func
from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_scope_clause
from rxapp.domain.clock import now
from rxapp.i18n import DEFAULT_LOCALE, translate
from rxapp.models import Case, CaseStatus


def missing_schedule_warning(session: Session, *, at: datetime | None = None, lang: str = DEFAULT_LOCALE) -> str:
    """The warning leaders and administrators see while a coming year's
    official holiday schedule has not been entered (deadlines that reach
    into it count Monday–Friday and are marked provisional)."""
    from rxapp.domain.holidays import load_overrides
    from rxapp.domain.workdays import missing_schedule_years

    years = missing_schedule_years((at or now()).date(), 60, load_overrides(session))
    if not years:
        return ""
    listed = translate("notice.year_sep", lang).join(translate("notice.year", lang, year=y) for y in years)
    return translate("notice.schedule_missing", lang, years=listed)


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
