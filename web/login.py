"""Sign-in and sign-out pages."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp_jinja2
from aiohttp import web

from archive import audit
from archive.users import authenticate
from web.auth import COOKIE, PUBLIC, create_session, end_session, recent_failures, username_key
from web.context import deps_of, lang_of, remote_of
from web.i18n import translator
from web.redirects import safe_next
from web.security import requires

PRE_COOKIE = "diia_login"


def _render(request: web.Request, error: str | None, status: int = 200) -> web.Response:
    lang = lang_of(request)
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = aiohttp_jinja2.render_template(
        "login.html",
        request,
        {
            "lang": lang,
            "t": translator(lang),
            "error": error,
            "next": safe_next(request.query.get("next")),
            "csrf_token": pre,
            "principal": None,
        },
        status=status,
    )
    response.set_cookie(
        PRE_COOKIE,
        pre,
        httponly=True,
        samesite="Strict",
        path="/login",
        secure=deps_of(request).secure_cookies,
    )
    return response


@requires(*PUBLIC)
async def login_page(request: web.Request) -> web.StreamResponse:
    return _render(request, None)


@requires(*PUBLIC)
async def login_submit(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    t = translator(lang_of(request))
    form = await request.post()
    pre = request.cookies.get(PRE_COOKIE)
    if not pre or form.get("csrf_token") != pre:
        return _render(request, t("login.expired"), status=403)
    username = str(form.get("username", ""))[:150]
    password = str(form.get("password", ""))[:1000]
    remote = remote_of(request)
    limit = deps.login_attempts_per_minute

    def attempt() -> tuple[str, str | None]:
        with deps.login_throttle.reserve(username, remote) as lock, deps.db.session() as s:
            lock(s)  # the attempt holds its turn until its outcome is committed
            if recent_failures(s, username, remote) >= limit:
                return "throttled", None
            user = authenticate(s, username, password)
            if user is None:
                audit.record(
                    s, "anonymous", "login.failed", "username", username_key(username), remote
                )
                return "failed", None
            cookie, _row = create_session(s, user, remote, deps.session_hours)
            audit.record(s, user.username, "login", "user", user.id, remote)
            return "ok", cookie

    outcome, cookie = await asyncio.to_thread(attempt)
    if outcome == "throttled":
        return _render(request, t("login.throttled"), status=429)
    if outcome == "failed":
        return _render(request, t("login.failed"), status=401)
    response = web.HTTPFound(safe_next(str(form.get("next", "")) or None))
    response.set_cookie(
        COOKIE,
        cookie or "",
        httponly=True,
        samesite="Lax",
        path="/",
        secure=deps.secure_cookies,
        max_age=deps.session_hours * 3600,
    )
    response.del_cookie(PRE_COOKIE, path="/login")
    raise response


@requires("admin", "staff", "auditor")
async def logout(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    cookie = request.cookies.get(COOKIE)
    if cookie:

        def drop() -> None:
            with deps.db.session() as s:
                end_session(s, cookie)

        await asyncio.to_thread(drop)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response
