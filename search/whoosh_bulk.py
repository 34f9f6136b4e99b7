"""Whole segments written through Whoosh's own codec, without its posting pool.

Whoosh's writer sends every posting of every document through a pool: a tuple per posting,
pickled to temporary run files past its memory limit, sorted, merged and unpickled again at
commit, then handed to the codec one posting at a time with a column lookup for the document's
length. At 100,000 documents that was most of a rebuild's three minutes of CPU (issue 15).

`SegmentBuilder` keeps a segment's postings in memory grouped by term (its documents are added
in order, so each term's documents are already sorted) and writes them a term at a time.
Whoosh's per-document writer stores fields, lengths and columns and its field writer opens the
term table and postings file; the blocks and term-table rows are made here the way
W3PostingsWriter._write_block, W3TermInfo.to_bytes and OrderedHashWriter.add make them (the
same pickles, compression level and statistics), so the bytes written are those of
`IndexWriter.add_document` plus `commit` (tests/search/test_whoosh_bulk.py compares the files,
which also guards against a Whoosh upgrade changing its format).

Fields analysed by `PositionsTokenizer` ("a|b c": alternatives share a position) are tokenized
here from their keys per position (or the string split) instead of Whoosh's token objects;
DATETIME values go through NUMERIC.to_bytes once converted; an ID field's value is its one
term; any other indexed field goes through its own `index()`. `ChildSegments` splits the work
between the rebuilding process and a child.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from array import array
from collections.abc import Iterable
from typing import Any, BinaryIO, NoReturn

from whoosh import formats
from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.fields import DATETIME, NUMERIC, Schema
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from search.heap import keep_heap_top
from search.whoosh_format import VarintPositions, pack_positions, position_count, shared

_LENGTH_BYTE = [length_to_byte(n) for n in range(1024)]
#: A length byte's length, as the lengths column reads it back.
_BYTE_LENGTH = [byte_to_length(b) for b in range(256)]
_MAGIC = WHOOSH3_HEADER_MAGIC
_TERMINFO = W3TermInfo._struct
_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # HashWriter's record header
_EXTENT = struct.Struct("!qi")  # W3TermInfo: pack_long(offset) + pack_int(length)


def _length_byte(length: int | None) -> int:
    """Whoosh's length_to_byte (None: 0), by table for the usual lengths."""
    if length is None:
        return 0
    return _LENGTH_BYTE[length] if length < 1024 else length_to_byte(length)


