"""/cases/new — staff intake (受理登记): requester, place, content with the
live category suggestion, optional category override."""

import reflex as rx

from rxapp.components.case_widgets import card, card_title, option_select
from rxapp.components.intake_assist import intake_assist_panel
from rxapp.components.layout import app_page, page_title
from rxapp.components.widgets import field_error, labelled
from rxapp.models import AreaLevel
from rxapp.components.maps import place_picker
from rxapp.state.base import T
from rxapp.state.case_common import INTAKE_CHANNELS, INTAKE_ROLES, NONE
from rxapp.state.case_new import CaseNewState
from rxapp.state.intake_assist import IntakeAssistState

S = CaseNewState


def link_banner() -> rx.Component:
    return rx.cond(
        S.link_label != "",
        rx.callout(
            rx.hstack(
                rx.text(T("cases.new.from_visit"), S.link_label),
                rx.spacer(),
                rx.button(T("cases.new.unlink"), variant="ghost", size="1", on_click=S.clear_link, type="button"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            icon="footprints",
            color_scheme="green",
            width="100%",
        ),
    )


def requester_fields() -> rx.Component:
    err = S.errors
    return card(
        card_title("cases.new.requester"),
        rx.grid(
            labelled(
                "cases.new.channel",
                rx.select.root(
                    rx.select.trigger(width="100%", id="intake-channel"),
                    rx.select.content(*[rx.select.item(T(f"cases.channel.{c}"), value=c) for c in INTAKE_CHANNELS]),
                    value=S.channel,
                    on_change=S.set_channel,
                    disabled=S.link_label != "",
                ),
                err.get("channel", ""),
            ),
            labelled(
                "cases.new.name",
                rx.input(name="requester_name", default_value=S.requester_name, max_length=32, width="100%", id="intake-name"),
                err.get("requester_name", ""),
            ),
            labelled(
                "cases.new.phone",
                rx.input(
                    name="requester_phone",
                    default_value=S.requester_phone,
                    max_length=20,
                    type="tel",
                    input_mode="tel",
                    placeholder=T("cases.new.phone_placeholder"),
                    width="100%",
                    id="intake-phone",
                    on_blur=IntakeAssistState.lookup_phone,  # caller history, duplicates by phone
                ),
                err.get("requester_phone", ""),
            ),
            labelled(
                "cases.new.address",
                rx.input(name="requester_address", default_value=S.requester_address, max_length=128, width="100%", id="intake-address"),
                err.get("requester_address", ""),
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
    )


def place_fields() -> rx.Component:
    err = S.errors
    township = labelled(
        "cases.new.township",
        option_select(rx.cond(S.township == NONE, "", S.township), S.set_township, S.township_options, trigger_id="intake-township"),
    )
    community = labelled(
        "cases.new.community",
        option_select(
            rx.cond(S.community == NONE, "", S.community),
            S.set_community,
            S.community_options,
            disabled=S.community_options.length() == 0,
            trigger_id="intake-community",
        ),
    )
    grid = labelled(
        "cases.new.grid",
        option_select(
            rx.cond(S.grid == NONE, "", S.grid),
            S.set_grid,
            S.grid_options,
            disabled=S.grid_options.length() == 0,
            trigger_id="intake-grid",
        ),
    )
    return card(
        card_title("cases.new.place"),
        place_picker(staff=True),
        rx.cond(
            S.cascade == "fixed",
            rx.hstack(rx.icon("map-pin", size=16), rx.text(T("cases.new.grid"), T("punct.colon"), S.fixed_label, id="intake-fixed-grid"), align="center"),
            rx.vstack(
                rx.cond(
                    S.fixed_label != "",
                    rx.text(T("cases.new.within"), S.fixed_label, size="2", color_scheme="gray"),
                ),
                rx.grid(
                    rx.cond(S.cascade == AreaLevel.TOWNSHIP, township),
                    rx.cond((S.cascade == AreaLevel.TOWNSHIP) | (S.cascade == AreaLevel.COMMUNITY), community),
                    grid,
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        field_error(err.get("grid_id", "")),
    )


def suggestion_panel() -> rx.Component:
    sug = S.suggestion
    return rx.box(
        rx.cond(
            sug.contains("code"),
            rx.vstack(
                rx.hstack(
                    rx.icon("sparkles", size=16, color=rx.color("accent", 10)),
                    rx.text(T("cases.new.suggested"), size="2"),
                    rx.badge(sug["name"], size="2", id="suggestion-code", custom_attrs={"data-code": sug["code"]}),
                    rx.text(T("cases.new.confidence"), " ", sug["confidence"], "%", size="2", color_scheme="gray"),
                    wrap="wrap",
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    sug["terms"] != "",
                    rx.text(T("cases.new.terms"), sug["terms"], size="1", color_scheme="gray"),
                ),
                rx.cond(
                    S.category_override != NONE,
                    rx.text(T("cases.new.override_hint"), size="1", color_scheme="orange"),
                    rx.cond(
                        sug["auto"] == "1",
                        rx.text(T("cases.new.auto_hint"), size="1", color_scheme="green"),
                        rx.text(T("cases.new.triage_hint"), size="1", color_scheme="orange"),
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            rx.text(T("cases.new.suggest_empty"), size="2", color_scheme="gray"),
        ),
        background=rx.color("accent", 2),
        border=f"1px dashed {rx.color('accent', 6)}",
        border_radius="8px",
        padding="10px 12px",
        width="100%",
        id="suggestion",
    )


def content_fields() -> rx.Component:
    err = S.errors
    return card(
        card_title("cases.new.content"),
        rx.text_area(
            name="content",
            value=S.content,
            on_change=[S.set_content, IntakeAssistState.check_text],  # 可能重复 as the text is typed
            debounce_timeout=300,
            placeholder=T("cases.new.content_placeholder"),
            rows="6",
            max_length=2000,
            width="100%",
            id="intake-content",
        ),
        field_error(err.get("content", "")),
        suggestion_panel(),
        labelled(
            "cases.new.category_override",
            option_select(S.category_override, S.set_category_override, S.category_options, first=(NONE, "cases.new.use_suggestion"), trigger_id="intake-category"),
            err.get("category_code", ""),
            max_width="420px",
        ),
    )


def intake_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            link_banner(),
            requester_fields(),
            place_fields(),
            content_fields(),
            intake_assist_panel(),
            rx.cond(S.errors.contains("form"), rx.callout(S.errors.get("form", ""), icon="triangle-alert", color_scheme="red", width="100%")),
            rx.el.input(type="hidden", name="nonce", value=S.nonce),
            rx.hstack(
                rx.link(rx.button(T("common.cancel"), variant="soft", color_scheme="gray", type="button"), href="/cases"),
                rx.button(rx.icon("send", size=16), T("cases.new.submit"), type="submit", loading=S.submitting, size="3", id="intake-submit"),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=[S.submit, IntakeAssistState.after_submit],  # then link to a chosen duplicate
        key=S.form_key,
        width="100%",
    )


@app_page(route="/cases/new", title="受理登记", roles=INTAKE_ROLES, on_load=[CaseNewState.load])
def case_new() -> rx.Component:
    return rx.vstack(
        page_title("cases.new.title"),
        rx.text(T("cases.new.help"), size="2", color_scheme="gray"),
        rx.text(rx.icon("camera", size=14), " ", T("media.intake_hint"), size="2", color_scheme="gray"),
        rx.cond(
            S.ready,
            intake_form(),
            rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")), padding="48px", width="100%"),
        ),
        spacing="3",
        width="100%",
        max_width="960px",
    )

