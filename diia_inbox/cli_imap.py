"""`diia-inbox imap add|list|test|remove|import`: the mailboxes the installation reads.

Accounts added here are installation state (the database), read by every `serve` within
seconds, without a restart. The password is read from the terminal (or one line of standard
input with --password-stdin), never from the command line, where `ps` would show it; it is
stored encrypted with the installation keyring and never printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import signal
import sys
import time
from types import FrameType

from archive import audit, mailboxes
from archive.localtime import display, iso
from diia_inbox.cli_common import (
    EXIT_FAIL,
    EXIT_OK,
    Parser,
    UsageError,
    config_from_args,
    display_zone,
    read_secret_stdin,
)
from diia_inbox.imap_service import find_account, listed_accounts, mailbox_ring
from diia_inbox.runtime import Runtime, opened
from ingest.accounts import DbImportLedger, display_name
from ingest.imap import ImapError, account_key, probe
from ingest.imap_import import ImportProgress, import_history
from ingest.spool import Spool


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("imap", help="mailboxes read over IMAP", parents=[common])
    isub = p.add_subparsers(dest="imap_cmd", required=True, parser_class=Parser)

    a = isub.add_parser(
        "add", help="add a mailbox (read by serve within seconds)", parents=[common]
    )
    a.add_argument("name", help="a short name: letters, digits, . _ -")
    a.add_argument("--host", required=True)
    a.add_argument("--user", required=True)
    a.add_argument("--port", type=int, default=993)
    a.add_argument("--tls", choices=mailboxes.TLS_MODES, default="ssl")
    a.add_argument("--folder", default="INBOX")
    a.add_argument("--after-import", choices=mailboxes.AFTER_IMPORT, default="seen")
    a.add_argument("--move-to", default="Archive")
    a.add_argument("--address", default="", help="the branch address this mailbox serves")
    a.add_argument("--poll-seconds", type=int, default=60)
    a.add_argument("--no-idle", action="store_true", help="poll only, even if IDLE is offered")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    a.set_defaults(func=cmd_add)

    ls = isub.add_parser("list", help="accounts and their state", parents=[common])
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    t = isub.add_parser("test", help="log in, open the folder, count messages", parents=[common])
    t.add_argument("name")
    t.set_defaults(func=cmd_test)

    r = isub.add_parser("remove", help="stop reading a mailbox", parents=[common])
    r.add_argument("name")
    r.set_defaults(func=cmd_remove)

    lg = isub.add_parser(
        "login", help="sign a mailbox in with OAuth2 (device code)", parents=[common]
    )
    lg.add_argument("--provider", choices=("google", "microsoft"), required=True)
    lg.add_argument("--account", required=True, help="the mailbox's name (made if new)")
    lg.add_argument("--user", help="the mailbox address (for a new account)")
    lg.set_defaults(func=cmd_login)

    i = isub.add_parser(
        "import", help="first import of the mail already in a mailbox", parents=[common]
    )
    i.add_argument("name")
    i.add_argument("--order", choices=("newest", "oldest"), default="newest")
    i.set_defaults(func=cmd_import)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return read_secret_stdin()
    if not sys.stdin.isatty():
        raise UsageError("give the password with --password-stdin or on a terminal")
    secret = getpass.getpass("password: ")
    if not secret:
        raise UsageError("empty password")
    return secret


def cmd_add(args: argparse.Namespace) -> int:
    settings = mailboxes.MailboxSettings(
        name=args.name,
        host=args.host,
        user=args.user,
        port=args.port,
        tls=args.tls,
        folder=args.folder,
        after_import=args.after_import,
        move_to=args.move_to,
        address=args.address,
        poll_seconds=args.poll_seconds,
        idle=not args.no_idle,
    )
    bad = mailboxes.problems(settings)
    if bad:
        raise UsageError(f"invalid settings: {', '.join(bad)}")
    secret = _password(args)
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        try:
            mailboxes.add(s, mailbox_ring(rt), settings, secret)
        except mailboxes.MailboxError as exc:
            raise UsageError(exc.reason) from None
        audit.record(s, "cli", "mailbox.create", "mailbox", args.name)
    print(f"mailbox {args.name} added; a running serve starts reading it within seconds")
    return EXIT_OK


def _rows(args: argparse.Namespace) -> list[dict[str, object]]:
    with opened(config_from_args(args)) as rt:
        accounts = listed_accounts(rt)
        with rt.db.session() as s:
            status = mailboxes.statuses(s)
    rows: list[dict[str, object]] = []
    for account in accounts:
        st = status.get(account_key(account))
        progress = DbImportLedger.progress_of(st)
        rows.append(
            {
                "name": display_name(account),
                "source": "database" if account.name else "configuration",
                "host": account.host,
                "folder": account.folder,
                "status": st.status if st else "not started",
                "node": st.node if st else "",
                "last_message_at": iso(st.last_message_at) if st else None,
                "last_error": (st.last_error if st else "") or None,
                "backlog": progress.remaining if progress.state not in ("", "finished") else 0,
                "import": progress.state or None,
            }
        )
    return rows


def cmd_list(args: argparse.Namespace) -> int:
    rows = _rows(args)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no mailboxes (add one with `diia-inbox imap add` or [[ingest.imap]])")
    tz = display_zone(config_from_args(args))
    for r in rows:
        last = display(str(r["last_message_at"] or ""), tz)
        print(
            f"{r['name']}\t{r['status']}\tlast message {last or 'none yet'}\t"
            f"last error {r['last_error'] or 'none'}\tbacklog {r['backlog']}"
            + (f"\timport {r['import']}" if r["import"] else "")
        )
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt:
        account = find_account(rt, args.name)
    if account is None:
        raise UsageError(f"no mailbox named {args.name}")
    result = probe(account)
    if result.ok:
        push = "IDLE (push)" if result.idle else "no IDLE: polled"
        print(
            f"{args.name}: signed in, folder {account.folder}: {result.messages} messages, "
            f"{result.unseen} unread; {push}"
        )
        return EXIT_OK
    print(
        f"{args.name}: {result.reason}" + (f": {result.server_text}" if result.server_text else "")
    )
    return EXIT_FAIL


def cmd_remove(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        if not mailboxes.remove(s, args.name):
            print(f"no stored mailbox named {args.name}")
            return EXIT_FAIL
        audit.record(s, "cli", "mailbox.delete", "mailbox", args.name)
    print(f"mailbox {args.name} removed; a running serve stops reading it within seconds")
    return EXIT_OK


PROVIDER_HOSTS = {"google": "imap.gmail.com", "microsoft": "outlook.office365.com"}


def cmd_login(args: argparse.Namespace) -> int:
    """RFC 8628: print where to go and the code, wait for approval, keep the refresh token."""
    from ingest.oauth import OAuthError, client_for, finish_device_flow, start_device_flow

    config = config_from_args(args)
    client = client_for(config.ingest, args.provider)
    if not client.client_id:
        raise UsageError(f"set [ingest] oauth_{args.provider}_client_id in the configuration")
    with opened(config) as rt:
        with rt.db.session() as s:
            existing = mailboxes.get(s, args.account)
        if existing is None and not args.user:
            raise UsageError("a new account needs --user (the mailbox address)")
        try:
            device = start_device_flow(client)
            print(
                f"Open {device.verification_uri} and enter the code {device.user_code}",
                flush=True,
            )
            token = finish_device_flow(client, device)
        except OAuthError as exc:
            print(f"diia-inbox imap login: {exc.reason}: {exc.detail}", file=sys.stderr)
            return EXIT_FAIL
        ring = mailbox_ring(rt)
        with rt.db.session() as s:
            if existing is None:
                settings = mailboxes.MailboxSettings(
                    name=args.account,
                    host=PROVIDER_HOSTS[args.provider],
                    user=args.user,
                    auth="oauth2",
                    provider=args.provider,
                )
                try:
                    mailboxes.add(s, ring, settings, token.refresh_token)
                except mailboxes.MailboxError as exc:
                    raise UsageError(exc.reason) from None
            else:
                settings = dataclasses.replace(
                    existing.settings, auth="oauth2", provider=args.provider
                )
                mailboxes.update(s, ring, args.account, settings, token.refresh_token)
            audit.record(s, "cli", "mailbox.oauth_login", "mailbox", args.account)
    print(f"mailbox {args.account} signed in with {args.provider}; the token is stored encrypted")
    return EXIT_OK


def _progress_line(p: ImportProgress) -> str:
    eta = p.eta_seconds()
    eta_text = f"{int(eta // 60)} min {int(eta % 60)} s" if eta is not None else "?"
    return (
        f"\r{p.done + p.skipped}/{p.total} ({p.skipped} skipped), "
        f"{p.rate:.0f} msg/s, about {eta_text} left   "
    )


def cmd_import(args: argparse.Namespace) -> int:
    stop = {"asked": False}

    def ask_stop(_sig: int, _frame: FrameType | None) -> None:
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_stop)
    signal.signal(signal.SIGTERM, ask_stop)
    with opened(config_from_args(args)) as rt:
        account = find_account(rt, args.name)
        if account is None:
            raise UsageError(f"no mailbox named {args.name}")
        started = time.monotonic()
        try:
            report = import_history(
                account,
                _spool(rt),
                rt.config.data_dir / "imap",
                DbImportLedger(rt.db),
                order=args.order,
                max_message_bytes=rt.config.ingest.max_message_bytes,
                on_progress=lambda p: print(_progress_line(p), end="", flush=True),
                should_stop=lambda: stop["asked"],
            )
        except ImapError as exc:
            print(f"diia-inbox imap import: {exc.reason}", file=sys.stderr)
            return EXIT_FAIL
    p = report.progress
    print()
    if report.resumed:
        print(f"resumed the import started earlier ({p.order} first)")
    for uid, reason in report.skipped:
        print(f"skipped UID {uid}: {reason}")
    seconds = time.monotonic() - started
    rate = report.spooled / seconds if seconds > 0 else 0.0
    state = {"finished": "finished", "stopped": "stopped; run it again to continue"}
    print(
        f"import {state.get(p.state, p.state)}: {report.spooled} messages taken in this run "
        f"({rate:.0f} msg/s, {seconds:.0f} s), {p.done} of {p.total} in all, "
        f"{p.skipped} skipped; `serve` archives them from the spool"
    )
    return EXIT_OK if p.state == "finished" else EXIT_FAIL


def _spool(rt: Runtime) -> Spool:
    return Spool(rt.config.spool_dir, max_attempts=rt.config.ingest.max_attempts)
