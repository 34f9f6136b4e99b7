"""`diia-inbox verify`: delegates to verify.cli, which owns the options and exit statuses."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "verify",
        help="check a P7S signature (exit 0 passed, 1 failed, 2 indeterminate)",
        add_help=False,
        prefix_chars="\0",  # hand every argument through untouched
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    from verify.cli import main as verify_main

    return verify_main(list(args.rest))
