"""/cases/[code] — one case: header, promise, content, requester (only as the
domain returns it), the timeline, and the actions this user may take now."""

import reflex as rx

from rxapp.components.case_widgets import card, card_title, named_select, status_badge
from rxapp.components.layout import app_page
from rxapp.components.media import case_media_panel
from rxapp.components.widgets import field_error, labelled
from rxapp.components.maps import case_map
from rxapp.state.base import STAFF, T, UiState
from rxapp.state.case_detail import CaseDetailState

S = CaseDetailState
C = S.case


def meta(label_key: str, value, **props) -> rx.Component:
    return rx.vstack(
        rx.text(T(label_key), size="1", color_scheme="gray"),
        rx.box(value, **props),
        spacing="0",
        min_width="0",
    )


def countdown() -> rx.Component:
    return rx.text(
        UiState.t[S.countdown_key].replace("{n}", S.countdown_n),
        color_scheme=S.countdown_color,
        weight="medium",
        size="2",
        id="case-countdown",
    )


def header() -> rx.Component:
    return card(
        rx.flex(
            rx.heading(C["code"], size="6", id="case-code"),
            status_badge(C["status_key"], C["status_color"], size="2", id="case-status"),
            rx.foreach(S.badges, lambda b: rx.badge(UiState.t[b["key"]], color_scheme=b["color"], variant="surface")),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), T("cases.detail.refresh"), variant="ghost", size="1", on_click=S.refresh),
            wrap="wrap",
            gap="8px",
            align="center",
            width="100%",
        ),
        rx.grid(
            meta("cases.col.category", rx.text(rx.cond(C["category"] != "", C["category"], T("cases.detail.uncategorised")), size="2")),
            meta("cases.col.department", rx.text(rx.cond(C["department"] != "", C["department"], "—"), size="2", id="case-department")),
            meta(
                "cases.col.deadline",
                rx.vstack(
                    rx.text(rx.cond(C["deadline"] != "", C["deadline"], "—"), size="2"),
                    countdown(),
                    spacing="0",
                ),
            ),
            meta("cases.detail.channel", rx.text(UiState.t[C["channel_key"]], size="2")),
            meta("cases.col.submitted", rx.text(C["submitted"], size="2")),
            meta("cases.col.area", rx.text(rx.cond(C["area"] != "", C["area"], "—"), size="2")),
            columns=rx.breakpoints(initial="2", md="3"),
            spacing="3",
            width="100%",
        ),
    )


def promise() -> rx.Component:
    return rx.cond(
        C["promise_text"] != "",
        card(
            card_title("cases.detail.promise", rx.badge(T("cases.detail.public"), color_scheme="green", size="1")),
            rx.text(C["promise_text"], size="2"),
            rx.flex(
                rx.text(T("cases.detail.promise_due"), C["promise_due"], size="1", color_scheme="gray"),
                rx.text(T("cases.detail.promise_owner"), C["promise_owner"], size="1", color_scheme="gray"),
                gap="16px",
                wrap="wrap",
            ),
            spacing="2",
        ),
    )


def actions_bar() -> rx.Component:
    return card(
        card_title("cases.detail.actions"),
        rx.cond(
            S.actions.length() > 0,
            rx.flex(
                rx.foreach(
                    S.actions,
                    lambda a: rx.button(
                        UiState.t[a["key"]],
                        on_click=S.open_action(a["name"]),
                        color_scheme=a["color"],
                        variant="soft",
                        id="action-" + a["name"],
                    ),
                ),
                wrap="wrap",
                gap="8px",
                width="100%",
            ),
            rx.text(T("cases.detail.no_actions"), size="2", color_scheme="gray"),
        ),
        id="case-actions",
    )


def content() -> rx.Component:
    return card(
        card_title("cases.detail.content"),
        rx.text(C["content"], size="3", white_space="pre-wrap", id="case-content"),
        rx.cond(
            C["terms"] != "",
            rx.text(T("cases.detail.classified"), C["confidence"], "% · ", C["terms"], size="1", color_scheme="gray"),
        ),
    )


