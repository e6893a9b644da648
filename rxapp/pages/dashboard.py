"""/dashboard — leadership's main screen: is every matter done, on time, to the
residents' satisfaction, and where not?"""

import plotly.graph_objects as go
import reflex as rx

from rxapp.components.hotspots import hotspot_card

from rxapp.components import styles
from rxapp.components.layout import app_page, page_title
from rxapp.components.plot import deferred, plot, preload
from rxapp.components.warnings import warning_card
from rxapp.components.maps import map_card
from rxapp.state.base import T
from rxapp.state.map import MapState
from rxapp.state.dashboard import DASHBOARD_ROLES, DashboardState as D

def select_box(value, options, on_change, placeholder_key: str, all_key: str, id_: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=T(placeholder_key), min_width="150px", aria_label=T(placeholder_key), id=id_),  # a Select root renders no element of its own
        rx.select.content(
            rx.select.item(T(all_key), value="all"),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"])),
        ),
        value=rx.cond(value == "", "all", value),
        on_change=on_change,
        size="2",
    )


def period_picker() -> rx.Component:
    return rx.hstack(
        rx.segmented_control.root(
            rx.segmented_control.item(T("kpi.period.last_30_days"), value="last_30_days"),
            rx.segmented_control.item(T("dash.period.this_month"), value="this_month"),
            rx.segmented_control.item(T("dash.period.last_month"), value="last_month"),
            rx.segmented_control.item(T("dash.period.this_year"), value="this_year"),
            rx.segmented_control.item(T("dash.period.custom"), value="custom"),
            value=D.period,
            on_change=D.set_period,
            size=rx.breakpoints(initial="1", sm="2"),  # five periods fit a 390 px phone
            id="period",
            max_width="100%",
        ),
        rx.cond(
            D.period == "custom",
            rx.form(
                rx.hstack(
                    rx.input(type="date", name="date_from", default_value=D.date_from, size="2"),
                    rx.text("–"),
                    rx.input(type="date", name="date_to", default_value=D.date_to, size="2"),
                    rx.button(T("dash.apply"), type="submit", size="2", variant="soft"),
                    align="center",
                    spacing="2",
                ),
                on_submit=D.set_dates,
            ),
        ),
        wrap="wrap",
        spacing="3",
        align="center",
    )


