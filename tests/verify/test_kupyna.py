"""Kupyna (DSTU 7564:2014): known answers, a plain reference to compare with, and properties.

Known answers come from `tests/vectors/kupyna/kat.json`. None of them makes the padding
spill into a second block (a tail of more than block - 13 bytes), so the plain byte-by-byte
reference below, written from the standard's description (S-boxes, row shift, MDS by GF(2^8)
multiplication), covers those lengths and checks the table-driven rounds independently.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.kupyna import Kupyna, Kupyna256, Kupyna384, Kupyna512, KupynaHash, kupyna

# Every known answer and tamper test runs on the C kernels and on pure Python (conftest.py).
pytestmark = pytest.mark.usefixtures("kernels")

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
KAT = json.loads((VECTORS / "kupyna" / "kat.json").read_text())


# --------------------------------------------------------------------------------------------
# Plain reference


def _sboxes() -> list[bytes]:
    from verify import kupyna as module

    return list(module._SBOXES)


_MDS = (0x01, 0x01, 0x05, 0x01, 0x08, 0x06, 0x07, 0x04)


def _gf(x: int, y: int) -> int:
    r = 0
    for _ in range(8):
        if y & 1:
            r ^= x
        x = (x << 1) ^ (0x11D if x & 0x80 else 0)
        y >>= 1
    return r


_MUL = {c: [_gf(x, c) for x in range(256)] for c in set(_MDS)}


def _ref_round(state: list[list[int]], sboxes: list[bytes]) -> list[list[int]]:
    cols = len(state)
    subbed = [[sboxes[i % 4][state[j][i]] for i in range(8)] for j in range(cols)]
    shifted = [[0] * 8 for _ in range(cols)]
    for i in range(8):
        shift = 11 if (i == 7 and cols == 16) else i
        for j in range(cols):
            shifted[(j + shift) % cols][i] = subbed[j][i]
    out = []
    for col in shifted:
        out.append(
            [_xor_all(_MUL[_MDS[(b - row) % 8]][col[b]] for b in range(8)) for row in range(8)]
        )
    return out


def _xor_all(values: Iterable[int]) -> int:
    r = 0
    for v in values:
        r ^= v
    return r


def _ref_perm(state: list[list[int]], additive: bool, sboxes: list[bytes]) -> list[list[int]]:
    cols = len(state)
    rounds = 10 if cols == 8 else 14
    for v in range(rounds):
        if additive:
            for j in range(cols):
                word = int.from_bytes(bytes(state[j]), "little")
                const = 0x00F0F0F0F0F0F0F3 ^ ((((cols - j - 1) * 0x10) ^ v) << 56)
                state[j] = list(((word + const) % (1 << 64)).to_bytes(8, "little"))
        else:
            for j in range(cols):
                state[j][0] ^= (j * 0x10) ^ v
        state = _ref_round(state, sboxes)
    return state


def _ref_kupyna(data: bytes, bits: int) -> bytes:
    sboxes = _sboxes()
    size = 64 if bits <= 256 else 128
    cols = size // 8
    n = len(data) * 8
    zeros = ((-n - 97) % (size * 8)) // 8
    padded = data + b"\x80" + bytes(zeros) + n.to_bytes(12, "little")
    assert len(padded) % size == 0
    h = [[0] * 8 for _ in range(cols)]
    h[0][0] = size
    for off in range(0, len(padded), size):
        m = [list(padded[off + 8 * j : off + 8 * j + 8]) for j in range(cols)]
        mixed = [[h[j][i] ^ m[j][i] for i in range(8)] for j in range(cols)]
        p = _ref_perm(mixed, False, sboxes)
        q = _ref_perm([row[:] for row in m], True, sboxes)
        h = [[p[j][i] ^ q[j][i] ^ h[j][i] for i in range(8)] for j in range(cols)]
    t = _ref_perm([row[:] for row in h], False, sboxes)
    out = bytes(t[j][i] ^ h[j][i] for j in range(cols) for i in range(8))
    return out[size - bits // 8 :]


# --------------------------------------------------------------------------------------------
# Known answers


@pytest.mark.parametrize(
    "vector", KAT["vectors"], ids=lambda v: f"{v['bits']}-{len(v['input_hex']) // 2}B"
)
def test_known_answers(vector: dict[str, object]) -> None:
    data = bytes.fromhex(str(vector["input_hex"]))
    bits = int(str(vector["bits"]))
    expected = str(vector["digest"]).lower()
    assert kupyna(data, bits).hex() == expected
    assert Kupyna(data, bits=bits).hexdigest() == expected
    cls = {256: Kupyna256, 384: Kupyna384, 512: Kupyna512}[bits]
    assert cls(data).hexdigest() == expected
    assert _ref_kupyna(data, bits).hex() == expected


def test_known_answer_with_a_one_bit_change_differs() -> None:
    vector = KAT["vectors"][0]
    data = bytearray.fromhex(vector["input_hex"])
    data[0] ^= 0x80
    assert kupyna(bytes(data), 256).hex() != vector["digest"].lower()


@pytest.mark.parametrize("bits", [256, 384, 512])
@pytest.mark.parametrize("length", [50, 51, 52, 60, 63, 114, 115, 116, 127, 129])
def test_matches_the_reference_where_padding_spills_over(bits: int, length: int) -> None:
    data = random.Random(length * bits).randbytes(length)
    assert kupyna(data, bits) == _ref_kupyna(data, bits)


def test_other_digest_lengths_the_standard_allows() -> None:
    data = b"Kupyna"
    for bits in (8, 160, 224, 248, 264, 320, 504):
        digest = kupyna(data, bits)
        assert len(digest) == bits // 8
        assert digest == _ref_kupyna(data, bits)


@pytest.mark.parametrize("bits", [0, 7, 100, 520, 1024, -256])
def test_bad_digest_length_is_refused(bits: int) -> None:
    with pytest.raises(ValueError):
        Kupyna(bits=bits)


def test_class_interface() -> None:
    h = KupynaHash(bits=512)
    assert h.digest_size == 64 and h.block_size == 128 and h.name == "kupyna512"
    h256 = Kupyna256()
    assert h256.digest_size == 32 and h256.block_size == 64 and h256.name == "kupyna256"
    assert Kupyna384().digest_size == 48
    h256.update(b"\xff")
    twin = h256.copy()
    assert isinstance(twin, Kupyna256)
    ff = next(v for v in KAT["vectors"] if v["bits"] == 256 and v["input_hex"] == "FF")
    assert h256.hexdigest() == ff["digest"].lower()
    assert h256.digest() == h256.digest()  # digest() does not consume the state
    twin.update(b"\x00")
    assert twin.digest() == kupyna(b"\xff\x00", 256) != h256.digest()
    assert Kupyna(bytearray(b"\xff")).digest() == Kupyna(memoryview(b"\xff")).digest()


# --------------------------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("bits", [256, 384, 512])
@pytest.mark.parametrize("length", [1, 13, 51, 64, 65, 128, 200])
def test_every_one_bit_change_changes_the_digest(bits: int, length: int) -> None:
    rng = random.Random(bits + length)
    data = rng.randbytes(length)
    base = kupyna(data, bits)
    positions = sorted({0, length - 1, length // 2, *(rng.randrange(length) for _ in range(4))})
    seen = {base}
    for pos in positions:
        for bit in (0, 4, 7):
            changed = bytearray(data)
            changed[pos] ^= 1 << bit
            digest = kupyna(bytes(changed), bits)
            assert digest not in seen, (pos, bit)
            seen.add(digest)
    assert kupyna(data + b"\0", bits) not in seen


@settings(max_examples=25, deadline=None)
@given(
    bits=st.sampled_from([256, 384, 512]),
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=6),
)
def test_incremental_updates_equal_one_shot(bits: int, data: bytes, cuts: list[int]) -> None:
    h = Kupyna(bits=bits)
    prev = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        h.update(data[prev:cut])
        prev = cut
    h.update(data[prev:])
    assert h.digest() == kupyna(data, bits)


def test_random_chunk_splits_of_a_longer_message() -> None:
    rng = random.Random(5)
    data = rng.randbytes(1500)
    for bits in (256, 512):
        expected = kupyna(data, bits)
        for _ in range(3):
            h = Kupyna(bits=bits)
            pos = 0
            while pos < len(data):
                step = rng.choice((1, 3, 63, 64, 65, 127, 128, 129, 400))
                h.update(data[pos : pos + step])
                pos += step
            assert h.digest() == expected
