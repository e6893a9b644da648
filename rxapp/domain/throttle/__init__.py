"""Wrong guesses counted in the database, so several workers share one count.

A ``Rule`` allows ``limit`` wrong guesses per key within ``window``; the
guess that reaches the limit locks the key for ``lock``.  Keys name what is
being guessed at and by whom: ``track:code:ZS…`` (a case's phone tail),
``track:conn:<tab>``, ``track:ip:<address>``, ``login:<username>``,
``apikey:ip:<address>``.

``record_failure`` is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE
SET failures = failures + 1 … RETURNING``) on SQLite and PostgreSQL alike,
so concurrent guesses cannot lose counts.  It ends the session's current
(read) transaction first: on SQLite a write that starts a transaction waits
for the writer (``busy_timeout``), while a read transaction upgraded to a
write fails at once with "database is locked"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from rxapp.domain.clock import now
from rxapp.models import GuessCounter

MAX_KEY = 160


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta
    lock: timedelta


def make_key(*parts: object) -> str:
    return ":".join(str(p) for p in parts)[:MAX_KEY]


def locked_until(session: Session, key: str, at: datetime | None = None) -> datetime | None:
    """When the key's lock ends, or None when it is not locked."""
    return running_locks(session, [key], at).get(key)


def running_locks(session: Session, keys: list[str], at: datetime | None = None) -> dict[str, datetime]:
    """The locks among ``keys`` still running: key (as given) -> when it ends, in one query."""
    if not keys:
        return {}
    t = at or now()
    stored = {k[:MAX_KEY] for k in keys}
    found = dict(
        session.exec(select(GuessCounter.key, GuessCounter.locked_until).where(GuessCounter.key.in_(list(stored)), GuessCounter.locked_until > t)).all()
    )
    return {k: found[k[:MAX_KEY]] for k in keys if k[:MAX_KEY] in found}


def first_lock(session: Session, keys: list[str], at: datetime | None = None) -> datetime | None:
    """The latest lock among ``keys`` still running, or None."""
    return max(running_locks(session, keys, at).values(), default=None)


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def record_failure(session: Session, key: str, rule: Rule, at: datetime | None = None) -> datetime | None:
    """Count one wrong guess; returns the lock's end when the key is (now) locked.
    Commits."""
    t = at or now()
    key = key[:MAX_KEY]
    session.commit()  # no read transaction to upgrade (see the module docstring)
    gc = GuessCounter.__table__.c
    stale = or_(gc.window_start <= t - rule.window, and_(gc.locked_until.is_not(None), gc.locked_until <= t))
    stmt = (
        _insert(session)(GuessCounter.__table__)
        .values(key=key, window_start=t, failures=1, locked_until=None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((stale, 1), else_=gc.failures + 1),
                "window_start": case((stale, t), else_=gc.window_start),
                "locked_until": case((stale, None), else_=gc.locked_until),
            },
        )
        .returning(gc.failures, gc.locked_until)
    )
    failures, until = session.execute(stmt).one()
    if failures >= rule.limit and (until is None or until <= t):
        until = t + rule.lock
        session.execute(
            update(GuessCounter)
            .where(GuessCounter.key == key, or_(GuessCounter.locked_until.is_(None), GuessCounter.locked_until <= t))
            .values(locked_until=until)
        )
    session.commit()
    return until if until is not None and until > t else None

