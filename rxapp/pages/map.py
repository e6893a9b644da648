"""/map — 网格一张图 for leaders and dispatchers: the areas one level below
the scope coloured by a measure, open cases, this month's visits."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.layout import app_page, page_title
from rxapp.components.maps import map_body
from rxapp.components.plot import preload
from rxapp.pages.dashboard import area_picker, select_box
from rxapp.state.base import T
from rxapp.state.map import MAP_PERIODS, MAP_ROLES, MapState as M


def map_filters() -> rx.Component:
    """The dashboard's filters, for this page's own state (dispatchers have no dashboard)."""
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                *[rx.segmented_control.item(T(f"dash.period.{p}"), value=p) for p in MAP_PERIODS],
                value=M.period,
                on_change=M.set_period,
                size="2",
                id="map-period",
            ),
            rx.spacer(),
            rx.text(T("dash.updated_at"), " ", M.generated_at, size="1", color_scheme="gray"),
            wrap="wrap",
            width="100%",
            align="center",
            spacing="3",
        ),
        rx.hstack(
            area_picker(M),
            rx.spacer(),
            select_box(M.category_code, M.category_options, M.set_category, "dash.filter.category", "dash.filter.all_categories", "map-category"),
            select_box(M.department_id, M.department_options, M.set_department, "dash.filter.department", "dash.filter.all_departments", "map-department"),
            wrap="wrap",
            width="100%",
            align="center",
            spacing="3",
        ),
        spacing="3",
        width="100%",
        **styles.CARD,
    )


@app_page(route="/map", title="网格一张图", roles=MAP_ROLES, on_load=[M.load])
def grid_map() -> rx.Component:
    return rx.vstack(
        preload(),  # plotly.js starts loading now, not when the figure has come
        page_title("map.title", rx.text(M.area_name, " · ", M.period_label, color_scheme="gray", size="2", id="map-scope")),
        map_filters(),
        rx.box(map_body(), width="100%", min_width="0", padding="12px", border_radius="10px", border=f"1px solid {rx.color('gray', 5)}"),
        rx.moment(interval=20000, on_change=M.tick, display="none"),  # heartbeat; updates are pushed
        spacing="4",
        width="100%",
    )
