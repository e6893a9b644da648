"""/ — the workbench: who I am, my scope, my numbers, where to go."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.hotspots import hotspot_card
from rxapp.components.layout import NAV, app_page, page_title
from rxapp.components.widgets import kpi_card
from rxapp.state.base import AppState, T, UiState
from rxapp.state.home import HomeState


def identity_card() -> rx.Component:
    def row(label_key: str, value) -> rx.Component:
        return rx.hstack(rx.text(T(label_key), color_scheme="gray", size="2", min_width="80px"), rx.text(value, size="2"), spacing="3")

    return rx.vstack(
        rx.heading(T("home.welcome"), AppState.user_name, size="5"),
        row("home.role", UiState.t[AppState.role_key]),
        row("home.scope", AppState.area_name),
        rx.cond(AppState.team_name != "", row("home.team", AppState.team_name)),
        rx.cond(AppState.department_name != "", row("home.department", AppState.department_name)),
        spacing="2",
        width="100%",
        **styles.CARD,
    )


def numbers() -> rx.Component:
    unit = T("home.unit_cases")
    return rx.grid(
        kpi_card(T("home.open_cases"), HomeState.open_cases, unit, icon="loader"),
        kpi_card(T("home.overdue_cases"), HomeState.overdue_cases, unit, icon="alarm-clock"),
        kpi_card(T("home.today_cases"), HomeState.accepted_today, unit, icon="calendar-check"),
        kpi_card(T("home.month_cases"), HomeState.accepted_this_month, unit, icon="calendar-range"),
        columns=rx.breakpoints(initial="2", md="4"),
        spacing="3",
        width="100%",
    )


def quick_links() -> rx.Component:
    from rxapp.components.layout import nav_link

    return rx.vstack(
        rx.text(T("home.quick_links"), weight="medium"),
        rx.grid(*[nav_link(*item) for item in NAV[1:]], columns=rx.breakpoints(initial="1", sm="2", md="3"), spacing="2", width="100%"),
        width="100%",
        **styles.CARD,
    )


@app_page(route="/", title="工作台", on_load=[HomeState.load])
def home() -> rx.Component:
    return rx.vstack(
        page_title("nav.home"),
        rx.cond(
            HomeState.schedule_warning != "",
            rx.callout(HomeState.schedule_warning, icon="calendar-x", color_scheme="amber", width="100%", id="schedule-warning"),
        ),
        rx.cond(HomeState.schedule_note != "", rx.text(HomeState.schedule_note, size="1", color_scheme="gray", id="schedule-note")),
        identity_card(),
        rx.cond(HomeState.loaded, numbers(), rx.text(T("home.loading"), color_scheme="gray")),
        hotspot_card(),  # dispatchers, leaders: open hot spots in scope (热点事件)
        quick_links(),
        spacing="4",
        width="100%",
    )
