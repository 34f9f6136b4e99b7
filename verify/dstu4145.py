"""DSTU 4145-2002 elliptic-curve signatures over GF(2^m), polynomial basis, in pure Python.

Curves are y^2 + xy = x^3 + a x^2 + b with a in {0, 1}. Signing follows the standard: with a
private key d the public key is Q = -dP; for a hash value h (a field element) and a random e,
r = trunc(h * x(eP)) to bit length L(n) - 1 and s = (e + d r) mod n. Verification recomputes
x(sP + rQ) = x(eP).

Speed comes from the layers underneath: `gf2m` field closures, Lopez-Dahab projective
coordinates (X/Z, Y/Z^2) so that a scalar multiplication needs two inversions in total, width-w
NAF digits over affine tables of odd multiples, and one shared doubling chain for s*P + r*Q. The
base point's table is built once per curve object and kept on it.

The byte-level encodings of keys, parameters and signatures (ASN.1, little-endian) are in
`verify/dstu4145_asn1.py`; this module is the arithmetic only.

All of this was checked on the real certificates and CMS of the shared test vectors (see
tests/verify/test_dstu4145.py). Parsed parameters and decoded keys are memoised by their bytes.
"""

from __future__ import annotations

import random as _random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Literal

from . import native
from .dstu_curves import CURVE_SPECS, NAMED_CURVE_OIDS, CurveSpec
from .errors import InvalidKey, UnsupportedAlgorithm
from .gf2m import BinaryField

#: Where a DSTU 4145 signature was found; each place has exactly one encoding.
SignatureForm = Literal["certificate", "cms"]

__all__ = [
    "INFINITY",
    "Curve",
    "Point",
    "compress_point",
    "curve_by_name",
    "decompress_point",
    "generate_private_key",
    "named_curve",
    "on_curve",
    "point_add",
    "point_mul",
    "point_neg",
    "public_point",
    "sign",
    "verify",
]

# Widths of the NAF digit windows: the base point's table is built once per curve, so it can be
# larger (32 affine points) than the one built for every verified key (8 points).
_W_BASE = 7
_W_VAR = 5


@dataclass(frozen=True)
class Point:
    """An affine point; the point at infinity has `infinity=True` (and x = y = 0)."""

    x: int
    y: int
    infinity: bool = False


INFINITY = Point(0, 0, True)

# Lopez-Dahab projective triple (X, Y, Z) with x = X/Z, y = Y/Z^2; Z = 0 is infinity.
_LD = tuple[int, int, int]
_LD_INF: _LD = (1, 0, 0)


