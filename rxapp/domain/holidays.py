"""The administrator-entered official holiday schedules, read from the
database for the working-day calendar (``rxapp.domain.workdays``)."""

import functools
import logging

from sqlmodel import Session, select

from rxapp.domain.workdays import YearSchedule, parse_schedule_text
from rxapp.models import HolidaySchedule

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _parse_schedule(year: int, text: str) -> YearSchedule | None:
    try:
        return parse_schedule_text(year, text)
    except (TypeError, ValueError) as exc:  # a bad stored schedule must not stop case work
        log.warning("holiday schedule %s unreadable: %s", year, exc)
        return None


def load_overrides(session: Session) -> dict[int, YearSchedule]:
    """The administrator's holiday schedules ({year: YearSchedule}); the rows are
    tiny and read every time (always fresh), parsing is cached by content."""
    rows = session.exec(select(HolidaySchedule.year, HolidaySchedule.text)).all()
    found = {int(year): _parse_schedule(int(year), text or "") for year, text in rows}
    return {year: sched for year, sched in found.items() if sched is not None}
