"""/party — 阳光党员 handbook (staff): a party member's linked households'
requests and how each was resolved, and the monthly assessment entry. Layout only."""

import reflex as rx

from rxapp.components.layout import app_page
from rxapp.domain.public import ASSESS_KINDS, HANDBOOK_ROLES
from rxapp.pages.public import PRINT_CSS, card, error_box, labelled, native_select
from rxapp.state.public import PartyHandbookState as H


def cases_table() -> rx.Component:
    heads = ("编号", "住户地址", "诉求内容", "状态", "办理结果", "承诺兑现", "评价")
    keys = ("code", "household", "content", "status", "result", "promise", "satisfaction")
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(h) for h in heads])),
            rx.el.tbody(rx.foreach(H.hb_cases, lambda r: rx.el.tr(*[rx.el.td(r[k]) for k in keys]))),
            class_name="board-table",
            id="handbook-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def assess_form() -> rx.Component:
    return rx.el.form(
        rx.flex(
            labelled("评议类型", rx.el.select(*[rx.el.option(label, value=k) for k, label in ASSESS_KINDS.items()], name="kind", id="assess-kind", style={"padding": "6px"})),
            labelled("月份", rx.input(type="month", name="period", id="assess-period", required=True)),
            labelled("评分", rx.el.select(*[rx.el.option(f"{i}分", value=str(i)) for i in (5, 4, 3, 2, 1)], name="score", id="assess-score", style={"padding": "6px"})),
            labelled("意见", rx.input(name="comment", id="assess-comment", max_length=500)),
            rx.button("录入评议", type="submit", id="assess-submit"),
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
        rx.heading("阳光党员手册", size="6"),
        native_select(H.members, H.member_id, H.pick_member, "选择党员", "party-member"),
        error_box(H.error),
        rx.cond(H.info != "", rx.callout(H.info, icon="circle-check", color_scheme="green", size="1")),
        rx.cond(
            H.member_id != "",
            rx.vstack(
                card(rx.heading(H.member_name + " 联系户的诉求", size="4", margin_bottom="8px"), cases_table()),
                card(
                    rx.heading("月度评议（社区党组织、户代表）", size="4", margin_bottom="8px"),
                    rx.cond(H.can_assess, assess_form()),
                    rx.el.table(
                        rx.el.thead(rx.el.tr(rx.el.th("月份"), rx.el.th("类型"), rx.el.th("评分"), rx.el.th("意见"))),
                        rx.el.tbody(rx.foreach(H.assessments, lambda a: rx.el.tr(rx.el.td(a["period"]), rx.el.td(a["kind"]), rx.el.td(a["score"]), rx.el.td(a["comment"])))),
                        class_name="board-table",
                        margin_top="12px",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )
