"""Whole segments written through Whoosh's own codec, without its posting pool.

Whoosh's writer sends every posting of every document through a pool: a tuple per posting,
pickled to temporary run files past its memory limit, sorted, merged and unpickled again at
commit, then handed to the codec one posting at a time with a column lookup for the document's
length. At 100,000 documents that was most of a rebuild's three minutes of CPU (issue 15).

`SegmentBuilder` keeps a segment's postings in memory grouped by term (its documents are added
in order, so each term's documents are already sorted) and hands them to the codec a block at a
time. The files are Whoosh's: its per-document writer stores fields, lengths and columns, its
field writer writes the term table, and its postings writer pickles and compresses each block
(`_write_block`). The builder only fills the block buffers that `add_posting` would have filled,
the same ids, weights, values and length statistics, so the bytes written are those of
`IndexWriter.add_document` plus `commit` (tests/search/test_whoosh_bulk.py compares the files).

Fields analysed by `PositionsTokenizer` ("a|b c": alternatives share a position) are tokenized
here with string splits instead of Whoosh's token objects; any other indexed field goes through
its own `index()`.
"""

from __future__ import annotations

import contextlib
import pickle
import struct
from array import array
from collections.abc import Iterable
from typing import Any

from whoosh import formats
from whoosh.codec import default_codec
from whoosh.fields import Schema
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

#: What Whoosh's Positions format pickles per posting: the count, then the position deltas.
_dumps_protocol = 2

_LENGTH_BYTE = [length_to_byte(n) for n in range(1024)]


def _quantized(length: int) -> int | None:
    """A field length as the lengths column gives it back (None for 0, as Whoosh's reader)."""
    b = _LENGTH_BYTE[length] if length < 1024 else length_to_byte(length)
    return byte_to_length(b) if b else None


