"""Where a sign-in may send the user next: only a path on this site, judged as a browser reads it.

The check runs on the URL as the browser will see it after its own clean-up (WHATWG URL
parsing drops leading and trailing C0 controls and spaces, removes every tab and newline, and
reads a backslash as a slash), not on the raw string: `/\\t/evil.com` passes a naive "starts
with / but not //" test and becomes `//evil.com` in the browser. Anything the clean-up would
change is refused outright rather than repaired, so what we check is exactly what is followed.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

HOME = "/"


def _browser_form(value: str) -> str:
    """What a WHATWG URL parser makes of `value` before it resolves it."""
    stripped = value.strip("".join(chr(c) for c in range(0x21)))
    cleaned = "".join(ch for ch in stripped if ch not in "\t\n\r")
    return cleaned.replace("\\", "/")


def _has_control_or_space(value: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in value)


def safe_next(value: str | None) -> str:
    """`value` when it is a same-site path (no scheme, no host, no `//` or `/\\`), else "/"."""
    if not value or len(value) > 2000:
        return HOME
    if _has_control_or_space(value) or _browser_form(value) != value:
        return HOME
    if not value.startswith("/") or value.startswith("//"):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value
