"""One paged, sorted, filtered list — the pattern every list page uses.

A list state mixes ``PagedList`` in before its parent state, declares its
filters once in ``LIST_FILTERS`` and implements ``_list_fetch``::

    @access(ROLES)
    class MeetingsState(PagedList, AppState):
        LIST_ROLES = ROLES
        LIST_FILTERS = (Filter("kind", values=MeetingKind.ALL), Filter("month", options="month_options"))
        kind: str = ALL
        month: str = ALL
        set_kind = filter_setter("kind")

        async def _list_fetch(self, actor) -> None: ...   # fills the rows and self.total

and gets, validated and written once here:

* ``go_page`` (any page number, clamped), ``set_page_size`` (``PAGE_SIZES``),
  ``set_sort`` (one of ``LIST_SORTS``), ``set_filter(name, value)`` and
  ``filter_setter`` one-liners for the names pages and tests already use,
  ``search(form)`` for the text filters a form submits together;
* the filters in the URL query (``?status=routed&page=3``): every change
  replaces the address bar's query (no navigation), and ``_list_from_url``
  reads a link's query back, each value validated like a click, so a link is
  shareable and Back from a drill-down reopens the list as it was left.

Every handler starts with ``require(*LIST_ROLES)``; a ``DomainError`` becomes
a toast and never escapes. Filters never reach SQL as names: the domain gets
values the page offered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from rxapp.domain.errors import DomainError

ALL = "all"  # a filter select's "any" (Radix items cannot have the value "")
PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10**6
_INVALID = object()


def toast_error(message: str):
    return rx.toast.error(message, close_button=True)


def int_in(value: Any, lo: int, hi: int) -> int | None:
    """A whole number sent as an int or a decimal string, within [lo, hi]; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
            return None
        value = int(text)
    if isinstance(value, int) and lo <= value <= hi:
        return value
    return None


