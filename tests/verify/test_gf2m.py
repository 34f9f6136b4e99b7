"""GF(2^m) arithmetic against slow textbook definitions, on every field of the standard curves."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import FormatError
from verify.gf2m import BinaryField, clmul, poly_mod

# The reduction polynomials of DSTU 4145-2002: trinomials and pentanomials.
FIELDS = [
    (163, (7, 6, 3)),
    (167, (6,)),
    (173, (10, 2, 1)),
    (179, (4, 2, 1)),
    (191, (9,)),
    (233, (9, 4, 1)),
    (257, (12,)),
    (307, (8, 4, 2)),
    (367, (21,)),
    (431, (5, 3, 1)),
]

SETTINGS = settings(max_examples=40, deadline=None)


def _slow_clmul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


@pytest.fixture(scope="module", params=FIELDS, ids=lambda f: f"m{f[0]}")
def field(request: pytest.FixtureRequest) -> BinaryField:
    m, ks = request.param
    return BinaryField(m, ks)


def _elements(field: BinaryField, count: int, seed: int) -> list[int]:
    rng = random.Random(seed * 1000 + field.m)
    edge = [0, 1, 2, field.mask, 1 << (field.m - 1), field.poly ^ (1 << field.m)]
    return edge + [rng.getrandbits(field.m) for _ in range(count)]


@given(a=st.integers(min_value=0, max_value=(1 << 600) - 1), b=st.integers(0, (1 << 600) - 1))
@SETTINGS
def test_clmul_matches_shift_and_add(a: int, b: int) -> None:
    assert clmul(a, b) == _slow_clmul(a, b)


def test_poly_mod_reduces_below_degree() -> None:
    p = (1 << 257) | (1 << 12) | 1
    assert poly_mod(1 << 257, p) == (1 << 12) | 1
    assert poly_mod(p, p) == 0
    assert poly_mod(5, p) == 5


def test_modulus_is_the_stated_polynomial(field: BinaryField) -> None:
    expected = (1 << field.m) | 1
    for k in field.ks:
        expected |= 1 << k
    assert field.poly == expected
    # t^m reduces to the lower terms of the polynomial.
    assert field.reduce(1 << field.m) == expected ^ (1 << field.m)


def test_mul_matches_reference(field: BinaryField) -> None:
    xs = _elements(field, 20, 1)
    ys = _elements(field, 20, 2)
    for a, b in zip(xs, ys, strict=True):
        assert field.mul(a, b) == poly_mod(_slow_clmul(a, b), field.poly)
        assert field.mul(a, b) == field.mul(b, a)


def test_mul_is_distributive_and_associative(field: BinaryField) -> None:
    a, b, c = _elements(field, 3, 3)[-3:]
    assert field.mul(a, b ^ c) == field.mul(a, b) ^ field.mul(a, c)
    assert field.mul(field.mul(a, b), c) == field.mul(a, field.mul(b, c))


def test_square_and_square_root(field: BinaryField) -> None:
    for a in _elements(field, 20, 4):
        sq = field.sqr(a)
        assert sq == field.mul(a, a)
        assert field.sqrt(sq) == a
        assert field.sqr(field.sqrt(a)) == a


def test_inverse(field: BinaryField) -> None:
    for a in _elements(field, 20, 5):
        if a:
            assert field.mul(a, field.inv(a)) == 1
    with pytest.raises(ZeroDivisionError):
        field.inv(0)


def test_inverse_agrees_with_fermat(field: BinaryField) -> None:
    a = _elements(field, 1, 6)[-1] | 1
    assert field.inv(a) == field.pow(a, (1 << field.m) - 2)


def test_trace_matches_definition(field: BinaryField) -> None:
    """Tr(a) = a + a^2 + ... + a^(2^(m-1)); the fast one masks with precomputed traces."""
    for a in _elements(field, 4, 7):
        acc, t = a, a
        for _ in range(field.m - 1):
            t = field.sqr(t)
            acc ^= t
        assert acc in (0, 1)
        assert field.trace(a) == acc
    assert field.trace(1) == field.m & 1


def test_trace_is_not_constant(field: BinaryField) -> None:
    traces = {field.trace(a) for a in _elements(field, 30, 8)}
    assert traces == {0, 1}


def test_solve_quadratic(field: BinaryField) -> None:
    solved = unsolvable = 0
    for c in _elements(field, 12, 9):
        z = field.solve_quadratic(c)
        if field.trace(c):
            assert z is None
            unsolvable += 1
        else:
            assert z is not None
            assert field.sqr(z) ^ z == c
            solved += 1
    assert solved and unsolvable


def test_half_trace_identity(field: BinaryField) -> None:
    for c in _elements(field, 3, 10):
        h = field.half_trace(c)
        assert field.sqr(h) ^ h == c ^ field.trace(c)


def test_byte_conversion_little_endian(field: BinaryField) -> None:
    a = _elements(field, 1, 11)[-1]
    data = field.to_bytes_le(a)
    assert len(data) == field.byte_len == (field.m + 7) // 8
    assert data == a.to_bytes(field.byte_len, "little")
    assert field.from_bytes_le(data) == a


def test_from_bytes_rejects_bits_beyond_degree() -> None:
    f = BinaryField(257, (12,))
    with pytest.raises(FormatError):
        f.from_bytes_le((1 << 257).to_bytes(33, "little"))


@pytest.mark.parametrize("m,ks", [(163, (7, 6)), (163, (163,)), (163, (0,)), (10, (9,))])
def test_rejects_unsupported_polynomials(m: int, ks: tuple[int, ...]) -> None:
    with pytest.raises(FormatError):
        BinaryField(m, ks)


def test_half_trace_needs_odd_degree() -> None:
    with pytest.raises(ValueError):
        BinaryField(162, (7,)).half_trace(5)


@given(data=st.data())
@SETTINGS
def test_field_laws_random(data: st.DataObject) -> None:
    m, ks = data.draw(st.sampled_from(FIELDS))
    f = BinaryField(m, ks)
    a = data.draw(st.integers(0, f.mask))
    b = data.draw(st.integers(1, f.mask))
    q = f.mul(a, f.inv(b))
    assert f.mul(q, b) == a
    assert f.sqr(a ^ b) == f.sqr(a) ^ f.sqr(b)
