"""Small accessors shared by handlers: dependencies, language, client address, principal."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

if TYPE_CHECKING:
    from web.app import WebDeps


def deps_of(request: web.Request) -> WebDeps:
    from web.app import DEPS

    return request.app[DEPS]


def lang_of(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("lang") or "uk"
    return lang if lang in ("uk", "en") else "uk"


def remote_of(request: web.Request) -> str:
    """The peer address (a reverse proxy in front should be trusted explicitly, not assumed)."""
    return (request.remote or "")[:100]


def zone_of(request: web.Request) -> ZoneInfo:
    """The installation's display time zone (`[web] timezone`)."""
    return deps_of(request).zone
