"""Reflex configuration. Everything that differs between a laptop and a city
deployment comes from environment variables:

REFLEX_DB_URL         database (default: SQLite file griddesk.db)
REFLEX_ASYNC_DB_URL   async driver URL for the same database (optional)
REFLEX_REDIS_URL      Redis state manager (scale-out; several workers)
GRIDDESK_ORIGINS      comma-separated allowed origins (default: localhost:3000)
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from rxapp.components.styles import THEME

ORIGINS = [o.strip() for o in os.environ.get("GRIDDESK_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000").split(",") if o.strip()]

config = rx.Config(
    app_name="rxapp",
    db_url=os.environ.get("REFLEX_DB_URL", "sqlite:///griddesk.db"),
    telemetry_enabled=False,
    cors_allowed_origins=ORIGINS,
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=THEME)],
)
