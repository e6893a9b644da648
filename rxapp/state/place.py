"""The place picker of /public/submit and /cases/new: tap the map, type an
address or use the phone's location → "已定位到：朱家尖街道 白山社区 第2网格".

One resolver decides (:mod:`rxapp.domain.geo.resolve`); the picker then
fills the page's own grid selects (the fallback stays in step and the person
can correct it there) through that page's handlers, so their checks (a staff
member's scope) apply.  What a resident taps is their own spot and goes back
only to their own tab; the point is kept in backend-only vars.  "不清楚"
lets a resident send the request without a grid (dispatchers place it)."""

from __future__ import annotations

import asyncio

import reflex as rx

from rxapp.components import map_figures as maps
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.geo import mapview as MV
from rxapp.domain.geo import resolve as geo
from rxapp.state.base import PUBLIC, access, run_db
from rxapp.state.shared import share

_EMPTY_FIG: dict = {"data": [], "layout": {}}
PICK_HEIGHT = 300
# the picker before a tap (the whole city, no point: the same for every visitor),
# rendered once per language and shared (rxapp.state.shared)
_start_figs: dict[str, dict] = {}


def _view(session, match: geo.PointMatch | None) -> dict:
    """The picker's figure: the city (nothing picked) or the picked grid's
    community with its grids, the grid outlined and the spot marked."""
    from rxapp.models import Area

    if match is None:
        return {"outlines": {"type": "FeatureCollection", "features": [], "bbox": MV.city_bbox()}, "point": None, "grid": None}
    community = session.get(Area, match.place.community_id) if match.place.community_id else None
    outlines = MV.area_outlines(session, community) if community is not None else {"features": [], "bbox": None}
    grid = next((f["geometry"] for f in outlines["features"] if f["properties"]["id"] == match.place.grid_id), None)
    return {"outlines": outlines, "point": (match.lon, match.lat), "grid": grid}


def _figure(view: dict, lang: str) -> dict:
    point, outlines = view["point"], view["outlines"]
    if point is None:
        fig, _ = maps.choropleth(outlines, [], "completion", lang, bbox=outlines["bbox"], unit_key="map.unit.completion", height=PICK_HEIGHT, interactive=False)
        fig["data"] = [t for t in fig["data"] if not t.get("marker", {}).get("showscale")]
        return fig
    return maps.place_map(point, outlines, view["grid"], height=PICK_HEIGHT)


@access(PUBLIC)
class PlaceState(rx.State):
    fig: dict = _EMPTY_FIG
    located: str = ""  # "朱家尖街道 白山社区 第2网格"
    unknown: bool = False
    error: str = ""

    _lon: float = 0.0
    _lat: float = 0.0
    _grid_id: int = 0

    async def _lang(self) -> str:
        from rxapp.state.base import UiState

        return (await self.get_state(UiState)).lang

    @rx.event
    async def load(self):
        await self._start()

    async def _start(self) -> None:
        self.located, self.error, self.unknown = "", "", False
        self._lon = self._lat = 0.0
        self._grid_id = 0
        lang = await self._lang()
        fig = _start_figs.get(lang)
        if fig is None:
            view = await run_db(lambda s: _view(s, None))
            fig = _start_figs[lang] = share(await asyncio.to_thread(_figure, view, lang))
        self.fig = fig

    @rx.event
    async def pick(self, value: str):
        """A tap ("lon,lat,<ms>", stored datum), the phone's location
        ("wgs84:lon,lat") or its failure ("error:<code>")."""
        if not isinstance(value, str) or len(value) > 80:
            return
        if value.startswith("error:"):
            self.error = "无法获取您的位置，请在地图上点选或填写地址"
            return
        datum = geo.GCJ02
        if value.startswith("wgs84:"):
            datum, value = geo.WGS84, value[6:]
        parts = value.split(",")
        try:
            lon, lat = MV.parse_point(",".join(parts[:2]))
        except DomainError as exc:
            self.error = exc.message
            return
        try:
            match, view = await run_db(lambda s: (m := geo.resolve_point(s, lon, lat, datum=datum), _view(s, m)))
        except DomainError as exc:
            self.error = exc.message
            return
        await self._locate(match, view)

    @rx.event
    async def find_address(self, text: str):
        """An address typed by the person (resolved through the address index)."""
        if not isinstance(text, str) or not text.strip():
            return
        text = text.strip()[:128]
        resolve_address = getattr(geo, "resolve_address", None)
        if resolve_address is None:
            self.error = "暂不能按地址定位，请在地图上点选或逐级选择"
            return
        try:
            match, view = await run_db(lambda s: _address_match(s, resolve_address, text))
        except DomainError as exc:
            self.error = exc.message
            return
        await self._locate(match, view)

    async def _locate(self, match: geo.PointMatch, view: dict) -> None:
        try:
            await self._fill_host(match.place)
        except (DomainError, AccessDenied) as exc:
            self.error = exc.message
            return
        self.error = ""
        self.unknown = False
        self.located = match.place.label
        self._lon, self._lat, self._grid_id = match.lon, match.lat, match.place.grid_id
        self.fig = await asyncio.to_thread(_figure, view, await self._lang())

    async def _fill_host(self, place: geo.Place) -> None:
        """Put the place into the page's own grid selects (their handlers check scope)."""
        path = self.router.url.path or ""
        if path.startswith("/public/submit"):
            from rxapp.state.public import PublicSubmitState

            host = await self.get_state(PublicSubmitState)
            if not host.districts:
                await host._load_districts()
            await host._pick_district(str(place.district_id))
            await host._pick_township(str(place.township_id))
            await host._pick_community(str(place.community_id))
            host.grid_id = host._valid(str(place.grid_id), host.grids)
            return
        if path.startswith("/cases/new"):
            from rxapp.state.cases import CaseNewState, NONE
            from rxapp.models import AreaLevel

            host = await self.get_state(CaseNewState)
            if host.cascade == "fixed":  # a member: their own grid
                if host.grid != str(place.grid_id):
                    raise AccessDenied("该位置不在您所在的网格")
                return
            if host.cascade == AreaLevel.TOWNSHIP:
                await host.set_township(str(place.township_id))
            if host.cascade in (AreaLevel.TOWNSHIP, AreaLevel.COMMUNITY):
                await host.set_community(str(place.community_id))
            await host.set_grid(str(place.grid_id))
            if host.grid == NONE or host.grid != str(place.grid_id):
                raise AccessDenied("该位置不在您的管辖范围内")

    @rx.event
    def set_unknown(self, checked: bool):
        self.unknown = bool(checked) if isinstance(checked, bool) else False
        if self.unknown:
            self.located, self.error = "", ""
            self._grid_id = 0

    @rx.event
    async def reset_pick(self):
        await self._start()

    def point_for(self, grid_id: object) -> dict[str, float]:
        """The picked spot, when the grid finally chosen is still the one it lies in."""
        if self._grid_id and str(grid_id) == str(self._grid_id):
            return {"lon": self._lon, "lat": self._lat}
        return {}


def _address_match(session, resolve_address, text: str):
    match = resolve_address(session, text)
    if not isinstance(match, geo.PointMatch):  # an address names a place, not a spot
        place = match.place if hasattr(match, "place") else match
        from rxapp.models import Area

        grid = session.get(Area, place.grid_id)
        lon = grid.label_lon if grid is not None else None
        lat = grid.label_lat if grid is not None else None
        if lon is None or lat is None:
            raise DomainError("地址已识别，但该网格没有位置，请在地图上点选", "address")
        match = geo.PointMatch(place, lon, lat, 0.0)
    return match, _view(session, match)
