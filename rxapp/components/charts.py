"""Plotly figures for the dashboard, built from aggregated rows only.

Transparent backgrounds and mid-grey text so the charts read in light and
dark mode; every chart has a title and its unit; Chinese labels by default.

Each figure is built as the plain dict plotly.js reads (what
``plotly.io.to_json`` of the same plotly figure gives): plotly's object model
validates every property and took 65-140 ms of CPU per dashboard view, which
under steady intake is recomputed for every open view at every change."""

from copy import deepcopy
from datetime import date

from babel.dates import format_date

from rxapp.formatting import month_label
from rxapp.i18n import local_name, translate

ACCENT = "#2563eb"
GOOD = "#16a34a"
BAD = "#dc2626"
MUTED = "#94a3b8"
TEXT = "#64748b"
TARGET = 0.99


# plotly's colours, without carrying its whole default template (~7 KB in every
# figure, and every open dashboard keeps six of them in its state)
COLORWAY = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52"]


# what template="none" serialises to
_TEMPLATE_NONE = {"data": {"scatter": [{"type": "scatter"}]}}
_AXIS = {"gridcolor": "rgba(148,163,184,0.25)", "linecolor": "rgba(148,163,184,0.5)"}


def _merge(dst: dict, src: dict) -> dict:
    """``src`` into ``dst``, nested dicts merged (as plotly's ``update``)."""
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        else:
            dst[key] = deepcopy(value) if isinstance(value, (dict, list)) else value
    return dst


def _figure(data: list | None = None, **layout) -> dict:
    return {"data": data or [], "layout": _merge({}, layout)}


def _axes(fig: dict, prefix: str) -> list[dict]:
    """Every x or y axis of the figure (the first is always there)."""
    layout = fig["layout"]
    layout.setdefault(prefix, {})
    return [v for k, v in layout.items() if k == prefix or (k.startswith(prefix) and k[len(prefix) :].isdigit())]


def _layout(fig: dict, title: str, *, height: int = 320, percent_y: bool = False, legend: bool = True) -> dict:
    # the legend sits on top, under the title: rotated axis labels below the
    # plot (on a phone) can then never run into it
    _merge(
        fig["layout"],
        {
            "template": _TEMPLATE_NONE,
            "colorway": COLORWAY,
            "title": {"text": title, "x": 0.01, "y": 0.98, "yref": "container", "yanchor": "top", "font": {"size": 15}},
            "height": height,
            "margin": {"l": 48, "r": 16, "t": 76 if legend else 48, "b": 40, "pad": 4},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"color": TEXT, "family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif", "size": 12},
            "showlegend": legend,
            "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.01, "yanchor": "bottom"},
            "hoverlabel": {"font": {"size": 12}},
        },
    )
    for axis in _axes(fig, "xaxis"):
        _merge(axis, _AXIS)
    for axis in _axes(fig, "yaxis"):
        _merge(axis, {**_AXIS, "rangemode": "tozero", "automargin": True, **({"tickformat": ".0%"} if percent_y else {})})
    return fig


