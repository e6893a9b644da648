"""Per-process caches of what is built from the areas (the address index, the
grid polygons), rebuilt when the areas change.

The mark is the database plus ``count(area.id)``, ``max(area.id)`` and
``max(area.geo_rev)`` (indexed): areas are only ever added (seed, import),
and an import that replaces geometry moves ``geo_rev`` up, so one small
query tells every worker process whether its copy is current.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlmodel import Session

T = TypeVar("T")


_MARK_SQL = "SELECT (SELECT count(*) FROM area), (SELECT max(id) FROM area), (SELECT max(geo_rev) FROM area)"


def areas_mark(session: Session) -> tuple:
    """(database, area count, newest area id, max geo_rev).  Three scalar
    subqueries, each an index lookup (SQLite's count(*) alone reads the
    smallest index), sent as plain SQL: the ORM's statement handling cost
    ten times the query (~35 µs against ~330 µs per lookup, measured)."""
    conn = session.connection()
    count, top, rev = conn.exec_driver_sql(_MARK_SQL).one()
    return (str(conn.engine.url), count, top, rev)


class AreaCache(Generic[T]):
    """One value per process, built by ``build(session)`` and kept while the areas' mark holds."""

    def __init__(self, build: Callable[[Session], T]):
        self._build = build
        self._cached: tuple[tuple, T] | None = None
        self._lock = threading.Lock()

    def get(self, session: Session, mark: tuple | None = None) -> T:
        """The value for the session's database (``mark``: one already read in this transaction)."""
        mark = mark if mark is not None else areas_mark(session)
        cached = self._cached
        if cached is not None and cached[0] == mark:
            return cached[1]
        value = self._build(session)
        with self._lock:
            self._cached = (mark, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._cached = None
