"""States of /team-scores: members record their team's monthly scores (self,
peer, household representatives); leaders and administrators read every
team's scores in their area by month."""

from __future__ import annotations

import reflex as rx

from rxapp.domain import public as P
from rxapp.domain import scores as SC
from rxapp.domain.clock import month_key, today
from rxapp.models import Role
from rxapp.formatting import month_label
from rxapp.state.base import AppState, FormFeedback, UiState, access, run_db
from rxapp.state.public import LEADERS, _score_rows, _str, last_full_month


TEAM_RATERS = (Role.MEMBER,)


@access(TEAM_RATERS)
class TeamScoreState(FormFeedback, AppState):
    ts_teams: list[dict[str, str]] = []  # own team first, then the township's other teams
    ts_month: str = ""
    ts_rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor = await self.require(*TEAM_RATERS)
        self.ts_month = month_key(today())
        await self._load_months()
        self.info = ""
        ok, opts = await self._attempt(lambda s: SC.team_options(s, actor=actor))
        if not ok:
            self.ts_teams, self.ts_rows = [], []
            return
        self.ts_teams = [{"id": str(o.id), "label": o.name, "own": "1" if o.own else ""} for o in opts]
        await self._rows(actor)

    async def _rows(self, actor) -> None:
        rows = await run_db(lambda s: SC.my_team_scores(s, actor=actor))
        lang = (await self.get_state(UiState)).lang
        self.ts_rows = [{"kind": r.kind, "team": r.team, "period": month_label(r.period, lang), "score": str(r.score), "comment": r.comment} for r in rows]

    @rx.event
    async def record(self, form: dict):
        actor = await self.require(*TEAM_RATERS)
        self.error = self.info = ""
        if not isinstance(form, dict):
            self.error = "public.msg.invalid"
            return
        kind, team, period = _str(form.get("kind"), 16), _str(form.get("team"), 12), _str(form.get("period"), 7)
        score, comment = _str(form.get("score"), 1), form.get("comment") if isinstance(form.get("comment"), str) else ""
        if kind != "peer":  # self score and household representatives: always the member's own team
            team = next((t["id"] for t in self.ts_teams if t["own"]), "")
        ok, _ = await self._attempt(
            lambda s: SC.record_team_score(s, actor=actor, kind=kind, team_id=team, period=period, score=score, comment=comment), "public.msg.saved"
        )
        if ok:
            await self._rows(actor)


# ============================================================================
# /team-scores (leaders, administrators): the monthly team scores of their area
# ============================================================================
TEAM_SCORE_PAGE = (*TEAM_RATERS, *LEADERS)


@access(TEAM_SCORE_PAGE)
class TeamScoreReadState(FormFeedback, AppState):
    """The page's entry: members go on to record (``TeamScoreState``), leaders
    and administrators read every team's scores in their scope by month."""

    tr_read: bool = False
    tr_month: str = ""
    tr_rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor = await self.require(*TEAM_SCORE_PAGE)
        self.tr_read = actor.role in LEADERS
        if not self.tr_read:
            return TeamScoreState.load
        self.tr_month = last_full_month()
        await self._load_months()
        await self._read(actor)

    @rx.event
    async def set_month(self, value: str):
        actor = await self.require(*LEADERS)
        ok, month = await self._attempt(lambda _s: P.parse_month(value))
        if ok:
            self.tr_month = month
            await self._read(actor)

    async def _read(self, actor) -> None:
        self.error, self.tr_rows = "", []
        area, month = actor.scope_area_id, self.tr_month
        if not area:
            return
        ok, rows = await self._attempt(lambda s: P.team_scores(s, actor=actor, area_id=area, month=month))
        self.tr_rows = _score_rows(rows) if ok else []
