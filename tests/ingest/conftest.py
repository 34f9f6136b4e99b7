"""Fixtures for the ingest tests (receiver, spool, worker); neutral so that all can share them.

`receiver` runs a real `SmtpComponent` on its own event loop in a thread, so tests talk to it
with real blocking clients (smtplib, swaks, Postfix) exactly as the outside world does.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.smtp import SmtpComponent
from ingest.spool import Spool

BRANCH_ADDRESS = "hotel-dnipro@inbox.example.org"


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for localhost (made once per test session)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class RunningReceiver:
    component: SmtpComponent
    spool: Spool
    metrics: IngestMetrics
    loop: asyncio.AbstractEventLoop
    addresses: set[str]

    @property
    def port(self) -> int:
        return self.component.port

    def call(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Callable[..., RunningReceiver]]:
    """Factory: `receiver(lmtp=False, addresses={...}, spool_root=None, **IngestSettings)`."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="receiver-loop", daemon=True)
    thread.start()
    started: list[RunningReceiver] = []

    def start(
        *,
        lmtp: bool = False,
        addresses: set[str] | None = None,
        spool_root: Path | None = None,
        **overrides: Any,
    ) -> RunningReceiver:
        settings = dataclasses.replace(IngestSettings(hostname="mx.test"), **overrides)
        spool = Spool(spool_root or tmp_path / f"spool{len(started)}")
        metrics = IngestMetrics(queue_depth=spool.depth)
        accepted = {BRANCH_ADDRESS} if addresses is None else addresses
        component = SmtpComponent(
            spool, lambda: accepted, settings, "127.0.0.1", 0, metrics, lmtp=lmtp
        )
        running = RunningReceiver(component, spool, metrics, loop, accepted)
        running.call(component.start())
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in reversed(started):
            running.call(running.component.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def spool_items(spool: Spool, folder: str = "new") -> list[Path]:
    return sorted((spool.root / folder).iterdir())


# --- processing side (F2): signed material, a pipeline on a real installation ----------------


@pytest.fixture(scope="session")
def ecdsa_material() -> Any:
    """A real PDF with detached and attached ECDSA P-256 signatures (made once)."""
    from tests.ingest.mailmaker import make_material

    return make_material("ecdsa")


@pytest.fixture(scope="session")
def dstu_material() -> Any:
    """The same with DSTU 4145 / GOST 34.311 (slow in pure Python: made once)."""
    from tests.ingest.mailmaker import make_material

    return make_material("dstu")


def make_pipeline(rt: Any, roots: list[bytes], *, clock: Any = None, **overrides: Any) -> Any:
    """Real pipeline deps on installation `rt`, trusting `roots` (written to its trust/).

    `overrides` replace IngestSettings/SearchSettings fields by name (limits for hostile tests).
    """
    from diia_inbox.wiring import build_deps

    cfg = rt.config
    for n, der in enumerate(roots):
        (cfg.trust_dir / f"root{n}.der").write_bytes(der)
    ingest_fields = {f.name for f in dataclasses.fields(cfg.ingest)}
    ingest = dataclasses.replace(
        cfg.ingest, **{k: v for k, v in overrides.items() if k in ingest_fields}
    )
    search = dataclasses.replace(
        cfg.search, **{k: v for k, v in overrides.items() if k not in ingest_fields}
    )
    return build_deps(
        rt.db,
        rt.blobs,
        verify_settings=cfg.verify,
        search_settings=search,
        ingest_settings=ingest,
        trust_dir=cfg.trust_dir,
        index_dir=cfg.index_dir,
        qr_settings=cfg.qr,
        clock=clock,
    )


@pytest.fixture
def branch_id(sqlite_runtime: Any) -> int:
    """The test branch, receiving at BRANCH_ADDRESS, on the SQLite installation."""
    from archive.branches import add_branch

    with sqlite_runtime.db.session() as s:
        branch = add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
        return branch.id


@contextlib.contextmanager
def raw_session(port: int) -> Iterator[tuple[socket.socket, BinaryIO]]:
    """A bare socket and its reader; leaving the block really closes the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    reader = sock.makefile("rb")
    try:
        yield sock, reader
    finally:
        reader.close()
        sock.close()
