"""Every HTTP route of the whole app, walked with hostile inputs.

The routes come from the app object itself: ``rxapp.rxapp.app`` built into
its ASGI stack the way ``reflex run`` builds it (Reflex's own routes, the
``/_upload`` endpoint, the socket mount and the FastAPI routes of
``api_transformer``, Open311 included), with the frontend compile left out
so the walk takes seconds.  Each route gets: no or a forged session,
malformed JSON, wrong types in every parameter it declares, unknown ids in
its path, a form and a multipart body, and bodies over the size limit
(declared and streamed).  Every input carries one marker string; no answer
may be a 5xx, and no answer (body or headers) may carry the marker back.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route, WebSocketRoute

from rxapp.api.hardening import JSON_BODY_LIMIT
from rxapp.api.media import upload_limit
from tests.api.test_open311 import DEMO_KEY, _ensure_key

MARKER = "zqx" + uuid.uuid4().hex[:10] + "qzx"
PATH_VALUES = ["999999999", "-1", MARKER, f"..%2F..%2F{MARKER}", "0x" + MARKER]
SKIP_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def asgi_app(state_db):
    """The app's ASGI stack as ``reflex run`` serves it, without compiling
    the frontend: ``_compile`` is replaced by what it does for the backend
    (register ``/_upload`` when the app uses uploads, which it does)."""
    from reflex_components_core.core.upload import Upload

    from rxapp.rxapp import app

    was_used = Upload.is_used
    Upload.is_used = True
    original = app._compile
    app._compile = lambda *a, **k: app._add_optional_endpoints()
    try:
        yield app()
    finally:
        app._compile = original
        Upload.is_used = was_used


def _walk(routes, prefix=""):
    """(path, methods, route) for every route below ``routes``; mounts are
    entered, and a mounted app without routes (static files, the socket
    server) is a route of its own."""
    for route in routes:
        if isinstance(route, WebSocketRoute):
            continue
        included = getattr(route, "original_router", None)  # FastAPI's include_router
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
            continue
        if isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            path = prefix + route.path
            if inner:
                yield from _walk(inner, path)
            else:
                yield path + "/{file_path}", {"GET", "POST"}, route
            continue
        if isinstance(route, Route):
            yield prefix + route.path, set(route.methods or {"GET"}) - SKIP_METHODS, route


def _routes(asgi_app):
    app = asgi_app
    while not hasattr(app, "routes"):  # CORS / context middleware around the Starlette app
        app = app.app
    seen, out = set(), []
    for path, methods, route in _walk(app.routes):
        key = (path, tuple(sorted(methods)))
        if key not in seen:
            seen.add(key)
            out.append((path, methods, route))
    return out


def _params(route):
    if not isinstance(route, APIRoute):
        return [], [], []
    query, headers, body, todo = [], [], [], [route.dependant]
    while todo:  # the route's own parameters and those of its dependencies
        dep = todo.pop()
        query += [p.alias for p in dep.query_params]
        headers += [p.alias for p in dep.header_params]
        body += [p.alias for p in dep.body_params]
        todo += dep.dependencies
    return query, headers, body


def _fill(path: str, value: str, fmt: str | None = None) -> str:
    """The path with every placeholder set to ``value`` (a format placeholder to ``fmt``)."""
    return re.sub(r"\{([^}]+)\}", lambda m: fmt if fmt and m.group(1) in ("fmt", "format") else value, path)


def _urls(path: str):
    formats = ["json", "xml", None] if re.search(r"\{(fmt|format)\}", path) else [None]
    return sorted({_fill(path, value, fmt) for value in PATH_VALUES for fmt in formats})


def _hostile_requests(path, methods, route, cookie):
    """(method, url, kwargs) for one route: anonymous, forged and real sessions."""
    query, header_names, body = _params(route)
    q = {name: MARKER for name in query} | {"id": MARKER, "page": MARKER, "limit": "-1"}
    headers = {name: MARKER for name in header_names} | {
        "cookie": f"gd_session={MARKER}",
        "reflex-client-token": MARKER,
        "reflex-event-handler": MARKER,
        "x-griddesk-webhook-secret": MARKER,
        "authorization": f"Bearer {MARKER}",
    }
    staff = {"cookie": cookie}
    fields = body or ["username", "password", "api_key", "description", "code", "phone"]
    for url in _urls(path):
        for method in sorted(methods):
            yield method, url, {}
            yield method, url, {"params": q, "headers": headers}
            yield method, url, {"params": q, "headers": staff}
            if method == "GET":
                continue
            yield method, url, {"content": b'{"' + MARKER.encode() + b'": [', "headers": {"content-type": "application/json", **staff}}
            yield method, url, {"json": {f: [MARKER, {"x": MARKER}] for f in fields}, "params": q}
            yield method, url, {"json": {f: MARKER for f in fields}, "headers": headers}
            yield method, url, {"json": [MARKER] * 3, "headers": staff}
            yield method, url, {"data": {f: MARKER for f in fields}, "params": q}
            # past the key check: a real Open311 key, every other field hostile
            yield method, url, {"data": {f: MARKER for f in fields} | {"api_key": DEMO_KEY, "lat": MARKER, "long": "999"}}
            yield method, url, {"data": {f: MARKER for f in fields}, "files": {"media": (f"{MARKER}.jpg", MARKER.encode() * 10, "image/jpeg")}, "headers": headers}
            yield method, url, {"content": MARKER.encode() * 3, "headers": {"content-type": f"multipart/form-data; boundary={MARKER}", **headers}}
    if path.endswith("/_upload"):  # past the header check: a real upload handler, a well-formed token
        for handler in _upload_handlers():
            real = {"reflex-client-token": str(uuid.uuid4()), "reflex-event-handler": handler}
            yield "POST", path, {"headers": real}
            yield "POST", path, {"data": {"files": MARKER}, "headers": real}
            yield "POST", path, {"data": {"__reflex_event_args": "{" + MARKER}, "files": {"files": ("a.jpg", b"x", "image/jpeg")}, "headers": real}
            yield "POST", path, {"data": {"__reflex_event_args": f'["{MARKER}"]'}, "files": {"files": ("a.jpg", b"x", "image/jpeg")}, "headers": real}
            yield "POST", path, {"files": {"__reflex_event_args": (MARKER, MARKER.encode(), "text/plain")}, "headers": real}
            yield "POST", path, {"content": MARKER.encode() * 3, "headers": {"content-type": f"multipart/form-data; boundary={MARKER}", **real}}
            yield "POST", path, {"headers": {**real, "reflex-client-token": MARKER}}


def _upload_handlers() -> list[str]:
    from reflex_base.registry import RegistrationContext

    from rxapp.api.media import is_upload_handler

    names = sorted(n for n in RegistrationContext.get().event_handlers if is_upload_handler(n))
    assert names, "the app registers upload handlers"
    return names


def _limit_for(method: str, url: str, content_type: str, headers: dict) -> int:
    scope = {"type": "http", "method": method, "path": url.split("?")[0], "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    return upload_limit(scope) or (JSON_BODY_LIMIT if not content_type.startswith("multipart/") else 0)


async def _call(client, method, url, kwargs):
    from rxapp.domain.open311 import rate_limiter

    rate_limiter.reset()  # a 429 would hide what the route itself answers
    return await asyncio.wait_for(client.request(method, url, **kwargs), timeout=20)


def _check(response, what, problems):
    text = response.text
    head = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    if response.status_code >= 500:
        problems.append(f"{what} -> {response.status_code}: {text[:160]}")
    if MARKER in text or MARKER in head:
        problems.append(f"{what} -> {response.status_code} echoes the input: {text[:160]} {head[:160]}")


@pytest.mark.anyio
async def test_every_route_survives_hostile_input_without_5xx_or_echo(asgi_app, monkeypatch, login_token):
    from rxapp.domain.auth import COOKIE_NAME

    monkeypatch.setenv("GRIDDESK_ORIGINS", "http://testserver")
    _ensure_key(DEMO_KEY)
    cookie = f"{COOKIE_NAME}={login_token('dispatcher')}"
    routes = _routes(asgi_app)
    paths = {p for p, _, _ in routes}
    # the walk really covers the app: Reflex's routes, the upload endpoint, Open311 and the JSON API
    for expected in ("/ping", "/_upload", "/api/auth/login", "/api/open311/v2/requests.{fmt}", "/api/sms/inbound"):
        assert expected in paths, (expected, sorted(paths))
    assert len(routes) >= 25
    problems: list[str] = []
    sent = 0
    transport = httpx.ASGITransport(app=asgi_app)
    # the app's lifespan runs (Reflex's event processor: an upload reaches its handler)
    async with asgi_app.router.lifespan_context(asgi_app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path, methods, route in routes:
            for method, url, kwargs in _hostile_requests(path, methods, route, cookie):
                response = await _call(client, method, url, kwargs)
                sent += 1
                _check(response, f"{method} {url} {sorted(kwargs)}", problems)
    print(f"route walk: {len(routes)} routes, {sent} hostile requests, {len(problems)} problems")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.anyio
async def test_every_route_refuses_bodies_over_its_limit(asgi_app):
    routes = _routes(asgi_app)
    problems: list[str] = []
    transport = httpx.ASGITransport(app=asgi_app)
    checked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path, methods, _route in routes:
            for method in sorted(methods - {"GET"}):
                url = _fill(path, "1")
                for content_type in ("application/json", "multipart/form-data; boundary=x"):
                    headers = {"content-type": content_type, "reflex-event-handler": "x"}
                    limit = _limit_for(method, url, content_type, headers)
                    if not limit:
                        continue
                    # declared too large: refused before a byte is read
                    big = {**headers, "content-length": str(limit + 1)}
                    r = await _call(client, method, url, {"content": b"{}", "headers": big})
                    checked += 1
                    if r.status_code != 413:
                        problems.append(f"{method} {url} {content_type} declared {limit + 1} -> {r.status_code}")
                    if content_type != "application/json":
                        continue

                    consumed = 0

                    async def chunks(n=limit // 4096 + 2):  # no length: cut off while streaming
                        nonlocal consumed
                        consumed += 6 + len(MARKER)
                        yield b'{"x":"' + MARKER.encode()
                        for _ in range(n):
                            consumed += 4096
                            yield b"y" * 4096

                    r = await _call(client, method, url, {"content": chunks(), "headers": headers})
                    checked += 1
                    # either refused with 413, or answered without reading past the limit
                    if (r.status_code != 413 and consumed > limit) or MARKER in r.text or r.status_code >= 500:
                        problems.append(f"{method} {url} streamed, {consumed} bytes read of {limit} -> {r.status_code} {r.text[:100]}")
    print(f"body limits: {checked} oversized requests")
    assert checked >= 10
    assert not problems, "\n".join(problems)
