"""State of /warnings (超期预警 worklist) and of the 预警 card on the dashboard."""

from __future__ import annotations

import reflex as rx

from rxapp.domain import warning as W
from rxapp.domain.errors import DomainError
from rxapp.state.base import AppState, access, run_db

WARNING_ROLES = ("dispatcher", "dept", "leader", "admin")


@access(WARNING_ROLES)
class WarningsState(AppState):
    items: list[dict[str, str]] = []
    loading: bool = True

    @rx.event
    async def load(self):
        try:
            actor = await self.require(*WARNING_ROLES)
            self.loading = True
            yield
            lang = await self.ui_lang()
            rows = await run_db(lambda s: W.worklist(s, actor=actor, lang=lang))
            self.items = [{"code": i.code, "category": i.category, "department": i.department, "deadline": i.deadline,
                           "risk": f"{i.risk * 100:.0f}%", "reasons": i.reasons,
                           "warned": "1" if i.warned else ""} for i in rows]
        except DomainError as exc:
            yield rx.toast.error(exc.message)
        finally:
            self.loading = False


@access(("leader", "admin"))
class WarningCardState(AppState):
    count: str = "—"

    @rx.event
    async def load(self):
        try:
            actor = await self.require("leader", "admin")
            self.count = str(await run_db(lambda s: W.warning_count(s, actor=actor)))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None
