"""The leadership dashboard (/dashboard): KPIs, charts, filters, drill-down, live.

Live updates: each open dashboard ticks every second, but a tick costs no
database work per viewer. One process-wide probe reads the change marks (the
newest case event, visit and diary ids) at most twice a second, and each
(viewer scope, query, change mark) is computed once and shared by all viewers
that ask for it. So a case resolved anywhere is on every screen within ~2 s.
"""

import asyncio
import time
from collections import OrderedDict
from datetime import date
from urllib.parse import urlencode

import plotly.graph_objects as go
import reflex as rx

from rxapp import formatting as fmt
from rxapp.components import charts
from rxapp.domain import lookups, metrics
from rxapp.domain.access import Actor
from rxapp.domain.overview import missing_schedule_warning
from rxapp.domain.errors import DomainError
from rxapp.i18n import translate
from rxapp.state.base import AppState, UiState, access, run_db

DASHBOARD_ROLES = ("leader", "admin")
PERIODS = ("this_month", "last_month", "this_year", "custom")

# --------------------------------------------------------------------------
# process-wide change probe and shared results
# --------------------------------------------------------------------------
_PROBE_EVERY = 0.5
_probe = {"at": 0.0, "mark": (0, 0, 0)}
_probe_lock = asyncio.Lock()
_results: OrderedDict[tuple, metrics.Dashboard] = OrderedDict()
_RESULTS_MAX = 128


async def change_mark() -> tuple[int, int, int]:
    """The newest change marks, read at most every ``_PROBE_EVERY`` seconds per process."""
    if time.monotonic() - _probe["at"] < _PROBE_EVERY:
        return _probe["mark"]
    async with _probe_lock:
        if time.monotonic() - _probe["at"] >= _PROBE_EVERY:
            _probe["mark"] = await run_db(lookups.change_mark)
            _probe["at"] = time.monotonic()
    return _probe["mark"]


async def shared_dashboard(actor: Actor, query: metrics.DashboardQuery, mark: tuple) -> metrics.Dashboard:
    key = (actor.role, actor.scope_area_id, query.model_dump_json(), mark, date.today().isoformat())
    hit = _results.get(key)
    if hit is not None:
        _results.move_to_end(key)
        return hit
    result = await run_db(lambda s: metrics.dashboard(s, actor=actor, query=query))
    _results[key] = result
    while len(_results) > _RESULTS_MAX:
        _results.popitem(last=False)
    return result


def cases_url(filt: dict) -> str:
    """The /cases link for a drill-down filter (rxapp.domain.metrics.drilldown_filter)."""
    params = {
        "status": filt.get("status"),
        "category": filt.get("category_code"),
        "area": filt.get("area_id"),
        "department": filt.get("department_id"),
        "overdue": "1" if filt.get("overdue") else None,
        "from": filt.get("date_from"),
        "to": filt.get("date_to"),
    }
    return "/cases?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _empty_fig() -> go.Figure:
    return go.Figure()


