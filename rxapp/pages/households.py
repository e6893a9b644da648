"""/households, /households/[household_id] — 住户台账 and 技能查询: layout only."""

import reflex as rx

from rxapp.components.pager import list_pager, pager
from rxapp.components.layout import app_page, page_title
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
    static_select,
    table,
    text_area,
)
from rxapp.components.widgets import empty_state, labelled
from rxapp.state.base import T
from rxapp.state.households import GENDER_NONE, HouseholdDetailState, HouseholdsState
from rxapp.state.teamwork import TEAMWORK_ROLES

S = HouseholdsState
D = HouseholdDetailState
GENDERS = [(GENDER_NONE, "tw.gender.none"), ("男", "tw.gender.male"), ("女", "tw.gender.female")]


def household_fields(err, values=None, with_grid=False) -> rx.Component:
    v = values if values is not None else {}

    def val(key):
        return v[key] if values is not None else ""

    return rx.vstack(
        *(
            [labelled("tw.grid", named_select("grid_id", S.grid_options), err.get("grid_id", ""), required=True)]
            if with_grid
            else []
        ),
        labelled("tw.hh.representative", rx.input(name="representative", default_value=val("representative"), max_length=40, width="100%", id="hh-representative"), err.get("representative", ""), required=True),
        labelled("tw.hh.address", rx.input(name="address", default_value=val("address"), max_length=140, width="100%", id="hh-address"), err.get("address", ""), required=True),
        rx.grid(
            labelled("tw.hh.phone", rx.input(name="phone", default_value=val("phone"), max_length=20, type="tel", width="100%"), err.get("phone", "")),
            labelled("tw.hh.size", rx.input(name="size", default_value=val("size") if values is not None else "1", type="number", min=1, max=30, width="100%"), err.get("size", "")),
            columns="2",
            spacing="3",
            width="100%",
        ),
        labelled("tw.hh.needs", rx.input(name="needs", default_value=val("needs"), max_length=128, placeholder=T("tw.hh.needs_placeholder"), width="100%"), err.get("needs", "")),
        labelled("tw.hh.notes", text_area("notes", rows="2", max_length=500, default=val("notes")), err.get("notes", "")),
        spacing="3",
        width="100%",
    )


def create_dialog() -> rx.Component:
    err = S.create_errors
    return dialog(
        S.create_open,
        S.close_create,
        T("tw.households.new"),
        rx.form(
            rx.vstack(
                rx.cond(S.grid_options.length() > 0, household_fields(err, with_grid=True), household_fields(err)),
                form_error(err),
                dialog_buttons("common.create", submit_id="hh-create-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.submit_create,
            width="100%",
        ),
    )


def household_row(h) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(h["representative"], href="/households/" + h["id"], weight="medium"), white_space="nowrap"),
        rx.table.cell(h["address"], min_width="160px"),
        rx.table.cell(h["phone"], white_space="nowrap"),
        rx.table.cell(h["size"], text_align="right"),
        rx.table.cell(h["residents"], text_align="right"),
        rx.table.cell(rx.cond(h["needs"] != "", rx.badge(h["needs"], color_scheme="orange", variant="soft"))),
        rx.table.cell(h["grid"], white_space="nowrap"),
        rx.table.cell(h["party"], white_space="nowrap"),
    )


def registry_tab() -> rx.Component:
    return card(
        rx.form(
            rx.flex(
                rx.cond(
                    S.area_options.length() > 1,
                    rx.box(option_select(S.area, S.set_area, S.area_options, first=(ALL, "tw.area_all")), width=["100%", "240px"]),
                ),
                rx.input(name="need", default_value=S.need, placeholder=T("tw.hh.need_filter"), max_length=20, width=["100%", "150px"]),
                rx.cond(~S.is_leader, rx.input(name="query", default_value=S.query, placeholder=T("tw.hh.search"), max_length=40, width=["100%", "220px"], type="search")),
                rx.button(rx.icon("search", size=14), T("common.search"), type="submit", variant="soft"),
                rx.cond(S.loading, rx.spinner(size="2")),
                gap="8px",
                wrap="wrap",
                align="center",
                width="100%",
            ),
            on_submit=S.search,
            width="100%",
        ),
        rx.cond(S.is_leader, hint("tw.hh.masked_hint")),
        loading_or_empty(
            S.rows,
            S.loading,
            table(
                ["tw.hh.representative", "tw.hh.address", "tw.hh.phone", "tw.hh.size", "tw.hh.residents", "tw.hh.needs", "tw.grid", "tw.hh.party_link"],
                rx.foreach(S.rows, household_row),
            ),
        ),
        list_pager(S, "tw.total"),
        padding="12px",
    )


