"""/admin — system administration (administrators only): layout only."""

import reflex as rx

from rxapp.components import styles
from rxapp.components.admin_classify import classify_tab
from rxapp.components.layout import app_page, page_title
from rxapp.components.pager import list_pager
from rxapp.components.widgets import empty_state, field_error, labelled
from rxapp.models import Role
from rxapp.state.admin import (
    NONE,
    AdminApiKeysState,
    AdminCategoriesState,
    AdminHolidaysState,
    AdminSmsState,
    AdminState,
    AdminTeamsState,
    AdminUsersState,
)
from rxapp.state.base import T, UiState

TAB_LABELS = [
    ("users", "admin.tab.users", "users"),
    ("categories", "admin.tab.categories", "tags"),
    ("teams", "admin.tab.teams", "network"),
    ("holidays", "admin.tab.holidays", "calendar-days"),
    ("api_keys", "admin.tab.api_keys", "key-round"),
    ("sms", "admin.tab.sms", "message-square-text"),
    ("classify", "admin.tab.classify", "brain"),
]


# ----------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------
def choice_select(value: rx.Var, on_change, options: rx.Var, none_key: str | None = None, **props) -> rx.Component:
    """A select over [{id, label}] rows; ``none_key`` adds a "nothing" item,
    without it "nothing" shows the placeholder."""
    return rx.select.root(
        rx.select.trigger(placeholder=T("admin.choose"), width="100%", aria_label=T("admin.choose")),
        rx.select.content(
            *([rx.select.item(T(none_key), value=NONE)] if none_key else []),
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"])),
        ),
        value=value if none_key else rx.cond(value == NONE, "", value),
        on_change=on_change,
        **props,
    )


def table(headers: list[str], body: rx.Component, **props) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(h), white_space="nowrap") for h in headers])),
            rx.table.body(body),
            variant="surface",
            size="2",
            width="100%",
            **props,
        ),
        width="100%",
        overflow_x="auto",
    )


def busy(loading: rx.Var) -> rx.Component:
    return rx.cond(loading, rx.spinner(size="2"), rx.box(width="16px"))


def rows_or_empty(rows: rx.Var, loading: rx.Var, content: rx.Component) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        content,
        rx.cond(
            loading,
            rx.center(rx.hstack(rx.spinner(size="3"), rx.text(T("common.loading"), color_scheme="gray")), padding="48px", width="100%"),
            empty_state(T("common.none")),
        ),
    )


def section(*children, **props) -> rx.Component:
    return rx.vstack(*children, spacing="3", width="100%", **{**styles.CARD, **props})


# ----------------------------------------------------------------------------
# 用户
# ----------------------------------------------------------------------------
def user_status(u) -> rx.Component:
    return rx.cond(
        u["active"] == "",
        rx.badge(T("admin.users.disabled"), color_scheme="gray"),
        rx.cond(
            u["locked"] != "",
            rx.badge(T("admin.users.locked"), color_scheme="orange"),
            rx.badge(T("admin.users.active"), color_scheme="green"),
        ),
    )


def user_where(u) -> rx.Component:
    return rx.vstack(
        rx.text(u["scope_name"], size="2"),
        rx.cond(u["team_name"] != "", rx.text(u["team_name"], size="1", color_scheme="gray")),
        rx.cond(u["department_name"] != "", rx.text(u["department_name"], size="1", color_scheme="gray")),
        spacing="0",
    )


def user_actions(u) -> rx.Component:
    S = AdminUsersState
    return rx.hstack(
        rx.button(T("admin.users.edit"), on_click=S.open_edit(u["id"]), variant="ghost", size="1"),
        rx.cond(
            u["active"] == "",
            rx.button(T("admin.users.enable"), on_click=S.set_active(u["id"], u["version"], True), variant="ghost", size="1", color_scheme="green"),
            rx.button(T("admin.users.disable"), on_click=S.set_active(u["id"], u["version"], False), variant="ghost", size="1", color_scheme="red"),
        ),
        rx.button(T("admin.users.reset_password"), on_click=S.open_reset(u["id"]), variant="ghost", size="1"),
        rx.cond(
            u["locked"] != "",
            rx.button(T("admin.users.unlock"), on_click=S.unlock(u["id"]), variant="ghost", size="1", color_scheme="orange"),
        ),
        spacing="3",
        wrap="wrap",
    )


