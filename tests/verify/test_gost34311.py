"""GOST 34.311-95: known answers, S-box forms, a plain reference to compare with, and properties.

Known answers come from `tests/vectors/gost34311/kat.json` (DKE No.1). The plain reference
below follows the standard's description byte by byte (no tables, no ints wider than 32 bits),
so comparing it with the fast module on random inputs and random S-boxes checks the precomputed
round tables, the packed S-box layout and the key schedule, not just the default S-box.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import FormatError, VerifyError
from verify.gost34311 import (
    DKE1_SBOX,
    Gost34311,
    Gost34311Hash,
    gost34311,
    normalize_sbox,
    pack_sbox,
    unpack_sbox,
)

# Every known answer and tamper test runs on the C kernels and on pure Python (conftest.py).
pytestmark = pytest.mark.usefixtures("kernels")

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
KAT = json.loads((VECTORS / "gost34311" / "kat.json").read_text())
KAT_NIBBLES = bytes.fromhex(KAT["sbox_dke1_nibbles_hex"])
KAT_TABLE = tuple(tuple(KAT_NIBBLES[16 * r : 16 * r + 16]) for r in range(8))


def _input(vector: dict[str, str]) -> bytes:
    if "input_ascii" in vector:
        return vector["input_ascii"].encode("ascii")
    return bytes.fromhex(vector["input_hex"])


Table = Sequence[Sequence[int]]


def _random_table(rng: random.Random) -> list[list[int]]:
    rows = []
    for _ in range(8):
        row = list(range(16))
        rng.shuffle(row)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Plain reference: GOST R 34.11-94 / GOST 34.311-95 on byte lists, as the standard describes it.


def _ref_f(table: Table, x: int) -> int:
    y = 0
    for p in range(8):  # nibble p through row 7 - p
        y |= table[7 - p][(x >> (4 * p)) & 0xF] << (4 * p)
    return ((y << 11) | (y >> 21)) & 0xFFFFFFFF


def _ref_encrypt(table: Table, key: bytes, block: bytes) -> bytes:
    k = [int.from_bytes(key[4 * i : 4 * i + 4], "little") for i in range(8)]
    n1 = int.from_bytes(block[:4], "little")
    n2 = int.from_bytes(block[4:], "little")
    for i, ki in enumerate(k * 3 + k[::-1]):
        if i % 2 == 0:
            n2 ^= _ref_f(table, (n1 + ki) & 0xFFFFFFFF)
        else:
            n1 ^= _ref_f(table, (n2 + ki) & 0xFFFFFFFF)
    return n2.to_bytes(4, "little") + n1.to_bytes(4, "little")


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _ref_a(y: bytes) -> bytes:
    return y[8:] + _xor(y[:8], y[8:16])


def _ref_p(w: bytes) -> bytes:
    k = bytearray(32)
    for i in range(4):
        for j in range(8):
            k[i + 4 * j] = w[8 * i + j]
    return bytes(k)


def _ref_psi(y: bytes) -> bytes:
    lo = y[0] ^ y[2] ^ y[4] ^ y[6] ^ y[24] ^ y[30]
    hi = y[1] ^ y[3] ^ y[5] ^ y[7] ^ y[25] ^ y[31]
    return y[2:] + bytes([lo, hi])


_C3_BYTES = bytes(
    0xFF if i in (1, 3, 5, 7, 8, 10, 12, 14, 17, 18, 20, 23, 24, 28, 29, 31) else 0
    for i in range(32)
)


def _ref_step(table: Table, h: bytes, m: bytes) -> bytes:
    u, v = h, m
    s = b""
    for j in range(4):
        if j:
            u = _ref_a(u)
            if j == 2:
                u = _xor(u, _C3_BYTES)
            v = _ref_a(_ref_a(v))
        s += _ref_encrypt(table, _ref_p(_xor(u, v)), h[8 * j : 8 * j + 8])
    for _ in range(12):
        s = _ref_psi(s)
    s = _ref_psi(_xor(s, m))
    s = _xor(s, h)
    for _ in range(61):
        s = _ref_psi(s)
    return s


def _ref_hash(data: bytes, table: Table) -> bytes:
    h = bytes(32)
    sigma = 0
    blocks = [data[i : i + 32] for i in range(0, len(data), 32)]
    for block in blocks:
        block = block.ljust(32, b"\0")
        h = _ref_step(table, h, block)
        sigma = (sigma + int.from_bytes(block, "little")) % (1 << 256)
    h = _ref_step(table, h, (8 * len(data)).to_bytes(32, "little"))
    return _ref_step(table, h, sigma.to_bytes(32, "little"))


# --------------------------------------------------------------------------------------------
# Known answers


@pytest.mark.parametrize("vector", KAT["vectors"], ids=lambda v: _input(v)[:12].decode("latin1"))
def test_known_answers(vector: dict[str, str]) -> None:
    data = _input(vector)
    assert gost34311(data).hex() == vector["digest"]
    assert Gost34311(data, sbox=DKE1_SBOX).hexdigest() == vector["digest"]
    assert Gost34311(data, sbox=KAT_NIBBLES).hexdigest() == vector["digest"]
    assert Gost34311(data, sbox=KAT_TABLE).hexdigest() == vector["digest"]
    # The reference computes the same answers (so it can vouch for other S-boxes below).
    assert _ref_hash(data, KAT_TABLE).hex() == vector["digest"]


def test_known_answer_with_a_one_bit_change_differs() -> None:
    vector = KAT["vectors"][0]
    data = bytearray(_input(vector))
    data[5] ^= 0x01
    assert gost34311(bytes(data)).hex() != vector["digest"]


# --------------------------------------------------------------------------------------------
# S-box forms


def test_unpacking_dke1_gives_the_known_answer_table() -> None:
    assert unpack_sbox(DKE1_SBOX) == KAT_TABLE
    assert pack_sbox(KAT_TABLE) == DKE1_SBOX
    assert normalize_sbox(None) == DKE1_SBOX
    assert normalize_sbox(KAT_NIBBLES) == DKE1_SBOX
    assert normalize_sbox(bytearray(DKE1_SBOX)) == DKE1_SBOX
    assert normalize_sbox(memoryview(DKE1_SBOX)) == DKE1_SBOX
    # The well-known packed form: row 7 first, two nibbles a byte, high nibble first.
    assert DKE1_SBOX[:4] == bytes.fromhex("a9d6eb45")
    assert DKE1_SBOX[-4:] == bytes.fromhex("fac57904")


def test_pack_and_unpack_are_inverse_on_random_sboxes() -> None:
    rng = random.Random(7)
    for _ in range(20):
        table = _random_table(rng)
        packed = pack_sbox(table)
        assert len(packed) == 64
        assert unpack_sbox(packed) == tuple(tuple(r) for r in table)


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 100, 127, 129, 256])
def test_bad_sbox_length_raises_format_error(length: int) -> None:
    bad = bytes(range(16)) * (length // 16) + bytes(length % 16)
    with pytest.raises(FormatError) as info:
        Gost34311(sbox=bad)
    assert info.value.reason == "FORMAT_FAILURE"
    assert isinstance(info.value, VerifyError)
    with pytest.raises(FormatError):
        gost34311(b"abc", sbox=bad)
    with pytest.raises(FormatError):
        normalize_sbox(bad)
    with pytest.raises(FormatError):
        unpack_sbox(bad)


@pytest.mark.parametrize(
    "table",
    [
        [list(range(16))] * 7,  # 7 rows
        [list(range(16))] * 9,  # 9 rows
        [list(range(16))] * 7 + [list(range(15))],  # a short row
        [list(range(16))] * 7 + [[*range(15), 16]],  # a value out of range
        [list(range(16))] * 7 + [[0] * 16],  # not a permutation
        [list(range(16))] * 7 + ["abcdefghijklmnop"],  # not ints
    ],
)
def test_bad_sbox_table_raises_format_error(table: list[list[int]]) -> None:
    with pytest.raises(FormatError):
        Gost34311(sbox=table)
    with pytest.raises(FormatError):
        pack_sbox(table)


def test_bad_nibble_forms_raise_format_error() -> None:
    out_of_range = bytearray(KAT_NIBBLES)
    out_of_range[3] = 0x10
    with pytest.raises(FormatError):
        Gost34311(sbox=bytes(out_of_range))
    repeated = bytearray(DKE1_SBOX)
    repeated[0] = 0x00  # row 7 now holds 0 twice
    with pytest.raises(FormatError):
        Gost34311(sbox=bytes(repeated))
    with pytest.raises(FormatError):
        Gost34311(sbox="a9d6" * 32)  # type: ignore[arg-type]


def test_another_sbox_gives_another_digest() -> None:
    table = _random_table(random.Random(1))
    data = b"The same data under two S-boxes"
    assert gost34311(data, sbox=pack_sbox(table)) != gost34311(data)


def test_matches_the_reference_on_random_sboxes_and_lengths() -> None:
    """Random S-boxes (as the packed `dke` a certificate carries) and lengths around blocks."""
    rng = random.Random(20260501)
    for length in (0, 1, 31, 32, 33, 64, 65, 97):
        table = _random_table(rng)
        data = rng.randbytes(length)
        expected = _ref_hash(data, table)
        assert gost34311(data, sbox=pack_sbox(table)) == expected
        assert gost34311(data, sbox=table) == expected


def test_class_interface() -> None:
    h = Gost34311Hash()
    assert h.digest_size == 32 and h.block_size == 32 and h.name == "gost34311"
    assert h.sbox == DKE1_SBOX
    h.update(b"12312")
    twin = h.copy()
    h.update(b"3")
    assert h.hexdigest() == KAT["vectors"][2]["digest"]  # "123123"
    assert h.digest() == h.digest()  # digest() does not consume the state
    twin.update(b"4")
    assert twin.digest() != h.digest()
    assert twin.digest() == gost34311(b"123124")
    assert Gost34311(bytearray(b"test")).hexdigest() == KAT["vectors"][4]["digest"]
    assert Gost34311(memoryview(b"test")).hexdigest() == KAT["vectors"][4]["digest"]


# --------------------------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("length", [1, 8, 31, 32, 33, 64, 100, 257])
def test_every_one_bit_change_changes_the_digest(length: int) -> None:
    rng = random.Random(length)
    data = rng.randbytes(length)
    base = gost34311(data)
    positions = sorted({0, length - 1, length // 2, *(rng.randrange(length) for _ in range(5))})
    seen = {base}
    for pos in positions:
        for bit in (0, 3, 7):
            changed = bytearray(data)
            changed[pos] ^= 1 << bit
            digest = gost34311(bytes(changed))
            assert digest not in seen, (pos, bit)
            seen.add(digest)
    # Appending a zero byte (the same padded block, another length) changes it too.
    assert gost34311(data + b"\0") not in seen


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=6))
def test_incremental_updates_equal_one_shot(data: bytes, cuts: list[int]) -> None:
    h = Gost34311()
    prev = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        h.update(data[prev:cut])
        prev = cut
    h.update(data[prev:])
    assert h.digest() == gost34311(data)


def test_random_chunk_splits_of_a_longer_message() -> None:
    rng = random.Random(99)
    data = rng.randbytes(1000)
    expected = gost34311(data)
    for _ in range(5):
        h = Gost34311()
        pos = 0
        while pos < len(data):
            step = rng.choice((1, 2, 5, 31, 32, 33, 64, 100, 333))
            h.update(data[pos : pos + step])
            pos += step
        assert h.digest() == expected
