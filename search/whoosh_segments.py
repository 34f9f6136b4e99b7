"""Per-segment arrays that filters, date ordering and copy collapsing read instead of Whoosh.

A Whoosh column lookup is a Python call through three layers and a file read (about 5 µs); a
type + 30-day filter checked thousands of them per query, and counting distinct copies one per
matched document. A segment's files never change once written (deletions are kept apart from
them), so what a query needs of a segment is read once into compact arrays and kept for as long
as the segment is part of the index: a new segment from a group commit costs only its own
arrays, never a rebuild of the others. Every array is built on first use, so a process that never
filters by date never holds the day order.

Deleted documents are still in these arrays (as in the segment's posting lists); callers drop
them with the reader's deletion set, which is per searcher, not per segment.

Memory: at most about 23 bytes per document (one byte per filter code, four for the day order,
eight each for the received time and the copy key's number), about 7 MB at 300,000 documents;
and the names' lexicon of each segment (the distinct name keys, not per document).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import itertools
import pickle
import struct
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from whoosh.reading import TermNotFound

#: What begins every posting list of Whoosh 3's codec (whoosh.codec.whoosh3).
WHOOSH3_MAGIC = b"W3Bl"
_INT = struct.Struct("!i")


#: One block of a posting list: ids (segment-local, ascending), weights, encoded values.
Block = tuple[Sequence[int], Any, Any]


def term_blocks(
    reader: Any,
    field: str,
    value: str,
    lo: int | None = None,
    hi: int | None = None,
    values: bool = True,
) -> Iterator[Block] | None:
    """The blocks of one term's posting list (deleted documents included), read from the
    postings file in one piece and decoded here; None when the codec is not Whoosh 3's
    (the caller then reads the list through Whoosh's matcher); no blocks for a term the
    segment does not have.

    What Whoosh's leaf matcher does per block (zlib, then pickle, then the ids' deltas
    added up), without its file calls per block header and its generator per id; the
    values are the same objects. Its FilterMatcher (deletions) would also decode the
    first block just to look at it. With `lo` and `hi`, blocks wholly outside [lo, hi]
    are not decompressed (the result may hold ids outside the bounds). Without `values`,
    the blocks' values are None (not split into one per posting)."""
    terms: Any = getattr(reader, "_terms", None)
    postfile = getattr(terms, "_postfile", None)
    if postfile is None or not hasattr(terms, "term_info"):
        return None
    try:
        info = terms.term_info(field, reader.schema[field].to_bytes(value))
    except TermNotFound:
        return iter(())
    if not all(hasattr(info, a) for a in ("is_inlined", "inlined_postings", "extent")):
        return None
    fixed = reader.schema[field].format.fixed_value_size() if values else None
    return _blocks(postfile, info, lo, hi, values, fixed)


def _blocks(
    postfile: Any, info: Any, lo: int | None, hi: int | None, wanted: bool, fixed: int | None
) -> Iterator[Block]:
    """The blocks of one posting list; the values only if `wanted`, split by the format's
    value size `fixed` as Whoosh's leaf matcher splits them."""
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        yield tuple(ids), weights, values if wanted else None
        return
    offset, length = info.extent()
    if isinstance(length, tuple):  # Whoosh-Reloaded 2.7.5 keeps the length as a 1-tuple
        (length,) = length
    data = io.BytesIO(postfile.get(offset, length))
    if data.read(4) != WHOOSH3_MAGIC:
        raise ValueError("posting list header")
    before = -1  # the last id of the block before this one
    while True:
        size = _INT.unpack(data.read(4))[0]
        last, size = size < 0, abs(size)
        start = data.tell()
        count, maxid, _maxweight, compression, _mn, _mx = pickle.load(data)
        end = start + size
        if hi is not None and before >= hi:
            return
        if lo is None or maxid >= lo:
            raw = data.getbuffer()[data.tell() : end]
            block = zlib.decompress(raw) if compression else bytes(raw)
            parts: tuple[Any, Any, Any] = pickle.loads(block) if wanted else _without_values(block)
            ids_d, weights, values = parts
            if weights is None:
                weights = (1.0,) * count
            elif isinstance(weights, float):
                weights = (weights,) * count
            if not wanted:
                values = None
            elif fixed is None or fixed < 0:
                pass
            elif fixed == 0:
                values = (None,) * count
            else:
                values = tuple(values[i : i + fixed] for i in range(0, len(values), fixed))
            yield tuple(itertools.accumulate(ids_d)), weights, values
        data.seek(end)
        before = maxid
        if last:
            return