def user_row(u) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(u["username"], weight="medium")),
        rx.table.cell(u["display_name"]),
        rx.table.cell(UiState.t[u["role_key"]], white_space="nowrap"),
        rx.table.cell(user_where(u)),
        rx.table.cell(u["phone"]),
        rx.table.cell(user_status(u)),
        rx.table.cell(user_actions(u)),
        align="center",
    )


def user_role_fields() -> rx.Component:
    """Role and what the role needs: scope, department, or township + team."""
    S = AdminUsersState
    err = S.errors
    return rx.vstack(
        labelled(
            "admin.users.role",
            rx.select.root(
                rx.select.trigger(width="100%"),
                rx.select.content(*[rx.select.item(T(f"role.{r}"), value=r) for r in Role.ALL]),
                value=S.form_role,
                on_change=S.set_form_role,
            ),
            err.get("role", ""),
        ),
        rx.cond(
            S.form_role == Role.MEMBER,
            rx.vstack(
                labelled(
                    "admin.users.township",
                    choice_select(S.form_township, S.set_form_township, S.township_options),
                ),
                labelled(
                    "admin.users.team",
                    choice_select(S.form_team, S.set_form_team, S.team_options, disabled=S.team_options.length() == 0),
                    err.get("team_id", ""),
                    rx.text(T("admin.users.member_scope_hint"), size="1", color_scheme="gray"),
                ),
                rx.cond(err.contains("scope_area_id"), field_error(err.get("scope_area_id", ""))),
                spacing="3",
                width="100%",
            ),
            labelled(
                "admin.users.scope",
                choice_select(
                    S.form_scope,
                    S.set_form_scope,
                    S.form_scope_options,
                    none_key="admin.users.none",
                ),
                err.get("scope_area_id", ""),
            ),
        ),
        rx.cond(
            S.form_role == Role.DEPT,
            labelled(
                "admin.users.department",
                choice_select(S.form_department, S.set_form_department, S.department_options),
                err.get("department_id", ""),
            ),
        ),
        spacing="3",
        width="100%",
    )


def dialog_buttons(submit_key: str = "common.save") -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button(T("common.cancel"), variant="soft", color_scheme="gray", type="button")),
        rx.button(T(submit_key), type="submit"),
        justify="end",
        spacing="3",
        width="100%",
        margin_top="8px",
    )


