"""Admin verbs: users and branches."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from archive import audit
from archive.branches import add_branch, list_branches
from archive.models import ROLES, Branch, User
from archive.users import add_user
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
