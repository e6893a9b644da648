"""The Reflex app: theme, pages, middleware and the HTTP API — nothing else."""

import reflex as rx

from rxapp.api.app import build_api
from rxapp.components.styles import GLOBAL_STYLE
from rxapp.pages import home, login  # noqa: F401  (registers the pages)
from rxapp.pages import diary, households, meetings  # noqa: F401
from rxapp.pages import admin, dashboard  # noqa: F401
from rxapp.pages import cases  # noqa: F401
from rxapp.pages import board_admin, party, public  # noqa: F401
from rxapp.state import dashboard as dashboard_state
from rxapp.state import firewall
from rxapp.state import hotspots as hotspots_state
from rxapp.state import probe  # noqa: F401  (public echo for bench/ws_bench.py)
from rxapp.state.guard import GuardMiddleware

app = rx.App(
    style=GLOBAL_STYLE,
    html_lang="zh-CN",
    api_transformer=build_api(),
)
app.add_middleware(GuardMiddleware())
# unknown, malformed and excess websocket events are dropped before Reflex queues them
firewall.install(app)
# live dashboards: one push task per worker
app.register_lifespan_task(dashboard_state.push_live_updates)
app.register_lifespan_task(hotspots_state.push_hotspots)
