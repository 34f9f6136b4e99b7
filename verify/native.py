"""Which implementation of the Ukrainian compute kernels this process uses.

`verify/_native.c` holds the kernels of GOST 34.311, Kupyna and DSTU 4145 scalar multiplication
as an optional C extension; the pure-Python modules are the reference and the fallback, with
identical results. The extension is used when it was built and `DIIA_INBOX_NATIVE` is not "0".
The choice is made once, at import, like any other import: it is reported by
`diia-inbox verify --json` and `/metrics` so an operator can see which one ran, and tests switch
it per test (monkeypatching `_EXT`) to run every known answer against both.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["extension_built", "implementation", "kernels"]


def _load() -> ModuleType | None:
    try:
        from verify import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _native


_BUILT = _load()
_EXT: ModuleType | None = None if os.environ.get("DIIA_INBOX_NATIVE", "1") == "0" else _BUILT


def kernels() -> ModuleType | None:
    """The C kernels, or None when this process runs the pure-Python implementation."""
    return _EXT


def extension_built() -> bool:
    """Whether the C extension was built and can be imported (whether or not it is in use)."""
    return _BUILT is not None


def implementation() -> str:
    """ "native" or "python": what the next hash or DSTU computation will run on."""
    return "native" if _EXT is not None else "python"
