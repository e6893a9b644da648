"""Dashboard views shared by the workers through Redis (production mode).

Each worker's push task (:func:`rxapp.state.dashboard.push_live_updates`)
computes every (scope, query) its open dashboards show once per change mark.
With several workers behind one Redis (``REFLEX_REDIS_URL``) the same views
were computed once per worker: with 200 dashboards on 20 views and two
workers, each view twice per cycle, by two view processes and their database
queries on the same cores as the intake.

Two things let the workers compute a view once between them:

* **One mark.**  A worker that reads the change marks publishes them with the
  wall-clock time just before the read (``as_of``).  A worker whose cycle
  starts within :data:`MARK_SHARE_S` of that read takes the published marks
  instead of reading its own, with their ``as_of``: what its tabs say
  (``data_as_of``) stays true, and the two workers' cycles ask for the same
  views.  Once they do, they end together and keep starting together.
* **One computation per view and mark.**  A view's result (the domain's
  ``Dashboard``, before rendering, which each worker does in its language) is
  kept in Redis under its key for :data:`RESULT_TTL_MS`.  The first worker to
  miss takes a short lock (``SET NX``) and computes it; the others wait for
  the result (one ``MGET`` a worker every :data:`POLL_S` for all its waiting
  views), and compute it themselves only if the lock goes without a result or
  :data:`WAIT_S` passes.

Without Redis, or while it fails (then for :data:`REDIS_PAUSE` seconds), every
call here answers "not shared" and each worker computes its own views, as in
default mode.  Nothing here decides what a viewer may see: the key carries
the viewer's role and scope, and the result is what the domain computed for
that scope.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import pickle
import time

log = logging.getLogger(__name__)

PREFIX = "griddesk:view:"
MARK_KEY = "griddesk:live:mark"
MARK_SHARE_S = 0.5  # a published mark this recent is taken instead of reading one
RESULT_TTL_MS = 30_000
LOCK_TTL_MS = 10_000  # a computing worker that dies frees the view after this
WAIT_S = 8.0  # longest wait for another worker's computation
POLL_S = 0.025
REDIS_PAUSE = 5.0

_down_until = 0.0
_clients: dict[tuple[str, int], object] = {}
_waiting: dict[str, list[asyncio.Future]] = {}
_poller: dict[int, asyncio.Task] = {}
stats = {"shared": 0, "computed": 0, "waited": 0}


def _url() -> str:
    return os.environ.get("REFLEX_REDIS_URL", "").strip()


def enabled() -> bool:
    """Whether views are shared now (Redis configured and not failing)."""
    return bool(_url()) and time.monotonic() >= _down_until


def _client():
    """This event loop's asyncio Redis client, or None without Redis."""
    if not enabled():
        return None
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    key = (_url(), id(loop))
    client = _clients.get(key)
    if client is None:
        client = aioredis.Redis.from_url(key[0], socket_timeout=0.5, socket_connect_timeout=0.5)
        _clients.clear()  # one loop per worker; a new loop (tests) starts afresh
        _clients[key] = client
    return client


