"""Beside the intake form: the caller's earlier cases and possible duplicates."""

import reflex as rx

from rxapp.components import styles
from rxapp.state.base import T
from rxapp.state.intake_assist import IntakeAssistState as A


def _case(r: dict, linkable: bool) -> rx.Component:
    return rx.hstack(
        rx.link(r["code"], href="/cases/" + r["code"], is_external=True, size="2"),
        rx.badge(r["status"], variant="soft"),
        rx.text(r["date"], size="1", color_scheme="gray"),
        rx.text(r["category"], size="1"),
        rx.text(r["content"], size="1", color_scheme="gray", trim="both", flex="1", min_width="0"),
        rx.cond(r["hotspot"] != "", rx.badge(T("intake.hotspot"), color_scheme="red")),
        rx.cond(
            linkable,
            rx.button(
                rx.cond(A.linked_code == r["code"], T("intake.linked"), T("intake.link")),
                size="1", type="button", variant=rx.cond(A.linked_code == r["code"], "solid", "outline"),
                on_click=A.link(r["code"]), class_name="intake-link",
            ),
        ),
        width="100%", align="center", spacing="2", wrap="wrap", class_name="intake-known",
    )


def intake_assist_panel() -> rx.Component:
    return rx.cond(
        (A.history.length() > 0) | (A.duplicates.length() > 0) | (A.notice != ""),
        rx.vstack(
            rx.cond(
                A.duplicates.length() > 0,
                rx.vstack(
                    rx.text(T("intake.duplicates"), weight="medium", color=rx.color("amber", 11)),
                    rx.text(T("intake.duplicates_hint"), size="1", color_scheme="gray"),
                    rx.foreach(A.duplicates, lambda r: _case(r, True)),
                    rx.cond(A.linked_code != "", rx.text(T("intake.will_link"), " ", A.linked_code, size="1", id="intake-will-link")),
                    width="100%", spacing="1", id="intake-duplicates",
                ),
            ),
            rx.cond(
                A.history.length() > 0,
                rx.vstack(
                    rx.text(T("intake.history"), weight="medium"),
                    rx.foreach(A.history, lambda r: _case(r, False)),
                    width="100%", spacing="1", id="intake-history",
                ),
            ),
            rx.cond(A.notice != "", rx.callout(A.notice, color_scheme="red", size="1")),
            width="100%", spacing="3", **styles.CARD,
        ),
    )
