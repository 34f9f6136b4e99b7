"""The C kernels (verify/_native.c) against the pure-Python reference, on random inputs.

Known answers and tamper tests run on both implementations through the `kernels` fixture; this
module adds property tests that compare the two on inputs nobody chose (random data and S-boxes
for the hashes, random field elements and scalars on every supported DSTU 4145 curve), and
checks that bad input to the kernels is an exception, never a crash.
"""

from __future__ import annotations

import random
import shutil
import sysconfig

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify.native as native
from verify import dstu4145 as D
from verify import gost34311 as G
from verify import kupyna as K
from verify.dstu_curves import CURVE_SPECS

EXT = native._BUILT
needs_ext = pytest.mark.skipif(EXT is None, reason="the C extension was not built")


def test_the_extension_is_built_where_a_compiler_exists() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the pure-Python implementation is in use")
    assert native.extension_built(), "a compiler exists but verify._native was not built"


def _both(monkeypatch: pytest.MonkeyPatch, fn):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(native, "_EXT", EXT)
    fast = fn()
    monkeypatch.setattr(native, "_EXT", None)
    slow = fn()
    return fast, slow


def _sbox(rng: random.Random) -> bytes:
    rows = []
    for _ in range(8):
        row = list(range(16))
        rng.shuffle(row)
        rows.append(row)
    return G.pack_sbox(rows)


@needs_ext
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=700), seed=st.integers(0, 2**32), split=st.integers(0, 700))
def test_gost34311_native_equals_python(data: bytes, seed: int, split: int) -> None:
    sbox = None if seed % 3 == 0 else _sbox(random.Random(seed))
    with pytest.MonkeyPatch.context() as mp:

        def run() -> bytes:
            h = G.Gost34311(data[:split], sbox=sbox)
            h.update(data[split:])
            return h.digest()

        fast, slow = _both(mp, run)
    assert fast == slow


@needs_ext
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600), bits=st.sampled_from([256, 384, 512, 8, 264]))
def test_kupyna_native_equals_python(data: bytes, bits: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = _both(mp, lambda: K.kupyna(data, bits))
    assert fast == slow


@needs_ext
@pytest.mark.parametrize("name", sorted(CURVE_SPECS))
def test_field_and_scalar_multiplication_agree(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    curve = D.curve_by_name(name)
    f = curve.field
    rng = random.Random(name)
    for _ in range(40):
        a, b = rng.getrandbits(f.m), rng.getrandbits(f.m)
        assert EXT.gf2m_mul(f.m, f.ks, a, b) == f.mul(a, b)
        if a:
            assert EXT.gf2m_inv(f.m, f.ks, a) == f.inv(a)
    for _ in range(4):
        k1, k2 = rng.randrange(1, curve.n), rng.randrange(0, curve.n)
        q = D.public_point(curve, rng.randrange(1, curve.n))

        def combo(k1: int = k1, k2: int = k2, q: D.Point = q) -> D.Point:
            return D.point_add(curve, D.point_mul(curve, k1, curve.G), D.point_mul(curve, k2, q))

        fast, slow = _both(monkeypatch, combo)
        assert fast == slow
        monkeypatch.setattr(native, "_EXT", EXT)
        assert D._native_mul2(curve, k1, curve.G, k2, q) == slow
    # n * G is infinity on both.
    assert D._native_mul2(curve, curve.n, curve.G, 0, D.Point(0, 0)) == D.INFINITY


@needs_ext
def test_portable_carry_less_multiply_equals_the_instruction() -> None:
    """Other CPUs run the portable multiply: check it here against PCLMULQDQ and Python."""
    assert EXT is not None
    curve = D.curve_by_name("DSTU_431")
    f = curve.field
    rng = random.Random(431)
    pairs = [(rng.getrandbits(f.m), rng.getrandbits(f.m)) for _ in range(200)]
    pairs += [(f.mask, f.mask), (1 << (f.m - 1), 1 << (f.m - 1)), (1, 1)]
    try:
        EXT._force_portable(True)
        portable = [EXT.gf2m_mul(f.m, f.ks, a, b) for a, b in pairs]
        q = D.public_point(curve, 12345)
        xy = EXT.dstu_mul2(f.m, f.ks, curve.a, curve.gx, curve.gy, 777, q.x, q.y, 999)
    finally:
        EXT._force_portable(False)
    assert portable == [f.mul(a, b) for a, b in pairs]
    assert xy == EXT.dstu_mul2(f.m, f.ks, curve.a, curve.gx, curve.gy, 777, q.x, q.y, 999)


@needs_ext
def test_bad_input_is_an_exception_not_a_crash() -> None:
    assert EXT is not None
    with pytest.raises(ValueError):
        EXT.gost34311_compress(b"\0" * 31, b"\0" * 32, b"", G.DKE1_SBOX)
    with pytest.raises(ValueError):
        EXT.gost34311_compress(b"\0" * 32, b"\0" * 32, b"\0" * 33, G.DKE1_SBOX)
    with pytest.raises(ValueError):
        EXT.gost34311_step(b"\0" * 32, b"\0" * 32, b"short")
    with pytest.raises(ValueError):
        EXT.kupyna_compress(b"\0" * 63, b"")
    with pytest.raises(ValueError):
        EXT.kupyna_compress(b"\0" * 64, b"\0" * 65)
    with pytest.raises(ValueError):
        EXT.gf2m_mul(257, (12,), 1 << 257, 1)  # element longer than the field
    with pytest.raises(ValueError):
        EXT.gf2m_mul(257, (12,), -1, 1)
    with pytest.raises(ValueError):
        EXT.gf2m_mul(100000, (12,), 1, 1)
    with pytest.raises(ValueError):
        EXT.gf2m_mul(257, (200,), 1, 1)  # middle term too high
    with pytest.raises(TypeError):
        EXT.gf2m_mul(257, (12,), "1", 1)
    with pytest.raises(ZeroDivisionError):
        EXT.gf2m_inv(257, (12,), 0)
    with pytest.raises(ValueError):
        EXT.dstu_mul2(257, (12,), 0, 1, 1, -5, 0, 0, 0)


def test_implementation_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_EXT", None)
    assert native.implementation() == "python"
    if EXT is not None:
        monkeypatch.setattr(native, "_EXT", EXT)
        assert native.implementation() == "native"
