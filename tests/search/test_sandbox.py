"""The reused reader: every document keeps its own limits, and a failed reader is replaced.

A `Sandbox` reads many PDFs in one reader process. These tests show what that must not change:
a document that runs out of time or memory fails alone and the next one reads whole, the CPU
budget is each document's own, a reader that dies mid-job answers for that document, and
several threads share readers without seeing each other's text.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from search.extract import ExtractLimits, extract_text
from search.sandbox import MAX_JOBS, Sandbox, cpu_limit
from tests.search import pdfs
from tests.support.pdf import diia_copy_lines, make_diia_copy_pdf, make_pdf

LIMITS = ExtractLimits(max_pages=50, max_decompressed_bytes=64 << 20, seconds=10.0)
GOOD = "\n".join(diia_copy_lines())
#: How long a test waits for a reader to start working on a long job (not a timing assertion:
#: the test fails only if the reader never starts).
_BUSY_WAIT_SECONDS = 60.0


def _copy(i: int) -> tuple[bytes, str]:
    lines = [*diia_copy_lines()[:-1], f"Копія {i}"]
    return make_pdf(lines), "\n".join(lines)


def _limits(pid: int) -> dict[str, tuple[str, str]]:
    """Soft and hard values of a process's rlimits, as /proc shows them."""
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        name, soft, hard = line[:26].strip(), *line[26:].split()[:2]
        out[name] = (soft, hard)
    return out


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def _wait_gone(pid: int) -> None:
    """Until the process has exited (its parent, the fork server, may not have reaped it)."""
    waited = time.monotonic() + _BUSY_WAIT_SECONDS
    while time.monotonic() < waited:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still there")


def _vm_peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmPeak:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmPeak")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    yield box
    box.close()


# --- time ---------------------------------------------------------------------------------


def test_a_timeout_fails_that_document_alone_and_the_next_reads_whole(sandbox: Sandbox) -> None:
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, seconds=1.0)
    slow = extract_text(pdfs.slow_pdf(), limits, sandbox)
    assert slow.reason == "TIMEOUT"
    assert "timeout" in slow.flags
    good = extract_text(make_diia_copy_pdf(), limits, sandbox)
    assert good.text == GOOD
    assert good.flags == ()
    assert sandbox.readers_started == 2  # the killed reader was replaced


def test_good_documents_share_one_reader(sandbox: Sandbox) -> None:
    """The twin: without a failure, the reader is reused, and each copy gives its own text."""
    for i in range(3):
        pdf, text = _copy(i)
        assert extract_text(pdf, LIMITS, sandbox).text == text
    assert sandbox.readers_started == 1


def test_a_reader_keeps_nothing_that_changes_the_next_answer(sandbox: Sandbox) -> None:
    """Hostile and odd copies read one after another, twice, by one reader give exactly what
    each gives read alone by a new reader: warnings, repairs and errors of one document do not
    leak into another's flags or text."""
    docs = [
        pdfs.broken_xref_pdf(),
        make_diia_copy_pdf(),
        pdfs.garbled_pdf(),
        pdfs.encrypted_pdf(""),
        pdfs.encrypted_pdf("secret"),
        b"%PDF-1.7\n" + bytes(5000),
        pdfs.many_pages_pdf(60),
        pdfs.bomb_pdf(1 << 30),
    ]
    alone = []
    for pdf in docs:
        fresh = Sandbox()
        try:
            alone.append(extract_text(pdf, LIMITS, fresh))
        finally:
            fresh.close()
    shared = [extract_text(pdf, LIMITS, sandbox) for pdf in docs + docs]
    assert shared == alone + alone
    assert sandbox.readers_started == 1
    assert {"repaired", "encrypted", "too_many_pages", "bomb"} <= {
        f for r in alone for f in r.flags
    }


# --- memory -------------------------------------------------------------------------------


def test_a_memory_bomb_retires_the_reader_and_the_next_reads_whole(sandbox: Sandbox) -> None:
    """Millions of text operators under a 32 MiB budget: pypdf's parsed operations do not fit.
    The reader answers MEMORY_LIMIT and leaves; the next copy, same limits, gets a new one."""
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, memory_bytes=32 << 20, seconds=60.0)
    bomb = extract_text(pdfs.slow_pdf(), limits, sandbox)
    assert bomb.reason == "MEMORY_LIMIT"
    assert "bomb" in bomb.flags
    assert bomb.text == ""
    good = extract_text(make_diia_copy_pdf(), limits, sandbox)
    assert good.text == GOOD
    assert good.flags == ()
    assert sandbox.readers_started == 2


def test_a_bomb_stopped_by_the_byte_budget_keeps_the_reader(sandbox: Sandbox) -> None:
    """The twin: `read_pdf`'s own budget stops this bomb before memory runs out, so the reader's
    state is sound and it reads the next copy."""
    bomb = extract_text(pdfs.bomb_pdf(4 << 30), LIMITS, sandbox)
    assert bomb.reason == "DECOMPRESSION_LIMIT"
    good = extract_text(make_diia_copy_pdf(), LIMITS, sandbox)
    assert good.text == GOOD
    assert sandbox.readers_started == 1


# --- CPU ----------------------------------------------------------------------------------


