"""The workbench (/): the user's own scope at a glance."""

import reflex as rx

from rxapp.domain.overview import missing_schedule_warning, overview
from rxapp.state.base import STAFF, AppState, access, run_db


@access(STAFF)
class HomeState(AppState):
    open_cases: int = 0
    overdue_cases: int = 0
    accepted_today: int = 0
    accepted_this_month: int = 0
    loaded: bool = False
    schedule_warning: str = ""  # administrators: theirs to fix
    schedule_note: str = ""  # leaders: a quiet note, deadlines may move

    @rx.event
    async def load(self):
        actor = await self.require(*STAFF)
        o = await run_db(lambda s: overview(s, actor=actor))
        self.open_cases = o.open_cases
        self.overdue_cases = o.overdue_cases
        self.accepted_today = o.accepted_today
        self.accepted_this_month = o.accepted_this_month
        if actor.role in ("leader", "admin"):
            lang = await self.ui_lang()
            text = await run_db(lambda s: missing_schedule_warning(s, lang=lang))
            self.schedule_warning, self.schedule_note = (text, "") if actor.role == "admin" else ("", text)
        self.loaded = True
