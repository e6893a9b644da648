"""/households and /households/[household_id]: the registry and skill search.

See ``rxapp.state.teamwork`` for the rules every handler follows.  Rows reach
the vars as the domain returned them for this actor: leaders get masked
names, phones and addresses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import reflex as rx

from rxapp.domain import households as H
from rxapp.domain.errors import DomainError
from rxapp.models import AreaLevel, Role
from rxapp.state.base import AppState, access, run_db
from rxapp.state.paged import DEFAULT_PAGE_SIZE as PAGE_SIZE, Filter, PagedList, filter_setter, int_in, pages_of
from rxapp.state.teamwork import (
    ALL,
    TEAMWORK_ROLES,
    choice,
    day_text,
    error_map,
    field,
    form_of,
    path_id,
    s,
    say,
    toast_error,
)

HOUSEHOLD_FIELDS = ("address", "representative", "phone", "size", "needs", "notes", "grid_id")
RESIDENT_FIELDS = ("name", "gender", "birth_year", "relation", "phone", "skills", "specialties", "party_member")
EDITORS = (Role.MEMBER, Role.ADMIN)
GENDER_NONE = "none"  # the select's "not given" (Radix items cannot be "")


def _household(r: H.HouseholdRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "grid": r.grid_name,
        "community": r.community_name,
        "address": r.address,
        "representative": r.representative,
        "phone": r.phone,
        "size": str(r.size),
        "needs": r.needs,
        "notes": r.notes,
        "residents": str(r.residents),
        "party": r.party_member_name,
        "version": str(r.version),
    }


def _skill(r: H.SkillRow) -> dict[str, str]:
    return {
        "id": str(r.resident_id),
        "name": r.name,
        "gender": r.gender,
        "birth_year": s(r.birth_year),
        "skills": r.skills,
        "specialties": r.specialties,
        "party": "1" if r.party_member else "",
        "phone": r.phone,
        "address": r.address,
        "grid": r.grid_name,
        "community": r.community_name,
        "township": r.township_name,
        "team": r.team_name,
    }


def _household_data(f) -> dict[str, Any]:
    return {k: field(f, k) for k in HOUSEHOLD_FIELDS if k in f}


def _resident_data(f) -> dict[str, Any]:
    data = {k: field(f, k) for k in RESIDENT_FIELDS if k != "party_member"}
    if data.get("gender") == GENDER_NONE:
        data["gender"] = ""
    data["party_member"] = f.get("party_member") in ("on", True, "true")
    return data


# ============================================================================
# /households — the registry and the skill search
# ============================================================================
@access(TEAMWORK_ROLES)
class HouseholdsState(PagedList, AppState):
    LIST_ROLES = TEAMWORK_ROLES
    LIST_FILTERS = (
        Filter("area", options="area_options", label="区域"),
        Filter("query", kind="text", max_len=40, label="查询条件"),
        Filter("need", kind="text", max_len=20, label="需求"),
    )
    tab: str = "registry"
    area_options: list[dict[str, str]] = []
    grid_options: list[dict[str, str]] = []  # administrators pick the grid of a new household
    is_leader: bool = False
    can_create: bool = False

    # registry
    area: str = ALL
    need: str = ""
    query: str = ""
    rows: list[dict[str, str]] = []

    # skill search
    skill: str = ""
    skill_area: str = ALL
    skill_rows: list[dict[str, str]] = []
    skill_total: int = 0
    skill_page: int = 1
    skill_loading: bool = False
    skill_searched: bool = False

    # 登记住户 dialog
    create_open: bool = False
    create_errors: dict[str, str] = {}

    set_area = filter_setter("area")

    @rx.var
    def skill_pages(self) -> int:
        return pages_of(self.skill_total)

    @rx.var
    def export_href(self) -> str:
        params = {"skill": self.skill}
        if self.skill_area != ALL:
            params["area"] = self.skill_area
        return "/api/export/teamwork/skills.xlsx?" + urlencode(params)

    async def _list_fetch(self, actor) -> None:
        area = None if self.area == ALL else self.area
        need, query, page, size = self.need, self.query, self.page, self.page_size
        rows, total = await run_db(lambda sess: H.list_households(sess, actor=actor, area_id=area, query=query, need=need, page=page, page_size=size))
        self.rows = [_household(r) for r in rows]
        self.total = total

    async def _fetch_skills(self, actor) -> None:
        area = None if self.skill_area == ALL else self.skill_area
        skill, page = self.skill, self.skill_page
        self.skill_loading = True
        try:
            rows, total = await run_db(lambda sess: H.skill_search(sess, actor=actor, skill=skill, area_id=area, page=page, page_size=PAGE_SIZE))
        finally:
            self.skill_loading = False
        self.skill_rows = [_skill(r) for r in rows]
        self.skill_total = total
        self.skill_searched = True

    @rx.event
    async def load(self):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.is_leader = actor.role == Role.LEADER
            self.can_create = actor.role in EDITORS
            choices = await run_db(lambda sess: H.area_choices(sess, actor=actor))
            self.area_options = [{"id": str(c.id), "label": c.label, "level": c.level} for c in choices]
            self.grid_options = [o for o in self.area_options if o["level"] == AreaLevel.GRID] if actor.role == Role.ADMIN else []
            if choice(self.skill_area, self.area_options) is None:
                self.skill_area = ALL
            self._list_reset()
            self._list_from_url(self.router.url.query_parameters)
        except DomainError as exc:
            self.loading = False
            yield toast_error(exc.message)
            return
        async for ev in self._list_reload(actor, first_page=False, url=False):
            yield ev

    @rx.event
    async def set_tab(self, value: Any):
        if isinstance(value, str) and value in ("registry", "skills"):
            self.tab = value

    # -- skill search -----------------------------------------------------------
    @rx.event
    async def search_skill(self, form_data: dict):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            f = form_of(form_data)
            skill = field(f, "skill")
            if not isinstance(skill, str) or not skill.strip():
                raise DomainError("请输入要查找的技能，如：焊工、电工", "skill")
            if len(skill.strip()) > 20:
                raise DomainError("技能不能超过20个字", "skill")
            self.skill = skill.strip()
            self.skill_page = 1
            await self._fetch_skills(actor)
        except DomainError as exc:
            self.skill_loading = False
            return toast_error(exc.message)

    @rx.event
    async def set_skill_area(self, value: Any):
        self.skill_area = choice(value, self.area_options) or ALL
        if not self.skill:
            return None
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.skill_page = 1
            await self._fetch_skills(actor)
        except DomainError as exc:
            return toast_error(exc.message)

    @rx.event
    async def go_skill_page(self, page: Any):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            self.skill_page = min(int_in(page, 1, self.skill_pages) or 1, self.skill_pages)
            await self._fetch_skills(actor)
        except DomainError as exc:
            return toast_error(exc.message)

    # -- 登记住户 ------------------------------------------------------------------
    @rx.event
    async def open_create(self):
        try:
            await self.require(*EDITORS)
        except DomainError as exc:
            return toast_error(exc.message)
        self.create_open, self.create_errors = True, {}

    @rx.event
    async def close_create(self, open_: Any = False):
        if open_ is not True:
            self.create_open, self.create_errors = False, {}

    @rx.event
    async def submit_create(self, form_data: dict):
        try:
            actor = await self.require(*EDITORS)
            data = _household_data(form_of(form_data))
            if actor.role == Role.MEMBER:
                data.pop("grid_id", None)  # a member's grid is their team's
            elif choice(data.get("grid_id"), self.grid_options) is None:
                raise DomainError("请选择网格", "grid_id")
            hh = await run_db(lambda sess: H.create_household(sess, actor=actor, data=data))
        except DomainError as exc:
            self.create_errors = error_map(exc, HOUSEHOLD_FIELDS)
            return toast_error(exc.message)
        self.create_open, self.create_errors = False, {}
        return [rx.toast.success(await say(self, "tw.households.created")), rx.redirect(f"/households/{hh.id}")]


# ============================================================================
# /households/[household_id] — one household, its residents and visits
# ============================================================================
@access(TEAMWORK_ROLES)
class HouseholdDetailState(AppState):
    found: bool = False
    loading: bool = True
    household: dict[str, str] = {}
    residents: list[dict[str, str]] = []
    visits: list[dict[str, str]] = []
    can_edit: bool = False
    masked: bool = False

    edit_open: bool = False
    edit_errors: dict[str, str] = {}

    # resident dialog: "" closed, "new", or the id of the resident edited
    resident_mode: str = ""
    resident_form: dict[str, str] = {}
    resident_errors: dict[str, str] = {}

    _household_id: int = 0

    async def _fetch(self, actor) -> None:
        hid = self._household_id
        d = await run_db(lambda sess: H.household_detail(sess, actor=actor, household_id=hid))
        self.household = _household(d.household)
        self.residents = [
            {
                "id": str(r.id),
                "name": r.name,
                "gender": r.gender,
                "birth_year": s(r.birth_year),
                "relation": r.relation,
                "phone": r.phone,
                "skills": r.skills,
                "specialties": r.specialties,
                "party": "1" if r.party_member else "",
                "version": str(r.version),
            }
            for r in d.residents
        ]
        self.visits = [
            {"day": day_text(v.visited_on), "member": v.member_name, "note": v.note, "diary_id": s(v.diary_id)} for v in d.visits
        ]
        self.can_edit, self.masked = d.can_edit, d.household.masked
        self.found = True

    @rx.event
    async def load(self):
        self.found, self.loading = False, True
        self.edit_open, self.resident_mode = False, ""
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            hid = path_id(self.router.url.path)
            if hid is None:
                raise DomainError("住户不存在", "household_id")
            self._household_id = hid
            await self._fetch(actor)
        except DomainError as exc:
            self.household, self.residents, self.visits = {}, [], []
            return toast_error(exc.message)
        finally:
            self.loading = False

    @rx.event
    async def open_edit(self):
        try:
            await self.require(*EDITORS)
        except DomainError as exc:
            return toast_error(exc.message)
        if self.can_edit:
            self.edit_open, self.edit_errors = True, {}

    @rx.event
    async def close_edit(self, open_: Any = False):
        if open_ is not True:
            self.edit_open, self.edit_errors = False, {}

    @rx.event
    async def submit_edit(self, form_data: dict):
        try:
            actor = await self.require(*EDITORS)
            data = _household_data(form_of(form_data))
            data.pop("grid_id", None)
            hid, version = self._household_id, self.household.get("version", "")
            await run_db(lambda sess: H.update_household(sess, actor=actor, household_id=hid, data=data, expected_version=version))
            self.edit_open, self.edit_errors = False, {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "common.saved"))
        except DomainError as exc:
            self.edit_errors = error_map(exc, HOUSEHOLD_FIELDS)
            return toast_error(exc.message)

    @rx.event
    async def open_resident(self, resident_id: Any):
        try:
            await self.require(*EDITORS)
        except DomainError as exc:
            return toast_error(exc.message)
        if not self.can_edit:
            return None
        if resident_id == "new":
            self.resident_form = {k: "" for k in RESIDENT_FIELDS}
            self.resident_form["gender"] = GENDER_NONE
            self.resident_mode = "new"
        else:
            row = next((r for r in self.residents if r["id"] == resident_id), None) if isinstance(resident_id, str) else None
            if row is None:
                return toast_error("家庭成员不存在，请刷新后重试")
            self.resident_form = {**{k: row.get(k, "") for k in RESIDENT_FIELDS}, "gender": row["gender"] or GENDER_NONE, "party_member": row["party"]}
            self.resident_mode = row["id"]
        self.resident_errors = {}

    @rx.event
    async def close_resident(self, open_: Any = False):
        if open_ is not True:
            self.resident_mode, self.resident_errors = "", {}

    @rx.event
    async def submit_resident(self, form_data: dict):
        try:
            actor = await self.require(*EDITORS)
            data = _resident_data(form_of(form_data))
            mode, hid = self.resident_mode, self._household_id
            if mode == "new":
                await run_db(lambda sess: H.add_resident(sess, actor=actor, household_id=hid, data=data))
            else:
                row = next((r for r in self.residents if r["id"] == mode), None)
                if row is None:
                    raise DomainError("家庭成员不存在，请刷新后重试", "form")
                await run_db(lambda sess: H.update_resident(sess, actor=actor, resident_id=row["id"], data=data, expected_version=row["version"]))
            self.resident_mode, self.resident_errors = "", {}
            await self._fetch(actor)
            return rx.toast.success(await say(self, "common.saved"))
        except DomainError as exc:
            self.resident_errors = error_map(exc, RESIDENT_FIELDS)
            return toast_error(exc.message)
