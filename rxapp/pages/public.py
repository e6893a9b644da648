"""Public pages (no login): /public, /public/board, /public/submit,
/public/track, /public/evaluate — layout only, in a light public shell."""

from collections.abc import Callable

import reflex as rx

from rxapp.components import styles
from rxapp.components.layout import demo_banner, language_switch
from rxapp.components.media import public_track_photos, resident_photo_uploader
from rxapp.components.maps import place_picker, public_map
from rxapp.components.widgets import labelled
from rxapp.state.base import T, UiState
from rxapp.state.public import (
    PublicBoardState,
    PublicEvaluateState,
    PublicHomeState,
    PublicSubmitState,
    PublicTrackState,
)

PUBLIC_NAV = [
    ("public.nav.home", "/public"),
    ("public.nav.board", "/public/board"),
    ("public.nav.submit", "/public/submit"),
    ("public.nav.track", "/public/track"),
    ("public.nav.evaluate", "/public/evaluate"),
]


def msg(value) -> rx.Var:
    """A state message: a catalog key (translated) or a server text (as is)."""
    return rx.cond(UiState.t.contains(value), UiState.t[value], value)


def fmt(key: str, **params) -> rx.Var:
    """A catalog text with {name} placeholders filled from vars."""
    out = T(key)
    for name, value in params.items():
        out = out.replace("{" + name + "}", value)
    return out

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
                    rx.text(T("public.brand"), weight="bold", size="4"),
                    align="center",
                    spacing="2",
                ),
                href="/public",
                underline="none",
                color=rx.color("gray", 12),
            ),
            rx.flex(
                *[rx.link(T(key), href=href, size="3", underline="none", padding="4px 8px") for key, href in PUBLIC_NAV],
                language_switch(),
                wrap="wrap",
                align="center",
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
                demo_banner(),
                public_header(),
                rx.el.main(
                    content_fn(),
                    width="100%",
                    max_width="1200px",
                    margin="0 auto",
                    padding=["12px", "16px", "24px"],
                    class_name="public-main",
                ),
                rx.center(
                    rx.text(T("public.footer"), size="1", color_scheme="gray"),
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
        aria_label=placeholder,  # the placeholder names the level it picks (区县, 乡镇街道 …)
        style={"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}", "min_width": "150px", "background": rx.color("gray", 1)},
    )


def month_select(options, id: str, *, name: str = "period", value=None, on_change=None, default_value=None, label=None) -> rx.Component:
    """A month from ``recent_months`` (labels in the UI's language; a native
    month input would follow the browser's locale: "December 2026").
    ``label`` names it when no visible ``labelled`` caption does."""
    props = {"value": value, "on_change": on_change} if on_change is not None else {"default_value": default_value}
    if label is not None:
        props["aria_label"] = label
    return rx.el.select(
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["id"])),
        id=id,
        name=name,
        required=True,
        style={"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}", "min_width": "140px", "background": rx.color("gray", 1)},
        **{k: v for k, v in props.items() if v is not None},
    )


def data_table(heads: tuple[str, ...], rows, row, table_id: str, **box) -> rx.Component:
    """A scrolling ``board-table``: catalog keys as headings, ``row(item)`` → a tr."""
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(T(h)) for h in heads])),
            rx.el.tbody(rx.foreach(rows, row)),
            class_name="board-table",
            id=table_id,
        ),
        overflow_x="auto",
        width="100%",
        **box,
    )


def error_box(message) -> rx.Component:
    return rx.cond(message != "", rx.callout(msg(message), icon="triangle-alert", color_scheme="red", size="1", width="100%", class_name="form-error"))


# ============================================================================
# /public
# ============================================================================
def kpi_table() -> rx.Component:
    H = PublicHomeState
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(T(f"public.home.col.{h}")) for h in ("area", "period", "accepted", "completion", "on_time", "satisfaction")])),
            rx.el.tbody(
                rx.foreach(
                    H.lines,
                    lambda r: rx.el.tr(
                        rx.el.td(r["area"], T("punct.open"), UiState.t[r["level_key"]], T("punct.close")), rx.el.td(UiState.t[r["period_key"]]), rx.el.td(r["accepted"]),
                        rx.el.td(r["completion"]), rx.el.td(r["on_time"]), rx.el.td(r["satisfaction"]),
                    ),
                )
            ),
            class_name="board-table",
        ),
        rx.text(T("public.home.col.completion"), T("punct.colon"), T("kpi.def.due_completion_rate"), size="1", color_scheme="gray", id="public-completion-definition"),
        overflow_x="auto",
        width="100%",
    )


