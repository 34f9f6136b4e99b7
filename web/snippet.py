"""Search snippets: the backend's highlight markup, and nothing else, reaches the page.

The backend returns escaped text with matches wrapped in `<mark>…</mark>`. We do not trust that
promise with document text an attacker wrote: the snippet is split on the exact highlight tags,
every other piece is unescaped once (undoing the backend's escaping) and escaped again by us,
so a `<script>` in a PDF can only ever appear as text.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

_MARK = re.compile(r"(<mark>|</mark>)")


def safe_snippet(snippet: str | None) -> Markup:
    if not snippet:
        return Markup("")
    out: list[str] = []
    open_marks = 0
    for piece in _MARK.split(snippet[:4000]):
        if piece == "<mark>":
            if open_marks == 0:
                out.append("<mark>")
                open_marks = 1
        elif piece == "</mark>":
            if open_marks == 1:
                out.append("</mark>")
                open_marks = 0
        else:
            out.append(str(escape(html.unescape(piece))))
    if open_marks:
        out.append("</mark>")
    return Markup("".join(out))