#: Where a block's values begin when they are byte strings: pickle protocol 2 writes bytes
#: as a call of _codecs.encode, and its first use names that function.
_VALUES = b"c_codecs\nencode\n"
#: Ends a pickle cut before its values: None as the third item, the 3-tuple, STOP.
_NO_VALUES = b"N\x87."


def _without_values(block: bytes) -> tuple[Any, Any, None]:
    """(ids, weights, None) of a block's pickle, without unpickling its values.

    A block is the pickle of (ids, weights, values); a content field's values are one byte
    string per posting (its positions), each distinct one a call of _codecs.encode when
    unpickled (a value repeated as the same object is a reference to the first:
    search.whoosh_format): most of the time of a block. The values begin where that function
    is first named (a MARK before it when the tuple has more than three items); no earlier part
    of the pickle can hold those bytes: the ids and weights are integers and floats whose
    opcodes (K, M, J, G, t, q, N, () are none of its letters, and every argument is at most 8
    bytes. The pickle is cut there and ended with None for the values; whatever does not come
    out as a tuple of ids and weights is unpickled whole instead."""
    at = block.find(_VALUES)
    if at > 0:
        cut = at - 1 if block[at - 1] == 0x28 else at  # "(": the values tuple's MARK
        try:
            ids, weights, values = pickle.loads(block[:cut] + _NO_VALUES)
        except Exception:  # not where it was expected: read the whole block
            pass
        else:
            if values is None and isinstance(ids, tuple):
                return ids, weights, None
    ids, weights, _values = pickle.loads(block)
    return ids, weights, None


def posting_ids(matcher: Any, lo: int | None = None, hi: int | None = None) -> list[int]:
    """Every document of a posting list, a block at a time where the codec allows.

    Whoosh's own all_ids() steps through the list one posting at a time (three method calls
    each), most of the time of a filter over thousands of documents. Its leaf matcher keeps a
    block's decoded ids in `_ids`; any other matcher is read the ordinary way. Deleted
    documents are the caller's to drop (the reader's posting lists still hold them).

    With `lo` and `hi`, blocks wholly outside [lo, hi] are skipped by their headers (a block
    is decoded, unpickled and decompressed, only when read): the result holds every document
    within the bounds and maybe some outside them."""
    leaf = getattr(matcher, "child", matcher)  # under the FilterMatcher of deletions
    if not all(hasattr(leaf, a) for a in ("_read_ids", "_next_block", "_atend", "_i", "_maxid")):
        return list(matcher.all_ids())
    ids: list[int] = []
    before = -1  # the last id of the block before this one
    while leaf.is_active():
        if hi is not None and before >= hi:
            break
        maxid = leaf._maxid
        if lo is None or maxid >= lo:
            leaf._read_ids()
            ids.extend(leaf._ids[leaf._i :])
        before = maxid
        leaf._next_block()
    return ids


def term_ids(
    reader: Any, field: str, value: str, lo: int | None = None, hi: int | None = None
) -> list[int]:
    """posting_ids of one term (deleted documents included), by term_blocks where it can."""
    blocks = term_blocks(reader, field, value, lo, hi, values=False)
    if blocks is None:
        if (field, value) not in reader:
            return []
        return posting_ids(reader.postings(field, value), lo, hi)
    ids: list[int] = []
    for block_ids, _weights, _values in blocks:
        ids.extend(block_ids)
    return ids


def copy_number(key: Any) -> int:
    """A copy key as a 64-bit number: collapsing compares numbers, not strings.

    "id:N" (a copy no other shares) is -N-1, exact. A SHA-256 in hex (the copy's bytes, as
    archived) is its first 60 bits: two different copies share them with a chance of about
    n²/2⁶¹ (4·10⁻⁸ at 300,000 copies). Anything else is a BLAKE2b digest of the same size.
    """
    text = key.decode() if isinstance(key, bytes) else str(key)
    if text.startswith("id:") and text[3:].isdigit():
        return -int(text[3:]) - 1
    if len(text) == 64:
        try:
            return int(text[:15], 16)
        except ValueError:
            pass
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest()) >> 4


