"""Tests for rxapp.domain.workdays (working-day deadlines on the Chinese calendar)."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

try:
    import rxapp.domain.workdays  # noqa: F401
except ModuleNotFoundError:  # plain `pytest` without the repo root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import chinese_calendar as cc
from chinese_calendar import constants as cc_const
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rxapp.domain.workdays import (
    Deadline,
    YearSchedule,
    add_workdays,
    extend_deadline,
    format_schedule_text,
    is_workday,
    missing_schedule_years,
    package_year_range,
    parse_schedule_text,
    schedule_source,
    workdays_between,
)

# No example database written into the working tree; no per-example deadline
# (first touches of a year build its table).
PROP = settings(database=None, deadline=None, max_examples=300)

PKG_LO = min(d.year for d in cc_const.holidays)
PKG_HI = max(d.year for d in cc_const.holidays)
CST = timezone(timedelta(hours=8), "CST")
DAY = 86400.0
ONE_SECOND = 1 / DAY


# --------------------------------------------------------------------------
# Independent oracle: day by day, straight from chinese_calendar.
# --------------------------------------------------------------------------


def oracle_is_workday(d: date, overrides=None) -> bool:
    if overrides and d.year in overrides:
        s = overrides[d.year]
        return d in s.workdays or (d.weekday() < 5 and d not in s.holidays)
    try:
        return cc.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def oracle_missing(year: int, overrides=None) -> bool:
    if overrides and year in overrides:
        return False
    try:
        cc.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return True
    return False


def oracle_add(start: datetime, n: int, overrides=None):
    d = start.date()
    years = set()
    while n:
        d += timedelta(days=1)
        if oracle_missing(d.year, overrides):
            years.add(d.year)
        if oracle_is_workday(d, overrides):
            n -= 1
    return d, tuple(sorted(years))


def count_workdays(after: date, upto: date, overrides=None) -> int:
    """Working days in (after, upto]."""
    n, d = 0, after
    while d < upto:
        d += timedelta(days=1)
        n += oracle_is_workday(d, overrides)
    return n


def oracle_between(start: datetime, end: datetime, overrides=None) -> float:
    """Brute force: integrate working-day time day by day (naive wall clock)."""
    if end <= start:
        return 0.0
    total, cur = 0.0, start
    while cur < end:
        nxt = min(end, datetime.combine(cur.date() + timedelta(days=1), time(), cur.tzinfo))
        if oracle_is_workday(cur.date(), overrides):
            total += (nxt - cur).total_seconds() / DAY
        cur = nxt
    return total


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------

# Include missing years on both sides of the package range.
starts = st.datetimes(
    min_value=datetime(PKG_LO - 1, 6, 1),
    max_value=datetime(PKG_HI + 2, 6, 30),
    timezones=st.sampled_from([None, CST]),
)
ns = st.integers(min_value=1, max_value=15)


@st.composite
def year_schedules(draw, year: int | None = None) -> YearSchedule:
    year = draw(st.integers(PKG_HI - 1, PKG_HI + 2)) if year is None else year
    first = date(year, 1, 1)
    ndays = (date(year, 12, 31) - first).days + 1
    offsets = draw(st.sets(st.integers(0, ndays - 1), min_size=1, max_size=40))
    holidays = {first + timedelta(days=i) for i in offsets}
    weekend = [first + timedelta(days=i) for i in range(ndays)]
    weekend = [d for d in weekend if d.weekday() >= 5 and d not in holidays]
    workdays = set(draw(st.lists(st.sampled_from(weekend), max_size=8)))
    name_pool = st.sampled_from(["", "元旦", "春节", "清明节", "劳动节", "端午节", "中秋节 国庆节"])
    names = {d: draw(name_pool) for d in sorted(holidays | workdays)}
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), names)


@st.composite
def overrides_maps(draw):
    scheds = draw(st.lists(year_schedules(), max_size=2))
    return {s.year: s for s in scheds} or None


# --------------------------------------------------------------------------
# Package range and sources
# --------------------------------------------------------------------------


def test_package_range_comes_from_the_package():
    assert package_year_range() == (PKG_LO, PKG_HI)
    with pytest.raises(NotImplementedError):
        cc.is_workday(date(PKG_HI + 1, 1, 1))
    with pytest.raises(NotImplementedError):
        cc.is_workday(date(PKG_LO - 1, 12, 31))
    assert schedule_source(PKG_LO) == schedule_source(PKG_HI) == "package"
    assert schedule_source(PKG_HI + 1) == schedule_source(PKG_LO - 1) == "missing"
    s = parse_schedule_text(PKG_HI + 1, f"{PKG_HI + 1}-01-01 休 元旦")
    assert schedule_source(PKG_HI + 1, {PKG_HI + 1: s}) == "official"
    s2 = parse_schedule_text(PKG_HI, f"{PKG_HI}-01-01 休 元旦")
    assert schedule_source(PKG_HI, {PKG_HI: s2}) == "official"


def test_official_schedule_takes_precedence_over_package():
    # Pretend the State Council moved a day: 2026-10-08 (Thu) declared off.
    s = parse_schedule_text(2026, "2026-10-01~2026-10-08 休 国庆节\n2026-10-10 班")
    assert cc.is_workday(date(2026, 10, 8))
    assert not is_workday(date(2026, 10, 8), {2026: s})
    # ...and the package's 2026-09-20 make-up Sunday is not in this schedule.
    assert cc.is_workday(date(2026, 9, 20))
    assert not is_workday(date(2026, 9, 20), {2026: s})
    assert add_workdays(datetime(2026, 9, 30, 9), 1, {2026: s}).due.date() == date(2026, 10, 9)


def test_override_key_must_match_schedule_year():
    s = parse_schedule_text(2027, "2027-01-01 休")
    with pytest.raises(ValueError):
        is_workday(date(2028, 3, 1), {2028: s})


# --------------------------------------------------------------------------
# Known facts (2026, from the package data)
# --------------------------------------------------------------------------


def _holiday_days(year: int, holiday) -> list[date]:
    return sorted(
        d for d, name in cc_const.holidays.items() if d.year == year and name == holiday.value
    )


def test_brief_example_friday_plus_five():
    dl = add_workdays(datetime(2026, 11, 27, 10, 0), 5)
    assert dl == Deadline(datetime(2026, 12, 4, 23, 59, 59), False, ())


def test_national_day_2026_skipped():
    nd = _holiday_days(2026, cc_const.Holiday.national_day)
    assert nd and nd[0] == date(2026, 10, 1)
    for d in nd:
        assert cc.get_holiday_detail(d) == (True, cc_const.Holiday.national_day.value)
        assert not is_workday(d)
    expected = nd[-1] + timedelta(days=1)
    while not cc.is_workday(expected):
        expected += timedelta(days=1)
    dl = add_workdays(datetime(2026, 9, 30, 16, 30), 1)
    assert dl.due == datetime.combine(expected, time(23, 59, 59))
    assert expected == date(2026, 10, 8)  # package 1.11: 10-01..10-07 off
    assert not dl.provisional
    # Naive Mon–Fri would have given Thursday 2026-10-01.
    for d in nd:
        assert add_workdays(datetime(2026, 9, 29, 9), 2).due.date() != d


def test_makeup_weekend_days_2026_count():
    makeup = sorted(d for d in cc_const.workdays if d.year == 2026 and d.weekday() >= 5)
    assert makeup, "package lists no 2026 make-up weekend days"
    for d in makeup:
        assert is_workday(d)
        assert add_workdays(datetime.combine(d - timedelta(days=1), time(10)), 1).due.date() == d
    # Accepted Friday 2026-10-09 -> next working day is the make-up Saturday 10-10.
    assert date(2026, 10, 10) in makeup
    assert add_workdays(datetime(2026, 10, 9, 10), 1).due == datetime(2026, 10, 10, 23, 59, 59)


def test_spring_festival_2026_skipped():
    sf = _holiday_days(2026, cc_const.Holiday.spring_festival)
    assert sf and date(2026, 2, 17) in sf  # Chinese New Year's Day 2026
    for d in sf:
        assert not is_workday(d)
    before = sf[0] - timedelta(days=1)
    # No deadline counted from before the festival ever lands inside it.
    for n in range(1, 16):
        due = add_workdays(datetime.combine(before, time(9)), n).due.date()
        assert due not in sf
        assert count_workdays(before, due) == n
    after = sf[-1] + timedelta(days=1)
    while not cc.is_workday(after):
        after += timedelta(days=1)
    last_before = before
    while not cc.is_workday(last_before):
        last_before -= timedelta(days=1)
    assert add_workdays(datetime.combine(last_before - timedelta(days=1), time(9)), 2).due.date() == after


# --------------------------------------------------------------------------
# Year boundary into a year without a schedule
# --------------------------------------------------------------------------

needs_2027_missing = pytest.mark.skipif(
    schedule_source(2027) != "missing", reason="installed chinesecalendar already covers 2027"
)


@needs_2027_missing
def test_late_december_2026_into_missing_2027_is_provisional():
    dl = add_workdays(datetime(2026, 12, 24, 15, 0), 10)
    # 2026: 25, 28, 29, 30, 31; 2027 Mon–Fri: 1, 4, 5, 6, 7
    assert dl.due == datetime(2027, 1, 7, 23, 59, 59)
    assert dl.provisional is True
    assert dl.missing_years == (2027,)
    assert missing_schedule_years(date(2026, 11, 27)) == [2027]
    assert missing_schedule_years(date(2026, 10, 1)) == []


@needs_2027_missing
def test_late_december_2026_with_admin_2027_schedule():
    s = parse_schedule_text(2027, "2027-01-01 休 元旦")
    dl = add_workdays(datetime(2026, 12, 24, 15, 0), 10, {2027: s})
    assert dl.due == datetime(2027, 1, 8, 23, 59, 59)
    assert dl.provisional is False and dl.missing_years == ()
    assert not is_workday(date(2027, 1, 1), {2027: s})
    assert missing_schedule_years(date(2026, 11, 27), overrides={2027: s}) == []


def test_acceptance_on_dec_31_does_not_touch_its_year():
    # Start on the last day of a covered year; only the next year's days are examined.
    dl = add_workdays(datetime(PKG_LO - 1, 12, 31, 9), 1)
    assert dl.missing_years == ()
    assert dl.provisional is False
    dl = add_workdays(datetime(PKG_HI, 12, 31, 9), 1)
    assert dl.missing_years == (PKG_HI + 1,)


def test_timezone_is_preserved():
    dl = add_workdays(datetime(2026, 11, 27, 10, tzinfo=CST), 5)
    assert dl.due == datetime(2026, 12, 4, 23, 59, 59, tzinfo=CST)
    assert dl.due.tzinfo is CST


@pytest.mark.parametrize("n", [0, -1, 367])
def test_bad_n_rejected(n):
    with pytest.raises(ValueError):
        add_workdays(datetime(2026, 1, 5), n)


def test_n_type_checked():
    with pytest.raises(TypeError):
        add_workdays(datetime(2026, 1, 5), True)
    with pytest.raises(TypeError):
        add_workdays(date(2026, 1, 5), 3)


def test_max_n_accepted():
    dl = add_workdays(datetime(2025, 1, 1), 366)
    assert count_workdays(date(2025, 1, 1), dl.due.date()) == 366
    assert (dl.due.date(), dl.missing_years) == oracle_add(datetime(2025, 1, 1), 366)


# --------------------------------------------------------------------------
# Properties of add_workdays / extend_deadline
# --------------------------------------------------------------------------


@PROP
@given(starts, ns, overrides_maps())
def test_add_workdays_matches_day_by_day_oracle(start, n, ov):
    dl = add_workdays(start, n, ov)
    due_date, years = oracle_add(start, n, ov)
    assert dl.due == datetime.combine(due_date, time(23, 59, 59), start.tzinfo)
    assert dl.missing_years == years
    assert dl.provisional == bool(years)


@PROP
@given(starts, ns, overrides_maps())
def test_add_workdays_basic_properties(start, n, ov):
    dl = add_workdays(start, n, ov)
    assert dl.due > start
    assert dl.due.time() == time(23, 59, 59)
    assert dl.due.tzinfo is start.tzinfo
    assert is_workday(dl.due.date(), ov)
    assert count_workdays(start.date(), dl.due.date(), ov) == n
    # provisional iff a day of a "missing" year was examined
    examined_years = set(range((start.date() + timedelta(days=1)).year, dl.due.year + 1))
    missing = sorted(y for y in examined_years if schedule_source(y, ov) == "missing")
    assert dl.missing_years == tuple(missing)
    assert dl.provisional == bool(missing)


@PROP
@given(starts, st.integers(1, 14), overrides_maps())
def test_monotonic_in_n(start, n, ov):
    a, b = add_workdays(start, n, ov).due, add_workdays(start, n + 1, ov).due
    assert a < b


@PROP
@given(starts, starts, ns)
def test_monotonic_in_start(s1, s2, n):
    s1, s2 = s1.replace(tzinfo=None), s2.replace(tzinfo=None)
    if s2 < s1:
        s1, s2 = s2, s1
    assert add_workdays(s1, n).due <= add_workdays(s2, n).due


@PROP
@given(starts, ns, ns, overrides_maps())
def test_extension_composes(start, a, b, ov):
    first = add_workdays(start, a, ov)
    ext = extend_deadline(first.due, b, ov)
    assert add_workdays(start, a + b, ov).due == ext.due
    assert count_workdays(first.due.date(), ext.due.date(), ov) == b


# --------------------------------------------------------------------------
# workdays_between
# --------------------------------------------------------------------------


@PROP
@given(starts, st.timedeltas(timedelta(days=-30), timedelta(days=400)), overrides_maps())
def test_workdays_between_nonnegative_and_matches_oracle(a, delta, ov):
    b = a + delta
    w = workdays_between(a, b, ov)
    assert w >= 0
    if b <= a:
        assert w == 0
    assert w == pytest.approx(oracle_between(a, b, ov), abs=1e-9)


@PROP
@given(starts, st.timedeltas(timedelta(0), timedelta(days=60)), st.timedeltas(timedelta(0), timedelta(days=60)))
def test_workdays_between_additive(a, d1, d2):
    b, c = a + d1, a + d1 + d2
    assume(c.year <= PKG_HI + 2)
    assert workdays_between(a, c) == pytest.approx(workdays_between(a, b) + workdays_between(b, c), abs=1e-9)


@PROP
@given(starts, ns, overrides_maps())
def test_workdays_between_consistent_with_add_workdays(start, n, ov):
    dl = add_workdays(start, n, ov)
    midnight_after = datetime.combine(start.date() + timedelta(days=1), time(), start.tzinfo)
    # Documented rule: from the midnight after acceptance to the due (23:59:59) is n - 1s.
    assert workdays_between(midnight_after, dl.due, ov) == pytest.approx(n - ONE_SECOND, abs=1e-9)
    start_part = workdays_between(start, midnight_after, ov)
    assert 0 <= start_part <= 1
    assert workdays_between(start, dl.due, ov) == pytest.approx(n - ONE_SECOND + start_part, abs=1e-9)


def test_workdays_between_examples():
    # Fri 12:00 -> Mon 06:00 : half of Friday + quarter of Monday.
    assert workdays_between(datetime(2026, 11, 27, 12), datetime(2026, 11, 30, 6)) == pytest.approx(0.75)
    # Entirely inside the National Day holiday: zero.
    assert workdays_between(datetime(2026, 10, 1, 8), datetime(2026, 10, 7, 20)) == 0
    # Same working day.
    assert workdays_between(datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 21)) == pytest.approx(0.5)
    # Reversed / equal -> 0.
    assert workdays_between(datetime(2026, 12, 2), datetime(2026, 12, 1)) == 0
    assert workdays_between(datetime(2026, 12, 1), datetime(2026, 12, 1)) == 0
    # Aware datetimes in different zones are compared on start's wall clock.
    a = datetime(2026, 12, 1, 9, tzinfo=CST)
    b = datetime(2026, 12, 1, 13, tzinfo=timezone.utc)  # 21:00 CST
    assert workdays_between(a, b) == pytest.approx(0.5)


# --------------------------------------------------------------------------
# missing_schedule_years
# --------------------------------------------------------------------------


def test_missing_schedule_years_horizon():
    y = PKG_HI + 1
    assert missing_schedule_years(date(PKG_HI, 6, 1)) == []
    assert missing_schedule_years(date(PKG_HI, 12, 1), 30) == []
    assert missing_schedule_years(date(PKG_HI, 12, 1), 31) == [y]
    assert missing_schedule_years(date(y, 3, 1), 400) == [y, y + 1]
    s = parse_schedule_text(y, f"{y}-01-01 休")
    assert missing_schedule_years(date(y, 3, 1), 400, {y: s}) == [y + 1]
    with pytest.raises(ValueError):
        missing_schedule_years(date(PKG_HI, 1, 1), -1)


# --------------------------------------------------------------------------
# parse_schedule_text / format_schedule_text
# --------------------------------------------------------------------------

GOOD = """\
# 2027年节假日安排
2027-01-01 休 元旦