class SegmentBuilder:
    """One new segment of `ix`, filled by `add` (the fields of `add_document`) and written by
    `finish`. Not registered in the index: `commit_segments` lists the finished ones."""

    def __init__(self, ix: FileIndex, splitter: type | None = None) -> None:
        self.storage = ix.storage
        self.indexname = ix.indexname
        self.schema: Schema = ix.schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self.docnum = 0
        #: Per field: term bytes -> flat list of (docnum, weight, value) triples.
        self.postings: dict[str, dict[bytes, list[Any]]] = {}
        #: Per field: docnum -> length as read back (only fields that record lengths).
        self.lengths: dict[str, dict[int, int | None]] = {}
        self._plan = self._fields_plan(splitter)

    def _fields_plan(self, splitter: type | None) -> dict[str, tuple[Any, ...]]:
        plan: dict[str, tuple[Any, ...]] = {}
        for name, field in self.schema.items():
            if field.separate_spelling() or field.vector:
                raise NotImplementedError(f"field {name!r}: spelling or vectors")
            fmt = field.format
            fast = None
            if (
                field.indexed
                and splitter is not None
                and isinstance(field.analyzer, splitter)
                and type(fmt) in (formats.Positions, formats.Frequency)
            ):
                fast = "positions" if type(fmt) is formats.Positions else "frequency"
            column = field.column_type
            plan[name] = (
                field,
                fast,
                field.indexed,
                field.scorable,
                field.stored,
                column,
                fmt.field_boost if fmt is not None else 1.0,
            )
            if field.indexed:
                self.postings[name] = {}
                if field.scorable:
                    self.lengths[name] = {}
        return plan

    def close(self) -> None:
        """Release the per-document writer's files if `finish` was never called (a failed
        rebuild: its generation is removed by the next one)."""
        if not self.perdoc.is_closed:
            with contextlib.suppress(Exception):
                self.perdoc.close()

    def __len__(self) -> int:
        return self.docnum

    def add(self, fields: dict[str, Any]) -> None:
        """What `SegmentWriter.add_document(**fields)` does, postings kept here."""
        pdw = self.perdoc
        docnum = self.docnum
        names = sorted(n for n in fields if not n.startswith("_"))
        for name in names:
            if name not in self._plan:
                raise KeyError(f"no field named {name!r}")
        pdw.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field, fast, indexed, scorable, stored, column, _fb = self._plan[name]
            length = 0
            if indexed:
                table = self.postings[name]
                if fast is not None:
                    length = self._split(table, docnum, value, fast == "positions")
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        entry = table.get(tbytes)
                        if entry is None:
                            table[tbytes] = [docnum, weight, vbytes]
                        else:
                            entry += (docnum, weight, vbytes)
                if scorable and length:
                    self.lengths[name][docnum] = _quantized(length)
            pdw.add_field(name, field, value if stored else None, length)
            if column is not None:
                pdw.add_column_value(name, column, field.to_column_value(value))
        pdw.finish_doc()
        self.docnum += 1

    @staticmethod
    def _split(table: dict[bytes, list[Any]], docnum: int, value: str, positions: bool) -> int:
        """PositionsTokenizer's tokens ("a|b c") as (docnum, value) pairs: the Positions
        format's encoded positions, or the Frequency format's count (its weight is the count
        times the field boost, made at `finish`). Returns the field length (tokens)."""
        seen: dict[str, list[int]] = {}
        length = 0
        for pos, group in enumerate(value.split(" ")):
            for key in group.split("|"):
                if key:
                    length += 1
                    at = seen.get(key)
                    if at is None:
                        seen[key] = [pos]
                    else:
                        at.append(pos)
        for key, poslist in seen.items():
            if not positions:
                v: Any = len(poslist)
            elif len(poslist) == 1:
                v = _ONE_POSITION.get(poslist[0])
                if v is None:
                    v = _ONE_POSITION[poslist[0]] = _positions(poslist)
            else:
                v = _positions(poslist)
            tbytes = key.encode("utf-8")
            entry = table.get(tbytes)
            if entry is None:
                table[tbytes] = [docnum, v]
            else:
                entry += (docnum, v)
        return length

    def finish(self) -> Any:
        """Write the segment's files; returns the Whoosh segment (for `commit_segments`)."""
        self.perdoc.close()
        fw = self.codec.field_writer(self.storage, self.segment)
        try:
            for name in sorted(self.postings):
                table = self.postings[name]
                if not table:
                    continue
                field, fast, _i, _s, _st, _c, fb = self._plan[name]
                lengths = self.lengths.get(name)
                fw.start_field(name, field)
                pw = fw._postwriter
                limit = pw._blocklimit
                step = 3 if fast is None else 2
                for tbytes in sorted(table):
                    entry = table.pop(tbytes)
                    fw.start_term(tbytes)
                    n = len(entry) // step
                    for start in range(0, n, limit):
                        end = min(n, start + limit)
                        ids = entry[start * step : end * step : step]
                        if fast is None:
                            weights = entry[start * 3 + 1 : end * 3 : 3]
                            values = [v for v in entry[start * 3 + 2 : end * 3 : 3] if v]
                        elif fast == "positions":
                            shared = entry[start * 2 + 1 : end * 2 : 2]
                            weights = [_count(v)[0] * fb for v in shared]
                            # Distinct objects, as Whoosh's are: pickle writes a repeated
                            # object of one block as a reference.
                            values = [bytes(bytearray(v)) for v in shared]
                        else:
                            counts = entry[start * 2 + 1 : end * 2 : 2]
                            weights = [float(c) * fb for c in counts]
                            values = [pack_uint(c) for c in counts]
                        pw._ids = array("I", ids)
                        pw._weights = array("f", weights)
                        pw._values = values
                        top = max(weights)
                        pw._maxweight = top if top > 0 else 0
                        if lengths is not None:
                            ls = [x for x in map(lengths.get, ids) if x]
                            pw._minlength = min(ls) if ls else None
                            pw._maxlength = max(ls) if ls else 0
                        if end < n:
                            pw._write_block()
                    fw.finish_term()
                fw.finish_field()
        finally:
            fw.close()
        self.postings.clear()
        self.lengths.clear()
        self.segment.set_doc_count(self.docnum)
        return self.segment


def _positions(poslist: list[int]) -> bytes:
    """Whoosh's Positions.encode: the count, then the pickled deltas."""
    deltas = []
    base = 0
    for p in poslist:
        deltas.append(p - base)
        base = p
    return pack_uint(len(deltas)) + pickle.dumps(deltas, _dumps_protocol)


#: A single position's encoded value, shared by every posting that has it (most of them).
_ONE_POSITION: dict[int, bytes] = {}
_count = struct.Struct("!I").unpack_from


def commit_segments(ix: FileIndex, segments: Iterable[Any]) -> None:
    """Make `segments` (finished by SegmentBuilder, in document order) the index's content:
    one table of contents, written by Whoosh's TOC, after the index's current ones."""
    info = ix._read_toc()
    listed = list(info.segments) + list(segments)
    generation = info.generation + 1
    TOC(ix.schema, listed, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, listed)
    # The per-document writers' scratch folder, as SegmentWriter removes it after a commit.
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()
