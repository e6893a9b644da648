"""The pager every paged list shows: first / previous / page of pages /
next / last, a "go to page" box and the page size (``rxapp.state.paged``)."""

import reflex as rx

from rxapp.state.base import T
from rxapp.state.paged import PAGE_SIZES


def _button(icon: str, label_key: str, on_click, disabled) -> rx.Component:
    return rx.icon_button(rx.icon(icon, size=14), on_click=on_click, disabled=disabled, variant="soft", size="1", aria_label=T(label_key), title=T(label_key))


def pager(total_text: rx.Var, page: rx.Var, pages: rx.Var, go, loading: rx.Var, state=None) -> rx.Component:
    """``go(n)`` opens page n; with ``state`` (a ``PagedList``) also the page
    jump and the page size."""
    extra = []
    if state is not None:
        extra = [
            rx.form(
                rx.hstack(
                    rx.input(
                        name="page",
                        type="number",
                        min=1,
                        max=pages,
                        placeholder=T("lists.pager.jump"),
                        aria_label=T("lists.pager.jump_label"),
                        width="72px",
                        size="1",
                    ),
                    rx.button(T("lists.pager.go"), type="submit", size="1", variant="soft", disabled=loading),
                    spacing="1",
                    align="center",
                ),
                on_submit=state.jump_page,
                reset_on_submit=True,
            ),
            rx.select.root(
                rx.select.trigger(aria_label=T("lists.pager.size_label"), title=T("lists.pager.size_label")),
                rx.select.content(*[rx.select.item(str(n), value=str(n)) for n in PAGE_SIZES]),
                value=state.page_size.to_string(),
                on_change=state.set_page_size,
                size="1",
            ),
        ]
    return rx.flex(
        rx.text(total_text, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.hstack(
            _button("chevrons-left", "lists.pager.first", go(1), (page <= 1) | loading),
            _button("chevron-left", "pager.prev", go(page - 1), (page <= 1) | loading),
            rx.text(page, " / ", pages, size="2", white_space="nowrap"),
            _button("chevron-right", "pager.next", go(page + 1), (page >= pages) | loading),
            _button("chevrons-right", "lists.pager.last", go(pages), (page >= pages) | loading),
            *extra,
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        align="center",
        spacing="2",
        wrap="wrap",
    )


def list_pager(state, total_key: str) -> rx.Component:
    """The pager of a ``PagedList`` state; ``total_key`` is a message with ``{n}``."""
    return pager(T(total_key).replace("{n}", state.total.to_string()), state.page, state.pages, state.go_page, state.loading, state)
