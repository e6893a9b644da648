"""超期预警 UI: the worklist table and the dashboard's count card (layout only)."""

import reflex as rx

from rxapp.components.widgets import empty_state, kpi_card
from rxapp.state.base import T
from rxapp.state.warnings import WarningCardState, WarningsState as S


def _row(i) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(i["code"], href="/cases/" + i["code"])),
        rx.table.cell(i["category"]),
        rx.table.cell(i["department"]),
        rx.table.cell(i["deadline"], white_space="nowrap"),
        rx.table.cell(rx.badge(i["risk"], color_scheme=rx.cond(i["warned"] == "1", "red", "gray"))),
        rx.table.cell(i["reasons"]),
        class_name="warning-row",
    )


def warning_list() -> rx.Component:
    headers = ["warning.col.code", "warning.col.category", "warning.col.department", "warning.col.deadline",
               "warning.col.risk", "warning.col.reasons"]
    return rx.cond(
        S.loading,
        rx.center(rx.spinner(size="3"), padding="40px", width="100%"),
        rx.cond(
            S.items.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h), white_space="nowrap") for h in headers])),
                    rx.table.body(rx.foreach(S.items, _row)),
                    variant="surface", size="2", width="100%", id="warning-list",
                ),
                width="100%", overflow_x="auto",
            ),
            empty_state(T("warning.empty"), icon="bell-off"),
        ),
    )


def warning_card() -> rx.Component:
    """The 预警 count on the leaders' dashboard; a click opens the worklist."""
    return rx.link(
        kpi_card(T("warning.card"), WarningCardState.count, T("warning.card.hint"), icon="siren", id="warning-card"),
        href="/warnings", underline="none", on_mount=WarningCardState.load,
    )
