"""Maps drawn with no request to any host but the app itself.

Areas are filled Plotly cartesian traces in lon/lat (the stored datum,
GCJ-02) with the y axis stretched by 1/cos(latitude), so distances look
right without a map library, tiles, fonts or glyphs from elsewhere.  The
district outlines are the base layer; ``GRIDDESK_MAP_TILES`` (an URL template
with ``{z}``, ``{x}``, ``{y}``) adds raster tiles underneath as layout images
in a real deployment (``GRIDDESK_MAP_TILES_DATUM``: ``gcj02`` — the default,
AMap-style tiles — or ``wgs84`` for 天地图 / OSM-style tiles, shifted onto the
stored datum).

Figures are plain dicts (what plotly.js reads), built from aggregated rows.
The place picker turns a tap into lon/lat in the browser (plotly's own axis
conversion) and hands it to a state handler through a hidden input.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

import plotly.graph_objects as go
import reflex as rx
from plotly.colors import get_colorscale, sample_colorscale
from shapely.geometry import box, mapping, shape  # noqa: F401

from rxapp.components.plot import plot
from rxapp.domain.geo import datum
from rxapp.domain.geo import mapview as MV
from rxapp.i18n import translate

SEA = "rgba(186,214,240,0.45)"
LAND = "#f1f5f9"
EDGE = "#94a3b8"
NO_VALUE = "#e5e7eb"
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"
STATUS_COLOR = {"submitted": "#a855f7", "accepted": "#0ea5e9", "routed": "#f59e0b", "in_progress": "#2563eb"}
OVERDUE = "#dc2626"
VISIT = "#16a34a"
# colour scale and direction per measure: rates green when high, counts darker when high
SCALES = {
    "completion": ("RdYlGn", True),
    "satisfaction": ("RdYlGn", True),
    "overdue": ("Reds", False),
    "intake": ("Blues", False),
}


# ----------------------------------------------------------------------------
# geometry → plotly paths
# ----------------------------------------------------------------------------
def _rings(geometry: dict) -> list[list]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for poly in geometry["coordinates"] for ring in poly]
    return []


def _path(geometries: list[dict]) -> tuple[list, list]:
    """One x/y path for many polygons (rings separated by None)."""
    xs: list = []
    ys: list = []
    for g in geometries:
        for ring in _rings(g):
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
    return xs, ys


def _pad(bbox: list[float], share: float = 0.04) -> list[float]:
    minx, miny, maxx, maxy = bbox
    px, py = max((maxx - minx) * share, 0.002), max((maxy - miny) * share, 0.002)
    return [minx - px, miny - py, maxx + px, maxy + py]


@lru_cache(maxsize=64)
def base_layer(bbox: tuple[float, float, float, float]) -> tuple[tuple, tuple]:
    """The district outlines clipped to ``bbox`` and simplified for its extent
    (cached: every viewer of a scope shares one)."""
    ext = MV.extent_of(bbox)
    geoms = []
    for g in MV.district_shapes().values():
        clipped = g.intersection(box(*bbox))
        if not clipped.is_empty:
            geoms.append(MV.simplified(mapping(clipped), ext))
    xs, ys = _path([g for g in geoms if g["type"] in ("Polygon", "MultiPolygon")])
    return tuple(xs), tuple(ys)


COLORBAR_MARGIN = 46  # px above a choropleth for its horizontal colour bar (title, bar, ticks)


def _layout(bbox: list[float], *, height: int, legend: bool, interactive: bool) -> dict:
    minx, miny, maxx, maxy = bbox
    lat0 = (miny + maxy) / 2
    layout = {
        "template": "none",
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": SEA,
        "font": {"family": FONT, "size": 12, "color": "#334155"},
        "xaxis": {"visible": False, "range": [minx, maxx], "fixedrange": not interactive, "constrain": "domain"},
        "yaxis": {
            "visible": False,
            "range": [miny, maxy],
            "scaleanchor": "x",
            "scaleratio": round(1 / math.cos(math.radians(lat0)), 4),
            "fixedrange": not interactive,
            "constrain": "domain",
            "constraintoward": "top",  # a tall phone box: the map under its colour bar, the room below
        },
        "showlegend": legend,
        "legend": {"orientation": "h", "x": 0, "y": 0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.75)", "font": {"size": 11}},
        "hovermode": "closest",
        "dragmode": "pan" if interactive else False,
        "hoverlabel": {"font": {"size": 12}},
    }
    images = tile_images(bbox)
    if images:
        layout["images"] = images
    return layout


# ----------------------------------------------------------------------------
# optional raster tiles underneath (a real deployment's own tile server)
# ----------------------------------------------------------------------------
def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _tile_lon(x: int, z: int) -> float:
    return x / 2**z * 360 - 180


def _tile_lat(y: int, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))


def _tile_shift(lon: float, lat: float) -> tuple[float, float]:
    """How far a tile drawn in ``GRIDDESK_MAP_TILES_DATUM`` must move to sit
    on the stored datum (GCJ-02)."""
    if os.environ.get("GRIDDESK_MAP_TILES_DATUM", "gcj02").strip().lower() != "wgs84":
        return 0.0, 0.0
    glon, glat = wgs84_to_stored(lon, lat)
    return glon - lon, glat - lat


def wgs84_to_stored(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 point in the stored datum."""
    return datum.wgs84_to_gcj02(lon, lat)


