"""Killing an indexing process (SIGKILL) leaves an index that opens, or is rebuilt on start."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from search.index import open_backend
from tests.search.conftest import Archive
from tests.search.crash_child import index_until_killed


def kill_while_indexing(archive: Archive, mode: str) -> None:
    kind = archive.settings.backend
    target = str(archive.index_dir / "whoosh") if kind == "whoosh" else archive.db.url
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=index_until_killed, args=(kind, target, mode, child))
    proc.start()
    child.close()
    batches = 0
    while batches < 4:  # several batches in: commits done, one under way
        assert parent.poll(120), "the indexing child stopped reporting"
        parent.recv()
        batches += 1
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["add", "rebuild"])
def test_index_survives_sigkill_while_indexing(archive: Archive, mode: str) -> None:
    first = open_backend(archive.settings, archive.index_dir, archive.db)
    first.close()
    kill_while_indexing(archive, mode)
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        again.check()
        assert [h.id for h in again.search("шевченка").hits] == [archive.ids["taras"]]
        # What the killed writer committed is not in the archive: reconciled away on open.
        assert again.search("").total == len(archive.ids)
        assert again.search("петренко").total == 0
    finally:
        again.close()


@pytest.mark.parametrize("archive", ["whoosh"], indirect=True)
def test_whoosh_index_with_a_damaged_table_of_contents_is_rebuilt(archive: Archive) -> None:
    first = open_backend(archive.settings, archive.index_dir, archive.db)
    first.close()
    root = archive.index_dir / "whoosh"
    generation = root / (root / "CURRENT").read_text().strip()
    for toc in generation.glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        again.check()
        assert [h.id for h in again.search("шевченка").hits] == [archive.ids["taras"]]
    finally:
        again.close()


@pytest.mark.parametrize("archive", ["whoosh"], indirect=True)
def test_whoosh_index_with_damaged_segments_is_rebuilt(archive: Archive) -> None:
    first = open_backend(archive.settings, archive.index_dir, archive.db)
    first.close()
    root = archive.index_dir / "whoosh"
    generation = root / (root / "CURRENT").read_text().strip()
    for seg in generation.glob("*.seg"):
        seg.write_bytes(b"\x00" * 64)
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        assert [h.id for h in again.search("шевченка").hits] == [archive.ids["taras"]]
    finally:
        again.close()
