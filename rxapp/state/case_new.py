"""/cases/new — intake: a dispatcher, member or administrator registers a
request (the grid cascade from the user's scope, the live category
suggestion, a visit / household prefill). See ``rxapp.state.case_common``
for the contract every handler keeps."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from rxapp.domain.access import Actor, area_lineage
from rxapp.domain.cases import category_rules, submit_case
from rxapp.domain.classify import AUTO_ACCEPT_CONFIDENCE, classify
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.lookups import (
    child_areas as _child_areas,
    choices as _choices,
    link_for_intake as _link_for_intake,
    scope_root as _scope_root,
    townships_in as _townships_in,
)
from rxapp.i18n import translate
from rxapp.models import Area, AreaLevel, Channel, Role, Team
from rxapp.state.base import AppState, access, run_db
from rxapp.state.case_common import (
    INTAKE_CHANNELS,
    INTAKE_FIELDS,
    INTAKE_ROLES,
    NONE,
    _choice,
    _form,
    _int_text,
    _text,
    _toast_error,
)


@dataclass(frozen=True)
class IntakeSetup:
    start: str  # the first level the user chooses: township / community / grid / fixed
    township_options: list[dict[str, str]]
    community_options: list[dict[str, str]]
    grid_options: list[dict[str, str]]
    township: str
    community: str
    grid: str
    fixed_label: str


def _intake_setup(session: Session, actor: Actor, grid_id: int | None = None) -> IntakeSetup:
    """The grid cascade for this user: from their scope down to a grid;
    ``grid_id`` preselects a grid (a household's) within it."""
    if actor.role == Role.MEMBER:
        team = session.get(Team, actor.team_id) if actor.team_id else None
        grid = session.get(Area, team.grid_id) if team else None
        if grid is None:
            raise AccessDenied("您尚未加入服务团队，不能登记诉求")
        return IntakeSetup("fixed", [], [], [], NONE, NONE, str(grid.id), grid.name)
    root = _scope_root(session, actor)
    if root is None:
        raise AccessDenied("您没有管辖区域，不能登记诉求")
    chosen = session.get(Area, grid_id) if grid_id else None
    lineage = area_lineage(session, chosen) if chosen is not None and chosen.path.startswith(root.path) else {}
    town = str(lineage.get(AreaLevel.TOWNSHIP, NONE))
    comm = str(lineage.get(AreaLevel.COMMUNITY, NONE))
    grid = str(lineage.get(AreaLevel.GRID, NONE))
    if root.level in (AreaLevel.CITY, AreaLevel.DISTRICT):
        towns = _townships_in(session, root)
        comms = _child_areas(session, actor, int(town)) if town != NONE else []
        grids = _child_areas(session, actor, int(comm)) if comm != NONE else []
        return IntakeSetup(AreaLevel.TOWNSHIP, towns, comms, grids, town, comm, grid, "")
    if root.level == AreaLevel.TOWNSHIP:
        comms = _child_areas(session, actor, root.id)
        grids = _child_areas(session, actor, int(comm)) if comm != NONE else []
        return IntakeSetup(AreaLevel.COMMUNITY, [], comms, grids, str(root.id), comm, grid, root.name)
    if root.level == AreaLevel.COMMUNITY:
        grids = _child_areas(session, actor, root.id)
        return IntakeSetup(AreaLevel.GRID, [], [], grids, NONE, str(root.id), grid, root.name)
    return IntakeSetup("fixed", [], [], [], NONE, NONE, str(root.id), root.name)


@access(INTAKE_ROLES)
class CaseNewState(AppState):
    channel: str = Channel.DESK
    channel_options: list[str] = list(INTAKE_CHANNELS)
    content: str = ""
    # prefill for the requester inputs (they are read from the form on submit)
    requester_name: str = ""
    requester_phone: str = ""
    requester_address: str = ""
    form_key: int = 0  # remounts the uncontrolled inputs after a prefill or a submit

    cascade: str = ""  # township / community / grid / fixed
    fixed_label: str = ""  # the township / grid the user cannot change
    township: str = NONE
    community: str = NONE
    grid: str = NONE
    township_options: list[dict[str, str]] = []
    community_options: list[dict[str, str]] = []
    grid_options: list[dict[str, str]] = []

    category_override: str = NONE
    category_options: list[dict[str, str]] = []
    suggestion: dict[str, str] = {}  # code, name, confidence (percent), terms, auto

    errors: dict[str, str] = {}
    ready: bool = False
    submitting: bool = False
    link_label: str = ""  # "raised from the visit to <address>"
    nonce: str = ""  # one submit per rendered form (a double click makes one case)
    _visit_id: int = 0
    _household_id: int = 0

    def _clear(self) -> None:
        self.channel = Channel.DESK
        self.content = self.requester_name = self.requester_phone = self.requester_address = ""
        self.township = self.community = self.grid = self.category_override = NONE
        self.suggestion = {}
        self.errors = {}
        self.link_label = ""
        self._visit_id = self._household_id = 0
        self.submitting = False
        self.nonce = secrets.token_hex(8)
        self.form_key += 1

    def _apply(self, setup: IntakeSetup) -> None:
        self.cascade = setup.start
        self.fixed_label = setup.fixed_label
        self.township_options, self.community_options, self.grid_options = (
            setup.township_options,
            setup.community_options,
            setup.grid_options,
        )
        self.township, self.community, self.grid = setup.township, setup.community, setup.grid
        self._auto_pick()

    def _auto_pick(self) -> None:
        """A level with a single choice is chosen for the user."""
        if self.cascade == AreaLevel.TOWNSHIP and self.township == NONE and len(self.township_options) == 1:
            self.township = self.township_options[0]["id"]
        if self.community == NONE and len(self.community_options) == 1:
            self.community = self.community_options[0]["id"]
        if self.grid == NONE and len(self.grid_options) == 1 and self.cascade != "fixed":
            self.grid = self.grid_options[0]["id"]

    @rx.event
    async def load(self):
        """on_load: a clean form for this user; ``?visit=&household=`` prefill
        (validated: the visit / household must be the user's to use)."""
        actor = await self.require(*INTAKE_ROLES)
        lang = await self.ui_lang()
        self.ready = False
        self._clear()
        params = dict(self.router.url.query_parameters)
        raw_visit, raw_household = params.get("visit", ""), params.get("household", "")
        visit_id = _int_text(raw_visit) if raw_visit else None
        household_id = _int_text(raw_household) if raw_household else None
        link_error = ""
        if (raw_visit and visit_id is None) or (raw_household and household_id is None):
            link_error = "链接中的走访记录或住户编号无效"

        def fetch(s: Session):
            choices = _choices(s, lang)
            link, message = None, ""
            if not link_error and (visit_id is not None or household_id is not None):
                try:
                    link = _link_for_intake(s, actor, visit_id, household_id)
                except DomainError as exc:
                    message = exc.message
            grid_id = link[1].grid_id if link else None
            return choices, _intake_setup(s, actor, grid_id), link, message

        try:
            choices, setup, link, message = await run_db(fetch)
        except DomainError as exc:
            yield _toast_error(exc.message)
            return
        self.category_options = [{"id": c["code"], "label": c["label"], "name": c["name"]} for c in choices.categories]
        self._apply(setup)
        if actor.role == Role.MEMBER:
            self.channel = Channel.VISIT
        if link is not None:
            visit, household = link
            self.channel = Channel.VISIT
            self._visit_id = visit.id if visit else 0
            self._household_id = household.id
            self.requester_name = household.representative
            self.requester_phone = household.phone
            self.requester_address = household.address
            when = f"{visit.visited_on.isoformat()} " if visit else ""
            self.link_label = f"{when}{household.address}（{household.representative}）"
            self.form_key += 1
        self.ready = True
        if link_error or message:
            yield _toast_error(link_error or message)

    @rx.event
    async def set_channel(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if isinstance(value, str) and value in INTAKE_CHANNELS and not self._visit_id:
            self.channel = value
            self.errors = {k: v for k, v in self.errors.items() if k != "channel"}

    @rx.event
    async def set_content(self, value: Any):
        """Typing in the content box (debounced in the browser): the live suggestion."""
        await self.require(*INTAKE_ROLES)
        if not isinstance(value, str):
            return
        self.content = value[:2000]
        self.errors = {k: v for k, v in self.errors.items() if k != "content"}
        text = self.content.strip()
        if len(text) < 2:
            self.suggestion = {}
            return
        rules = await run_db(category_rules)
        result = classify(text, rules)
        name = next((c["name"] for c in self.category_options if c["id"] == result.code), result.code)
        self.suggestion = {
            "code": result.code,
            "name": name,
            "confidence": str(round(result.confidence * 100)),
            "terms": "、".join(result.terms[:6]),
            "auto": "1" if result.confidence >= AUTO_ACCEPT_CONFIDENCE else "",
        }

    @rx.event
    async def set_category_override(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if value == NONE or _choice(value, self.category_options) is not None:
            self.category_override = value

    @rx.event
    async def set_township(self, value: Any):
        actor = await self.require(*INTAKE_ROLES)
        if self.cascade != AreaLevel.TOWNSHIP or _choice(value, self.township_options) is None:
            return
        self.township, self.community, self.grid = value, NONE, NONE
        self.community_options = await run_db(lambda s: _child_areas(s, actor, int(value)))
        self.grid_options = []
        self._auto_pick()
        if self.community != NONE:
            self.grid_options = await run_db(lambda s: _child_areas(s, actor, int(self.community)))
            self._auto_pick()

    @rx.event
    async def set_community(self, value: Any):
        actor = await self.require(*INTAKE_ROLES)
        if self.cascade not in (AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY) or _choice(value, self.community_options) is None:
            return
        self.community, self.grid = value, NONE
        self.grid_options = await run_db(lambda s: _child_areas(s, actor, int(value)))
        self._auto_pick()

    @rx.event
    async def set_grid(self, value: Any):
        await self.require(*INTAKE_ROLES)
        if self.cascade == "fixed" or _choice(value, self.grid_options) is None:
            return
        self.grid = value
        self.errors = {k: v for k, v in self.errors.items() if k != "grid_id"}

    @rx.event
    async def clear_link(self):
        """Drop the visit / household link (the form stays as typed)."""
        await self.require(*INTAKE_ROLES)
        self._visit_id = self._household_id = 0
        self.link_label = ""

    def _show_error(self, exc: DomainError):
        field = exc.field if exc.field in INTAKE_FIELDS else "form"
        if exc.field == "phone":
            field = "requester_phone"
        self.errors = {field: exc.message}
        return _toast_error(exc.message)

    @rx.event
    async def submit(self, form_data: Any):
        """Register the case (one transaction: all or nothing), then open it."""
        actor = await self.require(*INTAKE_ROLES)
        if not isinstance(form_data, Mapping) or form_data.get("nonce") != self.nonce or not self.nonce:
            return  # a second click on a form already sent, or not our form
        self.errors = {}
        try:
            form = _form(form_data)
            content = _text(form, "content", 2000) or self.content
            data: dict[str, Any] = {
                "content": content,
                "requester_name": _text(form, "requester_name", 64),
                "requester_phone": _text(form, "requester_phone", 32),
                "requester_address": _text(form, "requester_address", 256),
                "grid_id": None if self.grid == NONE else int(self.grid),
                "category_code": None if self.category_override == NONE else self.category_override,
            }
            if self.channel not in INTAKE_CHANNELS:
                raise DomainError("受理渠道无效", "channel")
        except DomainError as exc:
            yield self._show_error(exc)
            return
        from rxapp.state.place import PlaceState  # place.py imports this module

        # the spot picked on the map (resolved on the server), while it still lies in the chosen grid
        data.update((await self.get_state(PlaceState)).point_for(data["grid_id"]))
        channel = self.channel
        visit_id, household_id = self._visit_id or None, self._household_id or None
        self.submitting = True
        yield

        def work(s: Session) -> str:
            if visit_id or household_id:
                visit, household = _link_for_intake(s, actor, visit_id, household_id)
                data["household_id"] = household.id
                data["visit_id"] = visit.id if visit else None
            return submit_case(s, actor=actor, data=data, channel=channel).code

        try:
            code = await run_db(work)
        except DomainError as exc:
            self.submitting = False
            yield self._show_error(exc)
            return
        self._clear()
        self.nonce = ""  # the page reloads on the next visit
        yield rx.toast.success(translate("cases.toast.registered", await self.ui_lang(), code=code))
        yield rx.redirect(f"/cases/{code}")

