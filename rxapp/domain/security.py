"""Passwords, session tokens and API keys.

Passwords are hashed with Argon2 (pwdlib). Session tokens and API keys are
random secrets of which only the SHA-256 is stored: they are already
high-entropy, so a fast hash is enough and lookups stay indexed."""

import hashlib
import secrets
from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # malformed or disabled hash: never a match
        return False


# A hash that no password verifies: for roster-only accounts and disabled logins.
UNUSABLE_PASSWORD = "!disabled"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
