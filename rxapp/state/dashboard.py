"""The leadership dashboard (/dashboard): KPIs, charts, filters, drill-down, live.

Live updates are pushed: one task per worker (:func:`push_live_updates`)
reads the change marks (the newest case event, visit and diary ids) twice a
second and, when they move, refreshes that worker's open dashboards through
``app.modify_state`` — each (viewer scope, query, change mark, language) is
computed and rendered once and shared by every viewer.  The page only sends a
heartbeat (``tick``) every 20 s, which keeps it on the worker's list and pulls
an update should a push have been missed.  So a case resolved anywhere is on
every screen within about a second, and idle dashboards cost nothing.
"""

import asyncio
import json
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections import OrderedDict
from urllib.parse import urlencode

import reflex as rx

from rxapp import formatting as fmt
from rxapp.components import charts
from rxapp.domain import lookups, metrics
from rxapp.domain.access import Actor
from rxapp.domain.clock import now as clock_now, today
from rxapp.domain.overview import missing_schedule_warning
from rxapp.domain.errors import DomainError
from rxapp.i18n import translate
from rxapp import view_process
from rxapp.state import view_share
from rxapp.state.base import AppState, UiState, access, run_db
from rxapp.state.shared import any_stale, share

log = logging.getLogger(__name__)

DASHBOARD_ROLES = ("leader", "admin")
PERIODS = ("last_30_days", "this_month", "last_month", "this_year", "custom")

# --------------------------------------------------------------------------
# process-wide change probe and shared results
# --------------------------------------------------------------------------
_PROBE_EVERY = 0.5
# the newest change marks, and the wall-clock time just before they were read
# (everything committed before ``as_of`` is in what a view computed at ``mark`` shows)
_probe = {"at": 0.0, "mark": (0, 0, 0), "as_of": 0.0}
_probe_lock = asyncio.Lock()
# the push task's cycle: while it runs (or probed lately) the mark moves only
# there, so every refresh on this worker (pushes, heartbeats, filter changes,
# the map and hot-spot cards) uses the cycle's mark: a view is computed at most
# once per cycle however many changes arrive meanwhile (they are coalesced
# into the next cycle)
_cycle = {"busy": False, "probed": 0.0}
_results: OrderedDict[tuple, metrics.Dashboard] = OrderedDict()
_RESULTS_MAX = 128


def _push_task_alive() -> bool:
    return _cycle["busy"] or time.monotonic() - _cycle["probed"] < 3 * PUSH_EVERY


_as_of: OrderedDict[tuple, float] = OrderedDict()  # mark -> when it was first read


async def _read_mark() -> tuple[int, int, int]:
    """Read the marks now (callers hold ``_probe_lock``)."""
    as_of = time.time()
    shared = await view_share.published_mark(newer_than=_probe["as_of"])
    if shared is not None:  # another worker's, read just now (rxapp/state/view_share.py)
        mark, as_of = shared
    else:
        mark = await run_db(lookups.change_mark)
        await view_share.publish_mark(mark, as_of)
    _probe.update(mark=mark, as_of=as_of, at=time.monotonic())
    if mark not in _as_of or as_of < _as_of[mark]:  # the earliest read of it (here or by another worker)
        _as_of[mark] = as_of
        while len(_as_of) > 256:
            _as_of.popitem(last=False)
    return mark


async def change_mark() -> tuple[int, int, int]:
    """The newest change marks: the push task's while it runs on this worker,
    else read at most every ``_PROBE_EVERY`` seconds per process."""
    if _push_task_alive() or time.monotonic() - _probe["at"] < _PROBE_EVERY:
        return _probe["mark"]
    async with _probe_lock:
        if _push_task_alive() or time.monotonic() - _probe["at"] < _PROBE_EVERY:
            return _probe["mark"]
        return await _read_mark()


def mark_as_of(mark: tuple) -> float:
    """Wall-clock time (epoch seconds) by which every commit is in a view
    computed at ``mark`` (when the mark was first read; 0 if unknown)."""
    return _as_of.get(mark, 0.0)


_views: OrderedDict[tuple, dict] = OrderedDict()
# views are rendered (and, without view processes, computed) in their own
# threads, so a burst of them never takes the default executor's threads from
# the events' short database reads (the guard's session check): the push
# task's one at a time in its own thread, a person's filter change in one of
# two others; so at most three compete with the event loop for the GIL
_pools = {"push": ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-push"),
          "event": ThreadPoolExecutor(max_workers=2, thread_name_prefix="dashboard-view")}