def _bar(key: str, fill: str) -> rx.Component:
    """A bar with its value written at its end: rates near 100 % differ by a point or two."""
    return rx.recharts.bar(
        rx.recharts.label_list(data_key=key, position="right", font_size=11, fill="#334155", class_name="rate-label"),
        data_key=key,
        name=T(f"public.home.col.{key}"),
        fill=fill,
        is_animation_active=False,
        bar_size=16,
    )


PERCENT_TICK = rx.vars.FunctionStringVar.create("(v) => Math.round(v) + '%'")


def rate_chart() -> rx.Component:
    """Horizontal bars, one group per area, on an axis zoomed to the rates
    shown (it starts at ``chart_low``, said under the chart): 95.8 % and
    99.3 % look different, and each bar carries its value.  The names stay
    readable on a 390 px phone."""
    return rx.box(
        rx.recharts.bar_chart(
            _bar("completion", "#2563eb"),
            _bar("on_time", "#047857"),
            _bar("satisfaction", "#b45309"),
            rx.recharts.x_axis(type_="number", domain=[PublicHomeState.chart_low, 100], ticks=PublicHomeState.chart_ticks, allow_data_overflow=True, tick_formatter=PERCENT_TICK),
            rx.recharts.y_axis(data_key="area", type_="category", width=72),
            rx.recharts.legend(vertical_align="top"),
            rx.recharts.graphing_tooltip(),
            data=PublicHomeState.chart,
            layout="vertical",
            margin={"top": 4, "right": 44, "left": 0, "bottom": 4},
            bar_category_gap="20%",
            bar_gap=6,  # 22 px from one bar's value to the next: the labels never touch
            width="100%",
            height=PublicHomeState.chart_height,
        ),
        rx.text(T("public.home.chart_note"), PublicHomeState.chart_low, "%", size="1", color_scheme="gray", id="rate-chart-note"),
        id="rate-chart",
        width="100%",
    )


