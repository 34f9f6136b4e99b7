"""The nodes registry: each `serve` process of an installation, as it last reported itself.

Pure database operations; the heartbeat that calls them lives in diia_inbox.cluster. A node
is "up" while its heartbeat is recent (within DOWN_AFTER heartbeats) and it did not stop
cleanly; otherwise it is "down", and its last reported spool depth stays visible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Node, utcnow

#: Missed heartbeats after which a node counts as down.
DOWN_AFTER = 3


@dataclass(frozen=True)
class NodeView:
    name: str
    version: str
    config_hash: str
    settings: dict[str, object]
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    spool_depth: int
    drained_before: dt.datetime | None
    probe_sha256: str | None
    up: bool

    @property
    def state(self) -> str:
        return "up" if self.up else "down"


def is_up(node: Node, now: dt.datetime) -> bool:
    if node.stopped_at is not None:
        return False
    return now - node.heartbeat_at <= dt.timedelta(seconds=DOWN_AFTER * node.heartbeat_seconds)


def register(
    session: Session,
    name: str,
    *,
    version: str,
    config_hash: str,
    settings: dict[str, object],
    heartbeat_seconds: int,
    probe_sha256: str | None,
) -> None:
    """Record (or renew) this node at start; a restarted node keeps its row."""
    now = utcnow()
    node = session.get(Node, name)
    if node is None:
        node = Node(name=name)
        session.add(node)
    node.version = version
    node.config_hash = config_hash
    node.settings = settings
    node.started_at = now
    node.heartbeat_at = now
    node.heartbeat_seconds = heartbeat_seconds
    node.spool_depth = 0
    node.drained_before = None
    node.probe_sha256 = probe_sha256
    node.stopped_at = None
    session.flush()


def beat(session: Session, name: str, *, spool_depth: int, drained_before: dt.datetime) -> None:
    node = session.get(Node, name)
    if node is None:  # removed by an operator while running: register again on next start
        return
    node.heartbeat_at = utcnow()
    node.spool_depth = spool_depth
    node.drained_before = drained_before
    node.stopped_at = None
    session.flush()


def mark_stopped(session: Session, name: str, *, spool_depth: int) -> None:
    node = session.get(Node, name)
    if node is not None:
        node.stopped_at = utcnow()
        node.spool_depth = spool_depth
        session.flush()


def list_nodes(session: Session, now: dt.datetime | None = None) -> list[NodeView]:
    now = now or utcnow()
    return [
        NodeView(
            name=n.name,
            version=n.version,
            config_hash=n.config_hash,
            settings=dict(n.settings or {}),
            started_at=n.started_at,
            heartbeat_at=n.heartbeat_at,
            spool_depth=n.spool_depth,
            drained_before=n.drained_before,
            probe_sha256=n.probe_sha256,
            up=is_up(n, now),
        )
        for n in session.execute(select(Node).order_by(Node.name)).scalars()
    ]


def forget(session: Session, name: str) -> bool:
    """Remove a node that is gone for good (its spool handled by hand)."""
    node = session.get(Node, name)
    if node is None:
        return False
    session.delete(node)
    return True
