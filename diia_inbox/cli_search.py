"""Search verbs: `diia-inbox search QUERY` and `diia-inbox reindex`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from archive.localtime import display
from diia_inbox.cli_common import (
    EXIT_OK,
    EXIT_UNAVAILABLE,
    UsageError,
    config_from_args,
    display_zone,
)
from diia_inbox.runtime import opened
from search.errors import QueryError, SearchError
from search.index import SORTS, ArchiveSource, open_backend


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    search = sub.add_parser(
        "search",
        help="search the archive",
        parents=[common],
        description="Search archived copies. See docs/search.md for the query language, e.g. "
        "'шевченко type:id-card received:>=2026-01-01'.",
    )
    search.add_argument("query", metavar="QUERY", help="the query (quote it in the shell)")
    search.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    search.add_argument("--offset", type=int, default=0, help="hits to skip (paging)")
    search.add_argument("--sort", choices=SORTS, default="relevance")
    search.add_argument("--json", action="store_true", help="print the JSON of the contract")
    search.set_defaults(func=cmd_search)

    reindex = sub.add_parser(
        "reindex", help="rebuild the search index from the archive", parents=[common]
    )
    reindex.add_argument("--quiet", action="store_true", help="no progress bar")
    reindex.set_defaults(func=cmd_reindex)


def _unavailable(verb: str, exc: SearchError) -> int:
    print(f"diia-inbox {verb}: {exc} ({exc.reason})", file=sys.stderr)
    return EXIT_UNAVAILABLE


def cmd_search(args: argparse.Namespace) -> int:
    try:
        return _search(args)
    except QueryError as exc:
        raise UsageError(f"{exc} ({exc.reason})") from exc
    except SearchError as exc:
        return _unavailable("search", exc)


def _search(args: argparse.Namespace) -> int:
    if args.limit < 0 or args.limit > 1000:
        raise UsageError("--limit must be between 0 and 1000")
    if args.offset < 0:
        raise UsageError("--offset must not be negative")
    with opened(config_from_args(args)) as rt:
        backend = open_backend(rt.config.search, rt.config.index_dir, rt.db)
        try:
            result = backend.search(
                args.query, limit=args.limit, offset=args.offset, sort=args.sort
            )
        finally:
            backend.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    tz = display_zone(rt.config)
    for hit in result.hits:
        print(
            "\t".join(
                [
                    str(hit.id),
                    display(hit.received_at, tz),
                    hit.document_type or "-",
                    hit.indication,
                    hit.person_name or "-",
                    hit.branch or "-",
                ]
            )
        )
    shown = f"{args.offset + 1}-{args.offset + len(result.hits)} of " if result.hits else ""
    print(f"{shown}{result.total} found", file=sys.stderr)
    return EXIT_OK


class Progress:
    """A one-line progress bar on a terminal, a line every 10% otherwise (logs stay short)."""

    def __init__(self, total: int, out: TextIO, quiet: bool = False) -> None:
        self.total = total
        self.out = out
        self.quiet = quiet
        self.tty = out.isatty()
        self.started = time.monotonic()
        self._last_tenth = -1

    def __call__(self, done: int) -> None:
        if self.quiet:
            return
        rate = done / max(1e-6, time.monotonic() - self.started)
        if self.tty:
            width = 30
            filled = int(width * done / self.total) if self.total else width
            bar = "#" * filled + "." * (width - filled)
            self.out.write(f"\r[{bar}] {done}/{self.total} documents, {rate:.0f}/s")
            self.out.flush()
            return
        tenth = int(10 * done / self.total) if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.out.write(f"indexed {done}/{self.total} documents ({rate:.0f}/s)\n")

    def finish(self, done: int) -> None:
        if self.quiet:
            return
        if self.tty:
            self.out.write("\n")
        elapsed = time.monotonic() - self.started
        self.out.write(f"reindexed {done} documents in {elapsed:.1f} s\n")


def cmd_reindex(args: argparse.Namespace) -> int:
    try:
        return _reindex(args)
    except SearchError as exc:
        return _unavailable("reindex", exc)


def _reindex(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt:
        settings = rt.config.search
        source = ArchiveSource(rt.db, page=max(1, settings.commit_batch))
        backend = open_backend(settings, rt.config.index_dir, rt.db, repair=False)
        try:
            progress = Progress(source.count(), sys.stderr, quiet=args.quiet)
            done = backend.rebuild(source.docs(), progress=progress)
            progress.finish(done)
        finally:
            backend.close()
    return EXIT_OK
