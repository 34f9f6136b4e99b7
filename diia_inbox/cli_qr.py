"""`diia-inbox qr ...`: the Diia.QR registry, posters, expiry checks and reminders.

The handlers only parse, open the installation and print; the rules live in `qrtools`. The day
everything is judged on is today in the configured time zone (`[qr] timezone`), or `--today`
for what-if checks and tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from archive import audit, leases
from archive.localtime import DATE
from archive.models import DOCUMENT_TYPES, Service, utcnow
from diia_inbox.cli_common import (
    EXIT_DATAERR,
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    config_from_args,
)
from diia_inbox.config import Config
from diia_inbox.runtime import opened
from qrtools import expiry, registry
from qrtools.decode import DecodeTools, decode_file
from qrtools.errors import DecodeError, QrError
from qrtools.outbound import OutboundParams
from qrtools.poster import PosterFonts, PosterInfo, poster_pdf, poster_svg
from qrtools.texts import translator

Handler = Callable[[argparse.Namespace], int]


def iso_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


def document_list(value: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in DOCUMENT_TYPES]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(DOCUMENT_TYPES)}"
        )
    return items


def today_for(args: argparse.Namespace, config: Config) -> dt.date:
    """The day to judge codes on: --today, else the wall clock in the branches' time zone."""
    if getattr(args, "today", None):
        return args.today
    return dt.datetime.now(ZoneInfo(config.qr.timezone)).date()


