"""Hot spots on the workbench (/) and the dashboard: the open hot spots in
the viewer's scope, worst first, live.

Live like the dashboard: one task per worker (:func:`push_hotspots`) watches
the dashboard's change mark (a new case or event anywhere moves it; a hot spot
opens in the intake's transaction) and refreshes the open cards through
``app.modify_state``; a heartbeat keeps a card on the list and pulls an update
should a push be missed.  So a hot spot shows within about a second."""

import asyncio
import logging
import time

import reflex as rx

from rxapp.domain.errors import DomainError
from rxapp.domain.hotspots import actions as H
from rxapp.domain.hotspots.queries import ACT_ROLES, VIEW_ROLES, list_hotspots
from rxapp.i18n import local_name
from rxapp.state.base import STAFF, AppState, UiState, access, run_db
from rxapp.state.dashboard import change_mark

log = logging.getLogger(__name__)
SHOWN = 8
_viewers: dict[str, float] = {}
VIEWER_TTL = 90.0


@access(STAFF)  # every staff page loads the card; only viewers in VIEW_ROLES get rows, actions check ACT_ROLES
class HotspotsState(AppState):
    visible: bool = False
    can_act: bool = False
    rows: list[dict[str, str]] = []
    message: str = ""
    error: str = ""
    reason: str = ""
    _mark: tuple = ()

    async def _refresh(self, force: bool = False) -> None:
        actor = await self.current_actor()
        if actor is None or actor.role not in VIEW_ROLES:
            self.visible = False
            _viewers.pop(self.router.session.client_token, None)
            return
        mark = await change_mark()
        if not force and mark == self._mark:
            return
        rows = await run_db(lambda s: list_hotspots(s, actor=actor, limit=SHOWN))
        lang = (await self.get_state(UiState)).lang
        self._mark = mark
        self.visible, self.can_act = True, actor.role in ACT_ROLES
        self.rows = [
            {"id": str(r.id), "version": str(r.version), "title": r.title, "count": str(r.case_count),
             "open": str(r.open_count), "trend": r.trend, "status": r.status, "first": r.first_at[5:], "last": r.last_at[5:],
             "category": local_name((r.category_name, r.category_name_en), lang)}
            for r in rows
        ]

    @rx.event
    async def load(self):
        actor = await self.current_actor()
        if actor is None or actor.role not in VIEW_ROLES:
            self.visible = False
            return
        _viewers[self.router.session.client_token] = time.monotonic()
        await self._refresh(force=True)

    @rx.event
    async def tick(self, _now: str = ""):
        if self.router.session.client_token in _viewers:
            _viewers[self.router.session.client_token] = time.monotonic()
        await self._refresh()

    @rx.event
    def set_reason(self, value: str):
        self.reason = value[:500] if isinstance(value, str) else ""

    async def _act(self, fn, hotspot_id, version, done_key: str, **extra):
        actor = await self.require(*ACT_ROLES)
        try:
            await run_db(lambda s: fn(s, actor=actor, hotspot_id=hotspot_id, expected_version=version, **extra))
        except DomainError as exc:
            self.error, self.message = exc.message, ""
        else:
            self.error, self.message, self.reason = "", done_key, ""
        await self._refresh(force=True)

    @rx.event
    async def confirm(self, hotspot_id: str, version: str):
        await self._act(H.confirm_hotspot, hotspot_id, version, "hotspots.done.confirm")

    @rx.event
    async def handle(self, hotspot_id: str, version: str):
        await self._act(H.handle_hotspot_as_one, hotspot_id, version, "hotspots.done.handle")

    @rx.event
    async def dismiss(self, hotspot_id: str, version: str):
        await self._act(H.dismiss_hotspot, hotspot_id, version, "hotspots.done.dismiss", reason=self.reason)

    async def _push(self) -> None:
        await self._refresh()


async def push_hotspots(app) -> None:
    """Lifespan task, one per worker: when the change mark moves, refresh every
    hot-spot card open on this worker."""
    last = None
    while True:
        await asyncio.sleep(0.5)
        try:
            if not _viewers:
                continue
            mark = await change_mark()
            if mark == last:
                continue
            first, last = last is None, mark
            if first:
                continue
            now = time.monotonic()
            for token, seen in list(_viewers.items()):
                if now - seen > VIEWER_TTL:
                    _viewers.pop(token, None)
            for token in list(_viewers):
                try:
                    async with app.modify_state(rx.BaseStateToken(ident=token, cls=HotspotsState)) as root:
                        await (await root.get_state(HotspotsState))._push()
                except Exception as exc:  # noqa: BLE001 - one card's failure must not stop the others
                    log.info("hot-spot push failed (%s); the card pulls on its next heartbeat", exc)
                    _viewers.pop(token, None)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the task alive
            log.exception("hot-spot push failed")
