"""Kupyna hash (DSTU 7564:2014) in pure Python: Kupyna-256, -384 and -512.

Kupyna-n keeps a state of 8 (n <= 256) or 16 (n > 256) 64-bit columns, each column 8 bytes with
row 0 in its least significant byte, and compresses each message block m as

    h' = T_xor(h ^ m) ^ T_plus(m) ^ h

where T_xor and T_plus are 10 (or 14) rounds that differ only in how the round constant enters:
XORed into row 0 of each column, or added to each column modulo 2**64. A round is: constant,
S-boxes (row i goes through pi[i mod 4]), row i rotated right by i columns (row 7 by 11 in the
16-column state), and the circulant MDS matrix over GF(2**8) mod x^8+x^4+x^3+x^2+1 on each column.
The message is padded with a 1 bit, zeros and its 96-bit little-endian length in bits; the
digest is the last n/8 bytes of T_xor(h) ^ h.

Speed: S-box, row shift and MDS are folded into eight tables of 64-bit words (one per row, 256
entries each, built once at import). A round unpacks the state's bytes into local variables,
XORs 8 table words per column, applies the next round's constant and packs the columns back
with one `struct.pack`; everything stays on Python ints.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from functools import cache
from operator import add, xor
from types import ModuleType

from verify import native

__all__ = ["Kupyna", "Kupyna256", "Kupyna384", "Kupyna512", "KupynaHash", "kupyna"]

_M64 = (1 << 64) - 1

# The four S-boxes pi_0..pi_3 of DSTU 7564:2014 (the same as DSTU 7624:2014, Kalyna).
_SBOXES: tuple[bytes, ...] = (
    bytes.fromhex(
        "a8435f066b756c5971df879517f0d8096df31dcbc94d2caf79e097fd6f4b4539"
        "3edda34fb4b69a0e1fbf15e149d293c692729e61d163faeef419d5ad58a4bba1"
        "dcf2833742e47a329cccab4a8f6e04272ee7e25a9616232bc265660fbca94741"
        "3448fcb76a88a55386f95bdb387bc31e2233242836c7b23b8e77baf5149f0855"
        "9b4cfe605cda1846cd7d21b03f1b89ffeb84693a9dd7d3706740b5de5d3091b1"
        "781101e5006898a0c502a6742d0ba276b3becebdaee98a311cecf19994aaf626"
        "2fefe88c3503d47ffb05c15e90203d82f7ea0a0d7ef8501ac40757b83c62e3c8"
        "ac526410d0d9130c122951b9cfd6738d8154c0ed4e44a72a8525e6ca7c8b5680"
    ),
    bytes.fromhex(
        "cebbeb92eacb13c1e93ad6b2d29017f8421556b4651c8843c55c36baf557678d"
        "31f664589ef422aa750f02b1df6d734d7c262ef7085d443e9f14c8ae5410d8bc"
        "1a6b69f3bd33abfad19b684e169591ee4c638e5bcc3c19a181497bd96f3760ca"
        "e72b48fd9645fc41120d79e5898ce32030dcb76c4ab53f97d4622d06a4a5835f"
        "2adac9007ea255bf11d59ccf0e0a3d517d931bfec44709860b8f9d6a07b9b098"
        "1832714bef3b70a0e440ffc3a9e678f98b46801e38e1b8a8e00c23761d252405"
        "f16e94289a84e8a34f77d385e252f282507a2f7453b361af3935decd1f99acad"
        "722cddd087be5ea6ec04c60334fbdb59b6c201f05aeda766217f8a27c7c029d7"
    ),
    bytes.fromhex(
        "93d99ab5982245fcba6adf029fdc51594a172bc294f4bba362e471d4cd7016e1"
        "493cc0d85c9bad8553a17ac82de0d172a62cc4e37678b7b4093b0e414cdeb290"
        "25a5d7031100c32e92ef4e129d7dcb3510d54f9e4da955c6d07b1897d336e648"
        "56818f77cc9cb9e2acb82f15a47cda381e0b05d6146e6c7e66fdb1e560af5e33"
        "87c9f05d6d3f888dc7f71de9eced802927cf99a8500f3724283095d23e5b4083"
        "b369571f071c8abc20ebce8eabee31a273f9ca3a1afb0dc1fefaf26fbd96dd43"
        "52b608f3aebe19893226b0ea4b6484826bf579bf015f75631b233d682a65e891"
        "f6ff1358f1470a7fc5a7e7615a0646444204a0db398654aa8c34218bf80c7467"
    ),
    bytes.fromhex(
        "688dca4d734b4e2ad45226b3541e191f2203463d2d4a5383138ab7d52579f5bd"
        "582f0d02ed519e11f23e555ed1163c66705df34540cce8945608ce1a3ad2e1df"
        "b5386e0ee5f4f986e94fd68523cf32993114aeeec848d330a19241b118c42c71"
        "724415fd37be5faa9b88d8ab899cfa60eabc620c24a6a8ec6720db7c28ddac5b"
        "347e10f17b8f63a0059a437721bf2709c39fb6d729c2ebc0a48b8c1dfbffc1b2"
        "972ef865f67507044933e4d9b9d042c76c90008e6f5001c5da473fcd69a2e27a"
        "a7c6930f0a06e62b96a31caf6a128439e7b082f7fe9d875c8135deb4a5fc80ef"
        "cbbb6b76ba5a7d780b95e3ad74983b36646ddcf059a94c177f91b8c9571be061"
    ),
)

# First row of the circulant MDS matrix; row r is this one rotated right by r.
_MDS_ROW = (0x01, 0x01, 0x05, 0x01, 0x08, 0x06, 0x07, 0x04)
_POLY = 0x11D  # x^8 + x^4 + x^3 + x^2 + 1


def _gf_mul(x: int, y: int) -> int:
    r = 0
    while y:
        if y & 1:
            r ^= x
        x <<= 1
        if x & 0x100:
            x ^= _POLY
        y >>= 1
    return r


def _build_tables() -> tuple[tuple[int, ...], ...]:
    """T[i][x]: the column that byte x in row i becomes through its S-box and the MDS matrix.

    Entry (r, i) of the MDS matrix is _MDS_ROW[(i - r) % 8], so s = pi[i % 4][x] puts
    mul(s, _MDS_ROW[(i - r) % 8]) in row r.
    """
    mul = {c: [_gf_mul(x, c) for x in range(256)] for c in set(_MDS_ROW)}
    tables = []
    for i in range(8):
        by_row = [mul[_MDS_ROW[(i - r) % 8]] for r in range(8)]
        tables.append(
            tuple(
                sum(products[s] << (8 * r) for r, products in enumerate(by_row))
                for s in _SBOXES[i % 4]
            )
        )
    return tuple(tables)


_T = _build_tables()
_PACK8 = struct.Struct("<8Q").pack
_PACK16 = struct.Struct("<16Q").pack

# A round takes the state as bytes (column j in bytes 8j..8j+7, little-endian), applies S-boxes,
# row shift and MDS through the tables, then already applies the next round's constant, and
# returns the packed bytes for the next round. Row i of output column j comes from input column
# j - shift(i); the shifts are 0..7 for 8 columns and 0..6, 11 for 16. The four functions are
# written out in full (generated once) because every lookup spelled with constant positions is
# what makes them fast; `fmt: off` keeps the formatter from putting each name on its own line.


# fmt: off
def _xor_round8(b: bytes, k: tuple[int, ...]) -> bytes:
    """One T_xor round on the 8-column state, then the next round's constant."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19,
        b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31, b32, b33, b34, b35, b36, b37,
        b38, b39, b40, b41, b42, b43, b44, b45, b46, b47, b48, b49, b50, b51, b52, b53, b54, b55,
        b56, b57, b58, b59, b60, b61, b62, b63,
    ) = b
    k0, k1, k2, k3, k4, k5, k6, k7 = k
    return _PACK8(
        t0[b0] ^ t1[b57] ^ t2[b50] ^ t3[b43] ^ t4[b36] ^ t5[b29] ^ t6[b22] ^ t7[b15] ^ k0,
        t0[b8] ^ t1[b1] ^ t2[b58] ^ t3[b51] ^ t4[b44] ^ t5[b37] ^ t6[b30] ^ t7[b23] ^ k1,
        t0[b16] ^ t1[b9] ^ t2[b2] ^ t3[b59] ^ t4[b52] ^ t5[b45] ^ t6[b38] ^ t7[b31] ^ k2,
        t0[b24] ^ t1[b17] ^ t2[b10] ^ t3[b3] ^ t4[b60] ^ t5[b53] ^ t6[b46] ^ t7[b39] ^ k3,
        t0[b32] ^ t1[b25] ^ t2[b18] ^ t3[b11] ^ t4[b4] ^ t5[b61] ^ t6[b54] ^ t7[b47] ^ k4,
        t0[b40] ^ t1[b33] ^ t2[b26] ^ t3[b19] ^ t4[b12] ^ t5[b5] ^ t6[b62] ^ t7[b55] ^ k5,
        t0[b48] ^ t1[b41] ^ t2[b34] ^ t3[b27] ^ t4[b20] ^ t5[b13] ^ t6[b6] ^ t7[b63] ^ k6,
        t0[b56] ^ t1[b49] ^ t2[b42] ^ t3[b35] ^ t4[b28] ^ t5[b21] ^ t6[b14] ^ t7[b7] ^ k7,
    )


