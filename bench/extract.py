"""Text extraction per copy: ours (`search.extract.extract_text`, the sandboxed reader process
with all its limits, as the pipeline calls it) against a `pdftotext` process on the same file.

The copies are of a real copy's size (fpdf2, embedded TrueType font, a 290 KB photo: about
310 KB, `bench/copies.py`); `--small` uses the 4 KB hand-made fixture PDF instead. Each copy is
extracted by both, alternately, so load on the shared machine hits both alike; the figures are
medians over `--copies` copies, and the reference is measured in the same run.

    .venv/bin/python bench/extract.py [--copies 60] [--small]

Prints figures only (target, issue 15: ours no slower than pdftotext).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.copies import photo_copies
from search.extract import ExtractLimits, extract_text
from search.sandbox import Sandbox
from tests.support.pdf import DiiaCopy, make_diia_copy_pdf


def copies(count: int, small: bool) -> list[bytes]:
    if small:
        return [
            make_diia_copy_pdf(
                dataclasses.replace(
                    DiiaCopy(), document_number=f"{7 * 10**8 + i:09d}", created=date(2026, 11, 20)
                )
            )
            for i in range(count)
        ]
    return photo_copies(count, first_serial=20_000)


def pdftotext(exe: str, pdf: bytes) -> str:
    """The reference: poppler's extractor, one process per copy, PDF on stdin, text on stdout."""
    done = subprocess.run(
        [exe, "-q", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8", "replace")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reader_cpu(sandbox: Sandbox, pdf: bytes, limits: ExtractLimits) -> float:
    """CPU seconds our reader process spent on `pdf` (its own getrusage before and after the
    job): wall time on a loaded shared machine is mostly waiting for a core, CPU time is not.
    The caller's side (sending the job, the text checks of `extract_text`) is not in it, as
    the Python parent's side of running pdftotext is not in the reference's figure."""
    return float(sandbox.read(limits.job(pdf))["cpu_seconds"])


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=60)
    ap.add_argument("--small", action="store_true", help="the 4 KB fixture PDF instead")
    args = ap.parse_args()
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SystemExit("pdftotext (poppler-utils) is needed for the reference")
    limits = ExtractLimits()
    pdfs = copies(args.copies, args.small)
    sandbox = Sandbox()  # the pipeline's extractor keeps one for its life, as here
    extract_text(pdfs[0], limits, sandbox)  # warm-up: the reader starts once
    pdftotext(exe, pdfs[0])
    ours, theirs, ours_cpu, theirs_cpu, caller_cpu = [], [], [], [], []
    for pdf in pdfs:
        t, cpu = time.perf_counter(), time.process_time()
        got = extract_text(pdf, limits, sandbox)
        ours.append(time.perf_counter() - t)
        caller_cpu.append(time.process_time() - cpu)
        ours_cpu.append(_reader_cpu(sandbox, pdf, limits))
        t, cpu = time.perf_counter(), _children_cpu()
        ref = pdftotext(exe, pdf)
        theirs.append(time.perf_counter() - t)
        theirs_cpu.append(_children_cpu() - cpu)
        assert got.reason is None and "ШЕВЧЕНКО" in got.text.upper(), (got.reason, got.flags)
        assert "ШЕВЧЕНКО" in ref.upper()
    size = statistics.median(len(p) for p in pdfs) / 1024
    a, b = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    print(
        f"{len(pdfs)} copies of {size:.0f} KB; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    ca, cb = statistics.median(ours_cpu) * 1000, statistics.median(theirs_cpu) * 1000
    print(f"ours (extract_text, sandboxed): median {a:6.1f} ms wall, {ca:5.1f} ms CPU per copy")
    print(f"  (and in the calling process: {statistics.median(caller_cpu) * 1000:5.1f} ms CPU)")
    print(f"reference: pdftotext process:   median {b:6.1f} ms wall, {cb:5.1f} ms CPU per copy")
    print(f"ratio ours / pdftotext: {a / b:.2f} wall, {ca / cb:.2f} CPU (target <= 1.00)")


if __name__ == "__main__":
    main()
