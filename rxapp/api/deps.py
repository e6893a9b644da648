"""Shared pieces of the HTTP API: database sessions off the event loop,
the logged-in actor from the session cookie, and uniform errors."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlmodel import Session

from rxapp.db import get_engine
from rxapp.domain.access import Actor
from rxapp.domain.auth import COOKIE_NAME, actor_for_token

T = TypeVar("T")


def _in_session(fn: Callable[[Session], T]) -> T:
    with Session(get_engine(), expire_on_commit=False) as session:
        return fn(session)


async def run_db(fn: Callable[[Session], T]) -> T:
    """Run blocking database work in a thread so the event loop keeps serving."""
    return await asyncio.to_thread(_in_session, fn)


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