@access(DASHBOARD_ROLES)
class DashboardState(AppState):
    # filters (validated server-side on every change)
    period: str = "this_month"
    date_from: str = ""
    date_to: str = ""
    area_id: int = 0
    category_code: str = ""
    department_id: str = ""
    error: str = ""
    schedule_warning: str = ""
    loading: bool = True
    live: bool = True

    # results: small, aggregated, no personal data
    area_name: str = ""
    period_label: str = ""
    generated_at: str = ""
    breadcrumb: list[dict[str, str]] = []
    children: list[dict[str, str]] = []
    category_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    area_rows: list[dict[str, str]] = []
    team_rows: list[dict[str, str]] = []
    ranking_title: str = ""
    teams_note: str = ""
    trend_fig: go.Figure = _empty_fig()
    category_fig: go.Figure = _empty_fig()
    area_fig: go.Figure = _empty_fig()
    activity_fig: go.Figure = _empty_fig()
    satisfaction_fig: go.Figure = _empty_fig()
    overdue_fig: go.Figure = _empty_fig()

    _mark: tuple = ()
    _lang: str = ""
    _category_codes: list[str] = []
    _department_ids: list[int] = []
    _child_ids: list[int] = []
    _shown_area_id: int = 0
    # what the category and ranking figures show, in plotly's point order
    _category_codes_shown: list[str] = []
    _area_ids_shown: list[int] = []

    # ---------------------------------------------------------------- query
    def _query(self) -> metrics.DashboardQuery:
        raw = {
            "period": self.period,
            "area_id": self.area_id or None,
            "category_code": self.category_code or None,
            "department_id": self.department_id or None,
        }
        if self.period == "custom":
            raw.update(date_from=self.date_from or None, date_to=self.date_to or None)
        return metrics.parse_query(raw)

    async def _lang_now(self) -> str:
        ui = await self.get_state(UiState)
        return ui.lang

    async def _refresh(self, actor: Actor, force: bool = False):
        try:
            query = self._query()
        except DomainError as exc:
            self.error = exc.message
            self.loading = False
            return
        mark = await change_mark()
        lang = await self._lang_now()
        if not force and mark == self._mark and lang == self._lang:
            return
        try:
            result = await shared_dashboard(actor, query, mark)
        except DomainError as exc:
            self.error = exc.message
            self.loading = False
            return
        self.error = ""
        self._mark, self._lang = mark, lang
        self._show(result, lang)
        self.loading = False

    async def _load_options(self) -> None:
        cats, deps = await run_db(lookups.category_and_department_names)
        lang = await self._lang_now()
        self._category_codes = [c for c, _, _ in cats]
        self._department_ids = [d for d, _, _ in deps]
        self.category_options = [{"value": c, "label": zh if lang == "zh" else en} for c, zh, en in cats]
        self.department_options = [{"value": str(d), "label": zh if lang == "zh" else en} for d, zh, en in deps]

    async def _crumbs(self, area_id: int, actor: Actor) -> None:
        crumbs, kids = await run_db(lambda s: lookups.area_breadcrumb(s, actor, area_id))
        self.breadcrumb = [{"id": str(i), "name": n} for i, n in crumbs]
        self._child_ids = [i for i, _ in kids]
        self.children = [{"id": str(i), "name": n} for i, n in kids]

    # --------------------------------------------------------------- events
    @rx.event
    async def load(self):
        actor = await self.require(*DASHBOARD_ROLES)
        self.loading = True
        self.area_id = 0
        yield
        await self._load_options()
        self.schedule_warning = await run_db(lambda s: missing_schedule_warning(s))
        await self._refresh(actor, force=True)
        await self._crumbs(self._shown_area_id, actor)

    @rx.event
    async def tick(self, _now: str = ""):
        """Every second from the page: cheap unless something changed."""
        actor = await self.require(*DASHBOARD_ROLES)
        if self.live:
            await self._refresh(actor)

    @rx.event
    async def set_period(self, value: str | list[str]):
        actor = await self.require(*DASHBOARD_ROLES)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in PERIODS:
            self.error = "统计周期无效"
            return
        self.period = value
        if value == "custom" and not (self.date_from and self.date_to):
            today = date.today()
            self.date_from, self.date_to = today.replace(day=1).isoformat(), today.isoformat()
        await self._refresh(actor, force=True)

    @rx.event
    async def set_dates(self, form: dict):
        actor = await self.require(*DASHBOARD_ROLES)
        start, end = str(form.get("date_from", ""))[:10], str(form.get("date_to", ""))[:10]
        self.period, self.date_from, self.date_to = "custom", start, end
        await self._refresh(actor, force=True)

    @rx.event
    async def set_area(self, value: str):
        actor = await self.require(*DASHBOARD_ROLES)
        try:
            area_id = int(str(value)[:10])
        except ValueError:
            self.error = "区域无效"
            return
        previous = self.area_id
        self.area_id = area_id
        await self._refresh(actor, force=True)
        if self.error:
            self.area_id = previous
            return
        await self._crumbs(self._shown_area_id, actor)

    @rx.event
    async def set_category(self, value: str):
        actor = await self.require(*DASHBOARD_ROLES)
        value = str(value or "")[:16]
        if value not in ("", "all") and value not in self._category_codes:
            self.error = "诉求类别无效"
            return
        self.category_code = "" if value == "all" else value
        await self._refresh(actor, force=True)

    @rx.event
    async def set_department(self, value: str):
        actor = await self.require(*DASHBOARD_ROLES)
        value = str(value or "")[:10]
        if value not in ("", "all") and (not value.isdigit() or int(value) not in self._department_ids):
            self.error = "职能部门无效"
            return
        self.department_id = "" if value == "all" else value
        await self._refresh(actor, force=True)

    @rx.event
    def toggle_live(self):
        self.live = not self.live

    @rx.event
    async def drill(self, target: str, key: str = ""):
        """Open /cases with the filter behind a card, bar or ranking row."""
        actor = await self.require(*DASHBOARD_ROLES)
        if target not in metrics.DRILLDOWN_TARGETS:
            return
        try:
            query = self._query()
            filt = await run_db(
                lambda s: metrics.drilldown_filter(s, actor=actor, query=query, target=target, key=str(key)[:16] or None)
            )
        except DomainError as exc:
            self.error = exc.message
            return
        return rx.redirect(cases_url(filt))

    @rx.event
    async def click_category(self, points: list):
        idx = _point_index(points)
        if idx is not None and 0 <= idx < len(self._category_codes_shown):
            return DashboardState.drill("category", self._category_codes_shown[idx])

    @rx.event
    async def click_area(self, points: list):
        idx = _point_index(points)
        ids = self._area_ids_shown
        if idx is not None and 0 <= idx < len(ids):
            # the ranking figure lists rows bottom-up
            return DashboardState.drill("area", str(ids[idx]))

    # ------------------------------------------------------------ rendering
    def _show(self, d: metrics.Dashboard, lang: str) -> None:
        t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
        self.area_name = d.area_name
        self._shown_area_id = d.area_id
        self.period_label = f"{fmt.day(d.date_from, lang)} – {fmt.day(d.date_to, lang)}"
        self.generated_at = fmt.moment(d.generated_at, lang)
        k = d.kpis
        completion = k.completion_rate.value

        def card(key, kpi, value, change, *, target="", tone="neutral", unit="", hint=""):
            return {
                "key": key,
                "label": t(f"dash.kpi.{key}"),
                "value": value,
                "unit": unit,
                "change": change,
                "tone": tone,
                "target": target,
                "hint": hint,
            }

        cases_unit = t("dash.unit.cases")
        days_unit = t("dash.unit.days")
        self.cards = [
            card(
                "completion_rate",
                k.completion_rate,
                fmt.percent(completion, lang, 2),
                fmt.points_change(k.completion_rate.change, lang),
                target="accepted",
                tone="neutral" if completion is None else ("good" if completion >= charts.TARGET else "bad"),
                hint=t("dash.target_hint") + f" · {fmt.number(k.completion_rate.numerator, lang)}/{fmt.number(k.completion_rate.denominator, lang)}",
            ),
            card("on_time_rate", k.on_time_rate, fmt.percent(k.on_time_rate.value, lang), fmt.points_change(k.on_time_rate.change, lang), target="resolved"),
            card(
                "overdue_now",
                k.overdue_now,
                fmt.number(k.overdue_now.value, lang),
                fmt.count_change(k.overdue_now.change, lang),
                target="overdue",
                tone="bad" if (k.overdue_now.value or 0) > 0 else "good",
                unit=cases_unit,
            ),
            card(
                "satisfaction_rate",
                k.satisfaction_rate,
                fmt.percent(k.satisfaction_rate.value, lang),
                fmt.points_change(k.satisfaction_rate.change, lang),
                target="closed",
                hint=t("dash.mean_score", score=fmt.number(k.mean_score.value, lang, 2)),
            ),
            card("follow_up_rate", k.follow_up_rate, fmt.percent(k.follow_up_rate.value, lang), fmt.points_change(k.follow_up_rate.change, lang), target="resolved"),
            card(
                "handling_time",
                k.handling_median_days,
                fmt.number(k.handling_median_days.value, lang, 1),
                fmt.count_change(k.handling_median_days.change, lang, 1),
                target="resolved",
                unit=days_unit,
                hint=t("dash.p90", days=fmt.number(k.handling_p90_days.value, lang, 1)),
            ),
            card("intake_today", k.intake_today, fmt.number(k.intake_today.value, lang), fmt.count_change(k.intake_today.change, lang), unit=cases_unit, target="accepted"),
            card("intake_month", k.intake_month, fmt.number(k.intake_month.value, lang), fmt.count_change(k.intake_month.change, lang), unit=cases_unit, target="accepted"),
        ]

        level = d.ranking_level or ""
        self.ranking_title = t("dash.chart.area_ranking", level=t(f"level.{level}") if level else "")
        self.area_rows = [
            {
                "id": str(r.id),
                "rank": str(r.rank) if r.rank is not None else "—",
                "name": r.name,
                "accepted": fmt.number(r.accepted, lang),
                "completion": fmt.percent(r.completion_rate, lang),
                "on_time": fmt.percent(r.on_time_rate, lang),
                "bad": "1" if (r.completion_rate is not None and r.completion_rate < charts.TARGET) else "",
            }
            for r in d.area_ranking
        ]
        self.team_rows = [
            {
                "id": str(r.id),
                "rank": str(r.rank) if r.rank is not None else "—",
                "name": r.name,
                "accepted": fmt.number(r.accepted, lang),
                "completion": fmt.percent(r.completion_rate, lang),
                "on_time": fmt.percent(r.on_time_rate, lang),
                "bad": "1" if (r.completion_rate is not None and r.completion_rate < charts.TARGET) else "",
            }
            for r in d.team_ranking
        ]
        self.teams_note = t("dash.teams_note", ranked=d.teams_ranked, small=d.teams_below_volume, min=d.min_volume)
        self._category_codes_shown = [p.code for p in d.categories][::-1]
        self._area_ids_shown = [r.id for r in d.area_ranking if r.rank is not None][::-1]
        self.trend_fig = charts.trend(d.trend, lang)
        self.category_fig = charts.categories(d.categories, lang)
        self.area_fig = charts.ranking(d.area_ranking, self.ranking_title, lang)
        self.activity_fig = charts.team_activity(d.team_activity, lang)
        self.satisfaction_fig = charts.satisfaction(d.satisfaction, lang)
        self.overdue_fig = charts.overdue_by_department(d.overdue_by_department, lang)

    @rx.var
    def export_href(self) -> str:
        params = {"period": self.period, "area": self.area_id or None, "category": self.category_code or None, "department": self.department_id or None}
        if self.period == "custom":
            params.update({"from": self.date_from, "to": self.date_to})
        return "/api/export/dashboard.xlsx?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _point_index(points) -> int | None:
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    idx = points[0].get("pointIndex", points[0].get("pointNumber"))
    return idx if isinstance(idx, int) and not isinstance(idx, bool) else None
