"""The page shell every signed-in page uses, and the page-template decorator.

Desktop: a sidebar and a header. Phone (< 768 px): the header keeps the
essentials and the navigation opens in a drawer."""

from collections.abc import Callable, Sequence

import reflex as rx

from rxapp.components import styles
from rxapp.components.httpform import post_form_script
from rxapp.domain.demo import demo_mode
from rxapp.state.base import STAFF, AppState, T, UiState

# (message key, route, lucide icon, roles that see it)
NAV: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("nav.home", "/", "house", STAFF),
    ("nav.dashboard", "/dashboard", "chart-no-axes-combined", ("leader", "admin")),
    ("map.nav", "/map", "map", ("leader", "dispatcher", "admin")),
    ("nav.cases", "/cases", "clipboard-list", STAFF),
    ("nav.new_case", "/cases/new", "file-plus", ("dispatcher", "member", "admin")),
    ("nav.diary", "/diary", "notebook-pen", ("member", "leader", "admin")),
    ("nav.households", "/households", "house-plus", ("member", "leader", "admin")),
    ("nav.meetings", "/meetings", "users", ("member", "leader", "admin")),
    ("nav.party", "/party", "flag", ("member", "leader", "dispatcher", "admin")),
    ("warning.nav", "/warnings", "siren", ("dispatcher", "dept", "leader", "admin")),
    ("nav.board_admin", "/board-admin", "clipboard-check", ("leader", "admin")),
    ("nav.team_scores", "/team-scores", "star", ("member", "leader", "admin")),
    ("nav.admin", "/admin", "settings", ("admin",)),
]


def _visible_to(roles: Sequence[str]) -> rx.Var:
    return rx.Var.create(list(roles)).contains(AppState.user_role)


def _is_active(href: str) -> rx.Var:
    """The current page is this item's, and not a more specific item's
    (/cases/new belongs to 受理登记, not to 诉求工单)."""
    path = AppState.router.url.path
    if href == "/":
        return path == "/"
    active = path.startswith(href)
    for _, other, _, _ in NAV:
        if other != href and other.startswith(href + "/"):
            active = active & ~path.startswith(other)
    return active


def nav_link(key: str, href: str, icon: str, roles: Sequence[str]) -> rx.Component:
    active = _is_active(href)
    return rx.cond(
        _visible_to(roles),
        rx.link(
            rx.hstack(rx.icon(icon, size=18), rx.text(T(key), size="3"), spacing="3", align="center"),
            href=href,
            underline="none",
            color=rx.cond(active, rx.color("accent", 12), rx.color("gray", 12)),
            background=rx.cond(active, rx.color("accent", 3), "transparent"),
            border_radius="6px",
            padding="8px 12px",
            width="100%",
            _hover={"background": rx.color("accent", 2)},
        ),
    )


def nav_links() -> rx.Component:
    return rx.vstack(*[nav_link(*item) for item in NAV], spacing="1", width="100%")


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("grid-3x3", size=22, color=rx.color("accent", 10)),
        rx.vstack(
            rx.text(T("app.name"), weight="bold", size="4"),
            rx.text(T("app.tagline"), size="1", color_scheme="gray"),
            spacing="0",
        ),
        align="center",
        spacing="2",
    )


def sidebar() -> rx.Component:
    return rx.box(
        rx.vstack(brand(), rx.separator(), nav_links(), spacing="4", width="100%"),
        display=["none", "none", "block"],
        width="220px",
        min_width="220px",
        padding="20px 12px",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        height="100vh",
        overflow_y="auto",
        position="sticky",
        top="0",
    )


def language_switch() -> rx.Component:
    return rx.button(
        rx.icon("languages", size=16),
        rx.text(T("header.language"), display=["none", "inline"]),
        variant="soft",
        size="2",
        on_click=UiState.toggle_locale,
        id="language-switch",
        title=T("a11y.language_switch"),
    )


