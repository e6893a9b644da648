"""/meetings, /meetings/[meeting_id] — 民情恳谈: layout only."""

import reflex as rx

from rxapp.components.pager import list_pager
from rxapp.components.layout import app_page, page_title
from rxapp.components.media import item_media_dialog, item_photos
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
    paragraph,
    text_area,
)
from rxapp.components.widgets import empty_state, field_error, labelled
from rxapp.domain.meetings import SERVICE_AREAS
from rxapp.models import MeetingKind
from rxapp.state.base import T, UiState
from rxapp.state.meetings import MeetingDetailState, MeetingsState
from rxapp.state.teamwork import TEAMWORK_ROLES

S = MeetingsState
D = MeetingDetailState
KINDS = [(k, f"tw.kind.{k}") for k in MeetingKind.ALL]
STAND_COLOR = rx.Var.create({"answered": "green", "in_progress": "blue", "overdue": "red", "waiting": "orange"})


def counts_badges(c) -> rx.Component:
    return rx.hstack(
        rx.badge(T("tw.count.answered"), " ", c["answered"], color_scheme="green", variant="soft"),
        rx.badge(T("tw.count.in_progress"), " ", c["in_progress"], color_scheme="blue", variant="soft"),
        rx.badge(T("tw.count.overdue"), " ", c["overdue"], color_scheme=rx.cond(c["overdue"] != "0", "red", "gray"), variant=rx.cond(c["overdue"] != "0", "solid", "soft")),
        spacing="1",
        wrap="wrap",
    )


# ============================================================================
# /meetings
# ============================================================================
def filters() -> rx.Component:
    def sel(value, on_change, items, first_key, trigger_id):
        return rx.select.root(
            rx.select.trigger(width="100%", id=trigger_id, aria_label=T(first_key)),
            rx.select.content(rx.select.item(T(first_key), value=ALL), *items),
            value=value,
            on_change=on_change,
        )

    return rx.flex(
        rx.box(sel(S.kind, S.set_kind, [rx.select.item(T(key), value=v) for v, key in KINDS], "tw.kind.all", "meeting-kind-filter"), width=["100%", "180px"]),
        rx.box(
            rx.select.root(
                rx.select.trigger(width="100%", aria_label=T("tw.month")),
                rx.select.content(rx.select.item(T("tw.month_all"), value=ALL), rx.foreach(S.month_options, lambda m: rx.select.item(m, value=m))),
                value=S.month,
                on_change=S.set_month,
            ),
            width=["100%", "150px"],
        ),
        rx.box(
            sel(S.status, S.set_status, [rx.select.item(T("tw.meeting.open"), value="open"), rx.select.item(T("tw.meeting.closed"), value="closed")], "tw.status_all", "meeting-status-filter"),
            width=["100%", "140px"],
        ),
        rx.cond(S.loading, rx.spinner(size="2")),
        gap="8px",
        wrap="wrap",
        align="center",
        width="100%",
    )


def meeting_card(m) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.hstack(
                rx.badge(UiState.t[m["kind_key"]], variant="surface"),
                rx.cond(m["service_area"] != "", rx.badge(m["service_area"], color_scheme="purple", variant="soft")),
                rx.text(m["held_on"], size="2", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    m["status"] == "closed",
                    rx.badge(T("tw.meeting.closed"), color_scheme="gray"),
                    rx.badge(T("tw.meeting.open"), color_scheme="amber"),
                ),
                spacing="2",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.text(m["title"], weight="bold", size="3"),
            rx.text(m["area"], " · ", m["place"], " · ", T("tw.meeting.host"), T("punct.colon"), m["host"], size="1", color_scheme="gray"),
            rx.hstack(rx.text(T("tw.meeting.items"), " ", m["total"], size="2"), counts_badges(m), spacing="3", align="center", wrap="wrap"),
            spacing="1",
            width="100%",
            padding="10px 12px",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
            _hover={"background": rx.color("accent", 2)},
        ),
        href="/meetings/" + m["id"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="meeting-row",
    )