def tile_images(bbox: list[float], max_tiles: int = 16) -> list[dict]:
    template = os.environ.get("GRIDDESK_MAP_TILES", "").strip()
    if not template:
        return []
    minx, miny, maxx, maxy = bbox
    z = 18
    while z > 3:
        x0, y0 = _tile_xy(minx, maxy, z)
        x1, y1 = _tile_xy(maxx, miny, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= max_tiles:
            break
        z -= 1
    dx, dy = _tile_shift((minx + maxx) / 2, (miny + maxy) / 2)
    images = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            west, north = _tile_lon(x, z), _tile_lat(y, z)
            east, south = _tile_lon(x + 1, z), _tile_lat(y + 1, z)
            images.append(
                {
                    "source": template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)),
                    "xref": "x",
                    "yref": "y",
                    "x": west + dx,
                    "y": north + dy,
                    "sizex": east - west,
                    "sizey": north - south,
                    "sizing": "stretch",
                    "layer": "below",
                    "opacity": 1,
                }
            )
    return images


# ----------------------------------------------------------------------------
# the choropleth of areas (+ case points and visits)
# ----------------------------------------------------------------------------
def _value(a, measure: str):
    return getattr(a, measure)


def value_text(v, measure: str, lang: str) -> str:
    from rxapp import formatting as fmt

    if v is None:
        return translate("map.no_value", lang)
    if measure in ("completion", "satisfaction", "on_time"):
        return fmt.percent(v, lang)
    return fmt.number(v, lang, 1 if measure == "intake" else 0)


def _range(values: list[float], measure: str) -> tuple[float, float]:
    if measure in ("completion", "satisfaction", "on_time"):
        lo = min(values) if values else 0.9
        return (min(lo, 0.9), 1.0)
    hi = max(values) if values else 1.0
    return (0.0, max(hi, 1.0))


def _color(v, lo: float, hi: float, measure: str) -> str:
    if v is None:
        return NO_VALUE
    scale, _ = SCALES.get(measure, ("RdYlGn", True))
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))
    if scale == "Reds" or scale == "Blues":
        t = 0.1 + 0.85 * t  # keep the lowest values visible against the land
    return sample_colorscale(scale, [t])[0]


@lru_cache(maxsize=8)
def _scale_pairs(name: str) -> tuple:
    return tuple(tuple(p) for p in get_colorscale(name))


def _scale(name: str) -> list:
    """The scale as [position, colour] pairs: plotly.js has no "RdYlGn" by name."""
    return [list(p) for p in _scale_pairs(name)]


