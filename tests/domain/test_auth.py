from datetime import timedelta

import pytest
from sqlmodel import select

from rxapp.domain import auth
from rxapp.domain.clock import now
from rxapp.models import LoginSession, User
from tests.factories import PASSWORD


def test_login_with_right_password_creates_hashed_session(session, world):
    result = auth.login(session, username="leader", password=PASSWORD)
    row = session.exec(select(LoginSession).where(LoginSession.user_id == world.users["leader"].id)).one()
    assert row.token_hash != result.token and len(row.token_hash) == 64
    actor = auth.actor_for_token(session, result.token)
    assert actor.username == "leader" and actor.role == "leader"


def test_wrong_password_and_unknown_user_give_the_same_error(session, world):
    with pytest.raises(auth.InvalidCredentials) as a:
        auth.login(session, username="leader", password="nope-nope")
    with pytest.raises(auth.InvalidCredentials) as b:
        auth.login(session, username="no-such-user", password="nope-nope")
    assert a.value.message == b.value.message == "用户名或密码错误"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(session, world):
    for _ in range(4):
        with pytest.raises(auth.InvalidCredentials):
            auth.login(session, username="dispatcher", password="wrong-password")
    with pytest.raises(auth.AccountLocked):
        auth.login(session, username="dispatcher", password="wrong-password")
    # even the right password is refused while locked
    with pytest.raises(auth.AccountLocked):
        auth.login(session, username="dispatcher", password=PASSWORD)
    user = session.exec(select(User).where(User.username == "dispatcher")).one()
    assert timedelta(minutes=14) < user.locked_until - now() <= timedelta(minutes=15)
    # after the lock expires the right password works and resets the counter
    user.locked_until = now() - timedelta(seconds=1)
    session.add(user)
    session.commit()
    auth.login(session, username="dispatcher", password=PASSWORD)
    session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_disabled_user_cannot_log_in(session, world):
    user = world.users["member"]
    user.active = False
    session.add(user)
    session.commit()
    with pytest.raises(auth.InvalidCredentials):
        auth.login(session, username="member", password=PASSWORD)


def test_logout_ends_the_session_on_the_server(session, world):
    token = auth.login(session, username="leader", password=PASSWORD).token
    assert auth.logout(session, token=token)
    assert auth.actor_for_token(session, token) is None
    assert not auth.logout(session, token=token)


def test_expired_session_is_nobody(session, world):
    token = auth.login(session, username="leader", password=PASSWORD).token
    row = session.exec(select(LoginSession)).all()[-1]
    row.expires_at = now() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert auth.user_for_token(session, token) is None


@pytest.mark.parametrize("header", [None, "", "other=1", "gd_session=" + "x" * 500, "gd_session=\x00;;=="])
def test_garbage_cookies_resolve_to_nobody(session, world, header):
    assert auth.actor_for_token(session, auth.token_from_cookie_header(header)) is None


def test_actor_cache_remembers_briefly_and_forgets_on_logout(session, world, monkeypatch):
    """The websocket guard asks who a token is on every event: remembered for
    a couple of seconds, forgotten at once by the worker that logs it out."""
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    cache = auth.ActorCache(ttl=2.0)
    token = auth.login(session, username="leader", password=PASSWORD).token
    actor = auth.actor_for_token(session, token)
    cache.put(token, actor)
    assert cache.get(token) == (True, actor)
    clock[0] += 2.5
    assert cache.get(token) == (False, None)  # stale: asked again
    auth.actor_cache.put(token, actor)
    auth.logout(session, token=token)
    assert auth.actor_cache.get(token) == (False, None)
    assert auth.actor_for_token(session, token) is None
