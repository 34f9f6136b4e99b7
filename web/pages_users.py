"""Users (admin: add, disable, change role, reset a password, revoke a token) and each user's
own account (change the password, create and revoke their API token).

A disabled user's sessions end at once (they live in the database), and so does their API token:
disabling, a new role or a new password revokes it, so re-enabling an account never brings an
old token back. An admin cannot disable or demote themselves, so an installation is never left
without a way in through its own mistake.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.errors import ArchiveError
from archive.localtime import iso
from archive.models import ROLES, User
from archive.passwords import check_password
from archive.users import (
    MIN_PASSWORD,
    add_user,
    end_sessions,
    issue_token,
    revoke_token,
    set_active,
    set_password,
    set_role,
)
from web.auth import ADMIN, ANYONE, COOKIE, session_id
from web.render import in_db, int_param, page, principal_of, record, see_other
from web.security import requires


def users_data(s: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": u.id,
            "username": u.username,
            "role": u.role,
            "active": u.active,
            "has_token": bool(u.api_token_hash),
            "created_at": iso(u.created_at),
        }
        for u in s.execute(select(User).order_by(User.username)).scalars()
    ]


async def _users_page(
    request: web.Request,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> web.Response:
    """The users page; `typed` is what a refused "add" form held, shown again (not passwords)."""
    return page(
        request,
        "users.html",
        {
            "users": await in_db(request, users_data),
            "roles": ROLES,
            "error": error,
            "typed": typed or {},
            "min_password": MIN_PASSWORD,
        },
        status=status,
    )


@requires(ADMIN)
async def users_page(request: web.Request) -> web.Response:
    return await _users_page(request)


@requires(ADMIN)
async def user_add(request: web.Request) -> web.Response:
    form = await request.post()
    username, role = str(form.get("username", "")).strip(), str(form.get("role", ""))
    password = str(form.get("password", ""))

    def work(s: Session) -> None:
        user = add_user(s, username, role, password)
        record(request, s, "user.create", "user", user.id, {"role": role})

    try:
        await in_db(request, work)
    except ArchiveError as exc:
        typed = {"username": username, "role": role}
        return await _users_page(request, exc.detail, status=400, typed=typed)
    raise see_other("/users", "saved")


@requires(ADMIN)
async def user_update(request: web.Request) -> web.Response:
    user_id = int_param(request, "id")
    form = await request.post()
    role = str(form.get("role", ""))
    active = form.get("active") in ("1", "on")
    me = principal_of(request)

    def work(s: Session) -> str | None:
        user = s.get(User, user_id)
        if user is None:
            raise web.HTTPNotFound()
        if role not in ROLES:
            return "role"
        if user.id == me.user_id and (role != ADMIN or not active):
            return "self"
        changes: dict[str, object] = {}
        if user.role != role:
            changes["role"] = role
        if user.active != active:
            changes["active"] = active
        revoked = set_role(user, role)
        revoked = set_active(user, active) or revoked
        if changes:
            end_sessions(s, user.id)
            record(request, s, "user.update", "user", user.id, changes)
        if revoked:
            record(request, s, "token.revoke", "user", user.id, {"reason": "user.update"})
        return None

    problem = await in_db(request, work)
    if problem:
        return await _users_page(request, f"user.refused.{problem}", status=400)
    raise see_other("/users", "saved")


@requires(ADMIN)
async def user_password(request: web.Request) -> web.Response:
    """An admin sets another user's password (they forgot it, or it leaked): every session of
    that user ends and their API token is revoked."""
    user_id = int_param(request, "id")
    form = await request.post()
    password = str(form.get("password", ""))

    def work(s: Session) -> None:
        user = s.get(User, user_id)
        if user is None:
            raise web.HTTPNotFound()
        revoked = set_password(user, password)
        end_sessions(s, user.id)
        record(request, s, "user.password_reset", "user", user.id)
        if revoked:
            record(request, s, "token.revoke", "user", user.id, {"reason": "password"})

    try:
        await in_db(request, work)
    except ArchiveError:
        return await _users_page(request, "user.refused.password", status=400)
    raise see_other("/users", "password_set")


@requires(ADMIN)
async def user_token_revoke(request: web.Request) -> web.Response:
    """An admin revokes another user's API token (a script leaked it, a laptop was lost)."""
    user_id = int_param(request, "id")

    def work(s: Session) -> None:
        user = s.get(User, user_id)
        if user is None:
            raise web.HTTPNotFound()
        if revoke_token(user):
            record(request, s, "token.revoke", "user", user.id, {"reason": "admin"})

    await in_db(request, work)
    raise see_other("/users", "revoked")


