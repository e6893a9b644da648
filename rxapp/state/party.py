"""State of /party (staff): the sunshine party members (阳光党员) in scope
with their linked households' open items, a member's handbook and the
monthly assessment."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from rxapp.domain import public as P
from rxapp.formatting import month_label
from rxapp.i18n import translate
from rxapp.state.base import AppState, FormFeedback, UiState, access, run_db
from rxapp.state.public import AreaPicker, _str


@access(P.HANDBOOK_ROLES)
class PartyHandbookState(FormFeedback, AppState):
    members: list[dict[str, str]] = []
    member_id: str = ""
    member_name: str = ""
    hb_cases: list[dict[str, str]] = []
    assessments: list[dict[str, str]] = []
    can_assess: bool = False

    @rx.event
    async def load(self):
        actor = await self.require(*P.HANDBOOK_ROLES)
        lang = (await self.get_state(UiState)).lang
        await self._load_months()
        rows = await run_db(lambda s: P.party_members(s, actor=actor))
        self.members = [
            {
                "id": str(r.id),
                "label": translate("public.party.member_label", lang, name=r.name, team=r.team, n=r.households),
                "name": r.name,
                "team": r.team,
                "households": str(r.households),
                "open": str(r.open),
                "overdue": str(r.overdue),
            }
            for r in rows
        ]
        self.can_assess = actor.role in P.ASSESS_ROLES
        if self.member_id and any(m["id"] == self.member_id for m in self.members):
            await self._show()

    @rx.event
    async def pick_member(self, value: str):
        await self.require(*P.HANDBOOK_ROLES)
        self.member_id = AreaPicker._valid(value, self.members)
        self.error = self.info = ""
        await self._show()

    async def _show(self) -> None:
        actor = await self.require(*P.HANDBOOK_ROLES)
        self.hb_cases, self.assessments, self.member_name = [], [], ""
        if not self.member_id:
            return
        mid = self.member_id
        ok, hb = await self._attempt(lambda s: P.handbook(s, actor=actor, member_id=mid))
        if not ok:
            return
        self.member_name = hb.member.name
        self.hb_cases = [{k: str(v) for k, v in asdict(c).items()} for c in hb.cases]
        lang = (await self.get_state(UiState)).lang
        self.assessments = [{"period": month_label(a.period, lang), "kind": a.kind, "score": "" if a.score is None else str(a.score), "comment": a.comment} for a in hb.assessments]

    @rx.event
    async def assess(self, form: dict):
        actor = await self.require(*P.ASSESS_ROLES)
        self.error = self.info = ""
        if not isinstance(form, dict) or not self.member_id:
            self.error = "public.msg.pick_member"
            return
        mid = self.member_id
        kind, period, score, comment = _str(form.get("kind"), 16), _str(form.get("period"), 7), _str(form.get("score"), 1), _str(form.get("comment"), 500)
        ok, _ = await self._attempt(
            lambda s: P.record_assessment(s, actor=actor, member_id=mid, kind=kind, period=period, score=score, comment=comment), "public.msg.assessed"
        )
        if ok:
            await self._show()
