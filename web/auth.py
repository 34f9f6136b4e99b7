"""Authentication, roles and CSRF for every page and API call.

Browsers carry a session cookie (random, HttpOnly, SameSite=Lax, Secure behind TLS); the
database keeps only its sha256, so a leaked database does not hand out sessions. Scripts use
`Authorization: Bearer <token>` and need no CSRF token, since a browser never adds that header
on its own. Every route declares which roles may use it; nothing is reachable by default.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from archive.models import AuditEvent, User, WebSession, utcnow
from archive.users import user_for_token

COOKIE = "diia_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ADMIN, STAFF, AUDITOR = "admin", "staff", "auditor"
ANYONE = frozenset({ADMIN, STAFF, AUDITOR})
PUBLIC = frozenset({"*"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, how they authenticated, and their session's CSRF token."""

    user_id: int
    username: str
    role: str
    via: str  # "session" | "token"
    csrf_token: str = ""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_id(cookie: str) -> str:
    """The stored id of the session a cookie value stands for."""
    return _digest(cookie)


def create_session(s: Session, user: User, remote: str, hours: int) -> tuple[str, WebSession]:
    cookie = secrets.token_urlsafe(32)
    row = WebSession(
        id=_digest(cookie),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + dt.timedelta(hours=hours),
        remote=remote[:100],
    )
    s.add(row)
    return cookie, row


def session_principal(s: Session, cookie: str) -> Principal | None:
    row = s.get(WebSession, _digest(cookie))
    if row is None or row.expires_at <= utcnow():
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return Principal(user.id, user.username, user.role, "session", row.csrf_token)


def token_principal(s: Session, token: str) -> Principal | None:
    user = user_for_token(s, token)
    if user is None:
        return None
    return Principal(user.id, user.username, user.role, "token")


def end_session(s: Session, cookie: str) -> None:
    s.execute(delete(WebSession).where(WebSession.id == _digest(cookie)))


def end_expired_sessions(s: Session) -> None:
    s.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))


def recent_failures(s: Session, username: str, remote: str, seconds: int = 60) -> int:
    """Failed logins for this name or from this address in the window (across all nodes)."""
    since = utcnow() - dt.timedelta(seconds=seconds)
    by_name = s.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login.failed",
            AuditEvent.at >= since,
            AuditEvent.object_id == _digest(username.casefold())[:32],
        )
    ).scalar_one()
    by_remote = s.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login.failed", AuditEvent.at >= since, AuditEvent.remote == remote
        )
    ).scalar_one()
    return max(by_name, by_remote)


class LoginThrottle:
    """Makes "count the failures, check the password, record a failure" one atomic step.

    Counting and checking separately let 40 parallel attempts all see 4 failures and all get a
    password check. Each attempt now reserves its turn before the count: per name and per
    address it holds a lock (striped thread locks in this process, and on PostgreSQL a
    transaction-scoped advisory lock, so several nodes queue too) until its own outcome is
    committed. Attempts on other names and from other addresses do not wait.
    """

    STRIPES = 64

    def __init__(self) -> None:
        self._locks = tuple(threading.Lock() for _ in range(self.STRIPES))

    @staticmethod
    def _keys(username: str, remote: str) -> list[int]:
        """Signed 64-bit lock keys for the name and the address, in a fixed order."""
        raw = (b"login-name:" + username.casefold().encode(), b"login-remote:" + remote.encode())
        return sorted(
            {int.from_bytes(hashlib.sha256(r).digest()[:8], "big", signed=True) for r in raw}
        )

    @contextlib.contextmanager
    def reserve(self, username: str, remote: str) -> Iterator[Callable[[Session], None]]:
        """Hold this process's locks; the yielded callable takes the database-wide ones in `s`.

        Call it first thing in the session that counts, checks and records; those locks end
        with that transaction's commit, the process locks when the block is left.
        """
        keys = self._keys(username, remote)
        stripes = sorted({k % self.STRIPES for k in keys})
        with contextlib.ExitStack() as stack:
            for n in stripes:
                stack.enter_context(self._locks[n])

            def in_database(s: Session) -> None:
                if s.get_bind().dialect.name == "postgresql":
                    for key in keys:
                        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

            yield in_database


def username_key(username: str) -> str:
    """Failed logins are audited under a hash of the name typed, which may be anyone's."""
    return _digest(username.casefold())[:32]


def csrf_ok(principal: Principal, supplied: str | None) -> bool:
    if principal.via == "token":
        return True
    return bool(supplied) and hmac.compare_digest(principal.csrf_token, supplied or "")


def roles_allowed(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(roles)