def test_the_cpu_budget_is_each_documents_own(sandbox: Sandbox) -> None:
    """Documents each well inside their CPU budget, together far past it, all read in one
    reader: RLIMIT_CPU counts the reader's whole life, so it is moved on before every job."""
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, seconds=0.9)
    budget = cpu_limit(0.0, limits.seconds) + 1  # the most one document may ever get
    pdf = pdfs.slow_pdf(4_000)  # small, so each stays inside its wall limit on a busy machine
    total, answers = 0.0, list[dict[str, Any]]()
    while total <= budget and len(answers) < 200:
        answer = sandbox.read(limits.job(pdf))
        answers.append(answer)
        if answer["reason"] is not None:  # a failure carries no CPU figure
            break
        total += answer["cpu_seconds"]
    assert [a["reason"] for a in answers] == [None] * len(answers)
    assert total > budget  # what makes this test mean anything
    assert all("aaaa" in a["text"] for a in answers)
    assert sandbox.readers_started == 1


def test_the_reader_runs_under_each_documents_limits(sandbox: Sandbox) -> None:
    """The twin: reuse did not drop the limits. After a job the reader's soft RLIMIT_AS is its
    address space when the job began plus the memory budget, and its soft RLIMIT_CPU its CPU
    time then plus the document's budget."""
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, memory_bytes=256 << 20, seconds=3.0)
    job = limits.job(pdfs.slow_pdf(4_000))
    for _ in range(2):
        assert sandbox.read(job)["reason"] is None
    (pid,) = sandbox.idle_pids()
    tick = 1 / os.sysconf("SC_CLK_TCK")
    before = _cpu_ticks(pid) * tick
    assert sandbox.read(job)["reason"] is None
    after = (_cpu_ticks(pid) + 1) * tick
    got = _limits(pid)
    as_soft, as_hard = (int(v) for v in got["Max address space"])
    assert 0 < as_soft - limits.memory_bytes <= _vm_peak(pid)
    assert as_soft <= as_hard
    cpu_soft = int(got["Max cpu time"][0])
    assert cpu_limit(before, limits.seconds) <= cpu_soft <= cpu_limit(after, limits.seconds)
    assert got["Max core file size"] == ("0", "0")


# --- a reader that dies mid-job -----------------------------------------------------------


@pytest.mark.parametrize(
    ("sig", "flag", "reason"),
    [(signal.SIGXCPU, "timeout", "TIMEOUT"), (signal.SIGKILL, "bomb", "MEMORY_LIMIT")],
)
def test_a_reader_that_dies_mid_job_answers_for_that_document(
    sandbox: Sandbox, sig: int, flag: str, reason: str
) -> None:
    """SIGXCPU is the CPU limit's signal; a SIGKILL nobody asked for is the kernel's OOM killer.
    Either way that document fails as the old one-child-per-PDF sandbox said, without an
    OSError and without being read again; the next copy gets a new reader."""
    limits = ExtractLimits(max_decompressed_bytes=1 << 30, seconds=120.0)
    assert extract_text(make_diia_copy_pdf(), limits, sandbox).text == GOOD
    (pid,) = sandbox.idle_pids()
    idle = _cpu_ticks(pid)
    box: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: box.append(sandbox.read(limits.job(pdfs.slow_pdf(400_000))))
    )
    thread.start()
    waited = time.monotonic() + _BUSY_WAIT_SECONDS
    while _cpu_ticks(pid) <= idle + 2 and time.monotonic() < waited:
        time.sleep(0.01)
    os.kill(pid, sig)
    thread.join(_BUSY_WAIT_SECONDS)
    assert box and box[0]["flags"] == [flag] and box[0]["reason"] == reason
    assert extract_text(make_diia_copy_pdf(), limits, sandbox).text == GOOD
    assert sandbox.readers_started == 2


def test_a_reader_gone_while_idle_is_replaced_without_failing_the_document(
    sandbox: Sandbox,
) -> None:
    """The twin: a reader that ended between documents was not this document's doing, so the
    document is read by a new reader instead of being given a failure."""
    assert extract_text(make_diia_copy_pdf(), LIMITS, sandbox).text == GOOD
    (pid,) = sandbox.idle_pids()
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    pdf, text = _copy(1)
    got = extract_text(pdf, LIMITS, sandbox)
    assert got.text == text
    assert got.reason is None
    assert sandbox.readers_started == 2


# --- retirement ---------------------------------------------------------------------------


def test_a_reader_retires_after_its_share_of_documents(sandbox: Sandbox) -> None:
    pdf = make_diia_copy_pdf()
    job = LIMITS.job(pdf)
    for _ in range(MAX_JOBS):
        assert sandbox.read(job)["reason"] is None
    assert sandbox.readers_started == 1
    assert sandbox.idle_pids() == []  # the last of its share retired it
    assert extract_text(pdf, LIMITS, sandbox).text == GOOD
    assert sandbox.readers_started == 2


# --- several callers ----------------------------------------------------------------------


def test_concurrent_callers_read_their_own_copies_while_one_times_out(sandbox: Sandbox) -> None:
    slow_limits = ExtractLimits(max_decompressed_bytes=1 << 30, seconds=1.0)
    copies = [_copy(i) for i in range(6)]

    def good(i: int) -> str:
        return extract_text(copies[i][0], LIMITS, sandbox).text

    with ThreadPoolExecutor(3) as pool:
        slow = pool.submit(extract_text, pdfs.slow_pdf(), slow_limits, sandbox)
        texts = list(pool.map(good, range(len(copies))))
        assert slow.result().reason == "TIMEOUT"
    assert texts == [text for _, text in copies]


def test_no_more_readers_than_concurrent_callers(sandbox: Sandbox) -> None:
    """The twin: without failures, three threads reading twelve copies need at most three
    readers (one idle reader per concurrent caller), and each copy comes back as itself."""
    copies = [_copy(i) for i in range(12)]
    with ThreadPoolExecutor(3) as pool:
        texts = list(pool.map(lambda c: extract_text(c[0], LIMITS, sandbox).text, copies))
    assert texts == [text for _, text in copies]
    assert 1 <= sandbox.readers_started <= 3
