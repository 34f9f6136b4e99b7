"""A request id on every web request: bound for the log lines logged while it is handled,
returned in `X-Request-Id`, and taken from the proxy in front when it sent a sane one (so a
line in nginx's log and ours can be matched).

One access line per request names the route template ("/documents/{id}"), never the path
or query, which can carry a searched name.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from structlog.contextvars import bound_contextvars

log = logging.getLogger("diia_inbox.web.access")

HEADER = "X-Request-Id"
#: What we accept from a proxy: short, and nothing a log line could be forged with.
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id_of(request: web.Request) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _SANE.fullmatch(offered) else secrets.token_hex(8)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request_id_of(request)
    started = time.perf_counter()
    with bound_contextvars(request_id=rid):
        status = 500
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            exc.headers[HEADER] = rid
            raise
        finally:
            log.info(
                "%s %s %d %.1f ms",
                request.method,
                _route(request),
                status,
                (time.perf_counter() - started) * 1000,
            )
        response.headers[HEADER] = rid
        return response