async def _account_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    me = principal_of(request)

    def work(s: Session) -> bool:
        user = s.get(User, me.user_id)
        return bool(user and user.api_token_hash)

    context = {
        "has_token": await in_db(request, work),
        "new": None,
        "error": error,
        "min_password": MIN_PASSWORD,
    }
    return page(request, "account.html", context, status=status)


@requires(*ANYONE)
async def account_page(request: web.Request) -> web.Response:
    return await _account_page(request)


@requires(*ANYONE)
async def password_change(request: web.Request) -> web.Response:
    """Change one's own password: the current one is required (a borrowed, unlocked screen must
    not be enough to take the account). Other sessions end and the API token is revoked; this
    browser stays signed in."""
    me = principal_of(request)
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("password", ""))
    repeat = str(form.get("repeat", ""))
    cookie = request.cookies.get(COOKIE)

    def work(s: Session) -> str | None:
        user = s.get(User, me.user_id)
        if user is None:
            raise web.HTTPNotFound()
        if not check_password(current, user.password_hash):
            record(request, s, "user.password_change_failed", "user", user.id)
            return "account.refused.current"
        if new != repeat:
            return "account.refused.repeat"
        if len(new) < MIN_PASSWORD:
            return "account.refused.short"
        revoked = set_password(user, new)
        end_sessions(s, user.id, keep=session_id(cookie) if cookie else None)
        record(request, s, "user.password_change", "user", user.id)
        if revoked:
            record(request, s, "token.revoke", "user", user.id, {"reason": "password"})
        return None

    problem = await in_db(request, work)
    if problem:
        return await _account_page(request, problem, status=400)
    raise see_other("/account", "password_changed")


@requires(*ANYONE)
async def token_create(request: web.Request) -> web.Response:
    """A new token replaces the old one; it is shown once and stored only as a hash."""
    me = principal_of(request)

    def work(s: Session) -> str:
        token = issue_token(s, me.username)
        record(request, s, "token.create", "user", me.user_id)
        return token

    token = await in_db(request, work)
    context = {"has_token": True, "new": token, "error": None, "min_password": MIN_PASSWORD}
    response = page(request, "account.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@requires(*ANYONE)
async def token_revoke(request: web.Request) -> web.Response:
    me = principal_of(request)

    def work(s: Session) -> None:
        user = s.get(User, me.user_id)
        if user is not None:
            revoke_token(user)
        record(request, s, "token.revoke", "user", me.user_id, {"reason": "self"})

    await in_db(request, work)
    raise see_other("/account", "revoked")


def setup(app: web.Application) -> None:
    app.router.add_get("/users", users_page, name="users")
    app.router.add_post("/users", user_add, name="users.add")
    app.router.add_post("/users/{id}", user_update, name="users.update")
    app.router.add_post("/users/{id}/password", user_password, name="users.password")
    app.router.add_post("/users/{id}/token/revoke", user_token_revoke, name="users.token.revoke")
    app.router.add_get("/account", account_page, name="account")
    app.router.add_post("/account/password", password_change, name="account.password")
    app.router.add_post("/account/token", token_create, name="token.create")
    app.router.add_post("/account/token/revoke", token_revoke, name="token.revoke")