async def _in_view_thread(lane: str, fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_pools[lane], fn, *args)


_computed: Counter = Counter()  # view (without the mark) -> computations since the last stats line
_inflight: dict[tuple, asyncio.Future] = {}


async def shared_view(actor: Actor, query: metrics.DashboardQuery, mark: tuple, lang: str, *, lane: str = "event", wait: bool = True) -> dict | None:
    """What a viewer's dashboard shows (cards, rows, figures as plain dicts),
    computed once per (scope, query, change mark) and rendered once per
    language, shared by every viewer: 200 open dashboards cost one
    computation, one rendering and one figure serialisation when a case changes."""
    key = (actor.role, actor.scope_area_id, query.model_dump_json(), mark, today().isoformat())
    if not wait:  # only what is ready (the push task brings the rest)
        return _views.get(key + (lang,))

    async def compute():  # once across the workers where they share a Redis
        return await view_share.view(key, compute_here)

    async def compute_here():
        _computed[key[:3]] += 1
        # beside the worker (rxapp/view_process.py), a person's filter change too: in the
        # worker its queries and Python took the interpreter lock from the event loop and
        # the intake (session 15, default mode under 300 intakes a second: echo p95
        # 171 / 151 -> 98 / 119 ms, tick 294 / 222 -> 206 / 187 ms, set_period alike)
        processes = view_process.pool()
        if processes is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(processes, view_process.compute_view, actor, query, clock_now())
            except BrokenProcessPool:  # a view process died: a new pool next time, this view here
                log.warning("a dashboard view process died; starting new ones")
                view_process.shutdown()
        return await _in_view_thread(lane, view_process.compute_view, actor, query, clock_now())

    async def build() -> dict:
        result = await _shared(_results, key, compute)
        return await _in_view_thread(lane, _render, result, lang)

    return await _shared(_views, key + (lang,), build)


async def _shared(cache: OrderedDict, key: tuple, compute):
    """``compute()`` once per key: viewers that ask together wait for the
    one computation in flight (single flight), later ones get the kept value."""
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    running = _inflight.get(key)
    if running is not None:
        return await asyncio.shield(running)
    future = asyncio.get_running_loop().create_future()
    _inflight[key] = future
    try:
        value = await compute()
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
        raise
    finally:
        _inflight.pop(key, None)
    future.set_result(value)
    cache[key] = value
    while len(cache) > _RESULTS_MAX:
        cache.popitem(last=False)
    return value


# --------------------------------------------------------------------------
# server push: this worker's open dashboards, refreshed when something changes
# --------------------------------------------------------------------------
_viewers: dict[str, float] = {}  # client token -> last heard from (load or heartbeat)
_viewer_states: dict[str, type] = {}  # client token -> the state its push refreshes (default: the dashboard)
_viewer_views: dict[str, tuple] = {}  # client token -> (actor, query, language) of the dashboard it shows
# called after each dashboard refresh as hook(dashboard, actor, force): cards on the page follow it
REFRESH_HOOKS: list = []
VIEWER_TTL = 90.0  # a dashboard silent for this long (closed tab) is dropped
PUSH_EVERY = 0.5  # seconds between the starts of two push cycles (at most)
PUSH_GAP = 0.05  # and at least this between the end of one and the next
PUSH_AT_ONCE = 16


def _seen(client_token: str, state_cls: type | None = None) -> None:
    """Keep a tab on this worker's push list; ``state_cls`` (with a
    ``_push()``) is what its pushes refresh — the dashboard by default."""
    if client_token:
        _viewers[client_token] = time.monotonic()
        if state_cls is None:
            _viewer_states.pop(client_token, None)
        else:
            _viewer_states[client_token] = state_cls


async def push_live_updates(app) -> None:
    """Lifespan task, one per worker.  Every ``PUSH_EVERY`` seconds (or right
    after a cycle that took longer) it reads the change marks; when they moved
    it refreshes every dashboard open on this worker (``app.modify_state``
    sends each its delta) with that one mark.  Changes that arrive during a
    cycle wait for the next one: each open view is computed at most once per
    cycle, whatever the intake rate.  A failing push is logged and the viewer
    dropped; its next heartbeat brings it back."""
    last = None
    stats = os.environ.get("GRIDDESK_LIVE_STATS", "").strip()  # bench/ws_bench.py: one JSON line per cycle
    while True:
        started = time.monotonic()
        try:
            if _viewers:
                async with _probe_lock:
                    mark = await _read_mark()
                _cycle["probed"] = time.monotonic()
                if mark != last:
                    last = mark
                    _cycle["busy"] = True
                    try:
                        pushed = await _push_all(app)
                    finally:
                        _cycle["busy"] = False
                        _cycle["probed"] = time.monotonic()
                    if stats:
                        _write_stats(stats, mark, started, pushed)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the task alive
            log.exception("live dashboard push failed")
        await asyncio.sleep(max(PUSH_GAP, started + PUSH_EVERY - time.monotonic()))