def choropleth(
    outlines: dict,
    rows: list,
    measure: str,
    lang: str,
    *,
    bbox: list[float] | None,
    unit_key: str,
    cases: list | None = None,
    visits: list | None = None,
    height: int = 520,
    interactive: bool = True,
    extra_hover: tuple[str, ...] = ("accepted", "overdue", "visits"),
    base: bool = True,
) -> tuple[dict, dict]:
    """(figure, what a click on it means: ``areas`` {curve: area id} for the
    filled areas, ``labels`` (curve, [area id by point]) for their labels,
    ``cases`` {curve: [case code by point]})."""
    t = lambda k, **kw: translate(k, lang, **kw)  # noqa: E731
    by_id = {r.id: r for r in rows}
    feats = [f for f in outlines.get("features", []) if f["properties"].get("id") in by_id]
    view = _pad(bbox or outlines.get("bbox") or MV.city_bbox())
    traces: list[dict] = []
    areas: dict[int, int] = {}
    if base:  # the outlines around the scope (at city scope the areas are the districts themselves)
        bx, by = base_layer(tuple(round(v, 3) for v in view))
        traces.append({"type": "scatter", "x": list(bx), "y": list(by), "mode": "lines", "fill": "toself", "fillcolor": LAND, "line": {"color": EDGE, "width": 0.6}, "hoverinfo": "skip", "showlegend": False, "name": t("map.series.outline")})
    values = [_value(r, measure) for r in rows if _value(r, measure) is not None]
    lo, hi = _range(values, measure)
    labels_x, labels_y, labels_text, labels_hover, label_ids = [], [], [], [], []
    for f in feats:
        r = by_id[f["properties"]["id"]]
        v = _value(r, measure)
        xs, ys = _path([f["geometry"]])
        hover = f"<b>{r.name}</b><br>{t('map.measure.' + measure)} {value_text(v, measure, lang)}"
        for k in extra_hover:
            if hasattr(r, k):
                hover += f"<br>{t('map.hover.' + k)} {value_text(getattr(r, k), 'count', lang)}"
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "fill": "toself",
                "fillcolor": _color(v, lo, hi, measure),
                "line": {"color": "#ffffff", "width": 1},
                "hoveron": "fills",
                "text": hover,
                "hoverinfo": "text",
                "showlegend": False,
                "name": r.name,
                "opacity": 0.9,
            }
        )
        areas[len(traces) - 1] = r.id
        lx, ly = f["properties"].get("label") or (None, None)
        if lx is not None:
            labels_x.append(lx)
            labels_y.append(ly)
            labels_text.append(f"{r.name}<br>{value_text(v, measure, lang)}")
            labels_hover.append(hover)
            label_ids.append(r.id)
    if labels_x:
        traces.append(
            {
                "type": "scatter",
                "x": labels_x,
                "y": labels_y,
                "mode": "markers+text",
                "text": labels_text,
                "hovertext": labels_hover,
                "hoverinfo": "text",
                "textfont": {"size": 11, "color": "#1e293b"},
                "marker": {"size": 22, "opacity": 0},
                "showlegend": False,
            }
        )
    label_curve = len(traces) - 1 if labels_x else None
    # the legend of the measure: a colour bar carried by one invisible point
    scale, _ = SCALES.get(measure, ("RdYlGn", True))
    is_rate = measure in ("completion", "satisfaction", "on_time")
    traces.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "hoverinfo": "skip",
            "showlegend": False,
            "marker": {
                "color": [lo],
                "cmin": lo,
                "cmax": hi,
                "colorscale": _scale(scale),
                "showscale": True,
                "colorbar": {
                    "title": {"text": t(unit_key), "side": "top", "font": {"size": 11}},
                    "orientation": "h",
                    "x": 1,
                    "xanchor": "right",
                    "y": 1,
                    "yanchor": "bottom",  # above the plot, in the top margin: never over an island
                    "len": 0.45,
                    "thickness": 10,
                    "tickformat": ".0%" if is_rate else ",d" if measure == "overdue" else ",.0f",
                    **({} if is_rate else {"tick0": 0, "dtick": max(1, math.ceil((hi - lo) / 4))}),
                    "bgcolor": "rgba(255,255,255,0.75)",
                    "tickfont": {"size": 10},
                },
            },
        }
    )
    codes: dict[int, list[str]] = {}
    if visits:
        most = max(v.visits for v in visits) or 1
        traces.append(
            {
                "type": "scatter",
                "x": [v.lon for v in visits],
                "y": [v.lat for v in visits],
                "mode": "markers",
                "marker": {"size": [5 + 9 * (v.visits / most) ** 0.5 for v in visits], "color": VISIT, "symbol": "diamond", "opacity": 0.75},
                "name": t("map.series.visits"),
                "text": [f"{v.name} · {t('map.hover.visits')} {v.visits}" for v in visits],
                "hoverinfo": "text",
            }
        )
    if cases:
        groups: dict[str, list] = {}
        for p in cases:
            groups.setdefault("overdue" if p.overdue else p.status, []).append(p)
        for key in ("submitted", "accepted", "routed", "in_progress", "overdue"):
            pts = groups.get(key)
            if not pts:
                continue
            name = t("map.series.overdue") if key == "overdue" else t(f"cases.status.{key}")
            codes[len(traces)] = [p.code for p in pts]
            traces.append(
                {
                    "type": "scatter",
                    "x": [p.lon for p in pts],
                    "y": [p.lat for p in pts],
                    "mode": "markers",
                    "marker": {
                        "size": 9 if key == "overdue" else 7,
                        "color": OVERDUE if key == "overdue" else STATUS_COLOR[key],
                        "line": {"color": "#ffffff", "width": 1},
                    },
                    "name": name,
                    "text": [f"{p.code} · {name}" for p in pts],
                    "hoverinfo": "text",
                }
            )
    layout = _layout(view, height=height, legend=bool(cases or visits), interactive=interactive)
    layout["margin"] = {**layout["margin"], "t": COLORBAR_MARGIN}  # room for the colour bar
    fig = {"data": traces, "layout": layout}
    labels = (label_curve, label_ids) if label_curve is not None else (-1, [])
    return fig, {"areas": areas, "labels": labels, "cases": codes}


