"""This node's part in an installation of several nodes: registration, heartbeat, checks.

Each `serve` registers itself in the nodes table at start and beats every
`[cluster] heartbeat_seconds`: spool depth, and the instant before which everything it
accepted has left its spool (archived or set aside), which is what a backup on any node waits
for. At start it also writes a small probe blob; every node checks that it can read the probes
of the others, which catches a blob folder that is not really shared or a different keyring.

The checks return None when fine and a one-line reason otherwise; they are readiness checks
(/readyz says the reason, diia_inbox_ready{check=...} is 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select

from archive import nodes
from archive.blobs import BlobError, Blobs
from archive.db import Database
from archive.errors import ArchiveError
from archive.models import Document, Node, utcnow
from diia_inbox.config import Config
from diia_inbox.runtime import Runtime
from ingest.spool import Spool
from web.previews import prune
from web.readiness import ReadinessCheck

log = logging.getLogger("diia_inbox.cluster")

#: Settings every node must share: they decide what is kept, purged, trusted and reminded.
#: Paths and listen addresses are per node and left out.
SHARED_SETTINGS: tuple[tuple[str, str], ...] = (
    ("retention", "default_days"),
    ("retention", "purge_hour"),
    ("storage", "encrypt"),
    ("blobs", "backend"),
    ("verify", "revocation"),
    ("verify", "accepted_signers"),
    ("search", "backend"),
    ("search", "timezone"),
    ("qr", "validity_days"),
    ("qr", "remind_days"),
    ("qr", "timezone"),
    ("ingest", "max_message_bytes"),
    ("ingest", "max_attempts"),
    ("web", "session_hours"),
)


def app_version() -> str:
    try:
        return version("diia-inbox")
    except PackageNotFoundError:
        return "unknown"


def shared_settings(config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, name in SHARED_SETTINGS:
        value = getattr(getattr(config, section), name)
        out[f"{section}.{name}"] = list(value) if isinstance(value, tuple) else value
    return out


def config_hash(config: Config) -> str:
    body = json.dumps(shared_settings(config), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(body.encode()).hexdigest()


def drained_before(spool: Spool) -> dt.datetime:
    """Everything this node accepted before the returned instant has left its spool."""
    now = time.time()  # taken first: anything accepted later does not matter to it
    oldest = spool.oldest_pending()
    return dt.datetime.fromtimestamp(now if oldest is None else min(oldest, now), dt.UTC)


# -- checks (None: fine; otherwise the reason) ------------------------------------------------


def config_mismatch(db: Database, me: str, config: Config) -> str | None:
    """Another running node has different shared settings (the node with the shortest
    retention would decide what is purged)."""
    mine = shared_settings(config)
    own_hash = config_hash(config)
    with db.session() as s:
        others = [n for n in nodes.list_nodes(s) if n.up and n.name != me]
    for other in others:
        if other.config_hash == own_hash:
            continue
        differ = sorted(
            k for k in set(mine) | set(other.settings) if mine.get(k) != other.settings.get(k)
        )
        what = ", ".join(differ) or "settings"
        return f"configuration differs from node {other.name}: {what}"
    return None


def probe_unreadable(db: Database, blobs: Blobs, me: str) -> str | None:
    """This node cannot read a probe blob another node wrote (blob store not shared, or a
    different keyring)."""
    with db.session() as s:
        others = [n for n in nodes.list_nodes(s) if n.up and n.name != me and n.probe_sha256]
    for other in others:
        assert other.probe_sha256 is not None
        try:
            blobs.get(other.probe_sha256)
        except BlobError as exc:
            return f"cannot read the probe blob of node {other.name}: {exc.reason}: {exc}"
    return None


# -- the component ------------------------------------------------------------------------------


def prune_previews(rt: Runtime) -> int:
    """Drop this node's page images of copies deleted anywhere (web/previews.py); a copy
    erased through another node must not stay on this one's disk as pictures."""

    def existing(ids: list[int]) -> set[int]:
        with rt.db.session() as s:
            return set(s.execute(select(Document.id).where(Document.id.in_(ids))).scalars())

    return prune(rt.config.preview_dir, existing)


