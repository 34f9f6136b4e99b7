"""The staff's main page: one search box, a few filters, results with a validity badge.

Filters are folded into the query language (`type:`, `branch:`, `status:`, `received:`) so the
box, the filters, the API and the command line all mean the same thing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.branches import list_branches
from archive.localtime import display
from archive.models import DOCUMENT_TYPES, Document
from search.errors import SearchError
from web.auth import ADMIN, STAFF
from web.context import deps_of, zone_of
from web.render import in_db, page
from web.report_view import badge_of
from web.security import requires
from web.services import need
from web.snippet import safe_snippet

PAGE_SIZE = 20
STATUSES = ("passed", "failed", "indeterminate", "unsigned")


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def compose_query(params: Any) -> str:
    """The box's text plus the chosen filters, in the query language."""
    parts = [str(params.get("q", "")).strip()[:1000]]
    doc_type = params.get("type", "")
    if doc_type in DOCUMENT_TYPES:
        parts.append(f"type:{doc_type}")
    branch = str(params.get("branch", ""))
    if branch.isdigit():
        parts.append(f"branch:{branch}")
    status = params.get("status", "")
    if status in STATUSES:
        parts.append(f"status:{status}")
    start, end = _date(params.get("from", "")), _date(params.get("to", ""))
    if start and end:
        parts.append(f"received:{start}..{end}")
    elif start:
        parts.append(f"received:>={start}")
    elif end:
        parts.append(f"received:<={end}")
    return " ".join(p for p in parts if p)


def _page_number(params: Any) -> int:
    try:
        return max(1, min(500, int(params.get("page", "1"))))
    except ValueError:
        return 1


def page_links(current: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to offer: the first, the last, and a few around the current one; None
    marks a gap ("…")."""
    shown = sorted({1, pages, *range(max(1, current - around), min(pages, current + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and out[-1] is not None and n - out[-1] > 1:  # type: ignore[operator]
            out.append(None)
        out.append(n)
    return out


async def run_search(
    request: web.Request, query: str, *, limit: int, offset: int, sort: str
) -> dict[str, Any]:
    """Search and shape the result; raises SearchError with a reason for bad queries."""
    backend = need(deps_of(request).services.search, "search")
    result = await asyncio.to_thread(backend.search, query, limit=limit, offset=offset, sort=sort)
    shaped = result.to_dict()
    for hit, out in zip(result.hits, shaped["hits"], strict=True):
        out["sent"] = hit.sent  # identical resends are one hit, "sent 3 times"
    return shaped


def document_numbers(ids: list[int]) -> Callable[[Session], dict[int, str]]:
    """The recognised document numbers of these documents (those that have one).

    A result without a recognised name is labelled by type, number and date instead, so links
    to different copies never read the same to a screen reader (WCAG 2.4.4)."""

    def work(s: Session) -> dict[int, str]:
        rows = s.execute(select(Document.id, Document.fields).where(Document.id.in_(ids)))
        return {
            int(doc_id): str(fields["document_number"])
            for doc_id, fields in rows
            if isinstance(fields, dict) and fields.get("document_number")
        }

    return work


@requires(ADMIN, STAFF)
async def search_page(request: web.Request) -> web.Response:
    params = request.query
    query = compose_query(params)
    sort = "date" if params.get("sort") == "date" else "relevance"
    number = _page_number(params)
    error: str | None = None
    result: dict[str, Any] | None = None
    if query:
        try:
            result = await run_search(
                request, query, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, sort=sort
            )
        except SearchError as exc:
            error = exc.reason
    for hit in (result or {}).get("hits", []):
        hit["badge"] = badge_of(hit.get("indication"))
        hit["snippet_html"] = safe_snippet(hit.get("snippet"))
        hit["received_day"] = display(hit.get("received_at"), zone_of(request))

    unnamed = [int(h["id"]) for h in (result or {}).get("hits", []) if not h.get("person_name")]
    numbers = await in_db(request, document_numbers(unnamed)) if unnamed else {}
    for hit in (result or {}).get("hits", []):
        hit["number"] = numbers.get(int(hit["id"]), "")

    def branches(s: Session) -> list[tuple[int, str]]:
        return [(b.id, b.name) for b in list_branches(s)]

    total = (result or {}).get("total", 0)
    base = {k: v for k, v in params.items() if k != "page"}
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "search.html",
        {
            "params": params,
            "result": result,
            "error": error,
            "document_types": DOCUMENT_TYPES,
            "statuses": STATUSES,
            "branches": await in_db(request, branches),
            "page_number": number,
            "has_next": total > number * PAGE_SIZE,
            "base_params": base,
            "pages": pages,
            "page_links": page_links(number, pages),
        },
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/search", search_page, name="search")
