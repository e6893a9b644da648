"""The 分类模型 tab of /admin: layout only (state: rxapp.state.admin_classify)."""

import reflex as rx

from rxapp.components import styles
from rxapp.state.admin_classify import AdminClassifyState as S
from rxapp.state.base import T


def _figure(label_key: str, value) -> rx.Component:
    return rx.vstack(rx.text(T(label_key), size="1", color_scheme="gray"), rx.text(value, size="4", weight="bold"), spacing="1")


def _table(headers: list[str], body: rx.Component, **props) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h), white_space="nowrap") for h in headers])),
            rx.table.body(body), variant="surface", size="1", width="100%", **props,
        ),
        width="100%", overflow_x="auto",
    )


def _model_row(m) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m["version"], weight="bold"),
        rx.table.cell(m["created_at"], white_space="nowrap"),
        rx.table.cell(m["trained"]),
        rx.table.cell(m["corrections"]),
        rx.table.cell(m["accuracy"]),
        rx.table.cell(m["precision"]),
        rx.table.cell(m["coverage"]),
        rx.table.cell(m["threshold"]),
        rx.table.cell(m["baseline"]),
        rx.table.cell(rx.cond(
            m["active"] == "1",
            rx.badge(T("classify.is_active"), color_scheme="green"),
            rx.button(T("classify.activate"), size="1", variant="soft", on_click=S.activate(m["id"]), disabled=S.working,
                      class_name="classify-activate"),
        )),
        class_name="classify-model-row",
    )


def _models() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _figure("classify.active", rx.cond(S.active_version != "", S.active_version, T("classify.builtin"))),
            _figure("classify.threshold", S.active_threshold),
            _figure("classify.corrections", S.corrections.to_string()),
            rx.spacer(),
            rx.cond(S.working, rx.spinner(size="2")),
            rx.button(rx.icon("graduation-cap", size=14), T("classify.retrain"), on_click=S.retrain, disabled=S.working, id="classify-retrain"),
            rx.button(rx.icon("undo-2", size=14), T("classify.rollback"), variant="outline", on_click=S.rollback,
                      disabled=S.working | (S.active_version == ""), id="classify-rollback"),
            width="100%", align="center", wrap="wrap", spacing="4",
        ),
        rx.text(T("classify.models"), size="2", weight="medium"),
        rx.text(T("classify.builtin"), ": ", S.builtin["accuracy"], " / ", S.builtin["precision"], " / ", S.builtin["coverage"],
                size="1", color_scheme="gray"),
        rx.cond(
            S.models.length() > 0,
            _table(["classify.col.version", "classify.col.created", "classify.col.trained", "classify.col.corrections",
                    "classify.col.accuracy", "classify.col.precision", "classify.col.coverage", "classify.col.threshold",
                    "classify.col.baseline", "classify.col.state"], rx.foreach(S.models, _model_row), id="classify-models"),
            rx.text(T("classify.no_models"), size="2", color_scheme="gray"),
        ),
        spacing="3", width="100%", **styles.CARD,
    )


def _tester() -> rx.Component:
    r = S.test_result
    return rx.vstack(
        rx.text(T("classify.test.title"), size="3", weight="bold"),
        rx.hstack(
            rx.input(value=S.test_text, on_change=S.set_test_text, placeholder=T("classify.test.placeholder"), width="100%",
                     id="classify-test-text"),
            rx.button(T("classify.test.run"), on_click=S.test_sentence, id="classify-test-run"),
            width="100%",
        ),
        rx.cond(
            r.contains("code"),
            rx.hstack(
                _figure("classify.test.suggestion", r["category"]),
                _figure("classify.test.confidence", r["confidence"] + " / " + r["threshold"]),
                _figure("classify.test.terms", r["terms"]),
                rx.cond(r["auto"] == "1", rx.badge(T("classify.test.auto"), color_scheme="green"),
                        rx.badge(T("classify.test.manual"), color_scheme="amber")),
                spacing="5", wrap="wrap", align="center", id="classify-test-result",
            ),
        ),
        spacing="3", width="100%", **styles.CARD,
    )


def _keyword_row(k) -> rx.Component:
    return rx.table.row(
        rx.table.cell(k["word"]),
        rx.table.cell(k["weight"]),
        rx.table.cell(k["category"]),
        rx.table.cell(rx.button(T("classify.keywords.remove"), size="1", variant="ghost", color_scheme="red",
                                on_click=S.remove_keyword(k["code"], k["word"]), disabled=S.working)),
    )


def _keywords() -> rx.Component:
    options = rx.foreach(S.category_options, lambda o: rx.select.item(o["label"], value=o["id"]))
    return rx.vstack(
        rx.hstack(
            rx.text(T("classify.keywords.title"), size="3", weight="bold"),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(placeholder=T("classify.keywords.all"), aria_label=T("classify.keywords.all")),
                rx.select.content(rx.select.item(T("classify.keywords.all"), value="ALL"), options),
                value=rx.cond(S.keyword_code == "", "ALL", S.keyword_code), on_change=S.set_keyword_code,
            ),
            width="100%", align="center",
        ),
        rx.hstack(
            rx.input(value=S.new_word, on_change=S.set_new_word, placeholder=T("classify.keywords.word"), id="classify-new-word"),
            rx.select.root(
                rx.select.trigger(aria_label=T("classify.keywords.weight")),
                rx.select.content(*[rx.select.item(w, value=w) for w in ("1", "2", "3", "4", "5")]),
                value=S.new_weight, on_change=S.set_new_weight,
            ),
            rx.select.root(rx.select.trigger(placeholder=T("classify.keywords.category"), aria_label=T("classify.keywords.category")), rx.select.content(options),
                           value=S.new_code, on_change=S.set_new_code),
            rx.button(T("classify.keywords.add"), on_click=S.add_keyword, disabled=S.working),
            wrap="wrap", width="100%",
        ),
        rx.box(
            _table(["classify.keywords.word", "classify.keywords.weight", "classify.keywords.category", "classify.keywords.remove"],
                   rx.foreach(S.keywords, _keyword_row)),
            max_height="420px", overflow_y="auto", width="100%",
        ),
        spacing="3", width="100%", **styles.CARD,
    )


def classify_tab() -> rx.Component:
    return rx.vstack(
        rx.text(T("classify.help"), size="2", color_scheme="gray"),
        _models(),
        _tester(),
        _keywords(),
        spacing="4", width="100%",
    )
