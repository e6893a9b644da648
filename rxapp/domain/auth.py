"""Login, lockout and opaque server-side sessions.

The browser holds only a random token in an HttpOnly cookie; the database
holds its digest, the user and the expiry. Logging out ends the session row,
so a socket that still carries the old cookie is no longer anybody."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
import time
from http.cookies import SimpleCookie

from sqlalchemy import update
from sqlmodel import Session, select

from rxapp.domain.access import Actor, actor_for
from rxapp.domain.clock import now
from rxapp.domain.errors import DomainError
from rxapp.domain.security import hash_password, new_token, token_digest, verify_password
from rxapp.models import LoginSession, User

COOKIE_NAME = "gd_session"
SESSION_TTL = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)


class InvalidCredentials(DomainError):
    def __init__(self):
        super().__init__("用户名或密码错误", field="password")


class AccountLocked(DomainError):
    def __init__(self, until: datetime):
        super().__init__(f"密码错误次数过多，账号已锁定至 {until:%H:%M}，请稍后再试", field="password")
        self.until = until


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(new_token())


@dataclass(frozen=True)
class LoginResult:
    token: str
    user_id: int
    expires_at: datetime


def login(session: Session, *, username: str, password: str, user_agent: str = "") -> LoginResult:
    """Check the password; count failures; lock after ``MAX_FAILED_LOGINS``."""
    username = (username or "").strip()[:64]
    password = password or ""
    if not username or not password or len(password) > 256:
        raise InvalidCredentials()
    user = session.exec(select(User).where(User.username == username)).first()
    t = now()
    if user is None:
        # Same work as a real check, so timing does not reveal which usernames exist.
        verify_password(password, _dummy_hash())
        raise InvalidCredentials()
    if user.locked_until and user.locked_until > t:
        raise AccountLocked(user.locked_until)
    if not verify_password(password, user.password_hash) or not user.active:
        failed = (0 if user.locked_until and user.locked_until <= t else user.failed_logins) + 1
        locked_until = t + LOCK_DURATION if failed >= MAX_FAILED_LOGINS else None
        session.execute(
            update(User).where(User.id == user.id).values(failed_logins=failed, locked_until=locked_until)
        )
        session.commit()
        if locked_until:
            raise AccountLocked(locked_until)
        raise InvalidCredentials()
    token = new_token()
    expires = t + SESSION_TTL
    session.add(
        LoginSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=t,
            expires_at=expires,
            user_agent=(user_agent or "")[:255],
        )
    )
    session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
    session.commit()
    return LoginResult(token=token, user_id=user.id, expires_at=expires)


def logout(session: Session, *, token: str | None) -> bool:
    if not token:
        return False
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == token_digest(token), LoginSession.ended_at.is_(None))
        .values(ended_at=now())
    )
    session.commit()
    actor_cache.forget(token)
    return result.rowcount > 0


def user_for_token(session: Session, token: str | None) -> User | None:
    if not token or len(token) > 128:
        return None
    row = session.exec(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token_hash == token_digest(token),
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > now(),
            User.active.is_(True),
        )
    ).first()
    return row


def actor_for_token(session: Session, token: str | None) -> Actor | None:
    user = user_for_token(session, token)
    return actor_for(session, user) if user else None


class ActorCache:
    """Who a session token belongs to, remembered for ``ttl`` seconds in this
    process.  Every websocket event needs the actor (the guard, then the
    handler); without this each event would cost two database reads.  A
    logout is seen at once by the worker that served it (``forget``) and
    within ``ttl`` seconds by the others, as is a role change or a disabled
    account."""

    def __init__(self, ttl: float = 2.0, max_size: int = 20_000):
        self.ttl = ttl
        self.max_size = max_size
        self._kept: dict[str, tuple[float, Actor | None]] = {}

    def get(self, token: str) -> tuple[bool, Actor | None]:
        hit = self._kept.get(token)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, token: str, actor: Actor | None) -> None:
        if len(self._kept) >= self.max_size:
            self._kept.clear()
        self._kept[token] = (time.monotonic() + self.ttl, actor)

    def forget(self, token: str | None) -> None:
        if token:
            self._kept.pop(token, None)


actor_cache = ActorCache()


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel else None
