"""`diia-inbox ingest PATH...`: import `.eml` files, folders of them and Maildir folders.

The messages go through the same pipeline as mail received over SMTP. Running it twice is safe:
the archive knows each message by the sha256 of its bytes, so the second run stores nothing and
says so. Messages are processed as `serve`'s worker does them: one at a time per core, the
CPU-bound part (parsing, verification, extraction) in processes of its own.

Exit 0 when every message was archived, recognised as already there or quarantined with a
reason; 1 when some could not be processed now (database or disk trouble: run it again).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from diia_inbox.cli_common import EXIT_FAIL, EXIT_OK, UsageError, config_from_args
from diia_inbox.runtime import opened


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ingest",
        help="import .eml files, folders and Maildir folders into the archive",
        parents=[common],
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=".eml file, folder or Maildir")
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    p.add_argument(
        "--verbose", action="store_true", help="one line per message (file path, result, reason)"
    )
    p.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    from diia_inbox import wiring
    from ingest.importer import ImportSourceError, import_paths

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}")
    config = config_from_args(args)
    with opened(config) as rt:
        # As `serve`'s worker: one loop per core (`[ingest] workers`), the CPU-bound part in
        # prepare processes unless `[ingest] prepare_in_processes` is off, the index written
        # in groups.
        make_context = wiring.context_factory(config.verify, config.trust_dir, db=rt.db)
        search = wiring.worker_search(config, rt.db)
        loops = wiring.worker_loops(config.ingest)
        deps, pool = wiring.worker_pipeline(
            config, rt.db, rt.blobs, search, make_context, loops=loops
        )
        try:
            report = import_paths(paths, deps, concurrency=loops)
        except ImportSourceError as exc:
            raise UsageError(exc.detail) from None
        finally:
            if pool is not None:
                pool.close()
            search.close()
    if args.verbose:
        for r in report.results:
            print(f"{r.path}\t{r.status}\t{r.documents}\t{r.reason or ''}")
    if args.json:
        counts = {
            s: report.count(s)
            for s in ("archived", "duplicate", "quarantined", "failed", "skipped")
        }
        print(json.dumps({"read": len(report.results), "documents": report.documents, **counts}))
    else:
        print(f"diia-inbox ingest: {report.summary()}")
    return EXIT_FAIL if report.count("failed") else EXIT_OK
