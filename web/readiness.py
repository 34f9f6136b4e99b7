"""Readiness: can this node take work right now? A list of named checks, each answering with
None (fine) or a one-line reason, so that `/readyz` can tell an orchestrator *why* not.

Liveness (`/livez`) is deliberately not here: a live process whose database is down must not be
restarted by its supervisor, it must only stop getting traffic until the database is back.

"Can take a write" means a real write: a few kilobytes written and fsynced in the folder (a full
disk accepts an empty file but not its data blocks), a committed row update in the database, a
probe object stored in the blob store. Checks are plain callables, so other parts of the service
(node configuration, probe blobs) plug in by adding a `ReadinessCheck`.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from archive.errors import reason_of

#: Bytes a folder check writes and fsyncs: enough to need data blocks, small enough to be cheap.
PROBE_BYTES = 4096

#: A check that has not answered by then counts as failed (a hung database or NFS server must
#: make the node not ready, not make the probe hang past the orchestrator's own timeout).
CHECK_SECONDS = 10.0


@dataclass(frozen=True)
class ReadinessCheck:
    """One named check: `probe()` returns None when ready, otherwise the reason it is not."""

    name: str
    probe: Callable[[], str | None]


@dataclass(frozen=True)
class CheckResult:
    name: str
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.reason is None


def run_check(check: ReadinessCheck) -> CheckResult:
    """Run one check; an exception is a reason too (a probe must answer, whatever broke)."""
    try:
        reason = check.probe()
    except Exception as exc:
        reason = f"{type(exc).__name__}: {_one_line(exc)}"
    return CheckResult(check.name, reason)


class Readiness(Collector):
    """The node's checks, run on demand; as a Prometheus collector it exports
    `diia_inbox_ready{check="..."}` (1 ready, 0 not) from a fresh run at every scrape.

    Each check runs in a daemon thread of its own with one deadline for the run, so a check
    stuck on a hung server neither hangs the probe, nor ties up the web pages' threads, nor
    keeps the process from exiting. At most `MAX_HUNG` such threads exist at once; past that a
    check is not started again until an earlier one returns."""

    MAX_HUNG = 16

    def __init__(
        self, checks: Iterable[ReadinessCheck] = (), timeout: float = CHECK_SECONDS
    ) -> None:
        self._checks: list[ReadinessCheck] = list(checks)
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(self.MAX_HUNG)

    def add(self, check: ReadinessCheck) -> None:
        """Add a check, replacing one of the same name (a component knows its part better)."""
        self._checks = [c for c in self._checks if c.name != check.name] + [check]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self._checks]

    def run(self) -> list[CheckResult]:
        deadline = time.monotonic() + self.timeout
        started = [(c, self._start(c)) for c in self._checks]
        results = []
        for check, (thread, box) in started:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
            if box:
                results.append(box[0])
            elif thread is None:
                results.append(CheckResult(check.name, "earlier checks still have no answer"))
            else:
                results.append(CheckResult(check.name, f"no answer within {self.timeout:g} s"))
        return results

    def _start(self, check: ReadinessCheck) -> tuple[threading.Thread | None, list[CheckResult]]:
        box: list[CheckResult] = []
        if not self._slots.acquire(blocking=False):
            return None, box

        def target() -> None:
            try:
                box.append(run_check(check))
            finally:
                self._slots.release()

        thread = threading.Thread(target=target, name=f"readiness-{check.name}", daemon=True)
        thread.start()
        return thread, box

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "diia_inbox_ready",
            "1 when the named readiness check passes, 0 when it fails.",
            labels=["check"],
        )
        for result in self.run():
            family.add_metric([result.name], 1.0 if result.ok else 0.0)
        yield family


def folder_takes_write(folder: Path, size: int = PROBE_BYTES) -> str | None:
    """Write `size` random bytes into `folder`, fsync, read them back, remove the file."""
    name = folder / f".ready-{secrets.token_hex(6)}"
    payload = secrets.token_bytes(size)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if name.read_bytes() != payload:
            return f"{folder}: a written probe read back different"
        return None
    except OSError as exc:
        return f"{folder}: cannot write ({exc.strerror or type(exc).__name__})"
    finally:
        try:
            name.unlink()
        except OSError:
            pass


def folder_check(name: str, folder: Path) -> ReadinessCheck:
    return ReadinessCheck(name, lambda: folder_takes_write(folder))


def raising(probe: Callable[[], object]) -> Callable[[], str | None]:
    """Adapt a check that raises on failure (older style) to the `str | None` protocol."""

    def adapted() -> str | None:
        try:
            probe()
        except Exception as exc:
            return f"{reason_of(exc)}: {_one_line(exc)}"
        return None

    return adapted


def first_failure(*probes: Callable[[], str | None]) -> Callable[[], str | None]:
    """Several probes as one check: the first reason wins, later probes are not run."""

    def combined() -> str | None:
        for probe in probes:
            reason = probe()
            if reason is not None:
                return reason
        return None

    return combined


def summary(results: Sequence[CheckResult]) -> dict[str, object]:
    """The `/readyz` body: overall status and each check's reason (null when fine)."""
    ready = all(r.ok for r in results)
    return {
        "status": "ok" if ready else "unavailable",
        "checks": {r.name: r.reason for r in results},
        "failed": {r.name: r.reason for r in results if not r.ok},
    }


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "detail", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
