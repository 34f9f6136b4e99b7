"""Admin verbs: users and branches."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from archive import audit
from archive.branches import add_branch, list_branches, update_branch
from archive.models import ROLES, Branch, User
from archive.users import (
    add_user,
    end_sessions,
    get_user,
    revoke_token,
    set_active,
    set_password,
)
from diia_inbox.cli_common import EXIT_OK, config_from_args, read_secret_stdin
from diia_inbox.runtime import opened


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", help="manage users", parents=[common])
    user_sub = user.add_subparsers(dest="user_cmd", required=True, parser_class=type(user))
    add = user_sub.add_parser("add", help="create a user", parents=[common])
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input",
    )
    add.set_defaults(func=cmd_user_add)
    lst = user_sub.add_parser("list", help="list users", parents=[common])
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_user_list)
    pw = user_sub.add_parser(
        "passwd",
        help="set a user's password (ends their sessions, revokes their API token)",
        parents=[common],
    )
    pw.add_argument("username")
    pw.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the new password from the first line of standard input",
    )
    pw.set_defaults(func=cmd_user_passwd)
    for verb, helptext in (
        ("disable", "disable a user (ends their sessions, revokes their API token)"),
        ("enable", "enable a disabled user (their old API token stays revoked)"),
        ("revoke-token", "revoke a user's API token"),
    ):
        p = user_sub.add_parser(verb, help=helptext, parents=[common])
        p.add_argument("username")
        p.set_defaults(func=cmd_user_change, verb=verb)

    branch = sub.add_parser("branch", help="manage branches", parents=[common])
    br_sub = branch.add_subparsers(dest="branch_cmd", required=True, parser_class=type(branch))
    badd = br_sub.add_parser(
        "add", help="register a branch and its receiving address", parents=[common]
    )
    badd.add_argument("--name", required=True, help="public name of the branch")
    badd.add_argument("--address", required=True, help="postal address")
    badd.add_argument("--email", required=True, help="receiving e-mail address")
    badd.add_argument("--organization", default=None, help="organisation name (optional)")
    badd.set_defaults(func=cmd_branch_add)
    bedit = br_sub.add_parser(
        "edit", help="change a branch's name, address, e-mail or organisation", parents=[common]
    )
    bedit.add_argument("id", type=int, help="branch number (see `branch list`)")
    bedit.add_argument("--name", default=None)
    bedit.add_argument("--address", default=None)
    bedit.add_argument("--email", default=None)
    bedit.add_argument("--organization", default=None, help="empty to clear")
    bedit.set_defaults(func=cmd_branch_edit)
    blist = br_sub.add_parser("list", help="list branches", parents=[common])
    blist.add_argument("--json", action="store_true")
    blist.set_defaults(func=cmd_branch_list)


def cmd_user_add(args: argparse.Namespace) -> int:
    password = read_secret_stdin()
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        user = add_user(s, args.username, args.role, password)
        audit.record(s, "cli", "user.create", "user", user.id, detail={"role": user.role})
        print(f"created user {user.username} ({user.role})")
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        users = list(s.execute(select(User).order_by(User.id)).scalars())
        rows = [{"username": u.username, "role": u.role, "active": u.active} for u in users]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['username']}\t{r['role']}\t{'active' if r['active'] else 'disabled'}")
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace) -> int:
    password = read_secret_stdin()
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        user = get_user(s, args.username)
        revoked = set_password(user, password)
        end_sessions(s, user.id)
        audit.record(s, "cli", "user.password_reset", "user", user.id)
        if revoked:
            audit.record(s, "cli", "token.revoke", "user", user.id, detail={"reason": "password"})
    print(f"password of {args.username} set" + ("; API token revoked" if revoked else ""))
    return EXIT_OK


def cmd_user_change(args: argparse.Namespace) -> int:
    """disable / enable / revoke-token, each audited; disabling also ends sessions."""
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        user = get_user(s, args.username)
        if args.verb == "revoke-token":
            revoked = revoke_token(user)
            done = "API token revoked" if revoked else "had no API token"
        else:
            active = args.verb == "enable"
            changed = user.active != active
            revoked = set_active(user, active)
            if changed:
                end_sessions(s, user.id)
                audit.record(s, "cli", "user.update", "user", user.id, detail={"active": active})
            done = ("enabled" if active else "disabled") if changed else "unchanged"
            if revoked:
                done += "; API token revoked"
        if revoked:
            audit.record(s, "cli", "token.revoke", "user", user.id, detail={"reason": args.verb})
    print(f"{args.username}: {done}")
    return EXIT_OK


def cmd_branch_edit(args: argparse.Namespace) -> int:
    from qrtools.registry import validate_name

    if args.name is not None:
        validate_name(args.name)
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        changed = update_branch(
            s,
            args.id,
            name=args.name,
            address=args.address,
            email=args.email,
            organization=args.organization,
        )
        if changed:
            audit.record(s, "cli", "branch.update", "branch", args.id, detail={"fields": changed})
    print(f"branch {args.id}: " + (", ".join(changed) + " changed" if changed else "unchanged"))
    return EXIT_OK


def cmd_branch_add(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        b = add_branch(s, args.name, args.address, args.email, args.organization)
        audit.record(s, "cli", "branch.create", "branch", b.id)
        print(f"branch {b.id}: {b.name} <{b.email}>")
    return EXIT_OK


def branch_json(b: Branch) -> dict[str, object]:
    return {
        "id": b.id,
        "name": b.name,
        "address": b.address,
        "email": b.email,
        "organization": b.organization,
        "active": b.active,
    }


def cmd_branch_list(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        rows = [branch_json(b) for b in list_branches(s)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(f"{r['id']}\t{r['name']}\t{r['address']}\t{r['email']}")
    return EXIT_OK
