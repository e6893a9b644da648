"""Small reusable pieces: KPI card, empty state, field error, labelled field."""

import itertools

import reflex as rx
from reflex_components_core.el.elements.forms import Input, Select, Textarea
from reflex_components_radix.themes.components.select import SelectRoot, SelectTrigger
from reflex_components_radix.themes.components.text_area import TextArea
from reflex_components_radix.themes.components.text_field import TextFieldRoot

from rxapp.components import styles
from rxapp.state.base import T


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


# Controls a <label for=...> can name: native inputs, text areas and selects,
# and the button a Radix select opens from.
_LABELABLE = (TextFieldRoot, TextArea, SelectTrigger, Input, Select, Textarea)
_ids = itertools.count(1)


def _label_target(control: rx.Component) -> rx.Component | None:
    """The element a label names: the control itself, or a Radix select's trigger."""
    if isinstance(control, SelectRoot):
        return next((c for c in control.children if isinstance(c, SelectTrigger)), None)
    return control if isinstance(control, _LABELABLE) else None


def labelled(
    label: str | rx.Var,
    control: rx.Component,
    error: rx.Var | str | None = None,
    hint: rx.Component | None = None,
    required: bool = False,
    **props,
) -> rx.Component:
    """A field: a visible <label> tied to its control (the control's id, or a
    new one), then the control, an optional hint and the field's error.
    ``label`` is a catalog key or a Var already translated. A composite control
    (several inputs) becomes a group named by the label; its inputs need their
    own names."""
    text = T(label) if isinstance(label, str) else label
    target = _label_target(control)
    label_id = f"lbl-{next(_ids)}"
    if target is not None:
        target.id = target.id or f"{label_id}-control"
        target.custom_attrs.pop("aria-label", None)  # the visible label names it, not a placeholder
    caption = rx.el.label(
        rx.text(text, *([rx.text.span(" *", color=rx.color("red", 10), aria_hidden="true")] if required else []), size="2", weight="medium", as_="span"),
        id=label_id,
        **({"html_for": target.id} if target is not None else {}),
    )
    parts = [caption, control]
    if hint is not None:
        parts.append(hint)
    if isinstance(error, rx.Var):
        parts.append(field_error(error))
    group = {} if target is not None else {"role": "group", "aria_labelledby": label_id}
    return rx.vstack(*parts, spacing="1", width="100%", **group, **props)
