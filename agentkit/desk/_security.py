"""Passwords, tokens and the signed desk session cookie.

Passwords are hashed with scrypt (N=2^17, r=8: OWASP's setting) and a per-user salt, on a small executor of their
own: a sign-in flood queues there instead of taking the threads every database call uses. A session cookie is
signed by itsdangerous (JSON, base64url, an HMAC under a key derived from the app's secret and a salt of its own):
it carries the agent's name, the session's id (checked against the sessions table, so it can be revoked), a CSRF
token and the issue time; a forged or altered cookie is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = [
    "PASSWORD_COST",
    "PASSWORD_HASHING",
    "DeskSession",
    "SessionSigner",
    "hash_password",
    "hash_token",
    "needs_rehash",
    "new_token",
    "same",
    "verify_password",
]

PASSWORD_COST = 17
"""scrypt's N is 2**PASSWORD_COST (OWASP: N >= 2**17, r=8, p=1): 128 MiB and a few hundred ms per hash."""
_SCRYPT_R, _SCRYPT_P = 8, 1
PASSWORD_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="agentkit-password")
"""Where password hashes are computed: two threads, so a flood of sign-ins costs at most two cores' worth of scrypt
(and its memory) and never takes the default pool the database calls run on."""
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


def hash_password(password: str, salt: bytes | None = None, *, cost: int = PASSWORD_COST) -> str:
    salt = secrets.token_bytes(16) if salt is None else salt
    n = 2**cost
    digest = _scrypt(password, salt, n, _SCRYPT_R, _SCRYPT_P, 32)
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or int(n) > 2**20 or int(r) > 16 or int(p) > 4:  # a hash we did not write
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p), len(_unb64(digest)))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def needs_rehash(stored: str, *, cost: int = PASSWORD_COST) -> bool:
    """True for a hash weaker than ``cost`` (one of agentkit 0.1.0, N=2**14): rehash it at the next sign-in."""
    parts = stored.split("$")
    return len(parts) != 6 or not parts[1].isdigit() or int(parts[1]) < 2**cost


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # hashlib refuses more than 32 MiB unless told; scrypt needs 128 * r * n bytes.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * r * n + 2**20)


@dataclass(frozen=True)
class DeskSession:
    """A signed-in desk agent. ``csrf`` must come back in the ``X-CSRF-Token`` header of every change."""

    agent: str
    csrf: str
    issued_at: float
    id: str = ""
    """The session's id: its row in the sessions table (deleted on logout, password change, removal)."""


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

    def issue(self, agent: str, *, session_id: str = "", now: float | None = None) -> tuple[str, DeskSession]:
        session = DeskSession(agent, new_token(), time.time() if now is None else now, session_id)
        cookie = self._serializer.dumps({"a": agent, "c": session.csrf, "t": session.issued_at, "s": session_id})
        return cookie, session

    def read(self, cookie: str | None) -> DeskSession | None:
        if not cookie:
            return None
        try:
            data: dict[str, Any] = self._serializer.loads(cookie)
            session = DeskSession(str(data["a"]), str(data["c"]), float(data["t"]), str(data.get("s", "")))
        except (BadSignature, ValueError, KeyError, TypeError):
            return None
        age = time.time() - session.issued_at
        return session if 0 <= age + _CLOCK_SKEW and age <= self.max_age else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
