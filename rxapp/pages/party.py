"""/party — 阳光党员 handbook (staff): a party member's linked households'
requests and how each was resolved, and the monthly assessment entry. Layout only."""

import reflex as rx

from rxapp.components.layout import app_page
from rxapp.components.widgets import labelled
from rxapp.domain.public import ASSESS_KINDS, HANDBOOK_ROLES
from rxapp.pages.public import PRINT_CSS, card, data_table, error_box, fmt, month_select, msg, native_select
from rxapp.state.base import T
from rxapp.state.party import PartyHandbookState as H


def cases_table() -> rx.Component:
    heads = (
        "public.board.col.code",
        "public.party.col.household",
        "public.board.col.summary",
        "public.board.col.status",
        "public.party.col.result",
        "public.board.col.promise",
        "public.board.col.satisfaction",
    )
    keys = ("code", "household", "content", "status", "result", "promise", "satisfaction")
    return data_table(heads, H.hb_cases, lambda r: rx.el.tr(*[rx.el.td(r[k]) for k in keys]), "handbook-table")


def members_table() -> rx.Component:
    """Every party member in scope with the open requests of the households
    they are linked to (联户), most open first; a name opens the handbook."""
    heads = ("public.party.col.member", "public.col.team", "public.party.col.households", "public.party.col.open", "public.party.col.overdue")
    return data_table(
        heads,
        H.members,
        lambda m: rx.el.tr(
            rx.el.td(rx.button(m["name"], on_click=H.pick_member(m["id"]), variant="ghost", size="1", class_name="party-open")),
            rx.el.td(m["team"]),
            rx.el.td(m["households"]),
            rx.el.td(m["open"]),
            rx.el.td(rx.cond(m["overdue"] != "0", rx.text(m["overdue"], color_scheme="red", weight="bold"), m["overdue"])),
        ),
        "party-members",
        max_height="420px",
        overflow_y="auto",
    )


def assess_form() -> rx.Component:
    return rx.el.form(
        rx.flex(
            labelled("public.party.kind", rx.el.select(*[rx.el.option(T(f"public.party.kind.{k}"), value=k) for k in ASSESS_KINDS], name="kind", id="assess-kind", style={"padding": "6px"})),
            labelled("public.party.month", month_select(H.month_options, "assess-period")),
            labelled("public.board.col.score", rx.el.select(*[rx.el.option(fmt("public.score_n", n=str(i)), value=str(i)) for i in (5, 4, 3, 2, 1)], name="score", id="assess-score", style={"padding": "6px"})),
            labelled("public.party.comment", rx.input(name="comment", id="assess-comment", max_length=500)),
            rx.button(T("public.party.submit"), type="submit", id="assess-submit"),
            gap="3",
            wrap="wrap",
            align="end",
        ),
        on_submit=H.assess,
        reset_on_submit=False,
    )


@app_page("/party", "阳光党员", roles=HANDBOOK_ROLES, on_load=[H.load])
def party() -> rx.Component:
    return rx.vstack(
        rx.el.style(PRINT_CSS),
        rx.heading(T("public.party.heading"), size="6"),
        native_select(H.members, H.member_id, H.pick_member, T("public.party.pick"), "party-member"),
        error_box(H.error),
        rx.cond(H.info != "", rx.callout(msg(H.info), icon="circle-check", color_scheme="green", size="1")),
        rx.cond(
            H.member_id != "",
            rx.vstack(
                card(rx.heading(fmt("public.party.cases_title", name=H.member_name), size="4", margin_bottom="8px"), cases_table()),
                card(
                    rx.heading(T("public.party.assess_title"), size="4", margin_bottom="8px"),
                    rx.cond(H.can_assess, assess_form()),
                    rx.el.table(
                        rx.el.thead(rx.el.tr(*[rx.el.th(T(h)) for h in ("public.party.month", "public.party.col.kind", "public.board.col.score", "public.party.comment")])),
                        rx.el.tbody(rx.foreach(H.assessments, lambda a: rx.el.tr(rx.el.td(a["period"]), rx.el.td(a["kind"]), rx.el.td(a["score"]), rx.el.td(a["comment"])))),
                        class_name="board-table",
                        margin_top="12px",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        card(rx.heading(T("public.party.members_title"), size="4", margin_bottom="8px"), members_table()),
        spacing="4",
        width="100%",
    )