async def _push_all(app) -> int:
    now = time.monotonic()
    for token, seen in list(_viewers.items()):
        if now - seen > VIEWER_TTL:
            _viewers.pop(token, None)
            _viewer_states.pop(token, None)
            _viewer_views.pop(token, None)
    # first the views (no tab's state is locked meanwhile, so the viewers' own
    # events go on), then the tabs, each taking its view from the cache
    mark = _probe["mark"]
    views = {}
    for token in list(_viewers):
        seen = _viewer_views.get(token)
        if seen is not None and token not in _viewer_states:
            actor, query, lang = seen
            views.setdefault((actor.role, actor.scope_area_id, query.model_dump_json(), lang), seen)

    async def view(actor, query, lang) -> None:
        try:
            await shared_view(actor, query, mark, lang, lane="push")
        except DomainError:
            pass  # its viewers show the error on their push
        except Exception as exc:  # noqa: BLE001 - one view's failure must not stop the others
            log.info("live view not computed (%s); its viewers compute it on their push", exc)

    # all at once: the view processes compute the next views while the worker's
    # push thread renders the ones computed (in a thread, they queue as before)
    await asyncio.gather(*(view(*v) for v in views.values()))
    slots = asyncio.Semaphore(PUSH_AT_ONCE)

    async def push(token: str) -> None:
        async with slots:
            try:
                cls = _viewer_states.get(token) or DashboardState
                async with app.modify_state(rx.BaseStateToken(ident=token, cls=cls)) as root:
                    await (await root.get_state(cls))._push()
            except Exception as exc:  # noqa: BLE001 - one viewer's failure must not stop the others
                log.info("live push to a dashboard failed (%s); it will pull on its next heartbeat", exc)
                _viewers.pop(token, None)
                _viewer_views.pop(token, None)

    tokens = list(_viewers)
    await asyncio.gather(*(push(t) for t in tokens))
    return len(tokens)


def _write_stats(path: str, mark: tuple, started: float, pushed: int) -> None:
    """One line per push cycle: how many views were computed since the last
    line, the most times any one view was (coalescing: at most once a cycle),
    and how many were taken from another worker (rxapp/state/view_share.py)."""
    computed = dict(_computed)
    _computed.clear()
    shared = view_share.stats["shared"]
    view_share.stats["shared"] = 0
    row = {"pid": os.getpid(), "t": round(time.time(), 3), "mark": list(mark), "viewers": pushed,
           "cycle_s": round(time.monotonic() - started, 3), "computed": sum(computed.values()),
           "views": len(computed), "max_per_view": max(computed.values(), default=0),
           "from_other_workers": shared}
    try:
        with open(path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
    except OSError as exc:
        log.info("live stats not written (%s)", exc)


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
        "basis": "accepted" if filt.get("date_basis") == "accepted" else None,
    }
    return "/cases?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


# figures are kept as the plain dicts plotly.js reads (serialised once per
# shared view): a go.Figure var would be re-validated on every unpickle and
# re-serialised for every viewer
_EMPTY_FIG: dict = {"data": [], "layout": {}}


class CaseFilters(rx.State, mixin=True):
    """The category and department filters of the dashboard and the map:
    their options, and each value checked against them (a client sends anything)."""

    category_code: str = ""
    department_id: str = ""
    category_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []
    _category_codes: list[str] = []
    _department_ids: list[int] = []

    async def _load_options(self) -> None:
        cats, deps = await run_db(lookups.category_and_department_names)
        lang = (await self.get_state(UiState)).lang
        self._category_codes = [c for c, _, _ in cats]
        self._department_ids = [d for d, _, _ in deps]
        self.category_options = [{"value": c, "label": zh if lang == "zh" else en} for c, zh, en in cats]
        self.department_options = [{"value": str(d), "label": zh if lang == "zh" else en} for d, zh, en in deps]

    def _take_category(self, value) -> bool:
        value = str(value or "")[:16]
        if value not in ("", "all") and value not in self._category_codes:
            self.error = "诉求类别无效"
            return False
        self.category_code = "" if value == "all" else value
        return True

    def _take_department(self, value) -> bool:
        value = str(value or "")[:10]
        if value not in ("", "all") and (not value.isdigit() or int(value) not in self._department_ids):
            self.error = "职能部门无效"
            return False
        self.department_id = "" if value == "all" else value
        return True