def logout_button() -> rx.Component:
    return rx.el.form(
        rx.button(rx.icon("log-out", size=16), rx.text(T("header.logout")), variant="outline", size="2", type="submit"),
        action="/api/auth/logout",
        method="post",
        id="logout-form",
        on_submit=post_form_script("logout-form", "/api/auth/logout"),
    )


def mobile_menu() -> rx.Component:
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label=T("header.menu"))),
            rx.drawer.overlay(z_index="50"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        brand(),
                        rx.separator(),
                        nav_links(),
                        spacing="4",
                        padding="20px 12px",
                        width="100%",
                    ),
                    background=rx.color("gray", 1),
                    width="260px",
                    height="100%",
                    top="0",
                    left="0",
                    z_index="60",
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def user_badge() -> rx.Component:
    return rx.hstack(
        rx.icon("circle-user", size=20, color=rx.color("accent", 10)),
        rx.vstack(
            rx.text(AppState.user_name, weight="medium", size="2", id="user-name"),
            rx.text(
                UiState.t[AppState.role_key],
                " · ",
                AppState.area_name,
                size="1",
                color_scheme="gray",
                id="user-scope",
            ),
            spacing="0",
        ),
        align="center",
        spacing="2",
    )


def header() -> rx.Component:
    return rx.hstack(
        rx.hstack(mobile_menu(), rx.box(brand(), display=["block", "block", "none"]), align="center", spacing="2"),
        rx.spacer(),
        rx.hstack(user_badge(), language_switch(), logout_button(), align="center", spacing="3"),
        width="100%",
        padding="10px 20px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        align="center",
        wrap="wrap",
        gap="8px",
    )


def loading_box() -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")),
        padding="80px",
    )


def forbidden_box() -> rx.Component:
    return rx.callout(T("common.forbidden"), icon="shield-alert", color_scheme="red", margin="20px")


def demo_banner() -> rx.Component:
    """"演示数据" across the top in demo mode (GRIDDESK_DEMO=1, read when the
    pages are compiled), nothing otherwise."""
    if not demo_mode():
        return rx.fragment()
    return rx.box(
        rx.hstack(rx.icon("flask-conical", size=16), rx.text(T("demo.banner"), size="2", weight="medium"), align="center", spacing="2", justify="center"),
        id="demo-banner",
        class_name="no-print",
        width="100%",
        padding="6px 12px",
        background=rx.color("amber", 4),
        color=rx.color("amber", 12),
        border_bottom=f"1px solid {rx.color('amber', 7)}",
    )


def shell(content: rx.Component, roles: Sequence[str]) -> rx.Component:
    return rx.hstack(
        sidebar(),
        rx.vstack(
            demo_banner(),
            header(),
            rx.el.main(
                rx.cond(
                    AppState.signed_in,
                    rx.cond(_visible_to(roles), content, forbidden_box()),
                    loading_box(),
                ),
                width="100%",
                max_width="1280px",
                padding=["12px", "16px", "24px"],
            ),
            spacing="0",
            width="100%",
            min_width="0",
        ),
        spacing="0",
        width="100%",
        align="start",
        background=styles.PAGE_BACKGROUND,
        min_height="100vh",
    )


def app_page(
    route: str,
    title: str,
    roles: Sequence[str] = STAFF,
    on_load: Sequence[rx.event.EventType] | None = None,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a signed-in page: the route, title, sign-in check and the shell."""

    def decorate(content_fn: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return shell(content_fn(), roles)

        page.__name__ = content_fn.__name__
        rx.page(route=route, title=f"{title} · 网格服务平台", on_load=[AppState.load_user, *(on_load or [])])(page)
        return page

    return decorate


def page_title(key: str, *extra: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.heading(T(key), size="6", weight="bold"),
        rx.spacer(),
        *extra,
        width="100%",
        align="center",
        margin_bottom="16px",
    )
