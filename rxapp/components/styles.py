"""One theme for the whole app: calm blue accent on slate greys."""

import reflex as rx

THEME = rx.theme(accent_color="blue", gray_color="slate", radius="medium", scaling="100%", has_background=True)
PAGE_BACKGROUND = rx.color("gray", 2)
CARD = {
    "background": rx.color("gray", 1),
    "border": f"1px solid {rx.color('gray', 4)}",
    "border_radius": "10px",
    "padding": "16px",
}
FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"WenQuanYi Zen Hei", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
)
GLOBAL_STYLE = {"font_family": FONT_STACK}
