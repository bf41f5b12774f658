"""Passwords, tokens and the signed desk session cookie.

Passwords are hashed with scrypt and a per-user salt. A session cookie is signed by itsdangerous (JSON, base64url,
an HMAC under a key derived from the app's secret and a salt of its own): it carries the agent's name, a CSRF token
and the issue time, and a forged or altered cookie is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["DeskSession", "SessionSigner", "hash_password", "hash_token", "new_token", "same", "verify_password"]

# n=2**14, r=8: about 50 ms and 16 MiB per hash, the interactive-login setting of the scrypt paper.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_CLOCK_SKEW = 60.0
"""Seconds a cookie's issue time may lie ahead of this worker's clock (another worker's clock) before it is refused."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    """Constant-time string comparison (timing must not tell how much of a token was right)."""
    return hmac.compare_digest(a.encode(), b.encode())


def hash_token(token: str) -> str:
    """Tokens are random and long, so a fast hash suffices; it keeps a leaked database from yielding them."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


@dataclass(frozen=True)
class DeskSession:
    """A signed-in desk agent. ``csrf`` must come back in the ``X-CSRF-Token`` header of every change."""

    agent: str
    csrf: str
    issued_at: float


class SessionSigner:
    """Signs and checks desk session cookies; a cookie older than ``max_age`` seconds, or issued in the future, is
    refused."""

    def __init__(self, secret_key: str | bytes, max_age: float = 12 * 3600) -> None:
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if len(key) < 16:
            raise ValueError("secret_key must be at least 16 bytes; generate one with secrets.token_urlsafe(32)")
        # The salt derives a key of its own, so the same secret used elsewhere cannot forge sessions.
        self._serializer = URLSafeSerializer(key, salt="agentkit desk session")
        self.max_age = max_age

    def issue(self, agent: str, *, now: float | None = None) -> tuple[str, DeskSession]:
        session = DeskSession(agent, new_token(), time.time() if now is None else now)
        cookie = self._serializer.dumps({"a": agent, "c": session.csrf, "t": session.issued_at})
        return cookie, session

    def read(self, cookie: str | None) -> DeskSession | None:
        if not cookie:
            return None
        try:
            data: dict[str, Any] = self._serializer.loads(cookie)
            session = DeskSession(str(data["a"]), str(data["c"]), float(data["t"]))
        except (BadSignature, ValueError, KeyError, TypeError):
            return None
        age = time.time() - session.issued_at
        return session if 0 <= age + _CLOCK_SKEW and age <= self.max_age else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
