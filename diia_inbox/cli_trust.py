"""`diia-inbox trust import|list|remove|update` and `diia-inbox reverify`.

Trust changes are followed by re-verification of the stored copies they can affect (an import
can only turn INDETERMINATE copies into verified ones; an update or a removal can change any),
unless `--no-reverify` is given; `serve` does the same in the background for changes made on
the web page or on another node.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from archive.localtime import display, display_date
from diia_inbox.cli_common import (
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    config_from_args,
    display_zone,
)
from diia_inbox.runtime import Runtime, opened

if TYPE_CHECKING:
    from ingest.filing import Indexer
    from search.index import IndexDoc


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    trust = sub.add_parser(
        "trust",
        help="import, list, remove or update the trust material (CA certificates, trust lists)",
    )
    verbs = trust.add_subparsers(dest="trust_verb", required=True, metavar="ACTION")

    imp = verbs.add_parser(
        "import",
        help="import certificates, .p7b bundles, trusted-list XML or CRLs",
        parents=[common],
    )
    imp.add_argument("files", nargs="+", metavar="FILE", type=Path)
    imp.add_argument("--no-reverify", action="store_true", help="do not re-verify stored copies")
    imp.set_defaults(func=cmd_import)

    lst = verbs.add_parser("list", help="list installed certificates", parents=[common])
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.add_argument("--files", action="store_true", help="list imported files instead")
    lst.set_defaults(func=cmd_list)

    rem = verbs.add_parser(
        "remove", help="remove an imported file (its id or sha256 prefix)", parents=[common]
    )
    rem.add_argument("key", metavar="ID|SHA256")
    rem.add_argument("--no-reverify", action="store_true", help="do not re-verify stored copies")
    rem.set_defaults(func=cmd_remove)

    upd = verbs.add_parser(
        "update",
        help="download the configured trust URLs ([verify] trust_urls) and install them",
        parents=[common],
    )
    upd.add_argument("--no-reverify", action="store_true", help="do not re-verify stored copies")
    upd.set_defaults(func=cmd_update)

    rev = sub.add_parser(
        "reverify",
        help="verify stored copies again against the current trust material",
        parents=[common],
    )
    which = rev.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every signed copy")
    which.add_argument(
        "--indeterminate", action="store_true", help="only INDETERMINATE copies (default)"
    )
    rev.add_argument("--since", metavar="YYYY-MM-DD", help="only copies received since this date")
    rev.add_argument("--quiet", action="store_true", help="no progress output")
    rev.set_defaults(func=cmd_reverify)


def cmd_import(args: argparse.Namespace) -> int:
    from diia_inbox.trust_admin import TrustAdminError, import_paths

    with opened(config_from_args(args)) as rt:
        try:
            results = import_paths(rt.db, list(args.files), actor="cli")
        except TrustAdminError as exc:
            print(f"diia-inbox trust import: {exc} ({exc.reason})", file=sys.stderr)
            return EXIT_FAIL
        total = 0
        for r in results:
            state = "imported" if r.created else "already installed"
            print(
                f"{r.file.name}: {r.file.certificates} certificates, {r.file.crls} CRLs ({state})"
            )
            for note in r.skipped:
                print(f"  warning: skipped {note}", file=sys.stderr)
            total += r.file.certificates
        print(f"{total} certificates")
        if not args.no_reverify and any(r.created for r in results):
            _reverify(rt, "indeterminate", None, "trust.import", quiet=False)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from archive import trust_files
    from diia_inbox.trust_admin import certificates

    with opened(config_from_args(args)) as rt:
        if args.files:
            with rt.db.session() as s:
                files = trust_files.listing(s)
            if args.json:
                print(json.dumps([f.__dict__ for f in files], ensure_ascii=False, indent=2))
            else:
                tz = display_zone(rt.config)
                for f in files:
                    print(
                        f"{f.id}\t{f.sha256[:16]}\t{f.certificates} certs\t{f.source}\t"
                        f"{display(f.imported_at_iso, tz)}\t{f.name}"
                    )
            return EXIT_OK
        rows = certificates(rt.db, rt.config)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    tz = display_zone(rt.config)
    for r in rows:
        print(
            f"{r.subject}\tserial {r.serial}\t"
            f"{display_date(r.not_before, tz)}–{display_date(r.not_after, tz)}\t"
            f"{r.source}"
        )
    print(f"{len(rows)} certificates", file=sys.stderr)
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from diia_inbox.trust_admin import remove

    with opened(config_from_args(args)) as rt:
        removed = remove(rt.db, args.key, actor="cli")
        if not removed:
            print(f"diia-inbox trust remove: no imported file {args.key!r}", file=sys.stderr)
            return EXIT_FAIL
        for info in removed:
            print(f"removed {info.id} {info.name} ({info.certificates} certificates)")
        if not args.no_reverify:
            _reverify(rt, "all", None, "trust.remove", quiet=False)
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    from diia_inbox.trust_admin import DEFAULT_URLS, update

    with opened(config_from_args(args)) as rt:
        urls = rt.config.verify.trust_urls or DEFAULT_URLS
        outcomes = update(
            rt.db,
            urls,
            actor="cli",
            timeout=rt.config.verify.trust_timeout,
            min_certificates=rt.config.verify.trust_min_certificates,
        )
        for o in outcomes:
            state = f"{o.detail}, {o.certificates} certificates" if o.ok else f"FAILED {o.detail}"
            print(f"{o.url}: {state}")
        if not args.no_reverify and any(o.changed for o in outcomes):
            _reverify(rt, "all", None, "trust.update", quiet=False)
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAIL


def cmd_reverify(args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            day = dt.date.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since: not a date YYYY-MM-DD: {args.since!r}") from None
        since = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    with opened(config_from_args(args)) as rt:
        _reverify(rt, "all" if args.all else "indeterminate", since, "manual", quiet=args.quiet)
    return EXIT_OK


class _Progress:
    """`done/total` on one line on a terminal, a line every 10% otherwise."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self.out, self.quiet, self.tty = out, quiet, out.isatty()
        self.started = time.monotonic()
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        rate = done / max(1e-6, time.monotonic() - self.started)
        if self.tty:
            self.out.write(f"\rre-verified {done}/{total} documents, {rate:.1f}/s")
            self.out.flush()
            return
        tenth = int(10 * done / total) if total else 10
        if tenth != self._tenth:
            self._tenth = tenth
            self.out.write(f"re-verified {done}/{total} documents ({rate:.1f}/s)\n")


