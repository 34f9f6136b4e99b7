"""Group commit of the index (search/group_writer.py), on both backends with real archives.

Many adds become few commits and everything is searchable after a flush; a copy deleted while
it waits, or while its group is being taken, is never written back; a copy erased from the
archive by another process before its group commits is left out; what was queued when the
process died comes back through the backend's own reconcile at the next open.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable

from search.group_writer import GroupWriter
from search.index import ArchiveSource, IndexDoc, SearchBackend, open_backend
from tests.search.conftest import Archive, add_copy

WHEN = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def _copies(archive: Archive, n: int, tag: str) -> list[int]:
    return [
        add_copy(
            archive.db,
            text=f"Паспорт громадянина України\nГрупенко{tag} Марія Іванівна\nНомер: 00{i:07d}",
            filename="Паспорт громадянина України.pdf",
            received_at=WHEN + dt.timedelta(minutes=i),
            branch_email="hotel@example.org",
            sender=f"{tag}{i}@example.com",
        )
        for i in range(n)
    ]


def _found(backend: SearchBackend, word: str) -> set[int]:
    return {h.id for h in backend.search(word, limit=500).hits}


class CountingAdds:
    """The real backend, with its `add` calls counted (one call is one group)."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend, self.calls = backend, 0

    def add(self, docs: Iterable[IndexDoc]) -> None:
        self.calls += 1
        self.backend.add(docs)

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)


def test_many_adds_few_commits_all_searchable(archive: Archive) -> None:
    inner = open_backend(archive.settings, archive.index_dir, archive.db)
    counted = CountingAdds(inner)
    writer = GroupWriter(counted, max_docs=50, max_delay=0.5)  # type: ignore[arg-type]
    try:
        ids = _copies(archive, 40, "а")
        source = ArchiveSource(archive.db)
        for doc_id in ids:  # as the worker does: one message, one add
            writer.add(source.docs(only=[doc_id]))
        writer.flush()
        assert _found(writer, "Групенкоа") == set(ids)
        assert 1 <= counted.calls < len(ids) / 4
        assert writer.commits == counted.calls
    finally:
        writer.close()


def test_a_delete_wins_over_a_waiting_add(archive: Archive) -> None:
    writer = GroupWriter(
        open_backend(archive.settings, archive.index_dir, archive.db), max_delay=60
    )
    try:
        gone, stays = _copies(archive, 2, "б")
        writer.add(ArchiveSource(archive.db).docs(only=[gone, stays]))
        writer.delete([gone])  # the staff deleted it before the group was due
        writer.flush()
        assert _found(writer, "Групенкоб") == {stays}
    finally:
        writer.close()


def test_a_delete_while_the_group_is_taken_is_not_undone(archive: Archive) -> None:
    """The narrowest window: the thread has taken the group, the delete runs before it writes."""
    inner = open_backend(archive.settings, archive.index_dir, archive.db)
    taken, release = threading.Event(), threading.Event()

    def still_archived(ids: Iterable[int]) -> set[int]:
        taken.set()
        release.wait(30)
        return set(ids)

    writer = GroupWriter(inner, still_archived=still_archived, max_delay=0)
    try:
        gone, stays = _copies(archive, 2, "в")
        # The archive check runs after the group is taken and before it is written: the
        # delete happens right there.
        writer.add(ArchiveSource(archive.db).docs(only=[gone, stays]))
        assert taken.wait(30)
        writer.delete([gone])
        release.set()
        writer.flush()
        assert _found(writer, "Групенков") == {stays}
    finally:
        writer.close()


def test_a_copy_erased_elsewhere_before_its_group_commits_is_left_out(archive: Archive) -> None:
    from archive import retention
    from archive.blobs import BlobStore
    from archive.models import Document

    source = ArchiveSource(archive.db)
    writer = GroupWriter(
        open_backend(archive.settings, archive.index_dir, archive.db),
        still_archived=source.existing,
        max_delay=60,
    )
    try:
        erased, stays = _copies(archive, 2, "г")
        writer.add(source.docs(only=[erased, stays]))
        # Another process (the `subject erase` command) removes the row meanwhile.
        with archive.db.session() as s:
            plan = retention.plan_deletion(s, [s.get(Document, erased)])
        retention.execute(archive.db, BlobStore(archive.index_dir.parent / "blobs"), plan)
        writer.flush()
        assert _found(writer, "Групенког") == {stays}
    finally:
        writer.close()


def test_queued_at_a_crash_comes_back_by_reconcile(archive: Archive) -> None:
    writer = GroupWriter(
        open_backend(archive.settings, archive.index_dir, archive.db), max_delay=3600
    )
    ids = _copies(archive, 3, "д")  # archived after the index was opened (and reconciled)
    writer.add(ArchiveSource(archive.db).docs(only=ids))
    # The process dies: nothing committed, the queue is lost (no flush, no close).
    assert _found(writer.backend, "Групенкод") == set()
    writer.backend.close()
    reopened = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        assert _found(reopened, "Групенкод") == set(ids)
    finally:
        reopened.close()
