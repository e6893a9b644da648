"""Shared pieces of the HTTP API: database sessions off the event loop,
the logged-in actor from the session cookie, and uniform errors."""

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, Response

from rxapp.db import run_db
from rxapp.domain.access import Actor
from rxapp.domain.auth import COOKIE_NAME, actor_for_token
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.excel import XLSX_MEDIA_TYPE, content_disposition


async def current_actor(request: Request) -> Actor | None:
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    return await run_db(lambda s: actor_for_token(s, token))


async def require_actor(request: Request) -> Actor:
    actor = await current_actor(request)
    if actor is None:
        raise HTTPException(status_code=401, detail="请先登录")
    return actor


def domain_error_response(exc: DomainError) -> JSONResponse:
    """A refused request: 403 / 404 / 422 with the Chinese message and the field."""
    status = 403 if isinstance(exc, AccessDenied) else 404 if isinstance(exc, NotFound) else 422
    return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=status)


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(
        content=data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )
