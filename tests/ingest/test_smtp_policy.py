"""Recipient policy as data: the address cache over the branch table, and receiver wiring."""

from __future__ import annotations

import asyncio
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


def test_address_cache_peek_never_reads(sqlite_runtime: Any) -> None:
    rt = sqlite_runtime
    with rt.db.session() as s:
        add_branch(s, "Готель Дніпро", "Дніпро", "hotel-dnipro@inbox.example.org")
    cache = AddressCache(rt.db, ttl=60.0, clock=FakeClock())
    assert cache.peek() is None  # nothing read yet: only the blocking call can answer
    known = cache()
    cache._db = None  # type: ignore[assignment]  # any read now would fail
    assert cache.peek() == known == {"hotel-dnipro@inbox.example.org"}


class MemorySource:
    """A `CachedPolicySource` whose blocking call must not be used while it has a set."""

    def __init__(self, known: frozenset[str] | None) -> None:
        self.known, self.calls = known, 0

    def __call__(self) -> frozenset[str]:
        self.calls += 1
        return frozenset({"hotel-dnipro@inbox.example.org"})

    def peek(self) -> frozenset[str] | None:
        return self.known


@pytest.mark.parametrize("known", [frozenset({"hotel-dnipro@inbox.example.org"}), None])
async def test_rcpt_answers_from_memory_and_falls_back_to_the_blocking_read(
    tmp_path: Any, known: frozenset[str] | None
) -> None:
    from ingest.smtp import SmtpComponent

    source = MemorySource(known)
    component = SmtpComponent(
        Spool(tmp_path / "spool"),
        source,
        IngestSettings(hostname="mx.test", greeting_pause=0.0),
        "127.0.0.1",
        0,
        IngestMetrics(),
    )
    await component.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", component.port)
        assert (await reader.readline()).startswith(b"220")
        writer.write(
            b"HELO c.example.net\r\nMAIL FROM:<taras.test@example.net>\r\n"
            b"RCPT TO:<hotel-dnipro@inbox.example.org>\r\nRCPT TO:<nobody@example.org>\r\nQUIT\r\n"
        )
        replies = [(await reader.readline())[:9] for _ in range(5)]
        writer.close()
    finally:
        await component.stop()
    assert replies == [b"250 mx.te", b"250 2.1.0", b"250 2.1.5", b"550 5.1.1", b"221 Bye\r\n"]
    assert source.calls == (0 if known else 2)
