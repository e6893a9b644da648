"""/warnings — 超期预警 worklist for dispatchers, department handlers and leaders: layout only."""

import reflex as rx

from rxapp.components.layout import app_page, page_title
from rxapp.components.warnings import warning_list
from rxapp.state.base import T
from rxapp.state.warnings import WARNING_ROLES, WarningsState


@app_page(route="/warnings", title="超期预警", roles=WARNING_ROLES, on_load=[WarningsState.load])
def warnings_page() -> rx.Component:
    return rx.vstack(
        page_title("warning.title"),
        rx.text(T("warning.help"), size="2", color_scheme="gray"),
        warning_list(),
        spacing="4",
        width="100%",
    )
