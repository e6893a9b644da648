"""The map (网格一张图): the /map page, its card on /dashboard, the public
township choropleth and the small map of one case.

Like the dashboard, a map is computed and rendered once per (viewer scope,
query, measure, layers, change mark, language) and shared by every viewer
(:func:`rxapp.state.dashboard._shared`), and it is live through the
dashboard's own push: /map registers its tab with the dashboard's push list
and the card on /dashboard follows each dashboard refresh (no timer of its
own).  On /dashboard the card uses the dashboard's filters and scope: a
click on an area drills the whole dashboard.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import date

import reflex as rx

from rxapp import formatting as fmt
from rxapp.components import map_figures as maps
from rxapp.domain import lookups, metrics
from rxapp.domain.access import Actor
from rxapp.domain.clock import today
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.geo import mapview as MV
from rxapp.i18n import translate
from rxapp.models import Role
from rxapp.state import dashboard as dash
from rxapp.state.base import PUBLIC, AppState, UiState, access, run_db
from rxapp.state.shared import any_stale, share

log = logging.getLogger(__name__)

MAP_ROLES = (Role.LEADER, Role.DISPATCHER, Role.ADMIN)
MAP_PERIODS = ("this_month", "last_month", "this_year")
_EMPTY_FIG: dict = {"data": [], "layout": {}}
CARD_HEIGHT = 440
PAGE_HEIGHT = 600

_views: OrderedDict = OrderedDict()
# one object per rendered map for every viewer (rxapp.state.shared): a tab's
# pickled state carries a key, not its own ~80 KB copy of the city's figure
SHARED_FIELDS = ("fig", "rows", "_clicks")


_data: OrderedDict = OrderedDict()


async def map_data(actor: Actor, query: metrics.DashboardQuery, mark: tuple) -> tuple[MV.MapData, list, list]:
    """The map's rows, outlines, points and breadcrumb of one scope: one
    database pass shared by every measure, layer choice, size and language
    (a measure switch then only renders, ~5-20 ms, instead of querying again)."""
    key = ("map-data", actor.role, actor.scope_area_id, query.model_dump_json(), mark, date.today().isoformat())

    def work(s):
        data = MV.map_view(s, actor=actor, query=query)
        crumbs, kids = lookups.area_breadcrumb(s, actor, data.area_id)
        return data, crumbs, kids

    return await dash._shared(_data, key, lambda: run_db(work))


async def shared_map(actor: Actor, query: metrics.DashboardQuery, measure: str, layers: tuple[bool, bool], height: int, mark: tuple, lang: str) -> dict:
    key = ("map", actor.role, actor.scope_area_id, query.model_dump_json(), measure, layers, height, mark, date.today().isoformat(), lang)

    async def build() -> dict:
        data, crumbs, kids = await map_data(actor, query, mark)
        view = await asyncio.to_thread(_render, data, measure, layers, height, lang)
        # the breadcrumb and drill select come with the view: a shared scope change reads no database
        view["breadcrumb"] = [{"id": str(i), "name": n} for i, n in crumbs]
        view["children"] = [{"id": str(i), "name": n} for i, n in kids]
        return view

    return await dash._shared(_views, key, build)


PREFETCH_MAX = 8  # areas one click below a scope whose maps are computed ahead
PREFETCH_PAUSE = 0.05  # seconds the work ahead waits before each map, and while a person waits for one
_prefetching: set = set()
_prefetch_tasks: set = set()
_waited_for = 0  # /map refreshes in flight in this worker that a person is waiting for


async def _after_people() -> None:
    """Work ahead gives way: it waits a moment (the reply of the event that
    started it is still being sent) and then while any refresh a person waits
    for is in flight in this worker, so computing ahead shares no core with it."""
    await asyncio.sleep(PREFETCH_PAUSE)
    while _waited_for:
        await asyncio.sleep(PREFETCH_PAUSE)


def prefetch_children(actor: Actor, query: metrics.DashboardQuery, measure: str, layers: tuple[bool, bool], height: int, mark: tuple, lang: str, child_ids: list[int]) -> None:
    """After a person changes /map's scope or measure, compute the maps one
    click below it in the background, one after another: a click on an area
    then finds its map shared instead of computing it (the first-visit scope
    change was 0.4-0.8 s, the shared one ~0.1-0.2 s); then the other measures
    of this scope (rendered from its data, no query).  Once per (viewer scope,
    query, measure, layers, change mark, language); failures only logged."""
    key = (actor.role, actor.scope_area_id, query.model_dump_json(), measure, layers, height, mark, lang)
    if not child_ids or key in _prefetching:
        return
    _prefetching.add(key)

    async def ahead() -> None:
        try:
            for child in child_ids[:PREFETCH_MAX]:
                await _after_people()
                await shared_map(actor, query.model_copy(update={"area_id": child}), measure, layers, height, mark, lang)
            for other in MV.MEASURES:
                if other != measure:
                    await _after_people()
                    await shared_map(actor, query, other, layers, height, mark, lang)
        except Exception as exc:  # noqa: BLE001 - a map computed ahead is an optimisation only
            log.info("map prefetch stopped: %s", exc)
        finally:
            _prefetching.discard(key)

    task = asyncio.get_running_loop().create_task(ahead())
    _prefetch_tasks.add(task)  # a reference, so the task is not collected while it runs
    task.add_done_callback(_prefetch_tasks.discard)


def _render(data: MV.MapData, measure: str, layers: tuple[bool, bool], height: int, lang: str) -> dict:
    t = lambda k, **kw: translate(k, lang, **kw)  # noqa: E731
    show_cases, show_visits = layers
    bbox = data.outlines.get("bbox")
    if bbox is None and data.cases:
        xs, ys = [p.lon for p in data.cases], [p.lat for p in data.cases]
        bbox = [min(xs), min(ys), max(xs), max(ys)]
    fig, clicks = maps.choropleth(
        data.outlines,
        data.areas,
        measure,
        lang,
        bbox=bbox,
        unit_key=f"map.unit.{measure}",
        cases=data.cases if show_cases else None,
        visits=data.visits if show_visits else None,
        height=height,
        base=data.area_level != "city" or not data.outlines.get("features"),
    )
    rows = [
        {
            "id": str(a.id),
            "name": a.name,
            "value": maps.value_text(getattr(a, measure), measure, lang),
            "accepted": fmt.number(a.accepted, lang),
            "overdue": fmt.number(a.overdue, lang),
            "visits": fmt.number(a.visits, lang),
        }
        for a in data.areas
    ]
    return {
        "fig": share(fig),
        "rows": share(rows),
        "area_name": data.area_name,
        "period_label": f"{fmt.day(data.date_from, lang)} – {fmt.day(data.date_to, lang)}",
        "generated_at": fmt.moment(data.generated_at, lang),
        "cases_note": t("map.cases_note", shown=fmt.number(len(data.cases), lang), total=fmt.number(data.cases_total, lang)) if show_cases else "",
        "no_outline": bool(data.child_level) and not data.outlines.get("features"),
        "_clicks": share(clicks),
        "_shown_area_id": data.area_id,
    }


def _point(points) -> tuple[int, int] | None:
    """(curve, point) of a plotly click, validated."""
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    p = points[0]
    curve = p.get("curveNumber")
    idx = p.get("pointIndex", p.get("pointNumber"))
    if not isinstance(curve, int) or isinstance(curve, bool) or not 0 <= curve < 10_000:
        return None
    if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
        idx = 0
    return curve, idx


@access(MAP_ROLES)
class MapState(dash.CaseFilters, AppState):
    embedded: bool = False  # the card on /dashboard: follows the dashboard's filters
    # the /map page's own filters (validated like the dashboard's)
    period: str = "this_month"
    area_id: int = 0
    measure: str = "completion"
    show_cases: bool = True
    show_visits: bool = True

    error: str = ""
    loading: bool = True
    fig: dict = _EMPTY_FIG
    rows: list[dict[str, str]] = []
    area_name: str = ""
    period_label: str = ""
    generated_at: str = ""
    cases_note: str = ""
    no_outline: bool = False
    breadcrumb: list[dict[str, str]] = []
    children: list[dict[str, str]] = []

    _clicks: dict = {}
    _mark: tuple = ()
    _lang: str = ""
    _shown_area_id: int = 0

    # ---------------------------------------------------------------- query
    async def _query(self) -> metrics.DashboardQuery:
        if self.embedded:
            return (await self.get_state(dash.DashboardState))._query()
        return metrics.parse_query(
            {
                "period": self.period,
                "area_id": self.area_id or None,
                "category_code": self.category_code or None,
                "department_id": self.department_id or None,
            }
        )

    async def _refresh(self, actor: Actor, force: bool = False) -> None:
        try:
            query = await self._query()
        except DomainError as exc:
            self.error, self.loading = exc.message, False
            return
        mark = await dash.change_mark()
        lang = (await self.get_state(UiState)).lang
        if not force and mark == self._mark and lang == self._lang and not any_stale(self, SHARED_FIELDS):
            return
        height = CARD_HEIGHT if self.embedded else PAGE_HEIGHT
        global _waited_for
        _waited_for += 1
        try:
            view = await shared_map(actor, query, self.measure, (self.show_cases, self.show_visits), height, mark, lang)
        except DomainError as exc:  # AccessDenied included: an area outside the scope
            self.error, self.loading = exc.message, False
            return
        finally:
            _waited_for -= 1
        self.error = ""
        self._mark, self._lang = mark, lang
        for name, value in view.items():
            if self.embedded and name in ("breadcrumb", "children"):
                continue  # the card uses the dashboard's own
            current = self.get_value(name)
            if current is not value and current != value:
                setattr(self, name, [dict(c) for c in value] if name in ("breadcrumb", "children") else value)
        self.loading = False
        if not self.embedded and force:  # a person's own change (not a push): the next click is likely one level down
            kids = [int(c["id"]) for c in view["children"]]
            prefetch_children(actor, query, self.measure, (self.show_cases, self.show_visits), height, mark, lang, kids)

    async def _push(self) -> None:
        """A live update from the dashboard's push task (same checks as an event)."""
        if self.loading:
            return
        actor = await self.current_actor()
        if actor is None or actor.role not in MAP_ROLES:
            return
        if self.embedded:
            return  # the card follows the dashboard's own refresh
        await self._refresh(actor)

    # --------------------------------------------------------------- events
    @rx.event
    async def load(self):
        """/map."""
        actor = await self.require(*MAP_ROLES)
        dash._seen(self.router.session.client_token, MapState)
        # a tab that comes back to the city map it last showed keeps it on screen
        # while it is checked (no spinner, so the plot is not torn down and drawn twice)
        fresh = self.embedded or self.area_id != 0 or not self._mark or bool(self.error)
        self.embedded, self.area_id = False, 0
        if fresh:
            self.loading = True
            yield
        await self._load_options()
        await self._refresh(actor, force=True)

    @rx.event
    async def load_card(self):
        """The card on /dashboard (after the dashboard's own load)."""
        actor = await self.require(*dash.DASHBOARD_ROLES)
        self.embedded, self.loading = True, True
        await self._refresh(actor, force=True)

    @rx.event
    async def tick(self, _now: str = ""):
        """/map's heartbeat (the dashboard's 20 s one): stays on the push list."""
        actor = await self.require(*MAP_ROLES)
        if not self.embedded:
            dash._seen(self.router.session.client_token, MapState)
            await self._refresh(actor)

    @rx.event
    async def set_measure(self, value: str | list[str]):
        actor = await self.require(*MAP_ROLES)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in MV.MEASURES:
            self.error = "着色指标无效"
            return
        self.measure = value
        await self._refresh(actor, force=True)

    @rx.event
    async def toggle_layer(self, layer: str):
        actor = await self.require(*MAP_ROLES)
        if layer == "cases":
            self.show_cases = not self.show_cases
        elif layer == "visits":
            self.show_visits = not self.show_visits
        else:
            return
        await self._refresh(actor, force=True)

    @rx.event
    async def set_period(self, value: str | list[str]):
        actor = await self.require(*MAP_ROLES)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in MAP_PERIODS or self.embedded:
            self.error = "统计周期无效"
            return
        self.period = value
        await self._refresh(actor, force=True)

    @rx.event
    async def set_category(self, value: str):
        actor = await self.require(*MAP_ROLES)
        if self._take_category(value):
            await self._refresh(actor, force=True)

    @rx.event
    async def set_department(self, value: str):
        actor = await self.require(*MAP_ROLES)
        if self._take_department(value):
            await self._refresh(actor, force=True)

    @rx.event
    async def set_area(self, value: str):
        """Zoom into (or back out to) an area: on /dashboard the whole dashboard drills."""
        actor = await self.require(*MAP_ROLES)
        try:
            area_id = int(str(value)[:10])
        except ValueError:
            self.error = "区域无效"
            return
        if self.embedded:
            return dash.DashboardState.set_area(str(area_id))
        previous = self.area_id
        self.area_id = area_id
        await self._refresh(actor, force=True)
        if self.error:
            self.area_id = previous

    @rx.event
    async def click(self, points: list):
        """A click on the map: an area zooms in, a case point opens the case."""
        actor = await self.require(*MAP_ROLES)
        hit = _point(points)
        if hit is None:
            return
        curve, idx = hit
        if any_stale(self, SHARED_FIELDS):  # this tab's map was drawn by another worker
            await self._refresh(actor, force=True)
        clicks = self._clicks or {}
        codes = clicks.get("cases", {}).get(curve)
        if codes is not None:
            if idx < len(codes):
                return rx.redirect(f"/cases/{codes[idx]}")
            return
        area = clicks.get("areas", {}).get(curve)
        label_curve, label_ids = clicks.get("labels", (-1, []))
        if area is None and curve == label_curve and idx < len(label_ids):
            area = label_ids[idx]
        if area is not None:
            return MapState.set_area(str(area))

    @rx.event
    async def drill(self, target: str, key: str = ""):
        """/cases with the cases behind a figure of the table: ``accepted`` (the
        area's cohort) or ``overdue`` (its open cases past deadline)."""
        actor = await self.require(*MAP_ROLES)
        if target not in ("accepted", "overdue", "open"):
            return
        try:
            query = await self._query()
            if key:
                area_id = metrics._key_int(key)
                query = query.model_copy(update={"area_id": area_id})
            filt = await run_db(lambda s: metrics.drilldown_filter(s, actor=actor, query=query, target=target))
        except DomainError as exc:
            self.error = exc.message
            return
        return rx.redirect(dash.cases_url(filt))