def skill_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["name"], white_space="nowrap"),
        rx.table.cell(r["gender"]),
        rx.table.cell(r["birth_year"]),
        rx.table.cell(rx.text(r["skills"], weight="medium")),
        rx.table.cell(r["specialties"]),
        rx.table.cell(rx.cond(r["party"] != "", rx.badge(T("tw.party"), color_scheme="red", variant="soft"))),
        rx.table.cell(r["phone"], white_space="nowrap"),
        rx.table.cell(rx.vstack(rx.text(r["community"], size="1"), rx.text(r["township"], size="1", color_scheme="gray"), spacing="0"), white_space="nowrap"),
        rx.table.cell(r["team"], white_space="nowrap"),
    )


def skills_tab() -> rx.Component:
    return card(
        hint("tw.skills.help"),
        rx.form(
            rx.flex(
                rx.input(name="skill", default_value=S.skill, placeholder=T("tw.skills.placeholder"), max_length=20, width=["100%", "200px"], id="skill-input"),
                rx.cond(
                    S.area_options.length() > 1,
                    rx.box(option_select(S.skill_area, S.set_skill_area, S.area_options, first=(ALL, "tw.area_all")), width=["100%", "240px"]),
                ),
                rx.button(rx.icon("search", size=14), T("tw.skills.search"), type="submit", id="skill-search"),
                rx.cond(S.skill_loading, rx.spinner(size="2")),
                rx.spacer(),
                rx.cond(
                    S.skill_total > 0,
                    rx.button(
                        rx.icon("file-spreadsheet", size=14),
                        T("tw.skills.export"),
                        on_click=rx.download(url=S.export_href),
                        variant="soft",
                        color_scheme="green",
                        type="button",
                        id="skill-export",
                    ),
                ),
                gap="8px",
                wrap="wrap",
                align="center",
                width="100%",
            ),
            on_submit=S.search_skill,
            width="100%",
        ),
        rx.cond(
            S.skill_searched,
            rx.vstack(
                loading_or_empty(
                    S.skill_rows,
                    S.skill_loading,
                    table(
                        ["tw.res.name", "tw.res.gender", "tw.res.birth_year", "tw.res.skills", "tw.res.specialties", "tw.party", "tw.hh.phone", "tw.area", "tw.team"],
                        rx.foreach(S.skill_rows, skill_row),
                    ),
                    empty_key="tw.skills.none",
                ),
                pager(T("tw.skills.total").replace("{n}", S.skill_total.to_string()), S.skill_page, S.skill_pages, S.go_skill_page, S.skill_loading),
                spacing="2",
                width="100%",
            ),
        ),
        padding="12px",
    )


@app_page(route="/households", title="住户台账", roles=TEAMWORK_ROLES, on_load=[HouseholdsState.load])
def households_page() -> rx.Component:
    return rx.vstack(
        page_title(
            "tw.households.title",
            rx.hstack(
                rx.link(rx.button(rx.icon("notebook-pen", size=16), T("nav.diary"), variant="soft"), href="/diary"),
                rx.cond(S.can_create, rx.button(rx.icon("house-plus", size=16), T("tw.households.new"), on_click=S.open_create, id="hh-new")),
                spacing="2",
                wrap="wrap",
                justify="end",
            ),
        ),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(rx.hstack(rx.icon("house", size=15), rx.text(T("tw.households.tab")), spacing="2", align="center"), value="registry"),
                rx.tabs.trigger(rx.hstack(rx.icon("hammer", size=15), rx.text(T("tw.skills.tab")), spacing="2", align="center"), value="skills", id="tab-skills"),
            ),
            rx.tabs.content(registry_tab(), value="registry", padding_top="12px"),
            rx.tabs.content(skills_tab(), value="skills", padding_top="12px"),
            value=S.tab,
            on_change=S.set_tab,
            width="100%",
        ),
        create_dialog(),
        spacing="3",
        width="100%",
    )


# ============================================================================
# /households/[household_id]
# ============================================================================
def resident_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["name"], weight="medium"), white_space="nowrap"),
        rx.table.cell(r["relation"]),
        rx.table.cell(r["gender"]),
        rx.table.cell(r["birth_year"]),
        rx.table.cell(r["phone"], white_space="nowrap"),
        rx.table.cell(r["skills"]),
        rx.table.cell(r["specialties"]),
        rx.table.cell(rx.cond(r["party"] != "", rx.badge(T("tw.party"), color_scheme="red", variant="soft"))),
        rx.table.cell(rx.cond(D.can_edit, rx.button(T("tw.edit"), on_click=D.open_resident(r["id"]), variant="ghost", size="1"))),
    )


def edit_dialog() -> rx.Component:
    err = D.edit_errors
    return dialog(
        D.edit_open,
        D.close_edit,
        T("tw.households.edit"),
        rx.form(
            rx.vstack(household_fields(err, D.household), form_error(err), dialog_buttons(), spacing="3", width="100%"),
            on_submit=D.submit_edit,
            width="100%",
        ),
    )