def _reverify(
    rt: Runtime, selection: Any, since: dt.datetime | None, reason: str, *, quiet: bool
) -> None:
    from diia_inbox.wiring import context_factory
    from ingest.reverify import reverify, select_documents

    cfg = rt.config
    ids = select_documents(rt.db, selection, since)
    make_context = context_factory(cfg.verify, cfg.trust_dir, db=rt.db)
    progress = _Progress(sys.stderr, quiet)
    result = reverify(
        rt.db,
        rt.blobs,
        make_context,
        ids,
        index=_indexer(rt),
        progress=progress,
        actor="cli",
        reason=reason,
    )
    if progress.tty and not quiet:
        sys.stderr.write("\n")
    print(
        f"re-verified {result.checked} documents in {result.seconds:.1f} s "
        f"({result.per_second:.1f}/s): {result.changed} changed, {result.errors} errors"
    )


def _indexer(rt: Runtime) -> Indexer | None:
    """Tells the search index the new statuses; None when search is unavailable."""
    try:
        from search.index import open_backend
    except ImportError:
        return None
    cfg = rt.config

    def index(docs: Sequence[IndexDoc]) -> None:
        backend = open_backend(cfg.search, cfg.index_dir, rt.db)
        try:
            backend.add(list(docs))
        finally:
            backend.close()

    return index