@dataclass(frozen=True)
class Curve:
    """A DSTU 4145 curve over GF(2^m) in polynomial basis.

    `ks` are the middle exponents of the reduction polynomial (one for a trinomial, three for a
    pentanomial). `name`/`oid` are set for the standard curves only and do not take part in
    equality, so an explicit ECBinary copy of a standard curve equals the named one.
    """

    m: int
    ks: tuple[int, ...]
    a: int
    b: int
    n: int
    gx: int
    gy: int
    name: str | None = None
    oid: str | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Curve):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def _key(self) -> tuple[int, tuple[int, ...], int, int, int, int, int]:
        return (self.m, tuple(sorted(self.ks)), self.a, self.b, self.n, self.gx, self.gy)

    @cached_property
    def field(self) -> BinaryField:
        return BinaryField(self.m, self.ks)

    @property
    def G(self) -> Point:
        return Point(self.gx, self.gy)

    @property
    def cofactor(self) -> int:
        """h with #E = h*n; by Hasse's bound the nearest integer to (2^m + 1) / n."""
        return ((1 << self.m) + 1 + self.n // 2) // self.n

    @property
    def order_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8

    @cached_property
    def _arith(self) -> _CurveArith:
        return _CurveArith(self)

    @cached_property
    def _base_table(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        return self._arith.odd_multiples(self.gx, self.gy, _W_BASE)

    def __repr__(self) -> str:
        label = self.name or f"m={self.m}"
        return f"Curve({label})"


def curve_by_name(name: str) -> Curve:
    """A standard curve by the names of `dstu_curves.CURVE_SPECS` (e.g. "DSTU_257")."""
    if name not in CURVE_SPECS:
        raise UnsupportedAlgorithm(f"unknown DSTU 4145 curve {name!r}", reason="UNSUPPORTED_CURVE")
    return standard_curve(name)


def named_curve(oid: str) -> Curve:
    """The standard curve of a named-curve OID 1.2.804.2.1.1.1.1.3.1.1.2.<0..9>."""
    try:
        name = NAMED_CURVE_OIDS[oid]
    except KeyError:
        raise UnsupportedAlgorithm(
            f"unknown DSTU 4145 named curve {oid}", reason="UNSUPPORTED_CURVE"
        ) from None
    return standard_curve(name)


@cache
def standard_curve(name: str) -> Curve:
    """One shared object per standard curve, so its field and base-point table are built once.

    The cache holds immutable values derived from constants only (a memo, not state).
    """
    spec: CurveSpec = CURVE_SPECS[name]
    oid = next((o for o, nm in NAMED_CURVE_OIDS.items() if nm == name), None)
    return Curve(
        m=spec.m,
        ks=tuple(spec.ks),
        a=spec.a,
        b=int(spec.b, 16),
        n=int(spec.n, 16),
        gx=int(spec.gx, 16),
        gy=int(spec.gy, 16),
        name=name,
        oid=oid,
    )


# --------------------------------------------------------------------------------------------
# Point arithmetic
# --------------------------------------------------------------------------------------------
class _CurveArith:
    """Closures over one curve's field for Lopez-Dahab doubling and mixed addition."""

    def __init__(self, curve: Curve) -> None:
        f = curve.field
        self.f = f
        mul, sqr = f.mul, f.sqr
        a = curve.a
        if a not in (0, 1):
            raise UnsupportedAlgorithm(f"curve coefficient a={a} is not 0 or 1")

        def dbl(x1: int, y1: int, z1: int) -> _LD:
            # Lopez-Dahab doubling without the constant b (Lange's "dbl-2005-dl"): 4M + 4S.
            if not z1:
                return _LD_INF
            aa = mul(x1, z1)
            bb = sqr(x1)
            cc = bb ^ y1
            dd = mul(aa, cc)
            z3 = sqr(aa)
            x3 = sqr(cc) ^ dd
            if a:
                x3 ^= z3
            return x3, mul(z3 ^ dd, x3) ^ mul(sqr(bb), z3), z3

        def madd(x1: int, y1: int, z1: int, x2: int, y2: int) -> _LD:
            # Lopez-Dahab + affine addition (Hankerson-Menezes-Vanstone Alg. 3.25): 8M + 5S.
            if not z1:
                return x2, y2, 1
            zs = sqr(z1)
            aa = mul(y2, zs) ^ y1
            bb = mul(x2, z1) ^ x1
            if not bb:
                if not aa:
                    return dbl(x2, y2, 1)
                return _LD_INF
            c = mul(z1, bb)
            d = mul(sqr(bb), c ^ zs if a else c)
            z3 = sqr(c)
            e = mul(aa, c)
            x3 = sqr(aa) ^ d ^ e
            ff = x3 ^ mul(x2, z3)
            g = mul(x2 ^ y2, sqr(z3))
            return x3, mul(e ^ z3, ff) ^ g, z3

        self.dbl: Callable[[int, int, int], _LD] = dbl
        self.madd: Callable[[int, int, int, int, int], _LD] = madd

    def to_affine(self, p: _LD) -> Point:
        x, y, z = p
        if not z:
            return INFINITY
        zi = self.f.inv(z)
        return Point(self.f.mul(x, zi), self.f.mul(y, self.f.sqr(zi)))

    def odd_multiples(
        self, x: int, y: int, w: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Affine P, 3P, ..., (2^(w-1) - 1)P and their negatives, with two inversions.

        The multiples are accumulated in Lopez-Dahab form against an affine 2P and brought back
        to affine together with Montgomery's simultaneous inversion.
        """
        f = self.f
        mul, sqr = f.mul, f.sqr
        count = 1 << (w - 2)
        two = self.to_affine(self.dbl(x, y, 1))
        pts: list[_LD] = [(x, y, 1)]
        if two.infinity:
            raise InvalidKey("point of order 2 has no odd-multiple table")
        for _ in range(count - 1):
            px, py, pz = pts[-1]
            pts.append(self.madd(px, py, pz, two.x, two.y))
        zs = [p[2] for p in pts]
        if not all(zs):
            raise InvalidKey("point of small order")
        prefix = [zs[0]]
        for z in zs[1:]:
            prefix.append(mul(prefix[-1], z))
        inv_all = f.inv(prefix[-1])
        pos: list[tuple[int, int]] = [(0, 0)] * count
        for i in range(count - 1, -1, -1):
            zi = mul(inv_all, prefix[i - 1]) if i else inv_all
            if i:
                inv_all = mul(inv_all, zs[i])
            px, py, _ = pts[i]
            ax = mul(px, zi)
            pos[i] = (ax, mul(py, sqr(zi)))
        neg = [(px, px ^ py) for px, py in pos]
        return pos, neg


def _wnaf(k: int, w: int) -> list[int]:
    """Width-w non-adjacent form of k >= 0, least significant digit first."""
    digits: list[int] = []
    full = 1 << w
    half = full >> 1
    mask = full - 1
    while k:
        if k & 1:
            d = k & mask
            if d >= half:
                d -= full
            k -= d
            digits.append(d)
        else:
            digits.append(0)
        k >>= 1
    return digits


def _multi_mul(
    arith: _CurveArith,
    terms: Sequence[tuple[int, tuple[list[tuple[int, int]], list[tuple[int, int]]], int]],
) -> _LD:
    """Sum of k_i * P_i over one doubling chain (interleaved wNAF), in Lopez-Dahab form."""
    dbl, madd = arith.dbl, arith.madd
    nafs = [(_wnaf(k, w), pos, neg) for k, (pos, neg), w in terms]
    length = max((len(d) for d, _, _ in nafs), default=0)
    x, y, z = _LD_INF
    for i in range(length - 1, -1, -1):
        if z:
            x, y, z = dbl(x, y, z)
        for digits, pos, neg in nafs:
            if i < len(digits):
                d = digits[i]
                if d > 0:
                    px, py = pos[d >> 1]
                    x, y, z = madd(x, y, z, px, py)
                elif d < 0:
                    px, py = neg[(-d) >> 1]
                    x, y, z = madd(x, y, z, px, py)
    return x, y, z


def on_curve(curve: Curve, p: Point) -> bool:
    if p.infinity:
        return True
    f = curve.field
    x, y = p.x, p.y
    if x >> curve.m or y >> curve.m:
        return False
    x2 = f.sqr(x)
    lhs = f.sqr(y) ^ f.mul(x, y)
    rhs = f.mul(x2, x) ^ (x2 if curve.a else 0) ^ curve.b
    return lhs == rhs


def point_neg(curve: Curve, p: Point) -> Point:
    return p if p.infinity else Point(p.x, p.x ^ p.y)


def point_add(curve: Curve, p: Point, q: Point) -> Point:
    """Affine addition (slow path for tests and one-off use)."""
    if p.infinity:
        return q
    if q.infinity:
        return p
    ar = curve._arith
    return ar.to_affine(ar.madd(p.x, p.y, 1, q.x, q.y))


def _native_mul2(curve: Curve, k1: int, p1: Point, k2: int, p2: Point) -> Point | None:
    """k1*P1 + k2*P2 on the C kernels, or None when they are not in use for this curve.

    Both points must be affine points other than infinity; the result is identical to the
    Python path (the property tests compare them).
    """
    ext = native.kernels()
    if ext is None:
        return None
    f = curve.field
    try:
        xy = ext.dstu_mul2(f.m, f.ks, curve.a, p1.x, p1.y, k1, p2.x, p2.y, k2)
    except ValueError:  # a field shape the kernels do not take: the Python path does
        return None
    return INFINITY if xy is None else Point(*xy)


def point_mul(curve: Curve, k: int, p: Point) -> Point:
    """k * P for any point P (k >= 0); uses the cached table when P is the base point."""
    if p.infinity or k == 0:
        return INFINITY
    if k < 0:
        return point_mul(curve, -k, point_neg(curve, p))
    if p.x:
        fast = _native_mul2(curve, k, p, 0, Point(0, 0))
        if fast is not None:
            return fast
    ar = curve._arith
    if p.x == curve.gx and p.y == curve.gy:
        return ar.to_affine(_multi_mul(ar, [(k, curve._base_table, _W_BASE)]))
    if not p.x:
        # The point of order 2 (0, sqrt b): no odd-multiple table exists for it.
        return p if k & 1 else INFINITY
    return ar.to_affine(_multi_mul(ar, [(k, ar.odd_multiples(p.x, p.y, 4), 4)]))


# --------------------------------------------------------------------------------------------
# Point compression (DSTU 4145 clause 6.9 / 6.10)
# --------------------------------------------------------------------------------------------
def compress_point(curve: Curve, p: Point) -> int:
    """x with its lowest bit replaced by Tr(y/x); the point (0, sqrt b) compresses to 0."""
    if p.infinity:
        raise InvalidKey("the point at infinity has no compressed form")
    if not p.x:
        return 0
    f = curve.field
    return (p.x & ~1) | f.trace(f.mul(p.y, f.inv(p.x)))


def decompress_point(curve: Curve, k: int) -> Point:
    """Inverse of `compress_point` for points of 2E (where Tr(x) = Tr(a), i.e. a)."""
    f = curve.field
    if k >> curve.m:
        raise InvalidKey("compressed point is longer than the field")
    if not k:
        return Point(0, f.sqrt(curve.b))
    ybit = k & 1
    x = k & ~1
    if f.trace(x) != curve.a:
        x |= 1
    if not x:
        raise InvalidKey("compressed point decodes to x = 0")
    # y = z x where z^2 + z = x + a + b / x^2.
    xi = f.inv(x)
    c = x ^ curve.a ^ f.mul(curve.b, f.sqr(xi))
    z = f.solve_quadratic(c)
    if z is None:
        raise InvalidKey("compressed point is not the x of a curve point")
    if f.trace(z) != ybit:
        z ^= 1
    return Point(x, f.mul(z, x))


def in_prime_subgroup(curve: Curve, p: Point) -> bool:
    """Whether a curve point other than infinity has order n.

    For the standard curves (cofactor 2 or 4) this avoids a full n*P: a binary curve has one
    point of order 2, so with h = 2 the subgroup is 2E (points with Tr(x) = Tr(a)), and with
    h = 4 it is 4E: P in 2E whose half (also in 2E or not, for both halves alike) is in 2E.
    """
    if p.infinity or not on_curve(curve, p):
        return False
    h = curve.cofactor
    f = curve.field
    if h in (2, 4) and curve.m & 1:
        if not p.x or f.trace(p.x) != curve.a:
            return False
        if h == 2:
            return True
        half = _halve(curve, p)
        return half is not None and bool(half.x) and f.trace(half.x) == curve.a
    return point_mul(curve, curve.n, p).infinity


def _halve(curve: Curve, p: Point) -> Point | None:
    """A point H with 2H = P (P in 2E, m odd), by Knudsen's point halving."""
    f = curve.field
    lam = f.solve_quadratic(p.x ^ curve.a)  # slope of the tangent at the half
    if lam is None:
        return None
    for cand in (lam, lam ^ 1):
        u = f.sqrt(p.y ^ f.mul(cand ^ 1, p.x))
        hpt = Point(u, f.mul(u, cand ^ u))
        if on_curve(curve, hpt):
            return hpt
    return None


# --------------------------------------------------------------------------------------------
# Signatures on integers (the standard's clauses 12 and 13)
# --------------------------------------------------------------------------------------------
def _hash_element(curve: Curve, h: int) -> int:
    """The hash value as a field element: its m lowest bits, and 1 in place of 0."""
    h &= (1 << curve.m) - 1
    return h or 1


def _truncate(curve: Curve, y: int) -> int:
    return y & ((1 << (curve.n.bit_length() - 1)) - 1)


def public_point(curve: Curve, d: int) -> Point:
    """Q = -dP, the public key of private key d (taken modulo n, as some test keys need)."""
    if d <= 0 or not d % curve.n:
        raise InvalidKey("private key out of range")
    return point_neg(curve, point_mul(curve, d % curve.n, curve.G))


def generate_private_key(curve: Curve, rng: _random.Random | None = None) -> int:
    """A private key in [1, n-1]; from `secrets` unless a (test) `rng` is given."""
    while True:
        if rng is None:
            d = secrets.randbits(curve.n.bit_length())
        else:
            d = rng.getrandbits(curve.n.bit_length())
        if 0 < d < curve.n:
            return d


def sign(curve: Curve, d: int, h: int, e: int) -> tuple[int, int]:
    """(r, s) for hash element h with the one-time secret e (the standard's clause 12)."""
    d %= curve.n
    if not d or not 0 < e < curve.n:
        raise ValueError("d mod n must be non-zero and e must lie in [1, n-1]")
    f = curve.field
    r_pt = point_mul(curve, e, curve.G)
    if r_pt.infinity or not r_pt.x:
        raise ValueError("x(eP) = 0: choose another e")
    r = _truncate(curve, f.mul(_hash_element(curve, h), r_pt.x))
    s = (e + d * r) % curve.n
    if not r or not s:
        raise ValueError("r or s is zero: choose another e")
    return r, s


def verify(curve: Curve, q: Point, h: int, r: int, s: int) -> bool:
    """Whether (r, s) signs hash element h under public key Q (the standard's clause 13).

    Q must already be a validated key (on the curve, of order n), as `decode_public_key` gives.
    """
    n = curve.n
    if not (0 < r < n and 0 < s < n) or r >> (n.bit_length() - 1):
        return False
    if q.infinity or not q.x or not on_curve(curve, q):
        return False
    f = curve.field
    fast = _native_mul2(curve, s, curve.G, r, q)
    if fast is not None:
        return not fast.infinity and _truncate(curve, f.mul(_hash_element(curve, h), fast.x)) == r
    ar = curve._arith
    q_table = ar.odd_multiples(q.x, q.y, _W_VAR)
    x, _, z = _multi_mul(ar, [(s, curve._base_table, _W_BASE), (r, q_table, _W_VAR)])
    if not z:
        return False
    rx = f.mul(x, f.inv(z))
    return _truncate(curve, f.mul(_hash_element(curve, h), rx)) == r
