"""/board-admin — leaders publish a community's monthly notice board (which
freezes it) and see the two-way scores per team and month.  /team-scores —
members record their team's monthly scores (self, peer, household
representatives).  Layout only."""

import reflex as rx

from rxapp.components.layout import app_page
from rxapp.models import EvaluationKind
from rxapp.pages.public import PRINT_CSS, board_table, card, error_box, fmt, labelled, msg, native_select
from rxapp.state.base import T, UiState
from rxapp.state.public import TEAM_RATERS, TeamScoreState
from rxapp.state.public import BoardAdminState as B

SELECT_STYLE = {"padding": "6px"}


def scores_table() -> rx.Component:
    heads = ("public.col.team", "public.admin.col.kind", "public.admin.col.n", "public.admin.col.mean", "public.home.col.satisfaction", "public.admin.col.reasonable", "public.admin.col.cooperative")
    keys = ("n", "mean", "good", "reasonable", "cooperative")
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(T(h)) for h in heads])),
            rx.el.tbody(
                rx.foreach(
                    B.scores,
                    lambda r: rx.el.tr(
                        rx.el.td(r["team"]),
                        rx.el.td(rx.cond(r["kind_key"] != "", UiState.t[r["kind_key"]], r["kind"])),
                        *[rx.el.td(r[k]) for k in keys],
                    ),
                )
            ),
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
        rx.heading(T("public.admin.heading"), size="6"),
        rx.flex(
            native_select(B.b_districts, B.b_district, B.pick_district, T("public.pick.district"), "admin-district"),
            native_select(B.b_townships, B.b_township, B.pick_township, T("public.pick.township"), "admin-township"),
            native_select(B.b_communities, B.b_community, B.pick_community, T("public.pick.community"), "admin-community"),
            rx.input(type="month", value=B.b_month, on_change=B.set_month, id="admin-month", width="160px"),
            gap="2",
            wrap="wrap",
        ),
        error_box(B.error),
        rx.cond(B.info != "", rx.callout(msg(B.info), icon="circle-check", color_scheme="green", size="1", id="publish-info")),
        rx.cond(
            B.b_community != "",
            card(
                rx.hstack(
                    rx.heading(rx.cond(B.published, T("public.admin.published"), T("public.admin.preview")), size="4"),
                    rx.spacer(),
                    rx.cond(
                        B.published,
                        rx.badge(T("public.admin.visible"), color_scheme="green"),
                        rx.button(T("public.admin.publish"), on_click=B.publish, id="publish-board"),
                    ),
                    width="100%",
                    align="center",
                ),
                board_table(B.preview, B.preview_teams),
            ),
        ),
        card(
            rx.heading(T("public.admin.scores_title"), size="4", margin_bottom="8px"),
            rx.cond(B.scores.length() > 0, scores_table(), rx.text(T("public.admin.scores_empty"), color_scheme="gray")),
        ),
        spacing="4",
        width="100%",
    )


# ============================================================================
# /team-scores (members)
# ============================================================================
TEAM_KINDS = (EvaluationKind.TEAM_SELF, EvaluationKind.PEER, EvaluationKind.HOUSEHOLD_REP)


def team_score_form() -> rx.Component:
    S = TeamScoreState
    return rx.el.form(
        rx.flex(
            labelled(
                "public.admin.col.kind",
                rx.el.select(*[rx.el.option(T(f"cases.evaluation.{k}"), value=k) for k in TEAM_KINDS], name="kind", id="ts-kind", style=SELECT_STYLE),
            ),
            labelled(
                "public.ts.team",
                rx.el.select(
                    rx.foreach(S.ts_teams, lambda t: rx.el.option(t["label"], value=t["id"])),
                    name="team",
                    id="ts-team",
                    style=SELECT_STYLE,
                ),
            ),
            labelled("public.party.month", rx.input(type="month", name="period", id="ts-period", default_value=S.ts_month, required=True)),
            labelled(
                "public.board.col.score",
                rx.el.select(*[rx.el.option(fmt("public.score_n", n=str(i)), value=str(i)) for i in (5, 4, 3, 2, 1)], name="score", id="ts-score", style=SELECT_STYLE),
            ),
            labelled("public.party.comment", rx.input(name="comment", id="ts-comment", max_length=500)),
            rx.button(T("public.ts.submit"), type="submit", id="ts-submit"),
            gap="3",
            wrap="wrap",
            align="end",
        ),
        on_submit=S.record,
        reset_on_submit=False,
    )


@app_page("/team-scores", "团队评价", roles=TEAM_RATERS, on_load=[TeamScoreState.load])
def team_scores() -> rx.Component:
    S = TeamScoreState
    heads = ("public.admin.col.kind", "public.col.team", "public.party.month", "public.board.col.score", "public.party.comment")
    return rx.vstack(
        rx.el.style(PRINT_CSS),
        rx.heading(T("public.ts.heading"), size="6"),
        rx.text(T("public.ts.help"), size="2", color_scheme="gray"),
        error_box(S.ts_error),
        rx.cond(S.ts_info != "", rx.callout(msg(S.ts_info), icon="circle-check", color_scheme="green", size="1", id="ts-info")),
        card(team_score_form()),
        card(
            rx.heading(T("public.ts.recorded"), size="4", margin_bottom="8px"),
            rx.el.table(
                rx.el.thead(rx.el.tr(*[rx.el.th(T(h)) for h in heads])),
                rx.el.tbody(
                    rx.foreach(
                        S.ts_rows,
                        lambda r: rx.el.tr(
                            rx.el.td(UiState.t["cases.evaluation." + r["kind"]]),
                            rx.el.td(r["team"]),
                            rx.el.td(r["period"]),
                            rx.el.td(r["score"]),
                            rx.el.td(r["comment"]),
                        ),
                    )
                ),
                class_name="board-table",
                id="ts-table",
            ),
        ),
        spacing="4",
        width="100%",
    )