async def follow_dashboard(dashboard: dash.DashboardState, actor: Actor, force: bool) -> None:
    """The card on /dashboard refreshes with the dashboard (its filters, its push)."""
    card = await dashboard.get_state(MapState)
    if card.embedded:
        await card._refresh(actor, force=force)


dash.REFRESH_HOOKS.append(follow_dashboard)


# ============================================================================
# /public: the township choropleth (aggregates only, never a point)
# ============================================================================
_public: OrderedDict = OrderedDict()


@access(PUBLIC)
class PublicMapState(rx.State):
    measure: str = "completion"
    fig: dict = _EMPTY_FIG

    @rx.event
    async def load(self):
        await self._fill()

    @rx.event
    async def set_measure(self, value: str | list[str]):
        if isinstance(value, list):
            value = value[0] if value else ""
        if value not in ("completion", "on_time", "satisfaction"):
            return
        self.measure = value
        await self._fill()

    async def _fill(self) -> None:
        lang = (await self.get_state(UiState)).lang
        measure = self.measure
        d = today()
        start = date(d.year, 1, 1)
        key = ("public-map", measure, lang, d.isoformat(), await dash.change_mark())

        async def build() -> dict:
            rows, fc = await run_db(lambda s: MV.public_townships(s, date_from=start, date_to=d))
            fig, _ = await asyncio.to_thread(
                lambda: maps.choropleth(fc, rows, measure, lang, bbox=fc.get("bbox"), unit_key=f"public_map.unit.{measure}", height=460, interactive=False, extra_hover=("accepted",))
            )
            return share(fig)

        self.fig = await dash._shared(_public, key, build)


# ============================================================================
# /cases/<code>: a small map of the case
# ============================================================================
@access((Role.LEADER, Role.DISPATCHER, Role.DEPT, Role.MEMBER, Role.ADMIN))
class CaseMapState(AppState):
    fig: dict = _EMPTY_FIG
    has_point: bool = False

    @rx.event
    async def load(self):
        actor = await self.require(Role.LEADER, Role.DISPATCHER, Role.DEPT, Role.MEMBER, Role.ADMIN)
        parts = (self.router.url.path or "").strip("/").split("/")
        code = parts[1][:20] if len(parts) == 2 and parts[0] == "cases" else ""
        lang = (await self.get_state(UiState)).lang
        try:
            point, outline = await run_db(lambda s: MV.case_place(s, actor=actor, code=code))
        except (DomainError, AccessDenied):
            self.fig, self.has_point = _EMPTY_FIG, False
            return
        self.has_point = point is not None
        self.fig = await asyncio.to_thread(maps.point_map, point, outline, lang) if (point or outline) else _EMPTY_FIG
