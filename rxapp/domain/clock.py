"""Local time. GridDesk counts deadlines in Chinese working days, so all stored
times are naive China Standard Time (UTC+8, no daylight saving)."""

import os
import time
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")

# A set clock for tests and demonstrations: ``GRIDDESK_CLOCK=2026-12-05T10:00:00``
# (local time) starts this process's clock at that instant; it then runs on.
_SET = os.environ.get("GRIDDESK_CLOCK", "").strip()
_START = (datetime.fromisoformat(_SET), time.monotonic()) if _SET else None


def now() -> datetime:
    """The current China Standard Time, naive, to the second."""
    if _START is not None:
        return (_START[0] + timedelta(seconds=time.monotonic() - _START[1])).replace(microsecond=0)
    return datetime.now(CST).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def month_key(d: date | datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"
