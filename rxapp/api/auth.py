"""``/api/auth``: login and logout over plain HTTP so the session cookie can
be HttpOnly. A browser form posts and is redirected; a JSON client gets JSON."""

import os
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from rxapp.api.deps import run_db
from rxapp.domain import auth
from rxapp.domain.errors import DomainError

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:200]


def _set_cookie(response: Response, result: auth.LoginResult) -> None:
    response.set_cookie(
        auth.COOKIE_NAME,
        result.token,
        max_age=int(auth.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=os.environ.get("GRIDDESK_SECURE_COOKIE", "0") == "1",
        path="/",
    )


async def _login(request: Request, username: str, password: str):
    agent = request.headers.get("user-agent", "")
    return await run_db(lambda s: auth.login(s, username=username, password=password, user_agent=agent))


@router.post(
    "/login",
    summary="登录 / log in",
    responses={401: {"description": "wrong username or password"}, 423: {"description": "account locked"}},
)
async def login_json(body: LoginIn, request: Request):
    try:
        result = await _login(request, body.username, body.password)
    except auth.AccountLocked as exc:
        return JSONResponse({"detail": exc.message}, status_code=423)
    except DomainError as exc:
        return JSONResponse({"detail": exc.message}, status_code=401)
    response = JSONResponse({"ok": True, "expires_at": result.expires_at.isoformat()})
    _set_cookie(response, result)
    return response


@router.post("/login-form", include_in_schema=False)
async def login_form(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=200)] = "/",
):
    """The /login page's HTML form posts here; errors go back to the page."""
    target = _safe_next(next)
    try:
        result = await _login(request, username, password)
    except auth.AccountLocked:
        return RedirectResponse(f"/login?error=locked&next={quote(target)}", status_code=303)
    except DomainError:
        return RedirectResponse(f"/login?error=invalid&next={quote(target)}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, result)
    return response


@router.post("/logout", summary="退出登录 / log out")
async def logout(request: Request):
    token = request.cookies.get(auth.COOKIE_NAME)
    await run_db(lambda s: auth.logout(s, token=token))
    wants_json = "application/json" in request.headers.get("accept", "")
    response: Response = JSONResponse({"ok": True}) if wants_json else RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response