class SegmentBuilder:
    """One new segment of `ix`, filled by `add` (the fields of `add_document`) and written by
    `finish`. Not registered in the index: `commit_segments` lists the finished ones.

    Postings in memory, per field and term (most terms have one document: numbers, ids,
    the date trie):
    - fields of `splitter`: a (docnum, value) tuple for one document, else a flat list
      [docnum, value, docnum, value, ...]; the value is the encoded positions
      (VarintPositions) or the count (Frequency);
    - other fields: the docnum alone for a posting of weight 1.0 and no value, else a
      (docnum, weight, value) tuple; one such item, or a list of them.
    Field lengths are one byte per document, as Whoosh's lengths column stores them.
    """

    def __init__(
        self,
        ix: FileIndex,
        splitter: type | None = None,
        *,
        docs: bool = True,
        postings: bool = True,
        segid: str | None = None,
    ) -> None:
        """`docs` writes the per-document files (stored fields, lengths, columns), `postings`
        the term table and posting lists: both, or one each in two processes (the same
        `segid`), make the whole segment."""
        keep_heap_top()
        self.storage = ix.storage
        self.indexname = ix.indexname
        self.schema: Schema = ix.schema
        self.codec = default_codec()
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        if segid is not None:
            self.segment.segid = segid
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment) if docs else None
        self.with_postings = postings
        self.docnum = 0
        self.postings: dict[str, dict[bytes, Any]] = {}
        #: Per scorable field: the length byte of each document (0: none).
        self.lengths: dict[str, bytearray] = {}
        self._plan = fields_plan(self.schema, splitter)
        for name, (_field, _f, indexed, scorable, _s, _w) in self._plan.items():
            if indexed and postings:
                self.postings[name] = {}
                if scorable:
                    self.lengths[name] = bytearray()
        self._singles: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
        self._memo: dict[str, dict[Any, Any]] = {}

    def close(self) -> None:
        """Release the per-document writer's files if `finish` was never called (a failed
        rebuild: its generation is removed by the next one)."""
        if self.perdoc is not None and not self.perdoc.is_closed:
            with contextlib.suppress(Exception):
                self.perdoc.close()

    def __len__(self) -> int:
        return self.docnum

    def add(self, fields: dict[str, Any]) -> None:
        """What `SegmentWriter.add_document(**fields)` does, postings kept here."""
        self.add_prepared(prepare(self._plan, fields, self._memo))

    def add_prepared(self, prepared: tuple[Any, Any]) -> None:
        """A document made ready by `prepare` (maybe in another process); the per-document
        part may be None when this builder writes postings only."""
        pdw = self.perdoc
        docnum = self.docnum
        plan = self._plan
        docs, posts = prepared
        if pdw is not None:
            pdw.start_doc(docnum)
            for name, stored, length, column in docs:
                field = plan[name][0]
                pdw.add_field(name, field, stored, length)
                if column is not None:
                    pdw.add_column_value(name, field.column_type, column[0])
            pdw.finish_doc()
        if self.with_postings:
            for name, length, postings in posts:
                _field, fast, _indexed, scorable, _stored, _whole = plan[name]
                table = self.postings[name]
                if fast is not None:
                    it = iter(postings)
                    for tbytes, v in zip(it, it, strict=True):
                        entry = table.get(tbytes)
                        if entry is None:
                            table[tbytes] = (docnum, v)
                        elif type(entry) is list:
                            entry += (docnum, v)
                        else:
                            table[tbytes] = [*entry, docnum, v]
                else:
                    for tbytes, extra in postings:
                        item = docnum if extra is None else (docnum, *extra)
                        entry = table.get(tbytes)
                        if entry is None:
                            table[tbytes] = item
                        elif type(entry) is list:
                            entry.append(item)
                        else:
                            table[tbytes] = [entry, item]
                if scorable:
                    self.lengths[name].append(_length_byte(length))
            for lengths in self.lengths.values():
                if len(lengths) == docnum:  # not in this document
                    lengths.append(0)
        self.docnum += 1

    def finish(self) -> Any:
        """Write the segment's files; returns the Whoosh segment (for `commit_segments`)."""
        if self.perdoc is not None:
            self.perdoc.close()
        if self.with_postings:
            fw = self.codec.field_writer(self.storage, self.segment)
            try:
                for name in sorted(self.postings):
                    table = self.postings[name]
                    if table:
                        fw.start_field(name, self._plan[name][0])
                        self._write_field(fw, name, table)
                        fw.finish_field()
            finally:
                fw.close()
        self.postings.clear()
        self.lengths.clear()
        self.segment.set_doc_count(self.docnum)
        return self.segment

    def _write_field(self, fw: Any, name: str, table: dict[bytes, Any]) -> None:
        """Every term of one field, as W3FieldWriter.start_term / add / finish_term write it:
        W3PostingsWriter's blocks (at most `blocklimit` postings; header, pickled and
        compressed ids, weights and values) and W3TermInfo's row in the term table."""
        field, fast, _indexed, scorable, _stored, _whole = self._plan[name]
        fmt = field.format
        fb = fmt.field_boost
        fixed = fmt.fixed_value_size()
        lengths = self.lengths.get(name) if scorable else None
        pw = fw._postwriter
        limit, level = pw._blocklimit, pw._compression
        postfile, tindex = fw._postfile, fw._tindex
        prefix = pack_ushort(fw._fieldid)
        offset = postfile.tell()
        out: list[bytes] = []
        tfile, hashfn, buckets = tindex.dbfile, tindex.hashfn, tindex.buckets
        tpos = tfile.tell()
        rows: list[bytes] = []
        singles = self._singles
        positions = fast == "positions"
        for tbytes in sorted(table):
            entry = table.pop(tbytes)
            kind = type(entry)
            start = offset
            if kind is not list:
                # One posting (most terms), and many of those with the same block bytes (a
                # document's id, copy key and date-trie terms): made once per segment.
                if fast is not None:
                    d, raw = entry
                    if positions:
                        w, v = position_count(raw) * fb, raw
                    else:
                        w, v = float(raw) * fb, pack_uint(raw)
                elif kind is int:
                    d, w, v = entry, 1.0, None
                else:
                    d, w, v = entry[0], entry[1], entry[2] or None
                lb = lengths[d] if lengths is not None else 0
                key = (d, w, v, lb, fixed)
                made = singles.get(key)
                if made is None:
                    block, bw, mw, lo, hi = _block_bytes(
                        [d], [w], [v] if v else [], fixed, level, lengths, True
                    )
                    info = _TERMINFO.pack(
                        False,
                        bw,
                        1,
                        0 if lo is None else _length_byte(lo),
                        _length_byte(hi),
                        mw,
                        d,
                        d,
                    )
                    made = singles[key] = (_MAGIC + block, info)
                    if len(singles) > 30_000:
                        singles.clear()
                out.append(made[0])
                offset += len(made[0])
                row = made[1] + _EXTENT.pack(start, offset - start)
            else:
                # ids, weights and values of the term's postings, in document order
                if fast is not None:
                    ids, raw = entry[0::2], entry[1::2]
                    if positions:
                        weights = [position_count(v) * fb for v in raw]
                        # The objects Whoosh's writer has (search.whoosh_format): pickle
                        # writes an object repeated in one block as a reference to the
                        # first, so which values are one object shows in the bytes.
                        values = [shared(v) for v in raw]
                    else:
                        weights = [float(c) * fb for c in raw]
                        values = [pack_uint(c) for c in raw]
                else:
                    ids, weights, values = [], [], []
                    for item in entry:
                        if type(item) is int:
                            ids.append(item)
                            weights.append(1.0)
                        else:
                            ids.append(item[0])
                            weights.append(item[1])
                            if item[2]:
                                values.append(item[2])
                n = len(ids)
                out.append(_MAGIC)
                offset += 4
                total_w: float = 0
                top_w: float = 0
                min_len: int | None = None
                max_len = 0
                for b in range(0, n, limit):
                    e = min(n, b + limit)
                    block, bw, mw, lo, hi = _block_bytes(
                        ids[b:e], weights[b:e], values[b:e], fixed, level, lengths, e == n
                    )
                    out.append(block)
                    offset += len(block)
                    total_w += bw
                    top_w = max(top_w, mw)
                    min_len = lo if min_len is None else min(min_len, lo)  # type: ignore[type-var]
                    max_len = max(max_len, hi)
                row = _TERMINFO.pack(
                    False,
                    total_w,
                    n,
                    0 if min_len is None else _length_byte(min_len),
                    _length_byte(max_len),
                    top_w,
                    ids[0],
                    ids[-1],
                ) + _EXTENT.pack(start, offset - start)
            # OrderedHashWriter.add, with the file position counted here.
            tkey = prefix + tbytes
            if tkey <= tindex.lastkey:
                raise ValueError(f"terms out of order: {tkey!r}")
            tindex.index.append(tpos)
            h = hashfn(tkey)
            buckets[h & 255].append((h, tpos))
            record = _KEY_VALUE_LENGTHS.pack(len(tkey), len(row)) + tkey + row
            rows.append(record)
            tpos += len(record)
            tindex.lastkey = tkey
            if len(out) > 256:
                postfile.write(b"".join(out))
                out.clear()
                tfile.write(b"".join(rows))
                rows.clear()
        postfile.write(b"".join(out))
        tfile.write(b"".join(rows))


