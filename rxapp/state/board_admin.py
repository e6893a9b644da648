"""State of /board-admin (leaders, administrators): a community's monthly
notice board previewed and published (frozen), and the two-way team scores of
the area.  Opens on the leader's own area and the last full month."""

from __future__ import annotations

import reflex as rx

from rxapp.domain import public as P
from rxapp.domain.errors import DomainError
from rxapp.state.base import AppState, FormFeedback, UiState, access, run_db
from rxapp.state.public import LEADERS, AreaPicker, _board_rows, _opts, _score_rows, last_full_month


@access(LEADERS)
class BoardAdminState(FormFeedback, AppState):
    b_districts: list[dict[str, str]] = []
    b_townships: list[dict[str, str]] = []
    b_communities: list[dict[str, str]] = []
    b_district: str = ""
    b_township: str = ""
    b_community: str = ""
    b_month: str = ""
    preview: list[dict[str, str]] = []
    preview_teams: list[dict[str, str]] = []
    published: bool = False
    scores: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Open on the leader's own area (its pickers filled down to the
        scope) and the last full month, the one due for publishing."""
        actor = await self.require(*LEADERS)
        self.b_month = self.b_month or last_full_month()
        await self._load_months()
        scope = actor.scope_area_id

        def fetch(s):
            top = P.area_children(s, None)
            return (P.area_children(s, top[0].id) if top else []), (P.area_lineage(s, scope) if scope else [])

        districts, chain = await run_db(fetch)
        self.b_districts = _opts(districts)
        if not self.b_district and chain:
            self.b_district = AreaPicker._valid(str(chain[0]), self.b_districts)
            self.b_townships = await self._kids(self.b_district) if self.b_district else []
            if len(chain) > 1:
                self.b_township = AreaPicker._valid(str(chain[1]), self.b_townships)
                self.b_communities = await self._kids(self.b_township) if self.b_township else []
            if len(chain) > 2:
                self.b_community = AreaPicker._valid(str(chain[2]), self.b_communities)
        await self._refresh()

    async def _kids(self, parent: str) -> list[dict[str, str]]:
        try:
            return _opts(await run_db(lambda s: P.area_children(s, parent)))
        except DomainError:
            return []

    @rx.event
    async def pick_district(self, value: str):
        await self.require(*LEADERS)
        self.b_district = AreaPicker._valid(value, self.b_districts)
        self.b_townships = await self._kids(self.b_district) if self.b_district else []
        self.b_township = self.b_community = ""
        self.b_communities = []
        await self._refresh()

    @rx.event
    async def pick_township(self, value: str):
        await self.require(*LEADERS)
        self.b_township = AreaPicker._valid(value, self.b_townships)
        self.b_communities = await self._kids(self.b_township) if self.b_township else []
        self.b_community = ""
        await self._refresh()

    @rx.event
    async def pick_community(self, value: str):
        await self.require(*LEADERS)
        self.b_community = AreaPicker._valid(value, self.b_communities)
        await self._refresh()

    @rx.event
    async def set_month(self, value: str):
        await self.require(*LEADERS)
        try:
            self.b_month = P.parse_month(value)
        except DomainError as exc:
            self.error = exc.message
            return
        await self._refresh()

    async def _refresh(self) -> None:
        actor = await self.require(*LEADERS)
        self.error = self.info = ""
        self.preview, self.preview_teams, self.published, self.scores = [], [], False, []
        cid, month = self.b_community, self.b_month
        area = self.b_community or self.b_township or self.b_district or (str(actor.scope_area_id) if actor.scope_area_id else "")
        try:
            if cid:
                live, pub = await run_db(lambda s: (P.live_board(s, community_id=cid, month=month), P.published_board(s, community_id=cid, month=month)))
                self.preview, self.preview_teams = await _board_rows(pub or live, (await self.get_state(UiState)).lang)
                self.published = pub is not None
            if area:
                self.scores = _score_rows(await run_db(lambda s: P.team_scores(s, actor=actor, area_id=area, month=month)))
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    async def publish(self):
        actor = await self.require(*LEADERS)
        cid, month = self.b_community, self.b_month
        if not cid:
            self.error = "public.msg.pick_community"
            return
        ok, _ = await self._attempt(lambda s: P.publish_board(s, actor=actor, community_id=cid, month=month))
        if ok:
            await self._refresh()
            self.info = "public.msg.published"
