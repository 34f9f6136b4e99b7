"""Giving the heap's free pages back to the system after a search.

A search over a large index allocates and frees lists, sets and dicts with one entry per
matching document (tens of thousands for a common surname at 300,000 documents). glibc keeps
freed blocks of its heap mapped for reuse, so a process's resident memory would grow with the
largest result it ever computed, not with what it holds: at 300,000 documents about 7.5 MB of
the 100 MB a querying process held after the benchmark's mix was such free space (bench/README,
"RSS growth"). `malloc_trim(0)` returns the free pages (madvise), and costs 0.04 ms at the median
after such a search (0.3 ms at most, measured over the same mix), against a query's 2-15 ms.
Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_free_heap() -> bool:
    """Hand the heap's free pages back to the system; False where that cannot be done."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