def _block_bytes(
    ids: list[int],
    weights: list[float],
    values: list[bytes],
    fixed: int | None,
    level: int,
    lengths: bytearray | None,
    last: bool,
) -> tuple[bytes, float, float, int | None, int]:
    """W3PostingsWriter._write_block of these postings: the block's bytes, then what
    W3TermInfo.add_block takes of it (weight sum, top weight, shortest and longest length)."""
    bw = array("f", weights)
    if len(ids) == 1:
        deltas: tuple[int, ...] = (ids[0],)
    else:
        deltas = (ids[0], *[y - x for x, y in itertools.pairwise(ids)])
    if all(w == 1.0 for w in bw):
        mini_w: Any = None
    elif all(w == bw[0] for w in bw):
        mini_w = bw[0]
    else:
        mini_w = tuple(bw)
    if fixed is None or fixed < 0:
        mini_v: Any = tuple(values)
    elif fixed == 0:
        mini_v = None
    else:
        mini_v = b"".join(values)
    data = zlib.compress(pickle.dumps((deltas, mini_w, mini_v), 2), level)
    mw = max(weights)
    mw = mw if mw > 0 else 0
    lo: int | None = None
    hi = 0
    if lengths is not None:
        ls = [_BYTE_LENGTH[lengths[d]] for d in ids if lengths[d]]
        if ls:
            lo, hi = min(ls), max(ls)
    info = pickle.dumps((len(ids), ids[-1], mw, level, _length_byte(lo), _length_byte(hi)), 2)
    size = len(info) + len(data)
    return pack_int(-size if last else size) + info + data, sum(bw), mw, lo, hi