class SegmentArrays:
    """What queries read of one segment, by segment-local document number."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[dict[str, int], array[int] | bytearray]] = {}
        self._days: tuple[list[str], list[int], array[int]] | None = None
        #: Per-document numbers: this segment's own array, or its slice of the array joined
        #: over a whole searcher (share), so that a multi-segment index holds them once.
        self._numbers: dict[str, array[int] | memoryview] = {}
        self._lexicons: dict[str, list[str]] = {}

    def rebind(self, reader: Any) -> None:
        """A newer reader of the same segment (the arrays stay valid: the files are the same);
        only used to build arrays not built yet."""
        self._reader = reader

    # -- filter codes ----------------------------------------------------------------------

    def codes(self, field: str) -> tuple[dict[str, int], array[int] | bytearray]:
        """(value -> code, code per document) of an ID field; code 0: no value."""
        built = self._codes.get(field)
        if built is None:
            with self._lock:
                built = self._codes.get(field) or self._build_codes(field)
                self._codes[field] = built
        return built

    def _build_codes(self, field: str) -> tuple[dict[str, int], array[int] | bytearray]:
        reader = self._reader
        n = reader.doc_count_all()
        values = [_text(t) for t in reader.lexicon(field)]
        per_doc: array[int] | bytearray = (
            bytearray(n) if len(values) < 255 else array("I", bytes(4 * n))
        )
        index: dict[str, int] = {}
        for code, value in enumerate(values, start=1):
            index[value] = code
            for d in posting_ids(reader.postings(field, value)):
                per_doc[d] = code
        return index, per_doc

    def matching(self, field: str, values: Iterable[str], docs: Iterable[int]) -> list[int]:
        """The documents of `docs` whose `field` is one of `values`."""
        index, per_doc = self.codes(field)
        wanted = {index[v] for v in values if v in index}
        if not wanted:
            return []
        if len(wanted) == 1:
            (code,) = wanted
            return [d for d in docs if per_doc[d] == code]
        return [d for d in docs if per_doc[d] in wanted]

    # -- days ------------------------------------------------------------------------------

    def days_between(self, first: str, last: str) -> array[int]:
        """Documents whose local day is within [first, last] (ISO dates), by day."""
        days, starts, order = self._day_order()
        lo = bisect.bisect_left(days, first)
        hi = bisect.bisect_right(days, last)
        return order[starts[lo] : starts[hi]]

    def _day_order(self) -> tuple[list[str], list[int], array[int]]:
        built = self._days
        if built is None:
            with self._lock:
                built = self._days
                if built is None:
                    reader = self._reader
                    days: list[str] = []
                    starts: list[int] = []
                    order = array("i")
                    for term in reader.lexicon("received_day"):
                        day = _text(term)
                        days.append(day)
                        starts.append(len(order))
                        order.extend(posting_ids(reader.postings("received_day", day)))
                    starts.append(len(order))
                    built = self._days = (days, starts, order)
        return built

    # -- words ---------------------------------------------------------------------------

    def lexicon(self, field: str) -> list[str]:
        """Every word of `field` in this segment, sorted (Whoosh's lexicon, which keeps the
        words of deleted documents too until the segment is merged away). For small
        lexicons only: the names field, walked by every fuzzy look-up (a walk of Whoosh's
        term files seeks and reads through four layers of Python per word)."""
        built = self._lexicons.get(field)
        if built is None:
            with self._lock:
                built = self._lexicons.get(field)
                if built is None:
                    built = [_text(t) for t in self._reader.lexicon(field)]
                    self._lexicons[field] = built
        return built

    # -- numbers per document ----------------------------------------------------------------

    def received(self) -> array[int] | memoryview:
        """The received time as Whoosh sorts it (its DATETIME column's integer)."""
        return self._number("received_at", lambda v: int(v))

    def copies(self) -> array[int] | memoryview:
        """The copy key of each document as a number (copy_number)."""
        return self._number("copy_key", copy_number)

    def share(self, what: str, view: array[int] | memoryview) -> None:
        """Hold `what` ("received" or "copies") as `view`, this segment's slice of the array
        a searcher joined over all its segments: the next searcher joins from the slices, and
        the numbers are in memory once (16 bytes per document instead of 32)."""
        with self._lock:
            self._numbers[_NUMBER_FIELDS[what]] = view

    def _number(self, field: str, convert: Any) -> array[int] | memoryview:
        built = self._numbers.get(field)
        if built is None:
            with self._lock:
                built = self._numbers.get(field)
                if built is None:
                    column = self._reader.column_reader(field, translate=False)
                    built = self._numbers[field] = array("q", (convert(v) for v in column))
        return built


#: The column behind each per-document number of SegmentArrays.
_NUMBER_FIELDS = {"received": "received_at", "copies": "copy_key"}


def segment_ids(searcher: Any) -> list[str]:
    """The ids of the segments a searcher reads (a segment's files never change)."""
    out: list[str] = []
    for sub, _offset in searcher.leaf_searchers():
        found = segment_id(sub.reader())
        if found is not None:
            out.append(found)
    return out


def segment_id(reader: Any) -> str | None:
    """The id of the segment a reader reads, None for an empty index's reader."""
    segment = getattr(reader, "segment", None)
    found = segment() if segment is not None else None
    return str(found.segment_id()) if found is not None else None


class SegmentCache:
    """SegmentArrays of the segments in use, by segment id; others are forgotten."""

    def __init__(self) -> None:
        self._by_segment: dict[tuple[str, str], SegmentArrays] = {}
        self._lock = threading.Lock()

    def for_searcher(self, generation: str, searcher: Any) -> list[tuple[SegmentArrays, Any, int]]:
        """(arrays, reader, offset) for each segment of `searcher`, in docnum order."""
        out: list[tuple[SegmentArrays, Any, int]] = []
        keep: dict[tuple[str, str], SegmentArrays] = {}
        with self._lock:
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                key = (generation, reader.segment().segment_id())
                arrays = self._by_segment.get(key)
                if arrays is None:
                    arrays = SegmentArrays(reader)
                else:
                    arrays.rebind(reader)
                keep[key] = arrays
                out.append((arrays, reader, offset))
            self._by_segment = keep
        return out

    def clear(self) -> None:
        with self._lock:
            self._by_segment = {}


def _text(term: Any) -> str:
    return term.decode() if isinstance(term, bytes) else str(term)


class PostingCache:
    """Posting lists decoded by recent searches, by (generation, segment, field, word), at
    most `limit_bytes` of them (estimated; least recently used dropped first); 0: none kept.

    A segment's posting lists never change (deletions are kept apart, and every reader of
    these lists drops the reader's deleted documents after reading, cached or not), so an
    entry is valid for as long as its segment is in the index: `retain` forgets the others
    whenever a new searcher opens (a commit, a merge, an optimize, a rebuild). Entries hold
    document numbers, weights and, for phrases, encoded positions; never stored text. It
    also keeps the words a prefix stands for in each segment's lexicon (at most 256 words
    per prefix, 4,096 prefixes).
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit = max(0, limit_bytes)
        self._entries: OrderedDict[tuple[str, str, str, str], tuple[Block, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        #: A prefix's words in one segment's lexicon, by (generation, segment, field, prefix).
        self._words: OrderedDict[tuple[str, str, str, str], tuple[str, ...]] = OrderedDict()

    def words(self, key: tuple[str, str, str, str]) -> tuple[str, ...] | None:
        """The words of a segment's lexicon that begin with a prefix, if kept."""
        with self._lock:
            found = self._words.get(key)
            if found is not None:
                self._words.move_to_end(key)
            return found

    def put_words(self, key: tuple[str, str, str, str], words: tuple[str, ...]) -> None:
        if not self.limit or len(words) > 256:
            return
        with self._lock:
            self._words[key] = words
            while len(self._words) > _MAX_PREFIXES:
                self._words.popitem(last=False)

    def get(self, key: tuple[str, str, str, str], values: bool) -> Block | None:
        """The whole list as one block, if kept (with its values when `values`)."""
        with self._lock:
            held = self._entries.get(key)
            if held is None or (values and held[0][2] is None):
                return None
            self._entries.move_to_end(key)
            return held[0]

    def put(self, key: tuple[str, str, str, str], block: Block) -> None:
        ids, _weights, values = block
        size = 200 + 8 * len(ids)
        if values is not None:
            size += sum(len(v) for v in values) + 48 * len(values)
        if size > self.limit // 8:  # one list never takes much of the room
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (block, size)
            self._bytes += size
            while self._bytes > self.limit:
                _key, (_block, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def retain(self, generation: str, segments: Iterable[str]) -> None:
        """Forget the lists of segments no longer in the index."""
        keep = set(segments)
        with self._lock:
            gone = [k for k in self._entries if k[0] != generation or k[1] not in keep]
            for k in gone:
                self._bytes -= self._entries.pop(k)[1]
            for k in [k for k in self._words if k[0] != generation or k[1] not in keep]:
                del self._words[k]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._words.clear()
            self._bytes = 0

    @property
    def size(self) -> int:
        """Estimated bytes held."""
        return self._bytes

    def keys(self) -> list[tuple[str, str, str, str]]:
        """The keys of the lists and of the prefixes' words kept."""
        with self._lock:
            return list(self._entries) + list(self._words)


#: Prefixes whose words a PostingCache keeps (a few KB each at most).
_MAX_PREFIXES = 4096
