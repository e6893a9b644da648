"""/login — a plain HTML form that posts to /api/auth/login-form, so the
session cookie is set by the server as HttpOnly."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.httpform import post_form_script
from rxapp.components.layout import brand, language_switch
from rxapp.components.widgets import labelled
from rxapp.state.base import T, UiState
from rxapp.state.login import LoginState


def login_form() -> rx.Component:
    return rx.el.form(
        rx.vstack(
            labelled("login.username", rx.input(id="username", name="username", required=True, max_length=64, size="3", width="100%", auto_complete="username", auto_focus=True)),
            labelled("login.password", rx.input(id="password", name="password", type="password", required=True, max_length=256, size="3", width="100%", auto_complete="current-password")),
            rx.cond(
                LoginState.error_key != "",
                rx.callout(UiState.t[LoginState.error_key], icon="triangle-alert", color_scheme="red", size="1", width="100%", id="login-error"),
            ),
            rx.el.input(type="hidden", name="next", value=LoginState.next_path),
            rx.button(T("login.submit"), type="submit", size="3", width="100%", id="login-submit"),
            spacing="2",
            width="100%",
        ),
        id="login-form",
        action="/api/auth/login-form",
        method="post",
        on_submit=post_form_script("login-form", "/api/auth/login-form"),
        width="100%",
    )


@rx.page(route="/login", title="登录 · 网格服务平台", on_load=LoginState.load)
def login() -> rx.Component:
    return rx.el.main(rx.center(
        rx.vstack(
            rx.hstack(brand(), rx.spacer(), language_switch(), width="100%", align="center"),
            rx.heading(T("login.title"), size="5", margin_top="8px"),
            login_form(),
            spacing="4",
            width="100%",
            max_width="380px",
            **{**styles.CARD, "padding": "28px"},
        ),
        min_height="100vh",
        padding="16px",
        background=styles.PAGE_BACKGROUND,
    ))
