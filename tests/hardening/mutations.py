"""Hypothesis strategies that damage real inputs the way fuzzers do.

Random bytes rarely get past the first length check of a DER or MIME parser; mutations of real
inputs (byte flips, boundary values, cuts, splices, DER length edits) reach the deep code paths
where defects live. Every strategy starts from a real seed and draws a short list of edits.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

#: Byte values that tend to sit on boundaries (lengths, tags, high-bit, ASCII delimiters).
INTERESTING = (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0A, 0x0D, 0x1F, 0x20, 0x22, 0x2D, 0x2E,
               0x30, 0x31, 0x3D, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xA0, 0xFE, 0xFF)  # fmt: skip
#: Tags whose length octets the "der_len" edit rewrites (SEQUENCE, SET, OCTET STRING, [0], INT).
_DER_TAGS = frozenset((0x30, 0x31, 0x04, 0xA0, 0x02))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes], max_edits: int = 4) -> bytes:
    """A seed with 0..max_edits random edits (0 keeps it intact: the parser must accept it)."""
    data = bytearray(draw(st.sampled_from(list(seeds))))
    for _ in range(draw(st.integers(0, max_edits))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=16))
            continue
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(
            st.sampled_from(["flip", "set", "cut", "delete", "insert", "dup", "der_len", "tail"])
        )
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from(INTERESTING))
        elif kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "dup":
            n = draw(st.integers(1, 256))
            data[at:at] = data[at : at + n] * draw(st.integers(1, 8))
        elif kind == "der_len":
            # Find the next SEQUENCE/SET/OCTET STRING/context tag and rewrite its length octets.
            idx = next((i for i in range(at, len(data) - 1) if data[i] in _DER_TAGS), None)
            if idx is not None:
                data[idx + 1] = draw(st.sampled_from((0x00, 0x7F, 0x80, 0x81, 0x84, 0x89, 0xFF)))
        else:
            data += draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


def text_mutated(seeds: Sequence[str], alphabet: str) -> st.SearchStrategy[str]:
    """A seed string with characters inserted, replaced or deleted from `alphabet`."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = list(draw(st.sampled_from(list(seeds))))
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["insert", "replace", "delete"]))
            ch = draw(st.sampled_from(alphabet))
            if kind == "insert" or not text:
                text.insert(at, ch)
            elif kind == "replace":
                text[min(at, len(text) - 1)] = ch
            else:
                del text[min(at, len(text) - 1)]
        return "".join(text)

    return build()