def create_user_form() -> rx.Component:
    S = AdminUsersState
    err = S.errors
    return rx.form(
        rx.vstack(
            rx.grid(
                labelled("admin.users.username", rx.input(name="username", max_length=32, auto_complete="off", width="100%"), err.get("username", "")),
                labelled("admin.users.display_name", rx.input(name="display_name", max_length=32, width="100%"), err.get("display_name", "")),
                labelled("admin.users.phone", rx.input(name="phone", max_length=20, width="100%"), err.get("phone", "")),
                labelled(
                    "admin.users.password",
                    rx.input(name="password", type="password", max_length=128, auto_complete="new-password", width="100%"),
                    err.get("password", ""),
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            user_role_fields(),
            rx.cond(err.contains("form"), field_error(err.get("form", ""))),
            dialog_buttons("common.create"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit_create,
        width="100%",
    )


def edit_user_form() -> rx.Component:
    S = AdminUsersState
    err = S.errors
    return rx.form(
        rx.vstack(
            rx.grid(
                labelled("admin.users.username", rx.input(value=S.edit_username, read_only=True, variant="soft", width="100%")),
                labelled(
                    "admin.users.display_name",
                    rx.input(name="display_name", default_value=S.edit_display_name, max_length=32, width="100%"),
                    err.get("display_name", ""),
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            user_role_fields(),
            rx.cond(err.contains("active"), field_error(err.get("active", ""))),
            rx.cond(err.contains("form"), field_error(err.get("form", ""))),
            dialog_buttons(),
            spacing="3",
            width="100%",
        ),
        on_submit=S.submit_edit,
        width="100%",
    )


def user_dialog() -> rx.Component:
    S = AdminUsersState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.dialog == "create", T("admin.users.new"), T("admin.users.edit_title"))),
            rx.cond(S.dialog == "create", create_user_form(), edit_user_form()),
            max_width="560px",
        ),
        open=S.dialog != "",
        on_open_change=S.close_dialog,
    )


def reset_dialog() -> rx.Component:
    S = AdminUsersState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("admin.users.reset_password"), " · ", S.reset_username),
            rx.dialog.description(T("admin.users.reset_hint"), size="2", color_scheme="gray", margin_bottom="12px"),
            rx.form(
                rx.vstack(
                    labelled(
                        "admin.users.new_password",
                        rx.input(name="new_password", type="password", max_length=128, auto_complete="new-password", width="100%"),
                    ),
                    labelled(
                        "admin.users.confirm_password",
                        rx.input(name="confirm", type="password", max_length=128, auto_complete="new-password", width="100%"),
                        S.reset_error,
                    ),
                    dialog_buttons("admin.users.reset_password"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.submit_reset,
                reset_on_submit=True,
                width="100%",
            ),
            max_width="420px",
        ),
        open=S.reset_id != "",
        on_open_change=S.close_reset,
    )


def users_tab() -> rx.Component:
    S = AdminUsersState
    return section(
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(name="query", default_value=S.query, placeholder=T("admin.users.search"), max_length=64, width="240px"),
                    rx.button(rx.icon("search", size=14), T("common.search"), type="submit", variant="soft"),
                    spacing="2",
                ),
                on_submit=S.search,
            ),
            busy(S.loading),
            rx.spacer(),
            rx.button(rx.icon("user-plus", size=16), T("admin.users.new"), on_click=S.open_create),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rows_or_empty(
            S.users,
            S.loading,
            table(
                [
                    "admin.users.username",
                    "admin.users.display_name",
                    "admin.users.role",
                    "admin.users.scope",
                    "admin.users.phone",
                    "admin.users.status",
                    "common.actions",
                ],
                rx.foreach(S.users, user_row),
            ),
        ),
        list_pager(S, "admin.users.total"),
        user_dialog(),
        reset_dialog(),
    )


# ----------------------------------------------------------------------------
# 诉求类别
# ----------------------------------------------------------------------------
def category_row(c) -> rx.Component:
    S = AdminCategoriesState
    form_id = "category-form-" + c["id"]
    linked = {"form": form_id}
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(c["name"], weight="medium", white_space="nowrap"),
                rx.code(c["code"], size="1", variant="ghost"),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(width="100%", aria_label=T("admin.users.department")),
                rx.select.content(
                    rx.foreach(S.department_options, lambda o: rx.select.item(o["label"], value=o["id"])),
                ),
                name="department_id",
                default_value=c["department_id"],
                custom_attrs=linked,
            ),
            min_width="180px",
        ),
        rx.table.cell(
            rx.input(
                name="deadline_workdays",
                type="number",
                min=1,
                max=60,
                default_value=c["deadline"],
                width="72px",
                custom_attrs=linked,
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text_area(
                    name="keywords",
                    default_value=c["keywords"],
                    rows="3",
                    max_length=4000,
                    placeholder=T("admin.categories.keywords_hint"),
                    width="100%",
                    custom_attrs=linked,
                ),
                rx.text(c["keyword_count"], " ", T("admin.categories.keyword_unit"), size="1", color_scheme="gray"),
                field_error(S.row_errors.get(c["id"], "")),
                spacing="1",
                width="100%",
            ),
            min_width="320px",
            width="100%",
        ),
        rx.table.cell(
            rx.form(
                rx.el.input(type="hidden", name="id", value=c["id"]),
                rx.el.input(type="hidden", name="version", value=c["version"]),
                rx.button(T("common.save"), type="submit", size="1", white_space="nowrap"),
                id=form_id,
                on_submit=S.save,
            )
        ),
        key=c["key"],
        align="start",
    )