def area_picker(S=D) -> rx.Component:
    """The scope path and a drill-down select (the dashboard's, or the map's state)."""
    return rx.hstack(
        rx.icon("map-pin", size=16, color=rx.color("accent", 10)),
        rx.foreach(
            S.breadcrumb,
            lambda c, i: rx.hstack(
                rx.cond(i > 0, rx.text("/", color_scheme="gray")),
                rx.link(c["name"], on_click=S.set_area(c["id"]).prevent_default, cursor="pointer", size="2", weight="medium"),
                spacing="1",
                align="center",
            ),
        ),
        rx.cond(
            S.children.length() > 0,
            rx.select.root(
                rx.select.trigger(placeholder=T("dash.filter.drill_down"), min_width="140px", aria_label=T("dash.filter.drill_down"), id="area-drill"),
                rx.select.content(rx.foreach(S.children, lambda c: rx.select.item(c["name"], value=c["id"]))),
                on_change=S.set_area,
                size="2",
                value="",
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(period_picker(), rx.spacer(), live_badge(), wrap="wrap", width="100%", align="center", spacing="3"),
        rx.hstack(
            area_picker(),
            rx.spacer(),
            select_box(D.category_code, D.category_options, D.set_category, "dash.filter.category", "dash.filter.all_categories", "category-filter"),
            select_box(D.department_id, D.department_options, D.set_department, "dash.filter.department", "dash.filter.all_departments", "department-filter"),
            wrap="wrap",
            width="100%",
            align="center",
            spacing="3",
        ),
        rx.cond(D.period == "last_30_days", rx.text(T("kpi.period.explain"), size="1", color_scheme="gray", id="period-explain")),
        rx.cond(D.error != "", rx.callout(D.error, icon="triangle-alert", color_scheme="red", size="1", width="100%")),
        spacing="3",
        width="100%",
        **styles.CARD,
    )


def live_badge() -> rx.Component:
    return rx.hstack(
        rx.tooltip(
            rx.badge(
                rx.cond(D.live, rx.icon("radio", size=14), rx.icon("pause", size=14)),
                rx.cond(D.live, T("dash.live"), T("dash.paused")),
                color_scheme=rx.cond(D.live, "green", "gray"),
                variant="soft",
                size="2",
                cursor="pointer",
                on_click=D.toggle_live,
                id="live-badge",
            ),
            content=T("dash.live_hint"),
        ),
        rx.text(T("dash.updated_at"), " ", D.generated_at, size="1", color_scheme="gray", id="generated-at", custom_attrs={"data-as-of": D.data_as_of}),
        rx.link(
            rx.button(rx.icon("file-spreadsheet", size=16), T("dash.export"), variant="outline", size="2", white_space="nowrap"),
            href=D.export_href,
            is_external=True,
        ),
        spacing="3",
        align="center",
    )


def definition(text: rx.Var) -> rx.Component:
    """The KPI's one-line definition: on hover (tooltip) and on tap (popover)."""
    return rx.box(
        rx.popover.root(
            rx.popover.trigger(
                rx.icon_button(rx.icon("info", size=14), variant="ghost", size="1", color_scheme="gray", aria_label=T("kpi.definition"), title=text),
            ),
            rx.popover.content(rx.text(text, size="2"), max_width="320px"),
        ),
        on_click=rx.stop_propagation,  # the card itself opens its drill-down
    )


def kpi_card(card: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(card["label"], size="2", color_scheme="gray"),
            rx.cond(card["definition"] != "", definition(card["definition"])),
            spacing="1",
            align="center",
        ),
        rx.cond(
            card["key"] == "due_completion_rate",
            rx.text(card["definition"], size="1", color_scheme="gray", id="kpi-definition-headline"),
        ),
        rx.hstack(
            rx.text(
                card["value"],
                size="7",
                weight="bold",
                color=rx.match(card["tone"], ("good", rx.color("green", 11)), ("bad", rx.color("red", 11)), rx.color("gray", 12)),
                id="kpi-" + card["key"].to(str),
            ),
            rx.text(card["unit"], size="2", color_scheme="gray"),
            align="baseline",
            spacing="1",
            margin_top="4px",
        ),
        rx.hstack(
            rx.cond(card["change"] != "", rx.text(T("dash.vs_previous"), " ", card["change"], size="1", color_scheme="gray")),
            spacing="2",
        ),
        rx.cond(card["hint"] != "", rx.text(card["hint"], size="1", color_scheme="gray")),
        on_click=rx.cond(card["target"] != "", D.drill(card["target"], ""), rx.noop()),
        cursor=rx.cond(card["target"] != "", "pointer", "default"),
        _hover={"border_color": rx.color("accent", 7)},
        border_left=rx.match(
            card["tone"],
            ("good", f"4px solid {rx.color('green', 9)}"),
            ("bad", f"4px solid {rx.color('red', 9)}"),
            f"4px solid {rx.color('gray', 6)}",
        ),
        **{**styles.CARD, "padding": "14px 16px"},
    )


def kpis() -> rx.Component:
    return rx.grid(rx.foreach(D.cards, kpi_card), columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%")


def chart(fig, note: rx.Var | str | None = None, **props) -> rx.Component:
    """A plotly card; ``note`` is the figure's definition, in small type under it."""
    return rx.box(
        deferred(plot(data=fig.to(go.Figure), config={"displaylogo": False, "responsive": True}, locale="zh-CN", width="100%", **props), fig["layout"].to(dict)["height"]),
        rx.text(note, size="1", color_scheme="gray", padding_x="4px") if note is not None else rx.fragment(),
        width="100%",
        min_width="0",
        # on a phone plotly's toolbar would cover titles: hide it there
        style={"@media (max-width: 640px)": {"& .modebar-container": {"display": "none"}}},
        # plotly measures text and sizes while it draws: keep each chart's reflow inside its card
        contain="layout style",
        **styles.CARD,
    )


def rank_table(rows, title: rx.Var | str, name_key: str, target: str, note=None, id_: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(title, weight="medium"),
        rx.cond(
            rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(T("dash.table.rank")),
                        rx.table.column_header_cell(T(name_key)),
                        rx.table.column_header_cell(T("dash.table.accepted"), text_align="right"),
                        rx.table.column_header_cell(T("dash.table.completion"), text_align="right"),
                        rx.table.column_header_cell(T("dash.table.on_time"), text_align="right"),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["rank"]),
                            rx.table.cell(rx.link(r["name"], on_click=D.drill(target, r["id"]), cursor="pointer")),
                            rx.table.cell(r["accepted"], text_align="right"),
                            rx.table.cell(r["completion"], text_align="right", color=rx.cond(r["bad"] != "", rx.color("red", 11), "inherit")),
                            rx.table.cell(r["on_time"], text_align="right"),
                        ),
                    )
                ),
                size="1",
                width="100%",
                variant="ghost",
                id=id_,
            ),
            rx.text(T("dash.no_data"), color_scheme="gray", size="2"),
        ),
        rx.cond(note is not None, rx.text(note, size="1", color_scheme="gray")) if note is not None else rx.fragment(),
        width="100%",
        overflow_x="auto",
        **styles.CARD,
    )


