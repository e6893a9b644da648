"""The states every page builds on.

* ``UiState``: locale and translated strings — public, no personal data.
* ``AppState``: the logged-in user as the UI shows them (their own name, role,
  area). Identity for decisions is never read from these vars: every handler
  calls ``require(...)``, which resolves the HttpOnly session cookie of this
  socket against the database.
* ``access`` registers which roles may send events to a state class; the
  middleware in ``rxapp.state.guard`` denies everything not registered.
"""

from typing import Any, Callable

import reflex as rx
from sqlmodel import Session

from rxapp.db import run_db
from rxapp.domain.access import Actor
from rxapp.domain.auth import actor_cache, actor_for_token, token_from_cookie_header
from rxapp.domain.clock import today
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.formatting import recent_months
from rxapp.i18n import DEFAULT_LOCALE, LOCALES, MESSAGES, local_name
from rxapp.models import Area, Department, Team

# state class -> roles allowed to send its events; None = anyone (public pages)
ACCESS: dict[type, tuple[str, ...] | None] = {}
PUBLIC = None
# handlers anyone may send although their class is private (they check inside)
PUBLIC_HANDLERS: dict[type, tuple[str, ...]] = {}
STAFF = ("leader", "dispatcher", "dept", "member", "admin")


def access(roles: tuple[str, ...] | None):
    """Class decorator: who may send events to this state (deny by default)."""

    def mark(cls):
        ACCESS[cls] = roles
        return cls

    return mark


def roles_for(cls: type) -> tuple[str, ...] | None | bool:
    """The registered roles of the class or its nearest registered ancestor;
    False when nothing is registered (deny)."""
    for klass in cls.__mro__:
        if klass in ACCESS:
            return ACCESS[klass]
    return False


async def actor_from_cookie(cookie_header: str | None) -> Actor | None:
    token = token_from_cookie_header(cookie_header)
    if not token:
        return None
    known, actor = actor_cache.get(token)
    if not known:
        actor = await run_db(lambda s: actor_for_token(s, token))
        actor_cache.put(token, actor)
    return actor


@access(PUBLIC)
class UiState(rx.State):
    """Language of this browser (remembered in localStorage)."""

    locale: str = rx.LocalStorage(DEFAULT_LOCALE, name="gd_locale", sync=True)

    @rx.var
    def lang(self) -> str:
        return self.locale if self.locale in LOCALES else DEFAULT_LOCALE

    @rx.var
    def t(self) -> dict[str, str]:
        return MESSAGES[self.lang]

    @rx.event
    def toggle_locale(self):
        self.locale = "en" if self.lang == "zh" else "zh"
        # names, dates and charts are rendered on the server in the language: load the page
        # again (the browser writes the new locale to localStorage before it runs this)
        return rx.call_script("window.location.reload()")

    @rx.event
    def set_locale(self, value: str):
        self.locale = value if value in LOCALES else DEFAULT_LOCALE


def T(key: str) -> rx.Var:
    """A translated string that follows the browser's locale."""
    if key not in MESSAGES[DEFAULT_LOCALE]:
        raise KeyError(f"missing message key {key!r}")
    return UiState.t[key]


@access(STAFF)
class OwnerState(rx.State):
    """Which user this tab's private state was built for, on its own: the
    guard reads it on every event, and a state without substates is one
    small read (reading ``AppState`` would load every private page's state
    with it — with Redis, one unpickle each, on every event)."""

    _user_id: int = 0


@access(STAFF)
class AppState(rx.State):
    """The signed-in user as shown in the shell. Private substates inherit it."""

    user_name: str = ""
    user_role: str = ""
    area_name: str = ""
    area_level: str = ""
    team_name: str = ""
    department_name: str = ""

    async def ui_lang(self) -> str:
        """The language this browser shows (names and dates are rendered in it)."""
        return (await self.get_state(UiState)).lang

    async def current_actor(self) -> Actor | None:
        return await actor_from_cookie(self.router.headers.cookie)

    async def require(self, *roles: str) -> Actor:
        """The server-side check every handler starts with."""
        actor = await self.current_actor()
        if actor is None:
            raise AccessDenied("请先登录")
        if roles and actor.role not in roles:
            raise AccessDenied()
        return actor

    def _fill_user(self, actor: Actor, area: Area | None, team: Team | None, dep: Department | None, lang: str = DEFAULT_LOCALE) -> None:
        self.user_name = actor.display_name
        self.user_role = actor.role
        self.area_name = area.name if area else ""
        self.area_level = area.level if area else ""
        self.team_name = team.name if team else ""
        self.department_name = local_name(dep, lang)

    @rx.event
    async def load_user(self):
        """on_load of every private page: sign-in check and shell data."""
        actor = await self.current_actor()
        if actor is None:
            self.reset()
            path = self.router.url.path or "/"
            return rx.redirect(f"/login?next={path}")

        def fetch(s: Session):
            return (
                s.get(Area, actor.scope_area_id) if actor.scope_area_id else None,
                s.get(Team, actor.team_id) if actor.team_id else None,
                s.get(Department, actor.department_id) if actor.department_id else None,
            )

        self._fill_user(actor, *await run_db(fetch), lang=await self.ui_lang())
        (await self.get_state(OwnerState))._user_id = actor.user_id
        return None

    @rx.var
    def role_key(self) -> str:
        return f"role.{self.user_role}" if self.user_role else "role.member"

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_role)


PUBLIC_HANDLERS[AppState] = ("load_user",)


class FormFeedback(rx.State, mixin=True):
    """A form page's feedback and month choices: ``error`` and ``info`` hold
    catalog keys or domain messages; ``month_options`` the recent months in
    the UI's language (``recent_months``)."""

    error: str = ""
    info: str = ""
    month_options: list[dict[str, str]] = []

    async def _load_months(self) -> None:
        self.month_options = recent_months(today(), (await self.get_state(UiState)).lang)

    async def _attempt(self, work: Callable[[Session], Any], done: str = "") -> tuple[bool, Any]:
        """One step of a user action: ``work`` runs in a database session; a
        domain error becomes ``error`` and clears ``info`` (nothing written);
        success clears ``error`` and, with ``done``, sets ``info`` to it.
        Returns (succeeded, what ``work`` returned)."""
        self.error = ""
        try:
            value = await run_db(work)
        except DomainError as exc:
            self.error, self.info = exc.message, ""
            return False, None
        if done:
            self.info = done
        return True, value
