"""The leadership dashboard and the public KPI figures, aggregated in SQL.

One definition per KPI (DESIGN.md's table; the counters are defined once in
:mod:`rxapp.domain.rollup`).  Over a period (a range of days) and an area:

* **completion rate** 办结率, the headline (12345 practice, 应办结口径) =
  done ÷ due: the accepted cases *due* in the period — deadline on a day
  from its first day to its last (today at the latest), plus those due
  earlier and still not done — of which done now (``due_completion_rate``;
  the due cohort lives in ``RollupOverdue``).  A month in progress does not
  look like a collapse: a case not yet due does not count.
* **completion rate so far** 受理办结率 = done ÷ accepted, over the cases
  *accepted* in the period (the cohort; ``completion_rate``).  Accepted:
  ``accepted_at`` set and status not ``rejected`` / ``duplicate``.  Done:
  resolved or closed now.
* **on-time rate** 按时办结率 = resolved on or before the case's current
  deadline (extended, or renewed on reopening) ÷ resolved, same cohort; the
  resolution time is the one that stands (``resolved_at``, else ``closed_at``).
* **overdue** 超期件 = open cases (submitted / accepted / routed / in progress)
  whose deadline has passed, *now* (live from the cases table).  Its
  comparison value is the overdue count at the end of the day one period
  earlier, rebuilt from the overdue flow of the day rollup.
* **satisfaction rate** 满意率 = (满意 + 基本满意) ÷ evaluated, same cohort, on
  each case's latest verdict; **mean score** = score sum ÷ scored cases.
* **follow-up rate** 回访率 = resolved cases contacted at or after the standing
  resolution (``followed_up_at >= resolved_at``) ÷ resolved.
* **handling time** 办理时长 = working days from acceptance to the standing
  resolution (the working-day calendar); median and p90 by nearest rank,
  exact: the histogram of quarter-day bins finds the bin holding the rank,
  then one indexed read of that bin's handling rows gives the case's own
  value; the mean is exact.
* **intake** 受理量 = cases accepted today / this calendar month so far (fixed
  windows, whatever the period); ``received`` 来件量 counts every submitted
  case, rejected and duplicates included.

Every KPI carries the value of the previous period of the same length:
the last 30 days (the default: always a full month of deadlines, whatever
the day of the month) ↔ the 30 days before;
this month (1st … today) ↔ last month (1st … same day, clamped); last month ↔
the month before; this year (1 Jan … today) ↔ last year (1 Jan … same day);
a custom range of n days ↔ the n days just before it; intake today ↔
yesterday; intake this month ↔ last month to the same day.

Where the numbers come from: city, district and township scopes read the
rollups — the day rollup for unfiltered totals of any range; month rollups
for category / department filters, categories, rankings and the handling-time
histogram, with a month the range only partly covers served exactly (its
other days hold no accepted case, e.g. the rest of this month), or by the
month's rollup minus the uncovered days, or by the covered days alone,
whichever reads fewer case rows (indexed ``case`` / ``casehandling`` ranges).
Community and grid scopes read their (few) cases directly.  Overdue is live.
Scope is enforced in SQL: the area must lie inside the actor's scope.

Cost: a refresh of a city, district or township, filtered or not, reads
rollups — the handling histogram is kept per category and department, and
the team / grid / community rankings of a filtered view read
``RollupTeamFilter`` — plus the open cases with a deadline ("overdue now" and
the trend's not-yet-due count, one pass over a covering status / deadline
index) and, with a filter, the intake windows of this month and last from
covering indexes (``ix_case_category_accepted`` / ``…_submitted`` and the
department ones).  Community and grid scopes read their own cases by
``(community_id | grid_id, accepted_at)``.  ``bench/dashboard_bench.py`` times
every scope × category × department × period cell beside a ``count(*)`` floor.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import and_, case, func, literal, literal_column, or_, select, true
from sqlmodel import Session

from rxapp.domain import rollup as R
from rxapp.domain.access import CASE_AREA_COLUMN, Actor, area_in_scope, case_scope_clause
from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.models import (
    Area,
    AreaLevel,
    Case,
    CaseHandling,
    CaseStatus,
    Category,
    Department,
    Diary,
    Role,
    RollupDay,
    RollupHandling,
    RollupMonth,
    RollupOverdue,
    RollupTeam,
    RollupTeamFilter,
    Team,
    Visit,
)

__all__ = [
    "DashboardQuery",
    "parse_query",
    "Dashboard",
    "Kpi",
    "Kpis",
    "dashboard",
    "kpis_public",
    "PublicKpis",
    "drilldown_filter",
    "DRILLDOWN_TARGETS",
    "period_windows",
    "Window",
    "MAX_SPAN_YEARS",
]

MAX_ID = 2**31 - 1
MAX_SPAN_YEARS = 10
TREND_MONTHS = 12
MAX_TREND_MONTHS = 120
DEFAULT_MIN_VOLUME = 20
READ_ROLES = (Role.LEADER, Role.DISPATCHER, Role.ADMIN)
ROLLUP_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.TOWNSHIP)
CHILD_LEVEL = {
    AreaLevel.CITY: AreaLevel.DISTRICT,
    AreaLevel.DISTRICT: AreaLevel.TOWNSHIP,
    AreaLevel.TOWNSHIP: AreaLevel.COMMUNITY,
    AreaLevel.COMMUNITY: AreaLevel.GRID,
}
RANK_COLS = ("accepted", "done", "resolved", "on_time")
HANDLING_COLUMN = {
    AreaLevel.DISTRICT: CaseHandling.district_id,
    AreaLevel.TOWNSHIP: CaseHandling.township_id,
    AreaLevel.COMMUNITY: CaseHandling.community_id,
    AreaLevel.GRID: CaseHandling.grid_id,
}
TEAM_COLUMN = {
    AreaLevel.DISTRICT: RollupTeam.district_id,
    AreaLevel.TOWNSHIP: RollupTeam.township_id,
    AreaLevel.COMMUNITY: RollupTeam.community_id,
    AreaLevel.GRID: RollupTeam.grid_id,
}
# group name -> (Case column, RollupTeam column)
GROUPS = {
    "category": (Case.category_id, None),
    "district": (Case.district_id, None),
    "township": (Case.township_id, None),
    "community": (Case.community_id, RollupTeam.community_id),
    "grid": (Case.grid_id, RollupTeam.grid_id),
    "team": (Case.team_id, RollupTeam.team_id),
}


# ----------------------------------------------------------------------------
# The query (validated: everything from a client is untrusted)
# ----------------------------------------------------------------------------
Period = Literal["last_30_days", "this_month", "last_month", "this_year", "custom"]
DEFAULT_PERIOD = "last_30_days"
ROLLING_DAYS = 30


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class DashboardQuery(BaseModel):
    """What a dashboard view asks for.  ``area_id`` defaults to the viewer's
    scope; dates only with ``period="custom"`` (inclusive, at most 10 years)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    period: Period = DEFAULT_PERIOD
    date_from: date | None = None
    date_to: date | None = None
    area_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    category_code: str | None = Field(default=None, max_length=16)
    department_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    min_volume: int = Field(default=DEFAULT_MIN_VOLUME, ge=1, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=200)  # rows of the team ranking and team activity

    @field_validator("category_code", mode="before")
    @classmethod
    def _blank_code(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("area_id", "department_id", "date_from", "date_to", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("category_code")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v

    @model_validator(mode="after")
    def _dates(self) -> DashboardQuery:
        if self.period != "custom":
            if self.date_from is not None or self.date_to is not None:
                raise ValueError("dates need period=custom")
            return self
        if self.date_from is None or self.date_to is None:
            raise ValueError("custom period needs both dates")
        if self.date_from > self.date_to:
            raise ValueError("date_from after date_to")
        if self.date_to >= _add_years(self.date_from, MAX_SPAN_YEARS):
            raise ValueError("range over 10 years")
        return self


_QUERY_MESSAGES = {
    "period": "统计周期无效",
    "date_from": "开始日期无效",
    "date_to": "结束日期无效",
    "area_id": "区域无效",
    "category_code": "诉求类别无效",
    "department_id": "职能部门无效",
    "min_volume": "最小件数无效",
    "limit": "显示条数无效",
}
_MODEL_MESSAGES = {
    "dates need period=custom": "只有自定义区间可以指定日期",
    "custom period needs both dates": "请选择开始和结束日期",
    "date_from after date_to": "开始日期不能晚于结束日期",
    "range over 10 years": "统计区间不能超过10年",
}


def parse_query(value: DashboardQuery | Mapping | None) -> DashboardQuery:
    """A client's query (dict) -> DashboardQuery, or DomainError naming the field."""
    if value is None:
        return DashboardQuery()
    if isinstance(value, DashboardQuery):
        return value
    if not isinstance(value, Mapping):
        raise DomainError("查询条件无效", "query")
    try:
        return DashboardQuery.model_validate(dict(value))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err.get("loc") else ""
        if not loc:
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            raise DomainError(_MODEL_MESSAGES.get(msg, "统计区间无效"), "date_from") from None
        raise DomainError(_QUERY_MESSAGES.get(loc, "查询条件无效"), loc if loc in _QUERY_MESSAGES else "query") from None


# ----------------------------------------------------------------------------
# Periods
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """An inclusive range of days."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def lo(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def hi(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @property
    def dk(self) -> tuple[int, int]:
        return _dk(self.start), _dk(self.end)


def _dk(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _mk(d: date) -> int:
    return d.year * 100 + d.month


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def _prev_month_start(d: date) -> date:
    return _month_start(_month_start(d) - timedelta(days=1))


def _month_to_date_before(today: date) -> Window:
    """Last month from the 1st to today's day of the month (clamped to its end)."""
    start = _prev_month_start(today)
    return Window(start, min(start + timedelta(days=today.day - 1), _month_end(start)))


def period_windows(query: DashboardQuery, today: date) -> tuple[Window, Window]:
    """(the period, the previous period of the same length)."""
    if query.period == "last_30_days":
        start = today - timedelta(days=ROLLING_DAYS - 1)
        return Window(start, today), Window(start - timedelta(days=ROLLING_DAYS), start - timedelta(days=1))
    if query.period == "this_month":
        return Window(_month_start(today), today), _month_to_date_before(today)
    if query.period == "last_month":
        start = _prev_month_start(today)
        before = _prev_month_start(start)
        return Window(start, _month_end(start)), Window(before, _month_end(before))
    if query.period == "this_year":
        start = today.replace(month=1, day=1)
        return Window(start, today), Window(_add_years(start, -1), _add_years(today, -1))
    cur = Window(query.date_from, query.date_to)
    return cur, Window(cur.start - timedelta(days=cur.days), cur.start - timedelta(days=1))


def _months(first: date, last: date) -> list[date]:
    out, m = [], _month_start(first)
    while m <= last:
        out.append(m)
        m = _month_end(m) + timedelta(days=1)
    return out


# ----------------------------------------------------------------------------
# Result shapes (small: aggregates only, no personal data)
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpi:
    value: float | int | None
    previous: float | int | None
    change: float | int | None  # value − previous (rates: in fraction points)
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Kpis:
    accepted: Kpi
    done: Kpi
    due_completion_rate: Kpi  # the headline: done ÷ due (numerator / denominator: the counts)
    completion_rate: Kpi  # done ÷ accepted so far
    on_time_rate: Kpi
    overdue_now: Kpi
    satisfaction_rate: Kpi
    mean_score: Kpi
    follow_up_rate: Kpi
    handling_median_days: Kpi
    handling_p90_days: Kpi
    handling_mean_days: Kpi
    intake_today: Kpi
    intake_month: Kpi
    received_today: Kpi
    received_month: Kpi


@dataclass(frozen=True)
class MonthPoint:
    month: str  # YYYY-MM
    received: int
    accepted: int  # the month's cohort
    done: int  # of that cohort, done now
    completion_rate: float | None  # done ÷ (accepted − not_due): the cases whose deadline has come
    done_in: int  # resolved or closed during the month (any cohort)
    partial: bool = False  # the month is still running (counts so far)
    not_due: int = 0  # of the cohort, still open and not yet due (left out of the rate)


@dataclass(frozen=True)
class CategoryPoint:
    category_id: int
    code: str
    name: str
    accepted: int
    done: int
    completion_rate: float | None
    on_time_rate: float | None
    name_en: str = ""


@dataclass(frozen=True)
class RankRow:
    id: int
    name: str
    accepted: int
    done: int
    resolved: int
    on_time: int
    completion_rate: float | None
    on_time_rate: float | None
    rank: int | None  # 1 = worst; None below the minimum volume


@dataclass(frozen=True)
class TeamActivity:
    team_id: int
    name: str
    visits: int
    diaries: int


@dataclass(frozen=True)
class SatisfactionSlice:
    level: str  # satisfied / basic / unsatisfied
    count: int
    share: float | None


@dataclass(frozen=True)
class DepartmentOverdue:
    department_id: int  # 0 = not routed to a department
    name: str
    overdue: int
    name_en: str = ""


@dataclass(frozen=True)
class Dashboard:
    area_id: int
    area_name: str
    area_level: str
    period: str
    date_from: date
    date_to: date
    previous_from: date
    previous_to: date
    category_code: str | None
    department_id: int | None
    min_volume: int
    generated_at: datetime
    kpis: Kpis
    trend: list[MonthPoint]
    categories: list[CategoryPoint]
    ranking_level: str | None  # the level one down (None at grid scope)
    area_ranking: list[RankRow]  # every sub-area: ranked ones worst first, then the small ones
    team_ranking: list[RankRow]  # ranked teams, worst first (at most ``limit``)
    teams_ranked: int
    teams_below_volume: int
    team_activity: list[TeamActivity]  # this month, least active first (at most ``limit``)
    team_activity_totals: TeamActivity
    satisfaction: list[SatisfactionSlice]
    overdue_by_department: list[DepartmentOverdue]


@dataclass(frozen=True)
class PublicKpis:
    area_id: int
    area_name: str
    date_from: date
    date_to: date
    accepted: int
    done: int
    completion_rate: float | None
    due: int
    due_done: int
    due_completion_rate: float | None
    resolved: int
    on_time_rate: float | None
    overdue_now: int
    evaluated: int
    satisfaction_rate: float | None
    mean_score: float | None
    follow_up_rate: float | None
    handling_median_days: float | None
    handling_p90_days: float | None
    handling_mean_days: float | None


# ----------------------------------------------------------------------------
# Scope and filters
# ----------------------------------------------------------------------------
@dataclass
class _Ctx:
    """One read: the area, its rollup key, filters, and per-read caches."""

    session: Session
    area: Area
    actor: Actor | None
    category_id: int | None = None
    department_id: int | None = None
    _days: dict[date, dict[int, int]] = field(default_factory=dict)
    _sums: dict[tuple[date, date], Counters] = field(default_factory=dict)
    _overdue: dict[date, int] = field(default_factory=dict)
    _open: tuple[dict[int, int], dict[int, int]] | None = None

    def run(self, stmt):
        """Core execution on the session's connection (no ORM layer: reads only aggregates)."""
        return self.session.connection().execute(stmt)

    @property
    def level(self) -> str:
        return self.area.level

    @property
    def key(self) -> int | None:
        """Rollup area key: 0 city, the id for district / township, None below."""
        if self.area.level == AreaLevel.CITY:
            return R.CITY
        if self.area.level in ROLLUP_LEVELS:
            return self.area.id
        return None

    @property
    def filtered(self) -> bool:
        return self.category_id is not None or self.department_id is not None

    def _filter(self, column, value: int):
        """``column == value`` for a category or department filter.  Below the
        rollup levels (a community, a grid) the area holds a few thousand
        cases: they are read by the area's index and the filter is checked on
        each row.  Written as ``column + 0`` no index can serve it, so the
        planner never ANDs a city-wide filter index into the read (PostgreSQL
        did: 130,000 index entries of one department for a community's 900
        cases, 10 ms a statement at 1M)."""
        return (column + 0 == value) if self.area.level not in ROLLUP_LEVELS else (column == value)

    def case_conditions(self) -> list:
        conds = []
        column = CASE_AREA_COLUMN.get(self.area.level)
        if column is not None:
            conds.append(column == self.area.id)
        if self.actor is not None:
            conds.append(case_scope_clause(self.actor))
        if self.category_id is not None:
            conds.append(self._filter(Case.category_id, self.category_id))
        if self.department_id is not None:
            conds.append(self._filter(Case.department_id, self.department_id))
        return conds

    def handling_conditions(self) -> list:
        conds = []
        column = HANDLING_COLUMN.get(self.area.level)
        if column is not None:
            conds.append(column == self.area.id)
        if self.category_id is not None:
            conds.append(self._filter(CaseHandling.category_id, self.category_id))
        if self.department_id is not None:
            conds.append(self._filter(CaseHandling.department_id, self.department_id))
        return conds

    def prefetch(self, windows: Iterable[Window], cols: tuple[str, ...], overdue_day: date | None = None) -> None:
        """Sum the day rollup over several windows (and the overdue flow up to
        a day) in one scan, for the unfiltered reads of a rollup scope."""
        if self.key is None or self.filtered:
            return
        windows = list(dict.fromkeys(windows))
        exprs = []
        for i, w in enumerate(windows):
            lo, hi = w.dk
            inside = and_(RollupDay.day >= lo, RollupDay.day <= hi)
            exprs += [func.sum(case((inside, getattr(RollupDay, c)), else_=0)).label(f"w{i}_{c}") for c in cols]
        last = max(w.end for w in windows)
        if overdue_day is not None:
            upto = RollupDay.day <= _dk(overdue_day)
            exprs.append(func.sum(case((upto, RollupDay.overdue_in - RollupDay.overdue_out), else_=0)).label("overdue"))
            last = max(last, overdue_day)
        q = select(*exprs).where(RollupDay.area_id == self.key, RollupDay.day <= _dk(last))
        if overdue_day is None:
            q = q.where(RollupDay.day >= _dk(min(w.start for w in windows)))
        row = self.run(q).one()._mapping
        for i, w in enumerate(windows):
            self._sums.setdefault((w.start, w.end), {}).update({c: int(row[f"w{i}_{c}"] or 0) for c in cols})
        if overdue_day is not None:
            self._overdue[overdue_day] = int(row["overdue"] or 0)

    def cached(self, window: Window, cols: Iterable[str]) -> Counters | None:
        hit = self._sums.get((window.start, window.end))
        if hit is not None and all(c in hit for c in cols):
            return {c: hit[c] for c in cols}
        return None

    def accepted_by_day(self, month: date) -> dict[int, int]:
        """{day key: accepted} of one month at this area (rollup scopes, unfiltered)."""
        hit = self._days.get(month)
        if hit is None:
            lo, hi = _dk(month), _dk(_month_end(month))
            rows = self.run(
                select(RollupDay.day, RollupDay.accepted).where(
                    RollupDay.area_id == self.key, RollupDay.day >= lo, RollupDay.day <= hi
                )
            ).all()
            hit = self._days[month] = {int(d): int(n) for d, n in rows}
        return hit


def _city(session: Session) -> Area:
    city = session.execute(select(Area).where(Area.level == AreaLevel.CITY).order_by(Area.id).limit(1)).scalar_one_or_none()
    if city is None:
        raise DomainError("尚未建立区域", "area_id")
    return city


def _resolve_area(session: Session, actor: Actor | None, area_id: int | None) -> Area:
    """The area to report on: inside the actor's scope (AccessDenied otherwise)."""
    if actor is not None:
        if not isinstance(actor, Actor):
            raise AccessDenied("请先登录")
        if actor.role not in READ_ROLES:
            raise AccessDenied()
        if area_id is None:
            if actor.role == Role.ADMIN and actor.scope_area_id is None:
                return _city(session)
            if actor.scope_area_id is None:
                raise AccessDenied()
            area_id = actor.scope_area_id
    if area_id is None:
        return _city(session)
    area = session.get(Area, area_id)
    if area is None or area.level not in AreaLevel.ORDER:
        raise DomainError("区域不存在", "area_id")
    if actor is not None and not area_in_scope(actor, area):
        raise AccessDenied("所选区域不在您的管辖范围内")
    return area


def _context(session: Session, actor: Actor | None, query: DashboardQuery) -> _Ctx:
    area = _resolve_area(session, actor, query.area_id)
    ctx = _Ctx(session=session, area=area, actor=actor)
    if query.category_code is not None:
        cat_id = session.execute(select(Category.id).where(Category.code == query.category_code)).scalar_one_or_none()
        if cat_id is None:
            raise DomainError("诉求类别无效", "category_code")
        ctx.category_id = int(cat_id)
    if query.department_id is not None:
        if session.get(Department, query.department_id) is None:
            raise DomainError("职能部门无效", "department_id")
        ctx.department_id = query.department_id
    return ctx


# ----------------------------------------------------------------------------
# Counters over a window
# ----------------------------------------------------------------------------
Counters = dict[str, int]


def _zero(cols: Iterable[str]) -> Counters:
    return {c: 0 for c in cols}


def _add(into: Counters, other: Mapping[str, Any], sign: int = 1) -> None:
    for c in into:
        into[c] += sign * int(other.get(c) or 0)


def _sums(model, cols: Iterable[str]) -> list:
    return [func.coalesce(func.sum(getattr(model, c)), 0).label(c) for c in cols]


@functools.cache
def _cohort_exprs() -> dict[str, Any]:
    """``R.cohort_sql()`` built once: SQLAlchemy expressions are immutable, and
    building them anew cost more than the queries of a small scope."""
    return R.cohort_sql()


@functools.cache
def _case_sum_cols(cols: tuple[str, ...]) -> tuple:
    exprs = _cohort_exprs()
    return tuple(
        func.coalesce(func.sum(CaseHandling.secs if c == "handling_secs" else exprs[c]), 0).label(c) for c in cols
    )


def _by_group(rows, cols: tuple[str, ...]) -> dict[int, Counters]:
    """{g: counters} of rows ``(g, *cols)`` (plain tuples: a city has thousands of teams)."""
    return {int(r[0]): dict(zip(cols, map(int, r[1:]))) for r in rows}


def _case_counters(ctx: _Ctx, ranges: list[tuple[date, date]], cols: tuple[str, ...], group: str | None) -> dict[int, Counters]:
    """Cohort counters straight from the cases accepted in ``ranges`` (indexed on accepted_at)."""
    if not ranges:
        return {}
    select_cols = _case_sum_cols(cols)
    span = or_(*[and_(Case.accepted_at >= Window(a, b).lo, Case.accepted_at < Window(a, b).hi) for a, b in ranges])
    if group is None:
        q = select(literal(0).label("g"), *select_cols)
    else:
        gcol = func.coalesce(GROUPS[group][0], 0)
        q = select(gcol.label("g"), *select_cols)
    q = q.select_from(Case)
    if "handling_secs" in cols:
        q = q.outerjoin(CaseHandling, CaseHandling.case_id == Case.id)
    q = q.where(R.counted_sql(), span, *ctx.case_conditions())
    if group is not None:
        q = q.group_by(gcol)
    out = _by_group(ctx.run(q).all(), cols)
    if group is None and not out.get(0, {}).get("accepted"):
        return {}
    return out


def _split(ctx: _Ctx, window: Window) -> tuple[list[int], list[tuple[date, date]], list[tuple[date, date]]]:
    """Plan a month-rollup read of ``window``: (month keys read from the month
    rollup, day ranges to add from the cases, day ranges to subtract)."""
    months, add, sub = [], [], []
    for m in _months(window.start, window.end):
        m_end = _month_end(m)
        a, b = max(m, window.start), min(m_end, window.end)
        if a == m and b == m_end:
            months.append(_mk(m))
            continue
        if ctx.key is None:
            add.append((a, b))
            continue
        per_day = ctx.accepted_by_day(m)
        lo, hi = _dk(a), _dk(b)
        inside = sum(n for d, n in per_day.items() if lo <= d <= hi)
        outside = sum(per_day.values()) - inside
        if outside == 0:
            months.append(_mk(m))  # the month's other days hold no accepted case
        elif outside < inside:
            months.append(_mk(m))
            if a > m:
                sub.append((m, a - timedelta(days=1)))
            if b < m_end:
                sub.append((b + timedelta(days=1), m_end))
        else:
            add.append((a, b))
    return months, add, sub


def _rollup_rows(ctx: _Ctx, months: list[int], cols: tuple[str, ...], group: str | None, children: list[int] | None) -> dict[int, Counters]:
    if not months:
        return {}
    if group in (None, "category", "district", "township"):
        model = RollupMonth
        conds = [RollupMonth.month.in_(months)]
        if group in ("district", "township"):
            conds.append(RollupMonth.area_id.in_(children or [-1]))
        else:
            conds.append(RollupMonth.area_id == ctx.key)
        if ctx.category_id is not None:
            conds.append(RollupMonth.category_id == ctx.category_id)
        if ctx.department_id is not None:
            conds.append(RollupMonth.department_id == ctx.department_id)
        gcol = {None: literal(0), "category": RollupMonth.category_id}.get(group, RollupMonth.area_id)
    else:  # teams, grids, communities: the team rollup, or its category / department split when filtered
        model = RollupTeamFilter if ctx.filtered else RollupTeam
        conds = [model.month.in_(months)]
        column = TEAM_COLUMN.get(ctx.level)
        if column is not None:
            conds.append(getattr(model, column.key) == ctx.area.id)
        if ctx.category_id is not None:
            conds.append(RollupTeamFilter.category_id == ctx.category_id)
        if ctx.department_id is not None:
            conds.append(RollupTeamFilter.department_id == ctx.department_id)
        gcol = getattr(model, GROUPS[group][1].key)
    q = select(gcol.label("g"), *_sums(model, cols)).where(*conds)
    if group is not None:
        q = q.group_by(gcol)
    return _by_group(ctx.run(q).all(), cols)


def _cohort(ctx: _Ctx, window: Window, cols: tuple[str, ...] = R.COHORT, group: str | None = None, children: list[int] | None = None) -> dict[int, Counters]:
    """Cohort counters of the cases accepted in ``window``, per group value
    (``{0: counters}`` without a group)."""
    rollup_scope = ctx.key is not None
    # 1. the day rollup: exact for any range, unfiltered totals and district / township children
    if rollup_scope and not ctx.filtered and group in (None, "district", "township"):
        hit = ctx.cached(window, cols) if group is None else None
        if hit is not None:
            return {0: hit}
        lo, hi = window.dk
        area_cond = RollupDay.area_id == ctx.key if group is None else RollupDay.area_id.in_(children or [-1])
        gcol = literal(0) if group is None else RollupDay.area_id
        q = select(gcol.label("g"), *_sums(RollupDay, cols)).where(area_cond, RollupDay.day >= lo, RollupDay.day <= hi)
        if group is not None:
            q = q.group_by(RollupDay.area_id)
        return _by_group(ctx.run(q).all(), cols)
    # 2. month rollups (+/- the cases of partly covered months)
    teams = group in ("team", "community", "grid")
    month_ok = (rollup_scope and group in (None, "category", "district", "township")) or (
        teams and not ctx.filtered and set(cols) <= set(R.TEAM_COLS)
    ) or (teams and rollup_scope and set(cols) <= set(R.TEAM_FILTER_COLS))
    if month_ok:
        months, add, sub = _split(ctx, window)
        out: dict[int, Counters] = {}
        for part, sign in (
            (_rollup_rows(ctx, months, cols, group, children), 1),
            (_case_counters(ctx, add, cols, group), 1),
            (_case_counters(ctx, sub, cols, group), -1),
        ):
            for g, vals in part.items():
                _add(out.setdefault(g, _zero(cols)), vals, sign)
        return out
    # 3. the cases themselves (community / grid scopes)
    return _case_counters(ctx, [(window.start, window.end)], cols, group)


def _totals(ctx: _Ctx, window: Window) -> Counters:
    return _cohort(ctx, window).get(0) or _zero(R.COHORT)


# ----------------------------------------------------------------------------
# Handling-time histogram
# ----------------------------------------------------------------------------
def _handling_rows(ctx: _Ctx, ranges: list[tuple[date, date]], *cols):
    """SELECT ``cols`` over the handling rows of the cases accepted in ``ranges``
    (every level has its area column and index on ``casehandling``; the area
    lies inside the actor's scope, checked when the context was made)."""
    span = or_(*[and_(CaseHandling.day >= _dk(a), CaseHandling.day <= _dk(b)) for a, b in ranges])
    return select(*cols).where(span, *ctx.handling_conditions())


def _case_bins(ctx: _Ctx, ranges: list[tuple[date, date]]) -> dict[int, int]:
    if not ranges:
        return {}
    q = _handling_rows(ctx, ranges, CaseHandling.bin, func.count()).group_by(CaseHandling.bin)
    return {int(b): int(n) for b, n in ctx.run(q).all()}


def _histogram(ctx: _Ctx, window: Window) -> dict[int, int]:
    if ctx.key is not None:
        months, add, sub = _split(ctx, window)
        hist: dict[int, int] = {}
        if months:
            conds = [RollupHandling.area_id == ctx.key, RollupHandling.month.in_(months)]
            if ctx.category_id is not None:
                conds.append(RollupHandling.category_id == ctx.category_id)
            if ctx.department_id is not None:
                conds.append(RollupHandling.department_id == ctx.department_id)
            q = select(RollupHandling.bin, func.sum(RollupHandling.n)).where(*conds).group_by(RollupHandling.bin)
            for b, n in ctx.run(q).all():
                hist[int(b)] = int(n)
        for part, sign in ((_case_bins(ctx, add), 1), (_case_bins(ctx, sub), -1)):
            for b, n in part.items():
                hist[b] = hist.get(b, 0) + sign * n
        return {b: n for b, n in hist.items() if n}
    return _case_bins(ctx, [(window.start, window.end)])


def exact_percentile(ctx: _Ctx, window: Window, hist: Mapping[int, int], p: float) -> float | None:
    """Nearest-rank percentile (rank ⌈p·n⌉) in working days, exact: the
    histogram ``hist`` of the window's cases finds the bin holding the rank;
    the rank's own handling time is then read from that bin's rows (ordered
    by seconds, one row at an offset)."""
    n = sum(hist.values())
    if n <= 0:
        return None
    rank = max(1, math.ceil(p * n))
    seen = 0
    for b in sorted(hist):
        if seen + hist[b] >= rank:
            q = (
                _handling_rows(ctx, [(window.start, window.end)], CaseHandling.secs)
                .where(CaseHandling.bin == b)
                .order_by(CaseHandling.secs)
                .offset(rank - seen - 1)
                .limit(1)
            )
            secs = ctx.run(q).scalar_one_or_none()
            return R.bin_value(b) if secs is None else secs / R.DAY_SECS
        seen += hist[b]
    return None  # pragma: no cover - unreachable


# ----------------------------------------------------------------------------
# Live and flow figures
# ----------------------------------------------------------------------------
def _due_select(ctx: _Ctx, window: Window, today: date, level: str | None = None, ids: list[int] | None = None):
    """The due cohort's sums (due in the window, done of those, due before it
    and still open) as one select: for the context's own area, or grouped by
    the areas ``ids`` of ``level`` (key first). The due rollup serves the city,
    districts and townships, the cases the levels below. None before the window."""
    upto = min(window.end, today)
    if upto < window.start:
        return None
    lo, hi = _dk(window.start), _dk(upto)
    if (ctx.key is not None) if level is None else (level in ROLLUP_LEVELS):
        o = RollupOverdue
        inside = and_(o.day >= lo, o.day <= hi)
        key = None if level is None else o.area_id
        conds = [o.area_id == ctx.key if key is None else key.in_(ids), o.day <= hi]
        if ctx.category_id is not None:
            conds.append(o.category_id == ctx.category_id)
        if ctx.department_id is not None:
            conds.append(o.department_id == ctx.department_id)
        sums = (
            func.coalesce(func.sum(case((inside, o.due), else_=0)), 0),
            func.coalesce(func.sum(case((inside, o.due_done), else_=0)), 0),
            func.coalesce(func.sum(case((o.day < lo, o.due - o.due_done), else_=0)), 0),
        )
    else:
        w = Window(window.start, upto)
        done = R.done_sql()
        inside = Case.deadline >= w.lo
        key = None if level is None else CASE_AREA_COLUMN[level]
        conds = [R.counted_sql(), Case.deadline.is_not(None), Case.deadline < w.hi, *ctx.case_conditions()]
        if key is not None:
            conds.append(key.in_(ids))
        sums = (
            func.coalesce(func.sum(case((inside, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(inside, done), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(~inside, ~done), 1), else_=0)), 0),
        )
    if key is None:
        return select(*sums).where(*conds)
    return select(key, *sums).where(*conds).group_by(key)


def _due(ctx: _Ctx, window: Window, today: date) -> tuple[int, int]:
    """(due, done) of the headline 办结率: the accepted cases with a deadline
    on a day from the window's start to its end (today at the latest), plus
    those due before the window and still not done; done = resolved or closed now."""
    q = _due_select(ctx, window, today)
    if q is None:
        return 0, 0
    due_in, done_in, carried = (int(x) for x in ctx.run(q).one())
    return due_in + carried, done_in


def _due_by_child(ctx: _Ctx, window: Window, today: date, level: str, ids: list[int]) -> dict[int, tuple[int, int]]:
    """``_due`` for each area ``ids`` of ``level`` (the areas one level below
    the context's): {area id: (due, done)}, one grouped query."""
    q = _due_select(ctx, window, today, level, ids) if ids else None
    if q is None:
        return {}
    return {int(a): (int(d) + int(c), int(n)) for a, d, n, c in ctx.run(q).all()}


def _open_cases(ctx: _Ctx, at: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """The open cases with a deadline, in one pass (covering status / deadline
    indexes): ({department id (0 = none): past their deadline at ``at``},
    {accept month key: accepted, not yet due}).  The first is "overdue now";
    the second is what the trend's rate leaves out."""
    if ctx._open is None:
        dept = func.coalesce(Case.department_id, 0)
        late = case((Case.deadline < at, 1), else_=0)
        month = R.month_sql(ctx.session, Case.accepted_at)
        is_open = Case.status.in_(CaseStatus.OPEN)
        if ctx.session.get_bind().dialect.name == "sqlite":
            # SQLite's statistics see eight statuses of equal size; open cases are about 1 %:
            # told so, the planner reads the status / deadline index, not a whole category's
            is_open = func.likelihood(is_open, literal_column("0.01"))
        q = (
            select(dept, late, month, func.count())
            .where(is_open, Case.deadline.is_not(None), *ctx.case_conditions())
            .group_by(dept, late, month)
        )
        overdue: dict[int, int] = {}
        not_due: dict[int, int] = {}
        for d, is_late, m, n in ctx.run(q).all():
            if is_late:
                overdue[int(d)] = overdue.get(int(d), 0) + int(n)
            elif m is not None:  # accepted (an open case is counted once accepted)
                not_due[int(m)] = not_due.get(int(m), 0) + int(n)
        ctx._open = (overdue, not_due)
    return ctx._open


def _overdue_now(ctx: _Ctx, at: datetime) -> dict[int, int]:
    """{department id (0 = none): open cases past their deadline now}."""
    return _open_cases(ctx, at)[0]


def _overdue_at_end_of(ctx: _Ctx, day: date) -> int:
    """Cases overdue at the end of ``day``, from the overdue flow (judged on
    today's deadlines and statuses)."""
    if ctx.key is not None and not ctx.filtered:
        if day in ctx._overdue:
            return ctx._overdue[day]
        q = select(func.coalesce(func.sum(RollupDay.overdue_in - RollupDay.overdue_out), 0)).where(
            RollupDay.area_id == ctx.key, RollupDay.day <= _dk(day)
        )
        return int(ctx.run(q).scalar_one())
    if ctx.key is not None:  # filtered: the same flow per category and department
        conds = [RollupOverdue.area_id == ctx.key, RollupOverdue.day <= _dk(day)]
        if ctx.category_id is not None:
            conds.append(RollupOverdue.category_id == ctx.category_id)
        if ctx.department_id is not None:
            conds.append(RollupOverdue.department_id == ctx.department_id)
        q = select(func.coalesce(func.sum(RollupOverdue.overdue_in - RollupOverdue.overdue_out), 0)).where(*conds)
        return int(ctx.run(q).scalar_one())
    end = datetime.combine(day + timedelta(days=1), time.min)
    done_at = R.done_at_sql()
    q = select(func.count()).where(
        R.counted_sql(),
        Case.deadline.is_not(None),
        Case.deadline < end,
        or_(~R.done_sql(), and_(R.resolved_sql(), done_at > Case.deadline, done_at >= end)),
        *ctx.case_conditions(),
    )
    return int(ctx.run(q).scalar_one())


def _intake(ctx: _Ctx, window: Window) -> tuple[int, int]:
    """(accepted, received) in ``window``."""
    if ctx.key is not None and not ctx.filtered:
        hit = ctx.cached(window, ("accepted", "received"))
        if hit is not None:
            return hit["accepted"], hit["received"]
        lo, hi = window.dk
        q = select(*_sums(RollupDay, ("accepted", "received"))).where(
            RollupDay.area_id == ctx.key, RollupDay.day >= lo, RollupDay.day <= hi
        )
        a, r = ctx.run(q).one()
        return int(a), int(r)
    hit = ctx.cached(window, ("accepted", "received"))
    if hit is not None:
        return hit["accepted"], hit["received"]
    conds = ctx.case_conditions()
    accepted = select(func.count()).where(R.counted_sql(), Case.accepted_at >= window.lo, Case.accepted_at < window.hi, *conds)
    received = select(func.count()).where(Case.submitted_at >= window.lo, Case.submitted_at < window.hi, *conds)
    return int(ctx.run(accepted).scalar_one()), int(ctx.run(received).scalar_one())


def _prefetch_intake(ctx: _Ctx, windows: tuple[Window, ...]) -> None:
    """Filtered or community / grid reads: the intake windows from the cases,
    one indexed pass per timestamp instead of one per window."""
    if ctx.key is not None and not ctx.filtered:
        ctx.prefetch(windows, ("accepted", "received"))
        return
    lo, hi = min(w.lo for w in windows), max(w.hi for w in windows)
    conds = ctx.case_conditions()
    out: dict[tuple[date, date], Counters] = {(w.start, w.end): {} for w in windows}
    for col, when, extra in (("accepted", Case.accepted_at, [R.counted_sql()]), ("received", Case.submitted_at, [])):
        sums = [func.sum(case((and_(when >= w.lo, when < w.hi), 1), else_=0)) for w in windows]
        row = ctx.run(select(*sums).where(when >= lo, when < hi, *extra, *conds)).one()
        for w, n in zip(windows, row):
            out[(w.start, w.end)][col] = int(n or 0)
    for key, vals in out.items():
        ctx._sums.setdefault(key, {}).update(vals)


# ----------------------------------------------------------------------------
# KPI values
# ----------------------------------------------------------------------------
def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class _Values:
    c: Counters
    median: float | None
    p90: float | None

    @property
    def completion(self) -> float | None:
        return _rate(self.c["done"], self.c["accepted"])

    @property
    def on_time(self) -> float | None:
        return _rate(self.c["on_time"], self.c["resolved"])

    @property
    def satisfaction(self) -> float | None:
        return _rate(self.c["satisfied"] + self.c["basic"], self.c["evaluated"])

    @property
    def mean_score(self) -> float | None:
        return self.c["score_sum"] / self.c["scored"] if self.c["scored"] else None

    @property
    def follow_up(self) -> float | None:
        return _rate(self.c["followed_up"], self.c["resolved"])

    @property
    def mean_days(self) -> float | None:
        return self.c["handling_secs"] / R.DAY_SECS / self.c["resolved"] if self.c["resolved"] else None


def _values(ctx: _Ctx, window: Window) -> _Values:
    c = _totals(ctx, window)
    hist = _histogram(ctx, window) if c["resolved"] else {}
    return _Values(c, exact_percentile(ctx, window, hist, 0.5), exact_percentile(ctx, window, hist, 0.9))


def _kpi(value, previous, num: int | None = None, den: int | None = None) -> Kpi:
    change = value - previous if value is not None and previous is not None else None
    return Kpi(value=value, previous=previous, change=change, numerator=num, denominator=den)


# ----------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------
def _children(ctx: _Ctx) -> list[tuple[int, str]]:
    level = CHILD_LEVEL.get(ctx.level)
    if level is None:
        return []
    q = select(Area.id, Area.name).where(Area.parent_id == ctx.area.id, Area.level == level).order_by(Area.sort, Area.id)
    return [(int(i), n) for i, n in ctx.run(q).all()]


def _team_scope(ctx: _Ctx):
    """SQL condition: the teams inside the area."""
    level, aid = ctx.level, ctx.area.id
    if level == AreaLevel.CITY:
        return true()
    if level == AreaLevel.DISTRICT:
        return Team.township_id.in_(select(Area.id).where(Area.parent_id == aid))
    if level == AreaLevel.TOWNSHIP:
        return Team.township_id == aid
    if level == AreaLevel.COMMUNITY:
        return Team.grid_id.in_(select(Area.id).where(Area.parent_id == aid))
    return Team.grid_id == aid


# ----------------------------------------------------------------------------
# Rankings
# ----------------------------------------------------------------------------
def _rank(rows: list[tuple[int, str, Counters]], min_volume: int) -> list[RankRow]:
    """Worst first by completion rate, then on-time rate; rows under
    ``min_volume`` accepted cases follow, unranked (a small area's rate says little).
    Sorted as plain tuples and built once (a city has thousands of teams)."""
    big, small = [], []
    for gid, name, c in rows:
        accepted, done, resolved, on_time = c["accepted"], c["done"], c["resolved"], c["on_time"]
        completion, timely = _rate(done, accepted), _rate(on_time, resolved)
        if accepted >= min_volume:
            key = (completion, timely if timely is not None else 1.0, -accepted, gid)
            big.append((key, gid, name, accepted, done, resolved, on_time, completion, timely))
        else:
            small.append(((-accepted, gid), gid, name, accepted, done, resolved, on_time, completion, timely))
    big.sort(key=lambda r: r[0])
    small.sort(key=lambda r: r[0])
    ranked = [RankRow(*r[1:], rank=i + 1) for i, r in enumerate(big)]
    return ranked + [RankRow(*r[1:], rank=None) for r in small]


# ----------------------------------------------------------------------------
# The dashboard
# ----------------------------------------------------------------------------
def dashboard(session: Session, *, actor: Actor, query: DashboardQuery | Mapping | None = None, now: datetime | None = None) -> Dashboard:
    """Every KPI with its previous-period value and every chart series of the
    leadership dashboard, for ``query`` inside the ``actor``'s scope."""
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    q = parse_query(query)
    at = now or clock_now()
    today = at.date()
    ctx = _context(session, actor, q)
    cur, prev = period_windows(q, today)

    # KPIs
    yesterday = today - timedelta(days=1)
    intake_windows = (Window(today, today), Window(yesterday, yesterday), Window(_month_start(today), today), _month_to_date_before(today))
    overdue_day = today - timedelta(days=(cur.start - prev.start).days)
    ctx.prefetch((cur, prev), R.COHORT + ("received",), overdue_day)
    _prefetch_intake(ctx, intake_windows)
    v, pv = _values(ctx, cur), _values(ctx, prev)
    overdue = _overdue_now(ctx, at)
    overdue_before = _overdue_at_end_of(ctx, overdue_day)
    (t_acc, t_rec), (y_acc, y_rec), (m_acc, m_rec), (pm_acc, pm_rec) = (_intake(ctx, w) for w in intake_windows)
    c, pc = v.c, pv.c
    (due, due_done), (p_due, p_due_done) = _due(ctx, cur, today), _due(ctx, prev, today)
    kpis = Kpis(
        accepted=_kpi(c["accepted"], pc["accepted"]),
        done=_kpi(c["done"], pc["done"]),
        due_completion_rate=_kpi(_rate(due_done, due), _rate(p_due_done, p_due), due_done, due),
        completion_rate=_kpi(v.completion, pv.completion, c["done"], c["accepted"]),
        on_time_rate=_kpi(v.on_time, pv.on_time, c["on_time"], c["resolved"]),
        overdue_now=_kpi(sum(overdue.values()), overdue_before),
        satisfaction_rate=_kpi(v.satisfaction, pv.satisfaction, c["satisfied"] + c["basic"], c["evaluated"]),
        mean_score=_kpi(v.mean_score, pv.mean_score, c["score_sum"], c["scored"]),
        follow_up_rate=_kpi(v.follow_up, pv.follow_up, c["followed_up"], c["resolved"]),
        handling_median_days=_kpi(v.median, pv.median),
        handling_p90_days=_kpi(v.p90, pv.p90),
        handling_mean_days=_kpi(v.mean_days, pv.mean_days),
        intake_today=_kpi(t_acc, y_acc),
        intake_month=_kpi(m_acc, pm_acc),
        received_today=_kpi(t_rec, y_rec),
        received_month=_kpi(m_rec, pm_rec),
    )

    # charts
    trend = _trend(ctx, cur, at)
    cats = _category_points(ctx, cur)
    children = _children(ctx)
    child_level = CHILD_LEVEL.get(ctx.level)
    area_ranking: list[RankRow] = []
    if child_level is not None:
        groups = _cohort(ctx, cur, RANK_COLS, child_level, [i for i, _ in children])
        area_ranking = _rank([(i, n, groups.get(i) or _zero(RANK_COLS)) for i, n in children], q.min_volume)
    team_names, activity, totals = _team_activity(ctx, today, q.limit)
    team_groups = _cohort(ctx, cur, RANK_COLS, "team")
    team_rows = _rank([(tid, team_names[tid], vals) for tid, vals in team_groups.items() if tid in team_names], q.min_volume)
    ranked_teams = [r for r in team_rows if r.rank is not None]
    sat_total = c["evaluated"]
    satisfaction = [
        SatisfactionSlice(level, c[level], _rate(c[level], sat_total)) for level in ("satisfied", "basic", "unsatisfied")
    ]
    dept_names = {d: (zh, en) for d, zh, en in ctx.run(select(Department.id, Department.name_zh, Department.name_en)).all()}
    overdue_rows = sorted(
        (
            DepartmentOverdue(d, dept_names[d][0], n, dept_names[d][1]) if d in dept_names else DepartmentOverdue(d, "未派单", n)
            for d, n in overdue.items()
        ),
        key=lambda r: (-r.overdue, r.department_id),
    )
    return Dashboard(
        area_id=ctx.area.id,
        area_name=ctx.area.name,
        area_level=ctx.level,
        period=q.period,
        date_from=cur.start,
        date_to=cur.end,
        previous_from=prev.start,
        previous_to=prev.end,
        category_code=q.category_code,
        department_id=q.department_id,
        min_volume=q.min_volume,
        generated_at=at,
        kpis=kpis,
        trend=trend,
        categories=cats,
        ranking_level=child_level,
        area_ranking=area_ranking,
        team_ranking=ranked_teams[: q.limit],
        teams_ranked=len(ranked_teams),
        teams_below_volume=len(team_rows) - len(ranked_teams),
        team_activity=activity,
        team_activity_totals=totals,
        satisfaction=satisfaction,
        overdue_by_department=overdue_rows,
    )


def _trend(ctx: _Ctx, window: Window, at: datetime) -> list[MonthPoint]:
    """Monthly cohort (accepted, done now) with the month's intake and
    throughput: the 12 months ending with the period's last month, or the
    period's own months when it is longer (at most 120).  The running month
    stays on the axis, marked ``partial``.  The rate of a month counts the
    cases whose deadline has come (done ÷ accepted less those still open and
    not yet due): the month just ended does not dip for cases still in time."""
    today = at.date()
    last = _month_start(window.end)
    first = _month_start(window.start)
    months = _months(first, last)
    if len(months) < TREND_MONTHS:
        start = last
        for _ in range(TREND_MONTHS - 1):
            start = _prev_month_start(start)
        months = _months(start, last)
    months = months[-MAX_TREND_MONTHS:]
    keys = [_mk(m) for m in months]
    cols = ("received", "accepted", "done", "done_in")
    by_month: dict[int, Counters] = {k: _zero(cols) for k in keys}
    s = ctx.session
    if ctx.key is not None:
        conds = [RollupMonth.area_id == ctx.key, RollupMonth.month >= keys[0], RollupMonth.month <= keys[-1]]
        if ctx.category_id is not None:
            conds.append(RollupMonth.category_id == ctx.category_id)
        if ctx.department_id is not None:
            conds.append(RollupMonth.department_id == ctx.department_id)
        q = select(RollupMonth.month, *_sums(RollupMonth, cols)).where(*conds).group_by(RollupMonth.month)
        for row in ctx.run(q).all():
            m = row._mapping
            by_month[int(m["month"])] = {c: int(m[c]) for c in cols}
    else:
        span = Window(months[0], _month_end(months[-1]))
        conds = ctx.case_conditions()
        done_at = R.done_at_sql()
        for col, when, counted, extra in (
            ("received", Case.submitted_at, None, literal(1)),
            ("accepted", Case.accepted_at, R.counted_sql(), literal(1)),
            ("done_in", done_at, and_(R.counted_sql(), R.resolved_sql()), literal(1)),
        ):
            mk = R.month_sql(s, when)
            q = select(mk, func.count(), func.sum(_cohort_exprs()["done"]) if col == "accepted" else literal(0))
            q = q.where(when >= span.lo, when < span.hi, *conds)
            if counted is not None:
                q = q.where(counted)
            for month, n, done in ctx.run(q.group_by(mk)).all():
                if int(month) in by_month:
                    by_month[int(month)][col] = int(n)
                    if col == "accepted":
                        by_month[int(month)]["done"] = int(done or 0)
    not_due = _open_cases(ctx, at)[1]  # still open and not yet due, by accept month
    return [
        MonthPoint(
            month=f"{k // 100:04d}-{k % 100:02d}",
            received=v["received"],
            accepted=v["accepted"],
            done=v["done"],
            completion_rate=_rate(v["done"], v["accepted"] - not_due.get(k, 0)),
            done_in=v["done_in"],
            partial=k == _mk(today) and today < _month_end(today),
            not_due=not_due.get(k, 0),
        )
        for k, v in by_month.items()
    ]


def _category_points(ctx: _Ctx, window: Window) -> list[CategoryPoint]:
    groups = _cohort(ctx, window, RANK_COLS, "category")
    cats = ctx.run(select(Category.id, Category.code, Category.name_zh, Category.name_en).order_by(Category.sort, Category.id)).all()
    out = []
    for cid, code, name, name_en in cats:
        if ctx.category_id is not None and cid != ctx.category_id:
            continue
        c = groups.get(int(cid)) or _zero(RANK_COLS)
        out.append(
            CategoryPoint(
                category_id=int(cid),
                code=code,
                name=name,
                name_en=name_en,
                accepted=c["accepted"],
                done=c["done"],
                completion_rate=_rate(c["done"], c["accepted"]),
                on_time_rate=_rate(c["on_time"], c["resolved"]),
            )
        )
    return out


def _team_activity(ctx: _Ctx, today: date, limit: int) -> tuple[dict[int, str], list[TeamActivity], TeamActivity]:
    """The names of the teams in the area (for the ranking: one read of the
    team table), and the visits and diaries of each active one this calendar
    month, least active first, with the totals.

    Counted per team of the scope (correlated, on the (team, day) indexes):
    a grid's dashboard reads its own team's month, not the whole city's."""
    first = _month_start(today)
    visits = (
        select(func.count())
        .where(Visit.team_id == Team.id, Visit.visited_on >= first, Visit.visited_on <= today)
        .correlate(Team)
        .scalar_subquery()
    )
    diaries = (
        select(func.count())
        .where(Diary.team_id == Team.id, Diary.day >= first, Diary.day <= today)
        .correlate(Team)
        .scalar_subquery()
    )
    active = Team.active == true()
    q = select(Team.id, Team.name, Team.active, case((active, visits), else_=0), case((active, diaries), else_=0)).where(_team_scope(ctx))
    names: dict[int, str] = {}
    rows = []
    for i, n, is_active, a, b in ctx.run(q).all():
        names[int(i)] = n
        if is_active:
            rows.append(TeamActivity(int(i), n, int(a or 0), int(b or 0)))
    totals = TeamActivity(0, f"{len(rows)}个团队", sum(r.visits for r in rows), sum(r.diaries for r in rows))
    rows.sort(key=lambda r: (r.visits + r.diaries, r.visits, r.team_id))
    return names, rows[:limit], totals


# ----------------------------------------------------------------------------
# Public figures (/api/kpis)
# ----------------------------------------------------------------------------
def kpis_public(session: Session, *, date_from: date, date_to: date, area_id: int | None = None, now: datetime | None = None) -> PublicKpis:
    """The KPI table for the public: aggregates only, any area, cohort of the
    cases accepted from ``date_from`` to ``date_to`` (inclusive, ≤ 10 years);
    the headline 办结率 over the cases due in that range (see the module)."""
    q = parse_query({"period": "custom", "date_from": date_from, "date_to": date_to, "area_id": area_id})
    at = now or clock_now()
    ctx = _context(session, None, q)
    window = Window(q.date_from, q.date_to)
    v = _values(ctx, window)
    c = v.c
    due, due_done = _due(ctx, window, at.date())
    return PublicKpis(
        area_id=ctx.area.id,
        area_name=ctx.area.name,
        date_from=q.date_from,
        date_to=q.date_to,
        accepted=c["accepted"],
        done=c["done"],
        completion_rate=v.completion,
        due=due,
        due_done=due_done,
        due_completion_rate=_rate(due_done, due),
        resolved=c["resolved"],
        on_time_rate=v.on_time,
        overdue_now=sum(_overdue_now(ctx, at).values()),
        evaluated=c["evaluated"],
        satisfaction_rate=v.satisfaction,
        mean_score=v.mean_score,
        follow_up_rate=v.follow_up,
        handling_median_days=v.median,
        handling_p90_days=v.p90,
        handling_mean_days=v.mean_days,
    )


# ----------------------------------------------------------------------------
# Drill-down: the /cases filter a click opens
# ----------------------------------------------------------------------------
DRILLDOWN_TARGETS = ("accepted", "open", "overdue", "resolved", "closed", "category", "area", "team", "department_overdue")


def drilldown_filter(
    session: Session,
    *,
    actor: Actor,
    query: DashboardQuery | Mapping | None = None,
    target: str,
    key: int | str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The ``rxapp.domain.queries.CaseFilter`` (as a dict, dates ISO) listing
    the cases behind a dashboard figure.

    ``target``: ``accepted`` (the period's cohort), ``open``, ``resolved``,
    ``closed`` (of that cohort), ``overdue`` (open past deadline, now: no date
    range), ``category`` (``key`` = category code), ``area`` (``key`` = a
    sub-area id), ``team`` (``key`` = team id: its grid), ``department_overdue``
    (``key`` = department id, 0 = not routed).  Dated targets list the KPI's
    own cohort (``date_basis`` "accepted": accepted in the period, not rejected
    or marked duplicate), so the list's total is the figure clicked."""
    if target not in DRILLDOWN_TARGETS:
        raise DomainError("无效的钻取目标", "target")
    q = parse_query(query)
    ctx = _context(session, actor, q)
    cur, _ = period_windows(q, (now or clock_now()).date())
    out: dict[str, Any] = {
        "status": None,
        "category_code": q.category_code,
        "area_id": ctx.area.id if ctx.level != AreaLevel.CITY else None,
        "department_id": q.department_id,
        "overdue": None,
        "date_from": cur.start.isoformat(),
        "date_to": cur.end.isoformat(),
        "date_basis": "accepted",
    }
    if target in ("open", "resolved", "closed"):
        out["status"] = target
    elif target in ("overdue", "department_overdue"):
        out.update(status="open", overdue=True, date_from=None, date_to=None, date_basis=None)
        if target == "department_overdue":
            dept = _key_int(key)
            if dept and session.get(Department, dept) is None:
                raise DomainError("职能部门无效", "key")
            out["department_id"] = dept or None
    elif target == "category":
        code = str(key or "").strip().upper()
        if session.execute(select(Category.id).where(Category.code == code)).scalar_one_or_none() is None:
            raise DomainError("诉求类别无效", "key")
        out["category_code"] = code
    elif target in ("area", "team"):
        if target == "team":
            team = session.get(Team, _key_int(key))
            if team is None:
                raise DomainError("服务团队不存在", "key")
            area_id = team.grid_id
        else:
            area_id = _key_int(key)
        area = _resolve_area(session, actor, area_id)
        if not area.path.startswith(ctx.area.path):
            raise AccessDenied("所选区域不在您的管辖范围内")
        out["area_id"] = area.id if area.level != AreaLevel.CITY else None
    return out


def _key_int(key: Any) -> int:
    if isinstance(key, str) and key.strip().isdigit() and len(key.strip()) <= 10:
        key = int(key.strip())
    if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= MAX_ID:
        raise DomainError("编号无效", "key")
    return key
