"""`diia-inbox verify`: check one P7S from the command line.

Exit status (ARCHITECTURE section 3): 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 64 usage
error (sysexits EX_USAGE; argparse's own 2 would collide with INDETERMINATE), 65 input that is not
a readable CMS signature (EX_DATAERR), always with a one-line reason and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from . import native
from .cms import MAX_CMS_SIZE
from .errors import VerifyError
from .policy import REVOCATION_POLICIES
from .report import Indication, Report
from .trust import Material, TrustStore, load_paths
from .validate import TimeMode, ValidationContext, validate

NO_MATERIAL = Material()

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INDETERMINATE = 2
EXIT_USAGE = 64
EXIT_DATAERR = 65

_EXIT = {
    Indication.TOTAL_PASSED: EXIT_PASSED,
    Indication.TOTAL_FAILED: EXIT_FAILED,
    Indication.INDETERMINATE: EXIT_INDETERMINATE,
}


class UsageError(Exception):
    """Wrong arguments or unusable trust material: exit 64."""

    reason = "USAGE"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting 2, so usage errors become exit 64."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(prog: str = "diia-inbox verify") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Verify a CMS/CAdES signature (P7S) and print the validation report.",
        epilog="Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 64 usage error, "
        "65 not a readable CMS signature.",
    )
    parser.add_argument("signature", metavar="FILE.p7s", help="the CMS signature (DER or PEM)")
    parser.add_argument("--content", metavar="FILE", help="the signed content of a detached P7S")
    parser.add_argument(
        "--trust",
        metavar="PATH",
        action="append",
        default=[],
        help="trust anchors: a DER/PEM certificate, a folder, a .p7b bundle or a trusted list XML",
    )
    parser.add_argument(
        "--certs",
        metavar="PATH",
        action="append",
        default=[],
        help="untrusted intermediate certificates (and CRL files) to build paths with",
    )
    parser.add_argument(
        "--at",
        metavar="now|signing-time|ISO-8601",
        default="now",
        help="validation time (default: now)",
    )
    parser.add_argument(
        "--revocation",
        choices=REVOCATION_POLICIES,
        default="soft",
        help="soft: missing revocation data is a warning (default); hard: the signer's status "
        "must be known; require: every certificate's status must be known",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--lang", choices=("en", "uk"), default="en", help="language of the text report"
    )
    return parser


def parse_time(value: str) -> TimeMode:
    if value in ("now", "signing-time"):
        return value  # type: ignore[return-value]
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--at: not 'now', 'signing-time' or an ISO-8601 time: {value!r}"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _read(path: str, what: str, limit: int) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise UsageError(f"{what} {path}: not a file")
        if size > limit:
            raise _DataError(f"{what} {path} is {size} bytes, more than the {limit} byte limit")
        return p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from None


class _DataError(Exception):
    """The signature or content file is unreadable or not CMS: exit 65."""

    reason = "DATA_INVALID"


def run(args: argparse.Namespace, installed: Material = NO_MATERIAL) -> tuple[int, str]:
    """`installed` is trust material from the installation (its database), added to --trust."""
    at = parse_time(args.at)
    try:
        store = TrustStore.from_material(load_paths(args.trust) + installed, load_paths(args.certs))
    except VerifyError as exc:
        raise UsageError(f"cannot load trust material: {exc.detail}") from None
    for skipped in store.skipped:
        print(f"diia-inbox verify: note: skipped {skipped}", file=sys.stderr)
    ctx = ValidationContext(trust=store, at=at, revocation=args.revocation)
    try:
        p7s = _read(args.signature, "signature", MAX_CMS_SIZE)
    except UsageError as exc:
        raise _DataError(str(exc)) from None
    content = _read(args.content, "content", 1 << 31) if args.content else None
    try:
        report = validate(p7s, content, ctx)
    except VerifyError as exc:
        raise _DataError(f"{args.signature}: not a readable CMS signature: {exc.detail}") from None
    return _EXIT[report.indication], _render(report, args)


def _render(report: Report, args: argparse.Namespace) -> str:
    if args.json:
        out = report.to_dict()
        # Which implementation computed the hashes and DSTU 4145 here ("native" or "python").
        out["implementation"] = native.implementation()
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    return report.render_text(args.lang)


def main(argv: list[str] | None = None, installed: Material = NO_MATERIAL) -> int:
    """Run `verify` with `argv` (without the program name); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        code, out = run(args, installed)
    except UsageError as exc:
        print(f"diia-inbox verify: usage error: {exc}", file=sys.stderr)
        print(parser.format_usage().rstrip(), file=sys.stderr)
        return EXIT_USAGE
    except _DataError as exc:
        print(f"diia-inbox verify: {exc}", file=sys.stderr)
        return EXIT_DATAERR
    except SystemExit as exc:  # --help prints and exits 0
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    sys.stdout.write(out)
    return code


if __name__ == "__main__":
    sys.exit(main())
