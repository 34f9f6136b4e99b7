"""The `diia-inbox` command: one verb per capability, each taking --data and --config."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from archive.errors import Reasoned, reason_of
from diia_inbox import logsafe
from diia_inbox.cli_common import (
    EXIT_FAIL,
    EXIT_SOFTWARE,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    Parser,
    UsageError,
    common_parser,
)
from diia_inbox.config import ConfigError

#: Each verb and the module (`diia_inbox.<name>`, with `register(subparsers, common)`) that
#: registers it. Only the module of the verb being run is imported: importing every verb module
#: loaded SQLAlchemy and Alembic for `diia-inbox verify`, 0.8 s of a 1.4 s run, for a command
#: that needs no database. `tests/test_cli.py` checks this table against what the modules
#: register, so a new verb cannot be forgotten here.
VERBS: dict[str, str] = {
    "serve": "cli_serve",
    "verify": "cli_verify",
    "trust": "cli_trust",
    "reverify": "cli_trust",
    "user": "cli_admin",
    "branch": "cli_admin",
    "purge": "cli_privacy",
    "subject": "cli_privacy",
    "hold": "cli_privacy",
    "audit": "cli_privacy",
    "keys": "cli_privacy",
    "backup": "cli_privacy",
    "restore": "cli_privacy",
    "ingest": "cli_ingest",
    "quarantine": "cli_quarantine",
    "search": "cli_search",
    "reindex": "cli_search",
    "qr": "cli_qr",
    "nodes": "cli_nodes",
    "imap": "cli_imap",
}


def verb_modules(argv: Sequence[str] | None = None) -> list[ModuleType]:
    """The modules to register: the verb's own one, or all (help, unknown verb, tests)."""
    verb = next((a for a in argv or () if not a.startswith("-")), None)
    names = [VERBS[verb]] if verb in VERBS else list(dict.fromkeys(VERBS.values()))
    return [importlib.import_module(f"diia_inbox.{name}") for name in names]


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The parser with the verbs `argv` needs (every verb when `argv` is None)."""
    common = common_parser()
    parser = Parser(
        prog="diia-inbox",
        description="Receiver, verifier and archive for Diia.QR document copies.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=Parser)
    for module in verb_modules(argv):
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logsafe.configure(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"diia-inbox {args.verb}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"diia-inbox {args.verb}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is "never a traceback" for the user
        if _raised_by(exc, "archive.db", "DatabaseError"):
            print(f"diia-inbox {args.verb}: database unavailable: {exc}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        if _raised_by(exc, "archive.errors", "ArchiveError") or _raised_by(
            exc, "archive.blobs", "BlobError"
        ):
            print(f"diia-inbox {args.verb}: {exc}", file=sys.stderr)
            return EXIT_FAIL
        if isinstance(exc, Reasoned):
            # Any of the packages' typed errors (TLS configuration, spool, search index...).
            print(f"diia-inbox {args.verb}: {reason_of(exc)}: {_one_line(exc)}", file=sys.stderr)
            return EXIT_FAIL
        logging.getLogger("diia_inbox").debug("unexpected error", exc_info=True)
        print(f"diia-inbox {args.verb}: internal error: {type(exc).__name__}", file=sys.stderr)
        return EXIT_SOFTWARE


def _raised_by(exc: BaseException, module: str, name: str) -> bool:
    """Whether `exc` is `module.name`, without importing the module: an exception of a module
    that was never loaded cannot have been raised (and loading it would cost the start-up time
    the verb table saves)."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(exc, cls)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "detail", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
