"""The request gate: who is asking, may they, and did the form come from our own page.

Every handler declares its roles with `@requires(...)`; a handler without a declaration is
refused, so a forgotten check fails closed. Pages send anonymous users to the sign-in page;
`/api/` answers 401. State-changing requests from a browser session must carry the session's
CSRF token (form field or X-CSRF-Token header).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
from yarl import URL

from web.auth import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    PUBLIC,
    SAFE_METHODS,
    Handler,
    Principal,
    csrf_ok,
    session_principal,
    token_principal,
)

PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal", Principal | None)  # type: ignore[arg-type]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Declare who may call a handler: role names, or "*" for anyone (sign-in, health)."""

    def mark(handler: Handler) -> Handler:
        handler.roles = frozenset(roles)  # type: ignore[attr-defined]
        return handler

    return mark


def roles_of(request: web.Request) -> frozenset[str] | None:
    if request.path.startswith("/static/"):
        return PUBLIC
    handler: Any = request.match_info.handler
    return getattr(handler, "roles", None)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _denied(request: web.Request, status: int, reason: str) -> web.StreamResponse:
    if is_api(request) or status == 401:
        return web.json_response({"error": reason}, status=status)
    raise web.HTTPForbidden(text="403: доступ заборонено / access denied")


async def resolve_principal(request: web.Request, deps: Any) -> Principal | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[len("Bearer ") :].strip()

        def by_token() -> Principal | None:
            with deps.db.session() as s:
                return token_principal(s, token)

        return await asyncio.to_thread(by_token)
    cookie = request.cookies.get(COOKIE)
    if cookie:

        def by_cookie() -> Principal | None:
            with deps.db.session() as s:
                return session_principal(s, cookie)

        return await asyncio.to_thread(by_cookie)
    return None


def gate(deps_key: Any) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        roles = roles_of(request)
        if roles is None:
            # No declaration: unknown routes 404 as usual, undeclared handlers are refused.
            if request.match_info.http_exception is not None:
                raise request.match_info.http_exception
            return _denied(request, 403, "route has no access rule")
        principal = await resolve_principal(request, request.app[deps_key])
        request[PRINCIPAL] = principal
        if roles != PUBLIC:
            if principal is None:
                if is_api(request):
                    return web.json_response({"error": "authentication required"}, status=401)
                target = URL("/login").with_query(next=request.rel_url.path_qs)
                raise web.HTTPFound(str(target))
            if principal.role not in roles:
                return _denied(request, 403, "your role may not do this")
            if request.method not in SAFE_METHODS:
                supplied = request.headers.get(CSRF_HEADER)
                if supplied is None and request.content_type in (
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ):
                    form = await request.post()
                    value = form.get(CSRF_FIELD)
                    supplied = value if isinstance(value, str) else None
                if not csrf_ok(principal, supplied):
                    return _denied(request, 403, "missing or wrong CSRF token")
        return await handler(request)

    return middleware


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: every response gets the headers, whatever produced it.

    A middleware sees only what handlers return; raised redirects, 403/404/405 from the router,
    500s and static files pass it by. This hook runs for all of them, just before the headers
    are sent. Everything but the static assets may carry personal data (names in pages, JSON
    with document metadata, error pages echoing a path), so none of it may be kept by a cache.
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
