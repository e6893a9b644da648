"""/cases — the staff case list: work-queue tabs, filters, status chips, the table."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.case_widgets import card, option_select, role_in, status_badge
from rxapp.components.pager import list_pager
from rxapp.components.layout import app_page, page_title
from rxapp.components.widgets import empty_state
from rxapp.state.base import STAFF, AppState, T, UiState
from rxapp.state.case_common import ALL, INTAKE_ROLES, VIEWS
from rxapp.state.case_list import CaseListState

S = CaseListState
SORT_KEYS = [("newest", "cases.sort.newest"), ("oldest", "cases.sort.oldest"), ("deadline", "cases.sort.deadline"), ("updated", "cases.sort.updated")]


def new_case_button() -> rx.Component:
    return rx.cond(
        role_in(AppState.user_role, INTAKE_ROLES),
        rx.link(rx.button(rx.icon("file-plus", size=16), T("nav.new_case")), href="/cases/new", id="new-case-link"),
    )


def view_tabs() -> rx.Component:
    def trigger(view: str) -> rx.Component:
        count = S.view_counts.get(view, "")
        return rx.cond(
            S.views.contains(view),
            rx.tabs.trigger(
                rx.hstack(
                    rx.text(T(f"cases.view.{view}")),
                    rx.cond(count != "", rx.badge(count, variant="soft", radius="full", size="1")),
                    spacing="2",
                    align="center",
                ),
                value=view,
                id=f"view-{view}",
                aria_controls="case-results",  # the tab switches the one list below (no tab panels)
            ),
        )

    return rx.cond(
        S.views.length() > 1,
        rx.box(
            rx.tabs.root(
                rx.tabs.list(*[trigger(v) for v in VIEWS], size="2", wrap="wrap"),
                value=S.view,
                on_change=S.set_view,
            ),
            width="100%",
            overflow_x="auto",
        ),
    )


def status_chips() -> rx.Component:
    def chip(c) -> rx.Component:
        active = S.status == c["value"]
        return rx.button(
            UiState.t[c["key"]],
            rx.text(c["n"], weight="bold"),
            on_click=S.set_status(c["value"]),
            variant=rx.cond(active, "solid", "soft"),
            color_scheme=rx.cond(active, "blue", "gray"),
            radius="full",
            size="1",
            disabled=S.loading,
        )

    return rx.flex(rx.foreach(S.status_chips, chip), wrap="wrap", gap="6px", width="100%", id="status-chips")


def filter_bar() -> rx.Component:
    selects = rx.grid(
        option_select(S.category, S.set_category, S.category_options, first=(ALL, "cases.filter.all_categories")),
        rx.cond(
            S.area1_options.length() > 0,
            option_select(S.area1, S.set_area1, S.area1_options, first=(ALL, "cases.filter.all_areas")),
        ),
        rx.cond(
            S.area2_options.length() > 0,
            option_select(S.area2, S.set_area2, S.area2_options, first=(ALL, "cases.filter.all_subareas")),
        ),
        option_select(S.department, S.set_department, S.department_options, first=(ALL, "cases.filter.all_departments")),
        rx.select.root(
            rx.select.trigger(width="100%", aria_label=T("a11y.sort")),
            rx.select.content(*[rx.select.item(T(k), value=v) for v, k in SORT_KEYS]),
            value=S.sort,
            on_change=S.set_sort,
        ),
        columns=rx.breakpoints(initial="1", sm="2", lg="5"),
        spacing="2",
        width="100%",
    )
    text_and_dates = search_form(
        rx.flex(
            search_input("filter-text", "2 1 220px"),
            rx.hstack(
                rx.input(type="date", name="from", default_value=S.date_from, aria_label=T("cases.filter.from"), flex="1"),
                rx.text("—", color_scheme="gray"),
                rx.input(type="date", name="to", default_value=S.date_to, aria_label=T("cases.filter.to"), flex="1"),
                align="center",
                spacing="1",
                flex="2 1 260px",
            ),
            rx.hstack(
                rx.checkbox(T("cases.filter.overdue_only"), checked=S.overdue_only, on_change=S.set_overdue_only),
                rx.button(rx.icon("search", size=14), T("common.search"), type="submit", id="filter-search"),
                rx.cond(
                    S.filtered,
                    rx.button(T("cases.filter.clear"), type="button", variant="soft", color_scheme="gray", on_click=S.clear_filters),
                ),
                align="center",
                spacing="3",
                flex="1 1 auto",
            ),
            wrap="wrap",
            gap="8px",
            width="100%",
            align="center",
        ),
    )
    extra_area = rx.cond(
        S.area_extra != "",
        rx.hstack(
            rx.badge(
                T("cases.filter.area"),
                T("punct.colon"),
                S.area_extra_label,
                rx.icon("x", size=12, cursor="pointer", on_click=S.clear_area_extra),
                variant="surface",
                size="2",
            ),
        ),
    )
    basis = rx.cond(
        S.date_basis == "accepted",
        rx.hstack(
            rx.badge(
                rx.icon("calendar-check", size=12),
                T("cases.filter.by_accept_date"),
                rx.icon("x", size=12, cursor="pointer", on_click=S.clear_date_basis, id="clear-basis"),
                variant="surface",
                size="2",
                id="basis-badge",
            ),
        ),
    )
    return card(selects, text_and_dates, rx.hstack(extra_area, basis, spacing="2", wrap="wrap"), status_chips(), spacing="2")


def deadline_cell(row, stacked: bool = False) -> rx.Component:
    parts = (
        rx.text(
            row["deadline"],
            color=rx.cond(row["overdue"] == "1", rx.color("red", 11), rx.color("gray", 12)),
            weight=rx.cond(row["overdue"] == "1", "medium", "regular"),
            white_space="nowrap",
            size="2",
        ),
        rx.cond(row["overdue"] == "1", rx.badge(T("cases.badge.overdue"), color_scheme="red", size="1")),
    )
    if stacked:
        return rx.vstack(*parts, spacing="1", align="start")
    return rx.hstack(*parts, spacing="1", align="center")


def code_link(row) -> rx.Component:
    return rx.link(row["code"], href="/cases/" + row["code"], weight="medium", white_space="nowrap", class_name="case-code")


def flags(row) -> rx.Component:
    return rx.fragment(
        rx.cond(row["supervised"] == "1", rx.badge(T("cases.badge.supervised"), color_scheme="crimson", size="1")),
        rx.cond(row["flagged"] == "1", rx.badge(T("cases.badge.flagged"), color_scheme="orange", size="1")),
    )


def table_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(code_link(row)),
        rx.table.cell(
            rx.vstack(
                rx.text(row["submitted_day"], white_space="nowrap", size="2"),
                rx.text(row["submitted_time"], white_space="nowrap", size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["category"], size="2", min_width="4.5em")),
        rx.table.cell(rx.text(row["excerpt"], size="2", min_width="160px", max_width="260px", class_name="rt-truncate", title=row["excerpt"])),
        rx.table.cell(
            rx.vstack(
                rx.text(row["township"], size="2", white_space="nowrap"),
                rx.text(row["community"], size="1", color_scheme="gray", white_space="nowrap"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["department"], size="2", min_width="5em")),
        rx.table.cell(rx.vstack(status_badge(row["status_key"], row["status_color"]), flags(row), spacing="1", align="start")),
        rx.table.cell(deadline_cell(row, stacked=True)),
        align="center",
    )


HEADERS = [
    "cases.col.code",
    "cases.col.submitted",
    "cases.col.category",
    "cases.col.content",
    "cases.col.area",
    "cases.col.department",
    "cases.col.status",
    "cases.col.deadline",
]


def header(key: str) -> rx.Var:
    """A column's title; on the 待回访 tab the deadline is the follow-up's."""
    if key == "cases.col.deadline":
        return rx.cond(S.view == "follow_up", T("lists.follow_up.deadline"), T(key))
    return T(key)


def case_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(header(h), white_space="nowrap") for h in HEADERS])),
            rx.table.body(rx.foreach(S.rows, table_row)),
            variant="surface",
            size="2",
            width="100%",
        ),
        width="100%",
        overflow_x="auto",
        display=["none", "none", "block"],
        id="case-table",
    )


def case_card(row) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(code_link(row), rx.spacer(), status_badge(row["status_key"], row["status_color"]), width="100%", align="center"),
            rx.text(row["excerpt"], size="2"),
            rx.flex(
                rx.text(row["category"], size="1", color_scheme="gray"),
                rx.text("·", size="1", color_scheme="gray"),
                rx.text(row["area"], size="1", color_scheme="gray"),
                flags(row),
                wrap="wrap",
                gap="6px",
                align="center",
            ),
            rx.hstack(
                rx.text(T("cases.col.submitted"), " ", row["submitted"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(header("cases.col.deadline"), size="1", color_scheme="gray"),
                deadline_cell(row),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        **styles.CARD,
        width="100%",
    )


def case_cards() -> rx.Component:
    return rx.vstack(rx.foreach(S.rows, case_card), spacing="2", width="100%", display=["flex", "flex", "none"])


def empty() -> rx.Component:
    return rx.vstack(
        rx.match(
            S.view,
            ("triage", empty_state(T("cases.empty.triage"), icon="inbox")),
            (ALL, rx.cond(S.filtered, empty_state(T("cases.empty.filtered"), icon="search-x"), empty_state(T("cases.empty.all")))),
            empty_state(T("cases.empty.bucket"), icon="circle-check"),
        ),
        rx.cond(
            (S.view == ALL) & S.filtered,
            rx.button(T("cases.filter.clear"), variant="soft", on_click=S.clear_filters),
        ),
        align="center",
        width="100%",
        id="cases-empty",
    )


def results() -> rx.Component:
    return rx.box(
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(case_table(), case_cards(), spacing="2", width="100%", opacity=rx.cond(S.loading, "0.55", "1")),
            rx.cond(
                S.loading,
                rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")), padding="48px", width="100%"),
                rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", width="100%"), empty()),
            ),
        ),
        width="100%",
        position="relative",
    )


def search_placeholder() -> rx.Var:
    return rx.cond(S.phone_search, T("lists.search.placeholder_phone"), T("cases.filter.text_placeholder"))


def search_input(input_id: str, flex: str) -> rx.Component:
    """The list's search text (``q``): code, content and, for roles that see phones, phone."""
    return rx.input(name="q", default_value=S.text, placeholder=search_placeholder(), aria_label=search_placeholder(), max_length=100, flex=flex, id=input_id)