def outcome() -> rx.Component:
    return rx.fragment(
        rx.cond(
            C["result_text"] != "",
            card(card_title("cases.detail.result"), rx.text(C["result_text"], size="2", white_space="pre-wrap"), id="case-result"),
        ),
        rx.cond(
            C["reject_reason"] != "",
            card(card_title("cases.detail.reject_reason"), rx.text(C["reject_reason"], size="2")),
        ),
        rx.cond(
            C["duplicate_of"] != "",
            card(
                card_title("cases.detail.duplicate_of"),
                rx.link(C["duplicate_of"], href="/cases/" + C["duplicate_of"]),
            ),
        ),
        rx.cond(
            C["extension_days"] != "",
            card(
                card_title("cases.detail.extension"),
                rx.text(T("cases.detail.extension_days").replace("{n}", C["extension_days"]), size="2"),
                rx.text(C["extension_reason"], size="2", color_scheme="gray"),
            ),
        ),
        rx.cond(
            C["satisfaction_key"] != "",
            card(
                card_title("cases.detail.evaluation"),
                rx.hstack(
                    rx.badge(UiState.t[C["satisfaction_key"]], color_scheme="green"),
                    rx.text(T("cases.detail.score").replace("{n}", C["score"]), size="2"),
                    spacing="2",
                ),
            ),
        ),
    )


def _yes_no(name: str, label_key: str) -> rx.Component:
    return labelled(
        label_key,
        rx.el.select(
            rx.el.option(T("public.rate.yes"), value="yes"),
            rx.el.option(T("public.rate.no"), value="no"),
            name=name,
            id=f"rate-{name}",
            style={"padding": "6px"},
        ),
    )


