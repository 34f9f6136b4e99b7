"""`diia-inbox quarantine`: quarantined mail, re-processed or released from the command line.

The same use cases as the web's quarantine page (`ingest/requeue.py`), audited as "cli": a
quarantined archive row runs through the pipeline again, a spool item set aside by the worker
goes back into the queue. This module only reads the arguments and prints the outcome.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from archive.localtime import iso
from archive.models import Message
from diia_inbox.cli_common import EXIT_OK, Parser, config_from_args
from diia_inbox.runtime import opened
from ingest import requeue
from ingest.filing import Actor
from ingest.spool import Spool

#: Who the audit log names for a command-line action (as `subject erase` does).
CLI = Actor("cli")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "quarantine", help="list, re-process or release quarantined mail", parents=[common]
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    qsub = p.add_subparsers(dest="quarantine_cmd", required=False, parser_class=Parser)
    r = qsub.add_parser(
        "reprocess", help="run a quarantined message through the pipeline again", parents=[common]
    )
    r.add_argument("id", type=int, help="the message's number (from the list)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_reprocess)
    q = qsub.add_parser(
        "release",
        help="put a spool item set aside by the worker back in the queue",
        parents=[common],
    )
    q.add_argument("item", help="the spool item's id (from the list)")
    q.set_defaults(func=cmd_release)


def cmd_list(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with opened(config) as rt, rt.db.session() as s:
        rows = s.execute(
            select(Message.id, Message.received_at, Message.reason)
            .where(Message.status == "quarantined")
            .order_by(Message.received_at.desc())
        ).all()
        messages = [
            {"id": i, "received_at": iso(at), "reason": (reason or "").split(" ")[0]}
            for i, at, reason in rows
        ]
    spool = [
        {"id": item.id, "reason": item.reason, "attempts": item.attempts}
        for item in Spool(config.spool_dir).list_quarantine()
    ]
    if args.json:
        print(json.dumps({"messages": messages, "spool": spool}, indent=2))
        return EXIT_OK
    for m in messages:
        print(f"message {m['id']}\t{m['received_at']}\t{m['reason']}")
    for item in spool:
        print(f"spool {item['id']}\t{item['reason']}\tattempts {item['attempts']}")
    if not messages and not spool:
        print("nothing is quarantined")
    return EXIT_OK


def cmd_reprocess(args: argparse.Namespace) -> int:
    from diia_inbox.wiring import deps_from_config

    config = config_from_args(args)
    with opened(config) as rt:
        outcome = requeue.reprocess(deps_from_config(config, rt.db, rt.blobs), args.id, CLI)
    if args.json:
        print(
            json.dumps(
                {
                    "status": outcome.status,
                    "message": outcome.message_row,
                    "documents": list(outcome.documents),
                    "reason": outcome.reason,
                }
            )
        )
    elif outcome.status == "archived":
        print(f"message {args.id}: archived, {len(outcome.documents)} document(s)")
    else:
        print(f"message {args.id}: still quarantined ({outcome.reason or outcome.status})")
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with opened(config) as rt:
        requeue.release(Spool(config.spool_dir), rt.db, args.item, CLI)
    print(f"spool item {args.item}: back in the queue")
    return EXIT_OK
