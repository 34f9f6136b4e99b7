"""Three `diia-inbox serve` processes on one PostgreSQL database behave as one installation.

Real processes, real SMTP, real HTTP, the local PostgreSQL; each node has its own data folder
(spool, index) and all share one blob folder and one master key, as docs/several-nodes.md
describes. In order, one scenario (bounded: a few messages per node):

1. the three start at the same moment on an empty database: all become healthy, one `admin`;
2. mail goes to all three nodes; a backup runs on one node while the others keep receiving;
3. concurrent document views on all nodes, then `audit verify` passes;
4. the backup, restored onto a new PostgreSQL database, holds every message any node
   answered 250 to before the backup started;
5. reminders race (two nodes' daily jobs, a `qr remind` run and two bare claimers): one per
   code reaches the mail server;
6. a node is killed with mail in its spool: the others list it as down with that spool depth,
   and the cluster's spool depth counts it.

The counts are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from archive import audit
from archive.models import AuditEvent, Branch, Document, Message, User
from archive.users import issue_token
from diia_inbox.config import load_config
from diia_inbox.daily import DailyJobs
from diia_inbox.runtime import Runtime
from ingest.envelope import Envelope
from ingest.spool import Spool
from qrtools import expiry, registry
from qrtools.outbound import OutboundParams
from tests.ingest.mailmaker import BRANCH
from tests.privacy.conftest import (
    ORGANIZATION,
    Person,
    Served,
    free_port,
    invent_person,
    run_cli,
    start_serve,
    wait_for,
)

NODES = ("node-a", "node-b", "node-c")
#: Messages per node before the backup starts, and during it.
BEFORE, DURING = 2, 2
VIEWS = 45
CODES = 3


class Sink:
    """The organisation's mail server for reminders (aiosmtpd), keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"]).strip()


def _send(node: Served, raw: bytes) -> None:
    """Deliver like an MTA that retries: a 4xx/5xx for the new branch's address (each node
    re-reads the addresses every few seconds) is retried; returns after the 250."""
    import smtplib

    deadline = time.monotonic() + 120
    while True:
        try:
            node.send(raw)
            return
        except smtplib.SMTPRecipientsRefused:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Senders:
    """One thread per node sending its people's copies; `acked` holds Message-IDs after 250."""

    def __init__(self) -> None:
        self.acked: list[str] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def run(self, jobs: list[tuple[Served, list[Person]]]) -> list[threading.Thread]:
        def one(node: Served, people: list[Person]) -> None:
            try:
                for person in people:
                    raw = person.mail()
                    _send(node, raw)
                    with self.lock:
                        self.acked.append(_message_id(raw))
            except BaseException as exc:  # reported by the test
                self.errors.append(exc)

        threads = [threading.Thread(target=one, args=job, daemon=True) for job in jobs]
        for t in threads:
            t.start()
        return threads


def _count(rt: Runtime, model: type) -> int:
    with rt.db.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _all_done(rt: Runtime, expected: int) -> bool:
    with rt.db.session() as s:
        statuses = list(s.execute(select(Message.status)).scalars())
    return len(statuses) == expected and all(st == "done" for st in statuses)


def _nodes_json(env: dict[str, str], data: Path) -> dict[str, Any]:
    out = run_cli("nodes", "--json", "--data", str(data), env=env)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def _spooled_ids(spool_dir: Path) -> set[str]:
    ids = set()
    for sub in ("new", "work", "quarantine"):
        folder = spool_dir / sub
        for item in folder.iterdir() if folder.is_dir() else []:
            path = item / "message" if item.is_dir() else item
            ids.add(_message_id(path.read_bytes()))
    return ids


