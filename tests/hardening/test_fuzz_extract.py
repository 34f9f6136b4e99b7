"""Fuzz: PDF text extraction (search.extract) returns within its limit and never raises.

Every archived copy goes through `extract_text`, in the worker, on bytes a stranger sent. Its
contract: an `Extraction` whatever the bytes (flags and a reason code say what went wrong),
and the call returns once its time limit has passed plus the cost of starting and killing one
child. Seeds are real PDFs (the Diia-like copy, multi-page, broken cross-reference, encrypted,
garbled and a small decompression bomb from tests/search/pdfs.py), then mutated.

A hang is caught by running each call in a thread and waiting a generous multiple of its limit;
that wait is a hang detector, not a speed expectation.
"""

from __future__ import annotations

import re
import threading

from hypothesis import given

from search.extract import Extraction, ExtractLimits, extract_text
from tests.hardening.mutations import mutated
from tests.hardening.profiles import fuzz
from tests.search import pdfs
from tests.support.pdf import make_diia_copy_pdf, make_pdf

LIMITS = ExtractLimits(
    max_pages=20,
    max_decompressed_bytes=8 << 20,
    seconds=8.0,
    memory_bytes=256 << 20,
    max_chars=200_000,
)
#: How long a call may take before the test calls it a hang: far beyond any honest run.
HANG = LIMITS.seconds * 4 + 30
FLAGS = {"encrypted", "too_many_pages", "truncated", "repaired", "broken", "bomb", "timeout",
         "garbled", "no_text", "fallback"}  # fmt: skip
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
SEEDS = [
    make_diia_copy_pdf(),
    make_pdf([f"Сторінка {n}: Шевченко Тарас" for n in range(40)], title="Багато рядків"),
    pdfs.many_pages_pdf(30),
    pdfs.broken_xref_pdf(),
    pdfs.encrypted_pdf(),
    pdfs.garbled_pdf(),
    pdfs.bomb_pdf(64 << 20),
]


def run_bounded(pdf: bytes) -> Extraction:
    box: list[Extraction | BaseException] = []

    def call() -> None:
        try:
            box.append(extract_text(pdf, LIMITS))
        except BaseException as exc:  # reported below as the failure it is
            box.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), f"extract_text still running after {HANG} s"
    result = box[0]
    if isinstance(result, BaseException):
        raise AssertionError(f"extract_text raised {type(result).__name__}") from result
    return result


def check(result: Extraction) -> None:
    assert isinstance(result.text, str) and len(result.text) <= LIMITS.max_chars
    assert set(result.flags) <= FLAGS, result.flags
    assert result.reason is None or _CODE.fullmatch(result.reason), result.reason
    assert result.text or result.reason  # no text always comes with a reason
    assert 0 <= result.pages


def test_seeds_behave_as_documented() -> None:
    good = run_bounded(SEEDS[0])
    check(good)
    assert "Шевченко Тарас" in good.text and good.reason is None
    bomb = run_bounded(SEEDS[-1])
    check(bomb)
    assert "bomb" in bomb.flags


@fuzz(25)
@given(mutated(SEEDS, max_edits=5))
def test_mutated_pdfs_give_an_extraction_in_time(pdf: bytes) -> None:
    check(run_bounded(pdf))
