"""Shared fixtures for tests/verify (any engineer's tests may use them).

- `vectors_dir`: the public test vectors in ``tests/vectors`` (sources in its README.md).
- `pki_now`: the fixed instant the shared PKIs are built around (2026-11-20 10:00 UTC).
- `dstu_pki`, `ecdsa_pki`: session-scoped test PKIs (`tests.support.pki.make_pki`, seed 1) in the
  DSTU 4145 m=257/GOST 34.311 and the ECDSA P-256/SHA-256 flavour. Treat them as read-only;
  building the DSTU one costs a few hundred milliseconds, so share it rather than rebuild.
- `diia_pdf`: the fixture Diia-like copy (`tests.support.pdf.make_diia_copy_pdf()`), a real PDF.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import TestPKI, make_pki

PKI_NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    path = Path(__file__).resolve().parents[2] / "tests" / "vectors"
    assert path.is_dir(), f"test vectors missing at {path}: they ship with the repository"
    return path


@pytest.fixture(scope="session")
def pki_now() -> dt.datetime:
    return PKI_NOW


@pytest.fixture(scope="session")
def dstu_pki() -> TestPKI:
    return make_pki("dstu", now=PKI_NOW)


@pytest.fixture(scope="session")
def ecdsa_pki() -> TestPKI:
    return make_pki("ecdsa", now=PKI_NOW)


@pytest.fixture(scope="session")
def diia_pdf() -> bytes:
    return make_diia_copy_pdf()


@pytest.fixture(params=["native", "python"])
def kernels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once on the C kernels and once on the pure-Python implementation.

    Modules with known answers and tamper tests use it for every test (`pytestmark`), so both
    implementations meet the same outside truth. Where the extension was not built (no
    compiler), the native half is skipped with that reason; `test_native.py` fails instead
    where a compiler exists, so a broken build cannot hide behind the skip.
    """
    import verify.native as native

    if request.param == "native":
        if os.environ.get("DIIA_INBOX_NATIVE") == "0":
            pytest.skip("DIIA_INBOX_NATIVE=0: this run checks the pure-Python implementation")
        if not native.extension_built():
            pytest.skip("the C extension verify._native was not built")
        monkeypatch.setattr(native, "_EXT", native._BUILT)
    else:
        monkeypatch.setattr(native, "_EXT", None)
    return str(request.param)
