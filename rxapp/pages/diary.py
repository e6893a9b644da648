"""/diary, /diary/new, /diary/[diary_id] — 民情日记: layout only."""

import reflex as rx

from rxapp.components.pager import list_pager
from rxapp.components.layout import app_page, page_title
from rxapp.components.media import visit_media_dialog, visit_photos
from rxapp.components.teamwork import (
    ALL,
    back_link,
    card,
    card_title,
    dialog,
    dialog_buttons,
    form_error,
    hint,
    loading_or_empty,
    meta,
    named_select,
    option_select,
    paragraph,
    stat,
    table,
    text_area,
)
from rxapp.components.widgets import empty_state, field_error, labelled
from rxapp.state.base import T, UiState
from rxapp.state.diary import DiaryDetailState, DiaryFormState, DiaryListState
from rxapp.state.teamwork import TEAMWORK_ROLES

L = DiaryListState
F = DiaryFormState
V = DiaryDetailState


# ============================================================================
# /diary
# ============================================================================
def month_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width="100%", id="diary-month", aria_label=T("tw.month")),
        rx.select.content(rx.foreach(L.month_options, lambda m: rx.select.item(m, value=m))),
        value=L.month,
        on_change=L.set_month,
    )


def filters() -> rx.Component:
    return rx.flex(
        rx.box(labelled("tw.month", month_select()), width=["100%", "180px"]),
        rx.cond(
            ~L.is_member,
            rx.box(labelled("tw.area", option_select(L.area, L.set_area, L.area_options, first=(ALL, "tw.area_all"))), width=["100%", "280px"]),
        ),
        rx.cond(L.loading, rx.spinner(size="2")),
        gap="12px",
        align="end",
        wrap="wrap",
        width="100%",
    )


