"""`diia-inbox nodes`: the nodes of the installation, up or down, with their spool depth.

Read from the database, so it works from any node (or a host that only has the database URL),
including when the node in question is down.
"""

from __future__ import annotations

import argparse
import json

from archive import leases, nodes
from archive.localtime import display, iso
from archive.nodes import NodeView
from diia_inbox.cli_common import EXIT_FAIL, EXIT_OK, Parser, config_from_args, display_zone
from diia_inbox.cluster import config_hash
from diia_inbox.daily import JOBS
from diia_inbox.runtime import opened


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("nodes", help="list the nodes of this installation", parents=[common])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_nodes)
    nsub = p.add_subparsers(dest="nodes_cmd", required=False, parser_class=Parser)
    f = nsub.add_parser("forget", help="remove a node that is gone for good", parents=[common])
    f.add_argument("name")
    f.set_defaults(func=cmd_forget)


def _row(n: NodeView, own_hash: str) -> dict[str, object]:
    return {
        "name": n.name,
        "state": n.state,
        "version": n.version,
        "config_hash": n.config_hash,
        "config_matches": n.config_hash == own_hash,
        "started_at": iso(n.started_at),
        "heartbeat_at": iso(n.heartbeat_at),
        "spool_depth": n.spool_depth,
    }


def cmd_nodes(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    own_hash = config_hash(config)
    with opened(config) as rt, rt.db.session() as s:
        rows = [_row(n, own_hash) for n in nodes.list_nodes(s)]
        jobs = {}
        for job in JOBS:
            st = leases.state(s, job)
            jobs[job] = {
                "running_on": st.holder if st else None,
                "last_ok_at": iso(st.last_ok_at) if st else None,
                "last_by": st.last_holder if st else None,
                "last_result": st.last_result if st else None,
            }
    total = sum(int(str(r["spool_depth"])) for r in rows)
    if args.json:
        print(json.dumps({"nodes": rows, "spool_depth": total, "jobs": jobs}, indent=2))
        return EXIT_OK
    if not rows:
        print("no node has registered yet (nodes register when `diia-inbox serve` starts)")
    tz = display_zone(config)
    for r in rows:
        mismatch = "" if r["config_matches"] else "  CONFIGURATION DIFFERS"
        print(
            f"{r['name']}\t{r['state']}\t{r['version']}\tspool {r['spool_depth']}\t"
            f"heartbeat {display(str(r['heartbeat_at']), tz)}\t"
            f"started {display(str(r['started_at']), tz)}{mismatch}"
        )
    print(f"spool depth of the installation: {total}")
    for job, info in jobs.items():
        running = f"running on {info['running_on']}" if info["running_on"] else "idle"
        print(f"job {job}: {running}; last good run {display(info['last_ok_at'], tz) or 'never'}")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        if not nodes.forget(s, args.name):
            print(f"no node named {args.name}")
            return EXIT_FAIL
    print(f"node {args.name} removed from the list")
    return EXIT_OK
