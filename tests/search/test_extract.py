"""Extraction never takes the worker down: every hostile PDF comes back flagged, in time."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

import pytest

from search.extract import ExtractLimits, extract_text, pdftotext_available, run_pdftotext
from search.pdftext import looks_garbled, read_pdf, text_quality
from search.sandbox import Sandbox, limit_self
from search.settings import SearchSettings
from tests.search import pdfs
from tests.support.pdf import diia_copy_lines, make_diia_copy_pdf, make_pdf

LIMITS = ExtractLimits(max_pages=50, max_decompressed_bytes=64 << 20, seconds=10.0)


def test_a_good_copy_gives_its_text_unflagged() -> None:
    r = extract_text(make_diia_copy_pdf(), LIMITS)
    assert r.text == "\n".join(diia_copy_lines())
    assert r.pages == 1
    assert r.flags == ()
    assert r.reason is None


def test_decompression_bomb_is_flagged() -> None:
    pdf = pdfs.bomb_pdf(4 << 30)  # inflates to 4 GiB
    assert len(pdf) < 8 << 20
    r = extract_text(pdf, LIMITS)
    assert "bomb" in r.flags
    assert r.reason == "DECOMPRESSION_LIMIT"
    assert r.text == ""


def _allocate_after_limit(conn: Connection) -> None:
    limit_self(128 << 20, 5.0)
    try:
        block = bytearray(1 << 30)
        conn.send(("allocated", len(block)))
    except MemoryError:
        conn.send(("refused", 0))


def test_child_address_space_limit_refuses_a_gigabyte() -> None:
    """The rlimit behind the byte budget: a child cannot grow by a gigabyte."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_allocate_after_limit, args=(child,))
    proc.start()
    child.close()
    assert parent.poll(60)
    assert parent.recv() == ("refused", 0)
    proc.join(10)


def test_bomb_within_a_huge_budget_still_returns_without_text() -> None:
    """pypdf's own output cap (75 MB) holds when our budget is set absurdly high."""
    limits = ExtractLimits(max_decompressed_bytes=1 << 40, seconds=60.0)
    r = extract_text(pdfs.bomb_pdf(1 << 30), limits)
    assert r.text == ""
    assert r.reason is not None


def test_ten_thousand_pages_are_cut_at_the_page_limit() -> None:
    r = extract_text(pdfs.many_pages_pdf(10_000), LIMITS)
    assert r.pages == 10_000
    assert "too_many_pages" in r.flags
    assert r.reason == "PAGE_LIMIT"
    assert r.text.count("Page of a very long file") == LIMITS.max_pages


def test_broken_cross_reference_table_is_repaired_and_flagged() -> None:
    r = extract_text(pdfs.broken_xref_pdf(), LIMITS)
    assert "repaired" in r.flags
    assert "Шевченко Тарас Григорович" in r.text


def test_encrypted_pdf_is_flagged_without_text() -> None:
    r = extract_text(pdfs.encrypted_pdf("secret"), LIMITS)
    assert "encrypted" in r.flags
    assert r.reason == "ENCRYPTED"
    assert r.text == ""


def test_encrypted_with_an_empty_user_password_is_read_and_still_flagged() -> None:
    r = extract_text(pdfs.encrypted_pdf(""), LIMITS)
    assert "encrypted" in r.flags
    assert "Шевченко" in r.text
    assert r.reason is None


def test_endless_content_stream_times_out() -> None:
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, seconds=1.0)
    r = extract_text(pdfs.slow_pdf(), limits)
    assert "timeout" in r.flags
    assert r.reason == "TIMEOUT"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"%PDF-1.4\n%%EOF", make_diia_copy_pdf()[:700], b"%PDF-1.7\n" + bytes(5000)],
)
def test_garbage_and_truncated_files_are_flagged_not_raised(data: bytes) -> None:
    r = extract_text(data, LIMITS)
    assert r.text == "" or "Паспорт" in r.text
    assert set(r.flags) & {"broken", "no_text", "repaired"}
    assert r.reason is not None or "repaired" in r.flags


def test_garbled_text_is_flagged() -> None:
    r = extract_text(pdfs.garbled_pdf(), LIMITS)
    assert "garbled" in r.flags
    assert r.reason == "GARBLED"


def test_quality_measure_tells_text_from_mojibake() -> None:
    good = "\n".join(diia_copy_lines())
    assert text_quality(good) == 1.0
    assert not looks_garbled(good)
    mojibake = good.encode("utf-8").decode("latin-1")
    assert looks_garbled(mojibake)
    assert looks_garbled("\ue001\ue002\ue003 " * 10)
    assert not looks_garbled("")  # nothing to judge: that is no_text, not garbled


@pytest.mark.skipif(not pdftotext_available(), reason="poppler-utils not installed")
def test_fallback_extractor_reads_the_copy_under_the_same_limits() -> None:
    text = run_pdftotext(make_diia_copy_pdf(), LIMITS, 10.0)
    assert text is not None
    assert "Шевченко Тарас Григорович" in text
    assert run_pdftotext(b"not a pdf", LIMITS, 10.0) is None


def test_read_pdf_in_process_respects_the_byte_budget() -> None:
    """The pure reader stops on its own budget, before any rlimit is needed."""
    r = read_pdf(pdfs.bomb_pdf(1 << 30), max_pages=5, max_decompressed_bytes=1 << 20,
                 max_chars=1000)  # fmt: skip
    assert r.flags == ["bomb"]
    assert r.reason == "DECOMPRESSION_LIMIT"


def test_limits_come_from_settings() -> None:
    s = SearchSettings(max_pages=3, max_decompressed_bytes=10, extract_seconds=1.5)
    limits = ExtractLimits.from_settings(s)
    assert (limits.max_pages, limits.max_decompressed_bytes, limits.seconds) == (3, 10, 1.5)


def test_one_sandbox_reads_a_good_copy_after_hostile_ones() -> None:
    """The pipeline keeps one sandbox: after a reader killed for time and a bomb stopped by the
    byte budget, the next copy comes out whole."""
    sandbox = Sandbox()
    try:
        slow = extract_text(
            pdfs.slow_pdf(), ExtractLimits(max_decompressed_bytes=1 << 30, seconds=1.0), sandbox
        )
        assert slow.reason == "TIMEOUT"
        bomb = extract_text(pdfs.bomb_pdf(4 << 30), LIMITS, sandbox)
        assert bomb.reason == "DECOMPRESSION_LIMIT"
        good = extract_text(make_diia_copy_pdf(), LIMITS, sandbox)
        assert good.text == "\n".join(diia_copy_lines())
        assert good.flags == ()
    finally:
        sandbox.close()


def test_worker_threads_share_one_sandbox() -> None:
    """The worker's loops extract at once through the same sandbox; each gets its own text."""
    sandbox = Sandbox()
    lines = [[*diia_copy_lines()[:-1], f"Копія {i}"] for i in range(4)]
    try:
        with ThreadPoolExecutor(2) as pool:
            got = list(pool.map(lambda ls: extract_text(make_pdf(ls), LIMITS, sandbox).text, lines))
    finally:
        sandbox.close()
    assert got == ["\n".join(ls) for ls in lines]
