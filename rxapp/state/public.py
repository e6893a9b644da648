"""States of the public pages (no login) and of the leaders' board page.

Public states hold NO personal data: only aggregates, masked/scrubbed case
summaries, case codes and public timeline entries.  What a resident types
(phone, name, address, the phone tail) reaches a handler as form data and is
never stored in a var; the tail needed between the two evaluation steps is a
backend-only ``_var``.  Every argument is untrusted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import reflex as rx

from rxapp.domain import public as P
from rxapp.domain import scores as SC
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import DomainError
from rxapp.formatting import percent
from rxapp.models import AreaLevel, EvaluationKind, Role
from rxapp.state.base import PUBLIC, AppState, access, run_db
from rxapp.state.place import PlaceState

LEADERS = (Role.LEADER, Role.ADMIN)


def _opts(rows: list[P.AreaOption]) -> list[dict[str, str]]:
    return [{"id": str(a.id), "label": a.name} for a in rows]


def _pct(v: float | None) -> str:
    return percent(v) if v is not None else "—"


def _str(value: Any, limit: int = 2000) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _board_rows(board: P.Board | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    if board is None:
        return [], []
    rows = [{k: "" if v is None else str(v) for k, v in asdict(r).items()} for r in board.rows]
    teams = [{"team": t.team, "visits": str(t.visits), "diaries": str(t.diaries)} for t in board.teams]
    return rows, teams


class AreaPicker(rx.State, mixin=True):
    """District → township → community (→ grid) pickers over public area names."""

    districts: list[dict[str, str]] = []
    townships: list[dict[str, str]] = []
    communities: list[dict[str, str]] = []
    grids: list[dict[str, str]] = []
    district_id: str = ""
    township_id: str = ""
    community_id: str = ""
    grid_id: str = ""

    async def _load_districts(self) -> None:
        def fetch(s):
            top = P.area_children(s, None)
            return P.area_children(s, top[0].id) if top else []

        self.districts = _opts(await run_db(fetch))

    async def _children(self, parent: str) -> list[dict[str, str]]:
        try:
            return _opts(await run_db(lambda s: P.area_children(s, parent)))
        except DomainError:
            return []

    @staticmethod
    def _valid(value: Any, options: list[dict[str, str]]) -> str:
        return value if isinstance(value, str) and any(o["id"] == value for o in options) else ""

    async def _pick_district(self, value: Any) -> None:
        self.district_id = self._valid(value, self.districts)
        self.townships = await self._children(self.district_id) if self.district_id else []
        self.township_id = self.community_id = self.grid_id = ""
        self.communities = self.grids = []

    async def _pick_township(self, value: Any) -> None:
        self.township_id = self._valid(value, self.townships)
        self.communities = await self._children(self.township_id) if self.township_id else []
        self.community_id = self.grid_id = ""
        self.grids = []

    async def _pick_community(self, value: Any) -> None:
        self.community_id = self._valid(value, self.communities)
        self.grids = await self._children(self.community_id) if self.community_id else []
        self.grid_id = ""


# ============================================================================
# /public
# ============================================================================
@access(PUBLIC)
class PublicHomeState(rx.State):
    lines: list[dict[str, str]] = []
    chart: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    party: list[dict[str, str]] = []
    districts: list[dict[str, str]] = []
    area_id: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        def districts(s):
            top = P.area_children(s, None)
            return P.area_children(s, top[0].id) if top else []

        self.districts = _opts(await run_db(districts))
        await self._fill()

    @rx.event
    async def pick_area(self, value: str):
        """A district: its line and its townships' lines; empty: the city and its districts."""
        self.area_id = AreaPicker._valid(value, self.districts)
        await self._fill()

    async def _fill(self) -> None:
        area = self.area_id or None

        def fetch(s):
            return P.kpi_lines(s, area_id=area), P.top_categories(s, area_id=area), P.party_members_overdue(s, area_id=area)

        lines, cats, party = await run_db(fetch)
        period = {"本月": "public.period.month", "本年": "public.period.year"}
        self.lines = [
            {
                "area": x.area,
                "level_key": f"level.{x.level}" if x.level in AreaLevel.ORDER else "level.city",
                "period": x.period,
                "period_key": period.get(x.period, "public.period.year"),
                "accepted": str(x.accepted),
                "completion": _pct(x.completion_rate),
                "on_time": _pct(x.on_time_rate),
                "satisfaction": _pct(x.satisfaction_rate),
            }
            for x in lines
        ]
        self.chart = [
            {
                "area": x.area,
                "completion": round((x.completion_rate or 0) * 100, 1),
                "on_time": round((x.on_time_rate or 0) * 100, 1),
                "satisfaction": round((x.satisfaction_rate or 0) * 100, 1),
            }
            for x in lines
            if x.period == "本年"
        ]
        self.categories = [{"category": c.category, "count": c.count} for c in cats]
        self.party = [{"member": p.member, "team": p.team, "overdue": str(p.overdue)} for p in party]
        self.loaded = True