def point_map(point: tuple[float, float] | None, outline: dict | None, lang: str, *, height: int = 220, zoom_km: float = 1.5) -> dict:
    """A small map of one place: its grid's outline (if any) and the point."""
    if point is None and not outline:
        return {"data": [], "layout": {}}
    if outline:  # the whole grid (and the point) in view
        minx, miny, maxx, maxy = shape(outline).bounds
        if point is not None:
            minx, miny, maxx, maxy = min(minx, point[0]), min(miny, point[1]), max(maxx, point[0]), max(maxy, point[1])
        bbox = _pad([minx, miny, maxx, maxy], 0.3)
    else:
        lon, lat = point
        dy = zoom_km / 111.0
        dx = dy / max(math.cos(math.radians(lat)), 0.1)
        bbox = [lon - dx, lat - dy, lon + dx, lat + dy]
    bx, by = base_layer(tuple(round(v, 4) for v in bbox))
    traces = [{"type": "scatter", "x": list(bx), "y": list(by), "mode": "lines", "fill": "toself", "fillcolor": LAND, "line": {"color": EDGE, "width": 0.8}, "hoverinfo": "skip", "showlegend": False}]
    if outline:
        xs, ys = _path([outline])
        traces.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "fill": "toself", "fillcolor": "rgba(37,99,235,0.12)", "line": {"color": "#2563eb", "width": 1.5}, "hoverinfo": "skip", "showlegend": False})
    if point is not None:
        traces.append({"type": "scatter", "x": [point[0]], "y": [point[1]], "mode": "markers", "marker": {"size": 14, "color": OVERDUE, "symbol": "circle", "line": {"color": "#ffffff", "width": 2}}, "hoverinfo": "skip", "showlegend": False})
    return {"data": traces, "layout": _layout(bbox, height=height, legend=False, interactive=False)}


