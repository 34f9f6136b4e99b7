"""Accessibility probes for the Chromium tests: axe-core in the page, reflow, focus contrast.

axe-core comes from the npm registry (tests/node/package.json, installed by `make node-deps`)
and is injected into the page under test through WebDriver's execute-script, so the pages
themselves never load it. The contrast arithmetic is WCAG 2.1's own (relative luminance of
sRGB, ratio (L1 + 0.05) / (L2 + 0.05)) and is unit-tested against known pairs, because the
keyboard test's verdicts rest on it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.web.webdriver import Browser

AXE_DIR = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "axe-core"
AXE_JS = AXE_DIR / "axe.min.js"
#: The WCAG 2.0 and 2.1 level A and AA rules; nothing from best practices or AAA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

RGBA = tuple[float, float, float, float]


def axe_version() -> str:
    return str(json.loads((AXE_DIR / "package.json").read_text())["version"])


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    nodes: tuple[tuple[str, str], ...]  # (target selector, html snippet)

    def render(self) -> str:
        lines = [f"{self.rule} [{self.impact}] {self.help}"]
        lines += [f"    {target}: {html[:200]}" for target, html in self.nodes]
        return "\n".join(lines)


_RUN = """
const done = arguments[arguments.length - 1];
if (!window.axe) { eval(arguments[0]); }
const only = {runOnly: {type: 'tag', values: arguments[1]}, resultTypes: ['violations']};
window.axe.run(document, only)
  .then(r => done(r.violations.map(v => ({
      rule: v.id, impact: v.impact || '', help: v.help,
      nodes: v.nodes.map(n => [n.target.join(' '), n.html])}))))
  .catch(e => done([{rule: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def axe_violations(browser: Browser) -> list[Violation]:
    """Run axe-core on the current page with the WCAG 2.x A/AA rules; its violations."""
    found = browser.js_async(_RUN, AXE_JS.read_text(), list(WCAG_TAGS))
    return [
        Violation(v["rule"], v["impact"], v["help"], tuple((t, h) for t, h in v["nodes"]))
        for v in found
    ]


# --- colour arithmetic (WCAG 2.1, 1.4.3 / 1.4.11) ---------------------------------------------


_RGB = r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+%?))?\s*\)"


def parse_color(text: str) -> RGBA:
    """A CSS colour as the browser's computed style writes it (rgb()/rgba()) or #rrggbb."""
    text = text.strip()
    if text.startswith("#") and len(text) in (4, 7):
        digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), 1.0)
    if text == "transparent":
        return (0, 0, 0, 0.0)
    found = re.fullmatch(_RGB, text)
    if not found:
        raise ValueError(f"not a colour: {text!r}")
    r, g, b, a = found.groups()
    alpha = 1.0 if a is None else (float(a[:-1]) / 100 if a.endswith("%") else float(a))
    return (float(r), float(g), float(b), alpha)


def over(top: RGBA, below: RGBA) -> RGBA:
    """`top` painted over an opaque `below` (source-over compositing)."""
    a = top[3]
    return (
        top[0] * a + below[0] * (1 - a),
        top[1] * a + below[1] * (1 - a),
        top[2] * a + below[2] * (1 - a),
        1.0,
    )


def luminance(color: RGBA) -> float:
    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGBA | str, b: RGBA | str) -> float:
    """The WCAG contrast ratio of two opaque colours, 1.0 to 21.0."""
    ca = parse_color(a) if isinstance(a, str) else a
    cb = parse_color(b) if isinstance(b, str) else b
    hi, lo = sorted((luminance(ca), luminance(cb)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- the focus indicator ---------------------------------------------------------------------

#: What the focused element paints around itself, and the opaque colour behind it (its
#: ancestors' backgrounds composited, the canvas white at the bottom).
_FOCUS = """
const e = document.activeElement;
if (!e || e === document.body) return null;
const s = getComputedStyle(e);
const layers = [];
for (let p = e.parentElement; p; p = p.parentElement) {
  layers.push(getComputedStyle(p).backgroundColor);
}
const r = e.getBoundingClientRect();
return {tag: e.tagName, id: e.id, cls: String(e.className), href: e.getAttribute('href'),
        text: (e.innerText || e.value || '').trim().slice(0, 60),
        outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor,
        boxShadow: s.boxShadow, layers: layers, width: r.width, height: r.height};
"""


@dataclass(frozen=True)
class FocusRing:
    element: str
    colors: tuple[RGBA, ...]  # the indicator's colours (outline, box-shadow rings)
    behind: RGBA  # the opaque background adjacent to the ring

    @property
    def contrast(self) -> float:
        """The best contrast any part of the indicator has against the background beside it
        (a two-tone ring passes when one of its tones stands out)."""
        return max((contrast(c, self.behind) for c in self.colors), default=1.0)


def backdrop(layers: list[str]) -> RGBA:
    """The opaque colour seen through the listed backgrounds (innermost first) over white."""
    color: RGBA = (255, 255, 255, 1.0)
    for layer in reversed(layers):
        color = over(parse_color(layer), color)
    return color


def shadow_colors(box_shadow: str) -> list[RGBA]:
    if box_shadow in ("", "none"):
        return []
    return [parse_color(c) for c in re.findall(r"rgba?\([^)]*\)", box_shadow)]


def focus_ring(browser: Browser) -> FocusRing | None:
    """The indicator of whatever has the focus, or None when nothing (the body) has it."""
    raw: dict[str, Any] | None = browser.js(_FOCUS)
    if raw is None:
        return None
    behind = backdrop(list(raw["layers"]))
    colors: list[RGBA] = []
    if raw["outlineStyle"] not in ("none", "hidden") and float(raw["outlineWidth"][:-2]) >= 2:
        colors.append(over(parse_color(raw["outlineColor"]), behind))
    colors += [over(c, behind) for c in shadow_colors(raw["boxShadow"]) if c[3] > 0]
    label = f"{raw['tag'].lower()}#{raw['id']}.{raw['cls']} {raw['href'] or ''} «{raw['text']}»"
    return FocusRing(label, tuple(colors), behind)
