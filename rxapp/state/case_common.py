"""What the three staff case pages' states share (/cases, /cases/new,
/cases/[code]): constants, and untrusted values in, display strings out.

Every handler of those states (``case_list``, ``case_new``, ``case_detail``)

* starts with ``actor = await self.require(...)``, which raises
  ``AccessDenied`` for a caller without the role before anything happens
  (the guard middleware normally drops such events earlier; neither trusts
  the other);
* parses every argument itself (ids from strings, codes against
  ``^ZS\\d{12}$``, choices against the options it offered, lengths capped,
  action names looked up in ``ACTION_FUNCTIONS`` — never ``getattr``);
* runs the domain in a thread (``run_db``) and turns a ``DomainError`` into a
  message next to the field it names (``DomainError.field``) or a toast.

Vars hold display strings for one page of rows. A requester's name, phone and
address reach a var only as ``case_detail`` returned them for this actor
(masked for leaders); ids the actions need stay in backend-only ``_vars``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rxapp import formatting as fmt
from rxapp.domain import queries as Q
from rxapp.domain.errors import DomainError, StaleVersion
from rxapp.i18n import DEFAULT_LOCALE
from rxapp.models import CaseStatus, Channel, Role
from rxapp.state.paged import ALL, int_in, toast_error as _toast_error

S = CaseStatus
NONE = "none"  # a form select's "nothing chosen" (Radix items cannot have the value "")
CASE_CODE = re.compile(r"^ZS\d{12}$")
INTAKE_ROLES = (Role.DISPATCHER, Role.MEMBER, Role.ADMIN)
INTAKE_CHANNELS = (Channel.DESK, Channel.PHONE, Channel.VISIT)
TRIAGE_ROLES = (Role.DISPATCHER, Role.ADMIN)
MAX_INPUT = 4000  # longer than any field the domain accepts: garbage is refused early
MAX_ID = 2**31 - 1

# list views: "all" is the filtered search; the others are work queues
BUCKET_VIEWS = {"unsigned": "待签收", "handling": "办理中", "due_soon": "即将超期", "overdue": "已超期"}
VIEWS = (ALL, "triage", "follow_up", *BUCKET_VIEWS)
STATUS_FILTERS = (Q.OPEN_FILTER, *S.ALL)
STALE_MESSAGE = StaleVersion().message

STATUS_COLOR = {
    S.SUBMITTED: "orange",
    S.ACCEPTED: "blue",
    S.ROUTED: "cyan",
    S.IN_PROGRESS: "indigo",
    S.RESOLVED: "green",
    S.CLOSED: "gray",
    S.REJECTED: "red",
    S.DUPLICATE: "gray",
}
ACTION_COLOR = {"reject": "red", "return": "orange", "resolve": "green", "supervise": "crimson", "mark_duplicate": "gray"}
# the input each action's dialog asks for, also where its errors are shown
ACTION_FIELDS = {
    "accept": ("category_code", "promise_text", "note"),
    "reject": ("reason",),
    "route": ("department_id", "note"),
    "sign": (),
    "return": ("reason",),
    "request_extension": ("days", "reason"),
    "decide_extension": ("approve", "note"),
    "supervise": ("note",),
    "comment": ("note",),
    "add_note": ("note",),
    "public_reply": ("text",),
    "resolve": ("result_text",),
    "evaluate": ("satisfaction", "score", "comment"),
    "close": ("note",),
    "mark_duplicate": ("duplicate_of_code",),
}
INTAKE_FIELDS = ("channel", "content", "requester_name", "requester_phone", "requester_address", "grid_id", "category_code")


# ----------------------------------------------------------------------------
# Untrusted values in, display strings out
# ----------------------------------------------------------------------------
def _when(value: datetime | None, lang: str = DEFAULT_LOCALE) -> str:
    return fmt.day_time(value, lang)


def _day(value: datetime | None, lang: str = DEFAULT_LOCALE) -> str:
    return fmt.day(value, lang)


def _int_text(value: Any, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """A decimal id or number sent as a string (or int); None when it is not one."""
    return int_in(value, lo, hi)


def _choice(value: Any, options: list[dict[str, str]], key: str = "id") -> str | None:
    """The value if it is one of the options this page offered, else None."""
    if not isinstance(value, str) or len(value) > 32:
        return None
    return value if any(o[key] == value for o in options) else None


def _form(form_data: Any) -> Mapping[str, Any]:
    if not isinstance(form_data, Mapping):
        raise DomainError("提交的内容无效", "form")
    return form_data


def _text(form: Mapping[str, Any], key: str, max_len: int = MAX_INPUT) -> str:
    """A text field of a form: a string of bounded length (the domain checks the rest)."""
    value = form.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("输入内容格式不正确", key)
    if len(value) > max_len:
        raise DomainError("输入内容过长", key)
    return value


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _case_code(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 20:
        return None
    code = value.strip().upper()
    return code if CASE_CODE.match(code) else None


def _status_key(status: str) -> str:
    return f"cases.status.{status}" if status in S.ALL else "cases.status.unknown"



