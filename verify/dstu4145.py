"""DSTU 4145-2002 elliptic-curve signatures over GF(2^m), polynomial basis, in pure Python.

Curves are y^2 + xy = x^3 + a x^2 + b with a in {0, 1}. Signing follows the standard: with a
private key d the public key is Q = -dP; for a hash value h (a field element) and a random e,
r = trunc(h * x(eP)) to bit length L(n) - 1 and s = (e + d r) mod n. Verification recomputes
x(sP + rQ) = x(eP).

Speed comes from the layers underneath: `gf2m` field closures, Lopez-Dahab projective
coordinates (X/Z, Y/Z^2) so that a scalar multiplication needs two inversions in total, width-w
NAF digits over affine tables of odd multiples, and one shared doubling chain for s*P + r*Q. The
base point's table is built once per curve object and kept on it.

Byte-level conventions of Ukrainian certificates and CMS (all little-endian):

* key parameters: `DSTU4145Params ::= SEQUENCE { CHOICE { ECBinary, namedCurve OID }, dke OCTET
  STRING OPTIONAL }`, `ECBinary ::= SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT 0,
  f BinaryField, a INTEGER, b OCTET STRING (little-endian), n INTEGER, bp OCTET STRING
  (compressed base point, little-endian) }`, `BinaryField ::= SEQUENCE { m INTEGER,
  CHOICE { k INTEGER, SEQUENCE { k, j, l INTEGER } } OPTIONAL }` (no polynomial: normal basis);
* public key: the subjectPublicKey BIT STRING holds a DER OCTET STRING with the compressed point;
* signature: r || s, each half little-endian and as long as the order n in bytes. A certificate's
  signatureValue BIT STRING holds it wrapped in a DER OCTET STRING; a CMS SignerInfo's signature
  OCTET STRING holds the bare r || s;
* digest: the hash output bytes read little-endian (that is, reversed) give the element h, of
  which the standard keeps the m low bits (and takes 1 for 0). The same holds for GOST 34.311
  (with the S-box from `dke` when present) and for Kupyna.

All of this was checked on the real certificates and CMS of the shared test vectors (see
tests/verify/test_dstu4145.py). Parsed parameters and decoded keys are memoised by their bytes.
"""

from __future__ import annotations

import random as _random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Literal

from asn1crypto import core

from . import native
from .dstu_curves import CURVE_SPECS, NAMED_CURVE_OIDS, CurveSpec
from .errors import FormatError, InvalidKey, UnsupportedAlgorithm
from .gf2m import BinaryField

#: Where a DSTU 4145 signature was found; each place has exactly one encoding.
SignatureForm = Literal["certificate", "cms"]

