"""The content field's posting values: positions as varints, short values shared.

Whoosh's Positions format stores each posting's positions as a pickle of their deltas behind a
4-byte count (13 to 20 bytes for one position), and its posting blocks pickle the tuple of a
block's values with protocol 2, which writes every byte string as a call of `_codecs.encode`:
unpickling those calls was most of the time of a phrase query (issue 15), since a phrase reads
its words' lists with their positions (30 to 40 µs per block of 128 postings, then a second
`pickle.loads` per candidate document to read its positions).

`VarintPositions` stores the deltas as unsigned LEB128 varints (one byte per position below 128
words apart), and gives the same bytes object for equal values of at most `SHARED_BYTES` bytes
(one or two nearby positions: most postings of a copy made from a template, such as a name at
its place in every passport copy). Pickle writes an object it has already written in the same
pickle as a two-byte reference to it, so a block of such postings holds each distinct value once:
the blocks of a name's list came out less than half as large and unpickle four times faster.

Sharing is a property of the objects handed to Whoosh, not of the decoded values, so both
writers must give the same object for equal short values: Whoosh's writer through `encode`, the
bulk writer (search.whoosh_bulk) through `shared`. Whoosh's segment merges and a writer pool
spilled to disk (past its memory limit) write copies instead: the blocks are then larger but
read back the same values.
"""

from __future__ import annotations

from itertools import accumulate

from whoosh import formats

#: Values of at most this many bytes are shared (one object per distinct value); at most
#: 256 + 65,536 of them, of a few dozen bytes each, in a process's lifetime.
SHARED_BYTES = 2

#: The shared values, one table per process (an interning table, like sys.intern's: what is in
#: it never changes a result). Module-level because Whoosh calls `encode` on the format object
#: unpickled with each index's schema; a block is written by one process, whose table decides
#: which of its values are one object.
_SHARED: dict[bytes, bytes] = {}
#: Bytes 128 to 255: a varint's bytes that are not its last.
_CONTINUED = bytes(range(128, 256))


def shared(value: bytes) -> bytes:
    """The one object standing for `value` if it is short (see the module), else a copy of
    it: an object of its own, as Whoosh's writer has for every longer value."""
    if len(value) <= SHARED_BYTES:
        return _SHARED.setdefault(value, value)
    return bytes(bytearray(value))


def pack_positions(positions: list[int]) -> bytes:
    """Ascending positions as the varints of their deltas (the first from 0)."""
    out = bytearray()
    base = 0
    for p in positions:
        delta = p - base
        base = p
        while delta >= 0x80:
            out.append(delta & 0x7F | 0x80)
            delta >>= 7
        out.append(delta)
    value = bytes(out)
    if len(value) <= SHARED_BYTES:
        return _SHARED.setdefault(value, value)
    return value


def unpack_positions(value: bytes) -> list[int]:
    """The positions pack_positions packed."""
    if value.isascii():  # every delta below 128: one byte each (the usual case)
        return list(accumulate(value))
    out: list[int] = []
    position = delta = shift = 0
    for byte in value:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            position += delta
            out.append(position)
            delta = shift = 0
    return out


def position_count(value: bytes) -> int:
    """How many positions a packed value holds (its varints' last bytes)."""
    return len(value) if value.isascii() else len(value.translate(None, _CONTINUED))


class VarintPositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's Positions format (frequency, weight and positions of each posting; position
    boosts always 1) with the values of this module (its weight and position boosts are
    made from these two decoders)."""

    def encode(self, poslist: list[int]) -> bytes:
        return pack_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return unpack_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return position_count(valuestring)
