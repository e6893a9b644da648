"""Small reusable pieces: KPI card, empty state, field error."""

import reflex as rx

from rxapp.components import styles


def kpi_card(label: rx.Var | str, value: rx.Var | str, unit: rx.Var | str = "", icon: str = "activity", **props) -> rx.Component:
    return rx.box(
        rx.hstack(rx.icon(icon, size=18, color=rx.color("accent", 10)), rx.text(label, size="2", color_scheme="gray"), spacing="2"),
        rx.hstack(
            rx.text(value, size="7", weight="bold"),
            rx.text(unit, size="2", color_scheme="gray"),
            align="baseline",
            spacing="1",
            margin_top="6px",
        ),
        **{**styles.CARD, **props},
    )


def empty_state(message: rx.Var | str, icon: str = "inbox") -> rx.Component:
    return rx.center(
        rx.vstack(rx.icon(icon, size=28, color=rx.color("gray", 8)), rx.text(message, color_scheme="gray"), align="center"),
        padding="32px",
        width="100%",
    )


def field_error(message: rx.Var) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="1"))