def resident_dialog() -> rx.Component:
    err = D.resident_errors
    v = D.resident_form
    return dialog(
        D.resident_mode != "",
        D.close_resident,
        rx.cond(D.resident_mode == "new", T("tw.res.new"), T("tw.res.edit")),
        rx.form(
            rx.vstack(
                rx.grid(
                    labelled("tw.res.name", rx.input(name="name", default_value=v["name"], max_length=40, width="100%", id="res-name"), err.get("name", ""), required=True),
                    labelled("tw.res.relation", rx.input(name="relation", default_value=v["relation"], max_length=16, placeholder=T("tw.res.relation_placeholder"), width="100%"), err.get("relation", "")),
                    labelled("tw.res.gender", static_select("gender", GENDERS, default=v["gender"]), err.get("gender", "")),
                    labelled("tw.res.birth_year", rx.input(name="birth_year", default_value=v["birth_year"], type="number", min=1900, max=2100, width="100%"), err.get("birth_year", "")),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                labelled("tw.hh.phone", rx.input(name="phone", default_value=v["phone"], max_length=20, type="tel", width="100%"), err.get("phone", "")),
                labelled("tw.res.skills", rx.input(name="skills", default_value=v["skills"], max_length=200, placeholder=T("tw.res.skills_placeholder"), width="100%", id="res-skills"), err.get("skills", "")),
                labelled("tw.res.specialties", rx.input(name="specialties", default_value=v["specialties"], max_length=200, width="100%"), err.get("specialties", "")),
                rx.el.label(
                    rx.hstack(rx.checkbox(name="party_member", default_checked=v["party_member"] != ""), rx.text(T("tw.party"), size="2"), spacing="2", align="center"),
                ),
                form_error(err),
                dialog_buttons(),
                spacing="3",
                width="100%",
            ),
            on_submit=D.submit_resident,
            key=D.resident_mode,
            width="100%",
        ),
    )


def household_body() -> rx.Component:
    h = D.household
    return rx.vstack(
        card(
            rx.hstack(
                rx.heading(h["representative"], size="5"),
                rx.spacer(),
                rx.cond(D.can_edit, rx.button(rx.icon("pencil", size=14), T("tw.edit"), on_click=D.open_edit, variant="soft", size="2")),
                width="100%",
                align="center",
            ),
            meta("tw.hh.address", h["address"]),
            meta("tw.hh.phone", h["phone"]),
            meta("tw.hh.size", h["size"]),
            meta("tw.grid", h["community"] + " · " + h["grid"]),
            rx.cond(h["needs"] != "", meta("tw.hh.needs", rx.badge(h["needs"], color_scheme="orange", variant="soft"))),
            rx.cond(h["party"] != "", meta("tw.hh.party_link", h["party"])),
            rx.cond(h["notes"] != "", meta("tw.hh.notes", h["notes"])),
            rx.cond(D.masked, hint("tw.hh.masked_hint")),
            padding="14px",
        ),
        card(
            card_title(
                "tw.res.title",
                rx.cond(D.can_edit, rx.button(rx.icon("user-plus", size=14), T("tw.res.new"), on_click=D.open_resident("new"), variant="soft", size="1", id="res-new")),
                icon="users",
            ),
            rx.cond(
                D.residents.length() > 0,
                table(
                    ["tw.res.name", "tw.res.relation", "tw.res.gender", "tw.res.birth_year", "tw.hh.phone", "tw.res.skills", "tw.res.specialties", "tw.party", "common.actions"],
                    rx.foreach(D.residents, resident_row),
                ),
                empty_state(T("common.none")),
            ),
            padding="12px",
        ),
        card(
            card_title("tw.hh.visits", icon="footprints"),
            rx.cond(
                D.visits.length() > 0,
                rx.vstack(
                    rx.foreach(
                        D.visits,
                        lambda v: rx.hstack(
                            rx.badge(v["day"], variant="soft"),
                            rx.text(v["member"], size="2", weight="medium"),
                            rx.text(v["note"], size="2", color_scheme="gray", word_break="break-word"),
                            rx.cond(v["diary_id"] != "", rx.link(rx.icon("external-link", size=14), href="/diary/" + v["diary_id"], aria_label=T("a11y.open_diary"))),
                            spacing="2",
                            align="center",
                            wrap="wrap",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                empty_state(T("tw.visit.none")),
            ),
            padding="12px",
        ),
        edit_dialog(),
        resident_dialog(),
        spacing="3",
        width="100%",
    )


@app_page(route="/households/[household_id]", title="住户", roles=TEAMWORK_ROLES, on_load=[HouseholdDetailState.load])
def household_detail_page() -> rx.Component:
    return rx.vstack(
        back_link("/households", "tw.households.back"),
        rx.cond(
            D.found,
            household_body(),
            rx.cond(D.loading, rx.center(rx.spinner(size="3"), padding="40px", width="100%"), empty_state(T("tw.not_found"))),
        ),
        spacing="3",
        width="100%",
        max_width="960px",
    )
