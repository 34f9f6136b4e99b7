"""Readiness checks as a list: reasons, exceptions, and a check that never answers."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client import CollectorRegistry

from web.readiness import (
    Readiness,
    ReadinessCheck,
    first_failure,
    folder_takes_write,
    raising,
    summary,
)


def _boom() -> None:
    raise OSError(28, "No space left on device")


def test_results_reasons_and_the_gauge(tmp_path: Path) -> None:
    readiness = Readiness(
        [
            ReadinessCheck("spool", lambda: folder_takes_write(tmp_path)),
            ReadinessCheck("index", raising(_boom)),
            ReadinessCheck("blobs", lambda: "bucket gone"),
        ]
    )
    body = summary(readiness.run())
    assert body["status"] == "unavailable"
    assert body["failed"] == {"index": "OSError: [Errno 28] No space left on device",
                              "blobs": "bucket gone"}  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
    registry = CollectorRegistry()
    registry.register(readiness)
    assert registry.get_sample_value("diia_inbox_ready", {"check": "spool"}) == 1
    assert registry.get_sample_value("diia_inbox_ready", {"check": "index"}) == 0
    readiness.add(ReadinessCheck("index", lambda: None))  # replaces the one of that name
    assert readiness.names == ["spool", "blobs", "index"]


def test_unwritable_folder_has_a_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    reason = folder_takes_write(tmp_path / "file" / "spool")
    assert reason is not None and "cannot write" in reason


def test_first_failure_stops_at_the_first_reason() -> None:
    ran: list[str] = []

    def ok() -> None:
        ran.append("ok")

    combined = first_failure(raising(ok), lambda: "index locked", lambda: ran.append("x") or None)
    assert combined() == "index locked" and ran == ["ok"]


def test_a_check_that_never_answers_fails_and_the_others_still_report() -> None:
    never = threading.Event()
    readiness = Readiness(
        [
            ReadinessCheck("database", lambda: None if never.wait() else "unreachable"),
            ReadinessCheck("spool", lambda: None),
        ],
        timeout=5.0,
    )
    try:
        results = {r.name: r.reason for r in readiness.run()}
        assert results == {"database": "no answer within 5 s", "spool": None}
    finally:
        never.set()


def test_hung_checks_are_not_piled_up() -> None:
    """While a check is still stuck from an earlier run, it is not started again."""

    class OneSlot(Readiness):
        MAX_HUNG = 1

    never = threading.Event()
    readiness = OneSlot([ReadinessCheck("database", lambda: None if never.wait() else "x")], 5.0)
    try:
        assert readiness.run()[0].reason == "no answer within 5 s"
        assert readiness.run()[0].reason == "earlier checks still have no answer"
    finally:
        never.set()
