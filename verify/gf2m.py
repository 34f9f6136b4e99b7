"""Arithmetic in GF(2^m) with a polynomial basis, in pure Python.

Elements are Python ints used as bit vectors: bit i is the coefficient of t^i. CPython's big-int
primitives (shift, xor, ``to_bytes``) run in C, so the fast paths below are the ones that do the
most work per interpreted bytecode:

* multiplication is a carry-less product with a 4-bit window table of the left operand, walked a
  byte of the right operand at a time (two table lookups per byte), then a reduction specialised
  to the sparse (trinomial or pentanomial) modulus: two folds of the high half;
* squaring spreads bits with a 256-entry byte table (squaring is linear in characteristic 2);
* square root splits even and odd bits through the binary string and multiplies the odd half by
  a precomputed sqrt(t);
* the trace is the parity of the element masked with the traces of the basis, computed once from
  Newton's identities, and the half-trace solves z^2 + z = c for odd m.

Every field operation is a closure bound at construction so the point arithmetic above calls plain
local functions without attribute look-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import FormatError

__all__ = ["BinaryField", "clmul", "poly_mod"]

# Byte -> the two bytes of its square (bit i moved to bit 2i).
_SPREAD: tuple[bytes, ...] = tuple(
    sum(((i >> j) & 1) << (2 * j) for j in range(8)).to_bytes(2, "big") for i in range(256)
)


def clmul(a: int, b: int) -> int:
    """Carry-less (polynomial over GF(2)) product of two non-negative ints."""
    if a < b:
        a, b = b, a
    if not b:
        return 0
    a2 = a << 1
    a3 = a2 ^ a
    a4 = a << 2
    a5 = a4 ^ a
    a6 = a4 ^ a2
    a7 = a6 ^ a
    a8 = a << 3
    lo = (
        0, a, a2, a3, a4, a5, a6, a7,
        a8, a8 ^ a, a8 ^ a2, a8 ^ a3, a8 ^ a4, a8 ^ a5, a8 ^ a6, a8 ^ a7,
    )  # fmt: skip
    hi = [x << 4 for x in lo]
    r = 0
    for c in b.to_bytes((b.bit_length() + 7) >> 3, "big"):
        r = (r << 8) ^ hi[c >> 4] ^ lo[c & 15]
    return r


def poly_mod(a: int, p: int) -> int:
    """Remainder of polynomial a modulo polynomial p (generic, for rare use)."""
    dp = p.bit_length()
    while True:
        shift = a.bit_length() - dp
        if shift < 0:
            return a
        a ^= p << shift


class BinaryField:
    """GF(2^m) defined by x^m + sum(x^k for k in ks) + 1 (a trinomial or a pentanomial)."""

    def __init__(self, m: int, ks: Sequence[int]) -> None:
        ks_t = tuple(sorted((int(k) for k in ks), reverse=True))
        if (
            len(ks_t) not in (1, 3)
            or not all(0 < k < m for k in ks_t)
            or len(set(ks_t)) != len(ks_t)
        ):
            raise FormatError(f"unsupported reduction polynomial m={m} ks={ks_t}")
        if ks_t[0] * 2 > m:
            # Two folds reduce a 2m-bit product only when the middle terms are low enough.
            raise FormatError(f"reduction polynomial term {ks_t[0]} too high for m={m}")
        self.m = m
        self.ks = ks_t
        self.poly = (1 << m) | sum(1 << k for k in ks_t) | 1
        self.mask = (1 << m) - 1
        self.byte_len = (m + 7) // 8
        self.reduce: Callable[[int], int] = self._make_reduce()
        self.mul: Callable[[int, int], int] = self._make_mul()
        self.sqr: Callable[[int], int] = self._make_sqr()
        self._trace_mask = self._compute_trace_mask()
        # sqrt(t) = t^(2^(m-1)), used to take square roots of the odd half of an element.
        s = 2
        for _ in range(m - 1):
            s = self.sqr(s)
        self._sqrt_t = s

    # -- construction of the fast closures -------------------------------------------------
    def _make_reduce(self) -> Callable[[int], int]:
        m, mask = self.m, self.mask
        if len(self.ks) == 1:
            (k,) = self.ks

            def reduce3(c: int) -> int:
                h = c >> m
                if h:
                    c = (c & mask) ^ h ^ (h << k)
                    h = c >> m
                    if h:
                        c = (c & mask) ^ h ^ (h << k)
                return c

            return reduce3
        k3, k2, k1 = self.ks

        def reduce5(c: int) -> int:
            h = c >> m
            if h:
                c = (c & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
                h = c >> m
                if h:
                    c = (c & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
            return c

        return reduce5

    def _make_mul(self) -> Callable[[int, int], int]:
        m, mask = self.m, self.mask
        k3, k2, k1 = (*self.ks, 0, 0)[:3]
        trinomial = len(self.ks) == 1

        def mul(a: int, b: int) -> int:
            if a < b:
                a, b = b, a
            if not b:
                return 0
            a2 = a << 1
            a3 = a2 ^ a
            a4 = a << 2
            a5 = a4 ^ a
            a6 = a4 ^ a2
            a7 = a6 ^ a
            a8 = a << 3
            a9 = a8 ^ a
            a10 = a8 ^ a2
            a11 = a8 ^ a3
            a12 = a8 ^ a4
            a13 = a8 ^ a5
            a14 = a8 ^ a6
            a15 = a8 ^ a7
            lo = (0, a, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
            hi = (
                0, a << 4, a2 << 4, a3 << 4, a4 << 4, a5 << 4, a6 << 4, a7 << 4,
                a8 << 4, a9 << 4, a10 << 4, a11 << 4, a12 << 4, a13 << 4, a14 << 4, a15 << 4,
            )  # fmt: skip
            r = 0
            for c in b.to_bytes((b.bit_length() + 7) >> 3, "big"):
                r = (r << 8) ^ hi[c >> 4] ^ lo[c & 15]
            # The reduction, inlined: two folds of the part above degree m.
            h = r >> m
            if h:
                if trinomial:
                    r = (r & mask) ^ h ^ (h << k3)
                    h = r >> m
                    if h:
                        r = (r & mask) ^ h ^ (h << k3)
                else:
                    r = (r & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
                    h = r >> m
                    if h:
                        r = (r & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
            return r

        return mul

    def _make_sqr(self) -> Callable[[int], int]:
        m, mask = self.m, self.mask
        k3, k2, k1 = (*self.ks, 0, 0)[:3]
        trinomial = len(self.ks) == 1
        spread = _SPREAD.__getitem__
        join = b"".join
        from_bytes = int.from_bytes

        def sqr(a: int) -> int:
            r = from_bytes(join(map(spread, a.to_bytes((a.bit_length() + 7) >> 3, "big"))), "big")
            h = r >> m
            if h:
                if trinomial:
                    r = (r & mask) ^ h ^ (h << k3)
                    h = r >> m
                    if h:
                        r = (r & mask) ^ h ^ (h << k3)
                else:
                    r = (r & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
                    h = r >> m
                    if h:
                        r = (r & mask) ^ h ^ (h << k1) ^ (h << k2) ^ (h << k3)
            return r

        return sqr

    def _compute_trace_mask(self) -> int:
        """Traces of t^0 .. t^(m-1) by Newton's identities (power sums of the roots).

        In characteristic 2, for f(x) = x^m + sum c_j x^j, the power sums p_k = Tr(t^k) obey
        p_k = sum_{i=1}^{k-1} c_{m-i} p_{k-i} + k c_{m-k}; with a sparse f this is O(m * terms).
        """
        m = self.m
        coef = set(self.ks) | {0}
        p = [m & 1] + [0] * (m - 1)
        for k in range(1, m):
            acc = (k & 1) if (m - k) in coef else 0
            for j in coef:
                i = m - j
                if i < k:
                    acc ^= p[k - i]
            p[k] = acc
        return sum(1 << i for i in range(m) if p[i])

    # -- element operations ----------------------------------------------------------------
    def inv(self, a: int) -> int:
        """Multiplicative inverse by the binary-polynomial extended Euclid algorithm."""
        if not a:
            raise ZeroDivisionError("inverse of zero in GF(2^m)")
        u, v = a, self.poly
        g1, g2 = 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v = v, u
                g1, g2 = g2, g1
                j = -j
            u ^= v << j
            g1 ^= g2 << j
        return poly_mod(g1, self.poly) if g1 >> self.m else g1

    def sqrt(self, a: int) -> int:
        """The unique square root: even bits halved plus sqrt(t) times the odd bits halved."""
        s = format(a, "b")
        if len(s) & 1:
            s = "0" + s
        # With an even-length string, index i holds bit len-1-i: odd indices are even bits.
        even = int(s[1::2], 2)
        odd = int(s[0::2], 2)
        return even ^ self.mul(self._sqrt_t, odd)

    def trace(self, a: int) -> int:
        return (a & self._trace_mask).bit_count() & 1

    def half_trace(self, c: int) -> int:
        """H(c) = sum c^(4^i), i = 0..(m-1)/2; for odd m, H(c)^2 + H(c) = c + Tr(c)."""
        if not self.m & 1:
            raise ValueError("half-trace is defined for odd m only")
        sqr = self.sqr
        h = c
        for _ in range((self.m - 1) // 2):
            c = sqr(sqr(c))
            h ^= c
        return h

    def solve_quadratic(self, c: int) -> int | None:
        """A root z of z^2 + z = c (the other is z + 1), or None when Tr(c) = 1."""
        if self.trace(c):
            return None
        z = self.half_trace(c)
        return z

    def div(self, a: int, b: int) -> int:
        return self.mul(a, self.inv(b))

    def pow(self, a: int, e: int) -> int:
        r = 1
        for bit in bin(e)[2:]:
            r = self.sqr(r)
            if bit == "1":
                r = self.mul(r, a)
        return r

    def from_bytes_le(self, data: bytes) -> int:
        """Field element from little-endian octets, as DSTU 4145 structures store them."""
        v = int.from_bytes(data, "little")
        if v >> self.m:
            raise FormatError("field element has bits at or above degree m")
        return v

    def to_bytes_le(self, a: int) -> bytes:
        return a.to_bytes(self.byte_len, "little")

    def __repr__(self) -> str:
        return f"BinaryField(m={self.m}, ks={self.ks})"
