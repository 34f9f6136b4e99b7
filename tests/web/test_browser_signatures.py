"""A copy covered by two signatures (a detached X.pdf.p7s and an attached X.p7s) shows as one
document listing both signature files with their verdicts, at 1366 px and at 390 px, in real
headless Chromium. Screenshots go to tests/artifacts/browser/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ingest.pipeline import process
from tests.ingest.clientcorpus import SHAPES, material
from tests.ingest.conftest import make_pipeline
from tests.ingest.test_pipeline import envelope
from tests.web.conftest import PASSWORD, WebFixture
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"

pytestmark = pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")


def drive(base: str, doc_id: int) -> list[str]:
    b = Browser()
    try:
        b.size(1366, 768)
        b.go(f"{base}/login")
        b.keys(*"admin", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        b.go(f"{base}/documents/{doc_id}")
        b.wait_for("return document.querySelector('.signature-files') !== null;")
        lines = b.js(
            "return [...document.querySelectorAll('.signature-files li')].map(e => e.innerText);"
        )
        page = b.text(b.find("main"))
        assert "Підписи цієї копії" in page
        assert "Цю копію покривають кілька підписів" in page  # the flag, in plain words
        assert "SEVERAL_SIGNATURES" not in page  # no internal codes on staff pages
        b.js("document.querySelector('.signature-files').scrollIntoView();")
        b.screenshot(ARTIFACTS / "sigs-1366-document.png")
        b.size(390, 844)
        b.go(f"{base}/documents/{doc_id}")
        assert b.js(NO_OVERFLOW)
        b.js("document.querySelector('.signature-files').scrollIntoView();")
        b.screenshot(ARTIFACTS / "sigs-390-document.png")
        return [str(line) for line in lines]
    finally:
        b.close()


async def test_one_copy_two_signatures_in_chromium(seeded: WebFixture) -> None:
    m = material("ecdsa")
    shape = next(s for s in SHAPES if s.name == "detached-and-attached")
    deps = make_pipeline(seeded.rt, [m.root_der])
    outcome = await asyncio.to_thread(process, shape.build(m, False), envelope(), deps)
    assert outcome.status == "archived" and len(outcome.documents) == 1
    base = seeded.url("").rstrip("/")
    lines = await asyncio.to_thread(drive, base, outcome.documents[0])
    assert len(lines) == 2
    assert all("Підпис дійсний" in line for line in lines), lines
    assert sum("України.pdf.p7s" in line for line in lines) == 1  # the detached one
    assert sum("України.p7s" in line for line in lines) == 1  # the attached one
