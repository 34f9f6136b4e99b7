"""What every `diia-inbox` verb shares: --data/--config, one-line errors, exit statuses.

A verb module defines `register(subparsers, common)` and handlers `(args) -> int`. Handlers
raise typed errors; `main` turns any of them into one line on stderr and a non-zero exit, so a
user never sees a traceback for bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn
from zoneinfo import ZoneInfo

from archive.localtime import zone
from diia_inbox.config import Config, load_config
from diia_inbox.logs import apply_format

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 64
EXIT_DATAERR = 65
EXIT_UNAVAILABLE = 69
EXIT_SOFTWARE = 70


class UsageError(Exception):
    reason = "USAGE"


class Parser(argparse.ArgumentParser):
    """argparse that exits 64 (EX_USAGE) with one line instead of 2 with a usage dump."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(EXIT_USAGE)


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="data folder of this installation (default: $DIIA_INBOX_DATA or ./data)",
    )
    common.add_argument("--config", metavar="FILE", default=None, help="TOML configuration file")
    return common


def config_from_args(args: argparse.Namespace) -> Config:
    """The configuration of this run; also where the log format it chooses takes effect, since
    every verb passes here before it does anything worth logging."""
    config = load_config(data_dir=args.data, config_file=args.config)
    apply_format(config.log.format)
    return config


def read_secret_stdin() -> str:
    """One line from stdin (a password), without the newline; refuses an empty one."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UsageError("no password on standard input")
    return line


def display_zone(config: Config) -> ZoneInfo:
    """The zone text output shows times in: `[web] timezone`, as the pages do (checked on load)."""
    return zone(config.web.timezone)
