"""Public pages (no login): /public, /public/board, /public/submit,
/public/track, /public/evaluate — layout only, in a light public shell."""

from collections.abc import Callable

import reflex as rx

from rxapp.components import styles
from rxapp.state.public import (
    PublicBoardState,
    PublicEvaluateState,
    PublicHomeState,
    PublicSubmitState,
    PublicTrackState,
)

PUBLIC_NAV = [
    ("首页", "/public"),
    ("公示栏", "/public/board"),
    ("我要反映", "/public/submit"),
    ("进度查询", "/public/track"),
    ("评价", "/public/evaluate"),
]

PRINT_CSS = """
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  .no-print { display: none !important; }
  body, .public-main { background: #fff !important; }
  .board-table { font-size: 10pt; width: 100%; border-collapse: collapse; }
  .board-table th, .board-table td { border: 1px solid #444; padding: 3px 5px; }
}
.board-table { width: 100%; border-collapse: collapse; font-size: 14px; }
.board-table th, .board-table td { border: 1px solid var(--gray-6); padding: 6px 8px; text-align: left; vertical-align: top; }
.board-table th { background: var(--gray-3); white-space: nowrap; }
"""


def public_header() -> rx.Component:
    return rx.box(
        rx.flex(
            rx.link(
                rx.hstack(
                    rx.icon("grid-3x3", size=22, color=rx.color("accent", 10)),
                    rx.text("舟山网格服务 · 公开", weight="bold", size="4"),
                    align="center",
                    spacing="2",
                ),
                href="/public",
                underline="none",
                color=rx.color("gray", 12),
            ),
            rx.flex(
                *[rx.link(label, href=href, size="3", underline="none", padding="4px 8px") for label, href in PUBLIC_NAV],
                wrap="wrap",
                gap="1",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            gap="2",
            width="100%",
            max_width="1200px",
            margin="0 auto",
        ),
        class_name="no-print",
        padding="10px 16px",
        background=rx.color("gray", 1),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
    )


def public_page(route: str, title: str, on_load=None) -> Callable:
    """Register a public page with the public shell (no login, no staff state)."""

    def decorate(content_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return rx.box(
                rx.el.style(PRINT_CSS),
                public_header(),
                rx.box(
                    content_fn(),
                    width="100%",
                    max_width="1200px",
                    margin="0 auto",
                    padding=["12px", "16px", "24px"],
                    class_name="public-main",
                ),
                rx.center(
                    rx.text("网格服务平台 · 个人信息已隐去 · 诉求热线 12345", size="1", color_scheme="gray"),
                    padding="24px",
                    class_name="no-print",
                ),
                background=styles.PAGE_BACKGROUND,
                min_height="100vh",
            )

        page.__name__ = "public_" + content_fn.__name__
        rx.page(route=route, title=f"{title} · 舟山网格服务", on_load=on_load)(page)
        return page

    return decorate


def card(*children, **props) -> rx.Component:
    return rx.box(*children, **{**styles.CARD, "width": "100%", **props})


def native_select(options, value, on_change, placeholder: str, id: str) -> rx.Component:
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["id"])),
        value=value,
        on_change=on_change,
        id=id,
        name=id,
        style={"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}", "min_width": "150px", "background": rx.color("gray", 1)},
    )


def error_box(message) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="triangle-alert", color_scheme="red", size="1", width="100%", class_name="form-error"))


# ============================================================================
# /public
# ============================================================================
def kpi_table() -> rx.Component:
    H = PublicHomeState
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(h) for h in ("区域", "期间", "受理件", "办结率", "按时办结率", "满意率")])),
            rx.el.tbody(
                rx.foreach(
                    H.lines,
                    lambda r: rx.el.tr(
                        rx.el.td(r["area"]), rx.el.td(r["period"]), rx.el.td(r["accepted"]),
                        rx.el.td(r["completion"]), rx.el.td(r["on_time"]), rx.el.td(r["satisfaction"]),
                    ),
                )
            ),
            class_name="board-table",
        ),
        overflow_x="auto",
        width="100%",
    )


def rate_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="办结率", fill="#3b82f6", is_animation_active=False),
        rx.recharts.bar(data_key="按时办结率", fill="#10b981", is_animation_active=False),
        rx.recharts.bar(data_key="满意率", fill="#f59e0b", is_animation_active=False),
        rx.recharts.x_axis(data_key="area"),
        rx.recharts.y_axis(domain=[0, 100]),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        data=PublicHomeState.chart,
        width="100%",
        height=280,
    )