@access(DASHBOARD_ROLES)
class DashboardState(CaseFilters, AppState):
    # filters (validated server-side on every change)
    period: str = metrics.DEFAULT_PERIOD
    date_from: str = ""
    date_to: str = ""
    area_id: int = 0
    error: str = ""
    schedule_warning: str = ""
    loading: bool = True
    live: bool = True

    # results: small, aggregated, no personal data
    area_name: str = ""
    period_label: str = ""
    generated_at: str = ""
    data_as_of: float = 0.0  # epoch seconds: every change committed before it is in what is shown
    breadcrumb: list[dict[str, str]] = []
    children: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    area_rows: list[dict[str, str]] = []
    team_rows: list[dict[str, str]] = []
    ranking_title: str = ""
    area_ranked: bool = True  # False: no area reaches the minimum volume, the table stands alone
    area_note: str = ""
    teams_note: str = ""
    trend_fig: dict = _EMPTY_FIG
    category_fig: dict = _EMPTY_FIG
    area_fig: dict = _EMPTY_FIG
    activity_fig: dict = _EMPTY_FIG
    satisfaction_fig: dict = _EMPTY_FIG
    overdue_fig: dict = _EMPTY_FIG

    _mark: tuple = ()
    _lang: str = ""
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

    async def _refresh(self, actor: Actor, force: bool = False, pushing: bool = False):
        try:
            query = self._query()
        except DomainError as exc:
            self.error = exc.message
            self.loading = False
            return
        mark = await change_mark()
        # a push keeps the language the tab last asked in (its page load, a heartbeat):
        # loading the tab's language state from Redis cost a third of a push's CPU
        lang = self._lang if pushing and self._lang else await self._lang_now()
        if not force and mark == self._mark and lang == self._lang and not any_stale(self, SHARED_FIELDS):
            return
        # a heartbeat of a tab the push task serves takes only a view that is
        # ready: the push brings the newer one (the tab's state is not held
        # while it is computed, and no view is computed twice for one change)
        pull = not force and not pushing and _push_task_alive() and self.router.session.client_token in _viewer_views
        try:
            view = await shared_view(actor, query, mark, lang, wait=not pull)
        except DomainError as exc:
            self.error = exc.message
            self.loading = False
            return
        if view is None:
            return
        self.error = ""
        self._mark, self._lang = mark, lang
        self.data_as_of = mark_as_of(mark)
        token = self.router.session.client_token
        if token in _viewers:
            _viewer_views[token] = (actor, query, lang)
        self._show(view)
        self.loading = False
        for hook in REFRESH_HOOKS:
            await hook(self, actor, force)

    async def _crumbs(self, area_id: int, actor: Actor) -> None:
        crumbs, kids = await run_db(lambda s: lookups.area_breadcrumb(s, actor, area_id))
        self.breadcrumb = [{"id": str(i), "name": n} for i, n in crumbs]
        self._child_ids = [i for i, _ in kids]
        self.children = [{"id": str(i), "name": n} for i, n in kids]

    # --------------------------------------------------------------- events
    def _url_query(self) -> dict[str, str]:
        params = {
            "period": self.period if self.period != metrics.DEFAULT_PERIOD else "",
            "area": str(self.area_id or ""),
            "category": self.category_code,
            "department": self.department_id,
        }
        if self.period == "custom":
            params.update({"from": self.date_from, "to": self.date_to})
        return {k: v for k, v in params.items() if v}

    def _url_event(self):
        """The filters into the address bar (no navigation): shareable, and Back from a drill-down restores them."""
        query = urlencode(self._url_query())
        url = "/dashboard" + (f"?{query}" if query else "")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    def _from_url(self, params) -> None:
        """A link's filters (each checked again by parse_query on refresh; a bad one shows its error)."""
        period = params.get("period", "")
        self.period = period if period in PERIODS else metrics.DEFAULT_PERIOD
        area = params.get("area", "")
        self.area_id = int(area) if area.isdigit() and len(area) <= 10 else 0
        category = params.get("category", "")
        self.category_code = category.upper()[:16] if category.isalnum() else ""
        department = params.get("department", "")
        self.department_id = department if department.isdigit() and len(department) <= 10 else ""
        self.date_from, self.date_to = params.get("from", "")[:10], params.get("to", "")[:10]

    @rx.event
    async def load(self):
        actor = await self.require(*DASHBOARD_ROLES)
        _seen(self.router.session.client_token)
        before, shown = self._url_query(), bool(self.cards) and not self.error
        self._from_url(self.router.url.query_parameters)
        if (not shown or self._url_query() != before) and not self.loading:
            # a spinner only for a new view: the same filters keep the charts on
            # screen while they are checked (no teardown, no second draw); a new
            # tab shows it already, so its first open sends one delta less
            self.loading = True
            yield
        await self._load_options()
        # the missing holiday schedule is the administrators' job to fix: only they are warned
        lang = await self.ui_lang()
        self.schedule_warning = await run_db(lambda s: missing_schedule_warning(s, lang=lang)) if actor.role == "admin" else ""
        await self._refresh(actor, force=True)
        await self._crumbs(self._shown_area_id, actor)

    @rx.event
    async def tick(self, _now: str = ""):
        """The page's heartbeat (every 20 s): keeps this tab on the push list
        and pulls an update should a push have been missed."""
        actor = await self.require(*DASHBOARD_ROLES)
        _seen(self.router.session.client_token)
        if self.live:
            await self._refresh(actor)

    async def _push(self) -> None:
        """A live update from :func:`push_live_updates` (the same checks as an event)."""
        if not self.live or self.loading:
            return
        actor = await self.current_actor()
        if actor is None or actor.role not in DASHBOARD_ROLES:
            _viewers.pop(self.router.session.client_token, None)
            return
        await self._refresh(actor, pushing=True)

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
            day = today()
            self.date_from, self.date_to = day.replace(day=1).isoformat(), day.isoformat()
        await self._refresh(actor, force=True)
        return self._url_event()

    @rx.event
    async def set_dates(self, form: dict):
        actor = await self.require(*DASHBOARD_ROLES)
        start, end = str(form.get("date_from", ""))[:10], str(form.get("date_to", ""))[:10]
        self.period, self.date_from, self.date_to = "custom", start, end
        await self._refresh(actor, force=True)
        return self._url_event()

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
        return self._url_event()

    @rx.event
    async def set_category(self, value: str):
        actor = await self.require(*DASHBOARD_ROLES)
        if self._take_category(value):
            await self._refresh(actor, force=True)
            return self._url_event()

    @rx.event
    async def set_department(self, value: str):
        actor = await self.require(*DASHBOARD_ROLES)
        if self._take_department(value):
            await self._refresh(actor, force=True)
            return self._url_event()

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
    def _show(self, view: dict) -> None:
        """Take a shared view: only what differs is assigned (and sent)."""
        for name, value in view.items():
            current = self.get_value(name)
            if current is not value and current != value:
                setattr(self, name, value)

    @rx.var
    def export_href(self) -> str:
        params = {"period": self.period, "area": self.area_id or None, "category": self.category_code or None, "department": self.department_id or None}
        if self.period == "custom":
            params.update({"from": self.date_from, "to": self.date_to})
        return "/api/export/dashboard.xlsx?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


