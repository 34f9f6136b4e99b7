"""Settings of text extraction and the search index."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchSettings:
    backend: str = "whoosh"  # whoosh | postgres
    max_pages: int = 200
    max_decompressed_bytes: int = 200 * 1024 * 1024
    extract_seconds: float = 20.0
    commit_batch: int = 500
