"""Users, roles and API tokens."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from archive.errors import Conflict, Invalid, NotFound
from archive.models import ROLES, User, WebSession
from archive.passwords import check_password, hash_password, token_digest

_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,150}$")
MIN_PASSWORD = 10


def add_user(session: Session, username: str, role: str, password: str) -> User:
    if not _USERNAME.match(username):
        raise Invalid("username: 2-150 of letters, digits and . _ @ -")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    check_new_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username} exists")
    user = User(username=username, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which names exist.
        check_password(password, hash_password("x" * MIN_PASSWORD))
        return None
    if not user.active or not check_password(password, user.password_hash):
        return None
    return user


def user_for_token(session: Session, token: str) -> User | None:
    user = session.execute(
        select(User).where(User.api_token_hash == token_digest(token))
    ).scalar_one_or_none()
    return user if user is not None and user.active else None


def issue_token(session: Session, username: str) -> str:
    user = get_user(session, username)
    token = "dii_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_digest(token)
    return token


def revoke_token(user: User) -> bool:
    """Forget the user's API token; True when there was one to forget."""
    had = user.api_token_hash is not None
    user.api_token_hash = None
    return had


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must have at least {MIN_PASSWORD} characters")


def set_password(user: User, password: str) -> bool:
    """A new password also ends the user's API token: whoever knew the old password may have
    made one, and a password change is the moment the owner takes the account back. Returns
    whether a token was revoked."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    return revoke_token(user)


def set_role(user: User, role: str) -> bool:
    """Change the role; a token issued under the old role dies with it (returns whether one
    did), so a script never silently gains or keeps powers nobody granted it."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if role == user.role:
        return False
    user.role = role
    return revoke_token(user)


def set_active(user: User, active: bool) -> bool:
    """Enable or disable; disabling revokes the token, so re-enabling does not bring it back.
    Returns whether a token was revoked."""
    if active == user.active:
        return False
    user.active = active
    return False if active else revoke_token(user)


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """Sign the user out everywhere (but for the session whose id is `keep`)."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    session.execute(stmt)


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def count_users(session: Session) -> int:
    return session.execute(select(func.count(User.id))).scalar_one()
