"""Dashboard rollups: additive counters kept exactly in step with the cases.

The dashboard never scans the cases table for its period figures: it sums a
few hundred rollup rows (``rxapp.models`` → ``RollupMonth``, ``RollupDay``,
``RollupOverdue``, ``RollupTeam``, ``RollupTeamFilter`` (the team counters per
category and department), ``RollupHandling`` (per area, month, category,
department and bin), ``CaseHandling``).  This module is the one
place that says what each counter means:

* :func:`contribution` — what one case adds to every rollup, a pure function of
  the case's columns (and the working-day calendar);
* :func:`apply_case_change` — applies ``contribution(after) − contribution(before)``
  with ``INSERT … ON CONFLICT DO UPDATE SET x = x + :d`` inside the caller's
  transaction (SQLite ≥ 3.24 and PostgreSQL), so the rollups commit or roll
  back with the case change itself;
* :func:`rebuild_rollups` — recomputes everything from the cases table
  (``INSERT … SELECT … GROUP BY``; only the handling times are computed in
  Python, streamed in id order), after bulk seeding or as a repair tool.  The
  property test proves rollups maintained change by change equal a rebuild.

Definitions (one per KPI, used by the dashboard, the public API and the tests):

* **accepted** (受理): ``accepted_at`` is set and the status is neither
  ``rejected`` nor ``duplicate`` (a case marked duplicate after acceptance
  leaves the cohort).  Every cohort counter below counts only accepted cases
  and is keyed by the *accept* month / day, in local time (the cohort).
* **done** (办结): status ``resolved`` or ``closed`` now.
* **resolved**: done with a resolution time ``done_at = coalesce(resolved_at,
  closed_at)``.  ``resolved_at`` is the resolution that stands: a case
  reopened after 不满意 and resolved again counts with its second resolution.
* **on_time**: resolved and ``done_at <= deadline``, the case's current
  deadline (an approved extension moves it; reopening sets a fresh one); no
  deadline counts as on time.
* **followed_up** (回访): resolved and ``followed_up_at >= done_at`` (a contact
  after the resolution that stands).
* **evaluated**: ``satisfaction`` is one of satisfied / basic / unsatisfied
  (the latest verdict on the case); **scored** / **score_sum**: evaluated with
  a score.
* **handling time**: working time from ``accepted_at`` to ``done_at``
  (:func:`rxapp.domain.workdays.workdays_between`), kept in whole working
  seconds (``handling_secs``, exact sums) and in bins of a quarter working day
  (``bin = secs // 21600``, bins ≥ 240 = 60 working days merged), so a
  percentile read from the histogram is exact to the bin: the dashboard
  reports the bin's midpoint, within ±0.125 working day of the true value.
* **due** (应办结, the headline 办结率's cohort; ``RollupOverdue``): every
  accepted case with a deadline, keyed by the deadline's day; **due_done**:
  of those, done now.  The cases due in a period [s, e] are those keyed on
  s … e plus the earlier ones not done (Σ due − due_done before s).
* **received** (来件): every case, any outcome, keyed by ``submitted_at``.
* **done_in**: resolved cases keyed by ``done_at`` (throughput of a month).
* **overdue flow** (day rollup, and per category and department in
  ``RollupOverdue``): ``overdue_in`` +1 on the deadline day of
  every accepted case that is not resolved by its deadline (still open, or
  resolved late); ``overdue_out`` +1 on the day a late case was resolved.  The
  running sum ``Σ overdue_in − Σ overdue_out`` over days ≤ D is the number of
  cases overdue at the end of day D (judged on today's deadlines and statuses).

Every counter is kept three times per key: ``area_id`` 0 (every case of the
city, with or without an area), the case's district and its township.  The
handling times depend on the holiday schedule: after an administrator edits
a year's schedule, run :func:`rebuild_rollups` to re-measure old cases.
"""

from __future__ import annotations

import time as _timer
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, cast, delete, func, literal, select, text
from sqlalchemy import case as sql_case
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from rxapp.domain.holidays import load_overrides
from rxapp.domain.workdays import YearSchedule, is_workday, workdays_between
from rxapp.models import (
    Case,
    CaseHandling,
    CaseStatus,
    RollupDay,
    RollupHandling,
    RollupMonth,
    RollupOverdue,
    RollupTeam,
    RollupTeamFilter,
    Satisfaction,
)

__all__ = [
    "CITY",
    "BIN_SECS",
    "LAST_BIN",
    "CASE_FIELDS",
    "snapshot",
    "contribution",
    "apply_case_change",
    "apply_new_cases",
    "rebuild_rollups",
    "handling_secs",
    "bin_of",
    "bin_value",
    "day_key",
    "month_key",
    "load_overrides",
]