def create_dialog() -> rx.Component:
    err = S.create_errors
    return dialog(
        S.create_open,
        S.close_create,
        T("tw.meeting.new"),
        rx.form(
            rx.vstack(
                labelled(
                    "tw.meeting.kind",
                    rx.select.root(
                        rx.select.trigger(width="100%", id="meeting-kind"),
                        rx.select.content(*[rx.select.item(T(key), value=v) for v, key in KINDS]),
                        value=S.create_kind,
                        on_change=S.set_create_kind,
                    ),
                    err.get("kind", ""),
                    required=True,
                ),
                rx.cond(
                    S.create_kind == MeetingKind.ENTERPRISE,
                    labelled(
                        "tw.meeting.service_area",
                        rx.select.root(
                            rx.select.trigger(placeholder=T("tw.choose"), width="100%"),
                            rx.select.content(*[rx.select.item(a, value=a) for a in SERVICE_AREAS]),
                            name="service_area",
                        ),
                        err.get("service_area", ""),
                        required=True,
                    ),
                ),
                rx.cond(
                    ~S.is_member,
                    labelled("tw.meeting.area", named_select("area_id", S.area_options), err.get("area_id", ""), required=True),
                    hint("tw.meeting.member_area_hint"),
                ),
                labelled("tw.meeting.title_field", rx.input(name="title", max_length=100, placeholder=T("tw.meeting.title_placeholder"), width="100%"), err.get("title", "")),
                rx.grid(
                    labelled("tw.meeting.held_on", rx.input(name="held_on", type="date", default_value=S.today_text, width="100%"), err.get("held_on", ""), required=True),
                    labelled("tw.meeting.attendees_count", rx.input(name="attendees_count", type="number", min=1, max=10000, width="100%"), err.get("attendees_count", "")),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                labelled("tw.meeting.place", rx.input(name="place", max_length=100, width="100%", id="meeting-place"), err.get("place", ""), required=True),
                labelled("tw.meeting.host", rx.input(name="host", max_length=64, width="100%", id="meeting-host"), err.get("host", ""), required=True),
                labelled("tw.meeting.attendees", text_area("attendees", rows="2", max_length=1000, placeholder=T("tw.meeting.attendees_placeholder")), err.get("attendees", "")),
                labelled("tw.meeting.agenda", text_area("agenda", rows="3", max_length=2000), err.get("agenda", "")),
                form_error(err),
                dialog_buttons("common.create", submit_id="meeting-create-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.submit_create,
            width="100%",
        ),
    )


@app_page(route="/meetings", title="民情恳谈", roles=TEAMWORK_ROLES, on_load=[MeetingsState.load])
def meetings_page() -> rx.Component:
    return rx.vstack(
        page_title("tw.meeting.title", rx.button(rx.icon("plus", size=16), T("tw.meeting.new"), on_click=S.open_create, id="meeting-new")),
        hint("tw.meeting.help"),
        filters(),
        card(
            loading_or_empty(S.rows, S.loading, rx.vstack(rx.foreach(S.rows, meeting_card), spacing="0", width="100%")),
            list_pager(S, "tw.total"),
            padding="12px",
        ),
        create_dialog(),
        spacing="3",
        width="100%",
    )


# ============================================================================
# /meetings/[meeting_id]
# ============================================================================
def item_card(i) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(UiState.t[i["stand_key"]], color_scheme=STAND_COLOR[i["stand"]].to(str), variant="soft"),
            rx.text(i["text"], size="2", weight="medium", flex="1", word_break="break-word"),
            align="start",
            spacing="2",
            width="100%",
        ),
        rx.cond(i["raised_by"] != "", rx.text(T("tw.item.raised_by"), T("punct.colon"), i["raised_by"], size="1", color_scheme="gray")),
        item_photos(i["id"], i["text"]),
        rx.cond(
            i["status"] == "answered",
            rx.text(T("tw.item.answer"), T("punct.colon"), i["answer"], size="2", white_space="pre-wrap", color=rx.color("green", 11)),
        ),
        rx.cond(
            i["status"] == "case",
            rx.hstack(
                rx.link(rx.badge(rx.icon("file-text", size=12), i["case_code"], variant="soft"), href="/cases/" + i["case_code"]),
                rx.cond(i["case_status_key"] != "", rx.text(UiState.t[i["case_status_key"]], size="1")),
                rx.cond(i["deadline"] != "", rx.text(T("tw.item.deadline"), " ", i["deadline"], size="1", color_scheme="gray")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
        ),
        rx.cond(
            (i["status"] == "open") & D.can_edit,
            rx.flex(
                rx.button(rx.icon("message-circle-reply", size=14), T("tw.item.answer_button"), on_click=D.open_answer(i["id"]), size="1", variant="soft", class_name="item-answer"),
                rx.cond(D.can_raise_case, rx.button(rx.icon("file-plus", size=14), T("tw.item.case_button"), on_click=D.open_raise(i["id"]), size="1", class_name="item-case")),
                gap="8px",
                wrap="wrap",
            ),
        ),
        spacing="1",
        width="100%",
        padding="10px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        class_name="meeting-item",
    )


def add_item_form() -> rx.Component:
    return rx.cond(
        D.can_edit,
        rx.form(
            rx.vstack(
                text_area("text", rows="2", max_length=1000, placeholder=T("tw.item.placeholder"), id="item-text"),
                rx.flex(
                    rx.input(name="raised_by", max_length=64, placeholder=T("tw.item.raised_by"), width=["100%", "220px"]),
                    rx.button(rx.icon("plus", size=14), T("tw.item.add"), type="submit", id="item-add"),
                    gap="8px",
                    wrap="wrap",
                    width="100%",
                    justify="end",
                ),
                field_error(D.item_error),
                spacing="2",
                width="100%",
            ),
            on_submit=D.submit_item,
            reset_on_submit=True,
            width="100%",
        ),
    )


def answer_dialog() -> rx.Component:
    return dialog(
        D.answer_item != "",
        D.close_answer,
        T("tw.item.answer_title"),
        rx.form(
            rx.vstack(
                rx.callout(D.answer_text, icon="message-circle", size="1", width="100%"),
                labelled("tw.item.answer", text_area("answer", rows="4", max_length=2000, id="answer-text"), D.answer_error, required=True),
                dialog_buttons(submit_id="answer-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=D.submit_answer,
            key=D.answer_item,
            width="100%",
        ),
    )


def raise_dialog() -> rx.Component:
    err = D.raise_errors
    return dialog(
        D.raise_item != "",
        D.close_raise,
        T("tw.item.case_title"),
        rx.form(
            rx.vstack(
                labelled("tw.raise.content", text_area("content", rows="4", max_length=2000, default=D.raise_text), err.get("content", ""), required=True),
                rx.cond(D.grid_options.length() > 0, labelled("tw.grid", named_select("grid_id", D.grid_options), err.get("grid_id", ""), required=True)),
                labelled("tw.raise.name", rx.input(name="requester_name", default_value=D.raise_name, max_length=32, width="100%"), err.get("requester_name", "")),
                labelled("tw.raise.phone", rx.input(name="requester_phone", max_length=20, type="tel", width="100%"), err.get("requester_phone", "")),
                hint("tw.item.case_hint"),
                form_error(err),
                dialog_buttons("tw.raise.submit", submit_id="item-case-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=D.submit_raise,
            key=D.raise_item,
            width="100%",
        ),
    )


def edit_dialog() -> rx.Component:
    err = D.edit_errors
    m = D.meeting
    return dialog(
        D.edit_open,
        D.close_edit,
        T("tw.meeting.edit"),
        rx.form(
            rx.vstack(
                labelled("tw.meeting.title_field", rx.input(name="title", default_value=m["title"], max_length=100, width="100%"), err.get("title", "")),
                rx.grid(
                    labelled("tw.meeting.held_on", rx.input(name="held_on", type="date", default_value=m["held_on"], width="100%"), err.get("held_on", "")),
                    labelled("tw.meeting.attendees_count", rx.input(name="attendees_count", type="number", min=1, max=10000, default_value=m["attendees_count"], width="100%"), err.get("attendees_count", "")),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                labelled("tw.meeting.place", rx.input(name="place", default_value=m["place"], max_length=100, width="100%"), err.get("place", "")),
                labelled("tw.meeting.host", rx.input(name="host", default_value=m["host"], max_length=64, width="100%"), err.get("host", "")),
                labelled("tw.meeting.attendees", text_area("attendees", rows="2", max_length=1000, default=m["attendees"]), err.get("attendees", "")),
                labelled("tw.meeting.agenda", text_area("agenda", rows="3", max_length=2000, default=m["agenda"]), err.get("agenda", "")),
                labelled("tw.meeting.minutes", text_area("minutes", rows="6", max_length=20000, default=m["minutes"]), err.get("minutes", "")),
                form_error(err),
                dialog_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=D.submit_edit,
            width="100%",
        ),
    )


def close_dialog() -> rx.Component:
    err = D.close_errors
    m = D.meeting
    return dialog(
        D.close_open,
        D.close_close,
        T("tw.meeting.close"),
        rx.form(
            rx.vstack(
                hint("tw.meeting.close_hint"),
                labelled("tw.meeting.minutes", text_area("minutes", rows="6", max_length=20000, default=m["minutes"], id="close-minutes"), err.get("minutes", ""), required=True),
                labelled("tw.meeting.attendees_count", rx.input(name="attendees_count", type="number", min=1, max=10000, default_value=m["attendees_count"], width="100%", id="close-count"), err.get("attendees_count", ""), required=True),
                field_error(err.get("items", "")),
                form_error(err),
                dialog_buttons("tw.meeting.close", submit_id="close-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=D.submit_close,
            width="100%",
        ),
    )


def meeting_body() -> rx.Component:
    m = D.meeting
    return rx.vstack(
        card(
            rx.hstack(
                rx.badge(UiState.t[m["kind_key"]], variant="surface"),
                rx.cond(m["service_area"] != "", rx.badge(m["service_area"], color_scheme="purple", variant="soft")),
                rx.cond(m["status"] == "closed", rx.badge(T("tw.meeting.closed"), color_scheme="gray"), rx.badge(T("tw.meeting.open"), color_scheme="amber")),
                rx.spacer(),
                rx.cond(
                    D.can_edit,
                    rx.hstack(
                        rx.button(rx.icon("pencil", size=14), T("tw.edit"), on_click=D.open_edit, variant="soft", size="2"),
                        rx.button(rx.icon("lock", size=14), T("tw.meeting.close"), on_click=D.open_close, size="2", id="meeting-close"),
                        spacing="2",
                    ),
                ),
                spacing="2",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.heading(m["title"], size="5"),
            meta("tw.meeting.held_on", m["held_on"]),
            meta("tw.meeting.area", m["area"]),
            meta("tw.meeting.place", m["place"]),
            meta("tw.meeting.host", m["host"]),
            meta("tw.meeting.attendees_count", rx.cond(m["attendees_count"] != "", m["attendees_count"], "—")),
            rx.cond(m["closed_at"] != "", meta("tw.meeting.closed_at", m["closed_at"])),
            paragraph("tw.meeting.attendees", m["attendees"]),
            paragraph("tw.meeting.agenda", m["agenda"]),
            paragraph("tw.meeting.minutes", m["minutes"]),
            padding="14px",
        ),
        card(
            card_title("tw.meeting.items", counts_badges(D.counts), icon="list-checks"),
            rx.cond(D.items.length() > 0, rx.vstack(rx.foreach(D.items, item_card), spacing="2", width="100%"), empty_state(T("tw.item.none"))),
            add_item_form(),
            padding="12px",
        ),
        answer_dialog(),
        raise_dialog(),
        edit_dialog(),
        close_dialog(),
        item_media_dialog(D.items.length()),
        spacing="3",
        width="100%",
    )


@app_page(route="/meetings/[meeting_id]", title="民情恳谈", roles=TEAMWORK_ROLES, on_load=[MeetingDetailState.load])
def meeting_detail_page() -> rx.Component:
    return rx.vstack(
        back_link("/meetings", "tw.meeting.back"),
        rx.cond(
            D.found,
            meeting_body(),
            rx.cond(D.loading, rx.center(rx.spinner(size="3"), padding="40px", width="100%"), empty_state(T("tw.not_found"))),
        ),
        spacing="3",
        width="100%",
        max_width="960px",
    )
