"""Plotly figures for the dashboard, built from aggregated rows only.

Transparent backgrounds and mid-grey text so the charts read in light and
dark mode; every chart has a title and its unit; Chinese labels by default."""

from datetime import date

import plotly.graph_objects as go
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


def _layout(fig: go.Figure, title: str, *, height: int = 320, percent_y: bool = False, legend: bool = True) -> go.Figure:
    # the legend sits on top, under the title: rotated axis labels below the
    # plot (on a phone) can then never run into it
    fig.update_layout(
        template="none",
        colorway=COLORWAY,
        title={"text": title, "x": 0.01, "y": 0.98, "yref": "container", "yanchor": "top", "font": {"size": 15}},
        height=height,
        margin={"l": 48, "r": 16, "t": 76 if legend else 48, "b": 40, "pad": 4},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": TEXT, "family": "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif", "size": 12},
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.01, "yanchor": "bottom"},
        hoverlabel={"font": {"size": 12}},
    )
    fig.update_xaxes(gridcolor="rgba(148,163,184,0.25)", linecolor="rgba(148,163,184,0.5)")
    fig.update_yaxes(gridcolor="rgba(148,163,184,0.25)", linecolor="rgba(148,163,184,0.5)", rangemode="tozero", automargin=True)
    if percent_y:
        fig.update_yaxes(tickformat=".0%")
    return fig