def _failed(what: str, exc: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_PAUSE
    log.info("dashboard views not shared (%s: %s); each worker computes its own for %.0f s", what, exc, REDIS_PAUSE)


def _database() -> str:
    """Which database the views count (two deployments may share one Redis)."""
    from rxapp.db import db_url

    return hashlib.sha256(db_url().encode()).hexdigest()[:12]


def redis_key(key: tuple) -> str:
    """The Redis key of a view key (role, scope, query, mark, day) on this database."""
    return f"{PREFIX}{_database()}:" + hashlib.sha256(repr(key).encode()).hexdigest()[:32]


def _mark_key() -> str:
    return f"{MARK_KEY}:{_database()}"


# ------------------------------------------------------------------ the mark
async def published_mark(newer_than: float) -> tuple[tuple, float] | None:
    """The marks another worker read within :data:`MARK_SHARE_S` (and after
    ``newer_than``), with the time just before that read; None otherwise."""
    r = _client()
    if r is None:
        return None
    try:
        raw = await r.get(_mark_key())
    except Exception as exc:  # noqa: BLE001 - Redis down: read our own
        _failed("mark not read", exc)
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
        mark, as_of = tuple(int(v) for v in data["mark"]), float(data["as_of"])
    except (ValueError, KeyError, TypeError):
        return None
    if as_of <= newer_than or as_of < time.time() - MARK_SHARE_S:
        return None
    return mark, as_of


async def publish_mark(mark: tuple, as_of: float) -> None:
    """Offer the marks just read to the other workers."""
    r = _client()
    if r is None:
        return
    try:
        await r.set(_mark_key(), json.dumps({"mark": list(mark), "as_of": as_of}), px=int(MARK_SHARE_S * 2000))
    except Exception as exc:  # noqa: BLE001
        _failed("mark not published", exc)


# ------------------------------------------------------------------ the views
async def view(key: tuple, compute):
    """``await compute()`` for ``key`` once across the workers: another
    worker's kept result, or this worker's computation (stored for the
    others), or — while another worker computes it — that worker's result."""
    r = _client()
    if r is None:
        return await compute()
    rkey = redis_key(key)
    try:
        raw = await r.get(rkey)
        if raw is None:
            mine = await r.set(rkey + ":lock", b"1", nx=True, px=LOCK_TTL_MS)
            if mine:  # stored and unlocked between the two calls?
                raw = await r.get(rkey)
                if raw is not None:
                    await r.delete(rkey + ":lock")
            else:
                raw = await _wait_for(rkey)
                stats["waited"] += 1
    except Exception as exc:  # noqa: BLE001 - Redis down: compute here
        _failed("view not read", exc)
        return await compute()
    if raw is not None:
        stats["shared"] += 1
        return pickle.loads(raw)
    stats["computed"] += 1
    try:
        value = await compute()
    except BaseException:
        await _unlock(r, rkey)
        raise
    try:
        await r.set(rkey, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), px=RESULT_TTL_MS)
        await r.delete(rkey + ":lock")
    except Exception as exc:  # noqa: BLE001 - the others compute their own
        _failed("view not stored", exc)
    return value


async def _unlock(r, rkey: str) -> None:
    try:
        await r.delete(rkey + ":lock")
    except Exception as exc:  # noqa: BLE001
        _failed("view lock not freed", exc)


async def _wait_for(rkey: str) -> bytes | None:
    """The result another worker is computing under ``rkey`` (None when its
    lock went without one, or after :data:`WAIT_S`)."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    _waiting.setdefault(rkey, []).append(future)
    task = _poller.get(id(loop))
    if task is None or task.done():
        _poller[id(loop)] = loop.create_task(_poll())
    try:
        return await asyncio.wait_for(asyncio.shield(future), WAIT_S)
    except asyncio.TimeoutError:
        return None
    finally:
        waiters = _waiting.get(rkey)
        if waiters is not None and future in waiters:
            waiters.remove(future)
            if not waiters:
                _waiting.pop(rkey, None)


async def _poll() -> None:
    """One ``MGET`` of every awaited result and its lock each :data:`POLL_S`."""
    while _waiting:
        await asyncio.sleep(POLL_S)
        keys = list(_waiting)
        if not keys:
            break
        r = _client()
        try:
            if r is None:
                raise ConnectionError("Redis off")
            values = await r.mget([k for rk in keys for k in (rk, rk + ":lock")])
        except Exception as exc:  # noqa: BLE001 - every waiter computes its own
            if r is not None:
                _failed("views not polled", exc)
            values = [None] * (2 * len(keys))
        for i, rkey in enumerate(keys):
            result, lock = values[2 * i], values[2 * i + 1]
            if result is None and lock is not None:
                continue
            for future in _waiting.pop(rkey, []):
                if not future.done():
                    future.set_result(result)
