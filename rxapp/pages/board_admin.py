"""/board-admin — leaders publish a community's monthly notice board (which
freezes it) and see the two-way scores per team and month. Layout only."""

import reflex as rx

from rxapp.components.layout import app_page
from rxapp.pages.public import PRINT_CSS, board_table, card, error_box, native_select
from rxapp.state.public import BoardAdminState as B


def scores_table() -> rx.Component:
    heads = ("服务团队", "评价类型", "条数", "平均分", "满意率", "诉求合理", "群众配合")
    keys = ("team", "kind", "n", "mean", "good", "reasonable", "cooperative")
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(h) for h in heads])),
            rx.el.tbody(rx.foreach(B.scores, lambda r: rx.el.tr(*[rx.el.td(r[k]) for k in keys]))),
            class_name="board-table",
            id="scores-table",
        ),
        overflow_x="auto",
        width="100%",
    )


@app_page("/board-admin", "公示栏发布", roles=("leader", "admin"), on_load=[B.load])
def board_admin() -> rx.Component:
    return rx.vstack(
        rx.el.style(PRINT_CSS),
        rx.heading("公示栏发布与双向评价", size="6"),
        rx.flex(
            native_select(B.b_districts, B.b_district, B.pick_district, "选择区县", "admin-district"),
            native_select(B.b_townships, B.b_township, B.pick_township, "选择乡镇街道", "admin-township"),
            native_select(B.b_communities, B.b_community, B.pick_community, "选择社区村", "admin-community"),
            rx.input(type="month", value=B.b_month, on_change=B.set_month, id="admin-month", width="160px"),
            gap="2",
            wrap="wrap",
        ),
        error_box(B.error),
        rx.cond(B.info != "", rx.callout(B.info, icon="circle-check", color_scheme="green", size="1", id="publish-info")),
        rx.cond(
            B.b_community != "",
            card(
                rx.hstack(
                    rx.heading(rx.cond(B.published, "已发布（已冻结）", "预览（未发布）"), size="4"),
                    rx.spacer(),
                    rx.cond(
                        B.published,
                        rx.badge("公众可见", color_scheme="green"),
                        rx.button("发布本月公示栏", on_click=B.publish, id="publish-board"),
                    ),
                    width="100%",
                    align="center",
                ),
                board_table(B.preview, B.preview_teams),
            ),
        ),
        card(
            rx.heading("双向评价（本月，所选区域各服务团队）", size="4", margin_bottom="8px"),
            rx.cond(B.scores.length() > 0, scores_table(), rx.text("请选择区域；暂无评价数据时为空。", color_scheme="gray")),
        ),
        spacing="4",
        width="100%",
    )
