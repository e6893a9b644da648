"""Case deadlines in working days on the official Chinese calendar.

Pure Python (no Reflex, no database).

A day is a *working day* according to the first source that knows its year:

1. ``"official"`` – an administrator-entered :class:`YearSchedule` for that year
   (passed in via ``overrides``; the State Council publishes each year's
   schedule, often after the ``chinesecalendar`` release we ship with).
   Holidays are off, make-up working days (调休, always a Saturday/Sunday) are
   on, every other day follows Monday–Friday.
2. ``"package"`` – the ``chinesecalendar`` package (``import chinese_calendar``)
   for the years it covers.  The covered range is discovered from the package
   itself (its data tables, confirmed by probing for its
   ``NotImplementedError``), never hard-coded.
3. ``"missing"`` – plain Monday–Friday; any deadline that relies on such a
   year is marked *provisional*.

Performance: each (year, source) is turned once into a compact per-year table
(workday flags, a prefix-sum and the list of working-day indexes) cached with
:func:`functools.lru_cache`.  :func:`add_workdays` then jumps straight to the
N-th working day with O(1) work per calendar year crossed, so bulk seeding of
hundreds of thousands of cases is cheap (see ``bench/workdays_bench.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Mapping, NamedTuple

__all__ = [
    "YearSchedule",
    "Overrides",
    "Deadline",
    "parse_schedule_text",
    "format_schedule_text",
    "schedule_source",
    "package_year_range",
    "is_workday",
    "add_workdays",
    "extend_deadline",
    "workdays_between",
    "missing_schedule_years",
    "MAX_WORKDAYS",
]

#: Largest ``n`` accepted by :func:`add_workdays` / :func:`extend_deadline`.
MAX_WORKDAYS = 366

SOURCE_OFFICIAL = "official"
SOURCE_PACKAGE = "package"
SOURCE_MISSING = "missing"

_WEEKDAY_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_DAY_SECONDS = 86400.0
_END_OF_DAY = time(23, 59, 59)


# --------------------------------------------------------------------------
# Admin-entered schedule
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSchedule:
    """Official holiday schedule for one year, as entered by an administrator.

    ``holidays``: days off (including weekdays inside holiday periods; weekend
    days may be listed too).  ``workdays``: make-up working days – weekend days
    that are worked (调休).  ``names``: optional display names keyed by any date
    of ``holidays`` or ``workdays``.

    ``names`` takes part in equality but not in hashing, so schedules remain
    hashable.  It is copied into a plain ``dict`` on construction.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    names: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"年份必须是整数：{self.year!r}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"年份超出范围：{self.year}")
        hol = frozenset(self.holidays)
        wrk = frozenset(self.workdays)
        for label, days in (("休息日", hol), ("调休上班日", wrk)):
            for d in days:
                if isinstance(d, datetime) or not isinstance(d, date):
                    raise TypeError(f"{label}必须是 date 类型：{d!r}")
                if d.year != self.year:
                    raise ValueError(f"{label} {d.isoformat()} 不在 {self.year} 年内")
        both = sorted(hol & wrk)
        if both:
            raise ValueError(f"{both[0].isoformat()} 同时被标为休息日和调休上班日")
        for d in sorted(wrk):
            if d.weekday() < 5:
                raise ValueError(
                    f"{d.isoformat()} 是{_WEEKDAY_ZH[d.weekday()]}，调休上班日必须是周六或周日"
                )
        names: dict[date, str] = {}
        for d, name in dict(self.names or {}).items():
            if d not in hol and d not in wrk:
                raise ValueError(f"名称所对应的日期 {d!r} 不在本年度的休息日或调休上班日中")
            if not isinstance(name, str):
                raise TypeError(f"{d.isoformat()} 的名称必须是字符串：{name!r}")
            name = name.strip()
            if "\n" in name or "\r" in name:
                raise ValueError(f"{d.isoformat()} 的名称不能包含换行")
            if name:
                names[d] = name
        object.__setattr__(self, "holidays", hol)
        object.__setattr__(self, "workdays", wrk)
        object.__setattr__(self, "names", names)


Overrides = Mapping[int, YearSchedule]

_OFF_WORDS = {"休", "假", "休息", "放假", "holiday", "off"}
_ON_WORDS = {"班", "上班", "补班", "workday", "work"}
_DATE = r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"
_LINE_RE = re.compile(
    rf"^{_DATE}(?:\s*[~～至]\s*{_DATE})?\s*(\S+)(?:\s+(.*?))?\s*$"
)


def _mkdate(lineno: int, y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise ValueError(f"第{lineno}行：日期无效“{y}-{m}-{d}”") from None


def parse_schedule_text(year: int, text: str) -> YearSchedule:
    """Parse an administrator's schedule text for ``year``.

    One entry per line::

        # 2027年节假日安排
        2027-01-01 休 元旦
        2027-02-07 班
        2027-02-10~2027-02-16 休 春节

    * a date ``YYYY-MM-DD`` or an inclusive range ``A~B`` (also ``～`` / ``至``;
      ``/`` or ``.`` may separate date parts);
    * the kind: ``休`` / ``假`` / ``holiday`` (also 休息, 放假, off) = day off,
      ``班`` / ``workday`` (also 上班, 补班, work) = make-up working day;
    * an optional name (the rest of the line).

    Blank lines and lines starting with ``#`` are ignored.  Raises
    :class:`ValueError` with a Chinese message naming the line for a malformed
    line, an invalid date, a date outside ``year``, a date that is both off and
    on, or a make-up day that is not a Saturday/Sunday.  A weekend holiday is
    fine.  A text without any day off is rejected as well.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise ValueError(f"年份无效：{year!r}")
    kinds: dict[date, tuple[bool, int]] = {}  # date -> (is_off, lineno)
    names: dict[date, tuple[str, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff").strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE_RE.match(line)
        if not m:
            raise ValueError(
                f"第{lineno}行格式错误：“{line}”，"
                "应为“YYYY-MM-DD 休 名称”或“YYYY-MM-DD~YYYY-MM-DD 班”"
            )
        first = _mkdate(lineno, *m.group(1, 2, 3))
        last = _mkdate(lineno, *m.group(4, 5, 6)) if m.group(4) else first
        word, name = m.group(7), (m.group(8) or "").strip()
        if word.lower() in _OFF_WORDS:
            off = True
        elif word.lower() in _ON_WORDS:
            off = False
        else:
            raise ValueError(
                f"第{lineno}行：类型“{word}”无法识别，"
                "应为“休”/“假”/“holiday”（休息日）或“班”/“workday”（调休上班日）"
            )
        if last < first:
            raise ValueError(
                f"第{lineno}行：日期范围起止颠倒（{first.isoformat()} 晚于 {last.isoformat()}）"
            )
        for d in (first, last):
            if d.year != year:
                raise ValueError(f"第{lineno}行：日期 {d.isoformat()} 不在 {year} 年内")
        d = first
        while d <= last:
            prev = kinds.get(d)
            if prev is not None and prev[0] != off:
                raise ValueError(
                    f"第{lineno}行：{d.isoformat()} 同时被标为休息日和调休上班日"
                    f"（另见第{prev[1]}行）"
                )
            if not off and d.weekday() < 5:
                raise ValueError(
                    f"第{lineno}行：{d.isoformat()} 是{_WEEKDAY_ZH[d.weekday()]}，"
                    "调休上班日必须是周六或周日"
                )
            if name:
                prev_name = names.get(d)
                if prev_name is not None and prev_name[0] != name:
                    raise ValueError(
                        f"第{lineno}行：{d.isoformat()} 的名称“{name}”与第{prev_name[1]}行的"
                        f"“{prev_name[0]}”冲突"
                    )
                names[d] = (name, lineno)
            if prev is None:
                kinds[d] = (off, lineno)
            d += timedelta(days=1)
    holidays = frozenset(d for d, (off, _) in kinds.items() if off)
    if not holidays:
        raise ValueError(f"{year}年节假日安排中没有任何休息日，请至少录入一行“YYYY-MM-DD 休”")
    return YearSchedule(
        year=year,
        holidays=holidays,
        workdays=frozenset(d for d, (off, _) in kinds.items() if not off),
        names={d: n for d, (n, _) in names.items()},
    )


def format_schedule_text(s: YearSchedule) -> str:
    """Render ``s`` in the text format read by :func:`parse_schedule_text`.

    Consecutive days of the same kind and name are merged into ``A~B`` ranges;
    ``parse_schedule_text(s.year, format_schedule_text(s)) == s``.
    """
    entries = sorted(
        [(d, "休", s.names.get(d, "")) for d in s.holidays]
        + [(d, "班", s.names.get(d, "")) for d in s.workdays]
    )
    lines = [f"# {s.year}年节假日安排（休=休息日，班=调休上班日）"]
    i = 0
    while i < len(entries):
        first, kind, name = entries[i]
        j = i
        while (
            j + 1 < len(entries)
            and entries[j + 1][1:] == (kind, name)
            and entries[j + 1][0] == entries[j][0] + timedelta(days=1)
        ):
            j += 1
        last = entries[j][0]
        span = first.isoformat() if last == first else f"{first.isoformat()}~{last.isoformat()}"
        lines.append(f"{span} {kind} {name}".rstrip())
        i = j + 1
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# The chinesecalendar package
# --------------------------------------------------------------------------

try:  # pragma: no cover - import guard
    import chinese_calendar as _cc
except ImportError:  # pragma: no cover - package absent: every year "missing"
    _cc = None


def _package_knows(year: int) -> bool:
    """True if chinese_calendar answers for ``year`` (it raises NotImplementedError otherwise)."""
    if _cc is None:
        return False
    try:
        _cc.is_workday(date(year, 1, 1))
        _cc.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=1)
def package_year_range() -> tuple[int, int] | None:
    """(first, last) year covered by the installed ``chinesecalendar``, or ``None``.

    Read from the package's own data tables and confirmed by probing its
    ``NotImplementedError`` boundary; falls back to probing alone.
    """
    if _cc is None:
        return None
    years: list[int] = []
    try:
        from chinese_calendar import constants as _const

        years = [d.year for d in _const.holidays] + [d.year for d in _const.workdays]
    except Exception:  # pragma: no cover - package internals changed
        years = []
    if years:
        lo, hi = min(years), max(years)
        # Confirm (and widen if the data tables are not the whole story).
        while lo > 1 and _package_knows(lo - 1):
            lo -= 1
        while hi < 9999 and _package_knows(hi + 1):
            hi += 1
        while lo <= hi and not _package_knows(lo):
            lo += 1
        while hi >= lo and not _package_knows(hi):
            hi -= 1
        return (lo, hi) if lo <= hi else None
    today = date.today().year  # pragma: no cover - fallback probing
    known = [y for y in range(1990, today + 10) if _package_knows(y)]  # pragma: no cover
    return (min(known), max(known)) if known else None  # pragma: no cover


# --------------------------------------------------------------------------
# Per-year tables
# --------------------------------------------------------------------------


class _YearTable(NamedTuple):
    first_ordinal: int  # date(year, 1, 1).toordinal()
    flags: bytes  # flags[i] == 1 iff day i of the year is a working day
    cum: tuple[int, ...]  # cum[i] == number of working days among days 0..i-1
    idx: tuple[int, ...]  # day-of-year indexes of the working days, ascending
    missing: bool  # source "missing" (provisional Monday–Friday)


def _build_table(year: int, is_work, missing: bool) -> _YearTable:
    first = date(year, 1, 1)
    ndays = (date(year, 12, 31) - first).days + 1
    flags = bytes(1 if is_work(first + timedelta(days=i)) else 0 for i in range(ndays))
    cum = [0]
    for f in flags:
        cum.append(cum[-1] + f)
    idx = tuple(i for i, f in enumerate(flags) if f)
    return _YearTable(first.toordinal(), flags, tuple(cum), idx, missing)


def _mon_fri(d: date) -> bool:
    return d.weekday() < 5


@lru_cache(maxsize=512)
def _default_table(year: int) -> _YearTable:
    rng = package_year_range()
    if rng is not None and rng[0] <= year <= rng[1]:
        return _build_table(year, _cc.is_workday, missing=False)
    return _build_table(year, _mon_fri, missing=True)


@lru_cache(maxsize=512)
def _official_table(year: int, holidays: frozenset, workdays: frozenset) -> _YearTable:
    # Keyed by the schedule's fingerprint (frozensets cache their hash).
    def work(d: date) -> bool:
        if d in workdays:
            return True
        return d.weekday() < 5 and d not in holidays

    return _build_table(year, work, missing=False)


def _table(year: int, overrides: Overrides | None) -> _YearTable:
    if overrides:
        sched = overrides.get(year)
        if sched is not None:
            if sched.year != year:
                raise ValueError(f"节假日安排的年份 {sched.year} 与键 {year} 不一致")
            return _official_table(year, sched.holidays, sched.workdays)
    return _default_table(year)


# --------------------------------------------------------------------------
# Public queries
# --------------------------------------------------------------------------


def schedule_source(year: int, overrides: Overrides | None = None) -> str:
    """``"official"`` (admin schedule), ``"package"`` (chinesecalendar) or ``"missing"``."""
    if overrides and overrides.get(year) is not None:
        return SOURCE_OFFICIAL
    rng = package_year_range()
    if rng is not None and rng[0] <= year <= rng[1]:
        return SOURCE_PACKAGE
    return SOURCE_MISSING


def is_workday(d: date, overrides: Overrides | None = None) -> bool:
    """Whether ``d`` (a date, or the date part of a datetime) is a working day."""
    t = _table(d.year, overrides)
    return t.flags[d.toordinal() - t.first_ordinal] == 1


@dataclass(frozen=True)
class Deadline:
    """Result of :func:`add_workdays` / :func:`extend_deadline`."""

    due: datetime  # the N-th working day at 23:59:59, same tzinfo as the input
    provisional: bool  # some examined day lies in a year with source "missing"
    missing_years: tuple[int, ...]  # those years, ascending


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"工作日数必须是整数：{n!r}")
    if not 1 <= n <= MAX_WORKDAYS:
        raise ValueError(f"工作日数必须在 1 到 {MAX_WORKDAYS} 之间：{n}")


def add_workdays(start: datetime, n: int, overrides: Overrides | None = None) -> Deadline:
    """Deadline ``n`` working days after ``start`` (``1 <= n <= 366``).

    The acceptance day itself never counts: the working days counted are those
    strictly after ``start.date()``; the deadline is the end (23:59:59, same
    tzinfo) of the ``n``-th.  Example: accepted Friday 2026-11-27 10:00, n=5 ->
    Friday 2026-12-04 23:59:59.

    ``provisional`` is True iff some examined day – any day in
    ``(start.date(), due.date()]`` – lies in a year whose source is
    ``"missing"``; those years are listed in ``missing_years``.
    """
    if not isinstance(start, datetime):
        raise TypeError(f"start 必须是 datetime：{start!r}")
    _check_n(n)
    year = start.year
    t = _table(year, overrides)
    pos = start.toordinal() - t.first_ordinal  # day-of-year index of start
    k = t.cum[pos + 1]  # working days up to and including the start day
    remaining = n
    missing: list[int] = []
    if t.missing and pos + 1 < len(t.flags):  # some day of this year after start examined
        missing.append(year)
    while True:
        avail = len(t.idx) - k
        if remaining <= avail:
            due_index = t.idx[k + remaining - 1]
            break
        remaining -= avail
        year += 1
        if year > 9999:
            raise OverflowError("截止日期超出可表示的日期范围")
        t = _table(year, overrides)
        k = 0
        if t.missing:
            missing.append(year)
    due_date = date.fromordinal(t.first_ordinal + due_index)
    return Deadline(
        due=datetime.combine(due_date, _END_OF_DAY, tzinfo=start.tzinfo),
        provisional=bool(missing),
        missing_years=tuple(missing),
    )


def extend_deadline(due: datetime, n: int, overrides: Overrides | None = None) -> Deadline:
    """Extend a deadline by ``n`` more working days after the current due date.

    Equivalent to ``add_workdays(due, n)``, so
    ``extend_deadline(add_workdays(s, a).due, b).due == add_workdays(s, a + b).due``.
    ``provisional`` / ``missing_years`` describe the extension days only.
    """
    return add_workdays(due, n, overrides)


def _count_workdays(first: date, last: date, overrides: Overrides | None) -> int:
    """Number of working days in the inclusive range [first, last] (0 if empty)."""
    if last < first:
        return 0
    total = 0
    for year in range(first.year, last.year + 1):
        t = _table(year, overrides)
        lo = first.toordinal() - t.first_ordinal if year == first.year else 0
        hi = last.toordinal() - t.first_ordinal if year == last.year else len(t.flags) - 1
        total += t.cum[hi + 1] - t.cum[lo]
    return total


def workdays_between(
    start: datetime, end: datetime, overrides: Overrides | None = None
) -> float:
    """Handling time from ``start`` to ``end`` measured in working days (for KPIs).

    Rule (exact, additive): the result is the length, in days of 24 h, of the
    part of the interval ``[start, end]`` that falls on working days.  So

    * every working day strictly between ``start.date()`` and ``end.date()``
      counts 1, non-working days count 0;
    * the start day contributes ``(next midnight - start) / 24h`` and the end day
      ``(end - its midnight) / 24h``, each only if that day is a working day;
    * if both are on the same day: ``(end - start) / 24h`` if it is a working day.

    The result is 0 if ``end <= start`` and never negative, and
    ``workdays_between(a, c) == workdays_between(a, b) + workdays_between(b, c)``
    for ``a <= b <= c`` (up to float rounding).  Consistency with deadlines:
    for ``d = add_workdays(s, n)``, the time from midnight after ``s.date()`` to
    ``d.due`` is ``n - 1/86400`` (``due`` is 23:59:59, one second short of the
    day's end).

    Wall-clock time in ``start``'s timezone is used: an aware ``end`` is first
    converted to ``start.tzinfo``.  Mixing naive and aware values raises
    :class:`TypeError`.
    """
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise TypeError("start 和 end 必须是 datetime")
    if end <= start:  # also raises TypeError for naive/aware mixes
        return 0.0
    if start.tzinfo is not None:
        end = end.astimezone(start.tzinfo)
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    sd, ed = start.date(), end.date()
    if sd == ed:
        return (end - start).total_seconds() / _DAY_SECONDS if is_workday(sd, overrides) else 0.0
    total = float(_count_workdays(sd + timedelta(days=1), ed - timedelta(days=1), overrides))
    if is_workday(sd, overrides):
        next_midnight = datetime.combine(sd + timedelta(days=1), time())
        total += (next_midnight - start).total_seconds() / _DAY_SECONDS
    if is_workday(ed, overrides):
        total += (end - datetime.combine(ed, time())).total_seconds() / _DAY_SECONDS
    return max(total, 0.0)


def missing_schedule_years(
    today: date, horizon_days: int = 60, overrides: Overrides | None = None
) -> list[int]:
    """Years touched by ``[today, today + horizon_days]`` whose source is ``"missing"``.

    Used to warn administrators and leaders, e.g. “2027年节假日安排尚未录入”.
    """
    if isinstance(today, datetime):
        today = today.date()
    if horizon_days < 0:
        raise ValueError(f"horizon_days 不能为负数：{horizon_days}")
    try:
        last = today + timedelta(days=horizon_days)
    except OverflowError:
        last = date.max
    return [
        y
        for y in range(today.year, last.year + 1)
        if schedule_source(y, overrides) == SOURCE_MISSING
    ]