def _add_round8(b: bytes, k: tuple[int, ...]) -> bytes:
    """One T_plus round on the 8-column state, then the next round's constant."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19,
        b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31, b32, b33, b34, b35, b36, b37,
        b38, b39, b40, b41, b42, b43, b44, b45, b46, b47, b48, b49, b50, b51, b52, b53, b54, b55,
        b56, b57, b58, b59, b60, b61, b62, b63,
    ) = b
    k0, k1, k2, k3, k4, k5, k6, k7 = k
    m = _M64
    return _PACK8(
        ((t0[b0] ^ t1[b57] ^ t2[b50] ^ t3[b43] ^ t4[b36] ^ t5[b29] ^ t6[b22] ^ t7[b15]) + k0) & m,
        ((t0[b8] ^ t1[b1] ^ t2[b58] ^ t3[b51] ^ t4[b44] ^ t5[b37] ^ t6[b30] ^ t7[b23]) + k1) & m,
        ((t0[b16] ^ t1[b9] ^ t2[b2] ^ t3[b59] ^ t4[b52] ^ t5[b45] ^ t6[b38] ^ t7[b31]) + k2) & m,
        ((t0[b24] ^ t1[b17] ^ t2[b10] ^ t3[b3] ^ t4[b60] ^ t5[b53] ^ t6[b46] ^ t7[b39]) + k3) & m,
        ((t0[b32] ^ t1[b25] ^ t2[b18] ^ t3[b11] ^ t4[b4] ^ t5[b61] ^ t6[b54] ^ t7[b47]) + k4) & m,
        ((t0[b40] ^ t1[b33] ^ t2[b26] ^ t3[b19] ^ t4[b12] ^ t5[b5] ^ t6[b62] ^ t7[b55]) + k5) & m,
        ((t0[b48] ^ t1[b41] ^ t2[b34] ^ t3[b27] ^ t4[b20] ^ t5[b13] ^ t6[b6] ^ t7[b63]) + k6) & m,
        ((t0[b56] ^ t1[b49] ^ t2[b42] ^ t3[b35] ^ t4[b28] ^ t5[b21] ^ t6[b14] ^ t7[b7]) + k7) & m,
    )


def _xor_round16(b: bytes, k: tuple[int, ...]) -> bytes:
    """One T_xor round on the 16-column state, then the next round's constant."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19,
        b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31, b32, b33, b34, b35, b36, b37,
        b38, b39, b40, b41, b42, b43, b44, b45, b46, b47, b48, b49, b50, b51, b52, b53, b54, b55,
        b56, b57, b58, b59, b60, b61, b62, b63, b64, b65, b66, b67, b68, b69, b70, b71, b72, b73,
        b74, b75, b76, b77, b78, b79, b80, b81, b82, b83, b84, b85, b86, b87, b88, b89, b90, b91,
        b92, b93, b94, b95, b96, b97, b98, b99, b100, b101, b102, b103, b104, b105, b106, b107,
        b108, b109, b110, b111, b112, b113, b114, b115, b116, b117, b118, b119, b120, b121, b122,
        b123, b124, b125, b126, b127,
    ) = b
    (
        k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15,
    ) = k
    return _PACK16(
        t0[b0] ^ t1[b121] ^ t2[b114] ^ t3[b107] ^ t4[b100] ^ t5[b93] ^ t6[b86] ^ t7[b47] ^ k0,
        t0[b8] ^ t1[b1] ^ t2[b122] ^ t3[b115] ^ t4[b108] ^ t5[b101] ^ t6[b94] ^ t7[b55] ^ k1,
        t0[b16] ^ t1[b9] ^ t2[b2] ^ t3[b123] ^ t4[b116] ^ t5[b109] ^ t6[b102] ^ t7[b63] ^ k2,
        t0[b24] ^ t1[b17] ^ t2[b10] ^ t3[b3] ^ t4[b124] ^ t5[b117] ^ t6[b110] ^ t7[b71] ^ k3,
        t0[b32] ^ t1[b25] ^ t2[b18] ^ t3[b11] ^ t4[b4] ^ t5[b125] ^ t6[b118] ^ t7[b79] ^ k4,
        t0[b40] ^ t1[b33] ^ t2[b26] ^ t3[b19] ^ t4[b12] ^ t5[b5] ^ t6[b126] ^ t7[b87] ^ k5,
        t0[b48] ^ t1[b41] ^ t2[b34] ^ t3[b27] ^ t4[b20] ^ t5[b13] ^ t6[b6] ^ t7[b95] ^ k6,
        t0[b56] ^ t1[b49] ^ t2[b42] ^ t3[b35] ^ t4[b28] ^ t5[b21] ^ t6[b14] ^ t7[b103] ^ k7,
        t0[b64] ^ t1[b57] ^ t2[b50] ^ t3[b43] ^ t4[b36] ^ t5[b29] ^ t6[b22] ^ t7[b111] ^ k8,
        t0[b72] ^ t1[b65] ^ t2[b58] ^ t3[b51] ^ t4[b44] ^ t5[b37] ^ t6[b30] ^ t7[b119] ^ k9,
        t0[b80] ^ t1[b73] ^ t2[b66] ^ t3[b59] ^ t4[b52] ^ t5[b45] ^ t6[b38] ^ t7[b127] ^ k10,
        t0[b88] ^ t1[b81] ^ t2[b74] ^ t3[b67] ^ t4[b60] ^ t5[b53] ^ t6[b46] ^ t7[b7] ^ k11,
        t0[b96] ^ t1[b89] ^ t2[b82] ^ t3[b75] ^ t4[b68] ^ t5[b61] ^ t6[b54] ^ t7[b15] ^ k12,
        t0[b104] ^ t1[b97] ^ t2[b90] ^ t3[b83] ^ t4[b76] ^ t5[b69] ^ t6[b62] ^ t7[b23] ^ k13,
        t0[b112] ^ t1[b105] ^ t2[b98] ^ t3[b91] ^ t4[b84] ^ t5[b77] ^ t6[b70] ^ t7[b31] ^ k14,
        t0[b120] ^ t1[b113] ^ t2[b106] ^ t3[b99] ^ t4[b92] ^ t5[b85] ^ t6[b78] ^ t7[b39] ^ k15,
    )


