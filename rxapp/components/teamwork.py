"""UI pieces the team-work pages share (/diary, /households, /meetings):
cards, labelled fields with their error, selects over option rows,
dialog buttons.  Phone first: everything stacks at 390 px, tables scroll
inside their card."""

from collections.abc import Sequence

import reflex as rx

from rxapp.components import styles
from rxapp.components.widgets import empty_state, field_error
from rxapp.state.base import T

ALL = "all"


def card(*children, **props) -> rx.Component:
    return rx.vstack(*children, **{"spacing": "3", "width": "100%", **styles.CARD, **props})


def card_title(key: str, *extra, icon: str | None = None) -> rx.Component:
    return rx.hstack(
        *([rx.icon(icon, size=16, color=rx.color("accent", 10))] if icon else []),
        rx.text(T(key), weight="bold", size="3"),
        rx.spacer(),
        *extra,
        align="center",
        spacing="2",
        width="100%",
        wrap="wrap",
    )


def hint(key: str) -> rx.Component:
    return rx.text(T(key), size="1", color_scheme="gray")


def option_select(value, on_change, options: rx.Var, first: tuple[str, str] | None = None, trigger_id: str | None = None, **props) -> rx.Component:
    """A controlled select over [{id, label}] rows; ``first`` = (value, key) of an extra first item."""
    return rx.select.root(
        rx.select.trigger(placeholder=T("tw.choose"), width="100%", aria_label=T(first[1] if first else "tw.choose"), **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(
            *([rx.select.item(T(first[1]), value=first[0])] if first else []),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"])),
        ),
        value=value,
        on_change=on_change,
        **props,
    )


def named_select(name: str, options: rx.Var, default: rx.Var | str = "", trigger_id: str | None = None, **props) -> rx.Component:
    """An uncontrolled select submitted with its form under ``name``."""
    return rx.select.root(
        rx.select.trigger(placeholder=T("tw.choose"), width="100%", aria_label=T("tw.choose"), **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"]))),
        name=name,
        **({"default_value": default} if not (isinstance(default, str) and default == "") else {}),
        **props,
    )


def static_select(name: str, items: Sequence[tuple[str, str]], default: str | rx.Var = "", trigger_id: str | None = None, **props) -> rx.Component:
    """An uncontrolled select over fixed (value, message key) items."""
    return rx.select.root(
        rx.select.trigger(placeholder=T("tw.choose"), width="100%", aria_label=T("tw.choose"), **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(*[rx.select.item(T(key), value=value) for value, key in items]),
        name=name,
        **({"default_value": default} if not (isinstance(default, str) and default == "") else {}),
        **props,
    )


def text_area(name: str, *, rows: str = "4", max_length: int = 2000, default: rx.Var | str = "", **props) -> rx.Component:
    return rx.text_area(name=name, rows=rows, max_length=max_length + 100, default_value=default, width="100%", **props)


def form_error(errors: rx.Var) -> rx.Component:
    return rx.cond(errors.contains("form"), rx.callout(errors.get("form", ""), icon="triangle-alert", color_scheme="red", size="1", width="100%"))


def dialog_buttons(submit_key: str = "common.save", submit_id: str | None = None, disabled: rx.Var | bool = False) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button(T("common.cancel"), variant="soft", color_scheme="gray", type="button")),
        rx.button(T(submit_key), type="submit", disabled=disabled, **({"id": submit_id} if submit_id else {})),
        justify="end",
        spacing="3",
        width="100%",
        margin_top="8px",
    )


def dialog(open_: rx.Var, on_open_change, title: rx.Component | rx.Var | str, body: rx.Component, max_width: str = "560px", **props) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            body,
            max_width=max_width,
            width="calc(100vw - 24px)",
            max_height="90vh",
            overflow_y="auto",
            **props,
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def stat(label_key: str, value, unit_key: str, icon: str, stat_id: str) -> rx.Component:
    return rx.box(
        rx.hstack(rx.icon(icon, size=16, color=rx.color("accent", 10)), rx.text(T(label_key), size="2", color_scheme="gray"), spacing="2", align="center"),
        rx.hstack(
            rx.text(value, size="6", weight="bold", id=stat_id),
            rx.text(T(unit_key), size="2", color_scheme="gray"),
            align="baseline",
            spacing="1",
            margin_top="4px",
        ),
        **{**styles.CARD, "padding": "12px"},
    )


def loading_or_empty(rows: rx.Var, loading: rx.Var, content: rx.Component, empty_key: str = "common.none") -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        content,
        rx.cond(
            loading,
            rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")), padding="32px", width="100%"),
            empty_state(T(empty_key)),
        ),
    )


def table(headers: list[str], body: rx.Component, **props) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h), white_space="nowrap") for h in headers])),
            rx.table.body(body),
            variant="surface",
            size="1",
            width="100%",
            **props,
        ),
        width="100%",
        overflow_x="auto",
    )


def back_link(href: str, key: str) -> rx.Component:
    return rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(T(key), size="2"), spacing="1", align="center"), href=href, underline="none")


def meta(label_key: str, value, **props) -> rx.Component:
    return rx.hstack(
        rx.text(T(label_key), size="2", color_scheme="gray", min_width="72px", white_space="nowrap"),
        rx.text(value, size="2", white_space="pre-wrap", word_break="break-word"),
        spacing="3",
        align="start",
        width="100%",
        **props,
    )


def paragraph(label_key: str, value, **props) -> rx.Component:
    return rx.cond(
        value != "",
        rx.vstack(
            rx.text(T(label_key), size="2", color_scheme="gray"),
            rx.text(value, size="3", white_space="pre-wrap", word_break="break-word"),
            spacing="1",
            width="100%",
            **props,
        ),
    )