def pages_of(total: int, size: int = DEFAULT_PAGE_SIZE) -> int:
    return max(1, -(-total // max(1, size)))


@dataclass(frozen=True)
class Filter:
    """One filter of a list: the state var ``name`` (also its URL key unless
    ``param`` says otherwise; ``param=""`` keeps it out of the URL).

    kind: ``choice`` (``values``, or the ids of the option list in the var
    ``options``; ``ALL`` is always allowed), ``text`` (stripped, at most
    ``max_len``), ``bool``, ``date`` (ISO ``YYYY-MM-DD``). ``clears``: vars
    reset to "" / ALL when this filter changes (a dependent filter)."""

    name: str
    kind: str = "choice"
    values: tuple[str, ...] = ()
    options: str = ""
    param: str | None = None
    max_len: int = 64
    clears: tuple[str, ...] = ()
    label: str = ""  # named in the "ignored" notice of a bad link
    initial: Any = None  # the unfiltered value when it is not the kind's usual one

    @property
    def key(self) -> str:
        return self.name if self.param is None else self.param

    @property
    def default(self) -> Any:
        if self.initial is not None:
            return self.initial
        return {"text": "", "date": "", "bool": False}.get(self.kind, ALL)


def filter_setter(name: str):
    """An event handler ``set_<name>(value)`` for one declared filter."""

    async def handler(self, value: Any = None):
        async for ev in self._list_set(name, value):
            yield ev

    handler.__name__ = handler.__qualname__ = f"set_{name}"
    return handler


class PagedList(rx.State, mixin=True):
    """Paging, page size, sorting and URL-backed filters of one list."""

    LIST_ROLES: ClassVar[tuple[str, ...]] = ()
    LIST_FILTERS: ClassVar[tuple[Filter, ...]] = ()
    LIST_SORTS: ClassVar[tuple[str, ...]] = ()
    LIST_URL: ClassVar[bool] = True  # write the filters into the address bar

    total: int = 0
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    loading: bool = True

    @rx.var
    def pages(self) -> int:
        return pages_of(self.total, self.page_size)

    # -- hooks of the list ------------------------------------------------------
    async def _list_fetch(self, actor) -> None:
        """Load page ``self.page`` of ``self.page_size`` rows; set ``self.total``."""
        raise NotImplementedError

    async def _list_changed(self, actor, name: str) -> None:
        """After filter ``name`` changed (e.g. load a dependent select's options)."""

    def _list_url_extra(self) -> dict[str, str]:
        """Query parameters of the list beside its filters (a tab, a view)."""
        return {}

    # -- validation ---------------------------------------------------------------
    def _list_filter(self, name: str) -> Filter | None:
        return next((f for f in self.LIST_FILTERS if f.name == name), None)

    def _list_value(self, f: Filter, raw: Any) -> Any:
        """The filter's value from untrusted input, or ``_INVALID``."""
        if f.kind == "bool":
            if isinstance(raw, bool):
                return raw
            return {"1": True, "true": True, "0": False, "false": False}.get(raw, _INVALID) if isinstance(raw, str) else _INVALID
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            return _INVALID
        if f.kind == "text":
            text = raw.strip()
            return text if len(text) <= f.max_len else _INVALID
        if f.kind == "date":
            if raw == "":
                return ""
            try:
                return raw if len(raw) == 10 and date.fromisoformat(raw) else _INVALID
            except ValueError:
                return _INVALID
        if raw == ALL and f.default == ALL:
            return ALL
        if len(raw) > 32:
            return _INVALID
        if f.options:
            offered = (o.get("id") if isinstance(o, Mapping) else o for o in getattr(self, f.options))
            return raw if raw in offered else _INVALID
        return raw if raw in f.values else _INVALID

    # -- the URL ------------------------------------------------------------------
    def _list_query(self) -> dict[str, str]:
        params = dict(self._list_url_extra())
        for f in self.LIST_FILTERS:
            value = getattr(self, f.name)
            if f.key and value != f.default:
                params[f.key] = "1" if value is True else str(value)
        if self.sort and self.LIST_SORTS and self.sort != self.LIST_SORTS[0]:
            params["sort"] = self.sort
        if self.page > 1:
            params["page"] = str(self.page)
        if self.page_size != DEFAULT_PAGE_SIZE:
            params["size"] = str(self.page_size)
        return params

    def _list_url_event(self):
        """Replace the address bar's query with the list's (no navigation, no reload)."""
        path = self.router.url.path or "/"
        query = urlencode(self._list_query())
        url = f"{path}?{query}" if query else path
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    def _list_from_url(self, params: Mapping[str, str]) -> list[str]:
        """Apply a link's query (each value validated); the ignored ones' labels."""
        bad: list[str] = []
        for f in self.LIST_FILTERS:
            raw = params.get(f.key, "") if f.key else ""
            if raw == "":
                continue
            value = self._list_value(f, raw)
            if value is _INVALID:
                bad.append(f.label or f.key)
            else:
                setattr(self, f.name, value)
        sort = params.get("sort", "")
        if sort:
            if sort in self.LIST_SORTS:
                self.sort = sort
            else:
                bad.append("排序")
        size = params.get("size", "")
        if size:
            n = int_in(size, 1, max(PAGE_SIZES))
            if n in PAGE_SIZES:
                self.page_size = n
            else:
                bad.append("每页条数")
        page = params.get("page", "")
        if page:
            n = int_in(page, 1, MAX_PAGE)
            if n:
                self.page = n
            else:
                bad.append("页码")
        return bad

    def _list_reset(self) -> None:
        for f in self.LIST_FILTERS:
            setattr(self, f.name, f.default)
        self.sort = self.LIST_SORTS[0] if self.LIST_SORTS else ""
        self.page = 1

    # -- loading ------------------------------------------------------------------
    async def _list_reload(self, actor, *, first_page: bool = True, url: bool = True):
        """Spinner out, the rows, the address bar (an async generator of events);
        ``url=False`` when the address bar already holds the list's query."""
        if first_page:
            self.page = 1
        self.loading = True
        yield
        try:
            await self._list_fetch(actor)
            if self.total and self.page > self.pages:  # the list shrank under us: the last page
                self.page = self.pages
                await self._list_fetch(actor)
        except DomainError as exc:
            yield toast_error(exc.message)
        finally:
            self.loading = False
        if url and self.LIST_URL:
            yield self._list_url_event()

    async def _list_apply(self, change, *, first_page: bool = True, changed: str = ""):
        """Check the caller, apply ``change()`` (False: the input was refused,
        nothing happens), run the ``changed`` hook, then reload."""
        try:
            actor = await self.require(*self.LIST_ROLES)
            if change() is False:
                return
            if changed:
                await self._list_changed(actor, changed)
        except DomainError as exc:
            yield toast_error(exc.message)
            return
        async for ev in self._list_reload(actor, first_page=first_page):
            yield ev

    async def _list_set(self, name: str, value: Any):
        f = self._list_filter(name)

        def change() -> bool:
            parsed = self._list_value(f, value) if f else _INVALID
            if parsed is _INVALID:
                return False
            setattr(self, name, parsed)
            for dep in f.clears:
                dependent = self._list_filter(dep)
                setattr(self, dep, dependent.default if dependent else "")
            return True

        async for ev in self._list_apply(change, changed=name):
            yield ev

    # -- the handlers every list has --------------------------------------------
    @rx.event
    async def set_filter(self, name: Any, value: Any = None):
        if isinstance(name, str) and self._list_filter(name) is not None:
            async for ev in self._list_set(name, value):
                yield ev

    @rx.event
    async def go_page(self, page: Any):
        def change() -> bool:
            n = int_in(page, 1, MAX_PAGE)
            if n is None:
                return False
            self.page = min(n, self.pages)
            return True

        async for ev in self._list_apply(change, first_page=False):
            yield ev

    @rx.event
    async def jump_page(self, form_data: Any):
        """The pager's "go to page" box (a form with ``page``)."""
        raw = form_data.get("page") if isinstance(form_data, Mapping) else None
        async for ev in self.go_page(raw):
            yield ev

    async def _list_choose(self, attr: str, value: Any, allowed):
        """Set ``attr`` to ``value`` if it is one of ``allowed``, then reload."""

        def change() -> bool:
            if isinstance(value, bool) or value not in allowed:
                return False
            setattr(self, attr, value)
            return True

        async for ev in self._list_apply(change):
            yield ev

    @rx.event
    async def set_page_size(self, value: Any):
        async for ev in self._list_choose("page_size", int_in(value, 1, max(PAGE_SIZES)), PAGE_SIZES):
            yield ev

    @rx.event
    async def set_sort(self, value: Any):
        async for ev in self._list_choose("sort", value if isinstance(value, str) else None, self.LIST_SORTS):
            yield ev

    @rx.event
    async def search(self, form_data: Any):
        """The text filters a form submits together (each declared ``text`` or
        ``date`` filter whose name is a field of the form)."""

        def change() -> None:
            if not isinstance(form_data, Mapping):
                raise DomainError("提交的内容无效", "form")
            values: dict[str, Any] = {}
            for f in self.LIST_FILTERS:
                if f.kind in ("text", "date") and f.key in form_data:
                    value = self._list_value(f, form_data.get(f.key))
                    if value is _INVALID:
                        raise DomainError(f"{f.label or f.key}无效或过长", f.key)
                    values[f.name] = value
            self._list_check_search(values)
            for name, value in values.items():
                setattr(self, name, value)

        async for ev in self._list_apply(change, changed="search"):
            yield ev

    def _list_check_search(self, values: dict[str, Any]) -> None:
        """Cross-field checks of a search form (raise ``DomainError``)."""
