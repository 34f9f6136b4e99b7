"""The nodes of the installation, for the administrator: which are up, which are down, how
much mail waits on each, whether their settings agree, and when the daily jobs last ran.

Read from the database (archive.nodes, archive.leases), so any node shows all of them,
including a node that is down with mail still in its spool.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from archive import leases, nodes
from web.auth import ADMIN
from web.render import in_db, page
from web.security import requires

JOBS = ("purge", "reminders")


def overview(session: Session) -> dict[str, Any]:
    listed = nodes.list_nodes(session)
    hashes = {n.config_hash for n in listed if n.up}
    rows = [
        {
            "name": n.name,
            "up": n.up,
            "version": n.version,
            "started": n.started_at,
            "heartbeat": n.heartbeat_at,
            "spool_depth": n.spool_depth,
            # Settings are compared among the running nodes; one odd node out is flagged.
            "settings_differ": len(hashes) > 1 and n.up,
        }
        for n in listed
    ]
    jobs = []
    for job in JOBS:
        st = leases.state(session, job)
        jobs.append(
            {
                "job": job,
                "running_on": st.holder if st else None,
                "last_ok": st.last_ok_at if st else None,
                "last_by": (st.last_holder or "") if st else "",
            }
        )
    return {
        "nodes": rows,
        "total_spool": sum(n.spool_depth for n in listed),
        "down_with_mail": sum(1 for n in listed if not n.up and n.spool_depth),
        "jobs": jobs,
    }


@requires(ADMIN)
async def nodes_page(request: web.Request) -> web.Response:
    data = await in_db(request, overview)
    return page(request, "nodes.html", data)


def setup(app: web.Application) -> None:
    app.router.add_get("/nodes", nodes_page, name="nodes")