def fields_plan(schema: Schema, splitter: type | None) -> dict[str, tuple[Any, ...]]:
    """Per field: (field, fast, indexed, scorable, stored, whole); fast is "positions" or
    "frequency" for fields analysed by `splitter` (tokenized by `_split`), else None; whole
    is true for fields whose value is their one term (Whoosh's ID: IDTokenizer, Existence
    format, no boost, not scored), whose postings `prepare` makes without Whoosh's token
    objects."""
    plan: dict[str, tuple[Any, ...]] = {}
    for name, field in schema.items():
        if field.separate_spelling() or field.vector:
            raise NotImplementedError(f"field {name!r}: spelling or vectors")
        fmt = field.format
        fast = None
        if (
            field.indexed
            and splitter is not None
            and isinstance(field.analyzer, splitter)
            and type(fmt) in (VarintPositions, formats.Frequency)
        ):
            fast = "positions" if type(fmt) is VarintPositions else "frequency"
        whole = (
            field.indexed
            and type(field.analyzer) is IDTokenizer
            and type(fmt) is formats.Existence
            and fmt.field_boost == 1.0
            and not field.scorable
        )
        plan[name] = (field, fast, field.indexed, field.scorable, field.stored, whole)
    return plan


def prepare(
    plan: dict[str, tuple[Any, ...]],
    fields: dict[str, Any],
    memo: dict[str, dict[Any, Any]] | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One document as SegmentBuilder.add_prepared takes it (picklable): the per-document
    part, (name, stored value, length, (column value,) or None) per field with a value in
    name order as add_document goes; and the postings part, (name, length, postings) per
    indexed field with postings. Postings are [term, value, term, value, ...] for `_split`
    fields, else (term, None) for a weight-1 posting without value or (term, (weight,
    value)). Boosts given as fields ("_boost", "_<field>_boost") are not supported.

    `memo` (one dict kept across documents) remembers the other fields' analysis of values
    that repeat (a type, a day, a branch), up to MEMO_VALUES distinct values per field."""
    docs: list[tuple[Any, ...]] = []
    posts: list[tuple[Any, ...]] = []
    for name in sorted(fields):
        if name not in plan:
            raise KeyError(f"no field named {name!r}")
        value = fields[name]
        if value is None:
            continue
        field, fast, indexed, scorable, stored, whole = plan[name]
        length = 0
        postings: list[Any] = []
        if (
            fast is None
            and type(field) is DATETIME
            and type(value) is dt.datetime
            and indexed
            and not scorable
            and field.shift_step
        ):
            # DATETIME.index and to_column_value, the moment converted once instead of once
            # per trie term and once more for the column.
            moment = field.prepare_datetime(value)
            for shift in range(0, field.bits, field.shift_step):
                postings.append((NUMERIC.to_bytes(field, moment, shift), None))
            column = (moment,) if field.column_type is not None else None
        elif fast is not None:
            length = _split(postings, value, fast == "positions")
            if type(value) is not str and (stored or field.column_type is not None):
                value = _as_text(value)  # what Whoosh stores and sorts by
            column = (field.to_column_value(value),) if field.column_type is not None else None
        else:
            known = memo.get(name) if memo is not None else None
            made = known.get(value) if known is not None and type(value) is str else None
            if made is None:
                if whole and type(value) is str:
                    # What field.index gives for it: the value as its one term, weight 1.
                    postings.append((value.encode("utf-8"), None))
                elif indexed:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        extra = None if weight == 1.0 and not vbytes else (weight, vbytes)
                        postings.append((tbytes, extra))
                column = (field.to_column_value(value),) if field.column_type is not None else None
                if memo is not None and type(value) is str:
                    known = memo.setdefault(name, {})
                    if len(known) < MEMO_VALUES:
                        known[value] = (length, postings, column)
            else:
                length, postings, column = made
        docs.append((name, value if stored else None, length, column))
        if postings:
            posts.append((name, length, postings))
    return docs, posts


#: Distinct values per field whose analysis `prepare` remembers.
MEMO_VALUES = 4096


def _split(out: list[Any], value: str | list[tuple[str, ...]], positions: bool) -> int:
    """PositionsTokenizer's tokens ("a|b c") as term, value pairs appended to `out`: the
    VarintPositions format's encoded positions, or the Frequency format's count (its weight is the
    count times the field boost, made at `finish`). Returns the field length (tokens).

    `value` may also be the keys per position that search.analysis.encode_positions would
    join into that string: the tokens are then taken from them as they are, without the
    string made and split again (and the keys' hashes, cached on them, are not computed
    again), unless a key holds a space or "|", which the string would split (then the
    string is made and split, so both forms always give the same postings)."""
    if isinstance(value, str):
        groups: Any = [group.split("|") for group in value.split(" ")]
    else:
        groups = [keys for keys in value if keys]
    seen: dict[str, list[int]] = {}
    length = 0
    for pos, group in enumerate(groups):
        for key in group:
            if key:
                length += 1
                at = seen.get(key)
                if at is None:
                    seen[key] = [pos]
                else:
                    at.append(pos)
    if not isinstance(value, str):
        joined = "".join(seen)
        if " " in joined or "|" in joined:
            return _split(out, _as_text(value), positions)
    for key, poslist in seen.items():
        if not positions:
            v: Any = len(poslist)
        elif len(poslist) == 1:
            v = _ONE_POSITION.get(poslist[0])
            if v is None:
                v = _ONE_POSITION[poslist[0]] = pack_positions(poslist)
        else:
            v = pack_positions(poslist)
        tbytes = _TERM_BYTES.get(key)
        if tbytes is None:
            tbytes = key.encode("utf-8")
            if len(_TERM_BYTES) < 100_000:
                _TERM_BYTES[key] = tbytes
        out += (tbytes, v)
    return length


def _as_text(positions: list[tuple[str, ...]]) -> str:
    """The "a|b c" string of keys per position: search.analysis.encode_positions (not
    imported: the child process that imports this module needs no morphology dictionary)."""
    return " ".join("|".join(keys) for keys in positions if keys)


#: One bytes object per frequent term: a batch of documents pickles a repeated object as a
#: reference, which is smaller and cheaper to load than the bytes again.
_TERM_BYTES: dict[str, bytes] = {}


#: A single position's encoded value, shared by every posting that has it (most of them).
_ONE_POSITION: dict[int, bytes] = {}


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


#: Whether the rebuilding process writes the per-document files (stored fields, lengths,
#: columns) or the child does: whichever side has less to do.
DOCS_HERE = True

#: Segments whose batches may wait for the child (the one it is filing or writing
#: included): the rebuilding process waits for the child beyond that, so the spool files
#: on disk stay bounded (about 20 MB per 25,000 documents).
_AHEAD = 2


class ChildSegments:
    """Segments built by a child process from documents `prepare`d here: the parent analyses
    (and tokenizes) the next documents while the child files the postings and writes
    segments, so a rebuild uses both cores.

    The parent writes each segment's per-document files (stored fields, lengths, columns);
    the child, a fresh interpreter (`python -m search.whoosh_bulk FOLDER SPLITTER`) that
    imports Whoosh and this module only, not a copy of the parent's memory nor its main
    module, writes the same segment's term table and posting lists. The parent lists the
    segments with `commit_segments` once the child has written them all.

    Batches of documents are pickled into a spool file per segment (in a temporary folder
    of the index folder) and only announced through the child's standard input. While the
    child writes a segment's postings (seconds) it reads nothing; the batches made meanwhile
    wait on disk, in the page cache, not in either process's memory, so the parent goes on
    analysing instead of waiting for the child (it waited about 11 s of a 100,000-document
    rebuild when they waited in its memory, bounded to keep its RSS down). The child deletes
    each file once read and answers on its standard output after each segment; the parent
    waits for that answer only when _AHEAD segments' batches are waiting. If either process
    dies, the other sees its pipe close: the rebuild fails and its generation is never made
    current.
    """

    def __init__(
        self,
        ix: FileIndex,
        splitter: type | None,
        batch: int = 200,
        docs_here: bool | None = None,
    ) -> None:
        """`docs_here`: this process writes the per-document files (else the child does,
        and the stored values go through the spool); DOCS_HERE when None."""
        name = f"{splitter.__module__}:{splitter.__qualname__}" if splitter else ""
        self._spool = tempfile.mkdtemp(prefix="spool-", suffix=".tmp", dir=ix.storage.folder)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "search.whoosh_bulk", ix.storage.folder, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._ix = ix
        self._splitter = splitter
        self._batch = batch
        self._docs_here = DOCS_HERE if docs_here is None else docs_here
        #: The spool file of the segment being built (None: no segment is).
        self._file: BinaryIO | None = None
        self._pending: list[tuple[Any, Any]] = []
        #: The per-document half of the segment being built (written here).
        self._docs: SegmentBuilder | None = None
        self._segments: list[Any] = []
        #: Segments announced to the child, and those it answered it has written.
        self._cut = 0
        self._written = 0
        #: Resource use of the child (see `finish`): CPU seconds and peak RSS in MB.
        self.cpu_seconds = 0.0
        self.peak_mb = 0.0

    def add_prepared(self, prepared: tuple[Any, Any]) -> None:
        """The stored fields and columns are written here, the postings by the child."""
        if self._file is None:
            self._start()
        if self._docs is not None:
            self._docs.add_prepared(prepared)
            self._pending.append((None, prepared[1]))
        else:
            self._pending.append(prepared)
        if len(self._pending) >= self._batch:
            self._spill()

    def _start(self) -> None:
        while self._cut - self._written >= _AHEAD:
            self._answer("written")
        path = os.path.join(self._spool, f"{self._cut}.pickles")
        self._file = open(path, "wb")
        if self._docs_here:
            self._docs = SegmentBuilder(self._ix, self._splitter, postings=False)
            self._send(("segment", self._docs.segment.segid, False, path))
        else:
            self._send(("segment", None, True, path))

    def _spill(self) -> None:
        """The pending batch into the spool file, then announced (so it is all there)."""
        assert self._file is not None
        data = pickle.dumps(self._pending, pickle.HIGHEST_PROTOCOL)
        self._file.write(data)
        self._file.flush()
        self._pending = []
        self._send(("docs", len(data)))

    def cut(self) -> None:
        """End the segment being built (the next document starts another)."""
        if self._file is None:
            return
        if self._pending:
            self._spill()
        self._file.close()
        self._file = None
        if self._docs is not None:
            self._segments.append(self._docs.finish())
            self._docs = None
        self._cut += 1
        self._send(("cut",))

    def finish(self) -> list[Any]:
        """The segments built, in document order, once the child has written them all."""
        self.cut()
        self._send(("end",))
        while self._written < self._cut:
            self._answer("written")
        reply = self._answer("ok")
        code = self._proc.wait()
        if code != 0:
            self._failed()
        if not self._docs_here:
            self._segments = list(reply[1])
        elif reply[1] != len(self._segments):
            raise RuntimeError("segment builder process wrote another number of segments")
        self.cpu_seconds, self.peak_mb = reply[2], reply[3]
        shutil.rmtree(self._spool, ignore_errors=True)
        return self._segments

    def close(self) -> None:
        """Stop the child if it still runs (a failed rebuild) and remove the spool."""
        if self._docs is not None:
            self._docs.close()
        if self._file is not None:
            self._file.close()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        shutil.rmtree(self._spool, ignore_errors=True)

    def _send(self, message: tuple[Any, ...]) -> None:
        pipe = self._proc.stdin
        assert pipe is not None
        try:
            pickle.dump(message, pipe, pickle.HIGHEST_PROTOCOL)
            pipe.flush()
        except OSError:  # the child is gone (a broken pipe)
            self._failed()

    def _answer(self, kind: str) -> Any:
        """The child's next answer, which must be of `kind`."""
        assert self._proc.stdout is not None
        try:
            reply = pickle.load(self._proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self._failed()
        if not isinstance(reply, tuple) or not reply or reply[0] != kind:
            self._failed()
        if kind == "written":
            self._written += 1
        return reply

    def _failed(self) -> NoReturn:
        code = self._proc.wait()
        raise RuntimeError(f"segment builder process failed (exit code {code})")


def _serve_segments(folder: str, splitter_name: str) -> int:
    """The child of ChildSegments: writes the postings of the segments named on standard
    input ("segment" with its spool file, then the sizes of the batches written to it, then
    "cut"; "end" at the end), answering ("written",) after each segment and how many it
    wrote and its resource use at the end, on standard output.

    The cyclic garbage collector is off: the postings of a segment are millions of tuples
    and lists alive until it is written, which each of its passes walked (a tenth of the
    child's CPU), and filing them makes no reference cycles; what Whoosh's writer objects
    may leave is collected after each segment."""
    import gc
    import importlib
    import resource

    from whoosh import index as windex

    gc.disable()
    splitter = None
    if splitter_name:
        module, _colon, qualname = splitter_name.partition(":")
        splitter = getattr(importlib.import_module(module), qualname)
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    ix = windex.open_dir(folder)
    segments: list[Any] = []
    segment_docs: list[bool] = []
    builder: SegmentBuilder | None = None
    spool: BinaryIO | None = None
    try:
        while True:
            try:
                message = pickle.load(source)
            except EOFError:  # the parent is gone: nothing will use these files
                return 1
            kind = message[0]
            if kind == "segment":
                builder = SegmentBuilder(ix, splitter, docs=message[2], segid=message[1])
                segment_docs.append(message[2])
                spool = open(message[3], "rb")
            elif kind == "docs" and builder is not None and spool is not None:
                for prepared in pickle.loads(spool.read(message[1])):
                    builder.add_prepared(prepared)
            elif kind == "cut" and builder is not None and spool is not None:
                segments.append(builder.finish())
                builder = None
                spool.close()
                os.unlink(spool.name)
                spool = None
                gc.collect()
                pickle.dump(("written",), sink)
                sink.flush()
            elif kind == "end":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                cpu = usage.ru_utime + usage.ru_stime
                # The segments when their per-document files were written here, else how
                # many (the parent has them).
                docs_here = all(not b_docs for b_docs in segment_docs)
                answer: Any = len(segments) if docs_here else segments
                pickle.dump(("ok", answer, cpu, usage.ru_maxrss / 1024), sink)
                sink.flush()
                return 0
    finally:
        if spool is not None:
            spool.close()
        if builder is not None:
            builder.close()
        ix.close()


if __name__ == "__main__":
    raise SystemExit(_serve_segments(sys.argv[1], sys.argv[2]))
