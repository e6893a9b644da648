"""A firewall in front of Reflex's websocket event queue.

In Reflex 0.10.1 an event whose handler name does not exist fails only after
it is queued, leaves a record in the worker's memory for good and logs a
traceback; the event middleware runs too late to stop that. So every incoming
event is checked here, before it is queued:

* it must be a dict (or JSON of one) whose ``name`` resolves to a real event
  handler of a real state class, with dict ``payload`` and ``router_data``;
* each connection may send at most ``MAX_EVENTS`` events per ``WINDOW``
  seconds — a generous ceiling no person reaches (typing and the dashboard's
  one tick a second stay far below it);
* ``<state>.setvar`` must name a var of that state that has an explicit
  ``set_<var>`` event handler (the state's own validated setter); any other
  var name — unknown, backend-only, computed — is dropped here instead of
  failing inside Reflex with a long traceback per event;
* a connection that keeps sending junk is disconnected.

Dropped events are counted, not logged one by one: one warning per
connection when it is first caught, so logs stay bounded.
"""

import inspect
import json
import logging
import time
from collections import OrderedDict, deque
from typing import Any

from reflex.state import State

log = logging.getLogger("griddesk.firewall")

MAX_EVENTS = 300
WINDOW = 10.0
MAX_DROPS_BEFORE_DISCONNECT = 500
MAX_NAME = 300
_KNOWN_MAX = 4096


class EventFirewall:
    def __init__(self, max_events: int = MAX_EVENTS, window: float = WINDOW):
        self.max_events = max_events
        self.window = window
        self._recent: dict[str, deque[float]] = {}
        self._drops: dict[str, int] = {}
        self._known: OrderedDict[str, bool] = OrderedDict()
        self.dropped_total = 0

    # -- what counts as a real event ------------------------------------
    def _resolves(self, name: str) -> bool:
        hit = self._known.get(name)
        if hit is not None:
            return hit
        state_path, _, handler = name.rpartition(".")
        ok = False
        if state_path and handler:
            try:
                cls = State.get_class_substate(state_path)
                ok = handler in cls.event_handlers
            except Exception:
                ok = False
        if ok:  # only real names are remembered: junk cannot grow this cache
            self._known[name] = True
            while len(self._known) > _KNOWN_MAX:
                self._known.popitem(last=False)
        return ok

    def well_formed(self, data: Any) -> bool:
        if isinstance(data, str):
            if len(data) > 1_000_000:
                return False
            try:
                data = json.loads(data)
            except ValueError:
                return False
        if not isinstance(data, dict):
            return False
        name = data.get("name")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            return False
        payload = data.get("payload", {})
        if not isinstance(payload, dict) or not isinstance(data.get("router_data", {}), dict):
            return False
        if not self._resolves(name):
            return False
        return not name.endswith(".setvar") or self._settable(name, payload)

    @staticmethod
    def _settable(name: str, payload: dict) -> bool:
        var_name = payload.get("var_name")
        if not isinstance(var_name, str) or not var_name.isidentifier() or var_name.startswith("_") or len(var_name) > 100:
            return False
        cls = State.get_class_substate(name.rpartition(".")[0])
        setter = cls.event_handlers.get(f"set_{var_name}")
        # setvar calls the setter without awaiting it: only a plain function can work
        return var_name in cls.base_vars and setter is not None and not (inspect.iscoroutinefunction(setter.fn) or inspect.isasyncgenfunction(setter.fn))

    # -- per connection ----------------------------------------------------
    def within_rate(self, sid: str, now: float | None = None) -> bool:
        t = time.monotonic() if now is None else now
        q = self._recent.setdefault(sid, deque())
        while q and t - q[0] > self.window:
            q.popleft()
        if len(q) >= self.max_events:
            return False
        q.append(t)
        return True

    def admit(self, sid: str, data: Any) -> bool:
        if self.within_rate(sid) and self.well_formed(data):
            return True
        self.dropped_total += 1
        n = self._drops.get(sid, 0) + 1
        self._drops[sid] = n
        if n == 1:
            log.warning("dropping malformed, unknown or excess websocket events from connection %s", sid[:16])
        return False

    def too_many_drops(self, sid: str) -> bool:
        return self._drops.get(sid, 0) >= MAX_DROPS_BEFORE_DISCONNECT

    def forget(self, sid: str) -> None:
        self._recent.pop(sid, None)
        drops = self._drops.pop(sid, 0)
        if drops:
            log.warning("connection %s closed after %d dropped events", sid[:16], drops)


def install(app, firewall: EventFirewall | None = None) -> EventFirewall:
    """Wrap the app's event namespace so events pass the firewall before they are queued."""
    fw = firewall or EventFirewall()
    namespace = app.event_namespace
    if namespace is None:
        return fw
    on_event = namespace.on_event
    on_disconnect = namespace.on_disconnect

    async def guarded_on_event(sid: str, data: Any):
        if fw.admit(sid, data):
            return await on_event(sid, data)
        if fw.too_many_drops(sid):
            await namespace.disconnect(sid)
        return None

    def guarded_on_disconnect(sid: str, *args):
        fw.forget(sid)
        return on_disconnect(sid, *args)

    namespace.on_event = guarded_on_event
    namespace.on_disconnect = guarded_on_disconnect
    return fw