def chips() -> rx.Component:
    def chip(label, clear) -> rx.Component:
        return rx.badge(label, rx.icon("x", size=12, cursor="pointer", on_click=clear), size="2", variant="soft", radius="full")

    return rx.cond(
        (L.team != "") | (L.member != ""),
        rx.hstack(
            rx.text(T("tw.filtered_by"), size="2", color_scheme="gray"),
            rx.cond(L.team != "", chip(L.team_label, L.clear_team)),
            rx.cond(L.member != "", chip(L.member_label, L.clear_member)),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
    )


def stats() -> rx.Component:
    return rx.grid(
        stat("tw.stat.visits", L.sum_visits, "tw.unit.times_suffix", "footprints", "month-visits"),
        stat("tw.stat.diaries", L.sum_diaries, "tw.unit.entries_suffix", "notebook-pen", "month-diaries"),
        stat("tw.stat.households", L.sum_households, "tw.unit.households_suffix", "house", "month-households"),
        columns="3",
        spacing="2",
        width="100%",
    )


def comments_callout() -> rx.Component:
    return rx.cond(
        L.comments.length() > 0,
        card(
            card_title("tw.diary.new_comments", icon="message-square-quote"),
            rx.foreach(
                L.comments,
                lambda c: rx.link(
                    rx.hstack(rx.badge(c["day"], variant="soft"), rx.text(c["comment"], size="2"), spacing="2", align="center", wrap="wrap"),
                    href="/diary/" + c["id"],
                    underline="none",
                ),
            ),
            background=rx.color("amber", 2),
            id="diary-new-comments",
        ),
    )


def diary_card(r) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.hstack(
                rx.text(r["day"], weight="bold", size="2"),
                rx.text(r["author"], size="2"),
                rx.text(r["team"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.badge(rx.icon("footprints", size=12), r["visits"], variant="soft"),
                rx.cond(r["commented"] != "", rx.badge(rx.icon("message-square-quote", size=12), T("tw.diary.commented_badge"), color_scheme="amber", variant="soft")),
                spacing="2",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.text(r["excerpt"], size="2", color_scheme="gray", white_space="pre-wrap", word_break="break-word"),
            rx.cond(r["comment"] != "", rx.text(T("tw.diary.comment"), T("punct.colon"), r["comment"], size="1", color=rx.color("amber", 11))),
            spacing="1",
            width="100%",
            padding="10px 12px",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
            _hover={"background": rx.color("accent", 2)},
        ),
        href="/diary/" + r["id"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="diary-row",
    )


def export_button(href, button_id: str) -> rx.Component:
    return rx.button(
        rx.icon("file-spreadsheet", size=14),
        T("tw.export"),
        on_click=rx.download(url=href),
        variant="ghost",
        color_scheme="green",
        size="1",
        type="button",
        id=button_id,
    )


def diary_list() -> rx.Component:
    return card(
        card_title("tw.diary.list", export_button(L.diaries_export, "diaries-export"), icon="list"),
        chips(),
        loading_or_empty(L.rows, L.loading, rx.vstack(rx.foreach(L.rows, diary_card), spacing="0", width="100%")),
        list_pager(L, "tw.total"),
        padding="12px",
    )


def activity_table() -> rx.Component:
    row = lambda a: rx.table.row(  # noqa: E731
        rx.table.cell(rx.link(a["name"], on_click=L.pick_team(a["id"]), cursor="pointer")),
        rx.table.cell(a["visits"], text_align="right"),
        rx.table.cell(a["diaries"], text_align="right"),
        rx.table.cell(a["households"], text_align="right"),
    )
    return card(
        card_title("tw.diary.by_team", export_button(L.activity_export, "activity-export"), icon="users"),
        loading_or_empty(
            L.activity,
            L.loading,
            rx.box(
                table(["tw.team", "tw.stat.visits", "tw.stat.diaries", "tw.stat.households"], rx.foreach(L.activity, row)),
                max_height="360px",
                overflow_y="auto",
                width="100%",
            ),
        ),
        padding="12px",
    )


def members_table() -> rx.Component:
    row = lambda m: rx.table.row(  # noqa: E731
        rx.table.cell(rx.link(m["name"], on_click=L.pick_member(m["id"]), cursor="pointer")),
        rx.table.cell(m["visits"], text_align="right"),
        rx.table.cell(m["diaries"], text_align="right"),
    )
    return rx.cond(
        L.members.length() > 0,
        card(
            card_title("tw.diary.by_member", icon="user"),
            table(["tw.member", "tw.stat.visits", "tw.stat.diaries"], rx.foreach(L.members, row)),
            padding="12px",
        ),
    )


@app_page(route="/diary", title="民情日记", roles=TEAMWORK_ROLES, on_load=[DiaryListState.load])
def diary_page() -> rx.Component:
    return rx.vstack(
        page_title(
            "tw.diary.title",
            rx.hstack(
                rx.link(rx.button(rx.icon("house", size=16), T("tw.households.title"), variant="soft"), href="/households"),
                rx.cond(L.is_member, rx.link(rx.button(rx.icon("pen-line", size=16), T("tw.diary.write"), id="diary-write"), href="/diary/new")),
                spacing="2",
                wrap="wrap",
                justify="end",
            ),
        ),
        comments_callout(),
        filters(),
        stats(),
        rx.grid(
            diary_list(),
            rx.vstack(activity_table(), members_table(), spacing="3", width="100%"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


# ============================================================================
# /diary/new
# ============================================================================
def household_picker() -> rx.Component:
    pending_row = lambda p: rx.vstack(  # noqa: E731
        rx.hstack(
            rx.icon("house", size=14, color=rx.color("accent", 10)),
            rx.text(p["label"], size="2", weight="medium", flex="1", word_break="break-word"),
            rx.icon_button(rx.icon("x", size=14), on_click=F.remove_household(p["id"]), variant="ghost", color_scheme="gray", size="1", type="button", aria_label=T("a11y.remove_household")),
            align="center",
            width="100%",
        ),
        rx.text_area(
            placeholder=T("tw.visit.note_placeholder"),
            default_value=p["note"],
            on_blur=lambda v: F.set_note(p["id"], v),
            rows="2",
            max_length=1100,
            width="100%",
            class_name="visit-note",
        ),
        spacing="1",
        width="100%",
        padding="8px",
        border=f"1px solid {rx.color('accent', 5)}",
        border_radius="8px",
        background=rx.color("accent", 1),
        class_name="pending-visit",
    )
    match_row = lambda h: rx.button(  # noqa: E731
        rx.icon("plus", size=14),
        rx.text(h["label"], size="2", text_align="left", flex="1", white_space="normal", word_break="break-word"),
        on_click=F.add_household(h["id"]),
        variant="outline",
        size="2",
        type="button",
        width="100%",
        justify="start",
        height="auto",
        padding_y="6px",
        class_name="household-match",
    )
    return rx.vstack(
        rx.text(T("tw.visit.households"), size="2", weight="medium"),
        hint("tw.visit.households_hint"),
        rx.foreach(F.pending, pending_row),
        field_error(F.errors.get("visits", "")),
        rx.input(
            placeholder=T("tw.visit.search"),
            value=F.query,
            on_change=F.set_query.debounce(250),
            width="100%",
            type="search",
        ),
        rx.vstack(rx.foreach(F.matches, match_row), spacing="1", width="100%", max_height="260px", overflow_y="auto"),
        spacing="2",
        width="100%",
    )


@app_page(route="/diary/new", title="写民情日记", roles=("member",), on_load=[DiaryFormState.load])
def diary_new_page() -> rx.Component:
    err = F.errors
    return rx.vstack(
        back_link("/diary", "tw.diary.back"),
        page_title("tw.diary.write"),
        rx.form(
            card(
                labelled("tw.diary.day", rx.input(name="day", type="date", default_value=F.day, max=F.max_day, width="100%", id="diary-day", key=F.max_day), err.get("day", ""), required=True),
                labelled("tw.diary.heard", text_area("heard", rows="4", max_length=2000, placeholder=T("tw.diary.heard_placeholder"), id="diary-heard"), err.get("heard", ""), required=True),
                labelled("tw.diary.done", text_area("done", rows="3", max_length=2000, id="diary-done"), err.get("done", "")),
                labelled("tw.diary.followups", text_area("followups", rows="2", max_length=1000, id="diary-followups"), err.get("followups", "")),
                household_picker(),
                form_error(err),
                rx.button(
                    rx.cond(F.saving, rx.spinner(size="2"), rx.icon("save", size=16)),
                    T("tw.diary.save"),
                    type="submit",
                    size="3",
                    width="100%",
                    disabled=F.saving,
                    id="diary-submit",
                ),
                padding="14px",
            ),
            on_submit=F.submit,
            width="100%",
        ),
        spacing="3",
        width="100%",
        max_width="720px",
    )


# ============================================================================
# /diary/[diary_id]
# ============================================================================
def visit_cases(v) -> rx.Component:
    return rx.hstack(
        rx.foreach(
            V.visit_cases,
            lambda c: rx.cond(
                c["visit_id"] == v["id"],
                rx.link(rx.badge(rx.icon("file-text", size=12), c["code"], " · ", UiState.t[c["status_key"]], variant="soft", color_scheme="green"), href="/cases/" + c["code"], class_name="visit-case"),
            ),
        ),
        spacing="2",
        wrap="wrap",
    )


def visit_card(v) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("house", size=16, color=rx.color("accent", 10)),
            rx.text(v["representative"], weight="medium", size="2"),
            rx.text(v["address"], size="2", color_scheme="gray", word_break="break-word"),
            spacing="2",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(v["note"] != "", rx.text(v["note"], size="2", white_space="pre-wrap", word_break="break-word")),
        visit_cases(v),
        visit_photos(v["id"], v["address"]),
        rx.cond(
            V.can_raise_case,
            rx.flex(
                rx.button(rx.icon("file-plus", size=14), T("tw.raise.button"), on_click=V.open_raise(v["id"]), size="2", class_name="raise-case"),
                rx.link(
                    rx.button(rx.icon("external-link", size=14), T("tw.raise.intake_page"), variant="soft", size="2"),
                    href="/cases/new?visit=" + v["id"] + "&household=" + v["household_id"],
                    class_name="raise-case-intake",
                ),
                gap="8px",
                wrap="wrap",
            ),
        ),
        spacing="2",
        width="100%",
        padding="10px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        class_name="visit-card",
    )


def comment_section() -> rx.Component:
    return card(
        card_title("tw.diary.comment", icon="message-square-quote"),
        rx.cond(
            V.diary["comment"] != "",
            rx.vstack(
                rx.text(V.diary["comment"], size="3", white_space="pre-wrap", id="diary-comment"),
                rx.text(V.diary["commented_by"], " · ", V.diary["commented_at"], size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
                padding="10px",
                background=rx.color("amber", 2),
                border_radius="8px",
            ),
            rx.text(T("tw.diary.no_comment"), size="2", color_scheme="gray"),
        ),
        rx.cond(
            V.can_comment,
            rx.form(
                rx.vstack(
                    text_area("comment", rows="3", max_length=1000, placeholder=T("tw.diary.comment_placeholder"), id="comment-text"),
                    field_error(V.comment_error),
                    rx.button(T("tw.diary.comment_submit"), type="submit", id="comment-submit"),
                    spacing="2",
                    width="100%",
                    align="end",
                ),
                on_submit=V.submit_comment,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        padding="12px",
    )


def raise_dialog() -> rx.Component:
    err = V.raise_errors
    return dialog(
        V.raise_visit != "",
        V.close_raise,
        T("tw.raise.title"),
        rx.form(
            rx.vstack(
                rx.callout(V.raise_label, icon="house", size="1", width="100%"),
                labelled("tw.raise.content", text_area("content", rows="4", max_length=2000, default=V.raise_content, id="raise-content"), err.get("content", ""), required=True),
                labelled("tw.raise.name", rx.input(name="requester_name", default_value=V.raise_name, max_length=32, width="100%"), err.get("requester_name", "")),
                labelled("tw.raise.phone", rx.input(name="requester_phone", default_value=V.raise_phone, max_length=20, width="100%", type="tel", id="raise-phone"), err.get("requester_phone", "")),
                hint("tw.raise.hint"),
                form_error(err),
                dialog_buttons("tw.raise.submit", submit_id="raise-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=V.submit_raise,
            key=V.raise_visit,
            width="100%",
        ),
        id="raise-dialog",
    )


def edit_dialog() -> rx.Component:
    err = V.edit_errors
    return dialog(
        V.edit_open,
        V.close_edit,
        T("tw.diary.edit"),
        rx.form(
            rx.vstack(
                labelled("tw.diary.heard", text_area("heard", rows="4", default=V.diary["heard"]), err.get("heard", ""), required=True),
                labelled("tw.diary.done", text_area("done", rows="3", default=V.diary["done"]), err.get("done", "")),
                labelled("tw.diary.followups", text_area("followups", rows="2", max_length=1000, default=V.diary["followups"]), err.get("followups", "")),
                form_error(err),
                dialog_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=V.submit_edit,
            width="100%",
        ),
    )


def add_visit_dialog() -> rx.Component:
    err = V.add_errors
    return dialog(
        V.add_open,
        V.close_add,
        T("tw.diary.add_visit"),
        rx.form(
            rx.vstack(
                labelled("tw.visit.household", named_select("household_id", V.add_options), err.get("household_id", ""), required=True),
                labelled("tw.visit.note", text_area("note", rows="3", max_length=1000), err.get("note", "")),
                field_error(err.get("visits", "")),
                form_error(err),
                dialog_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=V.submit_add,
            width="100%",
        ),
    )


def diary_body() -> rx.Component:
    return rx.vstack(
        card(
            rx.hstack(
                rx.heading(V.diary["day"], size="5"),
                rx.spacer(),
                rx.cond(V.is_author, rx.button(rx.icon("pencil", size=14), T("tw.diary.edit"), on_click=V.open_edit, variant="soft", size="2")),
                width="100%",
                align="center",
            ),
            meta("tw.diary.author", V.diary["author"]),
            meta("tw.team", V.diary["team"]),
            paragraph("tw.diary.heard", V.diary["heard"]),
            paragraph("tw.diary.done", V.diary["done"]),
            paragraph("tw.diary.followups", V.diary["followups"]),
            padding="14px",
        ),
        card(
            card_title(
                "tw.visit.title",
                rx.cond(V.is_author, rx.button(rx.icon("plus", size=14), T("tw.diary.add_visit"), on_click=V.open_add, variant="soft", size="1")),
                icon="footprints",
            ),
            rx.cond(V.visits.length() > 0, rx.vstack(rx.foreach(V.visits, visit_card), spacing="2", width="100%"), empty_state(T("tw.visit.none"))),
            padding="12px",
        ),
        comment_section(),
        raise_dialog(),
        edit_dialog(),
        add_visit_dialog(),
        visit_media_dialog(V.visits.length()),
        spacing="3",
        width="100%",
    )


@app_page(route="/diary/[diary_id]", title="民情日记", roles=TEAMWORK_ROLES, on_load=[DiaryDetailState.load])
def diary_detail_page() -> rx.Component:
    return rx.vstack(
        back_link("/diary", "tw.diary.back"),
        rx.cond(
            V.found,
            diary_body(),
            rx.cond(V.loading, rx.center(rx.spinner(size="3"), padding="40px", width="100%"), empty_state(T("tw.not_found"))),
        ),
        spacing="3",
        width="100%",
        max_width="860px",
    )
