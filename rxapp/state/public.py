"""States of the public pages (no login), and the helpers the staff-side
board, party and team-score states share with them (``board_admin``,
``party``, ``team_scores``: one state module per page).

Public states hold NO personal data: only aggregates, masked/scrubbed case
summaries, case codes and public timeline entries.  What a resident types
(phone, name, address, the phone tail) reaches a handler as form data and is
never stored in a var; the tail needed between the two evaluation steps is a
backend-only ``_var``.  Every argument is untrusted."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import reflex as rx

from rxapp.domain import public as P
from rxapp.domain import cases as C
from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import DomainError
from rxapp.formatting import day, day_time, percent
from rxapp.domain.lookups import category_and_department_names
from rxapp.i18n import DEFAULT_LOCALE, MESSAGES, local_name, translate
from rxapp.models import AreaLevel, EvaluationKind, Role
from rxapp.state.base import PUBLIC, UiState, access, run_db
from rxapp.state.place import PlaceState

LEADERS = (Role.LEADER, Role.ADMIN)


def last_full_month() -> str:
    """The month before this one (YYYY-MM): the latest a board can be complete for."""
    first = today().replace(day=1)
    return month_key(first - timedelta(days=1))


def _opts(rows: list[P.AreaOption]) -> list[dict[str, str]]:
    return [{"id": str(a.id), "label": a.name} for a in rows]


def _pct(v: float | None) -> str:
    return percent(v) if v is not None else "—"


def _str(value: Any, limit: int = 2000) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


_BOARD_OUTCOMES = (  # the wording a board row's outcome is written in (``P._outcome``)
    (re.compile(r"^(\d{4}-\d{2}-\d{2})办结$"), "resolved"),
    (re.compile(r"^承诺(\d{4}-\d{2}-\d{2})前办结$"), "promised"),
    (re.compile(r"^不予受理：(.*)$", re.S), "rejected"),
    (re.compile(r"^重复件，并入原件办理$"), "duplicate"),
    (re.compile(r"^待受理$"), "pending"),
)
_STATUS_CODES = {label: code for code, label in P.PUBLIC_STATUS.items()}


def _board_outcome(text: str, lang: str) -> str:
    for pattern, key in _BOARD_OUTCOMES:
        m = pattern.match(text)
        if m:
            arg = m.group(1) if m.groups() else ""
            value = _iso_day(arg, lang) if key in ("resolved", "promised") else arg
            return translate(f"public.outcome.{key}", lang, value=value)
    return text


async def _board_rows(board: P.Board | None, lang: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """A board's rows as the page shows them. A board is stored as it was
    published (in Chinese); its labels (status, category, promise, evaluation,
    the outcome's wording) are shown in the reader's language, the residents'
    words (summary, a refusal's reason) as they are."""
    if board is None:
        return [], []
    rows = [{k: "" if v is None else str(v) for k, v in asdict(r).items()} for r in board.rows]
    if lang != DEFAULT_LOCALE:
        cats, _ = await run_db(category_and_department_names)
        names = {zh: local_name((zh, en), lang) for _, zh, en in cats}
        for r in rows:
            status = _STATUS_CODES.get(r["status"])
            r["status"] = translate(f"public.status.{status}", lang) if status else r["status"]
            r["category"] = names.get(r["category"], r["category"])
            prom = _PROMISE_KEYS.get(r["promise"])
            r["promise"] = translate(f"public.promise.{prom}", lang) if prom else r["promise"]
            sat = _SATISFACTION_KEYS.get(r["satisfaction"])
            r["satisfaction"] = translate(sat, lang) if sat else r["satisfaction"]
            r["outcome"] = _board_outcome(r["outcome"], lang)
    teams = [{"team": t.team, "visits": str(t.visits), "diaries": str(t.diaries)} for t in board.teams]
    return rows, teams


def _score_rows(rows: list[P.TeamScore]) -> list[dict[str, str]]:
    return [
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
    chart_low: int = 0  # where the rate axis starts: rates near 100 % differ by a point or two
    categories: list[dict[str, Any]] = []
    party: list[dict[str, str]] = []
    districts: list[dict[str, str]] = []
    area_id: str = ""
    loaded: bool = False

    @rx.var
    def chart_ticks(self) -> list[int]:
        step = 5 if 100 - self.chart_low <= 30 else 10
        return list(range(self.chart_low, 101, step))

    @rx.var
    def chart_height(self) -> int:
        return 90 + 80 * max(1, len(self.chart))  # three bars per area, each row taller than its label

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
        lang = (await self.get_state(UiState)).lang

        def fetch(s):
            return P.kpi_lines(s, area_id=area), P.top_categories(s, area_id=area, lang=lang), P.party_members_overdue(s, area_id=area)

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
        # a rate with nothing behind it has no bar (never a bar at 0 %)
        self.chart = [
            {
                "area": x.area,
                "completion": None if x.completion_rate is None else round(x.completion_rate * 100, 1),
                "on_time": None if x.on_time_rate is None else round(x.on_time_rate * 100, 1),
                "satisfaction": None if x.satisfaction_rate is None else round(x.satisfaction_rate * 100, 1),
            }
            for x in lines
            if x.period == "本年"
        ]
        shown = [v for row in self.chart for k, v in row.items() if k != "area" and v is not None]
        self.chart_low = max(0, min(90, int(min(shown, default=90) - 2) // 5 * 5))
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
        """Open on a board: ``?community=<id>`` when it names a community,
        else the first community whose latest board lists requests."""
        await self._load_districts()
        self._clear()
        asked = (self.router.url.query_parameters or {}).get("community")

        def pick(s):
            cid = None
            if isinstance(asked, str) and asked.strip():
                try:
                    cid = P._community(s, asked).id
                except DomainError:
                    cid = None
            cid = cid or P.default_board_community(s)
            return P.area_lineage(s, cid) if cid else []

        chain = await run_db(pick)
        if len(chain) < 3:
            return
        await self._pick_district(str(chain[0]))
        await self._pick_township(str(chain[1]))
        await self._open_community(str(chain[2]))

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
        await self._open_community(value)

    async def _open_community(self, value: Any) -> None:
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
        self.rows, self.teams = await _board_rows(board, (await self.get_state(UiState)).lang)
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


_PROMISE_KEYS = {P.PROMISE_KEPT: "kept", P.PROMISE_LATE: "late", P.PROMISE_BROKEN: "broken", P.PROMISE_PENDING: "pending"}
_SATISFACTION_KEYS = {label: f"cases.satisfaction.{code}" for code, label in C.SATISFACTION_ZH.items()}


def _label(key: str, lang: str, fallback: str) -> str:
    return translate(key, lang) if key in MESSAGES["zh"] else fallback


def _view_vars(view: P.PublicCaseView, lang: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The tracked case as the page shows it: labels and dates in the language."""
    data = {k: ("" if v is None else str(v)) for k, v in asdict(view).items() if k != "timeline"}
    data["status_label"] = _label(f"public.status.{view.status}", lang, view.status_label)
    prom = _PROMISE_KEYS.get(view.promise_state)
    data["promise_state"] = translate(f"public.promise.{prom}", lang) if prom else view.promise_state
    data["satisfaction"] = translate(_SATISFACTION_KEYS[view.satisfaction], lang) if view.satisfaction in _SATISFACTION_KEYS else view.satisfaction
    for k in ("submitted_on", "deadline", "resolved_on", "promise_due"):
        data[k] = _iso_day(data[k], lang)
    timeline = [
        {**asdict(e), "action": _label(f"public.action.{e.action_code}", lang, e.action), "at": _iso_time(e.at, lang)}
        for e in view.timeline
    ]
    return data, timeline


def _iso_day(text: str, lang: str) -> str:
    try:
        return day(date.fromisoformat(text[:10]), lang) if text else ""
    except ValueError:
        return text


def _iso_time(text: str, lang: str) -> str:
    try:
        return day_time(datetime.strptime(text, "%Y-%m-%d %H:%M"), lang)
    except ValueError:
        return text


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
        lang = (await self.get_state(UiState)).lang
        try:
            view = await run_db(lambda s: P.track_case(s, code=code, tail=tail, clients=clients, lang=lang))
        except DomainError as exc:
            self.error = exc.message
            return
        self.case, self.timeline = _view_vars(view, lang)


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
        self.result, _ = _view_vars(view, (await self.get_state(UiState)).lang)
        self.step, self.info, self._tail = 3, "", ""
