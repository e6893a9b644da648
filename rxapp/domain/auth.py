"""Login, lockout and opaque server-side sessions.

The browser holds only a random token in an HttpOnly cookie; the database
holds its digest, the user and the expiry. Logging out ends the session row,
so a socket that still carries the old cookie is no longer anybody."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
import time
from http.cookies import SimpleCookie

from sqlalchemy import and_, case, or_, update
from sqlmodel import Session, select

from rxapp.domain import throttle
from rxapp.domain.access import Actor, actor_for
from rxapp.domain.clock import now
from rxapp.domain.errors import DomainError
from rxapp.domain.security import hash_password, new_token, token_digest, verify_password
from rxapp.models import LoginSession, User

COOKIE_NAME = "gd_session"
SESSION_TTL = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
# unknown usernames: the same five tries and fifteen minutes as real accounts
UNKNOWN_USER_RULE = throttle.Rule(limit=MAX_FAILED_LOGINS, window=timedelta(days=1), lock=LOCK_DURATION)


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
    """Check the password; count failures; lock after ``MAX_FAILED_LOGINS``.

    Failures are counted by one atomic ``UPDATE … SET failed_logins =
    failed_logins + 1 … RETURNING``, so parallel wrong guesses cannot lose
    counts. An unknown username behaves exactly like a real one (401 four
    times, then 423 with a lock time): its failures are counted under
    ``login:<username>`` (``rxapp.domain.throttle``), so answers do not tell
    which usernames exist."""
    username = (username or "").strip()[:64]
    password = password or ""
    if not username or not password or len(password) > 256:
        raise InvalidCredentials()
    user = session.exec(select(User).where(User.username == username)).first()
    t = now()
    if user is None:
        # Same work as a real check, so timing does not reveal which usernames exist.
        key = throttle.make_key("login", username.lower())
        until = throttle.locked_until(session, key, t)
        if until:
            raise AccountLocked(until)
        verify_password(password, _dummy_hash())
        until = throttle.record_failure(session, key, UNKNOWN_USER_RULE, t)
        if until:
            raise AccountLocked(until)
        raise InvalidCredentials()
    user_id, locked, password_hash, active = user.id, user.locked_until, user.password_hash, user.active
    session.commit()  # end the read: the write below must start its own transaction (SQLite waits for the writer then)
    if locked and locked > t:
        raise AccountLocked(locked)
    if not verify_password(password, password_hash) or not active:
        until = _count_failure(session, user_id, t)
        if until:
            raise AccountLocked(until)
        raise InvalidCredentials()
    # the reset happens only while unlocked: a parallel wrong guess may just have locked the account
    reset = session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= t))
        .values(failed_logins=0, locked_until=None)
        .returning(User.id)
    ).first()
    if reset is None:
        session.rollback()
        raise AccountLocked(session.exec(select(User.locked_until).where(User.id == user_id)).one() or t + LOCK_DURATION)
    token = new_token()
    expires = t + SESSION_TTL
    session.add(
        LoginSession(
            token_hash=token_digest(token),
            user_id=user_id,
            created_at=t,
            expires_at=expires,
            user_agent=(user_agent or "")[:255],
        )
    )
    session.commit()
    return LoginResult(token=token, user_id=user_id, expires_at=expires)


def _count_failure(session: Session, user_id: int, t: datetime) -> datetime | None:
    """One more failure, atomically; returns the lock's end when locked."""
    expired = and_(User.locked_until.is_not(None), User.locked_until <= t)
    failed = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            failed_logins=case((expired, 1), else_=User.failed_logins + 1),
            locked_until=case((expired, None), else_=User.locked_until),
        )
        .returning(User.failed_logins)
    ).scalar_one()
    until = None
    if failed >= MAX_FAILED_LOGINS:
        # the first request to reach the limit sets the lock; later ones keep it
        session.execute(
            update(User).where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= t)).values(locked_until=t + LOCK_DURATION)
        )
        until = session.exec(select(User.locked_until).where(User.id == user_id)).one()
    session.commit()
    return until


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