def category_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="count", fill="#6366f1", is_animation_active=False, name="件数"),
        rx.recharts.x_axis(type_="number"),
        rx.recharts.y_axis(data_key="category", type_="category", width=150),
        rx.recharts.graphing_tooltip(),
        data=PublicHomeState.categories,
        layout="vertical",
        width="100%",
        height=300,
    )


@public_page("/public", "群众诉求公开", on_load=PublicHomeState.load)
def home() -> rx.Component:
    return rx.vstack(
        rx.heading("群众诉求办理情况公开", size="6"),
        rx.hstack(
            rx.text("查看区域：", size="2"),
            native_select(PublicHomeState.districts, PublicHomeState.area_id, PublicHomeState.pick_area, "全市（各区县）", "home-area"),
            rx.text("选择区县可查看其乡镇街道", size="1", color_scheme="gray"),
            align="center",
            wrap="wrap",
        ),
        rx.text("办结率 = 已办结 ÷ 已受理；按时办结率 = 按期办结 ÷ 已办结；满意率 = 满意或基本满意 ÷ 已评价。", size="2", color_scheme="gray"),
        card(rx.heading("本年办结率、按时办结率、满意率（%）", size="3"), rate_chart()),
        card(rx.heading("本月与本年", size="3", margin_bottom="8px"), kpi_table()),
        card(
            rx.heading("群众反映最多的类别（本年）", size="3"),
            rx.cond(PublicHomeState.categories.length() > 0, category_chart(), rx.text("暂无数据", color_scheme="gray")),
        ),
        card(
            rx.heading("如何反映和查询", size="3", margin_bottom="8px"),
            rx.ordered_list(
                rx.list_item("在「我要反映」填写诉求和手机号，提交后页面和短信都会给出诉求编号。"),
                rx.list_item("受理后，承办部门会公开承诺办结时间（一事一诺）。"),
                rx.list_item("在「进度查询」输入编号和手机后四位，查看办理进度。"),
                rx.list_item("办结后，在「评价」页面凭编号和短信验证码评价（一事一评）。"),
            ),
            rx.hstack(
                rx.link(rx.button("我要反映"), href="/public/submit"),
                rx.link(rx.button("进度查询", variant="soft"), href="/public/track"),
                rx.link(rx.button("月度公示栏", variant="soft"), href="/public/board"),
                margin_top="8px",
                wrap="wrap",
            ),
        ),
        card(
            rx.heading("阳光党员：联户诉求超期未办结", size="3", margin_bottom="8px"),
            rx.cond(
                PublicHomeState.party.length() > 0,
                rx.el.table(
                    rx.el.thead(rx.el.tr(rx.el.th("联户党员"), rx.el.th("服务团队"), rx.el.th("超期件"))),
                    rx.el.tbody(rx.foreach(PublicHomeState.party, lambda p: rx.el.tr(rx.el.td(p["member"]), rx.el.td(p["team"]), rx.el.td(p["overdue"])))),
                    class_name="board-table",
                ),
                rx.text("目前没有超期未办结的联户诉求。", color_scheme="gray"),
            ),
        ),
        spacing="4",
        width="100%",
    )


# ============================================================================
# /public/board
# ============================================================================
def board_pickers() -> rx.Component:
    B = PublicBoardState
    return rx.flex(
        native_select(B.districts, B.district_id, B.pick_district, "选择区县", "pick-district"),
        native_select(B.townships, B.township_id, B.pick_township, "选择乡镇街道", "pick-township"),
        native_select(B.communities, B.community_id, B.pick_community, "选择社区村", "pick-community"),
        rx.el.select(
            rx.el.option("选择月份", value=""),
            rx.foreach(B.months, lambda m: rx.el.option(m, value=m)),
            value=B.month,
            on_change=B.pick_month,
            id="pick-month",
            style={"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}", "min_width": "120px"},
        ),
        gap="2",
        wrap="wrap",
        class_name="no-print",
    )


def board_table(rows, teams) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(*[rx.el.th(h) for h in ("编号", "诉求内容", "类别", "状态", "办结/承诺时间或原因", "承诺兑现", "评价", "评分")])
                ),
                rx.el.tbody(
                    rx.foreach(
                        rows,
                        lambda r: rx.el.tr(
                            rx.el.td(r["code"]), rx.el.td(r["summary"]), rx.el.td(r["category"]), rx.el.td(r["status"]),
                            rx.el.td(r["outcome"]), rx.el.td(r["promise"]), rx.el.td(r["satisfaction"]), rx.el.td(r["score"]),
                        ),
                    )
                ),
                class_name="board-table",
                id="board-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.heading("服务团队走访与民情日记", size="3"),
        rx.el.table(
            rx.el.thead(rx.el.tr(rx.el.th("服务团队"), rx.el.th("走访次数"), rx.el.th("日记篇数"))),
            rx.el.tbody(rx.foreach(teams, lambda t: rx.el.tr(rx.el.td(t["team"]), rx.el.td(t["visits"]), rx.el.td(t["diaries"])))),
            class_name="board-table",
        ),
        width="100%",
        spacing="3",
    )