class NodeHeartbeat:
    """Registers this node, writes its probe blob and beats until stopped."""

    def __init__(self, rt: Runtime, spool: Spool) -> None:
        self.rt, self.spool = rt, spool
        self.name = rt.config.node_name
        self.interval = max(1, rt.config.cluster.heartbeat_seconds)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def register(self) -> None:
        probe = self.rt.blobs.put(
            f"diia-inbox probe of node {self.name} {secrets.token_hex(8)}".encode()
        )
        with self.rt.db.session() as s:
            previous = s.get(Node, self.name)
            old_probe = previous.probe_sha256 if previous is not None else None
            nodes.register(
                s,
                self.name,
                version=app_version(),
                config_hash=config_hash(self.rt.config),
                settings=shared_settings(self.rt.config),
                heartbeat_seconds=self.interval,
                probe_sha256=probe,
            )
        if old_probe and old_probe != probe:
            # The probe of this node's previous run: named by no document, never needed again.
            self.rt.blobs.delete(old_probe)
        self.beat()
        log.info("node %s registered", self.name)

    def beat(self) -> None:
        with self.rt.db.session() as s:
            nodes.beat(
                s,
                self.name,
                spool_depth=self.spool.depth(),
                drained_before=drained_before(self.spool),
            )
        with contextlib.suppress(ArchiveError):
            self.rt.reload_shared_keyring()
        prune_previews(self.rt)

    def checks(self) -> list[ReadinessCheck]:
        """This node's readiness checks (/readyz, diia_inbox_ready)."""
        rt = self.rt
        return [
            ReadinessCheck("configuration", lambda: config_mismatch(rt.db, self.name, rt.config)),
            ReadinessCheck("blob_probe", lambda: probe_unreadable(rt.db, rt.blobs, self.name)),
        ]

    async def start(self) -> None:
        await asyncio.to_thread(self.register)
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="node-heartbeat")

    async def _loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            if self._stop.is_set():
                break
            try:
                await asyncio.to_thread(self.beat)
            except Exception:  # a database outage must not end the heartbeat
                log.warning("node %s: heartbeat not recorded", self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            await asyncio.to_thread(self._mark_stopped)
        except Exception:
            log.warning("node %s: stop not recorded", self.name)

    def _mark_stopped(self) -> None:
        with self.rt.db.session() as s:
            nodes.mark_stopped(s, self.name, spool_depth=self.spool.depth())


# -- backups across nodes ----------------------------------------------------------------------


class NodesNotDrained(ArchiveError):
    reason = "NODES_NOT_DRAINED"


@dataclasses.dataclass(frozen=True)
class DrainResult:
    waited_for: tuple[str, ...]
    #: Nodes that are down: what they accepted and still spool waits on their disk.
    down: tuple[tuple[str, int], ...]


def wait_for_drain(
    db: Database,
    since: dt.datetime,
    timeout: float,
    *,
    poll: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
) -> DrainResult:
    """Wait until every running node reports that all it accepted before `since` has left its
    spool (is in the archive). Down nodes cannot report; they are returned with the spool
    depth they last reported, for the operator."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as s:
            listed = nodes.list_nodes(s)
        up = [n for n in listed if n.up]
        waiting = [n for n in up if n.drained_before is None or n.drained_before < since]
        down = tuple((n.name, n.spool_depth) for n in listed if not n.up and n.spool_depth)
        if not waiting:
            return DrainResult(tuple(n.name for n in up), down)
        if time.monotonic() > deadline:
            names = ", ".join(f"{n.name} ({n.spool_depth} spooled)" for n in waiting)
            raise NodesNotDrained(
                f"nodes did not hand their spooled mail to the archive in {timeout:.0f} s: {names}"
            )
        sleep(poll)


def cluster_spool_depth(db: Database) -> tuple[int, list[nodes.NodeView]]:
    with db.session() as s:
        listed = nodes.list_nodes(s, utcnow())
    return sum(n.spool_depth for n in listed), listed


class ClusterCollector(Collector):
    """The installation's spool depth (down nodes count with what they last reported: their
    mail is waiting too) and each node's state, read from the nodes table at scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            total, listed = cluster_spool_depth(self.db)
        except Exception as exc:  # the rest of /metrics must still answer without a database
            log.warning("cluster metrics unavailable: %s", type(exc).__name__)
            return
        depth = GaugeMetricFamily(
            "diia_inbox_cluster_spool_depth",
            "Messages accepted by any node, not yet archived.",
        )
        depth.add_metric([], total)
        up = GaugeMetricFamily(
            "diia_inbox_node_up",
            "Whether a node's heartbeat is recent (1) or not (0).",
            labels=["node"],
        )
        node_depth = GaugeMetricFamily(
            "diia_inbox_node_spool_depth", "Spool depth each node last reported.", labels=["node"]
        )
        for n in listed:
            up.add_metric([n.name], int(n.up))
            node_depth.add_metric([n.name], n.spool_depth)
        yield from (depth, up, node_depth)
