"""Deny-by-default event middleware.

Any client can send any event name over the websocket. Before a handler
runs, this middleware (1) maps the event to its state class and lets it
through only if the class is registered with ``access`` and the socket's
session (HttpOnly cookie, checked in the database) has one of its roles, and
(2) resets every private substate when the socket's user is no longer the
user that state was built for (logout, another account, a stolen tab token),
before hydrate can send anything. Handlers check again themselves.
"""

import logging

from reflex.middleware import Middleware
from reflex.state import State, StateUpdate

from rxapp.state.base import ACCESS, PUBLIC, PUBLIC_HANDLERS, AppState, OwnerState, actor_from_cookie, roles_for

log = logging.getLogger("griddesk.guard")


def _private_state_classes() -> list[type]:
    found, stack = [], [AppState]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.get_substates())
    return found


def resolve_event(name: str) -> tuple[type | None, str]:
    state_path, _, handler = (name or "").rpartition(".")
    if not state_path or not handler:
        return None, handler
    try:
        return State.get_class_substate(state_path), handler
    except Exception:
        return None, handler


async def reset_private_states(root: State) -> None:
    for cls in _private_state_classes():
        sub = await root.get_state(cls)
        sub.reset()


class GuardMiddleware(Middleware):
    async def preprocess(self, app, state, event):
        cls, handler = resolve_event(event.name)
        if cls is None:
            return StateUpdate()
        internal = cls is State or cls.__module__.startswith("reflex.")
        actor = await actor_from_cookie(state.router.headers.cookie) if state is not None else None
        owner = await state.get_state(OwnerState)
        if owner._user_id and (actor is None or actor.user_id != owner._user_id):
            await reset_private_states(state)
            owner._user_id = 0
        if internal or handler in PUBLIC_HANDLERS.get(cls, ()):
            return None
        roles = roles_for(cls)
        if roles is PUBLIC:
            return None
        if roles is False or actor is None or actor.role not in roles:
            log.info("denied event %s for %s", event.name[:120], actor.username if actor else "anonymous")
            return StateUpdate()
        return None


__all__ = ["ACCESS", "GuardMiddleware", "reset_private_states", "resolve_event"]
