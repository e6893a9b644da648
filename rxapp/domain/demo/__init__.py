"""Demo mode made explicit (DESIGN.md, "Demo mode").

``GRIDDESK_DEMO=1`` (set by ``make run``) allows the demo credentials: the
seeded demo accounts (password ``griddesk-demo``), the demo Open311 key
``griddesk-demo-key`` and the demo SMS webhook secret.  Without it the app
refuses to start while any of them is present (``startup_problem``), and the
SMS webhook has no secret unless ``GRIDDESK_SMS_WEBHOOK_SECRET`` is set — there
is no hard-coded fallback outside demo mode."""

from __future__ import annotations

import os

from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.domain.security import token_digest, verify_password
from rxapp.models import ApiKey, User

DEMO_ENV = "GRIDDESK_DEMO"
SECRET_ENV = "GRIDDESK_SMS_WEBHOOK_SECRET"
DEMO_PASSWORD = "griddesk-demo"
DEMO_API_KEY = "griddesk-demo-key"
DEMO_WEBHOOK_SECRET = "griddesk-demo-sms-secret"
# DESIGN.md's demo accounts
DEMO_USERNAMES = ("admin", "leader", "leader_putuo", "leader_zhujiajian", "dispatcher", "dept_env", "member")


def demo_mode() -> bool:
    return os.environ.get(DEMO_ENV, "").strip() == "1"


def webhook_secret() -> str | None:
    """The SMS webhook's shared secret; the demo one only in demo mode; None
    when none may be used (every webhook call is then refused)."""
    secret = os.environ.get(SECRET_ENV, "").strip()
    if secret and (secret != DEMO_WEBHOOK_SECRET or demo_mode()):
        return secret
    return DEMO_WEBHOOK_SECRET if demo_mode() and not secret else None


def demo_accounts(session: Session) -> list[str]:
    """Active users whose password is the demo password.  Argon2 hashes are
    salted, so only the demo usernames and hashes shared by several users (the
    seed hashes the demo password once for all its accounts) need a check."""
    shared = select(User.password_hash).where(User.active.is_(True)).group_by(User.password_hash).having(func.count() > 1)
    rows = session.exec(
        select(User.username, User.password_hash).where(
            User.active.is_(True), (User.username.in_(DEMO_USERNAMES)) | (User.password_hash.in_(shared))
        )
    ).all()
    demo_hashes: dict[str, bool] = {}
    found = []
    for username, password_hash in rows:
        if password_hash not in demo_hashes:
            try:
                demo_hashes[password_hash] = verify_password(DEMO_PASSWORD, password_hash)
            except Exception:  # noqa: BLE001 - an unusable hash is not the demo password
                demo_hashes[password_hash] = False
        if demo_hashes[password_hash]:
            found.append(username)
    return sorted(found)


def demo_key_live(session: Session) -> bool:
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(DEMO_API_KEY), ApiKey.revoked_at.is_(None))).first()
    return key is not None


def startup_problem(session: Session) -> str | None:
    """One line saying why the app must not start, or None."""
    if demo_mode():
        return None
    found = []
    accounts = demo_accounts(session)
    if accounts:
        found.append(f"{len(accounts)} demo account(s) with the demo password (e.g. {', '.join(accounts[:3])})")
    if demo_key_live(session):
        found.append(f"the demo Open311 key {DEMO_API_KEY}")
    secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        found.append(f"{SECRET_ENV} is not set")
    elif secret == DEMO_WEBHOOK_SECRET:
        found.append(f"{SECRET_ENV} is the demo secret")
    if not found:
        return None
    return (
        f"GridDesk refuses to start outside demo mode: {'; '.join(found)}. "
        f"Set {DEMO_ENV}=1 for demo data, or set {SECRET_ENV} and replace the demo credentials "
        f"(python -m rxapp.users reset-password / api-key revoke)."
    )


def refuse_unsafe_start() -> None:
    """The app's startup hook: print the one-line reason to stderr and stop
    the server when demo credentials exist outside demo mode.  The worker
    exits at once (no traceback to bury the line); the server then stops on
    its crash-loop check."""
    import sys

    from rxapp.db import get_engine

    with Session(get_engine()) as session:
        problem = startup_problem(session)
    if problem:
        print(problem, file=sys.stderr, flush=True)
        os._exit(3)
