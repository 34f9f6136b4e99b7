"""`diia-inbox verify`: verify.cli owns the options and exit statuses; this adds the
installation's trust store when --data/--config name one."""

from __future__ import annotations

import argparse
import sys

from diia_inbox.cli_common import EXIT_USAGE, UsageError
from diia_inbox.config import Config, ConfigError, load_config
from verify.trust import Material


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "verify",
        help="check a P7S signature (exit 0 passed, 1 failed, 2 indeterminate)",
        add_help=False,
        prefix_chars="\0",  # hand every argument through untouched
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_verify)


def split_installation_args(argv: list[str]) -> tuple[str | None, str | None, list[str]]:
    """Take --data/--config (either `--opt V` or `--opt=V`) out of the verify arguments."""
    data = config = None
    rest: list[str] = []
    it = iter(argv)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name in ("--data", "--config"):
            if not eq:
                value = next(it, "")
                if not value:
                    raise UsageError(f"{name} needs a value")
            if name == "--data":
                data = value
            else:
                config = value
        else:
            rest.append(arg)
    return data, config, rest


def cmd_verify(args: argparse.Namespace) -> int:
    from verify.cli import main as verify_main

    try:
        data, config_file, rest = split_installation_args(list(args.rest))
    except UsageError as exc:
        print(f"diia-inbox verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    installed = Material()
    if data is not None or config_file is not None:
        try:
            cfg = load_config(data_dir=data, config_file=config_file)
        except ConfigError as exc:
            print(f"diia-inbox verify: {exc}", file=sys.stderr)
            return EXIT_USAGE
        installed = _installed_material(cfg)
        extra: list[str] = []
        for path in cfg.verify.trust:
            extra += ["--trust", path]
        if cfg.trust_dir.is_dir() and any(cfg.trust_dir.iterdir()):
            extra += ["--trust", str(cfg.trust_dir)]
        for path in cfg.verify.certs:
            extra += ["--certs", path]
        if not any(a.startswith("--revocation") for a in rest):
            extra += ["--revocation", cfg.verify.revocation]
        rest = rest + extra
    return verify_main(rest, installed)


def _installed_material(cfg: Config) -> Material:
    """The trust files imported into the installation's database (`trust import`/`update`)."""
    from archive import trust_files
    from diia_inbox.runtime import opened
    from verify.errors import VerifyError
    from verify.trust import load_bytes

    total = Material()
    with opened(cfg) as rt, rt.db.session() as s:
        rows = trust_files.contents(s)
    for info, data in rows:
        try:
            total = total + load_bytes(data)
        except VerifyError as exc:
            print(f"diia-inbox verify: note: skipped {info.name}: {exc.detail}", file=sys.stderr)
    return total