def empty(title: str, lang: str, message: str | None = None) -> dict:
    fig = _figure(
        annotations=[{"text": message or translate("dash.no_data", lang), "showarrow": False, "font": {"size": 14, "color": MUTED}}],
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return _layout(fig, title, legend=False)


def trend(points, lang: str) -> dict:
    """Monthly intake (cohort) vs done, with the rate of the cases due (not-yet-due
    cases left out, see ``metrics._trend``) and the 99 % target."""
    title = translate("dash.chart.trend", lang)
    if not points:
        return empty(title, lang)
    # the running month stays on the axis, named partial and drawn lighter (its counts are so far)
    months = [month_label(p.month, lang) + (translate("kpi.partial", lang) if getattr(p, "partial", False) else "") for p in points]
    opacity = [0.45 if getattr(p, "partial", False) else 1.0 for p in points]
    data = [
        {"type": "bar", "x": months, "y": [p.accepted for p in points], "name": translate("dash.series.accepted", lang), "marker": {"color": MUTED, "opacity": opacity}},
        {"type": "bar", "x": months, "y": [p.done for p in points], "name": translate("dash.series.done", lang), "marker": {"color": ACCENT, "opacity": opacity}},
        {
            "type": "scatter",
            "x": months,
            # the running month has no rate point: its cases are mostly not due yet, and a
            # plunge to the axis's floor would read as a collapse (its bars are drawn lighter)
            "y": [None if getattr(p, "partial", False) else p.completion_rate for p in points],
            "name": translate("dash.series.trend_rate", lang),
            # the hover names what the rate leaves out: the month's cases still inside their deadline
            "customdata": [getattr(p, "not_due", 0) for p in points],
            "hovertemplate": "%{x}<br>%{y:.1%}<br>" + translate("dash.series.not_due", lang) + ": %{customdata:,d}<extra></extra>",
            "yaxis": "y2",
            "mode": "lines+markers",
            "line": {"color": GOOD, "width": 2},
        },
        {
            "type": "scatter",
            "x": [months[0], months[-1]],
            "y": [TARGET, TARGET],
            "name": translate("dash.series.target", lang),
            "yaxis": "y2",
            "mode": "lines",
            "line": {"color": BAD, "dash": "dash", "width": 1.5},
        },
    ]
    rates = [p.completion_rate for p in points if p.completion_rate is not None and not getattr(p, "partial", False)]
    low = min([0.8] + [r - 0.03 for r in rates])  # a low month stays on the axis
    fig = _figure(
        data,
        # short tick labels (the full month in the hover): the year on the first
        # month and on each January, the partial mark on its own line
        xaxis={"type": "category", "tickmode": "array", "tickangle": 0, **_month_ticks(points, months, lang)},
        barmode="group",
        yaxis={"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [max(0.0, low), 1.01], "showgrid": False},
    )
    return _layout(fig, title, height=360)


MAX_MONTH_TICKS = 7  # labels on the trend's axis: a phone's 390 px hold about seven side by side


def _month_ticks(points, months: list[str], lang: str) -> dict:
    """The trend's ticks: every k-th month so that at most ``MAX_MONTH_TICKS``
    labels stand level (no slanted or vertical text at 390 px), counted back
    from the last month so the running one is always named; the full month is
    in each bar's hover."""
    step = -(-len(points) // MAX_MONTH_TICKS)
    shown = sorted(range(len(points) - 1, -1, -step))
    years = [None] + [points[i].month[:4] for i in shown[:-1]]
    return {
        "tickvals": [months[i] for i in shown],
        "ticktext": [_month_tick(points[i], years[n] != points[i].month[:4], lang) for n, i in enumerate(shown)],
    }


def _month_tick(point, with_year: bool, lang: str) -> str:
    """A trend tick: "11月" / "Nov", with the year on the first label and on
    the first label of each new year, and the partial month marked on a
    second line."""
    year, month = int(point.month[:4]), int(point.month[5:7])
    text = f"{month}月" if lang == "zh" else format_date(date(year, month, 1), "MMM", locale="en")
    if with_year:
        text += f"<br>{year}"
    if getattr(point, "partial", False):
        text += "<br>" + translate("kpi.partial", lang).strip(" （）()")
    return text


def categories(points, lang: str) -> dict:
    title = translate("dash.chart.categories", lang)
    if not points:
        return empty(title, lang)
    # horizontal bars: the long Chinese names stay readable; plotly lists them bottom-up
    names = [local_name((p.name, p.name_en), lang) for p in points][::-1]
    data = [
        {"type": "bar", "y": names, "x": [p.accepted for p in points][::-1], "orientation": "h", "name": translate("dash.series.accepted", lang), "marker": {"color": MUTED}, "opacity": 0.9},
        {"type": "bar", "y": names, "x": [p.done for p in points][::-1], "orientation": "h", "name": translate("dash.series.done", lang), "marker": {"color": ACCENT}, "opacity": 0.9},
    ]
    fig = _figure(data, barmode="overlay", xaxis={"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d"})
    return _layout(fig, title, height=max(320, 24 * len(points) + 120))


def ranking(rows, title: str, lang: str, min_volume: int | None = None) -> dict:
    """Completion and on-time rate per sub-area or team, worst first (only
    those with at least ``min_volume`` accepted cases are ranked)."""
    ranked = [r for r in rows if r.rank is not None]
    if not ranked:
        if rows and min_volume:  # there are areas, each too small to rank: say so, the table lists them
            return empty(title, lang, translate("dash.too_few_to_rank", lang, min=min_volume))
        return empty(title, lang)
    names = [r.name for r in ranked][::-1]
    data = [
        {
            "type": "bar",
            "y": names,
            "x": [r.completion_rate for r in ranked][::-1],
            "orientation": "h",
            "name": translate("dash.series.completion", lang),
            "marker": {"color": [GOOD if (r.completion_rate or 0) >= TARGET else BAD for r in ranked][::-1]},
        },
        {
            "type": "scatter",
            "y": names,
            "x": [r.on_time_rate for r in ranked][::-1],
            "mode": "markers",
            "name": translate("dash.series.on_time", lang),
            "marker": {"color": ACCENT, "size": 9, "symbol": "diamond"},
        },
    ]
    fig = _figure(
        data,
        # the target as a vertical line over the whole plot height
        shapes=[{"type": "line", "x0": TARGET, "x1": TARGET, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": {"color": BAD, "dash": "dash", "width": 1}}],
        xaxis={"tickformat": ".0%", "range": [max(0.0, min([(r.completion_rate or 0) for r in ranked] + [0.9]) - 0.02), 1.005]},
    )
    return _layout(fig, title, height=max(260, 26 * len(ranked) + 110))


def team_activity(rows, lang: str) -> dict:
    title = translate("dash.chart.activity", lang)
    idle = sum(1 for r in rows if not (r.visits or r.diaries))
    rows = [r for r in rows if r.visits or r.diaries]  # a team with nothing to show gets no empty row: it is counted below
    if not rows:
        return empty(title, lang, translate("dash.activity_none", lang) if idle else None)
    names = [r.name for r in rows][::-1]
    data = [
        {"type": "bar", "y": names, "x": [r.visits for r in rows][::-1], "orientation": "h", "name": translate("dash.series.visits", lang), "marker": {"color": ACCENT}},
        {"type": "bar", "y": names, "x": [r.diaries for r in rows][::-1], "orientation": "h", "name": translate("dash.series.diaries", lang), "marker": {"color": MUTED}},
    ]
    top = max([r.visits for r in rows] + [r.diaries for r in rows] + [1])
    # whole-number ticks (a count of visits): at least one apart, about five of them
    axis = {"title": {"text": translate("dash.unit.times", lang)}, "tickformat": ",d", "tick0": 0, "dtick": max(1, -(-top // 5))}
    fig = _layout(_figure(data, barmode="group", xaxis=axis), title, height=max(260, 30 * len(rows) + 150))
    if idle:
        _merge(fig["layout"], {"title": {"subtitle": {"text": translate("dash.activity_idle", lang, n=idle), "font": {"size": 12, "color": MUTED}}}, "margin": {"t": 96}})
    return fig


def satisfaction(slices, lang: str) -> dict:
    title = translate("dash.chart.satisfaction", lang)
    if not slices or not any(s.count for s in slices):
        return empty(title, lang)
    colors = {"satisfied": GOOD, "basic": ACCENT, "unsatisfied": BAD}
    pie = {
        "type": "pie",
        "labels": [translate(f"dash.satisfaction.{s.level}", lang) for s in slices],
        "values": [s.count for s in slices],
        "marker": {"colors": [colors.get(s.level, MUTED) for s in slices]},
        "hole": 0.55,
        "sort": False,
        "textinfo": "percent",
    }
    return _layout(_figure([pie]), title, height=300)


def overdue_by_department(rows, lang: str) -> dict:
    title = translate("dash.chart.overdue_dept", lang)
    if not rows:
        return empty(title, lang)
    names = [local_name((r.name, r.name_en), lang) if r.department_id else translate("dash.not_routed", lang) for r in rows][::-1]
    axis = {"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d"}
    if max(r.overdue for r in rows) <= 10:
        axis["dtick"] = 1
    fig = _figure([{"type": "bar", "y": names, "x": [r.overdue for r in rows][::-1], "orientation": "h", "marker": {"color": BAD}}], xaxis=axis)
    return _layout(fig, title, height=max(240, 28 * len(rows) + 110), legend=False)