def test_three_nodes_behave_as_one_installation(
    tmp_path: Path,
    pg_databases: Callable[[], str],
    signer: tuple[bytes, Callable[[bytes, bool], bytes]],
    sink: tuple[Sink, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root_der, sign = signer
    mailserver, mail_port = sink
    url = pg_databases()
    master_key = base64.b64encode(secrets.token_bytes(32)).decode()
    shared_blobs = tmp_path / "shared-blobs"
    common = {
        "DIIA_INBOX_DATABASE_URL": url,
        "DIIA_INBOX_BLOBS_PATH": str(shared_blobs),
        "DIIA_INBOX_STORAGE_ENCRYPT": "true",
        "DIIA_INBOX_MASTER_KEY": master_key,
        "DIIA_INBOX_SEARCH_BACKEND": "postgres",
        "DIIA_INBOX_CLUSTER_HEARTBEAT_SECONDS": "1",
        "DIIA_INBOX_OUTBOUND_HOST": "127.0.0.1",
        "DIIA_INBOX_OUTBOUND_PORT": str(mail_port),
        "DIIA_INBOX_OUTBOUND_SENDER": "diia-inbox@hotel.example",
    }
    # The test process opens the installation too (to count): it needs the master key.
    monkeypatch.setenv("DIIA_INBOX_MASTER_KEY", master_key)
    envs = {name: {**common, "DIIA_INBOX_CLUSTER_NODE_NAME": name} for name in NODES}
    dirs = {name: tmp_path / name for name in NODES}
    for name in NODES:
        (dirs[name] / "trust").mkdir(parents=True)
        (dirs[name] / "trust" / "test-root.der").write_bytes(root_der)

    # 1. Three nodes start at the same moment on an empty database.
    served: dict[str, Served] = {}
    failures: list[BaseException] = []

    def start(name: str) -> None:
        try:
            served[name] = start_serve(dirs[name], tmp_path / f"{name}.log", envs[name])
        except BaseException as exc:
            failures.append(exc)

    starters = [threading.Thread(target=start, args=(n,)) for n in NODES]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    try:
        assert failures == [], failures
        assert all(served[n].proc.poll() is None for n in NODES)
        logs = [served[n].log_text() for n in NODES]
        assert sum("created user 'admin'" in text for text in logs) == 1
        rt = Runtime.open(load_config(data_dir=tmp_path / "observer", env=common))
        try:
            _scenario(rt, served, envs, dirs, tmp_path, pg_databases, sign, mailserver, common)
        finally:
            rt.close()
    finally:
        for node in served.values():
            node.stop()


def _scenario(
    rt: Runtime,
    served: dict[str, Served],
    envs: dict[str, dict[str, str]],
    dirs: dict[str, Path],
    tmp_path: Path,
    pg_databases: Callable[[], str],
    sign: Callable[[bytes, bool], bytes],
    mailserver: Sink,
    common: dict[str, str],
) -> None:
    with rt.db.session() as s:
        assert s.execute(select(func.count(User.id))).scalar_one() == 1
    listed = _nodes_json(envs["node-a"], dirs["node-a"])
    assert sorted((n["name"], n["state"]) for n in listed["nodes"]) == [(n, "up") for n in NODES]
    assert all(n["config_matches"] for n in listed["nodes"])

    added = run_cli(
        "branch", "add", "--name", "Готель «Дніпро»", "--address", "Дніпро, вул. Тестова, 1",
        "--email", BRANCH, "--organization", ORGANIZATION, "--data", str(dirs["node-b"]),
        env=envs["node-b"],
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    # 2. Mail to all nodes; then a backup on node-a while all three keep receiving.
    people = {n: [invent_person(sign) for _ in range(BEFORE + DURING)] for n in NODES}
    senders = Senders()
    for t in senders.run([(served[n], people[n][:BEFORE]) for n in NODES]):
        t.join(300)
    assert senders.errors == [], senders.errors
    acked_before_backup = set(senders.acked)
    assert len(acked_before_backup) == BEFORE * len(NODES)
    backup_file = tmp_path / "backup.tar"
    backup = subprocess.Popen(
        [*_cli(), "backup", "--out", str(backup_file), "--data", str(dirs["node-a"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(envs["node-a"]),
    )
    during = senders.run([(served[n], people[n][BEFORE:]) for n in NODES])
    out, err = backup.communicate(timeout=300)
    for t in during:
        t.join(300)
    assert backup.returncode == 0, err
    assert "nodes drained into the archive first: node-a, node-b, node-c" in out, out
    assert senders.errors == [], senders.errors
    acknowledged = len(senders.acked)
    assert acknowledged == (BEFORE + DURING) * len(NODES)
    wait_for(lambda: _all_done(rt, acknowledged), "every acknowledged message archived")
    archived = _count(rt, Message)
    assert archived == acknowledged and _count(rt, Document) == acknowledged

    # 3. Concurrent views on all nodes, then the audit chain is one chain.
    with rt.db.session() as s:
        token = issue_token(s, "admin")
        doc_ids = list(s.execute(select(Document.id).order_by(Document.id)).scalars())
    view_errors: list[BaseException] = []
    go = threading.Event()

    def view(n: int) -> None:
        node = served[NODES[n % len(NODES)]]
        request = urllib.request.Request(
            f"{node.base}/api/v1/documents/{doc_ids[n % len(doc_ids)]}",
            headers={"Authorization": f"Bearer {token}"},
        )
        go.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                assert resp.status == 200
        except BaseException as exc:
            view_errors.append(exc)

    viewers = [threading.Thread(target=view, args=(n,)) for n in range(VIEWS)]
    for t in viewers:
        t.start()
    go.set()
    for t in viewers:
        t.join(120)
    assert view_errors == []
    verified = run_cli("audit", "verify", "--data", str(dirs["node-c"]), env=envs["node-c"])
    assert verified.returncode == 0, verified.stderr
    with rt.db.session() as s:
        assert audit.verify_chain(s) == []
        links = s.execute(select(func.count(AuditEvent.id))).scalar_one()
        views = s.execute(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "document.view")
        ).scalar_one()
    assert views == VIEWS

    # 4. The backup, restored onto a new PostgreSQL database, has everything acknowledged
    # before it started (archived, or still spooled and restored into the spool).
    restored_dir = tmp_path / "restored"
    restored_env = {**common, "DIIA_INBOX_DATABASE_URL": pg_databases()}
    restored_env.pop("DIIA_INBOX_BLOBS_PATH")
    result = run_cli("restore", str(backup_file), "--data", str(restored_dir), env=restored_env)
    assert result.returncode == 0, result.stderr
    target = Runtime.open(load_config(data_dir=restored_dir, env=restored_env))
    try:
        with target.db.session() as s:
            in_db = set(s.execute(select(Message.message_id)).scalars())
            pdf = s.execute(select(Document.pdf_sha256).limit(1)).scalar_one()
        assert target.blobs.get(pdf).startswith(b"%PDF")  # the shared keyring came along
    finally:
        target.close()
    in_backup = in_db | _spooled_ids(restored_dir / "spool")
    missing = acked_before_backup - in_backup
    assert missing == set(), f"acknowledged before the backup, not in it: {len(missing)}"

    # 5. Reminders: two nodes' daily jobs, a CLI run and two bare claimers race.
    today = dt.datetime.now(dt.UTC).date()
    with rt.db.session() as s:
        branch = s.execute(select(Branch)).scalars().one()
        codes = []
        services = (
            ("для поселення у готель", "id-card"),
            ("для оформлення трудового договору", "taxpayer-card"),
            ("для бронювання трансферу", "foreign-passport"),
        )
        for n, (purpose, package) in enumerate(services[:CODES]):
            # One code per package: a branch has one active code per document package.
            service = registry.add_service(s, branch.id, purpose, [package], None)
            issued = today - dt.timedelta(days=360 - n)
            url = f"https://diia.example/qr/NODES-{n}"
            codes.append(registry.import_code(s, branch.id, service.id, url, issued).id)
    runners = [
        Runtime.open(load_config(data_dir=dirs[n], env=envs[n])) for n in ("node-a", "node-b")
    ]
    now = dt.datetime.now(dt.UTC)
    race = threading.Barrier(5)
    race_errors: list[BaseException] = []

    def daily(runner: Runtime) -> None:
        jobs = DailyJobs(runner, startup_delay=0)
        race.wait()
        run = jobs._run_job("reminders", now)
        if not run.ok:
            race_errors.append(AssertionError(run.detail))

    def claimer(runner: Runtime) -> None:
        params = OutboundParams.from_settings(runner.config.outbound)
        race.wait()
        try:
            expiry.run_daily(runner.db, today, params, now=now)
        except BaseException as exc:
            race_errors.append(exc)

    def cli() -> None:
        race.wait()
        run_cli("qr", "remind", "--data", str(dirs["node-c"]), env=envs["node-c"])

    try:
        threads = [threading.Thread(target=daily, args=(r,)) for r in runners]
        threads += [threading.Thread(target=claimer, args=(r,)) for r in runners]
        threads.append(threading.Thread(target=cli))
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        for r in runners:
            r.close()
    assert race_errors == []
    per_code = Counter(
        int(re.search(r"code=(\d+)", str(m["X-Diia-Inbox-Notice"])).group(1))  # type: ignore[union-attr]
        for m in mailserver.messages
    )
    assert per_code == {code: 1 for code in codes}
    reminders_sent = sum(per_code.values())

    # 6. A node killed with mail in its spool: the others show it down with that mail.
    _defer_into_spool(dirs["node-c"], people["node-c"][0].plain_mail())
    wait_for(lambda: _node(envs, dirs, "node-c")["spool_depth"] == 1, "node-c to report its spool")
    served["node-c"].proc.send_signal(signal.SIGKILL)
    served["node-c"].proc.wait(60)
    wait_for(lambda: _node(envs, dirs, "node-c")["state"] == "down", "node-c to be seen down")
    assert _node(envs, dirs, "node-c")["spool_depth"] == 1
    with urllib.request.urlopen(f"{served['node-a'].base}/metrics", timeout=30) as resp:
        metrics = resp.read().decode()
    assert re.search(r"^diia_inbox_cluster_spool_depth 1$", metrics, re.M), metrics
    assert 'diia_inbox_node_up{node="node-c"} 0' in metrics

    print(
        f"\nseveral nodes: acknowledged {acknowledged}, archived {archived}, "
        f"acknowledged before the backup {len(acked_before_backup)}, in backup "
        f"{len(in_backup & set(senders.acked))} (of which before it started "
        f"{len(acked_before_backup & in_backup)}), reminders sent {reminders_sent} for "
        f"{CODES} codes, audit links verified {links}"
    )


def _node(envs: dict[str, dict[str, str]], dirs: dict[str, Path], name: str) -> dict[str, Any]:
    listed = _nodes_json(envs["node-a"], dirs["node-a"])
    return next(n for n in listed["nodes"] if n["name"] == name)


def _defer_into_spool(data_dir: Path, raw: bytes) -> None:
    """Mail the node accepted and holds for a later attempt (as after a failed try): written
    with the spool's own writer, its retry time set an hour ahead, then put in place."""
    stage = Spool(data_dir / "stage")
    item_id = stage.put(raw, Envelope.now("taras.test@example.net", [BRANCH]))
    item = data_dir / "stage" / "new" / item_id
    state = {"attempts": 1, "reason": "DEFERRED", "not_before": time.time() + 3600}
    (item / "state.json").write_text(json.dumps(state))
    os.rename(item, data_dir / "spool" / "new" / item_id)


def _cli() -> list[str]:
    from tests.privacy.conftest import DIIA_INBOX

    return [DIIA_INBOX]


def _env(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    return {**base, **extra}


_ = asyncio  # the sink's handler is a coroutine run by aiosmtpd's own loop
