"""The server's garbage-collection policy.

Python's full (oldest-generation) collection walks every tracked object of
the process.  A Reflex worker holds several hundred thousand long-lived ones
(the compiled app, SQLAlchemy's metadata and caches, the message catalogues),
so a full collection that happens to fall inside an event handler stalls it
for tens to hundreds of milliseconds: measured on a dashboard refresh at
1,000,000 cases, every refresh slower than 1.5× the median had a full
collection in it.  Once the app is loaded those objects are moved to the
permanent generation (:func:`gc.freeze`), which collections skip; what
requests create is still collected as usual.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect once, then freeze everything alive now (the app as loaded):
    later collections walk only what was created since.  Called once per
    worker at startup (a lifespan task) and by the benches that time domain
    calls outside the server, so they see what a worker sees."""
    gc.collect()
    gc.freeze()


def warm() -> None:
    """Compute the city's default dashboard, its map and the first page of
    the case list once, so the first person to open them after a start does
    not pay for the worker's first time (SQLAlchemy compiling each statement,
    the map's outlines read and cached: at 1,000,000 cases the first map took
    437 ms and the next 91).  Nothing is kept but those caches; a database
    that is not ready yet is skipped."""
    from rxapp.db import _in_session
    from rxapp.domain import metrics, queries
    from rxapp.domain.admin import cli_actor
    from rxapp.domain.geo import mapview

    city = cli_actor()  # the server's own trusted administrator: city-wide, no user
    query = metrics.parse_query({})
    for step in (
        lambda s: metrics.dashboard(s, actor=city, query=query),
        lambda s: mapview.map_view(s, actor=city, query=query),
        lambda s: queries.search_cases(s, actor=city, filters={}),
    ):
        try:
            _in_session(step)
        except Exception:  # noqa: BLE001 - an empty or unmigrated database: nothing to warm
            log.info("warm-up step skipped", exc_info=True)


async def startup() -> None:
    """The worker's lifespan task: warm (in a thread), then :func:`settle`,
    so what warming cached is frozen with the app."""
    await asyncio.to_thread(warm)
    settle()
