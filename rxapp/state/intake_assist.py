"""/cases/new helpers: the caller's history and possible duplicates (可能重复),
beside the intake form (whose own state is ``CaseNewState``, read here)."""

from typing import Any

import reflex as rx

from rxapp.domain.errors import DomainError
from rxapp.domain.hotspots.intake import ASSIST_ROLES, caller_history, link_new_case, possible_duplicates
from rxapp.state.base import AppState, access, run_db
from rxapp.state.cases import CaseNewState


def _show(rows) -> list[dict[str, str]]:
    return [{"code": r.code, "status": r.status, "date": r.submitted, "category": r.category, "content": r.content,
             "reason": r.reason, "hotspot": "" if r.hotspot_id is None else str(r.hotspot_id)} for r in rows]


@access(ASSIST_ROLES)
class IntakeAssistState(AppState):
    phone: str = ""
    history: list[dict[str, str]] = []
    duplicates: list[dict[str, str]] = []
    linked_code: str = ""
    notice: str = ""

    async def _dups(self, actor) -> None:
        form = await self.get_state(CaseNewState)
        grid = form.grid if form.grid.isdigit() else None
        text, phone = form.content, self.phone
        self.duplicates = _show(await run_db(lambda s: possible_duplicates(s, actor=actor, text=text, phone=phone, grid_id=grid)))
        if self.linked_code and self.linked_code not in {d["code"] for d in self.duplicates}:
            self.linked_code = ""

    @rx.event
    async def lookup_phone(self, value: Any):
        actor = await self.require(*ASSIST_ROLES)
        self.phone = value.strip()[:20] if isinstance(value, str) else ""
        phone = self.phone
        self.history = _show(await run_db(lambda s: caller_history(s, actor=actor, phone=phone)))
        await self._dups(actor)

    @rx.event
    async def check_text(self, _value: Any = ""):
        actor = await self.require(*ASSIST_ROLES)
        await self._dups(actor)

    @rx.event
    def link(self, code: str):
        codes = {d["code"] for d in self.duplicates}
        self.linked_code = code if isinstance(code, str) and code in codes and code != self.linked_code else ""

    @rx.event
    async def after_submit(self, form_data: Any):
        """Runs after the form's own submit: links the case just taken to the chosen one."""
        actor = await self.require(*ASSIST_ROLES)
        code, self.notice = self.linked_code, ""
        content = form_data.get("content") if isinstance(form_data, dict) else None
        if not code or not isinstance(content, str):
            return
        try:
            linked = await run_db(lambda s: link_new_case(s, actor=actor, content=content, duplicate_of_code=code))
        except DomainError as exc:
            self.notice = exc.message
            return
        if linked is not None:
            self.linked_code, self.history, self.duplicates = "", [], []