def staff_rating() -> rx.Component:
    """Staff rate the request (一评价): reasonable? requester cooperative? once per rater."""
    R = S.staff_rating
    return rx.cond(
        S.can_rate,
        card(
            card_title("public.rate.title"),
            rx.cond(
                R.contains("at"),
                rx.vstack(
                    rx.text(
                        T("public.rate.reasonable"), ": ",
                        rx.cond(R["reasonable"] != "", T("public.rate.yes"), T("public.rate.no")),
                        " · ",
                        T("public.rate.cooperative"), ": ",
                        rx.cond(R["cooperative"] != "", T("public.rate.yes"), T("public.rate.no")),
                        size="2",
                    ),
                    rx.cond(R["comment"] != "", rx.text(R["comment"], size="2", color_scheme="gray")),
                    rx.text(T("public.rate.done"), " ", R["at"], size="1", color_scheme="gray"),
                    spacing="1",
                    id="staff-rating-done",
                ),
                rx.el.form(
                    rx.vstack(
                        rx.text(T("public.rate.help"), size="1", color_scheme="gray"),
                        _yes_no("reasonable", "public.rate.reasonable"),
                        _yes_no("cooperative", "public.rate.cooperative"),
                        labelled("public.rate.comment", rx.text_area(name="comment", id="rate-comment", max_length=500, rows="2")),
                        rx.cond(S.rate_error != "", rx.text(S.rate_error, color_scheme="red", size="2", id="rate-error")),
                        rx.button(T("public.rate.submit"), type="submit", id="rate-submit"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=S.rate_request,
                    reset_on_submit=False,
                ),
            ),
            id="staff-rating",
        ),
    )


def requester() -> rx.Component:
    R = S.requester
    return rx.cond(
        R.contains("name"),
        card(
            card_title(
                "cases.detail.requester",
                rx.cond(R["masked"] == "1", rx.badge(T("cases.detail.masked"), color_scheme="gray", size="1")),
            ),
            rx.grid(
                meta("cases.new.name", rx.text(rx.cond(R["name"] != "", R["name"], "—"), size="2")),
                meta("cases.new.phone", rx.text(rx.cond(R["phone"] != "", R["phone"], "—"), size="2")),
                meta("cases.new.address", rx.text(rx.cond(R["address"] != "", R["address"], "—"), size="2")),
                columns=rx.breakpoints(initial="1", sm="3", lg="1"),
                spacing="2",
                width="100%",
            ),
            id="case-requester",
        ),
    )


def timeline_item(e) -> rx.Component:
    return rx.hstack(
        rx.box(width="10px", height="10px", border_radius="50%", background=rx.color("accent", 9), margin_top="6px", flex_shrink="0"),
        rx.vstack(
            rx.flex(
                rx.text(UiState.t[e["action_key"]], weight="bold", size="2", class_name="timeline-action"),
                rx.cond(
                    e["to_key"] != "",
                    rx.text(
                        rx.cond(e["from_key"] != "", UiState.t[e["from_key"]] + " → ", ""),
                        UiState.t[e["to_key"]],
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                rx.cond(e["public"] == "1", rx.badge(T("cases.detail.public"), color_scheme="green", size="1")),
                gap="8px",
                wrap="wrap",
                align="center",
            ),
            rx.text(e["at"], " · ", e["actor"], size="1", color_scheme="gray"),
            rx.cond(e["note"] != "", rx.text(e["note"], size="2", white_space="pre-wrap")),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        spacing="3",
        align="start",
        width="100%",
        padding_bottom="12px",
        border_bottom=f"1px solid {rx.color('gray', 3)}",
        class_name="timeline-item",
    )


def timeline() -> rx.Component:
    return card(
        card_title("cases.detail.timeline", rx.badge(S.timeline.length(), variant="soft", radius="full")),
        rx.vstack(rx.foreach(S.timeline, timeline_item), spacing="3", width="100%"),
        id="case-timeline",
    )


# ----------------------------------------------------------------------------
# The action dialog
# ----------------------------------------------------------------------------
def err(field: str) -> rx.Var:
    return S.dialog_errors.get(field, "")


def area(name: str, label_key: str, required: bool = True, rows: str = "3", max_length: int = 500, placeholder_key: str | None = None) -> rx.Component:
    return labelled(
        label_key,
        rx.text_area(
            name=name,
            rows=rows,
            max_length=max_length,
            required=required,
            width="100%",
            placeholder=T(placeholder_key) if placeholder_key else "",
            id=f"dialog-{name}",
        ),
        err(name),
    )


def accept_fields() -> rx.Component:
    return rx.vstack(
        labelled(
            "cases.dialog.category",
            named_select("category_code", S.default_category, S.category_options),
            err("category_code"),
            rx.text(T("cases.dialog.category_hint"), size="1", color_scheme="gray"),
        ),
        labelled(
            "cases.dialog.promise",
            rx.input(name="promise_text", max_length=500, placeholder=T("cases.dialog.promise_placeholder"), width="100%"),
            err("promise_text"),
        ),
        area("note", "cases.dialog.note", required=False, rows="2"),
        spacing="3",
        width="100%",
    )


def route_fields() -> rx.Component:
    return rx.vstack(
        labelled(
            "cases.dialog.department",
            named_select("department_id", S.default_department, S.department_options),
            err("department_id"),
        ),
        area("note", "cases.dialog.note", required=False, rows="2"),
        spacing="3",
        width="100%",
    )


def extension_request_fields() -> rx.Component:
    return rx.vstack(
        labelled(
            "cases.dialog.days",
            rx.input(name="days", type="number", min=1, max=15, default_value="3", required=True, width="120px"),
            err("days"),
        ),
        area("reason", "cases.dialog.extension_reason"),
        spacing="3",
        width="100%",
    )


def extension_decide_fields() -> rx.Component:
    return rx.vstack(
        rx.callout(
            T("cases.detail.extension_days").replace("{n}", C["extension_days"]) + T("punct.colon") + C["extension_reason"],
            icon="calendar-clock",
            size="1",
            width="100%",
        ),
        labelled(
            "cases.dialog.decision",
            rx.radio_group.root(
                rx.hstack(
                    rx.radio_group.item(T("cases.dialog.approve"), value="yes"),
                    rx.radio_group.item(T("cases.dialog.refuse"), value="no"),
                    spacing="4",
                ),
                name="approve",
                required=True,
            ),
            err("approve"),
        ),
        area("note", "cases.dialog.decision_note", required=False, rows="2"),
        spacing="3",
        width="100%",
    )


def evaluate_fields() -> rx.Component:
    return rx.vstack(
        labelled(
            "cases.dialog.satisfaction",
            rx.radio_group.root(
                rx.flex(
                    rx.radio_group.item(T("cases.satisfaction.satisfied"), value="satisfied", id="sat-satisfied"),
                    rx.radio_group.item(T("cases.satisfaction.basic"), value="basic", id="sat-basic"),
                    rx.radio_group.item(T("cases.satisfaction.unsatisfied"), value="unsatisfied", id="sat-unsatisfied"),
                    gap="16px",
                    wrap="wrap",
                ),
                name="satisfaction",
                required=True,
            ),
            err("satisfaction"),
        ),
        labelled(
            "cases.dialog.score",
            rx.radio_group.root(
                rx.flex(
                    *[rx.radio_group.item(str(n), value=str(n), id=f"score-{n}") for n in range(1, 6)],
                    gap="16px",
                    wrap="wrap",
                ),
                name="score",
                required=True,
            ),
            err("score"),
        ),
        area("comment", "cases.dialog.comment", required=False, rows="2"),
        spacing="3",
        width="100%",
    )


def duplicate_fields() -> rx.Component:
    return labelled(
        "cases.dialog.duplicate_of",
        rx.input(name="duplicate_of_code", max_length=20, placeholder="ZS202611260001", required=True, width="100%", id="dialog-duplicate"),
        err("duplicate_of_code"),
    )


def dialog_fields() -> rx.Component:
    return rx.match(
        S.dialog,
        ("accept", accept_fields()),
        ("reject", area("reason", "cases.dialog.reject_reason")),
        ("route", route_fields()),
        ("sign", rx.text(T("cases.dialog.sign_confirm"), size="2")),
        ("return", area("reason", "cases.dialog.return_reason")),
        ("request_extension", extension_request_fields()),
        ("decide_extension", extension_decide_fields()),
        ("supervise", area("note", "cases.dialog.supervise_note")),
        ("comment", area("note", "cases.dialog.comment_note", max_length=1000)),
        ("add_note", area("note", "cases.dialog.internal_note", max_length=2000)),
        ("public_reply", area("text", "cases.dialog.public_reply", max_length=1000)),
        ("resolve", area("result_text", "cases.dialog.result", rows="5", max_length=2000, placeholder_key="cases.dialog.result_placeholder")),
        ("evaluate", evaluate_fields()),
        ("close", area("note", "cases.dialog.close_note", required=False, rows="2")),
        ("mark_duplicate", duplicate_fields()),
        rx.fragment(),
    )


def stale_callout() -> rx.Component:
    return rx.callout(
        rx.hstack(
            rx.text(T("cases.detail.stale")),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), T("cases.detail.refresh"), size="1", on_click=S.refresh, type="button", id="stale-refresh"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        icon="triangle-alert",
        color_scheme="orange",
        width="100%",
        id="stale-callout",
    )


def action_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.dialog != "", UiState.t["cases.action." + S.dialog], ""), " · ", C["code"]),
            rx.form(
                rx.vstack(
                    dialog_fields(),
                    rx.cond(
                        S.stale,
                        stale_callout(),
                        rx.cond(S.dialog_errors.contains("form"), field_error(err("form"))),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button(T("common.cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(T("cases.dialog.confirm"), type="submit", loading=S.busy, disabled=S.stale, id="dialog-submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.submit_action,
                key=S.dialog,
                width="100%",
            ),
            max_width="520px",
            width="calc(100vw - 24px)",
        ),
        open=S.dialog != "",
        on_open_change=S.close_dialog,
    )


def body() -> rx.Component:
    main = rx.vstack(header(), actions_bar(), content(), outcome(), case_media_panel(C["code"]), timeline(), spacing="3", width="100%", min_width="0")
    side = rx.vstack(promise(), requester(), staff_rating(), spacing="3", width="100%", min_width="0")
    return rx.box(
        main,
        side,
        display="grid",
        grid_template_columns=["minmax(0, 1fr)", "minmax(0, 1fr)", "minmax(0, 1fr)", "minmax(0, 2fr) minmax(0, 1fr)"],
        gap="12px",
        width="100%",
        align_items="start",
    )


@app_page(route="/cases/[code]", title="诉求详情", roles=STAFF, on_load=[CaseDetailState.load])
def case_detail() -> rx.Component:
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(T("nav.cases"), size="2"), align="center", spacing="1"), href="/cases"),
        rx.cond(S.stale & (S.dialog == ""), stale_callout()),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="shield-alert", color_scheme="red", width="100%", id="case-error"),
            rx.cond(
                C.contains("code"),
                rx.fragment(body(), case_map()),
                rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")), padding="48px", width="100%"),
            ),
        ),
        action_dialog(),
        spacing="3",
        width="100%",
    )

