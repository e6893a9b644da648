"""/board-admin — leaders publish a community's monthly notice board (which
freezes it) and see the two-way scores per team and month.  /team-scores —
members record their team's monthly scores (self, peer, household
representatives).  Layout only."""

import reflex as rx

from rxapp.components.layout import app_page
from rxapp.components.widgets import labelled
from rxapp.models import EvaluationKind
from rxapp.pages.public import PRINT_CSS, board_table, card, data_table, error_box, fmt, month_select, msg, native_select
from rxapp.state.base import T, UiState
from rxapp.state.team_scores import TEAM_SCORE_PAGE, TeamScoreReadState, TeamScoreState
from rxapp.state.board_admin import BoardAdminState as B

SELECT_STYLE = {"padding": "6px"}


def scores_table(rows=B.scores, table_id: str = "scores-table") -> rx.Component:
    heads = ("public.col.team", "public.admin.col.kind", "public.admin.col.n", "public.admin.col.mean", "public.home.col.satisfaction", "public.admin.col.reasonable", "public.admin.col.cooperative")
    keys = ("n", "mean", "good", "reasonable", "cooperative")
    return data_table(
        heads,
        rows,
        lambda r: rx.el.tr(
            rx.el.td(r["team"]),
            rx.el.td(rx.cond(r["kind_key"] != "", UiState.t[r["kind_key"]], r["kind"])),
            *[rx.el.td(r[k]) for k in keys],
        ),
        table_id,
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
            month_select(B.month_options, "admin-month", name="month", value=B.b_month, on_change=B.set_month, label=T("public.party.month")),
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
            labelled("public.party.month", month_select(S.month_options, "ts-period", default_value=S.ts_month)),
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


def team_scores_read() -> rx.Component:
    """Leaders and administrators: every team's scores in their area, by month."""
    R = TeamScoreReadState
    return rx.vstack(
        rx.heading(T("public.ts.read_heading"), size="6"),
        rx.text(T("public.ts.read_help"), size="2", color_scheme="gray"),
        rx.box(labelled("public.ts.month", month_select(R.month_options, "tr-month", name="month", value=R.tr_month, on_change=R.set_month)), width=["100%", "200px"]),
        error_box(R.error),
        card(rx.cond(R.tr_rows.length() > 0, scores_table(R.tr_rows, "tr-table"), rx.text(T("public.admin.scores_empty"), color_scheme="gray"))),
        spacing="4",
        width="100%",
    )


@app_page("/team-scores", "团队评价", roles=TEAM_SCORE_PAGE, on_load=[TeamScoreReadState.load])
def team_scores() -> rx.Component:
    return rx.cond(TeamScoreReadState.tr_read, team_scores_read(), team_scores_record())


def team_scores_record() -> rx.Component:
    S = TeamScoreState
    heads = ("public.admin.col.kind", "public.col.team", "public.party.month", "public.board.col.score", "public.party.comment")
    return rx.vstack(
        rx.el.style(PRINT_CSS),
        rx.heading(T("public.ts.heading"), size="6"),
        rx.text(T("public.ts.help"), size="2", color_scheme="gray"),
        error_box(S.error),
        rx.cond(S.info != "", rx.callout(msg(S.info), icon="circle-check", color_scheme="green", size="1", id="ts-info")),
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
