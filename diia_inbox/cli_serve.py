"""`diia-inbox serve`: the web app (and, as they land, SMTP receiver and worker) in one process."""

from __future__ import annotations

import argparse
import asyncio

from diia_inbox.cli_common import EXIT_OK, UsageError, config_from_args
from diia_inbox.runtime import Runtime


def host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", help="run the service", parents=[common])
    p.add_argument(
        "--smtp",
        type=host_port,
        metavar="HOST:PORT",
        default=None,
        help="SMTP listen address (default 127.0.0.1:2525)",
    )
    p.add_argument(
        "--web",
        type=host_port,
        metavar="HOST:PORT",
        default=None,
        help="web listen address (default 127.0.0.1:8080)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from diia_inbox.server import serve

    config = config_from_args(args)
    rt = Runtime.open(config)
    try:
        asyncio.run(serve(rt, web=args.web, smtp=args.smtp))
    except OSError as exc:
        raise UsageError(f"cannot listen: {exc.strerror or exc}") from None
    finally:
        rt.close()
    return EXIT_OK
