"""Fixtures of the QR tool tests: a registry with one branch and a local SMTP sink."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from archive.branches import add_branch
from archive.db import Database
from qrtools import registry
from tests.support.serve import free_port

BRANCH = "Готель «Палаццо», відділення №1"
ADDRESS = "м. Тернопіль, вул. Руська, 12"
EMAIL = "qr-palazzo@hotel.example"
ORGANIZATION = "Товариство з обмеженою відповідальністю «Палаццо Груп»"


@dataclass(frozen=True)
class Registry:
    db: Database
    branch_id: int
    service_id: int


def make_registry(database: Database) -> Registry:
    with database.session() as s:
        branch = add_branch(s, BRANCH, ADDRESS, EMAIL, ORGANIZATION)
        service = registry.add_service(
            s, branch.id, "для поселення у готель", ["taxpayer-card", "id-card"]
        )
        return Registry(database, branch.id, service.id)


@pytest.fixture
def reg(database: Database) -> Registry:
    """A branch with one service (ID card + taxpayer card), on SQLite and PostgreSQL: for
    tests whose queries, dates or joins could behave differently on the two engines."""
    return make_registry(database)


@pytest.fixture
def reg_lite(tmp_path: Path) -> Iterator[Registry]:
    """The same on SQLite only, for validation paths where the engine plays no part."""
    database = Database(f"sqlite:///{tmp_path / 'lite.db'}")
    database.migrate()
    try:
        yield make_registry(database)
    finally:
        database.dispose()


@dataclass
class Sink:
    """An SMTP server on 127.0.0.1 that keeps what it is given."""

    host: str = "127.0.0.1"
    port: int = 0
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append(
            (
                envelope.mail_from,  # type: ignore[attr-defined]
                list(envelope.rcpt_tos),  # type: ignore[attr-defined]
                envelope.original_content,  # type: ignore[attr-defined]
            )
        )
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[Sink]:
    sink = Sink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def zbar(image: Path) -> list[str]:
    """What zbarimg itself reads in an image, one entry per symbol line."""
    done = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sqrcode.binary", str(image)],
        capture_output=True,
        check=False,
    )
    return done.stdout.decode("utf-8").splitlines() if done.returncode == 0 else []