def _add_round16(b: bytes, k: tuple[int, ...]) -> bytes:
    """One T_plus round on the 16-column state, then the next round's constant."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19,
        b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31, b32, b33, b34, b35, b36, b37,
        b38, b39, b40, b41, b42, b43, b44, b45, b46, b47, b48, b49, b50, b51, b52, b53, b54, b55,
        b56, b57, b58, b59, b60, b61, b62, b63, b64, b65, b66, b67, b68, b69, b70, b71, b72, b73,
        b74, b75, b76, b77, b78, b79, b80, b81, b82, b83, b84, b85, b86, b87, b88, b89, b90, b91,
        b92, b93, b94, b95, b96, b97, b98, b99, b100, b101, b102, b103, b104, b105, b106, b107,
        b108, b109, b110, b111, b112, b113, b114, b115, b116, b117, b118, b119, b120, b121, b122,
        b123, b124, b125, b126, b127,
    ) = b
    (
        k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15,
    ) = k
    m = _M64
    return _PACK16(
        ((t0[b0] ^ t1[b121] ^ t2[b114] ^ t3[b107]
        ^ t4[b100] ^ t5[b93] ^ t6[b86] ^ t7[b47]) + k0) & m,
        ((t0[b8] ^ t1[b1] ^ t2[b122] ^ t3[b115]
        ^ t4[b108] ^ t5[b101] ^ t6[b94] ^ t7[b55]) + k1) & m,
        ((t0[b16] ^ t1[b9] ^ t2[b2] ^ t3[b123]
        ^ t4[b116] ^ t5[b109] ^ t6[b102] ^ t7[b63]) + k2) & m,
        ((t0[b24] ^ t1[b17] ^ t2[b10] ^ t3[b3]
        ^ t4[b124] ^ t5[b117] ^ t6[b110] ^ t7[b71]) + k3) & m,
        ((t0[b32] ^ t1[b25] ^ t2[b18] ^ t3[b11] ^ t4[b4] ^ t5[b125] ^ t6[b118] ^ t7[b79]) + k4) & m,
        ((t0[b40] ^ t1[b33] ^ t2[b26] ^ t3[b19] ^ t4[b12] ^ t5[b5] ^ t6[b126] ^ t7[b87]) + k5) & m,
        ((t0[b48] ^ t1[b41] ^ t2[b34] ^ t3[b27] ^ t4[b20] ^ t5[b13] ^ t6[b6] ^ t7[b95]) + k6) & m,
        ((t0[b56] ^ t1[b49] ^ t2[b42] ^ t3[b35] ^ t4[b28] ^ t5[b21] ^ t6[b14] ^ t7[b103]) + k7) & m,
        ((t0[b64] ^ t1[b57] ^ t2[b50] ^ t3[b43] ^ t4[b36] ^ t5[b29] ^ t6[b22] ^ t7[b111]) + k8) & m,
        ((t0[b72] ^ t1[b65] ^ t2[b58] ^ t3[b51] ^ t4[b44] ^ t5[b37] ^ t6[b30] ^ t7[b119]) + k9) & m,
        ((t0[b80] ^ t1[b73] ^ t2[b66] ^ t3[b59]
        ^ t4[b52] ^ t5[b45] ^ t6[b38] ^ t7[b127]) + k10) & m,
        ((t0[b88] ^ t1[b81] ^ t2[b74] ^ t3[b67] ^ t4[b60] ^ t5[b53] ^ t6[b46] ^ t7[b7]) + k11) & m,
        ((t0[b96] ^ t1[b89] ^ t2[b82] ^ t3[b75] ^ t4[b68] ^ t5[b61] ^ t6[b54] ^ t7[b15]) + k12) & m,
        ((t0[b104] ^ t1[b97] ^ t2[b90] ^ t3[b83]
        ^ t4[b76] ^ t5[b69] ^ t6[b62] ^ t7[b23]) + k13) & m,
        ((t0[b112] ^ t1[b105] ^ t2[b98] ^ t3[b91]
        ^ t4[b84] ^ t5[b77] ^ t6[b70] ^ t7[b31]) + k14) & m,
        ((t0[b120] ^ t1[b113] ^ t2[b106] ^ t3[b99]
        ^ t4[b92] ^ t5[b85] ^ t6[b78] ^ t7[b39]) + k15) & m,
    )
# fmt: on


class _Shape:
    """What differs between the 8- and the 16-column state."""

    __slots__ = (
        "add_first",
        "add_next",
        "add_round",
        "block_size",
        "columns",
        "pack",
        "unpack",
        "xor_first",
        "xor_next",
        "xor_round",
    )

    def __init__(
        self,
        columns: int,
        rounds: int,
        xor_round: Callable[[bytes, tuple[int, ...]], bytes],
        add_round: Callable[[bytes, tuple[int, ...]], bytes],
    ):
        self.columns = columns
        self.block_size = 8 * columns
        st = struct.Struct(f"<{columns}Q")
        self.pack = st.pack
        self.unpack = st.unpack
        self.xor_round = xor_round
        self.add_round = add_round
        xor_constants = [tuple((j << 4) ^ v for j in range(columns)) for v in range(rounds)]
        add_constants = [
            tuple(
                0x00F0F0F0F0F0F0F3 ^ ((((columns - 1 - j) << 4) ^ v) << 56) for j in range(columns)
            )
            for v in range(rounds)
        ]
        # Round v applies the constant of round v + 1 at its end; the last one adds nothing.
        nothing = (0,) * columns
        self.xor_first = xor_constants[0]
        self.xor_next = (*xor_constants[1:], nothing)
        self.add_first = add_constants[0]
        self.add_next = (*add_constants[1:], nothing)


_SHAPE8 = _Shape(8, 10, _xor_round8, _add_round8)
_SHAPE16 = _Shape(16, 14, _xor_round16, _add_round16)


def _t_xor(shape: _Shape, s: Iterable[int]) -> tuple[int, ...]:
    rnd = shape.xor_round
    b = shape.pack(*map(xor, s, shape.xor_first))
    for k in shape.xor_next:
        b = rnd(b, k)
    return shape.unpack(b)


def _t_plus(shape: _Shape, s: Iterable[int]) -> tuple[int, ...]:
    rnd = shape.add_round
    b = shape.pack(*map(_M64.__and__, map(add, s, shape.add_first)))
    for k in shape.add_next:
        b = rnd(b, k)
    return shape.unpack(b)


def _compress(shape: _Shape, h: tuple[int, ...], data: bytes | memoryview) -> tuple[int, ...]:
    """h' = T_xor(h ^ m) ^ T_plus(m) ^ h over every whole block of `data`."""
    unpack, size = shape.unpack, shape.block_size
    for off in range(0, len(data) - size + 1, size):
        m = unpack(data[off : off + size])
        p = _t_xor(shape, map(xor, h, m))
        q = _t_plus(shape, m)
        h = tuple(map(xor, map(xor, p, q), h))
    return h


