"""Drive Reflex states as a client would, without a browser (REFLEX.md)."""

import reflex as rx
from reflex.istate.data import RouterData
from reflex_base.event import Event
from reflex.state import StateUpdate

from rxapp.state.guard import GuardMiddleware


def root_with_cookie(token: str | None) -> rx.State:
    root = rx.State()
    cookie = f"gd_session={token}" if token else ""
    root.router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": "/"})
    return root


def set_cookie(root: rx.State, token: str | None) -> None:
    cookie = f"gd_session={token}" if token else ""
    root.router = RouterData.from_router_data({"headers": {"cookie": cookie}, "pathname": "/"})


async def guard_allows(root: rx.State, state_cls: type, handler: str, payload: dict | None = None) -> bool:
    """What the middleware decides for an event sent to ``state_cls.handler``."""
    name = f"{state_cls.get_full_name()}.{handler}"
    out = await GuardMiddleware().preprocess(app=None, state=root, event=Event(name=name, payload=payload or {}))
    return not isinstance(out, StateUpdate)
