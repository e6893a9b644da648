"""Values that many tabs show, held once per worker and pickled as a key.

A dashboard or map view is computed and rendered once and shared by every
viewer (:func:`rxapp.state.dashboard._shared`), but each tab's Reflex state
held the rendered figures as plain dicts: with Redis every event of a tab
unpickled and pickled them again (a city map's figure is ~77 KB; MapState
pickled to ~80 KB, DashboardState ~14 KB), and a worker holding another
worker's state copied them once more.

:func:`share` wraps a rendered value in a ``dict``/``list`` subclass that
Reflex stores, compares and sends like the plain value, but that pickles as a
short key into this worker's registry: unpickled in the same worker it is the
very same object again (no copy).  With Redis (``REFLEX_REDIS_URL``, several
workers) each shared value is also written there once, under its key, so a
worker that loads a tab's state whose value it never rendered (a reconnect
landing on another worker, a respawned worker) reads that one copy.  Where
neither has it (Redis down, the copy expired) it comes back as its small
fallback, marked stale, and :func:`any_stale` tells the state to render the
view again on its next event.  Shared values are read-only: every viewer
holds the same object.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import pickle
import threading
import time
import uuid
import weakref

log = logging.getLogger(__name__)
REDIS_PREFIX = "griddesk:shared:"
REDIS_TTL = 2 * 3600  # seconds: longer than Reflex keeps an idle tab's state (1 h)
REDIS_PAUSE = 5.0  # seconds without trying Redis after it failed (no render waits on a dead Redis)
_redis_down_until = 0.0

_PREFIX = uuid.uuid4().hex[:12]  # this worker: keys never collide across workers or restarts
_counter = itertools.count(1)
_lock = threading.Lock()  # views are rendered in worker threads
_registry: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class SharedDict(dict):
    """A dict held by the registry; ``key`` is None for a stale fallback."""

    __slots__ = ("key", "__weakref__")

    def __reduce__(self):
        return (_restore, (self.key, "dict", dict(self) if self.key is None else _fallback(self)))


class SharedList(list):
    """A list held by the registry; ``key`` is None for a stale fallback."""

    __slots__ = ("key", "__weakref__")

    def __reduce__(self):
        return (_restore, (self.key, "list", list(self) if self.key is None else []))


def _fallback(value: dict) -> dict:
    """What a stale dict becomes: an empty figure for a figure, else empty."""
    return {"data": [], "layout": {}} if "data" in value and "layout" in value else {}


def share(value):
    """``value`` (a dict or list, treated as read-only from now on) as a shared value."""
    if isinstance(value, (SharedDict, SharedList)) and value.key is not None:
        return value
    if isinstance(value, dict):
        out = SharedDict(value)
    elif isinstance(value, list):
        out = SharedList(value)
    else:
        raise TypeError(f"only dicts and lists can be shared, not {type(value).__name__}")
    with _lock:
        out.key = f"{_PREFIX}-{next(_counter)}"
        _registry[out.key] = out
    r = _redis()
    if r is not None:
        try:
            r.set(REDIS_PREFIX + out.key, pickle.dumps(dict(out) if isinstance(out, dict) else list(out)), ex=REDIS_TTL)
        except Exception as exc:  # noqa: BLE001 - Redis down: the stale fallback covers it
            _redis_failed("written to", exc)
    return out


def _redis_failed(what: str, exc: Exception) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + REDIS_PAUSE
    log.info("shared view not %s Redis (%s); not trying for %.0f s", what, exc, REDIS_PAUSE)


@functools.cache
def _redis_for(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.3, socket_connect_timeout=0.3)


def _redis():
    url = os.environ.get("REFLEX_REDIS_URL", "").strip()
    return _redis_for(url) if url and time.monotonic() >= _redis_down_until else None


def _from_redis(key: str):
    r = _redis()
    if r is None:
        return None
    try:
        data = r.get(REDIS_PREFIX + key)
    except Exception as exc:  # noqa: BLE001
        _redis_failed("read from", exc)
        return None
    return pickle.loads(data) if data else None


def _restore(key: str | None, kind: str, fallback):
    if key is not None:
        with _lock:
            hit = _registry.get(key)
        if hit is not None:
            return hit
        value = _from_redis(key)
        if isinstance(value, dict if kind == "dict" else list):
            out = SharedDict(value) if kind == "dict" else SharedList(value)
            out.key = key
            with _lock:  # kept for this worker's other tabs (while any of them holds it)
                out = _registry.setdefault(key, out)
            return out
    out = SharedDict(fallback) if kind == "dict" else SharedList(fallback)
    out.key = None
    return out


def is_stale(value) -> bool:
    """A shared value whose content stayed in another worker."""
    return isinstance(value, (SharedDict, SharedList)) and value.key is None


def any_stale(state, names) -> bool:
    """Whether any of ``state``'s fields ``names`` is stale (render the view again)."""
    return any(is_stale(state.get_value(n)) for n in names)