CITY = 0
DAY_SECS = 86400
BIN_SECS = DAY_SECS // 4  # a quarter of a working day
LAST_BIN = 240  # 60 working days and longer
EXCLUDED = (CaseStatus.REJECTED, CaseStatus.DUPLICATE)

#: The case columns a contribution reads (what :func:`snapshot` keeps).
CASE_FIELDS = (
    "id",
    "status",
    "submitted_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "deadline",
    "satisfaction",
    "score",
    "followed_up_at",
    "reopen_count",
    "extended",
    "category_id",
    "department_id",
    "district_id",
    "township_id",
    "community_id",
    "grid_id",
    "team_id",
)

COHORT = (
    "accepted",
    "done",
    "resolved",
    "on_time",
    "followed_up",
    "evaluated",
    "satisfied",
    "basic",
    "unsatisfied",
    "scored",
    "score_sum",
    "handling_secs",
    "reopened",
    "extended",
)
MONTH_COLS = COHORT + ("received", "done_in")
DAY_COLS = COHORT + ("received", "done_in", "overdue_in", "overdue_out")
TEAM_COLS = ("accepted", "done", "resolved", "on_time", "followed_up", "evaluated", "good", "scored", "score_sum")
TEAM_FILTER_COLS = ("accepted", "done", "resolved", "on_time")  # what a filtered ranking reads
HANDLING_COLS = ("day", "district_id", "township_id", "community_id", "grid_id", "team_id", "category_id", "department_id", "secs", "bin")

# table -> (key columns, counter columns), in the order rows are locked
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rollupmonth": (("area_id", "month", "category_id", "department_id"), MONTH_COLS),
    "rollupday": (("area_id", "day"), DAY_COLS),
    "rollupoverdue": (("area_id", "category_id", "day", "department_id"), ("overdue_in", "overdue_out", "due", "due_done")),
    "rollupteam": (("month", "team_id", "grid_id", "community_id", "township_id", "district_id"), TEAM_COLS),
    "rolluphandling": (("area_id", "month", "category_id", "department_id", "bin"), ("n",)),
    "rollupteamfilter": (
        ("category_id", "month", "department_id", "team_id", "grid_id", "community_id", "township_id", "district_id"),
        TEAM_FILTER_COLS,
    ),
}
MODELS = {
    "rollupmonth": RollupMonth,
    "rollupday": RollupDay,
    "rollupoverdue": RollupOverdue,
    "rollupteam": RollupTeam,
    "rolluphandling": RollupHandling,
    "rollupteamfilter": RollupTeamFilter,
}

Contribution = dict[str, dict[tuple, dict[str, int]]]


# ----------------------------------------------------------------------------
# Keys and bins
# ----------------------------------------------------------------------------
def day_key(t: datetime) -> int:
    return t.year * 10000 + t.month * 100 + t.day


def month_key(t: datetime) -> int:
    return t.year * 100 + t.month


