"""Recipient policy as data: the address cache over the branch table, and receiver wiring."""

from __future__ import annotations

import time
from typing import Any

import pytest

from archive.branches import add_branch
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.smtp import AddressCache, ReceiverPolicy, build_receivers
from ingest.spool import Spool


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_address_cache_sees_new_branches_after_ttl(sqlite_runtime: Any) -> None:
    rt = sqlite_runtime
    with rt.db.session() as s:
        add_branch(s, "Готель Дніпро", "Дніпро", "Hotel-Dnipro@Inbox.Example.org")
    clock = FakeClock()
    cache = AddressCache(rt.db, ttl=5.0, clock=clock)
    assert cache() == {"hotel-dnipro@inbox.example.org"}
    with rt.db.session() as s:
        add_branch(s, "Хостел Львів", "Львів", "hostel-lviv@inbox.example.org")
    assert "hostel-lviv@inbox.example.org" not in cache()  # cached
    clock.now = 5.0
    # The due refresh runs in the background (a hung database must not stall SMTP); the old
    # set answers meanwhile, the new one right after.
    cache()
    deadline = time.monotonic() + 10  # a safety net, not a measurement
    while "hostel-lviv@inbox.example.org" not in cache() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "hostel-lviv@inbox.example.org" in cache()


def test_address_cache_keeps_last_set_when_database_fails(sqlite_runtime: Any) -> None:
    rt = sqlite_runtime
    with rt.db.session() as s:
        add_branch(s, "Готель Дніпро", "Дніпро", "hotel-dnipro@inbox.example.org")
    clock = FakeClock()
    cache = AddressCache(rt.db, ttl=1.0, clock=clock)
    known = cache()

    class Broken:
        def session(self) -> Any:
            raise OSError("database down")

    cache._db = Broken()  # type: ignore[assignment]
    clock.now = 10.0
    assert cache() == known
    time.sleep(0.2)  # let the background refresh fail
    assert cache() == known
    with pytest.raises(OSError):
        AddressCache(Broken(), clock=clock)()  # type: ignore[arg-type]


def test_policy_accepts_normalised_addresses_or_a_predicate() -> None:
    by_set = ReceiverPolicy(frozenset({"a@b.org"}), max_message_bytes=10, max_recipients=1)
    assert by_set.accepts(" <A@B.org> ") and not by_set.accepts("c@b.org")
    by_domain = ReceiverPolicy(lambda a: a.endswith("@b.org"), 10, 1)
    assert by_domain.accepts("Anyone@B.ORG") and not by_domain.accepts("x@c.org")


def test_build_receivers_adds_lmtp_when_configured(tmp_path: Any) -> None:
    spool, metrics = Spool(tmp_path / "spool"), IngestMetrics()
    plain = build_receivers(IngestSettings(), spool, frozenset, metrics, ("127.0.0.1", 2600))
    assert [(r.host, r.port, r.lmtp) for r in plain] == [("127.0.0.1", 2600, False)]
    both = build_receivers(
        IngestSettings(lmtp_host="127.0.0.1", lmtp_port=2424), spool, frozenset, metrics
    )
    assert [(r.port, r.lmtp) for r in both] == [(2525, False), (2424, True)]


async def test_required_tls_without_certificate_refuses_to_start(tmp_path: Any) -> None:
    from ingest.smtp import SmtpComponent
    from ingest.tls import TlsConfigError

    settings = IngestSettings(require_tls=True)
    component = SmtpComponent(
        Spool(tmp_path / "spool"), frozenset, settings, "127.0.0.1", 0, IngestMetrics()
    )
    with pytest.raises(TlsConfigError) as err:
        await component.start()
    assert err.value.reason == "TLS_CONFIG_INVALID"