# ============================================================================
# /public/board
# ============================================================================
@access(PUBLIC)
class PublicBoardState(AreaPicker, rx.State):
    months: list[str] = []
    month: str = ""
    rows: list[dict[str, str]] = []
    teams: list[dict[str, str]] = []
    community_name: str = ""
    published_at: str = ""
    message: str = ""

    @rx.event
    async def load(self):
        await self._load_districts()

    @rx.event
    async def pick_district(self, value: str):
        await self._pick_district(value)
        self._clear()

    @rx.event
    async def pick_township(self, value: str):
        await self._pick_township(value)
        self._clear()

    @rx.event
    async def pick_community(self, value: str):
        await self._pick_community(value)
        self._clear()
        if self.community_id:
            cid = self.community_id
            self.months = await run_db(lambda s: P.published_months(s, community_id=cid))
            self.message = "" if self.months else "public.msg.no_board"
            if self.months:
                await self._show(self.months[0])

    @rx.event
    async def pick_month(self, value: str):
        if isinstance(value, str) and value in self.months:
            await self._show(value)

    def _clear(self) -> None:
        self.months, self.month, self.rows, self.teams = [], "", [], []
        self.community_name = self.published_at = self.message = ""

    async def _show(self, month: str) -> None:
        cid = self.community_id
        board = await run_db(lambda s: P.published_board(s, community_id=cid, month=month))
        self.month = month
        self.rows, self.teams = _board_rows(board)
        self.community_name = board.community if board else ""
        self.published_at = board.published_at if board else ""

    @rx.var
    def xlsx_url(self) -> str:
        if not self.community_id or not self.month:
            return ""
        return f"/api/public/board.xlsx?community={self.community_id}&month={self.month}"


# ============================================================================
# /public/submit
# ============================================================================
@access(PUBLIC)
class PublicSubmitState(AreaPicker, rx.State):
    code: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    async def load(self):
        self.code = self.error = ""
        await self._load_districts()

    @rx.event
    async def pick_district(self, value: str):
        await self._pick_district(value)

    @rx.event
    async def pick_township(self, value: str):
        await self._pick_township(value)

    @rx.event
    async def pick_community(self, value: str):
        await self._pick_community(value)

    @rx.event
    def pick_grid(self, value: str):
        self.grid_id = self._valid(value, self.grids)

    @rx.event
    async def submit(self, form: dict):
        self.error = ""
        if not isinstance(form, dict):
            self.error = "public.msg.invalid"
            return
        place = await self.get_state(PlaceState)
        if not self.grid_id and not place.unknown:
            self.error = "public.msg.pick_grid"
            return
        data = {
            "content": _str(form.get("content"), 2000),
            "name": _str(form.get("name"), 32),
            "phone": _str(form.get("phone"), 20),
            "address": _str(form.get("address"), 128),
            "grid_id": self.grid_id or None,
            "place_unknown": place.unknown and not self.grid_id,
            **place.point_for(self.grid_id),
        }
        try:
            self.code = await run_db(lambda s: P.public_submit(s, data=data))
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    def again(self):
        self.code = self.error = ""


# ============================================================================
# /public/track and /public/evaluate
# ============================================================================
def _clients(state: rx.State) -> tuple[str, ...]:
    """Who asks, for the wrong-guess limits: this tab and its address."""
    session = state.router.session
    return tuple(x for x in (f"tab:{session.client_token}"[:80] if session.client_token else "", f"ip:{session.client_ip}"[:60] if session.client_ip else "") if x)