def categories_tab() -> rx.Component:
    S = AdminCategoriesState
    return section(
        rx.hstack(
            rx.callout(T("admin.categories.help"), icon="info", size="1", variant="surface", flex="1"),
            busy(S.loading),
            width="100%",
            align="center",
            spacing="3",
        ),
        rows_or_empty(
            S.categories,
            S.loading,
            table(
                [
                    "admin.categories.name",
                    "admin.categories.department",
                    "admin.categories.deadline",
                    "admin.categories.keywords",
                    "common.actions",
                ],
                rx.foreach(S.categories, category_row),
            ),
        ),
    )


# ----------------------------------------------------------------------------
# 服务团队
# ----------------------------------------------------------------------------
def team_row(t) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(t["name"], weight="medium")),
        rx.table.cell(t["grid_name"]),
        rx.table.cell(t["township_name"]),
        rx.table.cell(t["leader_name"]),
        rx.table.cell(t["members"], text_align="right"),
        rx.table.cell(rx.button(T("admin.teams.rename"), on_click=AdminTeamsState.open_rename(t["id"]), variant="ghost", size="1")),
        align="center",
    )


def rename_dialog() -> rx.Component:
    S = AdminTeamsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("admin.teams.rename_title")),
            rx.form(
                rx.vstack(
                    labelled(
                        "admin.teams.name",
                        rx.input(name="name", default_value=S.rename_name, max_length=64, width="100%"),
                        S.rename_errors.get("name", ""),
                    ),
                    labelled(
                        "admin.teams.leader",
                        rx.input(name="leader_name", default_value=S.rename_leader, max_length=32, width="100%"),
                        S.rename_errors.get("leader_name", ""),
                    ),
                    rx.cond(S.rename_errors.contains("form"), field_error(S.rename_errors.get("form", ""))),
                    dialog_buttons(),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.submit_rename,
                width="100%",
            ),
            max_width="440px",
        ),
        open=S.rename_id != "",
        on_open_change=S.close_rename,
    )


def create_team_dialog() -> rx.Component:
    S = AdminTeamsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("admin.teams.new")),
            rx.form(
                rx.vstack(
                    labelled("admin.teams.township", choice_select(S.create_township, S.set_create_township, S.township_options)),
                    labelled(
                        "admin.teams.grid",
                        choice_select(S.create_grid, S.set_create_grid, S.grid_options, disabled=S.grid_options.length() == 0),
                        S.create_errors.get("grid_id", ""),
                        rx.cond(
                            (S.create_township != NONE) & (S.grid_options.length() == 0),
                            rx.text(T("admin.teams.no_free_grid"), size="1", color_scheme="gray"),
                        ),
                    ),
                    labelled(
                        "admin.teams.name",
                        rx.input(name="name", max_length=64, placeholder=T("admin.teams.name_placeholder"), width="100%"),
                        S.create_errors.get("name", ""),
                    ),
                    labelled(
                        "admin.teams.leader",
                        rx.input(name="leader_name", max_length=32, width="100%"),
                        S.create_errors.get("leader_name", ""),
                    ),
                    rx.cond(S.create_errors.contains("form"), field_error(S.create_errors.get("form", ""))),
                    dialog_buttons("common.create"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.submit_create,
                width="100%",
            ),
            max_width="440px",
        ),
        open=S.create_open,
        on_open_change=S.close_create,
    )


