"""Users (admin: add, disable, change role) and each user's own API token (create, revoke).

A disabled user's sessions end at once (they live in the database). An admin cannot disable or
demote themselves, so an installation is never left without a way in through its own mistake.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from archive.errors import ArchiveError
from archive.models import ROLES, User, WebSession
from archive.users import add_user, issue_token
from web.auth import ADMIN, ANYONE
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
            "created_at": u.created_at.isoformat(timespec="minutes"),
        }
        for u in s.execute(select(User).order_by(User.username)).scalars()
    ]


async def _users_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    return page(
        request,
        "users.html",
        {"users": await in_db(request, users_data), "roles": ROLES, "error": error},
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
        return await _users_page(request, exc.detail, status=400)
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
        user.role, user.active = role, active
        if changes:
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))
            record(request, s, "user.update", "user", user.id, changes)
        return None

    problem = await in_db(request, work)
    if problem:
        return await _users_page(request, f"user.refused.{problem}", status=400)
    raise see_other("/users", "saved")


@requires(*ANYONE)
async def account_page(request: web.Request) -> web.Response:
    me = principal_of(request)

    def work(s: Session) -> bool:
        user = s.get(User, me.user_id)
        return bool(user and user.api_token_hash)

    return page(request, "account.html", {"has_token": await in_db(request, work), "new": None})


@requires(*ANYONE)
async def token_create(request: web.Request) -> web.Response:
    """A new token replaces the old one; it is shown once and stored only as a hash."""
    me = principal_of(request)

    def work(s: Session) -> str:
        token = issue_token(s, me.username)
        record(request, s, "token.create", "user", me.user_id)
        return token

    token = await in_db(request, work)
    response = page(request, "account.html", {"has_token": True, "new": token})
    response.headers["Cache-Control"] = "no-store"
    return response


@requires(*ANYONE)
async def token_revoke(request: web.Request) -> web.Response:
    me = principal_of(request)

    def work(s: Session) -> None:
        user = s.get(User, me.user_id)
        if user is not None:
            user.api_token_hash = None
        record(request, s, "token.revoke", "user", me.user_id)

    await in_db(request, work)
    raise see_other("/account", "revoked")


def setup(app: web.Application) -> None:
    app.router.add_get("/users", users_page, name="users")
    app.router.add_post("/users", user_add, name="users.add")
    app.router.add_post("/users/{id}", user_update, name="users.update")
    app.router.add_get("/account", account_page, name="account")
    app.router.add_post("/account/token", token_create, name="token.create")
    app.router.add_post("/account/token/revoke", token_revoke, name="token.revoke")