def category_chart() -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.bar(data_key="count", fill="#6366f1", is_animation_active=False, name=T("public.home.count")),
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
        rx.heading(T("public.home.heading"), size="6"),
        rx.hstack(
            rx.text(T("public.home.area_label"), size="2"),
            native_select(PublicHomeState.districts, PublicHomeState.area_id, PublicHomeState.pick_area, T("public.home.area_all"), "home-area"),
            rx.text(T("public.home.area_hint"), size="1", color_scheme="gray"),
            align="center",
            wrap="wrap",
        ),
        rx.text(T("public.home.definitions"), size="2", color_scheme="gray"),
        card(rx.heading(T("public.home.chart_title"), size="3"), rate_chart()),
        public_map(),
        card(rx.heading(T("public.home.kpi_title"), size="3", margin_bottom="8px"), kpi_table()),
        card(
            rx.heading(T("public.home.categories_title"), size="3"),
            rx.cond(PublicHomeState.categories.length() > 0, category_chart(), rx.text(T("public.no_data"), color_scheme="gray")),
        ),
        card(
            rx.heading(T("public.home.howto_title"), size="3", margin_bottom="8px"),
            rx.ordered_list(*[rx.list_item(T(f"public.home.howto{i}")) for i in (1, 2, 3, 4)]),
            rx.hstack(
                rx.link(rx.button(T("public.nav.submit")), href="/public/submit"),
                rx.link(rx.button(T("public.nav.track"), variant="soft"), href="/public/track"),
                rx.link(rx.button(T("public.home.btn_board"), variant="soft"), href="/public/board"),
                margin_top="8px",
                wrap="wrap",
            ),
        ),
        card(
            rx.heading(T("public.home.party_title"), size="3", margin_bottom="8px"),
            rx.cond(
                PublicHomeState.party.length() > 0,
                rx.el.table(
                    rx.el.thead(rx.el.tr(rx.el.th(T("public.home.party_member")), rx.el.th(T("public.col.team")), rx.el.th(T("public.home.party_overdue")))),
                    rx.el.tbody(rx.foreach(PublicHomeState.party, lambda p: rx.el.tr(rx.el.td(p["member"]), rx.el.td(p["team"]), rx.el.td(p["overdue"])))),
                    class_name="board-table",
                ),
                rx.text(T("public.home.party_none"), color_scheme="gray"),
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
        native_select(B.districts, B.district_id, B.pick_district, T("public.pick.district"), "pick-district"),
        native_select(B.townships, B.township_id, B.pick_township, T("public.pick.township"), "pick-township"),
        native_select(B.communities, B.community_id, B.pick_community, T("public.pick.community"), "pick-community"),
        rx.el.select(
            rx.el.option(T("public.pick.month"), value=""),
            rx.foreach(B.months, lambda m: rx.el.option(m, value=m)),
            value=B.month,
            on_change=B.pick_month,
            id="pick-month",
            aria_label=T("public.pick.month"),
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
                    rx.el.tr(*[rx.el.th(T(f"public.board.col.{h}")) for h in ("code", "summary", "category", "status", "outcome", "promise", "satisfaction", "score")])
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
        rx.heading(T("public.board.teams_title"), size="3"),
        rx.el.table(
            rx.el.thead(rx.el.tr(rx.el.th(T("public.col.team")), rx.el.th(T("public.board.col.visits")), rx.el.th(T("public.board.col.diaries")))),
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
        rx.heading(T("public.board.heading"), size="6", class_name="no-print"),
        rx.text(T("public.board.default_note"), size="1", color_scheme="gray", class_name="no-print"),
        board_pickers(),
        rx.cond(B.message != "", rx.callout(msg(B.message), icon="info", size="1")),
        rx.cond(
            B.month != "",
            card(
                rx.hstack(
                    rx.heading(fmt("public.board.title", community=B.community_name, month=B.month), size="5"),
                    rx.spacer(),
                    rx.hstack(
                        rx.button(rx.icon("printer", size=16), T("public.board.print"), variant="soft", on_click=rx.call_script("window.print()")),
                        rx.link(rx.button(rx.icon("download", size=16), T("public.board.xlsx"), variant="soft"), href=B.xlsx_url, is_external=True, id="board-xlsx"),
                        class_name="no-print",
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(fmt("public.board.published_at", at=B.published_at), size="1", color_scheme="gray"),
                board_table(B.rows, B.teams),
            ),
        ),
        spacing="4",
        width="100%",
    )


# ============================================================================
# /public/submit
# ============================================================================
@public_page("/public/submit", "我要反映", on_load=PublicSubmitState.load)
def submit() -> rx.Component:
    S = PublicSubmitState
    form = rx.el.form(
        rx.vstack(
            place_picker(),
            labelled(
                "public.submit.grid",
                rx.flex(
                    native_select(S.districts, S.district_id, S.pick_district, T("level.district"), "submit-district"),
                    native_select(S.townships, S.township_id, S.pick_township, T("level.township"), "submit-township"),
                    native_select(S.communities, S.community_id, S.pick_community, T("level.community"), "submit-community"),
                    native_select(S.grids, S.grid_id, S.pick_grid, T("level.grid"), "submit-grid"),
                    gap="2",
                    wrap="wrap",
                ),
            ),
            labelled("public.submit.content", rx.text_area(name="content", id="submit-content", rows="5", max_length=2000, width="100%", required=True)),
            labelled("public.submit.phone", rx.input(name="phone", id="submit-phone", type="tel", max_length=20, width="100%", required=True)),
            labelled("public.submit.name", rx.input(name="name", id="submit-name", max_length=32, width="100%")),
            labelled("public.submit.address", rx.input(name="address", id="submit-address", max_length=128, width="100%")),
            error_box(S.error),
            rx.button(T("public.submit.button"), type="submit", size="3", id="submit-button"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit,
        reset_on_submit=False,
        width="100%",
    )
    done = rx.vstack(
        rx.callout(T("public.submit.done"), icon="circle-check", color_scheme="green", width="100%"),
        rx.heading(S.code, size="8", id="submitted-code"),
        rx.hstack(
            rx.link(rx.button(T("public.submit.track")), href="/public/track"),
            rx.button(T("public.submit.again"), variant="soft", on_click=S.again),
        ),
        resident_photo_uploader(),
        spacing="3",
    )
    return rx.vstack(
        rx.heading(T("public.nav.submit"), size="6"),
        rx.text(T("public.submit.limit"), size="2", color_scheme="gray"),
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
            rx.text(fmt("public.track.meta", category=case["category"], community=case["community"], department=case["department"]), size="2", color_scheme="gray"),
            rx.cond(
                case["promise_due"] != "",
                rx.callout(
                    fmt("public.track.promise", text=case["promise_text"], owner=case["promise_owner"], due=case["promise_due"], state=case["promise_state"]),
                    icon="handshake",
                    size="1",
                    width="100%",
                ),
            ),
            rx.cond(case["result"] != "", rx.text(fmt("public.track.result", result=case["result"]))),
            rx.cond(case["score"] != "", rx.text(fmt("public.track.score", satisfaction=case["satisfaction"], score=case["score"]), id="track-score")),
            public_track_photos(case["code"]),
            rx.heading(T("public.track.timeline"), size="3"),
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
                rx.link(rx.button(T("public.track.evaluate")), href="/public/evaluate?code=" + case["code"]),
            ),
            spacing="3",
            width="100%",
        )
    )


@public_page("/public/track", "进度查询")
def track() -> rx.Component:
    S = PublicTrackState
    return rx.vstack(
        rx.heading(T("public.nav.track"), size="6"),
        card(
            rx.el.form(
                rx.flex(
                    rx.input(name="code", id="track-code", placeholder=T("public.track.code_ph"), max_length=20, width=["100%", "260px"]),
                    rx.input(name="tail", id="track-tail", placeholder=T("public.track.tail_ph"), max_length=4, width=["100%", "140px"]),
                    rx.button(T("public.track.button"), type="submit", id="track-button"),
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
            rx.text(T("public.eval.intro"), size="2"),
            rx.flex(
                rx.input(name="code", id="eval-code", default_value=S.code, placeholder=T("public.eval.code_ph"), max_length=20, width=["100%", "260px"]),
                rx.input(name="tail", id="eval-tail", placeholder=T("public.track.tail_ph"), max_length=4, width=["100%", "140px"]),
                rx.button(T("public.eval.request"), type="submit", id="eval-request"),
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
            rx.text(fmt("public.eval.case", code=S.code), weight="medium"),
            labelled("public.eval.otp", rx.input(name="otp", id="eval-otp", max_length=6, width="160px")),
            labelled(
                "public.eval.satisfaction",
                rx.radio_group.root(
                    rx.flex(
                        rx.radio_group.item(value="satisfied", id="sat-satisfied"), rx.text(T("public.eval.satisfied")),
                        rx.radio_group.item(value="basic", id="sat-basic"), rx.text(T("public.eval.basic")),
                        rx.radio_group.item(value="unsatisfied", id="sat-unsatisfied"), rx.text(T("public.eval.unsatisfied")),
                        gap="2",
                        align="center",
                    ),
                    name="satisfaction",
                    default_value="satisfied",
                ),
            ),
            labelled(
                "public.eval.score",
                rx.el.select(*[rx.el.option(fmt("public.score_n", n=str(i)), value=str(i)) for i in (5, 4, 3, 2, 1)], name="score", id="eval-score", style={"padding": "6px"}),
            ),
            labelled("public.eval.comment", rx.text_area(name="comment", id="eval-comment", max_length=500, width="100%")),
            rx.button(T("public.eval.submit"), type="submit", id="eval-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.evaluate,
        reset_on_submit=False,
    )
    done = rx.vstack(
        rx.callout(T("public.eval.thanks"), icon="circle-check", color_scheme="green", width="100%", id="eval-done"),
        rx.text(fmt("public.eval.status", code=S.result["code"], status=S.result["status_label"])),
        rx.text(fmt("public.eval.yours", satisfaction=S.result["satisfaction"], score=S.result["score"])),
    )
    return rx.vstack(
        rx.heading(T("public.eval.heading"), size="6"),
        rx.cond(S.info != "", rx.callout(msg(S.info), icon="info", size="1", width="100%")),
        error_box(S.error),
        card(rx.match(S.step, (1, step1), (2, step2), done)),
        spacing="4",
        width="100%",
        max_width="720px",
    )