@cache
def _ready(ext: ModuleType) -> ModuleType:
    """The C kernels, given the S-boxes once (they are defined here only)."""
    ext.kupyna_init(b"".join(_SBOXES))
    return ext


def _compress_any(shape: _Shape, h: tuple[int, ...], data: bytes | memoryview) -> tuple[int, ...]:
    """`_compress` on the C kernels when they are in use (identical results), else in Python."""
    ext = native.kernels()
    if ext is None:
        return _compress(shape, h, data)
    return shape.unpack(_ready(ext).kupyna_compress(shape.pack(*h), data))


def _final_any(shape: _Shape, h: tuple[int, ...]) -> bytes:
    """T_xor(h) ^ h, packed: the output transformation."""
    ext = native.kernels()
    if ext is None:
        return shape.pack(*map(xor, _t_xor(shape, h), h))
    return bytes(_ready(ext).kupyna_final(shape.pack(*h)))


class Kupyna:
    """Incremental Kupyna hash, hashlib-style (`update`, `digest`, `hexdigest`, `copy`).

    `bits` is the digest length: 256, 384 or 512 (any multiple of 8 up to 512 is accepted, as
    the standard allows; lengths up to 256 use the 8-column state).
    """

    __slots__ = ("_buf", "_h", "_length", "_shape", "digest_size")

    def __init__(self, data: bytes | bytearray | memoryview = b"", *, bits: int = 256):
        if bits % 8 or not 8 <= bits <= 512:
            raise ValueError(f"Kupyna digest length must be a multiple of 8 in 8..512, not {bits}")
        self.digest_size = bits // 8
        self._shape = _SHAPE8 if bits <= 256 else _SHAPE16
        iv = [0] * self._shape.columns
        iv[0] = self._shape.block_size  # the first state byte is the state size in bytes
        self._h = tuple(iv)
        self._length = 0
        self._buf = b""
        if data:
            self.update(data)

    @property
    def name(self) -> str:
        return f"kupyna{self.digest_size * 8}"

    @property
    def block_size(self) -> int:
        return self._shape.block_size

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        n = len(view)
        if not n:
            return
        size = self._shape.block_size
        self._length += n
        start = 0
        if self._buf:
            need = size - len(self._buf)
            if n < need:
                self._buf += view.tobytes()
                return
            self._h = _compress_any(self._shape, self._h, self._buf + view[:need].tobytes())
            self._buf = b""
            start = need
        end = start + (n - start) // size * size
        if end > start:
            self._h = _compress_any(self._shape, self._h, view[start:end])
        self._buf = view[end:].tobytes()

    def digest(self) -> bytes:
        shape = self._shape
        size = shape.block_size
        bit_length = self._length * 8
        zeros = (-bit_length - 97) % (size * 8) // 8
        tail = (
            self._buf
            + b"\x80"
            + bytes(zeros)
            + (bit_length & ((1 << 96) - 1)).to_bytes(12, "little")
        )
        h = _compress_any(shape, self._h, tail)
        out = _final_any(shape, h)
        return out[size - self.digest_size :]

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> Kupyna:
        other = Kupyna.__new__(type(self))
        other.digest_size = self.digest_size
        other._shape, other._h, other._length, other._buf = (
            self._shape,
            self._h,
            self._length,
            self._buf,
        )
        return other


class Kupyna256(Kupyna):
    """Kupyna-256 (OID 1.2.804.2.1.1.1.1.2.2.1)."""

    __slots__ = ()

    def __init__(self, data: bytes | bytearray | memoryview = b""):
        super().__init__(data, bits=256)


class Kupyna384(Kupyna):
    """Kupyna-384 (OID 1.2.804.2.1.1.1.1.2.2.2)."""

    __slots__ = ()

    def __init__(self, data: bytes | bytearray | memoryview = b""):
        super().__init__(data, bits=384)


class Kupyna512(Kupyna):
    """Kupyna-512 (OID 1.2.804.2.1.1.1.1.2.2.3)."""

    __slots__ = ()

    def __init__(self, data: bytes | bytearray | memoryview = b""):
        super().__init__(data, bits=512)


KupynaHash = Kupyna
"""The name the verifier's algorithm table asks for first; the same class."""


def kupyna(data: bytes | bytearray | memoryview, bits: int = 256) -> bytes:
    """One-shot Kupyna digest of `data`, `bits` long (256, 384 or 512)."""
    return Kupyna(data, bits=bits).digest()
