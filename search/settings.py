"""Settings of text extraction and the search index."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchSettings:
    #: "whoosh" (embedded, one node) or "postgres" (full text in the archive's PostgreSQL, for
    #: installations with several nodes).
    backend: str = "whoosh"
    #: PostgreSQL URL of the index when backend = "postgres"; empty means the archive database.
    postgres_url: str = ""
    max_pages: int = 200
    max_decompressed_bytes: int = 200 * 1024 * 1024
    extract_seconds: float = 20.0
    #: Address space a document may add to what its reader process holds when it begins.
    extract_memory_bytes: int = 768 * 1024 * 1024
    #: "auto" uses pdftotext when installed and pypdf's text looks garbled; "none" never does.
    fallback_extractor: str = "auto"
    #: Documents per commit when indexing new copies (and per progress report).
    commit_batch: int = 500
    #: Documents per commit during a full rebuild: larger segments make faster queries, and
    #: memory stays flat anyway (Whoosh spills to temporary files past 64 MB).
    rebuild_commit_batch: int = 25_000
    #: `serve` commits new copies to the index in groups, at most this long after the first of
    #: a group arrived (search/group_writer.py); 0 commits each message's copies at once.
    #: A commit costs about 30 ms of CPU at 100,000 documents before the copies it carries (its
    #: segment, the merge of small ones): at 50 copies/s a second's groups cost about 1.5 ms of
    #: CPU per copy, a quarter-second's about 3 ms (bench/README.md, issue 15).
    group_commit_seconds: float = 1.0
    #: Dates typed in queries ("received:2026-01-31") are days in this zone.
    timezone: str = "Europe/Kyiv"
    #: Tolerate one typo in names of five letters or more (Whoosh fuzzy terms, pg_trgm).
    fuzzy_names: bool = True
    #: Whoosh: megabytes of decoded posting lists kept across searches (a name searched again,
    #: the next page of a result); 0 keeps none. Lists of segments that left the index are
    #: dropped when the next searcher opens. Off by default: in bench/search.py's mix at
    #: 100,000 documents it moved no p95, and a process holds up to this much more as the
    #: archive grows (at 32: +27 % RSS from 100,000 to 300,000 documents, against +13 % off).
    posting_cache_mb: int = 0