def search_form(*children) -> rx.Component:
    """A form whose fields are the list's text and date filters (``search``)."""
    return rx.form(*children, on_submit=S.search, key=S.form_key, width="100%")


def queue_search() -> rx.Component:
    """The search box of a work queue tab: code, content (and phone for the
    roles that see phones) within this tab's cases."""
    return search_form(
        rx.hstack(
            search_input("queue-text", "1 1 220px"),
            rx.button(rx.icon("search", size=14), T("common.search"), type="submit", id="queue-search"),
            rx.cond(S.text != "", rx.button(T("cases.filter.clear"), type="button", variant="soft", color_scheme="gray", on_click=S.clear_text)),
            spacing="2",
            align="center",
            width="100%",
            max_width="560px",
        ),
    )


@app_page(route="/cases", title="诉求工单", roles=STAFF, on_load=[CaseListState.load])
def case_list() -> rx.Component:
    return rx.vstack(
        page_title("nav.cases", rx.cond(S.loading, rx.spinner(size="2")), new_case_button()),
        rx.cond(S.notice != "", rx.callout(S.notice, icon="info", color_scheme="amber", size="1", width="100%")),
        view_tabs(),
        rx.cond(S.view == "follow_up", rx.text(T("lists.follow_up.note"), size="1", color_scheme="gray", id="follow-up-note")),
        rx.cond(S.view == ALL, filter_bar(), queue_search()),
        rx.box(results(), id="case-results", width="100%"),
        list_pager(S, "cases.total"),
        spacing="3",
        width="100%",
    )