def _view_vars(view: P.PublicCaseView) -> tuple[dict[str, str], list[dict[str, str]]]:
    data = {k: ("" if v is None else str(v)) for k, v in asdict(view).items() if k != "timeline"}
    timeline = [asdict(e) for e in view.timeline]
    return data, timeline


@access(PUBLIC)
class PublicTrackState(rx.State):
    case: dict[str, str] = {}
    timeline: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    async def track(self, form: dict):
        self.error = ""
        self.case, self.timeline = {}, []
        if not isinstance(form, dict):
            return
        code, tail = _str(form.get("code"), 20), _str(form.get("tail"), 4)
        clients = _clients(self)
        try:
            view = await run_db(lambda s: P.track_case(s, code=code, tail=tail, clients=clients))
        except DomainError as exc:
            self.error = exc.message
            return
        self.case, self.timeline = _view_vars(view)


@access(PUBLIC)
class PublicEvaluateState(rx.State):
    code: str = ""
    step: int = 1  # 1 = identify, 2 = code sent, 3 = done
    error: str = ""
    info: str = ""
    result: dict[str, str] = {}
    _tail: str = ""

    @rx.event
    def load(self):
        self.code, self.step, self.error, self.info, self.result, self._tail = "", 1, "", "", {}, ""
        params = self.router.url.query_parameters or {}
        code = params.get("code")
        if isinstance(code, str) and len(code) <= 20:
            self.code = code.strip().upper()

    @rx.event
    async def request_code(self, form: dict):
        self.error = self.info = ""
        if not isinstance(form, dict):
            return
        code, tail = _str(form.get("code"), 20).upper(), _str(form.get("tail"), 4)
        clients = _clients(self)
        try:
            await run_db(lambda s: P.request_evaluation_code(s, code=code, tail=tail, clients=clients))
        except DomainError as exc:
            self.error = exc.message
            return
        self.code, self._tail, self.step = code, tail, 2
        self.info = "public.msg.otp_sent"

    @rx.event
    async def evaluate(self, form: dict):
        self.error = ""
        if not isinstance(form, dict) or self.step != 2:
            return
        code, tail = self.code, self._tail
        otp = _str(form.get("otp"), 6)
        satisfaction = _str(form.get("satisfaction"), 16)
        score_text = _str(form.get("score"), 1)
        score = int(score_text) if score_text.isdigit() else 0
        comment = _str(form.get("comment"), 500)
        clients = _clients(self)
        try:
            view = await run_db(
                lambda s: P.evaluate_with_code(s, code=code, tail=tail, otp=otp, satisfaction=satisfaction, score=score, comment=comment, clients=clients)
            )
        except DomainError as exc:
            self.error = exc.message
            return
        self.result, _ = _view_vars(view)
        self.step, self.info, self._tail = 3, "", ""


# ============================================================================
# /board-admin (leaders): preview, publish, two-way scores
# ============================================================================
@access(LEADERS)
class BoardAdminState(AppState):
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
    error: str = ""
    info: str = ""

    @rx.event
    async def load(self):
        await self.require(*LEADERS)
        from rxapp.domain.clock import month_key, today

        self.b_month = self.b_month or month_key(today())

        def fetch(s):
            top = P.area_children(s, None)
            return P.area_children(s, top[0].id) if top else []

        self.b_districts = _opts(await run_db(fetch))

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
        area = self.b_community or self.b_township or self.b_district
        try:
            if cid:
                live, pub = await run_db(lambda s: (P.live_board(s, community_id=cid, month=month), P.published_board(s, community_id=cid, month=month)))
                self.preview, self.preview_teams = _board_rows(pub or live)
                self.published = pub is not None
            if area:
                rows = await run_db(lambda s: P.team_scores(s, actor=actor, area_id=area, month=month))
                self.scores = [
                    {
                        "team": r.team,
                        "kind": r.kind,
                        "kind_key": f"cases.evaluation.{r.kind_code}" if r.kind_code in EvaluationKind.ALL else "",
                        "n": str(r.n),
                        "mean": "—" if r.mean_score is None else f"{r.mean_score:.2f}",
                        "good": _pct(r.good_rate),
                        "reasonable": _pct(r.reasonable_rate),
                        "cooperative": _pct(r.cooperative_rate),
                    }
                    for r in rows
                ]
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    async def publish(self):
        actor = await self.require(*LEADERS)
        cid, month = self.b_community, self.b_month
        if not cid:
            self.error = "public.msg.pick_community"
            return
        try:
            await run_db(lambda s: P.publish_board(s, actor=actor, community_id=cid, month=month))
        except DomainError as exc:
            self.error = exc.message
            return
        await self._refresh()
        self.info = "public.msg.published"