def empty(title: str, lang: str, message: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message or translate("dash.no_data", lang), showarrow=False, font={"size": 14, "color": MUTED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, legend=False)


def trend(points, lang: str) -> go.Figure:
    """Monthly intake (cohort) vs done, with completion rate and the 99 % target."""
    title = translate("dash.chart.trend", lang)
    if not points:
        return empty(title, lang)
    # the running month stays on the axis, named partial and drawn lighter (its counts are so far)
    months = [month_label(p.month, lang) + (translate("kpi.partial", lang) if getattr(p, "partial", False) else "") for p in points]
    opacity = [0.45 if getattr(p, "partial", False) else 1.0 for p in points]
    fig = go.Figure()
    fig.add_bar(x=months, y=[p.accepted for p in points], name=translate("dash.series.accepted", lang), marker={"color": MUTED, "opacity": opacity})
    fig.add_bar(x=months, y=[p.done for p in points], name=translate("dash.series.done", lang), marker={"color": ACCENT, "opacity": opacity})
    fig.add_scatter(
        x=months,
        # the running month has no rate point: its cases are mostly not due yet, and a
        # plunge to the axis's floor would read as a collapse (its bars are drawn lighter)
        y=[None if getattr(p, "partial", False) else p.completion_rate for p in points],
        name=translate("dash.series.completion", lang),
        yaxis="y2",
        mode="lines+markers",
        line={"color": GOOD, "width": 2},
    )
    fig.add_scatter(
        x=[months[0], months[-1]],
        y=[TARGET, TARGET],
        name=translate("dash.series.target", lang),
        yaxis="y2",
        mode="lines",
        line={"color": BAD, "dash": "dash", "width": 1.5},
    )
    # short tick labels (the full month in the hover): the year on the first
    # month and on each January, the partial mark on its own line
    fig.update_xaxes(type="category", tickmode="array", tickvals=months, ticktext=[_month_tick(p, i, lang) for i, p in enumerate(points)])
    rates = [p.completion_rate for p in points if p.completion_rate is not None and not getattr(p, "partial", False)]
    low = min([0.8] + [r - 0.03 for r in rates])  # a low month stays on the axis
    fig.update_layout(
        barmode="group",
        yaxis={"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [max(0.0, low), 1.01], "showgrid": False},
    )
    return _layout(fig, title, height=360)


def _month_tick(point, index: int, lang: str) -> str:
    """A trend tick: "11月" / "Nov", with the year on the first month and
    on January, and the partial month marked on a second line."""
    year, month = int(point.month[:4]), int(point.month[5:7])
    text = f"{month}月" if lang == "zh" else format_date(date(year, month, 1), "MMM", locale="en")
    if index == 0 or month == 1:
        text += f"<br>{year}"
    if getattr(point, "partial", False):
        text += "<br>" + translate("kpi.partial", lang).strip(" （）()")
    return text


def categories(points, lang: str) -> go.Figure:
    title = translate("dash.chart.categories", lang)
    if not points:
        return empty(title, lang)
    # horizontal bars: the long Chinese names stay readable; plotly lists them bottom-up
    names = [local_name((p.name, p.name_en), lang) for p in points][::-1]
    fig = go.Figure()
    fig.add_bar(y=names, x=[p.accepted for p in points][::-1], orientation="h", name=translate("dash.series.accepted", lang), marker_color=MUTED)
    fig.add_bar(y=names, x=[p.done for p in points][::-1], orientation="h", name=translate("dash.series.done", lang), marker_color=ACCENT)
    fig.update_layout(barmode="overlay", xaxis={"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d"})
    fig.update_traces(opacity=0.9)
    return _layout(fig, title, height=max(320, 24 * len(points) + 120))


def ranking(rows, title: str, lang: str, min_volume: int | None = None) -> go.Figure:
    """Completion and on-time rate per sub-area or team, worst first (only
    those with at least ``min_volume`` accepted cases are ranked)."""
    ranked = [r for r in rows if r.rank is not None]
    if not ranked:
        if rows and min_volume:  # there are areas, each too small to rank: say so, the table lists them
            return empty(title, lang, translate("dash.too_few_to_rank", lang, min=min_volume))
        return empty(title, lang)
    names = [r.name for r in ranked][::-1]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=[r.completion_rate for r in ranked][::-1],
        orientation="h",
        name=translate("dash.series.completion", lang),
        marker_color=[GOOD if (r.completion_rate or 0) >= TARGET else BAD for r in ranked][::-1],
    )
    fig.add_scatter(
        y=names,
        x=[r.on_time_rate for r in ranked][::-1],
        mode="markers",
        name=translate("dash.series.on_time", lang),
        marker={"color": ACCENT, "size": 9, "symbol": "diamond"},
    )
    fig.add_vline(x=TARGET, line_dash="dash", line_color=BAD, line_width=1)
    fig.update_xaxes(tickformat=".0%", range=[max(0.0, min([(r.completion_rate or 0) for r in ranked] + [0.9]) - 0.02), 1.005])
    return _layout(fig, title, height=max(260, 26 * len(ranked) + 110))


def team_activity(rows, lang: str) -> go.Figure:
    title = translate("dash.chart.activity", lang)
    idle = sum(1 for r in rows if not (r.visits or r.diaries))
    rows = [r for r in rows if r.visits or r.diaries]  # a team with nothing to show gets no empty row: it is counted below
    if not rows:
        return empty(title, lang, translate("dash.activity_none", lang) if idle else None)
    names = [r.name for r in rows][::-1]
    fig = go.Figure()
    fig.add_bar(y=names, x=[r.visits for r in rows][::-1], orientation="h", name=translate("dash.series.visits", lang), marker_color=ACCENT)
    fig.add_bar(y=names, x=[r.diaries for r in rows][::-1], orientation="h", name=translate("dash.series.diaries", lang), marker_color=MUTED)
    top = max([r.visits for r in rows] + [r.diaries for r in rows] + [1])
    # whole-number ticks (a count of visits): at least one apart, about five of them
    axis = {"title": {"text": translate("dash.unit.times", lang)}, "tickformat": ",d", "tick0": 0, "dtick": max(1, -(-top // 5))}
    fig.update_layout(barmode="group", xaxis=axis)
    _layout(fig, title, height=max(260, 30 * len(rows) + 150))
    if idle:
        fig.update_layout(title={"subtitle": {"text": translate("dash.activity_idle", lang, n=idle), "font": {"size": 12, "color": MUTED}}})
        fig.update_layout(margin={"t": 96})
    return fig


def satisfaction(slices, lang: str) -> go.Figure:
    title = translate("dash.chart.satisfaction", lang)
    if not slices or not any(s.count for s in slices):
        return empty(title, lang)
    colors = {"satisfied": GOOD, "basic": ACCENT, "unsatisfied": BAD}
    fig = go.Figure(
        go.Pie(
            labels=[translate(f"dash.satisfaction.{s.level}", lang) for s in slices],
            values=[s.count for s in slices],
            marker={"colors": [colors.get(s.level, MUTED) for s in slices]},
            hole=0.55,
            sort=False,
            textinfo="percent",
        )
    )
    return _layout(fig, title, height=300)


def overdue_by_department(rows, lang: str) -> go.Figure:
    title = translate("dash.chart.overdue_dept", lang)
    if not rows:
        return empty(title, lang)
    names = [local_name((r.name, r.name_en), lang) if r.department_id else translate("dash.not_routed", lang) for r in rows][::-1]
    fig = go.Figure(go.Bar(y=names, x=[r.overdue for r in rows][::-1], orientation="h", marker_color=BAD))
    fig.update_layout(xaxis={"title": {"text": translate("dash.unit.cases", lang)}, "tickformat": ",d", "dtick": 1 if max(r.overdue for r in rows) <= 10 else None})
    return _layout(fig, title, height=max(240, 28 * len(rows) + 110), legend=False)
