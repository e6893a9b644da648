"""Reflex configuration. Everything that differs between a laptop and a city
deployment comes from environment variables:

REFLEX_DB_URL         database (default: SQLite file griddesk.db)
REFLEX_ASYNC_DB_URL   async driver URL for the same database (optional)
REFLEX_REDIS_URL      Redis state manager (scale-out; several workers)
GRIDDESK_ORIGINS      comma-separated allowed origins (default: localhost:3000)
GRANIAN_WORKERS       backend worker processes (production)
GRANIAN_RESPAWN_FAILED_WORKERS  0 = let one dead worker stop the app (default: respawn it)
"""

import functools
import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from rxapp.components.styles import THEME



def _respawn_crashed_workers() -> None:
    """Reflex 0.10.1 starts granian without ``respawn_failed_workers``: when one
    worker dies (OOM kill, segfault, SIGKILL) granian stops the whole app.
    Respawn that worker instead (tests/integration/test_03_worker_kill.py)."""
    if os.environ.get("GRANIAN_RESPAWN_FAILED_WORKERS", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    try:
        from granian.server.common import AbstractServer
    except ImportError:  # no granian: nothing to do
        return
    init = AbstractServer.__init__
    if getattr(init, "_griddesk_respawn", False):
        return

    @functools.wraps(init)
    def respawning_init(self, *args, **kwargs):
        kwargs.setdefault("respawn_failed_workers", True)
        init(self, *args, **kwargs)

    respawning_init._griddesk_respawn = True
    AbstractServer.__init__ = respawning_init


_respawn_crashed_workers()

ORIGINS = [o.strip() for o in os.environ.get("GRIDDESK_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000").split(",") if o.strip()]

config = rx.Config(
    app_name="rxapp",
    db_url=os.environ.get("REFLEX_DB_URL", "sqlite:///griddesk.db"),
    telemetry_enabled=False,
    cors_allowed_origins=ORIGINS,
    # one worker without Redis: its state in memory (the disk manager rescans its
    # directory on every write pass: a third of a busy worker's time, measured)
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else os.environ.get("REFLEX_STATE_MANAGER_MODE", "memory"),
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=THEME)],
)
