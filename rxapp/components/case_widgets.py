"""Pieces the case pages share: status badge, labelled field, selects over
option rows and the card frame (the pager: ``rxapp.components.pager``)."""

from collections.abc import Sequence

import reflex as rx

from rxapp.components import styles
from rxapp.components.widgets import field_error
from rxapp.state.base import T, UiState


def status_badge(key: rx.Var, color: rx.Var, **props) -> rx.Component:
    return rx.badge(UiState.t[key], color_scheme=color, variant="soft", white_space="nowrap", **props)


def card(*children, **props) -> rx.Component:
    return rx.vstack(*children, **{"spacing": "3", "width": "100%", **styles.CARD, **props})


def card_title(key: str, *extra) -> rx.Component:
    return rx.hstack(rx.text(T(key), weight="bold", size="3"), *extra, align="center", spacing="2", width="100%")


def option_select(
    value: rx.Var | str,
    on_change,
    options: rx.Var,
    first: tuple[str, str] | None = None,
    placeholder_key: str = "cases.choose",
    trigger_id: str | None = None,
    **props,
) -> rx.Component:
    """A select over [{id, label}] rows; ``first`` = (value, message key) of an
    extra first item such as "all"."""
    return rx.select.root(
        rx.select.trigger(placeholder=T(placeholder_key), width="100%", aria_label=T(first[1] if first else placeholder_key), **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(
            *([rx.select.item(T(first[1]), value=first[0])] if first else []),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"])),
        ),
        value=value,
        on_change=on_change,
        **props,
    )


def named_select(name: str, default: rx.Var | str, options: rx.Var, first: tuple[str, str] | None = None, **props) -> rx.Component:
    """An uncontrolled select that submits with its form under ``name``."""
    return rx.select.root(
        rx.select.trigger(placeholder=T("cases.choose"), width="100%", aria_label=T(first[1] if first else "cases.choose")),
        rx.select.content(
            *([rx.select.item(T(first[1]), value=first[0])] if first else []),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"])),
        ),
        name=name,
        default_value=default,
        **props,
    )


def role_in(role: rx.Var, roles: Sequence[str]) -> rx.Var:
    return rx.Var.create(list(roles)).contains(role)
