"""Local time. GridDesk counts deadlines in Chinese working days, so all stored
times are naive China Standard Time (UTC+8, no daylight saving)."""

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """The current China Standard Time, naive, to the second."""
    return datetime.now(CST).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def month_key(d: date | datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"
