"""Features of a case at a moment, the same code for training and live scoring.

A case is seen at a snapshot time ``at``: for live scoring now, for training
the middle of its time between acceptance and deadline (only cases still open
then are examples: the others were never at risk). Everything counted is what
was known at ``at``: returns (退单) and extension requests before it, the
department's open load at it, the working time left.

The department's load comes from SQL aggregates (cases accepted and resolved
per department per day), never from loading the cases themselves.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.models import Case, CaseEvent, CaseStatus

CATEGORICAL = ("category", "department", "channel", "season")
NUMERIC = ("days_left", "days_total", "returns", "extensions", "dept_load")
COLUMNS = CATEGORICAL + NUMERIC
SEASONS = {12: "冬", 1: "冬", 2: "冬", 3: "春", 4: "春", 5: "春", 6: "夏", 7: "夏", 8: "夏", 9: "秋", 10: "秋", 11: "秋"}


@dataclass(frozen=True)
class CaseAt:
    """What is known of one case at its snapshot time."""

    case_id: int
    at: datetime
    category_id: int | None
    department_id: int | None
    channel: str
    accepted_at: datetime
    deadline: datetime


def feature_row(c: CaseAt, returns: int, extensions: int, dept_load: int) -> dict:
    return {
        "category": str(c.category_id or 0),
        "department": str(c.department_id or 0),
        "channel": c.channel or "",
        "season": SEASONS[c.at.month],
        "days_left": (c.deadline - c.at).total_seconds() / 86400.0,
        "days_total": (c.deadline - c.accepted_at).total_seconds() / 86400.0,
        "returns": returns,
        "extensions": extensions,
        "dept_load": dept_load,
    }


def event_counts(session: Session, cases: Sequence[CaseAt]) -> dict[int, tuple[int, int]]:
    """case id -> (returns, extension requests) before its snapshot time."""
    out: dict[int, list[int]] = {c.case_id: [0, 0] for c in cases}
    at = {c.case_id: c.at for c in cases}
    ids = list(at)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        rows = session.exec(
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at)
            .where(CaseEvent.case_id.in_(chunk), CaseEvent.action.in_(("return", "request_extension")))
        ).all()
        for cid, action, when in rows:
            if when <= at[cid]:
                out[cid][0 if action == "return" else 1] += 1
    return {cid: (r, e) for cid, (r, e) in out.items()}


class DepartmentLoad:
    """Open cases of each department on each day, from two GROUP BY queries."""

    def __init__(self, session: Session, since: date | None = None):
        accepted_day = func.date(Case.accepted_at)
        resolved_day = func.date(Case.resolved_at)
        q_acc = select(Case.department_id, accepted_day, func.count()).where(Case.accepted_at.is_not(None), Case.department_id.is_not(None))
        q_res = select(Case.department_id, resolved_day, func.count()).where(Case.resolved_at.is_not(None), Case.department_id.is_not(None))
        self._days: dict[int, list[date]] = {}
        self._cum: dict[int, list[int]] = {}
        delta: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for dept, day, n in session.exec(q_acc.group_by(Case.department_id, accepted_day)).all():
            delta[dept][_day(day)] += n
        for dept, day, n in session.exec(q_res.group_by(Case.department_id, resolved_day)).all():
            delta[dept][_day(day)] -= n
        for dept, per_day in delta.items():
            days = sorted(per_day)
            total, cum = 0, []
            for d in days:
                total += per_day[d]
                cum.append(total)
            self._days[dept], self._cum[dept] = days, cum

    def at(self, department_id: int | None, when: datetime) -> int:
        days = self._days.get(department_id or -1)
        if not days:
            return 0
        i = bisect.bisect_right(days, when.date()) - 1
        return max(0, self._cum[department_id][i]) if i >= 0 else 0


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def open_load_now(session: Session) -> dict[int, int]:
    """department id -> open cases now (one GROUP BY)."""
    rows = session.exec(
        select(Case.department_id, func.count()).where(Case.status.in_(CaseStatus.OPEN), Case.department_id.is_not(None))
        .group_by(Case.department_id)
    ).all()
    return {d: n for d, n in rows}


def rows_for(session: Session, cases: Sequence[CaseAt], load: DepartmentLoad | dict[int, int]) -> list[dict]:
    """Feature rows of ``cases``; ``load`` a DepartmentLoad (history) or the open load now."""
    counts = event_counts(session, cases)
    out = []
    for c in cases:
        dept_load = load.at(c.department_id, c.at) if isinstance(load, DepartmentLoad) else load.get(c.department_id, 0)
        r, e = counts[c.case_id]
        out.append(feature_row(c, r, e, dept_load))
    return out


def training_snapshots(session: Session, limit: int) -> tuple[list[CaseAt], list[int]]:
    """Done cases (resolved or closed) with a deadline, seen half-way between
    acceptance and deadline if still open then; label 1 = resolved after the
    deadline. The most recent ``limit`` cases by acceptance (a sample of a big history)."""
    rows = session.exec(
        select(Case.id, Case.category_id, Case.department_id, Case.channel, Case.accepted_at, Case.deadline, Case.resolved_at)
        .where(Case.status.in_(CaseStatus.DONE), Case.accepted_at.is_not(None), Case.deadline.is_not(None), Case.resolved_at.is_not(None))
        .order_by(Case.accepted_at.desc()).limit(limit)
    ).all()
    cases, labels = [], []
    for cid, cat, dept, channel, accepted, deadline, resolved in reversed(rows):
        at = accepted + (deadline - accepted) / 2
        if resolved <= at or deadline <= accepted:
            continue
        cases.append(CaseAt(cid, at, cat, dept, channel, accepted, deadline))
        labels.append(int(resolved > deadline))
    return cases, labels


def open_snapshots(session: Session, where: Iterable = (), at: datetime | None = None, limit: int = 20000) -> list[CaseAt]:
    """Open accepted cases (with a deadline) matching ``where``, seen at ``at``."""
    from rxapp.domain.clock import now

    when = at or now()
    rows = session.exec(
        select(Case.id, Case.category_id, Case.department_id, Case.channel, Case.accepted_at, Case.deadline)
        .where(Case.status.in_((CaseStatus.ACCEPTED, CaseStatus.ROUTED, CaseStatus.IN_PROGRESS)),
               Case.deadline.is_not(None), Case.accepted_at.is_not(None), *where)
        .order_by(Case.deadline).limit(limit)
    ).all()
    return [CaseAt(cid, when, cat, dept, ch, acc, dl) for cid, cat, dept, ch, acc, dl in rows]


def month_before(when: datetime, months: int) -> datetime:
    """``when`` moved back by whole months (day clipped to 28)."""
    y, m = when.year, when.month - months
    while m <= 0:
        y, m = y - 1, m + 12
    return when.replace(year=y, month=m, day=min(when.day, 28))


__all__ = ["CATEGORICAL", "COLUMNS", "NUMERIC", "CaseAt", "DepartmentLoad", "feature_row", "month_before",
           "open_load_now", "open_snapshots", "rows_for", "training_snapshots"]
