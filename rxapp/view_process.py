"""Dashboard views computed in a process of their own (``GRIDDESK_VIEW_PROCESSES``).

Under steady intake the live push recomputes every open (scope, filter) view
at each change.  In the worker's own process those computations share one
interpreter lock with the intake requests and the socket: on this 2-core
machine a push cycle of 20 views took 1.7-2.0 s under 200 intakes a second
(the same 20 views take 0.3 s alone).  With ``GRIDDESK_VIEW_PROCESSES=N``
(N >= 1) the push's views, and those a person's filter change asks for, are
computed by N processes beside the worker, which then only renders and sends
them.  ``0`` (the default) computes them in threads of the worker.

The function the pool runs lives in this small module so a view process
imports only the domain and the database layer, not the web app; it reads
the same database (``REFLEX_DB_URL``) and is handed the worker's clock, so a
view is the same whichever process computed it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime

from rxapp.db import _in_session
from rxapp.domain import metrics
from rxapp.domain.access import Actor

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def processes() -> int:
    """How many view processes the environment asks for (0: none; at most 8)."""
    raw = os.environ.get("GRIDDESK_VIEW_PROCESSES", "").strip()
    return max(0, min(8, int(raw))) if raw.isdigit() else 0


def compute_view(actor: Actor, query: metrics.DashboardQuery, at: datetime) -> metrics.Dashboard:
    """One dashboard view, read in its own session at the worker's time ``at``."""
    return _in_session(lambda s: metrics.dashboard(s, actor=actor, query=query, now=at))


def pool() -> Executor | None:
    """The worker's view processes (started on first use), or None without them."""
    global _pool
    n = processes()
    if n == 0:
        return None
    with _pool_lock:
        if _pool is None:
            # spawn: a fresh interpreter, not a fork of a worker with threads and sockets
            _pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
