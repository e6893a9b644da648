"""超期预警 UI: the worklist (a table on wide screens, stacked cards on a phone,
as the case lists do) and the dashboard's count card (layout only)."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.widgets import empty_state, kpi_card
from rxapp.state.base import T
from rxapp.state.warnings import WarningCardState, WarningsState as S

HEADERS = ["warning.col.code", "warning.col.category", "warning.col.department", "warning.col.deadline",
           "warning.col.risk", "warning.col.reasons"]


def _code(i) -> rx.Component:
    return rx.link(i["code"], href="/cases/" + i["code"], weight="medium", white_space="nowrap")


def _risk(i) -> rx.Component:
    return rx.badge(i["risk"], color_scheme=rx.cond(i["warned"] == "1", "red", "gray"))


def _row(i) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_code(i)),
        rx.table.cell(i["category"]),
        rx.table.cell(i["department"]),
        rx.table.cell(i["deadline"], white_space="nowrap"),
        rx.table.cell(_risk(i)),
        rx.table.cell(i["reasons"]),
        class_name="warning-row",
    )


def _card(i) -> rx.Component:
    """One case on a phone: code and risk, then what and who, the deadline, the reasons."""
    gray = {"size": "1", "color_scheme": "gray"}
    return rx.box(
        rx.vstack(
            rx.hstack(_code(i), rx.spacer(), rx.text(T("warning.col.risk"), **gray), _risk(i), width="100%", align="center"),
            rx.flex(rx.text(i["category"], **gray), rx.text("·", **gray), rx.text(i["department"], **gray), wrap="wrap", gap="6px"),
            rx.hstack(rx.text(T("warning.col.deadline"), **gray), rx.text(i["deadline"], size="2", white_space="nowrap"), align="center"),
            rx.vstack(rx.text(T("warning.col.reasons"), **gray), rx.text(i["reasons"], size="2"), spacing="0"),
            spacing="2",
            width="100%",
        ),
        **styles.CARD,
        width="100%",
        class_name="warning-card-row",
    )


def warning_list() -> rx.Component:
    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h), white_space="nowrap") for h in HEADERS])),
            rx.table.body(rx.foreach(S.items, _row)),
            variant="surface", size="2", width="100%", id="warning-list",
        ),
        width="100%", overflow_x="auto", display=["none", "none", "block"],
    )
    cards = rx.vstack(rx.foreach(S.items, _card), spacing="2", width="100%", display=["flex", "flex", "none"], id="warning-cards")
    return rx.cond(
        S.loading,
        rx.center(rx.spinner(size="3"), padding="40px", width="100%"),
        rx.cond(S.items.length() > 0, rx.fragment(table, cards), empty_state(T("warning.empty"), icon="bell-off")),
    )


def warning_card() -> rx.Component:
    """The 预警 count on the leaders' dashboard; a click opens the worklist."""
    return rx.link(
        kpi_card(T("warning.card"), WarningCardState.count, T("warning.card.hint"), icon="siren", id="warning-card"),
        href="/warnings", underline="none", on_mount=WarningCardState.load,
    )
