"""Fault: the search index folder is deleted or corrupted while the service runs.

The index is derived data (ARCHITECTURE 4, "one writer, rebuildable index"): losing it must
cost a rebuild, never a document. Here the real pipeline archives and indexes real Diia-like
messages, a second backend object searches as the web app does, and between messages the index
folder is removed or its files overwritten with junk. Afterwards every archived document is
found exactly once, by the searching side and by the pipeline's own indexer, with no error
reaching the caller.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from archive.branches import add_branch
from ingest.pipeline import process
from search.index import SearchBackend, open_backend
from tests.hardening.harness import archived_tokens
from tests.hardening.material import BRANCH_ADDRESS, SENDER, diia_email, signed_copy
from tests.ingest.conftest import make_pipeline

#: Words that appear once each, in the subject of one message (indexed with the document).
WORDS = ["kvitkaalpha", "kvitkabeta", "kvitkagamma", "kvitkadelta"]


@pytest.fixture
def rt(sqlite_runtime: Any) -> Any:
    with sqlite_runtime.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
    return sqlite_runtime


def archive_one(rt: Any, deps: Any, word: str) -> None:
    from ingest.envelope import Envelope

    outcome = process(diia_email(signed_copy(), word), Envelope.now(SENDER, [BRANCH_ADDRESS]), deps)
    assert outcome.status == "archived"


def found_once_each(backend: SearchBackend, words: list[str]) -> dict[str, int]:
    return {w: backend.search(w).total for w in words}


def corrupt(index_dir: Path) -> int:
    """Overwrite the segment and table-of-contents files of the current index generation with
    junk of the same size (what a torn write or a bad disk leaves); returns how many."""
    n = 0
    for path in index_dir.glob("whoosh/g-*/*"):
        if path.is_file() and path.name != "VERSION" and not path.name.endswith(".lock"):
            size = path.stat().st_size
            path.write_bytes(os.urandom(max(size, 16)))
            n += 1
    return n


def test_index_folder_deleted_while_running_is_rebuilt(rt: Any) -> None:
    deps = make_pipeline(rt, [signed_copy().root_der])
    web_side = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    try:
        archive_one(rt, deps, WORDS[0])
        archive_one(rt, deps, WORDS[1])
        assert found_once_each(web_side, WORDS[:2]) == dict.fromkeys(WORDS[:2], 1)

        shutil.rmtree(rt.config.index_dir)
        archive_one(rt, deps, WORDS[2])  # the pipeline's indexer meets the missing folder

        assert found_once_each(web_side, WORDS[:3]) == dict.fromkeys(WORDS[:3], 1)
        archive_one(rt, deps, WORDS[3])
        assert found_once_each(web_side, WORDS) == dict.fromkeys(WORDS, 1)
        web_side.check()
    finally:
        web_side.close()
    assert archived_tokens(rt.db) == dict.fromkeys(WORDS, 1)


def test_index_generation_deleted_while_running_is_rebuilt(rt: Any) -> None:
    """The same with the index's contents removed but its folder left in place."""
    deps = make_pipeline(rt, [signed_copy().root_der])
    web_side = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    try:
        archive_one(rt, deps, WORDS[0])
        archive_one(rt, deps, WORDS[1])
        whoosh = rt.config.index_dir / "whoosh"
        for child in whoosh.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            elif child.name != "write.lock":
                child.unlink()
        archive_one(rt, deps, WORDS[2])
        assert found_once_each(web_side, WORDS[:3]) == dict.fromkeys(WORDS[:3], 1)
        archive_one(rt, deps, WORDS[3])
        assert found_once_each(web_side, WORDS) == dict.fromkeys(WORDS, 1)
        # The four messages carry the same signed PDF: identical resends, one result standing
        # for all four (a copy indexed twice would count five).
        every = web_side.search("Шевченко")
        assert (every.total, [h.sent for h in every.hits]) == (1, [len(WORDS)])
        web_side.check()
    finally:
        web_side.close()


def test_index_corrupted_while_running_is_rebuilt(rt: Any) -> None:
    deps = make_pipeline(rt, [signed_copy().root_der])
    web_side = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    try:
        archive_one(rt, deps, WORDS[0])
        archive_one(rt, deps, WORDS[1])
        assert found_once_each(web_side, WORDS[:2]) == dict.fromkeys(WORDS[:2], 1)
        web_side.close()  # a reader holding open files would keep seeing the old bytes

        assert corrupt(rt.config.index_dir) > 0
        archive_one(rt, deps, WORDS[2])  # indexing may fail; the document is archived anyway
        assert found_once_each(web_side, WORDS[:3]) == dict.fromkeys(WORDS[:3], 1)
        archive_one(rt, deps, WORDS[3])
        assert found_once_each(web_side, WORDS) == dict.fromkeys(WORDS, 1)
        # The four messages carry the same signed PDF: identical resends, one result standing
        # for all four (a copy indexed twice would count five).
        every = web_side.search("Шевченко")
        assert (every.total, [h.sent for h in every.hits]) == (1, [len(WORDS)])
        web_side.check()
    finally:
        web_side.close()
    assert archived_tokens(rt.db) == dict.fromkeys(WORDS, 1)


def test_index_folder_deleted_is_rebuilt_on_the_next_start(rt: Any) -> None:
    """What works today for a deleted index: the next start (open) rebuilds it from the archive."""
    deps = make_pipeline(rt, [signed_copy().root_der])
    for word in WORDS[:3]:
        archive_one(rt, deps, word)
    shutil.rmtree(rt.config.index_dir)
    restarted = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    try:
        assert found_once_each(restarted, WORDS[:3]) == dict.fromkeys(WORDS[:3], 1)
        every = restarted.search("Шевченко")  # one signed PDF sent three times: one result
        assert (every.total, [h.sent for h in every.hits]) == (1, [3])
    finally:
        restarted.close()
    assert archived_tokens(rt.db) == dict.fromkeys(WORDS[:3], 1)
