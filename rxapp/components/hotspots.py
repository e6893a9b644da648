"""The hot-spot card (热点事件): workbench and dashboard."""

import reflex as rx

from rxapp.components import styles
from rxapp.state.base import T, UiState
from rxapp.state.hotspots import HotspotsState as H

TREND_COLOR = {"rising": "red", "steady": "gray", "falling": "green"}


def _row(r: dict) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(UiState.t["hotspots.status." + r["status"]], color_scheme=rx.cond(r["status"] == "new", "red", "amber")),
            rx.text(r["title"], weight="medium", size="2"),
            rx.spacer(),
            rx.text(r["count"], " ", T("hotspots.count"), weight="bold", size="3", class_name="hotspot-count"),
            rx.badge(UiState.t["hotspots.trend." + r["trend"]],
                     color_scheme=rx.match(r["trend"], ("rising", "red"), ("falling", "green"), "gray")),
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.text(T("hotspots.first"), " ", r["first"], " · ", T("hotspots.last"), " ", r["last"], size="1", color_scheme="gray"),
            rx.spacer(),
            rx.cond(
                H.can_act,
                rx.hstack(
                    rx.cond(r["status"] == "new",
                            rx.button(T("hotspots.confirm"), size="1", variant="soft", on_click=H.confirm(r["id"], r["version"]))),
                    rx.button(T("hotspots.handle"), size="1", on_click=H.handle(r["id"], r["version"]), class_name="hotspot-handle"),
                    rx.button(T("hotspots.dismiss"), size="1", variant="outline", color_scheme="gray",
                              on_click=H.dismiss(r["id"], r["version"])),
                    spacing="2",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        spacing="1",
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="hotspot-row",
    )


def hotspot_card() -> rx.Component:
    """Open hot spots in the viewer's scope, worst first; live (pushed, 20 s heartbeat)."""
    return rx.fragment(
        rx.cond(
            H.visible,
            rx.vstack(
                rx.hstack(rx.icon("flame", size=18, color=rx.color("red", 10)), rx.text(T("hotspots.title"), weight="medium"),
                          spacing="2", align="center"),
                rx.text(T("hotspots.hint"), size="1", color_scheme="gray"),
                rx.cond(H.error != "", rx.callout(H.error, color_scheme="red", size="1", width="100%")),
                rx.cond(H.message != "", rx.callout(UiState.t[H.message], color_scheme="green", size="1", width="100%",
                                                    id="hotspot-message")),
                rx.cond(
                    H.rows.length() > 0,
                    rx.vstack(rx.foreach(H.rows, _row), spacing="0", width="100%"),
                    rx.text(T("hotspots.none"), size="2", color_scheme="gray"),
                ),
                rx.cond(H.can_act, rx.input(placeholder=T("hotspots.reason"), value=H.reason, on_change=H.set_reason,
                                            size="1", width="100%", max_length=500)),
                spacing="2",
                width="100%",
                id="hotspot-card",
                **styles.CARD,
            ),
        ),
        rx.moment(interval=20000, on_change=H.tick, display="none"),
        on_mount=H.load,
    )