__all__ = [
    "INFINITY",
    "Curve",
    "DstuParams",
    "Point",
    "compress_point",
    "curve_by_name",
    "decode_public_key",
    "decode_signature",
    "decompress_point",
    "encode_params",
    "encode_public_key",
    "encode_signature",
    "generate_private_key",
    "named_curve",
    "on_curve",
    "parse_params",
    "point_add",
    "point_mul",
    "point_neg",
    "public_point",
    "sign",
    "sign_digest",
    "verify",
    "verify_signature",
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
    return _standard_curve(name)


def named_curve(oid: str) -> Curve:
    """The standard curve of a named-curve OID 1.2.804.2.1.1.1.1.3.1.1.2.<0..9>."""
    try:
        name = NAMED_CURVE_OIDS[oid]
    except KeyError:
        raise UnsupportedAlgorithm(
            f"unknown DSTU 4145 named curve {oid}", reason="UNSUPPORTED_CURVE"
        ) from None
    return _standard_curve(name)


@cache
def _standard_curve(name: str) -> Curve:
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


def _in_prime_subgroup(curve: Curve, p: Point) -> bool:
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


# --------------------------------------------------------------------------------------------
# ASN.1: key parameters
# --------------------------------------------------------------------------------------------
class _Pentanomial(core.Sequence):
    _fields = [("k", core.Integer), ("j", core.Integer), ("l", core.Integer)]  # noqa: RUF012


class _Polynomial(core.Choice):
    _alternatives = [("trinomial", core.Integer), ("pentanomial", _Pentanomial)]  # noqa: RUF012


class _BinaryFieldAsn1(core.Sequence):
    _fields = [("m", core.Integer), ("poly", _Polynomial, {"optional": True})]  # noqa: RUF012


class _ECBinary(core.Sequence):
    _fields = [  # noqa: RUF012
        ("version", core.Integer, {"explicit": 0, "default": 0}),
        ("f", _BinaryFieldAsn1),
        ("a", core.Integer),
        ("b", core.OctetString),
        ("n", core.Integer),
        ("bp", core.OctetString),
    ]


class _CurveDefinition(core.Choice):
    _alternatives = [  # noqa: RUF012
        ("ec_binary", _ECBinary),
        ("named_curve", core.ObjectIdentifier),
    ]


class _DstuParamsAsn1(core.Sequence):
    _fields = [  # noqa: RUF012
        ("definition", _CurveDefinition),
        ("dke", core.OctetString, {"optional": True}),
    ]


@dataclass(frozen=True)
class DstuParams:
    """Parsed SubjectPublicKeyInfo parameters: the curve and the optional S-box (`dke`)."""

    curve: Curve
    dke: bytes | None = None
    oid: str | None = None


def parse_params(der: bytes) -> DstuParams:
    """Parse DSTU 4145 key parameters (explicit ECBinary or named curve, optional dke).

    Results are memoised by their bytes: an explicit curve costs a field set-up, a base-point
    decompression and, unless it is a standard curve, an n*G check, and the same issuer's
    parameters come back with every signature it made.
    """
    return _parse_params(bytes(der))


@lru_cache(maxsize=256)
def _parse_params(der: bytes) -> DstuParams:
    try:
        parsed = _DstuParamsAsn1.load(der, strict=True)
        definition = parsed["definition"]
        dke_v = parsed["dke"]
        dke = None if isinstance(dke_v, core.Void) else bytes(dke_v.native)
        if definition.name == "named_curve":
            oid = definition.chosen.dotted
            return DstuParams(named_curve(oid), dke, oid)
        ecb = definition.chosen
        version = ecb["version"].native
        m = ecb["f"]["m"].native
        poly = ecb["f"]["poly"]
        a = ecb["a"].native
        b_le = bytes(ecb["b"].native)
        n = ecb["n"].native
        bp_le = bytes(ecb["bp"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise FormatError(f"unreadable DSTU 4145 parameters: {exc}") from exc
    if version not in (0, None):
        raise UnsupportedAlgorithm(f"ECBinary version {version}")
    if isinstance(poly, core.Void):
        raise UnsupportedAlgorithm(
            "DSTU 4145 curve in normal basis is not supported", reason="UNSUPPORTED_CURVE"
        )
    if poly.name == "trinomial":
        ks: tuple[int, ...] = (poly.chosen.native,)
    else:
        pent = poly.chosen
        ks = (pent["k"].native, pent["j"].native, pent["l"].native)
    if a not in (0, 1):
        raise FormatError(f"ECBinary a={a} is not 0 or 1")
    # Hasse: n <= #E <= 2^m + 1 + 2^(m/2 + 1); a longer n is garbage (and would be slow).
    if not isinstance(m, int) or not 2 < m <= 1024 or not 1 < n < 1 << (m + 1):
        raise FormatError("ECBinary field degree or order out of range")
    b = int.from_bytes(b_le, "little")
    if not b or b >> m:
        raise FormatError("ECBinary b is zero or longer than the field")
    proto = Curve(m=m, ks=tuple(sorted(ks, reverse=True)), a=a, b=b, n=n, gx=0, gy=0)
    g = decompress_point(proto, proto.field.from_bytes_le(bp_le))
    curve = Curve(m=m, ks=proto.ks, a=a, b=b, n=n, gx=g.x, gy=g.y)
    # An explicit copy of a standard curve becomes the shared standard object (named, and with
    # its tables already built); any other curve has its base point checked.
    for name in CURVE_SPECS:
        std = _standard_curve(name)
        if std == curve:
            curve = std
            break
    else:
        if not on_curve(curve, g) or not point_mul(curve, n, g).infinity:
            raise InvalidKey("ECBinary base point does not have the stated order")
    return DstuParams(curve, dke, None)


def encode_params(curve_oid: str | None, curve: Curve | None, dke: bytes | None) -> bytes:
    """SubjectPublicKeyInfo parameters DER: a named curve OID or an explicit ECBinary."""
    if curve_oid is not None:
        definition = _CurveDefinition(name="named_curve", value=core.ObjectIdentifier(curve_oid))
    elif curve is not None:
        f = curve.field
        ks = sorted(curve.ks)
        if len(ks) == 1:
            poly = _Polynomial(name="trinomial", value=ks[0])
        else:
            poly = _Polynomial(
                name="pentanomial", value=_Pentanomial({"k": ks[0], "j": ks[1], "l": ks[2]})
            )
        ecb = _ECBinary(
            {
                "f": _BinaryFieldAsn1({"m": curve.m, "poly": poly}),
                "a": curve.a,
                "b": f.to_bytes_le(curve.b),
                "n": curve.n,
                "bp": f.to_bytes_le(compress_point(curve, curve.G)),
            }
        )
        definition = _CurveDefinition(name="ec_binary", value=ecb)
    else:
        raise ValueError("either curve_oid or curve is required")
    fields: dict[str, object] = {"definition": definition}
    if dke is not None:
        fields["dke"] = dke
    return _DstuParamsAsn1(fields).dump()


# --------------------------------------------------------------------------------------------
# Keys and signatures as bytes
# --------------------------------------------------------------------------------------------
def _unwrap(data: bytes, sizes: Callable[[int], bool]) -> bytes:
    """The payload of `data` given raw, as a DER OCTET STRING, or as BIT STRING contents.

    `sizes` says which payload lengths are acceptable; wrapped forms are tried first because a
    raw payload that happens to read as a DER OCTET STRING of the full length is vanishingly rare.
    """
    candidates = []
    if data[:1] == b"\x00":
        candidates.append(data[1:])
    candidates.append(data)
    for cand in candidates:
        if len(cand) >= 2 and cand[0] == 0x04:
            try:
                octets = core.OctetString.load(cand, strict=True)
            except ValueError:
                octets = None
            if octets is not None and sizes(len(octets.contents)):
                return bytes(octets.contents)
    if sizes(len(data)):
        return bytes(data)
    raise FormatError(f"unexpected encoding of {len(data)} octets")


def decode_public_key(curve: Curve, key: bytes) -> Point:
    """The public point from its certificate encoding (compressed, little-endian).

    Raises InvalidKey unless the point lies on the curve and has order n. Memoised by
    (curve, bytes), since one issuer key verifies many signatures.
    """
    return _decode_public_key(curve, bytes(key))


@lru_cache(maxsize=256)
def _decode_public_key(curve: Curve, key: bytes) -> Point:
    size = curve.field.byte_len
    try:
        raw = _unwrap(key, lambda n: n == size)
    except FormatError as exc:
        raise InvalidKey(f"public key: {exc.detail}") from exc
    q = decompress_point(curve, int.from_bytes(raw, "little"))
    if not _in_prime_subgroup(curve, q):
        raise InvalidKey("public key is not a point of order n")
    return q


def encode_public_key(curve: Curve, q: Point) -> bytes:
    """The subjectPublicKey BIT STRING payload: a DER OCTET STRING of the compressed point."""
    return core.OctetString(curve.field.to_bytes_le(compress_point(curve, q))).dump()


def _digest_element(curve: Curve, digest: bytes) -> int:
    if not digest:
        raise FormatError("empty digest")
    return int.from_bytes(digest, "little")


def decode_signature(
    curve: Curve, signature: bytes, form: SignatureForm | None = None
) -> tuple[int, int]:
    """(r, s) from r || s little-endian halves.

    `form` is where the signature was found, and each place has one encoding: "cms" (a
    SignerInfo's signature OCTET STRING holds the bare r || s) or "certificate" (the
    signatureValue BIT STRING of a certificate, CRL or OCSP response holds a DER OCTET STRING
    of r || s). The other form in either place is a FormatError. None accepts both, for tools.
    """
    half_min = curve.order_bytes

    def sizes(n: int) -> bool:
        return n >= 2 * half_min and not n & 1

    data = bytes(signature)
    if form == "cms":
        if len(data) != 2 * half_min and _wrapped_payload(data, sizes) is not None:
            raise FormatError(
                "DSTU 4145 signature in a SignerInfo is wrapped in an extra OCTET STRING; "
                "it must be the bare r||s"
            )
        if not sizes(len(data)):
            raise FormatError(f"DSTU 4145 signature of {len(data)} octets")
        raw = data
    elif form == "certificate":
        payload = _wrapped_payload(data, sizes)
        if payload is None:
            raise FormatError(
                "DSTU 4145 signatureValue must hold an OCTET STRING of r||s; found bare octets"
            )
        raw = payload
    else:
        raw = _unwrap(data, sizes)
    half = len(raw) // 2
    return int.from_bytes(raw[:half], "little"), int.from_bytes(raw[half:], "little")


def _wrapped_payload(data: bytes, sizes: Callable[[int], bool]) -> bytes | None:
    """The payload when `data` is exactly one DER OCTET STRING of an acceptable size."""
    if len(data) < 2 or data[0] != 0x04:
        return None
    try:
        octets = core.OctetString.load(data, strict=True)
    except ValueError:
        return None
    payload = bytes(octets.contents)
    return payload if sizes(len(payload)) else None


def encode_signature(curve: Curve, r: int, s: int, *, wrapped: bool = True) -> bytes:
    """r || s little-endian, each as long as n; wrapped in a DER OCTET STRING by default."""
    size = curve.order_bytes
    raw = r.to_bytes(size, "little") + s.to_bytes(size, "little")
    return core.OctetString(raw).dump() if wrapped else raw


def verify_signature(
    params: DstuParams,
    public_key: bytes,
    digest: bytes,
    signature: bytes,
    form: SignatureForm | None = None,
) -> bool:
    """Verify a certificate or CMS DSTU 4145 signature over a hash output.

    `public_key` is the subjectPublicKey BIT STRING payload (or the bare compressed point),
    `digest` the hash output as the hash function returns it, `signature` the certificate's
    signatureValue payload or the CMS SignerInfo signature (raw r || s), `form` which of the two
    it is (see `decode_signature`). Raises InvalidKey for an unusable key and FormatError for a
    signature in the wrong encoding for its place; returns False for a wrong one.
    """
    curve = params.curve
    q = decode_public_key(curve, public_key)
    if form is not None:
        r, s = decode_signature(curve, signature, form)
        return verify(curve, q, _digest_element(curve, digest), r, s)
    try:
        r, s = decode_signature(curve, signature)
    except FormatError:
        return False
    return verify(curve, q, _digest_element(curve, digest), r, s)


def sign_digest(
    params: DstuParams,
    private_key: int,
    digest: bytes,
    *,
    e: int | None = None,
    wrapped: bool = True,
) -> bytes:
    """Sign a hash output; the result is what `verify_signature` takes.

    `wrapped=True` gives the certificate form (a DER OCTET STRING, the signatureValue BIT STRING
    payload); `wrapped=False` the bare r || s that goes into a CMS SignerInfo signature. A fixed
    `e` is for known-answer tests only.
    """
    curve = params.curve
    h = _digest_element(curve, digest)
    while True:
        k = e if e is not None else generate_private_key(curve)
        try:
            r, s = sign(curve, private_key, h, k)
        except ValueError:
            if e is not None:
                raise
            continue
        return encode_signature(curve, r, s, wrapped=wrapped)