def teams_tab() -> rx.Component:
    S = AdminTeamsState
    return section(
        rx.hstack(
            rx.box(
                rx.select.root(
                    rx.select.trigger(placeholder=T("admin.teams.filter"), width="100%", aria_label=T("admin.teams.filter")),
                    rx.select.content(
                        rx.select.item(T("admin.teams.all"), value="all"),
                        rx.foreach(S.township_options, lambda o: rx.select.item(o["label"], value=o["id"])),
                    ),
                    value=S.township,
                    on_change=S.set_township,
                ),
                width="260px",
            ),
            busy(S.loading),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), T("admin.teams.new"), on_click=S.open_create),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rows_or_empty(
            S.teams,
            S.loading,
            table(
                [
                    "admin.teams.name",
                    "admin.teams.grid",
                    "admin.teams.township",
                    "admin.teams.leader",
                    "admin.teams.members",
                    "common.actions",
                ],
                rx.foreach(S.teams, team_row),
            ),
        ),
        list_pager(S, "admin.teams.total"),
        rename_dialog(),
        create_team_dialog(),
    )


# ----------------------------------------------------------------------------
# 节假日安排
# ----------------------------------------------------------------------------
def source_badge(source: rx.Var, key: rx.Var) -> rx.Component:
    return rx.badge(
        UiState.t[key],
        color_scheme=rx.match(source, ("official", "green"), ("package", "blue"), "red"),
        size="2",
    )


def holiday_year(y) -> rx.Component:
    S = AdminHolidaysState
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.heading(y["year"], T("admin.holidays.year_suffix"), size="4"),
                source_badge(y["source"], y["source_key"]),
                align="center",
                spacing="3",
            ),
            rx.cond(
                y["source"] == "missing",
                rx.callout(
                    T("admin.holidays.missing_warning").replace("{year}", y["year"]),
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                ),
            ),
            rx.text_area(
                name="text",
                default_value=y["text"],
                placeholder=y["example"],
                rows="10",
                max_length=20000,
                width="100%",
                font_family="ui-monospace, SFMono-Regular, Menlo, monospace",
            ),
            field_error(S.errors.get(y["year"], "")),
            rx.el.input(type="hidden", name="year", value=y["year"]),
            rx.hstack(rx.spacer(), rx.button(T("common.save"), type="submit"), width="100%"),
            spacing="3",
            width="100%",
            **styles.CARD,
        ),
        on_submit=S.save,
        key=y["year"],
        width="100%",
    )


def holidays_tab() -> rx.Component:
    S = AdminHolidaysState
    return rx.vstack(
        rx.hstack(
            rx.callout(T("admin.holidays.format_hint"), icon="info", size="1", variant="surface", flex="1"),
            busy(S.loading),
            width="100%",
            align="center",
            spacing="3",
        ),
        rows_or_empty(
            S.years,
            S.loading,
            rx.grid(rx.foreach(S.years, holiday_year), columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%"),
        ),
        spacing="3",
        width="100%",
    )


# ----------------------------------------------------------------------------
# API 密钥
# ----------------------------------------------------------------------------
def key_row(k) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(k["name"], weight="medium")),
        rx.table.cell(rx.code(k["prefix"], "…", variant="ghost")),
        rx.table.cell(k["rate"], text_align="right"),
        rx.table.cell(k["created_at"], white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                k["revoked_at"] == "",
                rx.badge(T("admin.keys.active"), color_scheme="green"),
                rx.tooltip(rx.badge(T("admin.keys.revoked_label"), color_scheme="gray"), content=k["revoked_at"]),
            )
        ),
        rx.table.cell(
            rx.cond(
                k["revoked_at"] == "",
                rx.button(T("admin.keys.revoke"), on_click=AdminApiKeysState.ask_revoke(k["id"]), variant="ghost", size="1", color_scheme="red"),
            )
        ),
        align="center",
    )