def qr_errors(handler: Handler) -> Handler:
    """Print a QR error as `REASON: Ukrainian (English)`; unreadable uploads exit 65."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except QrError as exc:
            print(f"diia-inbox qr: {exc.reason}: {exc}", file=sys.stderr)
            return EXIT_DATAERR if isinstance(exc, DecodeError) else EXIT_FAIL

    return run


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    qr = sub.add_parser("qr", help="Diia.QR codes: registry, posters, expiry", parents=[common])
    qsub = qr.add_subparsers(dest="qr_cmd", required=True, parser_class=type(qr))
    day = argparse.ArgumentParser(add_help=False)
    day.add_argument(
        "--today",
        type=iso_day,
        metavar="YYYY-MM-DD",
        help="judge the codes as on this day (default: today in [qr] timezone)",
    )

    service = qsub.add_parser("service", help="services (document packages)", parents=[common])
    ssub = service.add_subparsers(dest="service_cmd", required=True, parser_class=type(qr))
    sadd = ssub.add_parser("add", help="add a service to a branch", parents=[common])
    sadd.add_argument("--branch", type=int, required=True, help="branch id")
    sadd.add_argument("--name", required=True, help="purpose, e.g. 'для поселення у готель'")
    sadd.add_argument(
        "--documents",
        type=document_list,
        required=True,
        help=f"comma-separated: {', '.join(DOCUMENT_TYPES)}",
    )
    sadd.add_argument("--retention-days", type=int, default=None)
    sadd.set_defaults(func=cmd_service_add)
    slist = ssub.add_parser("list", help="list services", parents=[common])
    slist.add_argument("--branch", type=int, default=None)
    slist.add_argument("--json", action="store_true")
    slist.set_defaults(func=cmd_service_list)

    imp = qsub.add_parser(
        "import",
        help="import a code from the portal's SVG/PNG/PDF or a pasted payload",
        parents=[common, day],
    )
    imp.add_argument("file", nargs="?", help="the downloaded code file (SVG, PNG, JPEG or PDF)")
    imp.add_argument("--payload", help="the code's content instead of a file ('-': stdin)")
    imp.add_argument("--service", type=int, required=True, help="service id")
    imp.add_argument(
        "--issued", type=iso_day, default=None, help="issue date (default: --today / today)"
    )
    imp.add_argument(
        "--replace", action="store_true", help="retire the active code of the same package"
    )
    imp.set_defaults(func=cmd_import)

    lst = qsub.add_parser("list", help="list codes with their state", parents=[common, day])
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--active", action="store_true", help="leave retired codes out")
    lst.set_defaults(func=cmd_list)

    chk = qsub.add_parser(
        "check",
        help="codes expired or expiring within a week (exit 1 expired, 2 expiring, 0 fine)",
        parents=[common, day],
    )
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=cmd_check)

    pst = qsub.add_parser("poster", help="print poster (A4 PDF or SVG)", parents=[common, day])
    pst.add_argument("code", type=int, help="code id")
    pst.add_argument("-o", "--output", required=True, help="file to write ('-': stdout)")
    pst.add_argument("--format", choices=("pdf", "svg"), default=None)
    pst.add_argument("--lang", choices=("uk", "en"), default="uk")
    pst.set_defaults(func=cmd_poster)

    ret = qsub.add_parser("retire", help="take a code out of use", parents=[common])
    ret.add_argument("code", type=int, help="code id")
    ret.set_defaults(func=cmd_retire)

    rem = qsub.add_parser(
        "remind",
        help="send due expiry reminders now (serve does it daily)",
        parents=[common, day],
    )
    rem.add_argument("--json", action="store_true")
    rem.set_defaults(func=cmd_remind)


@qr_errors
def cmd_service_add(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        svc = registry.add_service(s, args.branch, args.name, args.documents, args.retention_days)
        audit.record(s, "cli", "service.create", "service", svc.id, detail={"branch": args.branch})
        print(f"service {svc.id}: {svc.name} [{', '.join(svc.documents)}]")
    return EXIT_OK


def _service_json(svc: Service) -> dict[str, object]:
    return {
        "id": svc.id,
        "branch_id": svc.branch_id,
        "name": svc.name,
        "documents": list(svc.documents),
        "retention_days": svc.retention_days,
    }


@qr_errors
def cmd_service_list(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        services = registry.list_services(s, args.branch)
        if args.json:
            print(json.dumps([_service_json(x) for x in services], ensure_ascii=False, indent=2))
            return EXIT_OK
        for x in services:
            print(f"{x.id}\tbranch {x.branch_id}\t{x.name}\t{','.join(x.documents)}")
    return EXIT_OK


def _payload(args: argparse.Namespace, max_bytes: int) -> str:
    if args.payload is not None and args.file:
        raise UsageError("give a file or --payload, not both")
    if args.payload == "-":
        return sys.stdin.read()
    if args.payload is not None:
        return str(args.payload)
    if not args.file:
        raise UsageError("give the code file or --payload")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return decode_file(data, path.name, DecodeTools(max_bytes=max_bytes))


@qr_errors
def cmd_import(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    payload = _payload(args, config.qr.max_upload_bytes)
    issued = args.issued or today_for(args, config)
    with opened(config) as rt, rt.db.session() as s:
        svc = s.get(Service, args.service)
        if svc is None:
            raise UsageError(f"no service {args.service}")
        code = registry.import_code(
            s,
            svc.branch_id,
            svc.id,
            payload,
            issued,
            replace=args.replace,
            validity_days=config.qr.validity_days,
        )
        audit.record(s, "cli", "qr.import", "qr_code", code.id, detail={"service": svc.id})
        last = code.expires_at - dt.timedelta(days=1)
        print(f"code {code.id}: branch {code.branch_id}, valid {_d(issued)} .. {_d(last)}")
    return EXIT_OK


def _d(day: dt.date) -> str:
    """A calendar day as people read it (DD.MM.YYYY); options and JSON keep ISO dates."""
    return day.strftime(DATE)


def _line(v: registry.CodeView) -> str:
    state = translator("en")(f"state.{v.state}")
    flag = "\tneeds replacement (address changed)" if v.needs_replacement else ""
    return (
        f"{v.id}\t{state}\t{_d(v.last_valid_day)}\t{v.days_left:>4}d\tbranch {v.branch_id} "
        f"{v.branch_name}\t{v.service_name}{flag}"
    )


@qr_errors
def cmd_list(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    today = today_for(args, config)
    with opened(config) as rt, rt.db.session() as s:
        views = registry.list_codes(
            s, today, remind_days=config.qr.remind_days, include_retired=not args.active
        )
    if args.json:
        print(json.dumps([v.to_dict() for v in views], ensure_ascii=False, indent=2))
    else:
        for v in views:
            print(_line(v))
    return EXIT_OK


@qr_errors
def cmd_check(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    today = today_for(args, config)
    with opened(config) as rt, rt.db.session() as s:
        result = expiry.check(s, today, config.qr.remind_days)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return result.exit_code
    for title, views in (
        ("expired", result.expired),
        ("expiring", result.expiring),
        ("needs replacement", result.needs_replacement),
    ):
        for v in views:
            print(f"{title}: {_line(v)}")
    if result.exit_code == 0:
        print(f"all QR codes valid for more than {config.qr.remind_days} days on {_d(today)}")
    return result.exit_code


@qr_errors
def cmd_poster(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    fmt = args.format or ("svg" if args.output.lower().endswith(".svg") else "pdf")
    with opened(config) as rt, rt.db.session() as s:
        view = registry.get_code_view(s, args.code, today_for(args, config))
    info = PosterInfo.from_view(
        view, organization=config.qr.organization, lang=args.lang, refuse_unusable=True
    )
    fonts = PosterFonts.load(config.qr.font_regular, config.qr.font_bold)
    data = poster_pdf(info, fonts) if fmt == "pdf" else poster_svg(info, fonts).encode()
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(args.output).write_bytes(data)
        print(f"poster for code {view.id} written to {args.output}", file=sys.stderr)
    return EXIT_OK


@qr_errors
def cmd_retire(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        code = registry.retire_code(s, args.code, utcnow())
        audit.record(s, "cli", "qr.retire", "qr_code", code.id)
        print(f"code {code.id} retired")
    return EXIT_OK


@qr_errors
def cmd_remind(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    today = today_for(args, config)
    outbound = OutboundParams.from_settings(config.outbound)
    with (
        opened(config) as rt,
        leases.cli_run(rt.db, "reminders", config.node_name),
        rt.db.session() as s,
    ):
        run = expiry.remind(s, today, outbound, remind_days=config.qr.remind_days, now=utcnow())
    if args.json:
        print(json.dumps({"sent": list(run.sent), "failed": [list(f) for f in run.failed]}))
    else:
        for code_id in run.sent:
            print(f"reminder sent for code {code_id}")
        for code_id, reason in run.failed:
            print(f"reminder for code {code_id} failed: {reason}", file=sys.stderr)
        if not run.sent and not run.failed:
            print("no reminders due")
    return EXIT_FAIL if run.failed else EXIT_OK
