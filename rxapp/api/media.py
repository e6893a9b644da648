"""Serving photos and files, and the upload size limits.

``GET /api/media/{token}`` (web-size photo, or a staff PDF as a download) and
``GET /api/media/{token}/thumb``: the token is an opaque random id, never
the content hash; each request is checked against the same role and scope as
the case, visit or meeting item the file belongs to (a photo marked public
is for everyone).  Every answer names its own content type, carries
``Content-Disposition`` and ``X-Content-Type-Options: nosniff``; an unknown
token and a file the caller may not see are the same 404.

``UploadBodyLimit`` refuses an upload whose declared or streamed body is over
its ceiling with 413 before the body is read: Reflex's ``/_upload`` endpoint
(ceiling by the handler named in its header: three photos for the public
pages, five files for staff) and Open311's POST (three photos).  Each file
is then checked again (10 MB) when it is processed.

``UploadGuard`` stands in front of Reflex's ``/_upload``: a request must name
a registered upload handler and carry a client token shaped like Reflex's
(a UUID), or it gets one fixed 400; whatever Reflex itself answers with an
error status (its messages quote the handler name and parser errors) is
replaced by the same fixed answer, and an exception becomes that 400, not a
500.  So nothing a client sent comes back from this endpoint."""

import logging
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from rxapp.api.deps import current_actor, run_db
from rxapp.domain.errors import NotFound
from rxapp.domain.excel import content_disposition
from rxapp.domain.media.actions import open_media
from rxapp.domain.media.images import MAX_FILE_BYTES, MAX_PUBLIC_FILES, MAX_STAFF_FILES

router = APIRouter(prefix="/api/media", tags=["media"])

FORM_OVERHEAD = 256 * 1024  # multipart headers and the small text fields
PUBLIC_BODY_LIMIT = MAX_PUBLIC_FILES * MAX_FILE_BYTES + FORM_OVERHEAD
STAFF_BODY_LIMIT = MAX_STAFF_FILES * MAX_FILE_BYTES + FORM_OVERHEAD
# Reflex upload handlers anyone may call (public pages): the smaller ceiling
PUBLIC_UPLOAD_HANDLERS = ("upload_resident_photos",)


UPLOAD_REFUSED = "上传请求无效，请刷新页面后重试"
_CLIENT_TOKEN = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_log = logging.getLogger(__name__)


def is_upload_handler(name: str) -> bool:
    """True when ``name`` is a registered event handler that takes ``list[rx.UploadFile]``."""
    from reflex_base.event import resolve_upload_handler_param
    from reflex_base.registry import RegistrationContext

    try:
        registered = RegistrationContext.get().event_handlers.get(name)
        if registered is None:
            return False
        resolve_upload_handler_param(registered.handler)
    except Exception:  # no registry, a background task, no upload parameter
        return False
    return True


def _is_upload_post(scope) -> bool:
    return scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path", "").rstrip("/").endswith("/_upload")


async def _refuse_upload(send, status: int = 400) -> None:
    response = JSONResponse({"detail": UPLOAD_REFUSED}, status_code=status)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class UploadGuard:
    """ASGI middleware for ``POST /_upload`` (see the module docstring)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if not _is_upload_post(scope):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = headers.get(b"reflex-client-token", "")
        handler = headers.get(b"reflex-event-handler", "")
        if not _CLIENT_TOKEN.match(token) or not is_upload_handler(handler):
            return await _refuse_upload(send)
        started = replaced = finished = False

        async def guarded_send(message):
            nonlocal started, replaced, finished
            if message["type"] == "http.response.start":
                started = True
                if 400 <= message["status"] < 600 and message["status"] != 413:
                    replaced = True
                    return await _refuse_upload(send, 400 if message["status"] >= 500 else message["status"])
            if replaced:
                return None
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            return await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except BodyTooLarge:
            raise
        except Exception as exc:  # Reflex raises on a malformed form: one line, a 400
            _log.warning("upload refused: %s", type(exc).__name__)
            if not started:
                await _refuse_upload(send)
            elif not replaced and not finished:  # end the stream the handler began
                await send({"type": "http.response.body", "body": b"", "more_body": False})


def _headers(served, inline_ok: bool) -> dict[str, str]:
    disposition = content_disposition(served.filename)
    if inline_ok and not served.attachment:
        disposition = disposition.replace("attachment", "inline", 1)
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=300" if served.public else "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


async def _serve(request: Request, token: str, variant: str) -> Response:
    actor = await current_actor(request)
    try:
        served = await run_db(lambda s: open_media(s, actor=actor, token=token, variant=variant))
    except NotFound:
        return JSONResponse({"detail": "文件不存在"}, status_code=404, headers={"X-Content-Type-Options": "nosniff"})
    return Response(served.data, media_type=served.content_type, headers=_headers(served, inline_ok=True))


@router.get("/{token}", summary="A photo (web size) or a staff PDF (download), if the caller may see it")
async def get_media(token: str, request: Request) -> Response:
    return await _serve(request, token, "")


@router.get("/{token}/thumb", summary="A photo's thumbnail, if the caller may see it")
async def get_thumb(token: str, request: Request) -> Response:
    return await _serve(request, token, "thumb")


def upload_limit(scope) -> int | None:
    """The body ceiling for this request, or None when it is not an upload."""
    if scope.get("type") != "http" or scope.get("method") != "POST":
        return None
    path = scope.get("path", "")
    if path.startswith("/api/open311/v2/requests."):
        return PUBLIC_BODY_LIMIT
    if path.rstrip("/").endswith("/_upload"):
        handler = ""
        for name, value in scope.get("headers", []):
            if name == b"reflex-event-handler":
                handler = value.decode("latin-1")
        return PUBLIC_BODY_LIMIT if handler.rsplit(".", 1)[-1] in PUBLIC_UPLOAD_HANDLERS else STAFF_BODY_LIMIT
    return None


class BodyTooLarge(Exception):
    pass


class UploadBodyLimit:
    """ASGI middleware: 413 for an upload over its ceiling, decided from
    ``Content-Length`` before a byte of the body is read; a body sent without
    a length is counted as it streams and cut off at the ceiling."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        limit = upload_limit(scope)
        if limit is None:
            return await self.app(scope, receive, send)
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
        if declared is not None and (declared < 0 or declared > limit):
            return await _too_large(send, limit)
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send, limit: int) -> None:
    mb = limit // (1024 * 1024)
    response = JSONResponse({"detail": f"上传内容过大：每个文件不超过10MB，本次最多{mb}MB"}, status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
