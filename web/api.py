"""`/api/v1`: the JSON API, behind the same sign-in, roles and audit as the pages.

Scripts authenticate with `Authorization: Bearer <token>` (no CSRF token needed); the UI's own
calls use the session cookie and send `X-CSRF-Token` on anything but GET. Errors are JSON
`{"error": REASON, "detail": ...}` with a stable reason. The contract is in `web/openapi.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from search.errors import SearchError
from web import pages_audit, pages_check, pages_quarantine, pages_registry
from web.auth import ADMIN, ANYONE, STAFF, Handler
from web.documents import delete_document, read_blob, view_document
from web.openapi import openapi_document
from web.pages_search import run_search
from web.render import int_param, json_error, json_ok, principal_of
from web.security import requires
from web.snippet import safe_snippet

MAX_LIMIT = 100
MAX_OFFSET = 100_000

log = logging.getLogger("diia_inbox.web.api")


_REASONS = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "SERVICE_UNAVAILABLE",
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API errors as JSON, whatever raised them: the router, the gate, a handler, a bug.

    It is the outermost middleware, so a 404 for an unknown /api/ path and a failure while
    resolving the caller are covered too. An unexpected exception is logged (type and place
    only reach the client as a stable reason) and answered 500 in JSON.
    """
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = json_error(exc.status, _REASONS.get(exc.status, "HTTP_ERROR"))
        if "Allow" in exc.headers:  # a 405 must say what is allowed (RFC 9110 15.5.6)
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("API request failed: %s %s", request.method, request.path)
        return json_error(500, "INTERNAL_ERROR")


@requires(*ANYONE)
async def me(request: web.Request) -> web.Response:
    who = principal_of(request)
    return json_ok({"username": who.username, "role": who.role, "via": who.via})


@requires(*ANYONE)
async def openapi(request: web.Request) -> web.Response:
    return json_ok(openapi_document())


class BadParameter(Exception):
    """A query parameter outside its documented type or range (answered 400)."""

    reason = "BAD_PARAMETER"

    def __init__(self, name: str, low: int, high: int) -> None:
        super().__init__(f"{name}: a whole number from {low} to {high}")


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    """A numeric query parameter, given once, within [low, high]; else `BadParameter`."""
    values = params.getall(name, [])
    if not values:
        return default
    text = values[0]
    if len(values) > 1 or not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise BadParameter(name, low, high)
    value = int(text)
    if not low <= value <= high:
        raise BadParameter(name, low, high)
    return value


@requires(ADMIN, STAFF)
async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    if not query:
        return json_error(400, "QUERY_EMPTY")
    sort = request.query.get("sort", "relevance")
    if sort not in ("relevance", "date"):
        return json_error(400, "BAD_SORT")
    try:
        limit = _int(request.query, "limit", 20, 1, MAX_LIMIT)
        offset = _int(request.query, "offset", 0, 0, MAX_OFFSET)
    except BadParameter as exc:
        return json_error(400, "BAD_PARAMETER", str(exc))
    try:
        result = await run_search(request, query, limit=limit, offset=offset, sort=sort)
    except SearchError as exc:
        return json_error(400, exc.reason, exc.detail)
    for hit in result["hits"]:
        hit["snippet"] = str(safe_snippet(hit.get("snippet")))
    return json_ok(result)


@requires(ADMIN, STAFF)
async def document(request: web.Request) -> web.Response:
    doc = await view_document(request, int_param(request, "id"), "document.view")
    return json_ok(doc.metadata())


@requires(ADMIN)
async def document_delete(request: web.Request) -> web.Response:
    doc_id = int_param(request, "id")
    if not await delete_document(request, doc_id):
        return json_error(409, "LEGAL_HOLD")
    return json_ok({"deleted": doc_id})


@requires(ADMIN, STAFF)
async def download(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    return await read_blob(request, int_param(request, "id"), kind, inline=False)


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/v1/openapi.json", openapi, name="api.openapi")
    router.add_get("/api/v1/me", me, name="api.me")
    router.add_get("/api/v1/search", search, name="api.search")
    router.add_get("/api/v1/documents/{id}", document, name="api.document")
    router.add_delete("/api/v1/documents/{id}", document_delete, name="api.document.delete")
    router.add_get(
        r"/api/v1/documents/{id}/{kind:pdf|p7s|message}", download, name="api.document.download"
    )
    router.add_post("/api/v1/verify", pages_check.api_verify, name="api.verify")
    router.add_get("/api/v1/branches", pages_registry.api_branches, name="api.branches")
    router.add_get("/api/v1/qr", pages_registry.api_qr, name="api.qr")
    router.add_get("/api/v1/quarantine", pages_quarantine.api_quarantine, name="api.quarantine")
    router.add_get("/api/v1/audit", pages_audit.api_audit, name="api.audit")