@public_page("/public/board", "月度公示栏", on_load=PublicBoardState.load)
def board() -> rx.Component:
    B = PublicBoardState
    return rx.vstack(
        rx.heading("月度公示栏（上墙公示）", size="6", class_name="no-print"),
        board_pickers(),
        rx.cond(B.message != "", rx.callout(B.message, icon="info", size="1")),
        rx.cond(
            B.month != "",
            card(
                rx.hstack(
                    rx.heading(B.community_name + " " + B.month + " 群众诉求办理公示", size="5"),
                    rx.spacer(),
                    rx.hstack(
                        rx.button(rx.icon("printer", size=16), "打印", variant="soft", on_click=rx.call_script("window.print()")),
                        rx.link(rx.button(rx.icon("download", size=16), "下载Excel", variant="soft"), href=B.xlsx_url, is_external=True, id="board-xlsx"),
                        class_name="no-print",
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.text("发布时间：" + B.published_at + "（已隐去个人信息）", size="1", color_scheme="gray"),
                board_table(B.rows, B.teams),
            ),
        ),
        spacing="4",
        width="100%",
    )


# ============================================================================
# /public/submit
# ============================================================================
def labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


@public_page("/public/submit", "我要反映", on_load=PublicSubmitState.load)
def submit() -> rx.Component:
    S = PublicSubmitState
    form = rx.el.form(
        rx.vstack(
            labelled(
                "所在网格（必选）",
                rx.flex(
                    native_select(S.districts, S.district_id, S.pick_district, "区县", "submit-district"),
                    native_select(S.townships, S.township_id, S.pick_township, "乡镇街道", "submit-township"),
                    native_select(S.communities, S.community_id, S.pick_community, "社区村", "submit-community"),
                    native_select(S.grids, S.grid_id, S.pick_grid, "网格", "submit-grid"),
                    gap="2",
                    wrap="wrap",
                ),
            ),
            labelled("诉求内容（必填）", rx.text_area(name="content", id="submit-content", rows="5", max_length=2000, width="100%", required=True)),
            labelled("手机号码（必填，用于接收编号和办理结果，不会公开）", rx.input(name="phone", id="submit-phone", type="tel", max_length=20, width="100%", required=True)),
            labelled("称呼（选填，不会公开）", rx.input(name="name", id="submit-name", max_length=32, width="100%")),
            labelled("地址（选填，公开时只显示到社区）", rx.input(name="address", id="submit-address", max_length=128, width="100%")),
            error_box(S.error),
            rx.button("提交", type="submit", size="3", id="submit-button"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit,
        reset_on_submit=False,
        width="100%",
    )
    done = rx.vstack(
        rx.callout("提交成功，请记下您的诉求编号（短信也已发送）。", icon="circle-check", color_scheme="green", width="100%"),
        rx.heading(S.code, size="8", id="submitted-code"),
        rx.hstack(
            rx.link(rx.button("查询进度"), href="/public/track"),
            rx.button("再反映一件", variant="soft", on_click=S.again),
        ),
        spacing="3",
    )
    return rx.vstack(
        rx.heading("我要反映", size="6"),
        rx.text("同一手机号、同一地址每天最多提交5件。", size="2", color_scheme="gray"),
        card(rx.cond(S.code != "", done, form)),
        spacing="4",
        width="100%",
        max_width="720px",
    )


# ============================================================================
# /public/track
# ============================================================================
def case_card(case, timeline) -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(rx.heading(case["code"], size="5"), rx.badge(case["status_label"], size="2", id="track-status"), align="center", wrap="wrap"),
            rx.text(case["content"]),
            rx.text("类别：" + case["category"] + "　社区：" + case["community"] + "　承办：" + case["department"], size="2", color_scheme="gray"),
            rx.cond(
                case["promise_due"] != "",
                rx.callout(
                    "承诺：" + case["promise_text"] + "（" + case["promise_owner"] + "，" + case["promise_due"] + "前）— " + case["promise_state"],
                    icon="handshake",
                    size="1",
                    width="100%",
                ),
            ),
            rx.cond(case["result"] != "", rx.text("办理结果：" + case["result"])),
            rx.cond(case["score"] != "", rx.text("评价：" + case["satisfaction"] + "，" + case["score"] + "分", id="track-score")),
            rx.heading("办理过程", size="3"),
            rx.vstack(
                rx.foreach(
                    timeline,
                    lambda e: rx.box(
                        rx.text(e["at"] + "　" + e["action"] + "　" + e["by"], size="2", weight="medium"),
                        rx.text(e["note"], size="2", color_scheme="gray"),
                        border_left=f"3px solid {rx.color('accent', 7)}",
                        padding_left="10px",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.cond(
                case["can_evaluate"] == "True",
                rx.link(rx.button("去评价"), href="/public/evaluate?code=" + case["code"]),
            ),
            spacing="3",
            width="100%",
        )
    )


@public_page("/public/track", "进度查询")
def track() -> rx.Component:
    S = PublicTrackState
    return rx.vstack(
        rx.heading("进度查询", size="6"),
        card(
            rx.el.form(
                rx.flex(
                    rx.input(name="code", id="track-code", placeholder="诉求编号，如 ZS202611260001", max_length=20, width=["100%", "260px"]),
                    rx.input(name="tail", id="track-tail", placeholder="手机后四位", max_length=4, width=["100%", "140px"]),
                    rx.button("查询", type="submit", id="track-button"),
                    gap="2",
                    wrap="wrap",
                ),
                on_submit=S.track,
                reset_on_submit=False,
            ),
        ),
        error_box(S.error),
        rx.cond(S.case.contains("code"), case_card(S.case, S.timeline)),
        spacing="4",
        width="100%",
        max_width="860px",
    )


# ============================================================================
# /public/evaluate
# ============================================================================
@public_page("/public/evaluate", "评价", on_load=PublicEvaluateState.load)
def evaluate() -> rx.Component:
    S = PublicEvaluateState
    step1 = rx.el.form(
        rx.vstack(
            rx.text("输入诉求编号和手机后四位，我们会向该手机发送6位验证码。", size="2"),
            rx.flex(
                rx.input(name="code", id="eval-code", default_value=S.code, placeholder="诉求编号", max_length=20, width=["100%", "260px"]),
                rx.input(name="tail", id="eval-tail", placeholder="手机后四位", max_length=4, width=["100%", "140px"]),
                rx.button("获取验证码", type="submit", id="eval-request"),
                gap="2",
                wrap="wrap",
            ),
            spacing="2",
        ),
        on_submit=S.request_code,
        reset_on_submit=False,
    )
    step2 = rx.el.form(
        rx.vstack(
            rx.text("诉求 " + S.code, weight="medium"),
            labelled("短信验证码", rx.input(name="otp", id="eval-otp", max_length=6, width="160px")),
            labelled(
                "满意程度",
                rx.radio_group.root(
                    rx.flex(
                        rx.radio_group.item(value="satisfied", id="sat-satisfied"), rx.text("满意"),
                        rx.radio_group.item(value="basic", id="sat-basic"), rx.text("基本满意"),
                        rx.radio_group.item(value="unsatisfied", id="sat-unsatisfied"), rx.text("不满意"),
                        gap="2",
                        align="center",
                    ),
                    name="satisfaction",
                    default_value="satisfied",
                ),
            ),
            labelled(
                "评分（1-5分）",
                rx.el.select(*[rx.el.option(f"{i}分", value=str(i)) for i in (5, 4, 3, 2, 1)], name="score", id="eval-score", style={"padding": "6px"}),
            ),
            labelled("意见（选填，不公开个人信息）", rx.text_area(name="comment", id="eval-comment", max_length=500, width="100%")),
            rx.button("提交评价", type="submit", id="eval-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.evaluate,
        reset_on_submit=False,
    )
    done = rx.vstack(
        rx.callout("感谢您的评价！", icon="circle-check", color_scheme="green", width="100%", id="eval-done"),
        rx.text("诉求 " + S.result["code"] + " 当前状态：" + S.result["status_label"]),
        rx.text("您的评价：" + S.result["satisfaction"] + "，" + S.result["score"] + "分"),
    )
    return rx.vstack(
        rx.heading("办理结果评价（一事一评）", size="6"),
        rx.cond(S.info != "", rx.callout(S.info, icon="info", size="1", width="100%")),
        error_box(S.error),
        card(rx.match(S.step, (1, step1), (2, step2), done)),
        spacing="4",
        width="100%",
        max_width="720px",
    )