def place_map(point: tuple[float, float], outlines: dict, grid: dict | None, *, height: int = 300) -> dict:
    """The picker after a tap: the community's grids, the chosen grid outlined, the spot."""
    bbox = outlines.get("bbox")
    if bbox is None:
        lon, lat = point
        bbox = [lon - 0.01, lat - 0.008, lon + 0.01, lat + 0.008]
    view = _pad(bbox, 0.15)
    bx, by = base_layer(tuple(round(v, 4) for v in view))
    traces = [{"type": "scatter", "x": list(bx), "y": list(by), "mode": "lines", "fill": "toself", "fillcolor": LAND, "line": {"color": EDGE, "width": 0.8}, "hoverinfo": "skip", "showlegend": False}]
    xs, ys = _path([f["geometry"] for f in outlines.get("features", [])])
    if xs:
        traces.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": {"color": EDGE, "width": 1}, "hoverinfo": "skip", "showlegend": False})
    if grid:
        gx, gy = _path([grid])
        traces.append({"type": "scatter", "x": gx, "y": gy, "mode": "lines", "fill": "toself", "fillcolor": "rgba(37,99,235,0.15)", "line": {"color": "#2563eb", "width": 2}, "hoverinfo": "skip", "showlegend": False})
    traces.append({"type": "scatter", "x": [point[0]], "y": [point[1]], "mode": "markers", "marker": {"size": 14, "color": OVERDUE, "line": {"color": "#ffffff", "width": 2}}, "hoverinfo": "skip", "showlegend": False})
    return {"data": traces, "layout": _layout(view, height=height, legend=False, interactive=False)}


# ----------------------------------------------------------------------------
# components
# ----------------------------------------------------------------------------
CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": True, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"]}
STATIC = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
# on a phone the toolbar would cover the legend and titles: pinch and drag still zoom and pan
PHONE_NO_TOOLBAR = {"@media (max-width: 640px)": {"& .modebar-container": {"display": "none"}}}


def map_chart(fig, *, id_: str, on_click=None, interactive: bool = True, **props) -> rx.Component:
    extra = {"on_click": on_click} if on_click is not None else {}
    return plot(
        data=fig.to(go.Figure),
        # the figure carries its own look ("template": "none"): no deep merge of
        # plotly's default template into ~90 KB of geometry on every render
        template=None,
        config=CONFIG if interactive else STATIC,
        locale="zh-CN",
        width="100%",
        id=id_,
        style=PHONE_NO_TOOLBAR,
        **extra,
        **props,
    )


# The tap → lon/lat bridge: plotly fires no click on empty water or land, so
# a capture listener converts the tap with the figure's own axes and writes
# "lon,lat" into a hidden input whose on_change is a state handler; "use my
# location" writes "wgs84:lon,lat" the same way.  Inline: no outside request.
PICK_SCRIPT = """
(function(){
  if (window.__gdPick) return; window.__gdPick = true;
  function send(id, value){
    var input = document.getElementById(id + '-value');
    if (!input) return;
    var setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setter.call(input, value);
    input.dispatchEvent(new Event('input', {bubbles: true}));
  }
  document.addEventListener('click', function(e){
    var gd = e.target && e.target.closest ? e.target.closest('.js-plotly-plot') : null;
    if (!gd || !gd.id || gd.id.indexOf('pick-map') !== 0 || !gd._fullLayout) return;
    var fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
    var r = gd.getBoundingClientRect();
    var px = e.clientX - r.left - xa._offset, py = e.clientY - r.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
    send(gd.id, xa.p2l(px).toFixed(6) + ',' + ya.p2l(py).toFixed(6) + ',' + (+new Date()));
  }, true);
  window.__gdLocate = function(id){
    if (!navigator.geolocation) { send(id, 'error:unsupported'); return; }
    navigator.geolocation.getCurrentPosition(function(p){
      send(id, 'wgs84:' + p.coords.longitude.toFixed(6) + ',' + p.coords.latitude.toFixed(6));
    }, function(err){ send(id, 'error:' + err.code); }, {enableHighAccuracy: true, timeout: 15000});
  };
})();
"""


def pick_map(fig, *, id_: str, on_pick) -> rx.Component:
    """A map the user taps; ``on_pick`` receives "lon,lat,<ms>" (the stored
    datum), "wgs84:lon,lat" from the phone's location, or "error:<code>"."""
    return rx.box(
        rx.script(PICK_SCRIPT),
        plot(data=fig.to(go.Figure), template=None, config=STATIC, locale="zh-CN", width="100%", id=id_),
        rx.el.input(id=f"{id_}-value", type="text", on_change=on_pick, style={"display": "none"}, aria_hidden="true", tab_index=-1),
        width="100%",
        cursor="crosshair",
    )


def locate_button(id_: str, label) -> rx.Component:
    return rx.button(rx.icon("locate-fixed", size=16), label, type="button", variant="soft", size="2", on_click=rx.call_script(f"window.__gdLocate && window.__gdLocate({id_!r})"))
