"""The CPU-bound part of the pipeline in processes of its own, so a worker uses every core.

`ingest.pipeline.prepare` (MIME parse, signature verification, text extraction, field
recognition) is Python code that holds the GIL for most of a message: the worker's loops are
threads, so however many there are, they shared one core for it. A `PreparePool` runs
`prepare` in child processes, one per concurrent caller, and gives back the `Prepared` value;
everything that touches the archive (the duplicate check, blobs, the commit, the index) and
the spool stays in the worker's process. The exactly-once guarantee is therefore unchanged: a
spool item is claimed by an atomic rename and marked done only after the archive commit, in
the parent, as before; a child only computes.

A child is built from a `PoolSpec`: plain settings and the trust material as DER bytes, so it
needs no database and no access to the data folder. The steps it runs are made by the
`build` function the caller passes (`diia_inbox.wiring.steps_from_spec`), the same factories
the in-thread pipeline uses, so both judge a message alike. When the trust store the caller
sees changes (a trust file imported, the bundle refreshed), the next message gets children
built from the new material; the old children are stopped.

A child that dies in the middle of a message (killed, out of memory, a crash in a C library)
costs that attempt only: the caller gets `PrepareFailed`, the worker retries the item with
back-off and quarantines it after too many attempts, as for any internal error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ingest.parcels import ParseLimits
from ingest.pipeline import Prepared, Steps, prepare
from ingest.settings import IngestSettings
from search.sandbox import process_context
from search.settings import SearchSettings
from verify.trust import TrustStore

log = logging.getLogger("diia_inbox.ingest.prepare_pool")

_OK = "ok"
_ERROR = "error"


class PrepareFailed(RuntimeError):
    """A child could not prepare the message (it died, or `prepare` raised: a defect).

    `reason`: PREPARE_CHILD_DIED, PREPARE_ERROR (the defect's type is in the text) or
    PREPARE_POOL_CLOSED."""

    reason = "PREPARE_FAILED"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class PoolSpec:
    """Everything a child needs to build its steps; picklable, no open resources."""

    #: The verifier's revocation policy by its settings name, and its accepted signers.
    revocation: str
    accepted_signers: tuple[str, ...]
    search: SearchSettings
    limits: ParseLimits
    anchors: tuple[bytes, ...]
    intermediates: tuple[bytes, ...]
    crls: tuple[bytes, ...] = ()

    @classmethod
    def of(
        cls,
        revocation: str,
        accepted_signers: tuple[str, ...],
        search: SearchSettings,
        ingest: IngestSettings,
        store: TrustStore,
    ) -> PoolSpec:
        return cls(
            revocation,
            accepted_signers,
            search,
            ParseLimits.from_settings(ingest),
            tuple(c.der for c in store.anchors),
            tuple(c.der for c in store.intermediates),
            tuple(store.crls),
        )

    def trust(self) -> TrustStore:
        return TrustStore.from_certificates(self.anchors, self.intermediates, crls=self.crls)


Build = Callable[[PoolSpec], Steps]


# --- in the child ---------------------------------------------------------------------------


def _serve(conn: Connection, build: Build, spec: PoolSpec) -> None:
    """A child's life: build the steps once, then one message in, one `Prepared` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    steps = build(spec)
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Prepared | str] = (_OK, prepare(raw, steps).lean())
        except Exception as exc:  # a defect: report its type only (its text may quote mail)
            answer = (_ERROR, type(exc).__name__)
        try:
            conn.send(answer)
        except OSError:  # the parent is gone: nobody to answer
            return


# --- in the parent --------------------------------------------------------------------------


class _Child:
    def __init__(self, ctx: Any, build: Build, spec: PoolSpec, generation: int) -> None:
        self.generation = generation
        self.dead = False
        self.conn, theirs = ctx.Pipe()
        # Not a daemon: the child starts the text extractor's own sandbox processes, which a
        # daemon may not. It leaves when its end of the pipe closes (`stop`, or our exit).
        self.proc = ctx.Process(target=_serve, args=(theirs, build, spec), daemon=False)
        self.proc.start()
        theirs.close()

    def ask(self, raw: bytes) -> Prepared:
        try:
            self.conn.send_bytes(raw)
            status, value = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.dead = True
            self.stop()
            raise PrepareFailed("PREPARE_CHILD_DIED") from exc
        if status != _OK or not isinstance(value, Prepared):
            raise PrepareFailed("PREPARE_ERROR", str(value))
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        self.proc.join(5.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5.0)
        with contextlib.suppress(ValueError):
            self.proc.close()


class PreparePool:
    """`prepare` in child processes; a `Preparer` (call it with the raw message), thread-safe.

    `spec` is called on every message and must be cheap: it returns the spec for the trust
    store in force, and a different spec (by identity) retires the children built from the
    old one."""

    def __init__(self, spec: Callable[[], PoolSpec], build: Build, *, size: int = 1) -> None:
        self._spec = spec
        self._size = size
        self._build = build
        self._ctx = process_context()
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._current: PoolSpec | None = None
        self._generation = 0
        self._closed = False
        self.started = 0  # children started (tests, metrics)

    def __call__(self, raw: bytes) -> Prepared:
        child = self._take()
        try:
            return child.ask(raw)
        finally:
            if not child.dead:  # a child that answered, even with an error, is still well
                self._give_back(child)

    def _take(self) -> _Child:
        spec = self._spec()
        with self._lock:
            if self._closed:
                raise PrepareFailed("PREPARE_POOL_CLOSED")
            stale: list[_Child] = []
            if spec is not self._current:
                self._current = spec
                self._generation += 1
                stale, self._idle = self._idle, []
            child = self._idle.pop() if self._idle else None
            generation = self._generation
        for old in stale:
            old.stop()
        if child is None:
            child = _Child(self._ctx, self._build, spec, generation)
            with self._lock:
                self.started += 1
        return child

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            if not self._closed and child.generation == self._generation:
                self._idle.append(child)
                return
        child.stop()

    def prestart(self) -> None:
        """Start `size` children now, so the first messages do not wait for them (blocking)."""
        children = [self._take() for _ in range(self._size)]
        for child in children:
            self._give_back(child)

    async def start(self) -> None:
        """As a service component: children started in the background, not delaying start-up;
        a failure here only means the first message starts its child itself."""

        def prestart() -> None:
            try:
                self.prestart()
            except Exception as exc:
                log.info("prepare children not started ahead: %s", type(exc).__name__)

        asyncio.get_running_loop().run_in_executor(None, prestart)

    async def stop(self) -> None:
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Stop every idle child; busy ones stop when they hand their message back."""
        with self._lock:
            self._closed = True
            children, self._idle = self._idle, []
        for child in children:
            child.stop()
