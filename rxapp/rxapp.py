"""The Reflex app: theme, pages, middleware and the HTTP API — nothing else."""

import reflex as rx

from rxapp.api.app import build_api
from rxapp.components.styles import GLOBAL_STYLE, THEME
from rxapp import heap
from rxapp.domain.demo import refuse_unsafe_start
from rxapp.pages import home, login  # noqa: F401  (registers the pages)
from rxapp.pages import diary, households, meetings  # noqa: F401
from rxapp.pages import admin, dashboard  # noqa: F401
from rxapp.pages import cases  # noqa: F401
from rxapp.pages import board_admin, party, public  # noqa: F401
from rxapp.pages import warnings  # noqa: F401
from rxapp.pages import map as map_page  # noqa: F401
from rxapp.state import dashboard as dashboard_state
from rxapp.state import firewall
from rxapp.state import hotspots as hotspots_state
from rxapp.state import probe  # noqa: F401  (public echo for bench/ws_bench.py)
from rxapp.state.guard import GuardMiddleware

app = rx.App(
    style=GLOBAL_STYLE,
    theme=THEME,
    html_lang="zh-CN",
    stylesheets=["/a11y.css"],  # visible focus, contrast (issue 15 point 6)
    head_components=[rx.el.script(src="/a11y.js", defer=True)],  # focus returns to a dialog's opener
    api_transformer=build_api(),
)
# outside demo mode (GRIDDESK_DEMO=1) no demo account, key or webhook secret may exist
app.register_lifespan_task(refuse_unsafe_start)
app.add_middleware(GuardMiddleware())
# unknown, malformed and excess websocket events are dropped before Reflex queues them
firewall.install(app)
# live dashboards: one push task per worker
app.register_lifespan_task(dashboard_state.push_live_updates)
app.register_lifespan_task(hotspots_state.push_hotspots)
# the first queries computed once, then the loaded app's objects leave the
# garbage collector's full passes (rxapp/heap.py)
app.register_lifespan_task(heap.startup)