# ============================================================================
# /party (staff): sunshine party members' handbook and monthly assessment
# ============================================================================
@access(P.HANDBOOK_ROLES)
class PartyHandbookState(AppState):
    members: list[dict[str, str]] = []
    member_id: str = ""
    member_name: str = ""
    hb_cases: list[dict[str, str]] = []
    assessments: list[dict[str, str]] = []
    can_assess: bool = False
    error: str = ""
    info: str = ""

    @rx.event
    async def load(self):
        actor = await self.require(*P.HANDBOOK_ROLES)
        rows = await run_db(lambda s: P.party_members(s, actor=actor))
        self.members = [{"id": str(r.id), "label": f"{r.name}（{r.team}，联系{r.households}户）"} for r in rows]
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
        try:
            hb = await run_db(lambda s: P.handbook(s, actor=actor, member_id=mid))
        except DomainError as exc:
            self.error = exc.message
            return
        self.member_name = hb.member.name
        self.hb_cases = [{k: str(v) for k, v in asdict(c).items()} for c in hb.cases]
        self.assessments = [{"period": a.period, "kind": a.kind, "score": "" if a.score is None else str(a.score), "comment": a.comment} for a in hb.assessments]

    @rx.event
    async def assess(self, form: dict):
        actor = await self.require(*P.ASSESS_ROLES)
        self.error = self.info = ""
        if not isinstance(form, dict) or not self.member_id:
            self.error = "public.msg.pick_member"
            return
        mid = self.member_id
        kind, period, score, comment = _str(form.get("kind"), 16), _str(form.get("period"), 7), _str(form.get("score"), 1), _str(form.get("comment"), 500)
        try:
            await run_db(lambda s: P.record_assessment(s, actor=actor, member_id=mid, kind=kind, period=period, score=score, comment=comment))
        except DomainError as exc:
            self.error = exc.message
            return
        self.info = "public.msg.assessed"
        await self._show()


# ============================================================================
# /team-scores (members): monthly team scores — self, peer, household reps
# ============================================================================
TEAM_RATERS = (Role.MEMBER,)


@access(TEAM_RATERS)
class TeamScoreState(AppState):
    ts_teams: list[dict[str, str]] = []  # own team first, then the township's other teams
    ts_month: str = ""
    ts_rows: list[dict[str, str]] = []
    ts_error: str = ""
    ts_info: str = ""

    @rx.event
    async def load(self):
        actor = await self.require(*TEAM_RATERS)

        self.ts_month = month_key(today())
        self.ts_error = self.ts_info = ""
        try:
            opts = await run_db(lambda s: SC.team_options(s, actor=actor))
        except DomainError as exc:
            self.ts_teams, self.ts_rows, self.ts_error = [], [], exc.message
            return
        self.ts_teams = [{"id": str(o.id), "label": o.name, "own": "1" if o.own else ""} for o in opts]
        await self._rows(actor)

    async def _rows(self, actor) -> None:
        rows = await run_db(lambda s: SC.my_team_scores(s, actor=actor))
        self.ts_rows = [{"kind": r.kind, "team": r.team, "period": r.period, "score": str(r.score), "comment": r.comment} for r in rows]

    @rx.event
    async def record(self, form: dict):
        actor = await self.require(*TEAM_RATERS)
        self.ts_error = self.ts_info = ""
        if not isinstance(form, dict):
            self.ts_error = "public.msg.invalid"
            return
        kind, team, period = _str(form.get("kind"), 16), _str(form.get("team"), 12), _str(form.get("period"), 7)
        score, comment = _str(form.get("score"), 1), form.get("comment") if isinstance(form.get("comment"), str) else ""
        if kind != "peer":  # self score and household representatives: always the member's own team
            team = next((t["id"] for t in self.ts_teams if t["own"]), "")
        try:
            await run_db(lambda s: SC.record_team_score(s, actor=actor, kind=kind, team_id=team, period=period, score=score, comment=comment))
        except DomainError as exc:
            self.ts_error = exc.message
            return
        self.ts_info = "public.msg.saved"
        await self._rows(actor)