def issued_dialog() -> rx.Component:
    S = AdminApiKeysState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("admin.keys.issued_title"), " · ", S.issued_name),
            rx.vstack(
                rx.callout(T("admin.keys.issued_hint"), icon="shield-alert", color_scheme="amber", size="1", width="100%"),
                rx.hstack(
                    rx.code(S.issued_key, size="3", id="issued-api-key", word_break="break-all", flex="1"),
                    rx.button(
                        rx.icon("copy", size=14),
                        T("admin.keys.copy"),
                        on_click=[rx.set_clipboard(S.issued_key), rx.toast.success(T("admin.keys.copied"))],
                        variant="soft",
                        size="2",
                    ),
                    align="center",
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(T("admin.keys.close"))),
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="560px",
        ),
        open=S.issued_key != "",
        on_open_change=S.close_issued,
    )


def revoke_dialog() -> rx.Component:
    S = AdminApiKeysState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(T("admin.keys.revoke_title"), " · ", S.revoke_name),
            rx.alert_dialog.description(T("admin.keys.revoke_confirm"), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(T("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(T("admin.keys.revoke"), color_scheme="red", on_click=S.confirm_revoke(S.revoke_id))),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
            max_width="440px",
        ),
        open=S.revoke_id != "",
        on_open_change=S.close_revoke,
    )


def api_keys_tab() -> rx.Component:
    S = AdminApiKeysState
    return section(
        rx.form(
            rx.hstack(
                rx.vstack(
                    rx.input(name="name", max_length=64, placeholder=T("admin.keys.name_placeholder"), width="260px"),
                    field_error(S.errors.get("name", "")),
                    spacing="1",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.input(name="rate_limit_per_minute", type="number", min=1, max=100000, default_value="600", width="110px"),
                        rx.text(T("admin.keys.per_minute"), size="2", color_scheme="gray"),
                        align="center",
                        spacing="2",
                    ),
                    field_error(S.errors.get("rate_limit_per_minute", "")),
                    spacing="1",
                ),
                rx.button(rx.icon("key-round", size=16), T("admin.keys.issue"), type="submit"),
                busy(S.loading),
                align="start",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.issue,
            width="100%",
        ),
        rows_or_empty(
            S.keys,
            S.loading,
            table(
                ["admin.keys.name", "admin.keys.prefix", "admin.keys.rate", "admin.keys.created", "admin.keys.status", "common.actions"],
                rx.foreach(S.keys, key_row),
            ),
        ),
        issued_dialog(),
        revoke_dialog(),
    )


# ----------------------------------------------------------------------------
# 短信记录
# ----------------------------------------------------------------------------
def sms_row(m) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m["created_at"], white_space="nowrap"),
        rx.table.cell(rx.badge(UiState.t[m["direction_key"]], variant="soft", color_scheme="gray")),
        rx.table.cell(m["phone"], white_space="nowrap"),
        rx.table.cell(
            rx.link(
                m["text"],
                size="2",
                title=m["text"],
                overflow="hidden",
                text_overflow="ellipsis",
                white_space="nowrap",
                display="block",
                cursor="pointer",
                on_click=AdminSmsState.open_message(m["id"]),
            ),
            max_width="360px",
        ),
        rx.table.cell(rx.cond(m["case_code"] != "", rx.link(m["case_code"], href="/cases/" + m["case_code"]))),
        rx.table.cell(
            rx.badge(
                UiState.t[m["status_key"]],
                color_scheme=rx.match(m["status"], ("sent", "green"), ("failed", "red"), ("queued", "amber"), ("received", "blue"), "gray"),
            )
        ),
        rx.table.cell(m["attempts"], text_align="right"),
        # a note such as "became case ZS…" is not an error: red only for a failed send
        rx.table.cell(rx.text(m["last_error"], size="1", color_scheme=rx.cond(m["status"] == "failed", "red", "gray"))),
        align="center",
    )


def _sms_select(value, options: list[tuple[str, str]], on_change, label_key: str, id_: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=T(label_key), min_width="120px"),
        rx.select.content(
            rx.select.item(T("lists.sms.any").replace("{what}", T(label_key)), value="all"),
            *[rx.select.item(T(key), value=value) for value, key in options],
        ),
        value=value,
        on_change=on_change,
        size="2",
        id=id_,
    )


