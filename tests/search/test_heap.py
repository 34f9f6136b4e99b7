"""search.heap: the free pages of the heap go back to the system (measured on this process's
resident memory in a child, where glibc is the C library)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from search.heap import _malloc_trim, release_free_heap

_CHILD = textwrap.dedent(
    """
    import sys
    from search.heap import release_free_heap

    def rss_kb():
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:"))

    # 100 MB of 64 KB blocks, below glibc's mmap threshold so they live in the heap; the last
    # one stays, so the heap's top cannot shrink by itself when the others are freed.
    blocks = [bytearray(64 * 1024) for _ in range(1600)]
    keep = blocks[-1]
    del blocks
    before = rss_kb()
    assert release_free_heap()
    after = rss_kb()
    print(before, after)
    """
)


@pytest.mark.skipif(_malloc_trim() is None, reason="no malloc_trim in this C library")
def test_free_heap_pages_are_returned() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
    ).stdout
    before, after = (int(x) for x in out.split())
    assert before - after > 50 * 1024, (before, after)  # of the 100 MB freed, most returned


def test_release_says_whether_it_could() -> None:
    assert release_free_heap() is (_malloc_trim() is not None)
