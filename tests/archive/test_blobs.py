"""Blob store: one file per content, atomic writes, corruption reported."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
from pathlib import Path

import pytest

from archive.blobs import BlobCorrupt, BlobNotFound, BlobStore


def _writer(root: str, data: bytes, n: int) -> list[str]:
    store = BlobStore(Path(root))
    return [store.put(data) for _ in range(n)]


def test_put_get_and_dedup(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = b"%PDF-1.7 fixture " * 100
    d1 = store.put(data)
    d2 = store.put(data)
    assert d1 == d2 == hashlib.sha256(data).hexdigest()
    assert store.get(d1) == data
    assert list(store) == [d1]
    assert store.put_stream(io.BytesIO(data)) == d1
    assert list(store) == [d1]
    assert not list(store.tmp.iterdir())


def test_concurrent_writers_of_same_bytes_end_with_one_file(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_writer, [(str(tmp_path), data, 5)] * 4)
    digests = {d for r in results for d in r}
    store = BlobStore(tmp_path)
    assert digests == {hashlib.sha256(data).hexdigest()}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert store.get(digests.pop()) == data


def test_truncated_or_altered_blob_is_reported(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"original content of a copy")
    path = store.path(digest)
    path.write_bytes(b"original content of a cop")  # truncated
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    assert not store.verify(digest)
    path.write_bytes(b"original content of a coPy")  # one byte altered
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    path.unlink()
    with pytest.raises(BlobNotFound):
        store.get(digest)


def test_names_that_are_not_digests_are_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    for bad in ["../../etc/passwd", "A" * 64, "0" * 63]:
        with pytest.raises(BlobNotFound):
            store.get(bad)
