"""The C heap's two settings this project makes, both glibc's (elsewhere they do nothing).

- After a search, the heap's free pages go back to the system (`release_free_heap`). A search
  over a large index allocates and frees lists, sets and dicts with one entry per matching
  document (tens of thousands for a common surname at 300,000 documents). glibc keeps freed
  blocks of its heap mapped for reuse, so a process's resident memory would grow with the
  largest result it ever computed, not with what it holds: at 300,000 documents about 7.5 MB
  of the 100 MB a querying process held after the benchmark's mix was such free space
  (bench/README, "RSS growth"). `malloc_trim(0)` returns the free pages (madvise), and costs
  0.04 ms at the median after such a search (0.3 ms at most, measured over the same mix),
  against a query's 2-15 ms.
- While a segment is built, 1 MB stays free at the top of the heap (`keep_heap_top`).

Both reach the C library through the process's own symbols (`ctypes.CDLL(None)`), not
`ctypes.util.find_library`, which runs `ldconfig` or a compiler to find a file name.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any

_M_TOP_PAD = -2  # glibc's malloc.h


def _c_function(name: str) -> Callable[..., Any] | None:
    """A function of the C library this process runs on, or None where it has none (musl's
    malloc_trim, macOS's mallopt) or there is no C library to ask."""
    try:
        found: Callable[..., Any] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    return found


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None."""
    return _c_function("malloc_trim")


def release_free_heap() -> bool:
    """Hand the heap's free pages back to the system; False where that cannot be done."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def keep_heap_top() -> bool:
    """Keep 1 MB free at the top of the C heap (glibc's M_TOP_PAD); whether it was set.

    zlib allocates about 256 KB for each `compress` (its deflate state) and frees it, and
    glibc gives the top of the heap back to the system as soon as 128 KB of it are free: each
    compress of a small block (a posting block, a document's stored fields) then faulted
    those pages in again, about 19 page faults and 50 us for a 4 us call (the stored fields
    alone, once per document, cost a rebuild of 100,000 documents 2 to 3 s of CPU). Set once
    per process."""
    mallopt = _c_function("mallopt")
    return mallopt is not None and bool(mallopt(_M_TOP_PAD, 1 << 20))