def charts_grid() -> rx.Component:
    two = rx.breakpoints(initial="1", lg="2")
    return rx.vstack(
        chart(D.trend_fig, note=T("dash.def.trend"), id="chart-trend"),
        rx.grid(
            chart(D.category_fig, on_click=D.click_category, id="chart-categories"),
            chart(D.satisfaction_fig, id="chart-satisfaction"),
            columns=two,
            spacing="3",
            width="100%",
        ),
        rx.cond(
            D.area_ranked,
            rx.grid(
                chart(D.area_fig, on_click=D.click_area, id="chart-areas"),
                rank_table(D.area_rows, D.ranking_title, "dash.table.area", "area", id_="area-ranking"),
                columns=two,
                spacing="3",
                width="100%",
            ),
            # no area reaches the minimum volume: no chart that only says so, the table takes the row
            rank_table(D.area_rows, D.ranking_title, "dash.table.area", "area", note=D.area_note, id_="area-ranking"),
        ),
        rx.cond(
            D.team_rows.length() > 0,
            rx.grid(
                rank_table(D.team_rows, T("dash.team_ranking"), "dash.table.team", "team", note=D.teams_note, id_="team-ranking"),
                chart(D.activity_fig, id="chart-activity"),
                columns=two,
                spacing="3",
                width="100%",
            ),
            # no team reaches the minimum volume: no empty half-row card, the note says why
            rx.vstack(
                chart(D.activity_fig, id="chart-activity"),
                rx.text(T("dash.team_ranking"), T("punct.colon"), D.teams_note, size="1", color_scheme="gray", id="team-ranking-note"),
                spacing="1",
                width="100%",
            ),
        ),
        chart(D.overdue_fig, id="chart-overdue"),
        spacing="3",
        width="100%",
    )


@app_page(route="/dashboard", title="领导驾驶舱", roles=DASHBOARD_ROLES, on_load=[D.load, MapState.load_card])
def dashboard() -> rx.Component:
    return rx.vstack(
        preload(),  # plotly.js starts loading now, not when the charts' figures have come
        page_title("nav.dashboard", rx.text(D.area_name, " · ", D.period_label, color_scheme="gray", size="2", id="dash-scope")),
        rx.cond(D.schedule_warning != "", rx.callout(D.schedule_warning, icon="calendar-x", color_scheme="amber", width="100%")),
        filters(),
        hotspot_card(),  # open hot spots in scope, worst first
        rx.cond(
            D.loading,
            rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("dash.loading"), color_scheme="gray")), padding="60px", width="100%"),
            rx.vstack(kpis(), warning_card(), rx.text(T("dash.drill_hint"), size="1", color_scheme="gray"), map_card(), charts_grid(), spacing="3", width="100%"),
        ),
        rx.moment(interval=20000, on_change=D.tick, display="none"),  # heartbeat; updates are pushed
        spacing="4",
        width="100%",
    )

