"""The `diia-inbox` command: one verb per capability, each taking --data and --config."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from archive.blobs import BlobError
from archive.db import DatabaseError
from archive.errors import ArchiveError
from diia_inbox import (
    cli_admin,
    cli_ingest,
    cli_nodes,
    cli_privacy,
    cli_qr,
    cli_search,
    cli_serve,
    cli_trust,
    cli_verify,
)
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

#: Verb modules, each with `register(subparsers, common)`; later capabilities add theirs here.
VERB_MODULES = [
    cli_serve,
    cli_verify,
    cli_trust,
    cli_admin,
    cli_privacy,
    cli_ingest,
    cli_search,
    cli_qr,
    cli_nodes,
]


def build_parser() -> Parser:
    common = common_parser()
    parser = Parser(
        prog="diia-inbox",
        description="Receiver, verifier and archive for Diia.QR document copies.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=Parser)
    for module in VERB_MODULES:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"diia-inbox {args.verb}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, ArchiveError, BlobError) as exc:
        print(f"diia-inbox {args.verb}: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except DatabaseError as exc:
        print(f"diia-inbox {args.verb}: database unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is "never a traceback" for the user
        reason = getattr(exc, "reason", None)
        if isinstance(reason, str):
            # Any of the packages' typed errors (TLS configuration, spool, search index...).
            print(f"diia-inbox {args.verb}: {reason}: {_one_line(exc)}", file=sys.stderr)
            return EXIT_FAIL
        logging.getLogger("diia_inbox").debug("unexpected error", exc_info=True)
        print(f"diia-inbox {args.verb}: internal error: {type(exc).__name__}", file=sys.stderr)
        return EXIT_SOFTWARE


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "detail", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
