"""The content field's positions (search/whoosh_format.py) and the rebuild of an older index.

Positions are varints read back exactly; short values are one object each, so a block of
postings holds each once; an index written with Whoosh's own Positions format (schema 4) is
rebuilt on open, and phrases are then found in the new one.
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import formats
from whoosh import index as windex

from archive.db import Database
from search.analysis import ANALYSIS_VERSION
from search.index import ArchiveSource
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend
from search.whoosh_format import (
    SHARED_BYTES,
    VarintPositions,
    pack_positions,
    position_count,
    shared,
    unpack_positions,
)
from search.whoosh_store import WhooshStore, _writer, make_schema, whoosh_text
from tests.search.conftest import fill_archive

FIXED = ([0], [5], [127], [128], [0, 1, 2], [3, 200, 201, 20_000, 3_000_000], [16_383, 16_384])


@pytest.mark.parametrize("positions", FIXED)
def test_positions_come_back_as_they_were_packed(positions: list[int]) -> None:
    value = pack_positions(positions)
    assert unpack_positions(value) == positions
    assert position_count(value) == len(positions)
    fmt = VarintPositions(field_boost=3.0)
    assert fmt.decode_positions(value) == positions
    assert fmt.decode_frequency(value) == len(positions)
    assert fmt.decode_weight(value) == 3.0 * len(positions)


def test_random_positions_come_back_as_they_were_packed() -> None:
    rng = random.Random(15)
    for _ in range(2_000):
        top = rng.choice((100, 1_000, 100_000))
        positions = sorted(rng.sample(range(top), rng.randint(1, 12)))
        value = pack_positions(positions)
        assert unpack_positions(value) == positions
        assert position_count(value) == len(positions)


def test_one_position_below_128_is_one_byte_and_larger_deltas_take_more() -> None:
    assert pack_positions([7]) == b"\x07"
    assert pack_positions([7, 9]) == b"\x07\x02"
    assert pack_positions([300]) == b"\xac\x02"  # 300 = 0b10_0101100
    assert len(pack_positions([1 << 14])) == 3


def test_short_values_are_one_object_and_longer_ones_are_not() -> None:
    assert len(pack_positions([9, 20])) <= SHARED_BYTES
    assert pack_positions([9, 20]) is pack_positions([9, 20])
    assert shared(bytes(bytearray(b"\x09\x0b"))) is pack_positions([9, 20])
    long = [1, 2, 3, 4]
    assert pack_positions(long) == pack_positions(long)
    assert pack_positions(long) is not pack_positions(long)
    value = pack_positions(long)
    copy = shared(value)
    assert copy == value and copy is not value


def test_a_block_of_shared_values_pickles_each_value_once() -> None:
    """Why sharing matters: pickle writes an object it has written before as a reference."""
    values = tuple(pack_positions([11]) for _ in range(128))
    copies = tuple(bytes(bytearray(v)) for v in values)
    assert pickle.loads(pickle.dumps(values, 2)) == pickle.loads(pickle.dumps(copies, 2))
    assert len(pickle.dumps(values, 2)) * 5 < len(pickle.dumps(copies, 2))


# -- an index of the previous schema ---------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'a.db'}")
    database.migrate()
    fill_archive(database)
    try:
        yield database
    finally:
        database.dispose()


def _old_index(root: Path, source: ArchiveSource, settings: SearchSettings) -> str:
    """A generation as schema 4 wrote it: Whoosh's own Positions format, its VERSION."""
    store = WhooshStore(root, settings)  # only for its fields of a document
    schema = make_schema()
    schema["content"].format = formats.Positions(field_boost=1.0)
    name = "g-20260101000000-0ld0ld00"
    path = root / name
    path.mkdir(parents=True)
    ix = windex.create_in(str(path), schema)
    writer = _writer(ix)
    for doc in source.docs():
        writer.add_document(**whoosh_text(store._fields(doc)))
    writer.commit()
    ix.close()
    (path / "VERSION").write_text(f"4.{ANALYSIS_VERSION}.{settings.timezone}\n", "ascii")
    (root / "CURRENT").write_text(name + "\n", "ascii")
    return name


def _content_format(root: Path) -> type:
    current = (root / "CURRENT").read_text("ascii").strip()
    ix = windex.open_dir(str(root / current))
    try:
        return type(ix.schema["content"].format)
    finally:
        ix.close()


def test_an_index_of_the_previous_schema_is_rebuilt_with_varint_positions(
    tmp_path: Path, db: Database
) -> None:
    settings = SearchSettings()
    source = ArchiveSource(db)
    root = tmp_path / "index"
    old = _old_index(root, source, settings)
    assert _content_format(root) is formats.Positions

    backend = WhooshBackend(root, settings, source=source)
    try:
        assert (root / "CURRENT").read_text("ascii").strip() != old
        assert not (root / old).exists()
        assert _content_format(root) is VarintPositions
        assert backend.doc_count() == source.count()
        hits = backend.search('"Шевченко Тарас"').hits
        assert hits and all("<mark>Шевченко</mark>" in h.snippet for h in hits)
        assert backend.search('"Шевченко Григорович"').total == 0  # not next to each other
    finally:
        backend.close()


def test_an_index_of_this_schema_is_opened_as_it_is(tmp_path: Path, db: Database) -> None:
    settings = SearchSettings()
    source = ArchiveSource(db)
    root = tmp_path / "index"
    WhooshBackend(root, settings, source=source).close()  # built on first open
    current = (root / "CURRENT").read_text("ascii").strip()

    backend = WhooshBackend(root, settings, source=source)
    try:
        assert (root / "CURRENT").read_text("ascii").strip() == current
        assert backend.search('"Шевченко Тарас"').total >= 1
    finally:
        backend.close()
