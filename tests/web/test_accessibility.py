"""WCAG 2.1 AA in real headless Chromium: axe-core on every page and state, reflow at 320 CSS
px, and the receptionist's loop from the keyboard with a visible, contrasting focus indicator.

One seeded server and one browser serve the whole module (module-scoped fixtures): signing in
and starting Chromium are the slow parts, and the suite must stay short on two cores.

What runs where (measured on the shared 2-core machine: a pass over all states with axe takes
about 10-13 s, without axe about 5 s, so the full matrix is affordable):

- axe-core (WCAG 2.0/2.1 A and AA tags: wcag2a, wcag2aa, wcag21a, wcag21aa) on every state in
  `STATES`, in Ukrainian and in English, at 1366x768, 390x844 and 320x720: 6 passes.
- Reflow (1.4.10): no sideways scrolling at 320 CSS px on every state, both languages. The
  320 px viewport is set with Chromium's device-metrics override (the window itself may not go
  that narrow) and `window.innerWidth == 320` is asserted, so the check cannot pass vacuously.
- The keyboard loop (2.1.1, 2.4.7, 1.4.11): sign in, search, open the copy, download the PDF,
  open the print view and press its button, back to the results; Tab and Enter only; every
  element that receives the focus on the way is asserted to draw an indicator with >= 3:1
  contrast against the background beside it (`tests/web/a11y.py` does the arithmetic).
- Focus rings everywhere: in Ukrainian at 1366 and at 320 px, every state is also walked with
  Tab (its first 40 stops) and each ring measured the same way (about +7 s a pass).

Screenshots of every state (Ukrainian at 1366, 390 and 320 px, English at 1366) go to
tests/artifacts/a11y/, with the focus stops of the keyboard loop and their contrast.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from archive.models import Document
from archive.users import add_user
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from search.index import ArchiveSource
from tests.verify.test_path import NOW
from tests.web.a11y import (
    AXE_JS,
    WCAG_TAGS,
    FocusRing,
    Violation,
    axe_version,
    axe_violations,
    contrast,
    focus_ring,
    parse_color,
)
from tests.web.conftest import PASSWORD, ROLES, make_deps
from tests.web.seed import SURNAME, Seeded, seed
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate
from web.app import create_app

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "a11y"

needs_browser = pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")


# --- the contrast arithmetic the keyboard test relies on --------------------------------------


@pytest.mark.parametrize(
    ("fg", "bg", "expected"),
    [
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes 4.5:1 on white
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # one step lighter fails
        ("rgb(0, 87, 184)", "#ffffff", 6.87),
        ("#1a7f37", "#dcf5e3", 4.40),  # the badge the issue found
        ("#ffd500", "#f6f7f9", 1.33),  # the old yellow ring on the page background
    ],
)
def test_contrast_matches_known_wcag_pairs(fg: str, bg: str, expected: float) -> None:
    assert round(contrast(fg, bg), 2) == expected
    assert contrast(fg, bg) == contrast(bg, fg)


def test_colours_parse_as_computed_styles_write_them() -> None:
    assert parse_color("rgba(0, 0, 0, 0)")[3] == 0
    assert parse_color("rgb(255 213 0 / 50%)") == (255, 213, 0, 0.5)
    assert parse_color("#fff") == (255, 255, 255, 1.0)
    with pytest.raises(ValueError):
        parse_color("hsl(0 0% 0%)")


# --- the site: one seeded server for the module, in a thread of its own ------------------------


@dataclass
class Site:
    base: str
    data: Seeded
    indeterminate: int
    files: Path


def _indeterminate_documents(rt: Any, deps: Any, data: Seeded) -> list[int]:
    """Two driving licences without a recognised name, judged without any trust anchor:
    INDETERMINATE, as when the provider's root is missing from the trust folder. Their result
    links must still read differently (type, number, date)."""
    ctx = ValidationContext(trust=TrustStore.load([]), clock=lambda: NOW)
    report = validate(data.p7s, data.pdf, ctx)
    assert str(report.indication) == "INDETERMINATE", report.render_text()
    made: list[int] = []
    with rt.db.session() as s:
        good = s.get(Document, data.good_doc)
        for n, number in enumerate(("ВХО123456", "ВХО654321"), start=1):
            pdf_sha = rt.blobs.put(data.pdf + f"\n% copy {n}\n".encode())  # not a resend
            doc = Document(
                message_id=good.message_id,
                branch_id=good.branch_id,
                received_at=good.received_at + dt.timedelta(minutes=n),
                filename="Посвідчення водія.pdf",
                document_type="driver-license",
                pdf_sha256=pdf_sha,
                p7s_sha256=good.p7s_sha256,
                text="",
                fields={"document_number": number},
                report=report.to_dict(),
                indication=str(report.indication),
                sub_indication=str(report.sub_indication) if report.sub_indication else None,
                signer=None,
            )
            s.add(doc)
            s.flush()
            made.append(int(doc.id))
    search = deps.services.search
    assert search is not None
    search.add(list(ArchiveSource(rt.db).docs(only=made)))
    return made


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("a11y")
    # Every pass shows a refused sign-in, more than the default 5 a minute would allow.
    env = {"DIIA_INBOX_WEB_LOGIN_ATTEMPTS_PER_MINUTE": "100"}
    rt = Runtime.open(load_config(data_dir=tmp / "data", env=env))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server: TestServer | None = None
    try:
        with rt.db.session() as s:
            for role in ROLES:
                add_user(s, role, role, PASSWORD)
        deps = make_deps(rt)
        data = seed(rt, deps)
        indeterminate = _indeterminate_documents(rt, deps, data)[0]
        files = tmp / "files"
        files.mkdir()
        (files / "copy.pdf.p7s").write_bytes(data.p7s)
        (files / "copy.pdf").write_bytes(data.pdf)
        (files / "altered.pdf").write_bytes(data.pdf + b"\n% altered after signing\n")
        (files / "junk.p7s").write_bytes(b"not a signature")

        async def start() -> TestServer:
            srv = TestServer(create_app(deps), host="127.0.0.1")
            await srv.start_server()
            return srv

        server = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
        yield Site(str(server.make_url("")).rstrip("/"), data, indeterminate, files)
    finally:
        if server is not None:
            asyncio.run_coroutine_threadsafe(server.close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
        rt.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    try:
        yield b
    finally:
        b.close()


# --- driving the pages -----------------------------------------------------------------------


def viewport(b: Browser, width: int, height: int) -> None:
    """Window and layout viewport of exactly `width` CSS px (Chromium's metrics override)."""
    b.size(max(width, 500), height)
    b.cmd(
        "POST",
        "/goog/cdp/execute",
        {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        },
    )


def loaded(b: Browser) -> None:
    b.wait_for("return document.readyState === 'complete' && !window.__leaving;")


def submit(b: Browser, form_of: str, values: dict[str, str] | None = None) -> None:
    """Fill fields by id and submit their form as its button would; wait for the next page."""
    b.js(
        "for (const [id, v] of Object.entries(arguments[1])) document.getElementById(id).value = v;"
        "window.__leaving = true; document.getElementById(arguments[0]).form.requestSubmit();",
        form_of,
        values or {},
    )
    loaded(b)


def upload(b: Browser, files: dict[str, Path]) -> None:
    """Choose files in the /check form (WebDriver types paths into file inputs) and submit."""
    for field_id, path in files.items():
        b.type(b.find(f"#{field_id}"), str(path))
    b.js("window.__leaving = true;")
    b.click(b.find("#check-submit"))
    loaded(b)


def fresh(b: Browser, base: str, lang: str) -> None:
    """Signed out, on the sign-in page, with the language cookie the switch would set."""
    b.cmd("DELETE", "/cookie")
    b.go(f"{base}/login")
    b.cmd("POST", "/cookie", {"cookie": {"name": "lang", "value": lang, "path": "/"}})
    go(b, f"{base}/login")


def sign_in(b: Browser, base: str, role: str, lang: str) -> None:
    fresh(b, base, lang)
    b.type(b.find("#username"), role)
    b.type(b.find("#password"), PASSWORD)
    submit(b, "username")
    assert b.js("return location.pathname;") == "/", b.url()


def go(b: Browser, url: str) -> None:
    b.go(url)
    loaded(b)


@dataclass(frozen=True)
class State:
    name: str
    role: str  # who is signed in ("" for nobody)
    reach: Callable[[Browser, Site], None]
    expect: str = ""  # a CSS selector the state must show (so a wrong page cannot pass)
    probe: str = ""  # JS returning a list of problems particular to this state


def _path(path: str | Callable[[Site], str]) -> Callable[[Browser, Site], None]:
    def reach(b: Browser, site: Site) -> None:
        go(b, site.base + (path(site) if callable(path) else path))

    return reach


def _refused_login(b: Browser, site: Site) -> None:
    go(b, f"{site.base}/login")
    submit(b, "username", {"username": "admin", "password": "not the password"})


def _check(b: Browser, site: Site, files: dict[str, str]) -> None:
    go(b, f"{site.base}/check")
    upload(b, {k: site.files / v for k, v in files.items()})


def _refused_branch(b: Browser, site: Site) -> None:
    go(b, f"{site.base}/branches")
    submit(b, "bn", {"bn": "Дія", "ba": "Київ", "be": "x@example.org"})


def _menu_open(b: Browser, site: Site) -> None:
    """The phone menu unfolded (on wide screens it is always open)."""
    go(b, f"{site.base}/")
    b.js("document.querySelector('details.menu').open = true;")


def _subjects_found(b: Browser, site: Site) -> None:
    go(b, f"{site.base}/subjects")
    submit(b, "sr", {"sr": "1234567899"})


#: 2.4.4: links to different copies must not read the same (name, or type + number + date).
DISTINCT_LINKS = """
const names = [...document.querySelectorAll('a.hit-link')].map(a => a.innerText.trim());
return names.length < 3 ? ['fewer than 3 results: ' + names] :
  names.filter((n, i) => names.indexOf(n) !== i).map(n => 'link name twice: ' + n);
"""
#: The verdict (or refusal) has the focus once the page opens, so a screen reader reads it.
FOCUSED = "return document.activeElement.matches('{0}') ? [] : ['focus is not on {0}'];"
#: ... and the focused result's description is the verdict itself, not only "result: file".
VERDICT = """
const r = document.getElementById('check-result');
const said = (r.getAttribute('aria-describedby') || '').split(' ')
  .map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent).join(' ');
const badge = r.querySelector('.badge').textContent.trim();
return document.activeElement === r && said.includes(badge) ? [] : ['verdict not announced'];
"""
#: 3.1.2: the language switch is written in the other language and says so.
SWITCH_LANG = """
const a = document.querySelector('a.lang');
if (!a) return [];
const other = document.documentElement.lang === 'uk' ? 'en' : 'uk';
return a.lang === other && a.hreflang === other ? [] : ['language switch lacks lang=' + other];
"""

#: What sticks out on the right: the innermost elements past the viewport, for the message.
WIDEST = """
const out = [...document.body.querySelectorAll('*')].filter(e =>
  (e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1) &&
  getComputedStyle(e).overflowX === 'visible' &&
  ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1));
return out.slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' +
  Math.round(e.getBoundingClientRect().right) + 'px ' + (e.textContent || '').slice(0, 40));
"""

STATES: tuple[State, ...] = (
    State("login", "", _path("/login"), "#username"),
    State("login-refused", "", _refused_login, "[role=alert]"),
    State("arrivals", "admin", _path("/"), "main h1"),
    State("arrivals-empty", "admin", _path("/?status=unsigned"), "main h1"),
    State("search-empty", "admin", _path("/search"), "#q"),
    State(
        "search-results",
        "admin",
        _path("/search?from=2000-01-01&sort=date"),
        ".hit",
        DISTINCT_LINKS,
    ),
    State("search-none", "admin", _path("/search?q=Неіснуюченко"), ".count"),
    State("search-error", "admin", _path("/search?q=nosuchfield:x"), "[role=alert]"),
    State("document-passed", "admin", _path(lambda s: f"/documents/{s.data.good_doc}"), ".ok"),
    State("document-failed", "admin", _path(lambda s: f"/documents/{s.data.xss_doc}"), ".bad"),
    State(
        "document-indeterminate",
        "admin",
        _path(lambda s: f"/documents/{s.indeterminate}"),
        ".badge.warn",
    ),
    State("print", "admin", _path(lambda s: f"/documents/{s.data.good_doc}/print"), ".report"),
    State("check-form", "admin", _path("/check"), "#p7s"),
    State(
        "check-passed",
        "admin",
        lambda b, s: _check(b, s, {"p7s": "copy.pdf.p7s", "pdf": "copy.pdf"}),
        "#check-result .badge.ok",
        VERDICT,
    ),
    State(
        "check-failed",
        "admin",
        lambda b, s: _check(b, s, {"p7s": "copy.pdf.p7s", "pdf": "altered.pdf"}),
        "#check-result .badge.bad",
        VERDICT,
    ),
    State(
        "check-error",
        "admin",
        lambda b, s: _check(b, s, {"p7s": "junk.p7s"}),
        "[role=alert]",
        FOCUSED.format("[role=alert]"),
    ),
    State("quarantine", "admin", _path("/quarantine"), "table"),
    State("branches", "admin", _path("/branches"), "#bn"),
    State("branches-refused", "admin", _refused_branch, "[role=alert]"),
    State("qr", "admin", _path("/qr"), "main h1"),
    State("users", "admin", _path("/users"), "table"),
    State("trust", "admin", _path("/trust"), ".badge.ok"),
    State("nodes", "admin", _path("/nodes"), "main h1"),
    State("mailboxes", "admin", _path("/mailboxes"), "main h1"),
    State("audit", "admin", _path("/audit"), "table"),
    State("retention", "admin", _path("/retention"), "main h1"),
    State("subjects", "admin", _path("/subjects"), "#sr"),
    State("subjects-found", "admin", _subjects_found, "table a[href^='/documents/']"),
    State("account", "admin", _path("/account"), "main h1"),
    State("menu-open", "admin", _menu_open, "details.menu[open] nav a[href='/search']"),
    State("not-found", "admin", _path("/documents/999999"), ".error-page.status-404 h1"),
    State("auditor-home", "auditor", _path("/"), ".tiles"),
    State("forbidden", "auditor", _path("/search"), ".error-page.status-403 h1"),
)


@dataclass
class Pass:
    """One walk over every state at one width in one language."""

    lang: str
    width: int
    height: int
    axe: bool
    focus: bool = False  # Tab through each state and measure every focus ring
    found: dict[str, list[Violation]] = field(default_factory=dict)
    faint: list[str] = field(default_factory=list)
    stops: int = 0
    overflow: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


PASSES = (
    Pass("uk", 1366, 768, axe=True, focus=True),
    Pass("en", 1366, 768, axe=True),
    Pass("uk", 320, 720, axe=True, focus=True),
    Pass("en", 320, 720, axe=True),
    Pass("uk", 390, 844, axe=True),
    Pass("en", 390, 844, axe=True),
)


def walk(b: Browser, site: Site, run: Pass) -> Pass:
    viewport(b, run.width, run.height)
    assert b.js("return window.innerWidth;") == run.width
    role: str | None = None
    for state in STATES:
        if state.role != role:
            if state.role:
                sign_in(b, site.base, state.role, run.lang)
            else:
                fresh(b, site.base, run.lang)
            role = state.role
        state.reach(b, site)
        where = f"{state.name} [{run.lang} {run.width}px]"
        if b.js("return document.documentElement.lang;") != run.lang:
            run.missing.append(f"{where}: not in {run.lang} at {b.url()}")
        if not b.js("return document.querySelector(arguments[0]) !== null;", state.expect):
            run.missing.append(f"{where}: no {state.expect!r} at {b.url()}")
        for script in (SWITCH_LANG, state.probe):
            run.missing += [f"{where}: {p}" for p in (b.js(script) if script else [])]
        if not b.js(NO_OVERFLOW):
            wide = b.js(WIDEST)
            run.overflow.append(f"{where}: wider than {run.width} px: {wide}")
        if run.axe:
            run.found[state.name] = axe_violations(b)
        if run.lang == "uk" or run.width == 1366:
            # What makes the state (results, verdict, alert) in view, for the person looking.
            b.js(
                "const e = document.querySelector(arguments[0]); e && e.scrollIntoView();",
                state.expect,
            )
            b.screenshot(ARTIFACTS / f"{run.width}-{run.lang}-{state.name}.png")
        if run.focus:
            for ring in tab_through(b):
                run.stops += 1
                if ring.contrast < 3.0:
                    run.faint.append(f"{where}: {ring.element} {ring.contrast:.2f}:1")
    return run


def tab_through(b: Browser, limit: int = 40) -> Iterator[FocusRing]:
    """The focus ring of each of the page's first `limit` Tab stops, from the top."""
    b.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    first: str | None = None
    for _ in range(limit):
        b.keys(TAB)
        ring = focus_ring(b)
        if ring is None or ring.element == first:
            return
        first = first or ring.element
        yield ring


@needs_browser
@pytest.mark.parametrize("run", PASSES, ids=lambda p: f"{p.lang}-{p.width}")
def test_every_page_and_state(site: Site, browser: Browser, run: Pass) -> None:
    """axe-core finds no WCAG 2.x A/AA violation; nothing scrolls sideways; each state shows
    what makes it that state (a refused form shows its alert, a result its badge)."""
    if run.axe and not AXE_JS.exists():
        pytest.fail("tests/node/node_modules/axe-core is installed by `make test`")
    done = walk(browser, site, run)
    assert done.missing == [], "\n".join(done.missing)
    assert done.overflow == [], "\n".join(done.overflow)
    assert done.faint == [], "\n".join(done.faint)
    if done.focus:
        assert done.stops >= 5 * len(STATES)  # the rings were really measured
    if run.axe:
        assert len(done.found) == len(STATES)
        report = "\n".join(
            f"{state}:\n  " + "\n  ".join(v.render() for v in found)
            for state, found in done.found.items()
            if found
        )
        assert report == "", f"axe-core {axe_version()}:\n{report}"
        (ARTIFACTS / f"axe-{run.lang}-{run.width}.txt").write_text(
            f"axe-core {axe_version()} ({', '.join(WCAG_TAGS)}), {run.lang}, {run.width} px: "
            f"{len(done.found)} states, 0 violations, {done.stops} focus rings measured\n"
            + "".join(f"  {name}: 0\n" for name in done.found)
        )


# --- the receptionist's loop from the keyboard ------------------------------------------------


def tab_to(b: Browser, rings: list[FocusRing], matches: str, limit: int = 60) -> None:
    """Tab until the focused element matches the CSS selector, checking each stop's ring."""
    for _ in range(limit):
        b.keys(TAB)
        ring = focus_ring(b)
        if ring is not None:
            rings.append(ring)
        if b.js("return document.activeElement.matches(arguments[0]);", matches):
            return
    raise AssertionError(f"{matches} never got the focus by Tab")


def keyboard_loop(b: Browser, site: Site, downloads: Path, width: int) -> list[FocusRing]:
    rings: list[FocusRing] = []
    b.cmd("DELETE", "/cookie")
    viewport(b, width, 768)
    b.cmd(
        "POST",
        "/goog/cdp/execute",
        {
            "cmd": "Browser.setDownloadBehavior",
            "params": {"behavior": "allow", "downloadPath": str(downloads)},
        },
    )
    go(b, f"{site.base}/login?lang=uk")
    # Sign in: the name field has the focus; Tab to the password; Enter submits.
    assert b.active()["id"] == "username"
    b.keys(*"staff")
    tab_to(b, rings, "#password")
    b.keys(*PASSWORD, ENTER)
    b.wait_for("return location.pathname === '/' && document.readyState === 'complete';")
    # Search: Tab to the menu's search link (on a phone the menu is folded: Tab to "Меню",
    # Enter unfolds it), Enter; the box has the focus; type, Enter.
    if b.js("return !!document.querySelector('details.menu:not([open])');"):
        tab_to(b, rings, "details.menu > summary")
        b.keys(ENTER)
        assert b.js("return document.querySelector('details.menu').open;")
    tab_to(b, rings, "nav a[href='/search']")
    b.keys(ENTER)
    b.wait_for("return location.pathname === '/search' && document.readyState === 'complete';")
    assert b.active()["id"] == "q"
    b.keys(*SURNAME, ENTER)
    b.wait_for("return document.querySelectorAll('.hit').length > 0;")
    # Open the copy.
    tab_to(b, rings, f"a.hit-link[href='/documents/{site.data.good_doc}']")
    b.keys(ENTER)
    b.wait_for(f"return location.pathname === '/documents/{site.data.good_doc}';")
    loaded(b)
    # Download the PDF (Chromium saves it into `downloads`).
    tab_to(b, rings, f"a[href='/documents/{site.data.good_doc}/pdf']")
    b.keys(ENTER)
    for _ in range(100):  # not a timing assertion: at most about 10 s for the file to land
        if any(p.suffix == ".pdf" for p in downloads.iterdir()):
            break
        time.sleep(0.1)
    assert [p.read_bytes() for p in downloads.iterdir()] == [site.data.pdf]
    # The print view opens in a tab of its own (or this one); its button prints.
    document_window = b.cmd("GET", "/window")
    before = set(b.cmd("GET", "/window/handles"))
    tab_to(b, rings, f"a[href='/documents/{site.data.good_doc}/print']")
    b.keys(ENTER)
    opened: list[str] = []
    for _ in range(100):
        opened = [h for h in b.cmd("GET", "/window/handles") if h not in before]
        if opened or b.js("return location.pathname.endsWith('/print');"):
            break
        time.sleep(0.1)
    if opened:
        b.cmd("POST", "/window", {"handle": opened[0]})
    b.wait_for("return location.pathname.endsWith('/print') && document.readyState === 'complete';")
    b.js("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    tab_to(b, rings, "button[data-print]")
    b.keys(ENTER)
    assert b.js("return window.__printed;") == 1
    if opened:
        b.cmd("DELETE", "/window")
        b.cmd("POST", "/window", {"handle": document_window})
    else:
        b.js("history.back();")
        loaded(b)
    # Back to the results (Tab onwards from the print link, round to the top of the page).
    tab_to(b, rings, "a[data-back]")
    b.keys(ENTER)
    b.wait_for("return location.pathname === '/search' && document.querySelector('.hit') !== null;")
    return rings


@needs_browser
@pytest.mark.parametrize("width", [1366, 390])
def test_receptionist_loop_from_the_keyboard(
    site: Site, browser: Browser, tmp_path: Path, width: int
) -> None:
    """Tab and Enter reach every step, and every focus stop draws a ring of >= 3:1 against the
    background beside it (WCAG 2.4.7 visible, 1.4.11 non-text contrast)."""
    rings = keyboard_loop(browser, site, tmp_path, width)
    lines = [f"{r.contrast:5.2f}:1  {r.element}" for r in rings]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"keyboard-focus-{width}.txt").write_text("\n".join(lines) + "\n")
    assert len(rings) >= 8
    faint = [f"{r.element}: {r.contrast:.2f}:1" for r in rings if r.contrast < 3.0]
    assert faint == []
    # No embedded viewer swallows Tab presses (the PDF plugin added ~37 invisible stops).
    assert [r.element for r in rings if r.element.startswith(("object", "embed", "iframe"))] == []


@needs_browser
def test_no_single_character_shortcuts(site: Site, browser: Browser) -> None:
    """WCAG 2.1.4: "/" (or any bare character) neither navigates away from a page without a
    search box (the /check form would lose its chosen files) nor moves the focus on one with
    it; the search box is reached with its access key, which browsers take with a modifier."""
    b = browser
    viewport(b, 1366, 768)
    sign_in(b, site.base, "staff", "uk")
    go(b, f"{site.base}/check")
    b.js("document.activeElement.blur();")
    b.keys("/", "s", "k")
    loaded(b)
    assert b.js("return location.pathname;") == "/check"
    go(b, f"{site.base}/search?q={SURNAME}")
    b.js("document.querySelector('a.hit-link').focus();")
    b.keys("/")
    assert "hit-link" in str(b.active()["cls"])
    assert b.js("return document.getElementById('q').accessKey;") == "k"


@needs_browser
def test_the_probes_see_what_they_look_for(browser: Browser) -> None:
    """Controls for the probes themselves, so a green run means something: axe-core reports a
    page with known faults, and the ring measurement finds the old pale ring and the new one."""
    b = browser
    viewport(b, 800, 600)
    page = (
        "<!doctype html><html><head><title>t</title><style>"
        "body{background:#f6f7f9} a:focus-visible{outline:3px solid #ffd500;outline-offset:2px}"
        "button:focus-visible{outline:3px solid #1b1f24;outline-offset:2px}"
        ".pale{color:#1a7f37;background:#dcf5e3}</style></head><body><main>"
        "<h1>t</h1><img src='x.png'><span class='pale'>Підпис дійсний</span>"
        "<a href='#'>old ring</a><button>new ring</button></main></body></html>"
    )
    b.go("data:text/html;charset=utf-8," + page.replace("#", "%23"))
    rules = {v.rule for v in axe_violations(b)}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= rules
    b.keys(TAB)
    old = focus_ring(b)
    b.keys(TAB)
    new = focus_ring(b)
    assert old is not None and round(old.contrast, 2) == 1.33
    assert new is not None and new.contrast > 15
