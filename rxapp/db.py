"""Database engine and sessions, chosen by environment variable only.

``REFLEX_DB_URL`` (the same variable Reflex reads) selects the database:
SQLite file by default, PostgreSQL for scale-out. This module never imports
reflex so the domain layer and command-line tools can use it alone."""

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

DEFAULT_DB_URL = "sqlite:///griddesk.db"


def db_url() -> str:
    return os.environ.get("REFLEX_DB_URL") or DEFAULT_DB_URL


def _tune_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; real BEGIN so savepoints and rollbacks work
    (pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - driver hook
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver hook
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(db_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


T = TypeVar("T")


def _in_session(fn: Callable[[Session], T]) -> T:
    with Session(get_engine(), expire_on_commit=False) as session:
        return fn(session)


async def run_db(fn: Callable[[Session], T]) -> T:
    """Blocking database work in a thread, so the event loop (one worker
    serves many users) keeps serving. ``fn`` gets a fresh session."""
    return await asyncio.to_thread(_in_session, fn)