# what _render hands every viewer as one shared object (rxapp.state.shared):
# each tab's pickled state carries a key for it, not its own copy
SHARED_FIELDS = ("cards", "area_rows", "team_rows", "trend_fig", "category_fig", "area_fig", "activity_fig", "satisfaction_fig", "overdue_fig")


def _render(d: metrics.Dashboard, lang: str) -> dict:
    """Everything a dashboard shows for result ``d`` in ``lang`` (figures as
    plain dicts).  Shared by viewers: treat the values as read-only."""
    out = _render_plain(d, lang)
    for name in SHARED_FIELDS:
        out[name] = share(out[name])
    return out


def _render_plain(d: metrics.Dashboard, lang: str) -> dict:
    out: dict = {}
    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    out["area_name"] = d.area_name
    out["_shown_area_id"] = d.area_id
    out["period_label"] = f"{fmt.day(d.date_from, lang)} – {fmt.day(d.date_to, lang)}"
    out["generated_at"] = fmt.moment(d.generated_at, lang)
    k = d.kpis
    completion = k.completion_rate.value
    due_rate = k.due_completion_rate.value

    def card(key, kpi, value, change, *, target="", tone="neutral", unit="", hint="", label=""):
        return {
            "key": key,
            "label": label or t(f"dash.kpi.{key}"),
            "definition": t(f"kpi.def.{key}"),
            "value": value,
            "unit": unit,
            "change": change,
            "tone": tone,
            "target": target,
            "hint": hint,
        }

    cases_unit = t("dash.unit.cases")
    days_unit = t("dash.unit.days")
    out["cards"] = [
        card(
            "due_completion_rate",
            k.due_completion_rate,
            fmt.percent(due_rate, lang, 2),
            fmt.points_change(k.due_completion_rate.change, lang),
            tone="neutral" if due_rate is None else ("good" if due_rate >= charts.TARGET else "bad"),
            label=t("kpi.name.due_completion_rate"),
            hint=t("dash.target_hint")
            + f" · {fmt.number(k.due_completion_rate.numerator, lang)}/{fmt.number(k.due_completion_rate.denominator, lang)}",
        ),
        card(
            "completion_rate",
            k.completion_rate,
            fmt.percent(completion, lang, 2),
            fmt.points_change(k.completion_rate.change, lang),
            target="accepted",
            label=t("kpi.name.completion_rate"),
            hint=f"{fmt.number(k.completion_rate.numerator, lang)}/{fmt.number(k.completion_rate.denominator, lang)}",
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
    out["ranking_title"] = t("dash.chart.area_ranking", level=t(f"level.{level}") if level else "")
    out["area_rows"] = [_ranking_row(r, lang) for r in d.area_ranking]
    out["team_rows"] = [_ranking_row(r, lang) for r in d.team_ranking]
    out["area_ranked"] = any(r.rank is not None for r in d.area_ranking) or not d.area_ranking
    out["area_note"] = "" if out["area_ranked"] else t("dash.area_not_ranked", min=d.min_volume)
    out["teams_note"] = t("dash.teams_note", ranked=d.teams_ranked, small=d.teams_below_volume, min=d.min_volume)
    out["_category_codes_shown"] = [p.code for p in d.categories][::-1]
    out["_area_ids_shown"] = [r.id for r in d.area_ranking if r.rank is not None][::-1]
    out["trend_fig"] = _figure(charts.trend, d.trend, lang)
    out["category_fig"] = _figure(charts.categories, d.categories, lang)
    out["area_fig"] = _figure(charts.ranking, d.area_ranking, out["ranking_title"], lang, d.min_volume)
    out["activity_fig"] = _figure(charts.team_activity, d.team_activity, lang)
    out["satisfaction_fig"] = _figure(charts.satisfaction, d.satisfaction, lang)
    out["overdue_fig"] = _figure(charts.overdue_by_department, d.overdue_by_department, lang)
    return out


# figures by their chart and input rows: under steady intake most of a view's
# six figures show the same rows as at the previous change
_figures: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()
_figures_lock = threading.Lock()  # views are rendered in worker threads
_FIGURES_MAX = 512
_FIGURE_KEEP = 1800.0  # seconds: rebuilt well before its shared copy in Redis expires (rxapp.state.shared)


def _figure(build, *args) -> dict:
    """``build(*args)``, kept per (chart, input rows) and
    handed out as one shared value (so an unchanged figure is the same object:
    no delta to its viewers, no new copy in Redis)."""
    key = (build.__name__, repr(args))
    with _figures_lock:
        hit = _figures.get(key)
        if hit is not None and time.monotonic() - hit[0] < _FIGURE_KEEP:
            _figures.move_to_end(key)
            return hit[1]
    fig = share(build(*args))
    with _figures_lock:
        _figures[key] = (time.monotonic(), fig)
        while len(_figures) > _FIGURES_MAX:
            _figures.popitem(last=False)
    return fig


def _ranking_row(r, lang: str) -> dict[str, str]:
    return {
        "id": str(r.id),
        "rank": str(r.rank) if r.rank is not None else "—",
        "name": r.name,
        "accepted": fmt.number(r.accepted, lang),
        "completion": fmt.percent(r.completion_rate, lang),
        "on_time": fmt.percent(r.on_time_rate, lang),
        "bad": "1" if (r.completion_rate is not None and r.completion_rate < charts.TARGET) else "",
    }


def _point_index(points) -> int | None:
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    idx = points[0].get("pointIndex", points[0].get("pointNumber"))
    return idx if isinstance(idx, int) and not isinstance(idx, bool) else None
