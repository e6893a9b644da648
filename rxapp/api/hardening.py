"""Request-level defences of the HTTP API, installed by ``build_api``.

* **Validation errors never echo input.** FastAPI's default 422 carries each
  error's ``input`` (a password, a 10 MB body). ``validation_error`` answers
  with the field and a short message only.
* **Body size limits before reading.** ``BodyLimit`` refuses a request whose
  ``Content-Length`` is over the limit with 413 before the app reads a byte,
  and stops a chunked body as soon as it passes the limit: JSON and form
  routes ``JSON_BODY_LIMIT`` (64 KB); multipart uploads ``UPLOAD_BODY_LIMIT``
  (``UPLOAD_FILES`` files of ``UPLOAD_FILE_LIMIT`` each plus the form fields).
* **Cross-site posts refused.** ``OriginCheck``: a state-changing request
  (POST, PUT, PATCH, DELETE) under ``/api/`` that a browser could send with
  the user's cookies must come from this site: its ``Origin`` (or, without
  one, its ``Referer``) must be one of ``GRIDDESK_ORIGINS`` or the request's
  own host; a browser's ``Sec-Fetch-Site: cross-site`` is refused too. A
  request with none of these headers is not a browser's (every current
  browser sends ``Origin`` on a POST) and passes. Machine routes that are
  authenticated by a key or secret and ignore cookies (``MACHINE_ROUTES``:
  Open311 POST, the SMS webhook) are exempt, so gateways keep working.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rxapp.api.media import upload_limit

JSON_BODY_LIMIT = 64 * 1024
# the hook for photo uploads (Open311 POST ``media``, /public/submit): per file,
# files per request, and the whole multipart body with its text fields
UPLOAD_FILE_LIMIT = 10 * 1024 * 1024
UPLOAD_FILES = 3
UPLOAD_BODY_LIMIT = UPLOAD_FILES * UPLOAD_FILE_LIMIT + 256 * 1024

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# authenticated by an api_key / shared secret, never by the session cookie
MACHINE_ROUTES = (
    re.compile(r"^/api/open311/v2/requests\.[A-Za-z]+$"),
    re.compile(r"^/api/sms/inbound$"),
)
DEFAULT_ORIGINS = "http://localhost:3000,http://127.0.0.1:3000"


# ----------------------------------------------------------------------------
# 422 without the input
# ----------------------------------------------------------------------------
def _where(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts)[:64]


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _where(e.get("loc", ())), "type": str(e.get("type", ""))[:40]} for e in exc.errors()[:20]]
    field = errors[0]["field"] if errors else ""
    return JSONResponse({"detail": "请求内容无效，请检查各字段", "field": field, "errors": errors}, status_code=422)


# ----------------------------------------------------------------------------
# body size
# ----------------------------------------------------------------------------
def body_limit_for(content_type: str) -> int:
    return UPLOAD_BODY_LIMIT if content_type.lower().startswith("multipart/") else JSON_BODY_LIMIT


async def _send_413(send, limit: int) -> None:
    body = ('{"detail":"请求内容过大（上限 %d KB）"}' % (limit // 1024)).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Pure ASGI middleware: the limit is enforced on the raw byte stream."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        # an upload route's own ceiling (rxapp.api.media: 3 photos public, 5 files staff) wins
        limit = upload_limit(scope) or body_limit_for(headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"")
        if declared:
            if not declared.isdigit() or int(declared) > limit:
                return await _send_413(send, limit)
        seen = 0
        started = refused = False

        async def counted_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # answer now; to the app the client is gone (whatever it answers is dropped)
                    refused = True
                    if not started:
                        await _send_413(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise


# ----------------------------------------------------------------------------
# Origin / Referer
# ----------------------------------------------------------------------------
def allowed_origins() -> set[str]:
    raw = os.environ.get("GRIDDESK_ORIGINS") or DEFAULT_ORIGINS
    return {o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip()}


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_site_request(method: str, path: str, headers) -> bool:
    """False for a state-changing browser request from another site."""
    if method.upper() not in UNSAFE_METHODS or not path.startswith("/api/"):
        return True
    if any(p.match(path) for p in MACHINE_ROUTES):
        return True
    allowed = allowed_origins()
    host = headers.get("host", "")
    if host:
        scheme = "https" if headers.get("x-forwarded-proto", "") == "https" else "http"
        allowed = allowed | {f"http://{host}".lower(), f"https://{host}".lower(), f"{scheme}://{host}".lower()}
    origin = headers.get("origin")
    if origin is not None:
        return origin.strip().lower() != "null" and origin.strip().rstrip("/").lower() in allowed
    referer = headers.get("referer")
    if referer is not None:
        return _origin_of(referer) in allowed
    # no Origin and no Referer: a browser still says where the request comes from
    return headers.get("sec-fetch-site", "same-origin").lower() in ("same-origin", "none")


class OriginCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not same_site_request(scope.get("method", "GET"), scope.get("path", ""), headers):
                response = JSONResponse({"detail": "跨站请求已拒绝（请从本站页面提交）"}, status_code=403)
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def install(api) -> None:
    api.add_exception_handler(RequestValidationError, validation_error)
    # added last = outermost: the size limit runs first
    api.add_middleware(OriginCheck)
    api.add_middleware(BodyLimit)