def sms_filters() -> rx.Component:
    S = AdminSmsState
    return rx.hstack(
        rx.form(
            rx.hstack(
                rx.input(name="phone", default_value=S.phone, placeholder=T("admin.sms.phone"), aria_label=T("admin.sms.phone"), size="2", width="150px"),
                rx.input(name="code", default_value=S.case_code, placeholder=T("lists.sms.code"), aria_label=T("lists.sms.code"), size="2", width="170px"),
                rx.input(name="day", type="date", default_value=S.day, aria_label=T("lists.sms.day"), size="2"),
                rx.button(rx.icon("search", size=14), T("lists.sms.search"), type="submit", size="2", variant="soft"),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            on_submit=S.search,
            id="sms-search",
        ),
        _sms_select(S.direction, [("in", "admin.sms.in"), ("out", "admin.sms.out")], S.set_direction, "admin.sms.direction", "sms-direction"),
        _sms_select(
            S.sms_status,
            [(s, f"admin.sms.status.{s}") for s in ("queued", "sent", "failed", "received", "kept")],
            S.set_sms_status,
            "admin.sms.status",
            "sms-state",
        ),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def sms_message_dialog() -> rx.Component:
    S = AdminSmsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.opened["phone"], " · ", S.opened["created_at"]),
            rx.text(S.opened["text"], white_space="pre-wrap", size="3", id="sms-full-text"),
            rx.cond(S.opened["last_error"], rx.text(S.opened["last_error"], size="1", color_scheme="gray", margin_top="8px")),
            rx.flex(rx.dialog.close(rx.button(T("lists.sms.close"), variant="soft")), justify="end", margin_top="12px"),
            max_width="520px",
        ),
        open=S.opened.length() > 0,
        on_open_change=S.close_message,
    )


def sms_tab() -> rx.Component:
    S = AdminSmsState
    return section(
        rx.hstack(rx.text(T("admin.sms.help"), size="2", color_scheme="gray"), rx.spacer(), busy(S.loading), width="100%", align="center"),
        sms_filters(),
        sms_message_dialog(),
        rows_or_empty(
            S.messages,
            S.loading,
            table(
                [
                    "admin.sms.time",
                    "admin.sms.direction",
                    "admin.sms.phone",
                    "admin.sms.text",
                    "admin.sms.case",
                    "admin.sms.status",
                    "admin.sms.attempts",
                    "admin.sms.error",
                ],
                rx.foreach(S.messages, sms_row),
            ),
        ),
        list_pager(S, "admin.sms.total"),
    )


# ----------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------
def schedule_warning() -> rx.Component:
    return rx.cond(
        AdminState.missing_next_year != "",
        rx.callout(
            T("admin.holidays.missing_warning").replace("{year}", AdminState.missing_next_year),
            icon="triangle-alert",
            color_scheme="red",
            width="100%",
            id="holiday-missing-warning",
        ),
    )


@app_page(route="/admin", title="系统管理", roles=("admin",), on_load=[AdminState.load_page])
def admin_page() -> rx.Component:
    tabs = {"users": users_tab, "categories": categories_tab, "teams": teams_tab, "holidays": holidays_tab, "api_keys": api_keys_tab, "sms": sms_tab,
            "classify": classify_tab}
    return rx.vstack(
        page_title("admin.title"),
        schedule_warning(),
        rx.tabs.root(
            rx.tabs.list(
                *[rx.tabs.trigger(rx.hstack(rx.icon(icon, size=15), rx.text(T(key)), spacing="2", align="center"), value=value) for value, key, icon in TAB_LABELS],
                size="2",
            ),
            *[rx.tabs.content(build(), value=value, padding_top="16px") for value, build in tabs.items()],
            value=AdminState.tab,
            on_change=AdminState.set_tab,
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
