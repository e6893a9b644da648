"""What the team-work pages' states share (/diary, /households, /meetings).

Every handler of those states

* starts with ``actor = await self.require(*roles)`` (the guard middleware
  checks the class's roles too; neither trusts the other),
* treats every argument as untrusted: ids are parsed here or by the domain,
  choices are checked against the options the page offered, form values that
  are not short strings are refused,
* runs the domain in a thread (``run_db``) and shows a ``DomainError`` next to
  the field it names (``errors[field]``) and as a toast — it never escapes.

Vars hold display strings only, as the domain returned them for this actor
(masked for leaders).  Ids the writes need are checked against what the page
loaded, never trusted from the client alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import reflex as rx

from rxapp.domain.clock import month_key, today
from rxapp.domain.errors import DomainError
from rxapp.i18n import translate
from rxapp.models import Role
from rxapp.state.base import UiState

TEAMWORK_ROLES = (Role.MEMBER, Role.LEADER, Role.ADMIN)
ALL = "all"  # a filter select's "any" (Radix items cannot have the value "")
MAX_FORM_TEXT = 25_000  # longer than any field accepts: garbage is refused early


def s(value: Any) -> str:
    return "" if value is None else str(value)


def day_text(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def when_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def this_month() -> str:
    return month_key(today())


def recent_months(n: int = 12) -> list[str]:
    t = today()
    y, m = t.year, t.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def form_of(form_data: Any) -> Mapping[str, Any]:
    if not isinstance(form_data, Mapping):
        raise DomainError("提交的内容无效", "form")
    return form_data


def field(form: Mapping[str, Any], key: str) -> Any:
    """A form value: strings pass (the domain checks them); a huge string is
    refused here; anything else goes on as is for the domain to refuse."""
    value = form.get(key)
    if isinstance(value, str) and len(value) > MAX_FORM_TEXT:
        raise DomainError("输入内容过长", key)
    return value


def choice(value: Any, options: list[dict[str, str]], key: str = "id") -> str | None:
    """The value if it is one of the options the page offered, else None."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    return value if any(o.get(key) == value for o in options) else None


def path_id(path: str | None) -> int | None:
    """The trailing id of a dynamic route such as /diary/12 (None when not one)."""
    last = (path or "").rstrip("/").rsplit("/", 1)[-1]
    if last.isascii() and last.isdigit() and 0 < len(last) <= 10:
        n = int(last)
        return n if 0 < n < 2**31 else None
    return None


def toast_error(message: str):
    return rx.toast.error(message, close_button=True)


async def say(state: rx.State, key: str, **params: Any) -> str:
    ui = await state.get_state(UiState)
    return translate(key, ui.lang, **params)


def error_map(exc: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """{field: message} for the form, "form" when the field is not on it."""
    return {exc.field if exc.field in fields else "form": exc.message}
