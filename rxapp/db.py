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
        # 64 MiB of page cache per connection (SQLite's default is 2 MiB): at
        # 1M cases a community's or a grid's dashboard rereads the same index
        # pages from the OS on every refresh (bench/dashboard_bench.py: 25 -> 17 ms)
        cur.execute("PRAGMA cache_size=-65536")
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


class GroupCommit:
    """Many requests' writes in one transaction: the group commit.

    ``submit(item)`` queues ``item`` and waits for its outcome.  One writer
    per process takes whatever has queued (up to ``max_batch``), runs
    ``write(session, items)`` in a thread — it commits and returns one outcome
    per item, an exception object for a refused one — and answers each
    waiter.  Under load a batch fills while the previous one commits, so
    the database sees a few large transactions instead of many small ones;
    alone, a request is written at once.  A waiter is answered only after the
    commit, so an acknowledged request is never lost.  Should a whole batch
    fail (a database error), its items are written again one by one, so one
    bad item cannot sink the others."""

    def __init__(self, write: Callable[[Session, list], list], max_batch: int = 256, writers: int | None = None):
        self.write = write
        self.max_batch = max_batch
        self._writers = writers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self.batches = 0  # batches written, and items in them (for the benchmark)
        self.items = 0

    async def submit(self, item):
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._queue = loop, asyncio.Queue()
            self._task = loop.create_task(self._drain())
        future = loop.create_future()
        self._queue.put_nowait((item, future))
        outcome = await future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    @property
    def writers(self) -> int:
        """Batches a worker writes at once (``GRIDDESK_INTAKE_WRITERS``,
        default 1).  Measured on PostgreSQL with two workers and 64
        connections (bench/intake_bench.py): 1 writer 1,138/s, 3 writers
        775/s, 6 writers 606/s — concurrent batches queue on the same hot
        rollup rows, so one writer that lets the next batch grow while it
        commits does best."""
        if self._writers is not None:
            return self._writers
        value = os.environ.get("GRIDDESK_INTAKE_WRITERS", "")
        return int(value) if value.isdigit() and 0 < int(value) <= 32 else 1

    async def _drain(self) -> None:
        queue = self._queue
        slots = asyncio.Semaphore(self.writers)
        running: set[asyncio.Task] = set()
        while True:
            first = await queue.get()
            await slots.acquire()  # while every writer is busy, the next batch keeps filling
            batch = [first]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            task = asyncio.get_running_loop().create_task(self._write_batch(batch))
            running.add(task)
            task.add_done_callback(lambda t: (running.discard(t), slots.release()))

    async def _write_batch(self, batch: list) -> None:
        try:
            await self._write_and_answer(batch)
        finally:  # whatever happened, nobody waits forever
            for _, future in batch:
                if not future.done():
                    future.set_result(RuntimeError("intake writer failed"))

    async def _write_and_answer(self, batch: list) -> None:
        items = [item for item, _ in batch]
        try:
            outcomes = await run_db(lambda s: self.write(s, items))
        except Exception:  # noqa: BLE001 - each item gets its own try and answer below
            outcomes = []
            for item in items:
                try:
                    outcomes.extend(await run_db(lambda s, one=item: self.write(s, [one])))
                except Exception as exc:  # noqa: BLE001 - answered to its waiter
                    outcomes.append(exc)
        self.batches += 1
        self.items += len(items)
        for (_, future), outcome in zip(batch, outcomes):
            if not future.done():
                future.set_result(outcome)