class WorkClock:
    """Working time between two local times, in whole seconds, on one
    calendar (``overrides``): the rule of
    :func:`rxapp.domain.workdays.workdays_between` (the part of the interval
    lying on working days) in integer microseconds, rounded half up to the
    second once — so a rebuild and a change-by-change update agree exactly.
    Per-day facts are cached: a rebuild measures a million cases quickly."""

    def __init__(self, overrides: Mapping[int, YearSchedule] | None = None):
        self.overrides = overrides
        self._work: dict[int, bool] = {}
        self._full: dict[tuple[int, int], int] = {}

    def is_work(self, d: date) -> bool:
        o = d.toordinal()
        hit = self._work.get(o)
        if hit is None:
            hit = self._work[o] = is_workday(d, self.overrides)
        return hit

    def full_days(self, first: date, last: date) -> int:
        """Working days strictly between ``first`` and ``last``."""
        key = (first.toordinal(), last.toordinal())
        hit = self._full.get(key)
        if hit is None:
            lo = datetime.combine(first + timedelta(days=1), time.min)
            hi = datetime.combine(last, time.min)
            hit = self._full[key] = int(round(workdays_between(lo, hi, self.overrides))) if hi > lo else 0
        return hit

    def secs(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return 0
        sd, ed = start.date(), end.date()
        if sd == ed:
            us = _micros(end - start) if self.is_work(sd) else 0
        else:
            us = self.full_days(sd, ed) * DAY_SECS * 1_000_000
            if self.is_work(sd):
                us += _micros(datetime.combine(sd + timedelta(days=1), time.min) - start)
            if self.is_work(ed):
                us += _micros(end - datetime.combine(ed, time.min))
        return (us + 500_000) // 1_000_000

    def on_offsets(self, origin: date, days: int):
        """``secs(a, b)`` for times given as whole seconds after ``origin``'s
        midnight, for days ``0 … days - 1`` after ``origin``: the same value
        as :meth:`secs` on the datetimes (the bulk seed measures its cases
        with it without making datetimes).  The working days strictly between
        two days are read from a running count of this clock's working days."""
        work = [self.is_work(origin + timedelta(days=i)) for i in range(days)]
        before = [0] * (days + 1)  # before[i]: working days among 0 … i - 1
        for i, w in enumerate(work):
            before[i + 1] = before[i] + w

        def secs(a: int, b: int) -> int:
            if b <= a:
                return 0
            da, db = a // DAY_SECS, b // DAY_SECS
            if da == db:
                return b - a if work[da] else 0
            s = (before[db] - before[da + 1]) * DAY_SECS
            if work[da]:
                s += (da + 1) * DAY_SECS - a
            if work[db]:
                s += b - db * DAY_SECS
            return s

        return secs


def _micros(delta: timedelta) -> int:
    return (delta.days * DAY_SECS + delta.seconds) * 1_000_000 + delta.microseconds


def handling_secs(accepted_at: datetime, done_at: datetime, overrides: Mapping[int, YearSchedule] | None = None) -> int:
    """Working seconds from acceptance to resolution (0 if not after)."""
    return WorkClock(overrides).secs(accepted_at, done_at)


def bin_of(secs: int) -> int:
    return min(max(secs, 0) // BIN_SECS, LAST_BIN)


def bin_value(b: int) -> float:
    """The working days a bin stands for: its midpoint (the true value is within ±0.125)."""
    return (b + 0.5) * BIN_SECS / DAY_SECS


# ----------------------------------------------------------------------------
# One case's contribution
# ----------------------------------------------------------------------------
def snapshot(case: Any) -> dict[str, Any]:
    """The columns of ``case`` a contribution depends on, to pass as ``before``
    (take it before changing the case)."""
    if isinstance(case, Mapping):
        return {f: case.get(f) for f in CASE_FIELDS}
    return {f: getattr(case, f, None) for f in CASE_FIELDS}


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    raise TypeError(f"not a datetime: {value!r}")


def _id(value: Any) -> int:
    return int(value) if value else 0


def _is_resolved(row: Mapping[str, Any]) -> bool:
    return (
        row.get("accepted_at") is not None
        and row.get("status") in CaseStatus.DONE
        and (row.get("resolved_at") is not None or row.get("closed_at") is not None)
    )


def contribution(case_row: Any, overrides: Mapping[int, YearSchedule] | WorkClock | None = None) -> Contribution:
    """What one case adds to the rollups: ``{table: {key: {counter: n}}}``,
    plus ``{"casehandling": {(case_id,): row}}`` for a resolved case.

    A pure function of the case's columns (a ``Case``, a mapping or a
    :func:`snapshot`) and the working-day calendar ``overrides``."""
    r = snapshot(case_row)
    out: Contribution = {table: {} for table in TABLES}
    out["casehandling"] = {}
    month_rows, day_rows = out["rollupmonth"], out["rollupday"]

    def add(rows: dict, key: tuple, values: Mapping[str, int]) -> None:
        acc = rows.setdefault(key, {})
        for col, n in values.items():
            if n:
                acc[col] = acc.get(col, 0) + n

    district, township = _id(r["district_id"]), _id(r["township_id"])
    areas = [CITY] + [a for a in (district, township) if a]
    cat, dept = _id(r["category_id"]), _id(r["department_id"])
    status = r["status"]

    submitted = _ts(r["submitted_at"])
    if submitted is not None:
        for a in areas:
            add(month_rows, (a, month_key(submitted), cat, dept), {"received": 1})
            add(day_rows, (a, day_key(submitted)), {"received": 1})

    accepted_at = _ts(r["accepted_at"])
    if accepted_at is None or status in EXCLUDED:
        return out

    done = status in CaseStatus.DONE
    done_at = (_ts(r["resolved_at"]) or _ts(r["closed_at"])) if done else None
    resolved = done_at is not None
    deadline = _ts(r["deadline"])
    on_time = resolved and (deadline is None or done_at <= deadline)
    followed_at = _ts(r["followed_up_at"])
    followed = resolved and followed_at is not None and followed_at >= done_at
    sat = r["satisfaction"] if r["satisfaction"] in Satisfaction.ALL else None
    score = r["score"] if sat is not None and r["score"] is not None else None
    clock = overrides if isinstance(overrides, WorkClock) else WorkClock(overrides)
    secs = clock.secs(accepted_at, done_at) if resolved else 0
    counters = {
        "accepted": 1,
        "done": int(done),
        "resolved": int(resolved),
        "on_time": int(on_time),
        "followed_up": int(followed),
        "evaluated": int(sat is not None),
        "satisfied": int(sat == Satisfaction.SATISFIED),
        "basic": int(sat == Satisfaction.BASIC),
        "unsatisfied": int(sat == Satisfaction.UNSATISFIED),
        "scored": int(score is not None),
        "score_sum": int(score or 0),
        "handling_secs": secs,
        "reopened": int((r["reopen_count"] or 0) > 0),
        "extended": int(bool(r["extended"])),
    }
    m, d = month_key(accepted_at), day_key(accepted_at)
    for a in areas:
        add(month_rows, (a, m, cat, dept), counters)
        add(day_rows, (a, d), counters)
    team, grid, community = _id(r["team_id"]), _id(r["grid_id"]), _id(r["community_id"])
    team_key = (m, team, grid, community, township, district)
    add(out["rollupteamfilter"], (cat, m, dept, team, grid, community, township, district), {c: counters[c] for c in TEAM_FILTER_COLS})
    add(
        out["rollupteam"],
        team_key,
        {
            "accepted": 1,
            "done": counters["done"],
            "resolved": counters["resolved"],
            "on_time": counters["on_time"],
            "followed_up": counters["followed_up"],
            "evaluated": counters["evaluated"],
            "good": counters["satisfied"] + counters["basic"],
            "scored": counters["scored"],
            "score_sum": counters["score_sum"],
        },
    )
    if resolved:
        b = bin_of(secs)
        for a in areas:
            add(out["rolluphandling"], (a, m, cat, dept, b), {"n": 1})
            add(month_rows, (a, month_key(done_at), cat, dept), {"done_in": 1})
            add(day_rows, (a, day_key(done_at)), {"done_in": 1})
        if r["id"] is None:
            raise ValueError("a resolved case needs its id (flush it first)")
        out["casehandling"][(int(r["id"]),)] = {
            "day": d,
            "district_id": district,
            "township_id": township,
            "community_id": _id(r["community_id"]),
            "grid_id": _id(r["grid_id"]),
            "team_id": _id(r["team_id"]),
            "category_id": cat,
            "department_id": dept,
            "secs": secs,
            "bin": b,
        }
    if deadline is not None:
        for a in areas:
            add(out["rollupoverdue"], (a, cat, day_key(deadline), dept), {"due": 1, "due_done": int(done)})
    if deadline is not None and (not done or (resolved and done_at > deadline)):
        for a in areas:
            add(day_rows, (a, day_key(deadline)), {"overdue_in": 1})
            add(out["rollupoverdue"], (a, cat, day_key(deadline), dept), {"overdue_in": 1})
            if resolved:
                add(day_rows, (a, day_key(done_at)), {"overdue_out": 1})
                add(out["rollupoverdue"], (a, cat, day_key(done_at), dept), {"overdue_out": 1})
    return out


# ----------------------------------------------------------------------------
# Applying a change
# ----------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _upsert_sql(table: str, used: tuple[str, ...], n_rows: int, mark: str) -> str:
    """A multi-row ``INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c``
    (one round trip per table).  Every counter is inserted (NOT NULL, no
    server default); only the ``used`` ones are added to."""
    keys, every = TABLES[table]
    row = "(" + ", ".join([mark] * len(keys) + [mark if c in used else "0" for c in every]) + ")"
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in used)
    return (
        f"INSERT INTO {table} ({', '.join(keys + every)}) VALUES {', '.join([row] * n_rows)} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


def _mark(session: Session) -> str:
    return "%s" if session.get_bind().dialect.name == "postgresql" else "?"


_HANDLING_SQL = (
    "INSERT INTO casehandling (case_id, " + ", ".join(HANDLING_COLS) + ") VALUES ({marks}) "
    "ON CONFLICT (case_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in HANDLING_COLS)
)


_EMPTY: Contribution = {**{table: {} for table in TABLES}, "casehandling": {}}


def difference(after: Contribution, before: Contribution) -> dict[str, dict[tuple, dict[str, int]]]:
    """``after − before`` per table and key, without zero counters or empty rows."""
    out: dict[str, dict[tuple, dict[str, int]]] = {}
    for table in TABLES:
        a, b = after[table], before[table]
        rows = {}
        for key in a.keys() | b.keys():
            ra, rb = a.get(key, {}), b.get(key, {})
            delta = {c: ra.get(c, 0) - rb.get(c, 0) for c in ra.keys() | rb.keys()}
            delta = {c: n for c, n in delta.items() if n}
            if delta:
                rows[key] = delta
        out[table] = rows
    return out


def apply_case_change(
    session: Session,
    before: Mapping[str, Any] | None,
    after: Case | Mapping[str, Any] | None,
    *,
    overrides: Mapping[int, YearSchedule] | None = None,
) -> None:
    """Bring the rollups from ``before`` (a :func:`snapshot` taken before the
    change, or None for a new case) to ``after`` (the case now, or None).

    Runs in the caller's transaction; nothing is committed here.  Rows are
    touched in a fixed order (table, then key) so concurrent writers on
    PostgreSQL queue on the hot city rows instead of deadlocking."""
    if before is None and after is None:
        return
    b = snapshot(before) if before is not None else None
    a = snapshot(after) if after is not None else None
    if overrides is None and ((a is not None and _is_resolved(a)) or (b is not None and _is_resolved(b))):
        overrides = load_overrides(session)
    ca = contribution(a, overrides) if a is not None else _EMPTY
    cb = contribution(b, overrides) if b is not None else _EMPTY
    _write(session, difference(ca, cb), ca["casehandling"], cb["casehandling"])


def apply_new_cases(session: Session, rows: list[Mapping[str, Any]], *, overrides: Mapping[int, YearSchedule] | None = None) -> None:
    """What ``apply_case_change(None, row)`` does for each of ``rows`` (new
    cases, with their ids), summed first: one upsert per table for a whole
    batch of intake."""
    if not rows:
        return
    snaps = [snapshot(r) for r in rows]
    if overrides is None and any(_is_resolved(s) for s in snaps):
        overrides = load_overrides(session)
    clock = WorkClock(overrides)
    total: Contribution = {table: {} for table in TABLES}
    handling: dict[tuple, dict[str, int]] = {}
    for s in snaps:
        c = contribution(s, clock)
        for table in TABLES:
            acc = total[table]
            for key, counters in c[table].items():
                row = acc.setdefault(key, {})
                for col, n in counters.items():
                    row[col] = row.get(col, 0) + n
        handling.update(c["casehandling"])
    _write(session, difference(total, _EMPTY), handling, {})


def _write(session: Session, diff: dict[str, dict[tuple, dict[str, int]]], ha: dict, hb: dict) -> None:
    """The counter deltas as one multi-row upsert per table, rows in key order
    (concurrent writers on PostgreSQL queue on the hot city rows instead of
    deadlocking), then the per-case handling rows."""
    conn = session.connection()
    mark = _mark(session)
    for table in TABLES:
        rows = diff[table]
        if not rows:
            continue
        used = tuple(c for c in TABLES[table][1] if any(c in delta for delta in rows.values()))
        params: list[int] = []
        for key in sorted(rows):
            params.extend(key)
            delta = rows[key]
            params.extend(delta.get(c, 0) for c in used)
        conn.exec_driver_sql(_upsert_sql(table, used, len(rows), mark), tuple(params))
    if ha != hb:
        for (case_id,) in hb.keys() - ha.keys():
            conn.exec_driver_sql(f"DELETE FROM casehandling WHERE case_id = {mark}", (case_id,))
        for (case_id,), row in ha.items():
            if hb.get((case_id,)) != row:
                marks = ", ".join([mark] * (1 + len(HANDLING_COLS)))
                conn.exec_driver_sql(_HANDLING_SQL.format(marks=marks), (case_id, *(row[c] for c in HANDLING_COLS)))


# ----------------------------------------------------------------------------
# The same definitions in SQL (rebuild; the dashboard's direct reads)
# ----------------------------------------------------------------------------
def _flag(cond: ColumnElement) -> ColumnElement:
    return sql_case((cond, 1), else_=0)


def done_at_sql() -> ColumnElement:
    return func.coalesce(Case.resolved_at, Case.closed_at)


def counted_sql() -> ColumnElement:
    """Accepted: the cohort of every KPI."""
    return and_(Case.accepted_at.is_not(None), Case.status.not_in(EXCLUDED))


def done_sql() -> ColumnElement:
    return Case.status.in_(CaseStatus.DONE)


def resolved_sql() -> ColumnElement:
    return and_(done_sql(), done_at_sql().is_not(None))


def cohort_sql() -> dict[str, ColumnElement]:
    """Per-case SQL expressions of the cohort counters (rows already ``counted``).
    ``handling_secs`` needs the CaseHandling join and is left out."""
    resolved = resolved_sql()
    done_at = done_at_sql()
    sat = Case.satisfaction
    evaluated = sat.in_(Satisfaction.ALL)
    return {
        "accepted": literal(1),
        "done": _flag(done_sql()),
        "resolved": _flag(resolved),
        "on_time": _flag(and_(resolved, (Case.deadline.is_(None)) | (done_at <= Case.deadline))),
        "followed_up": _flag(and_(resolved, Case.followed_up_at.is_not(None), Case.followed_up_at >= done_at)),
        "evaluated": _flag(evaluated),
        "satisfied": _flag(sat == Satisfaction.SATISFIED),
        "basic": _flag(sat == Satisfaction.BASIC),
        "unsatisfied": _flag(sat == Satisfaction.UNSATISFIED),
        "good": _flag(sat.in_(Satisfaction.GOOD)),  # 满意 + 基本满意 (the team rollup's column)
        "scored": _flag(and_(evaluated, Case.score.is_not(None))),
        "score_sum": sql_case((and_(evaluated, Case.score.is_not(None)), Case.score), else_=0),
        "reopened": _flag(Case.reopen_count > 0),
        "extended": _flag(Case.extended),
    }


def month_sql(session: Session, column) -> ColumnElement:
    """YYYYMM of a timestamp column, as an integer (local time as stored)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.to_char(column, "YYYYMM"), Integer)
    return cast(func.strftime("%Y%m", column), Integer)


def _coalesce0(col) -> ColumnElement:
    return func.coalesce(col, 0)


# ----------------------------------------------------------------------------
# Rebuild
# ----------------------------------------------------------------------------
CHUNK = 20_000
_HANDLING_INSERT_COLS = ("case_id",) + HANDLING_COLS


def _rebuild_handling(session: Session, clock: WorkClock) -> int:
    """The streamed pass: the handling time of every resolved case, in id
    order, CHUNK rows at a time (never the whole table in memory)."""
    conn = session.connection()
    stmt = (
        select(
            Case.id,
            Case.accepted_at,
            done_at_sql(),
            Case.district_id,
            Case.township_id,
            Case.community_id,
            Case.grid_id,
            Case.team_id,
            Case.category_id,
            Case.department_id,
        )
        .where(counted_sql(), resolved_sql())
        .order_by(Case.id)
        .limit(CHUNK)
    )
    last, total = 0, 0
    while True:
        rows = conn.execute(stmt.where(Case.id > last)).all()
        if not rows:
            return total
        batch = []
        for cid, acc, done_at, dist, town, comm, grid, team, cat, dept in rows:
            acc = _ts(acc)
            secs = clock.secs(acc, _ts(done_at))
            batch.append(
                (cid, day_key(acc), dist or 0, town or 0, comm or 0, grid or 0, team or 0, cat or 0, dept or 0, secs, bin_of(secs))
            )
        _bulk_insert(conn, "casehandling", _HANDLING_INSERT_COLS, batch)
        total += len(batch)
        last = rows[-1][0]


def _bulk_insert(conn, table: str, cols: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY on PostgreSQL, the driver's executemany on SQLite."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    finally:
        cur.close()


def _levels(target: str, source: str, keys: tuple[str, ...], cols: tuple[str, ...], level_keys: tuple[str, ...]) -> list[str]:
    """INSERT … SELECT statements summing a base aggregate into the city (0),
    district and township rows of ``target``."""
    sums = ", ".join(f"SUM({c})" for c in cols)
    exprs = level_keys
    out = []
    for area, where in (("0", ""), ("district_id", "WHERE district_id <> 0"), ("township_id", "WHERE township_id <> 0")):
        group = ", ".join(([area] if area != "0" else []) + list(exprs))
        out.append(
            f"INSERT INTO {target} ({', '.join(keys)}, {', '.join(cols)}) "
            f"SELECT {area}, {', '.join(exprs)}, {sums} FROM {source} {where} GROUP BY {group}"
        )
    return out


def _day_group(session: Session, column) -> ColumnElement:
    """A cheap per-row grouping key for the day of a timestamp (turned into
    YYYYMMDD only after aggregating): the date on PostgreSQL, the stored
    text's first 10 characters on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, Date)
    return func.substr(column, 1, 10)


def _key_int(session: Session, name: str, unit: str) -> str:
    """SQL turning a ``_day_group`` column (or a month truncated from it) into YYYYMMDD / YYYYMM."""
    if session.get_bind().dialect.name == "postgresql":
        return f"CAST(to_char({name}, '{'YYYYMMDD' if unit == 'day' else 'YYYYMM'}') AS INTEGER)"
    return f"CAST(replace({name}, '-', '') AS INTEGER)"


_NARROW_FLAGS = ("done", "resolved", "on_time", "followed_up", "evaluated", "satisfied", "basic", "unsatisfied", "good",
                 "scored", "score_sum", "reopened", "extended")


def _narrow_sql(session: Session) -> str:
    """The one pass over the (wide) cases table: per case, the day of each
    moment a flow is keyed by — NULL where the case feeds no such flow
    (``ad``: accepted and counted; ``dd``: resolved; ``ld``: counted with a
    deadline) —, its dimensions, its cohort flags and its handling seconds
    (``hs``, from its casehandling row).  Every aggregate of the rebuild
    reads this narrow table instead of the cases."""
    coh = cohort_sql()
    counted = counted_sql()
    resolved = resolved_sql()
    done_at = done_at_sql()

    def only(cond, value) -> ColumnElement:
        return sql_case((cond, value), else_=None)

    late = and_(Case.deadline.is_not(None), ~done_sql() | (resolved & (done_at > Case.deadline)))
    late_done = and_(Case.deadline.is_not(None), resolved, done_at > Case.deadline)
    cols = [
        _day_group(session, Case.submitted_at).label("sd"),
        only(counted, _day_group(session, Case.accepted_at)).label("ad"),
        only(and_(counted, resolved), _day_group(session, done_at)).label("dd"),
        only(counted, _day_group(session, Case.deadline)).label("ld"),
        _coalesce0(Case.district_id).label("district_id"),
        _coalesce0(Case.township_id).label("township_id"),
        _coalesce0(Case.category_id).label("category_id"),
        _coalesce0(Case.department_id).label("department_id"),
        _coalesce0(Case.team_id).label("team_id"),
        _coalesce0(Case.grid_id).label("grid_id"),
        _coalesce0(Case.community_id).label("community_id"),
        *[coh[c].label(c) for c in _NARROW_FLAGS],
        _flag(late).label("late"),
        _flag(late_done).label("late_done"),
        _coalesce0(CaseHandling.secs).label("hs"),
    ]
    q = select(*cols).select_from(Case).outerjoin(CaseHandling, CaseHandling.case_id == Case.id)
    return str(q.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))


def _flows(group: str, dims: str, cols: tuple[str, ...], flows: tuple[tuple[str, dict[str, str], str], ...]) -> str:
    """UNION ALL of one aggregate per flow over ``_rb_case``: each flow keyed
    by its own moment (``ad`` / ``sd`` / ``dd`` / ``ld``, turned into the
    grouping key by ``group``, a format with ``{}``) and ``dims``, filling
    only its own counters of ``cols`` (the others 0).  Column ``g`` is the key."""
    out = []
    for day, values, where in flows:
        g = group.format(day)
        sums = ", ".join(f"{values.get(c, '0')} AS {c}" for c in cols)
        out.append(f"SELECT {g} AS g, {dims}, {sums} FROM _rb_case WHERE {where} GROUP BY {g}, {dims}")
    return " UNION ALL ".join(out)


_COHORT_SUMS = {"accepted": "COUNT(*)", "handling_secs": "SUM(hs)", **{c: f"SUM({c})" for c in COHORT if c not in ("accepted", "handling_secs")}}
# the flows: (moment, counters, which cases)
_ACCEPTED = ("ad", _COHORT_SUMS, "ad IS NOT NULL")
_RECEIVED = ("sd", {"received": "COUNT(*)"}, "sd IS NOT NULL")
_DONE_IN = ("dd", {"done_in": "COUNT(*)"}, "dd IS NOT NULL")
_OVERDUE_IN = ("ld", {"overdue_in": "COUNT(*)"}, "ld IS NOT NULL AND late = 1")
_OVERDUE_OUT = ("dd", {"overdue_out": "COUNT(*)"}, "dd IS NOT NULL AND late_done = 1")
_DUE = ("ld", {"due": "COUNT(*)", "due_done": "SUM(done)"}, "ld IS NOT NULL")


def dump_rollups(session: Session) -> dict[str, dict]:
    """Every non-zero rollup row, keyed: for checking maintained rollups
    against ``rebuild_rollups`` (tests and the repair command)."""
    conn = session.connection()
    out: dict[str, dict] = {}
    for table, (keys, cols) in TABLES.items():
        rows = conn.execute(text(f"SELECT {', '.join(keys + cols)} FROM {table}")).all()
        out[table] = {tuple(r[: len(keys)]): tuple(r[len(keys) :]) for r in rows if any(r[len(keys) :])}
    out["casehandling"] = {r[0]: tuple(r[1:]) for r in conn.execute(text("SELECT * FROM casehandling")).all()}
    return out


def rebuild_rollups(session: Session, *, handling_given: bool = False) -> dict[str, Any]:
    """Recompute every rollup from the cases table, in the caller's
    transaction (the caller commits).  Returns row counts and seconds.

    ``handling_given``: the ``casehandling`` rows are already there, as this
    rebuild would write them (the bulk seed writes them with the cases, from
    :meth:`WorkClock.on_offsets`); they are kept and only summed.

    Whole-table work: for after a bulk load, a holiday-schedule change or a
    repair, not for the request path."""
    started = _timer.perf_counter()
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # a big page cache for the whole-table passes (restored below)
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
    try:
        for model in MODELS.values():
            conn.execute(delete(model))
        if handling_given:
            n_handling = conn.execute(select(func.count()).select_from(CaseHandling)).scalar_one()
        else:
            conn.execute(delete(CaseHandling))
            n_handling = _rebuild_handling(session, WorkClock(load_overrides(session)))

        # one pass over the cases into a narrow table; every rollup below reads it
        for tmp in ("_rb_case", "_rb_day", "_rb_month", "_rb_over"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tmp}")
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE _rb_case AS {_narrow_sql(session)}")
        month_of = "substr({}, 1, 7)" if sqlite else "date_trunc('month', CAST({} AS TIMESTAMP))"
        day_int, month_int = _key_int(session, "g", "day"), _key_int(session, "g", "month")

        def summed(target: str, key: str, dims: str, cols: tuple[str, ...], group: str, flows) -> None:
            """``target`` (a temporary table): the flows summed per (key, dims)."""
            sums = ", ".join(f"SUM({c}) AS {c}" for c in cols)
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {target} AS SELECT {key} AS k, {dims}, {sums} "
                f"FROM ({_flows(group, dims, cols, flows)}) AS f GROUP BY g, {dims}"
            )

        summed("_rb_day", day_int, "district_id, township_id", DAY_COLS, "{}",
               (_ACCEPTED, _RECEIVED, _DONE_IN, _OVERDUE_IN, _OVERDUE_OUT))
        summed("_rb_month", month_int, "district_id, township_id, category_id, department_id", MONTH_COLS, month_of,
               (_ACCEPTED, _RECEIVED, _DONE_IN))
        over_cols = TABLES["rollupoverdue"][1]
        summed("_rb_over", day_int, "district_id, township_id, category_id, department_id", over_cols, "{}",
               (_OVERDUE_IN, _OVERDUE_OUT, _DUE))
        for sql in _levels("rollupday", "_rb_day", ("area_id", "day"), DAY_COLS, ("k",)):
            conn.exec_driver_sql(sql)
        for sql in _levels(
            "rollupmonth", "_rb_month", ("area_id", "month", "category_id", "department_id"), MONTH_COLS, ("k", "category_id", "department_id")
        ):
            conn.exec_driver_sql(sql)
        for sql in _levels(
            "rollupoverdue", "_rb_over", ("area_id", "day", "category_id", "department_id"), over_cols, ("k", "category_id", "department_id")
        ):
            conn.exec_driver_sql(sql)

        # teams: one level, per accept month (and, for the filtered rankings, per category and department)
        team_sums = {**_COHORT_SUMS, "good": "SUM(good)"}
        team_dims = "team_id, grid_id, community_id, township_id, district_id"
        for target, dims, cols in (
            ("rollupteam", team_dims, TEAM_COLS),
            ("rollupteamfilter", f"category_id, department_id, {team_dims}", TEAM_FILTER_COLS),
        ):
            names = ", ".join(cols)
            conn.exec_driver_sql(
                f"INSERT INTO {target} (month, {dims}, {names}) SELECT {month_int}, {dims}, {names} "
                f"FROM ({_flows(month_of, dims, cols, (('ad', team_sums, 'ad IS NOT NULL'),))}) AS t"
            )
        for tmp in ("_rb_case", "_rb_day", "_rb_month", "_rb_over"):
            conn.exec_driver_sql(f"DROP TABLE {tmp}")

        # handling histogram, from the per-case handling rows
        conn.exec_driver_sql("DROP TABLE IF EXISTS _rb_hist")
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE _rb_hist AS SELECT day / 100 AS k, district_id, township_id, category_id, department_id, "
            "bin, count(*) AS n FROM casehandling GROUP BY day / 100, district_id, township_id, category_id, department_id, bin"
        )
        hist_keys = ("area_id", "month", "category_id", "department_id", "bin")
        for sql in _levels("rolluphandling", "_rb_hist", hist_keys, ("n",), ("k", "category_id", "department_id", "bin")):
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("DROP TABLE _rb_hist")
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-2000")

    counts: dict[str, Any] = {}
    for name, model in MODELS.items():
        counts[name] = conn.execute(select(func.count()).select_from(model)).scalar_one()
    counts["casehandling"] = n_handling
    counts["seconds"] = round(_timer.perf_counter() - started, 3)
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python -m rxapp.domain.rollup [--db URL]``: rebuild the rollups of a
    database (after a migration onto existing cases, a holiday-schedule
    change, or to repair them); prints the row counts as one JSON line."""
    import argparse
    import json

    from rxapp.db import db_url, make_engine

    p = argparse.ArgumentParser(prog="python -m rxapp.domain.rollup", description=main.__doc__)
    p.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: $REFLEX_DB_URL or sqlite:///griddesk.db)")
    args = p.parse_args(argv)
    engine = make_engine(args.db or db_url())
    try:
        with Session(engine) as session:
            counts = rebuild_rollups(session)
            session.commit()
    finally:
        engine.dispose()
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
