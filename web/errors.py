"""Error pages people can read: 403, 404 and 500 inside the normal frame, with a way back.

A browser that meets a refusal, a missing document or a bug gets the same header, menu and
footer as every page, a sentence in its language, a link to the start page and, when it came
from one of our pages, a link back to it. The text is ours, never the exception's: a handler's
message, a traceback or a path never reaches the page (the 500 page shows only the request id,
which matches the log line). `/api/` keeps its JSON errors (`web.api.json_errors` runs outside
this middleware and answers those first).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from structlog.contextvars import get_contextvars
from yarl import URL

from web.auth import Handler, Principal
from web.context import deps_of
from web.redirects import safe_next
from web.render import page
from web.security import PRINCIPAL, is_api, resolve_principal

log = logging.getLogger("diia_inbox.web.errors")

#: The statuses that get a page; others (400, 405, 413, redirects, ...) pass as they are.
PAGES = (403, 404, 500)


def _back_link(request: web.Request) -> str:
    """The page the visitor came from, if it is one of ours and not this very page."""
    referer = request.headers.get("Referer", "")
    if not referer:
        return ""
    try:
        url = URL(referer)
    except ValueError:
        return ""
    if url.is_absolute() and (url.host, url.port) != (request.url.host, request.url.port):
        return ""
    path = safe_next(url.path_qs)
    return "" if path in ("/", request.path_qs) else path


async def _principal(request: web.Request) -> Principal | None:
    """Who is asking, so a signed-in visitor keeps the menu even on a router 404."""
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    try:
        return await resolve_principal(request, deps_of(request))
    except Exception:  # the database may be why we are here
        return None


async def error_page(request: web.Request, status: int) -> web.Response:
    """The frame with the sentence for `status` (403, 404 or 500)."""
    request[PRINCIPAL] = await _principal(request)
    context = {
        "status": status,
        "back": _back_link(request),
        "request_id": str(get_contextvars().get("request_id", "")),
    }
    return page(request, "error.html", context, status=status)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_api(request) or "text/event-stream" in request.headers.get("Accept", ""):
        # JSON errors for scripts; an event stream may fail after its headers went out.
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status not in PAGES:
            raise
        status = exc.status
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("page failed: %s %s", request.method, request.match_info.route.name)
        status = 500
    try:
        return await error_page(request, status)
    except Exception:
        log.exception("the error page itself failed")
        return web.Response(status=status, text=f"{status}", content_type="text/plain")