2027-02-07 班
2027-02-10~2027-02-16 休 春节
2027-02-20 班 春节调休
2027-04-05 假
2027-05-01 ~ 2027-05-05 holiday 劳动节
2027-05-08 workday
"""


def test_parse_good_input():
    s = parse_schedule_text(2027, GOOD)
    assert s.year == 2027
    assert date(2027, 1, 1) in s.holidays and date(2027, 4, 5) in s.holidays
    assert {date(2027, 2, 10) + timedelta(days=i) for i in range(7)} <= s.holidays
    assert {date(2027, 5, d) for d in range(1, 6)} <= s.holidays
    assert s.workdays == {date(2027, 2, 7), date(2027, 2, 20), date(2027, 5, 8)}
    assert s.names[date(2027, 2, 13)] == "春节"
    assert s.names[date(2027, 2, 20)] == "春节调休"
    assert date(2027, 4, 5) not in s.names
    ov = {2027: s}
    assert not is_workday(date(2027, 2, 12), ov)
    assert is_workday(date(2027, 2, 7), ov)  # a Sunday, worked
    assert not is_workday(date(2027, 2, 6), ov)  # ordinary Saturday


def test_weekend_holiday_allowed():
    s = parse_schedule_text(2027, "2027-01-02 休 元旦")  # a Saturday
    assert s.holidays == {date(2027, 1, 2)}


def test_round_trip_good_input():
    s = parse_schedule_text(2027, GOOD)
    text = format_schedule_text(s)
    assert parse_schedule_text(2027, text) == s
    assert "2027-02-10~2027-02-16 休 春节" in text
    assert format_schedule_text(parse_schedule_text(2027, text)) == text


@PROP
@given(year_schedules())
def test_round_trip_property(s):
    text = format_schedule_text(s)
    back = parse_schedule_text(s.year, text)
    assert back == s
    assert hash(back) == hash(s)


CJK = re.compile(r"[\u4e00-\u9fff]")

BAD = [
    ("2027-01-01 休\n2027-01-01", 2, "格式"),
    ("2027-01-01 休\n\n# c\n元旦 2027-01-01 休", 4, "格式"),
    ("2027-02-30 休", 1, "日期无效"),
    ("2027-13-01 休", 1, "日期无效"),
    ("2027-01-01 休\n2026-12-31 休", 2, "不在 2027 年内"),
    ("2027-12-30~2028-01-02 休", 1, "不在 2027 年内"),
    ("2027-01-01 休 元旦\n2027-01-01 班", 2, "同时"),
    ("2027-02-06~2027-02-07 班\n2027-02-01~2027-02-07 休", 2, "同时"),
    ("2027-01-01 休\n2027-02-08 班", 2, "周六或周日"),
    ("2027-01-01 放假了", 1, "无法识别"),
    ("2027-01-05~2027-01-01 休", 1, "颠倒"),
    ("2027-01-01 休 元旦\n2027-01-01 休 新年", 2, "冲突"),
]


@pytest.mark.parametrize("text,line,fragment", BAD)
def test_parse_rejects_bad_lines(text, line, fragment):
    with pytest.raises(ValueError) as ei:
        parse_schedule_text(2027, text)
    msg = str(ei.value)
    assert f"第{line}行" in msg
    assert fragment in msg
    assert CJK.search(msg)


def test_parse_rejects_schedule_without_days_off():
    for text in ("", "# nothing yet\n\n", "2027-02-07 班"):
        with pytest.raises(ValueError) as ei:
            parse_schedule_text(2027, text)
        assert CJK.search(str(ei.value))


def test_year_schedule_validates_direct_construction():
    with pytest.raises(ValueError):
        YearSchedule(2027, frozenset({date(2026, 1, 1)}), frozenset())
    with pytest.raises(ValueError):
        YearSchedule(2027, frozenset({date(2027, 2, 6)}), frozenset({date(2027, 2, 6)}))
    with pytest.raises(ValueError):
        YearSchedule(2027, frozenset(), frozenset({date(2027, 2, 8)}))  # Monday
    s = YearSchedule(2027, {date(2027, 1, 1)}, set())  # sets are frozen
    assert isinstance(s.holidays, frozenset) and hash(s) == hash(
        YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset(), {date(2027, 1, 1): "元旦"})
    )
