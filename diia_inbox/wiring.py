"""The composition root's building blocks: the one place that makes the pipeline, the
verifier's context, the search index writer and the web's services from the configuration.

`serve`, the command-line verbs and the tests build the service's parts here, so that every way
in judges a P7S with the same trust, revocation and signer policy, and extracts, recognises and
indexes a copy the same way. The packages themselves take what they need as typed arguments
and never read the configuration.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import DBAPIError, OperationalError

from archive import trust_files
from archive.blobs import Blobs
from archive.db import Database, DatabaseError
from diia_inbox.config import Config, VerifySettings
from ingest import manual, requeue
from ingest.manual import FileChecked
from ingest.parcels import ParseLimits
from ingest.pipeline import (
    TEXT_NOT_EXTRACTED,
    Extractor,
    Indexer,
    PipelineDeps,
    PipelineError,
    Steps,
    TextResult,
    Verification,
    Verifier,
    run_validation,
)
from ingest.prepare_pool import PoolSpec, PreparePool
from ingest.requeue import Reprocess
from ingest.settings import IngestSettings
from ingest.spool import Spool
from ingest.worker import WARM_UP_PDF
from qrtools.matching import match_warnings
from qrtools.settings import QrSettings
from search.extract import ExtractLimits, extract_text
from search.fields import recognise
from search.group_writer import GroupWriter
from search.index import ArchiveSource, IndexDoc, SearchBackend, open_backend
from search.sandbox import Sandbox
from search.settings import SearchSettings
from verify.cms import DecodedSignature
from verify.digests import ContentDigests
from verify.errors import VerifyError
from verify.policy import IdentityRule, RevocationPolicy, SignerPolicy
from verify.trust import Material, TrustStore, load_bytes, load_paths
from verify.validate import ValidationContext
from web.services import Reverifier, SubjectEraser, WebServices

log = logging.getLogger("diia_inbox.wiring")

#: `[verify] revocation` (checked when the configuration is loaded) as the verifier's policy.
REVOCATION: dict[str, RevocationPolicy] = {"soft": "soft", "hard": "hard", "require": "require"}

#: How old the trust stamp may be when received mail is verified (`TrustCache.store`): a trust
#: change, on this node or another, reaches the pipeline within this many seconds. The trust
#: jobs (re-verification), the manual check and the trust pages always look afresh.
PIPELINE_TRUST_MAX_AGE = 2.0


# --- the verifier --------------------------------------------------------------------------


class TrustCache:
    """The trust store, reloaded when the trust material changes.

    Material comes from the installation's database (imported files, shared by every node) and
    from configured paths plus the data folder's `trust/` (read for compatibility). Loading the
    national bundle takes a fraction of a second, so it is done once per change, not per
    message: a call compares a few `stat` results and the database's trust revision (the
    revision is how every node learns of a change made on another). Reading the revision is a
    database round trip, several milliseconds of a message's CPU, so a caller that can wait a
    moment for a change (the pipeline: `PIPELINE_TRUST_MAX_AGE`) passes `max_age` and a stamp
    read that recently is taken as current.
    """

    def __init__(
        self,
        anchors: Sequence[Path],
        intermediates: Sequence[Path],
        db: Database | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.anchors = list(anchors)
        self.intermediates = list(intermediates)
        self.db = db
        self.clock = clock
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._stamp_read_at: float | None = None
        self._store: TrustStore | None = None
        #: Callers on several threads (the worker's loops) take one store: without it each of
        #: them loaded its own at the first message, and a prepare pool, seeing another store,
        #: retired the children it had just started.
        self._lock = threading.Lock()
        self.loads = 0  # how many times the material was (re)loaded
        self.stamp_reads = 0  # how many times the stamp was read (files and database)

    def _current_stamp(self) -> tuple[tuple[str, float], ...]:
        self.stamp_reads += 1
        stamp: list[tuple[str, float]] = []
        for path in (*self.anchors, *self.intermediates):
            try:
                stamp.append((str(path), path.stat().st_mtime))
                if path.is_dir():
                    stamp += [(str(p), p.stat().st_mtime) for p in sorted(path.iterdir())]
            except OSError:
                stamp.append((str(path), -1.0))
        if self.db is not None:
            try:
                with self.db.session() as s:
                    count, top = trust_files.revision(s)
                stamp += [("db:count", float(count)), ("db:top", float(top))]
            except (DatabaseError, OperationalError, DBAPIError):
                # Database unreachable: keep what is loaded rather than lose all trust.
                if self._stamp is not None:
                    stamp += [item for item in self._stamp if item[0].startswith("db:")]
        return tuple(stamp)

    def store(self, max_age: float = 0.0) -> TrustStore:
        """The trust store, reloaded if the material changed; with `max_age` > 0 a stamp read
        less than that many seconds ago is not read again."""
        with self._lock:
            return self._store_now(max_age)

    def _store_now(self, max_age: float) -> TrustStore:
        now = self.clock()
        read_at = self._stamp_read_at
        if (
            max_age > 0
            and self._store is not None
            and read_at is not None
            and 0 <= now - read_at < max_age
        ):
            return self._store
        stamp = self._current_stamp()
        self._stamp_read_at = now
        if stamp != self._stamp:
            trusted = load_paths([p for p in self.anchors if p.exists()])
            trusted = trusted + self._database_material()
            extra = load_paths([p for p in self.intermediates if p.exists()])
            self._store = TrustStore.from_material(trusted, extra)
            for note in self._store.skipped:
                log.warning("trust material: skipped %s", note)
            self._stamp = stamp
            self.loads += 1
        assert self._store is not None
        return self._store

    def _database_material(self) -> Material:
        total = Material()
        if self.db is None:
            return total
        with self.db.session() as s:
            rows = trust_files.contents(s)
        for info, data in rows:
            try:
                total = total + load_bytes(data)
            except VerifyError as exc:
                total = total + Material(skipped=(f"{info.name}: {exc.detail}",))
        return total


_POLICY_ATTRIBUTES = {
    "organizationidentifier": "organization_identifier",
    "serialnumber": "subject_serial_number",
    "cn": "common_name",
    "commonname": "common_name",
    "edrpou": "edrpou",
    "sha256": "certificate_sha256",
}


def signer_policy(accepted: Sequence[str]) -> SignerPolicy:
    """`VerifySettings.accepted_signers` ("attribute=value" items) as a verify SignerPolicy."""
    rules = []
    for item in accepted:
        attribute, _, value = item.partition("=")
        key = _POLICY_ATTRIBUTES.get(attribute.strip().casefold())
        if key is None or not value.strip():
            raise PipelineError(f"accepted_signers: cannot use {item!r}", reason="CONFIG_INVALID")
        rules.append(IdentityRule(**{key: value.strip()}))
    return SignerPolicy.only(*rules) if rules else SignerPolicy.any_trusted()


class ContextMaker(Protocol):
    """Makes the ValidationContext of an installation (`context_factory`); called with no
    argument it looks at the trust material afresh, `trust_max_age` lets the trust stamp be
    that many seconds old (`TrustCache.store`)."""

    def __call__(self, *, trust_max_age: float = 0.0) -> ValidationContext: ...


def context_factory(
    verify_settings: VerifySettings,
    trust_dir: Path,
    *,
    clock: Callable[[], datetime] | None = None,
    db: Database | None = None,
) -> ContextMaker:
    """Zero-argument maker of the ValidationContext of an installation: configured trust (plus
    the data folder's trust/, reloaded when it changes), revocation policy and signer policy.
    The pipeline and the web's manual check share it, so both judge a P7S the same way."""
    cache = TrustCache(
        [*(Path(p) for p in verify_settings.trust), trust_dir],
        [Path(p) for p in verify_settings.certs],
        db,
    )
    policy = signer_policy(verify_settings.accepted_signers)

    def context(*, trust_max_age: float = 0.0) -> ValidationContext:
        ctx = ValidationContext(
            trust=cache.store(trust_max_age),
            revocation=REVOCATION[verify_settings.revocation],
            signer_policy=policy,
        )
        return ctx if clock is None else dataclasses.replace(ctx, clock=clock)

    return context


def make_verifier(make_context: ContextMaker) -> Verifier:
    """The verifier step: `verify.validate` with the installation's context (`context_factory`),
    its trust stamp up to `PIPELINE_TRUST_MAX_AGE` seconds old."""

    def run(
        p7s: bytes,
        content: bytes | None,
        *,
        decoded: DecodedSignature | None = None,
        digests: ContentDigests | None = None,
    ) -> Verification:
        ctx = make_context(trust_max_age=PIPELINE_TRUST_MAX_AGE)
        return run_validation(p7s, content, ctx, decoded=decoded, digests=digests)

    return run


def steps_from_spec(spec: PoolSpec) -> Steps:
    """A prepare child's steps (ingest/prepare_pool.py): the verifier, extractor and recogniser
    the in-thread pipeline uses, on the trust material and settings the parent sent. The
    extractor is run once on a one-page PDF, so its sandbox is up before the first copy."""
    store = spec.trust()
    revocation = REVOCATION[spec.revocation]
    policy = signer_policy(spec.accepted_signers)

    def context(*, trust_max_age: float = 0.0) -> ValidationContext:
        # The store is fixed for the child's life: a trust change gives new children.
        return ValidationContext(trust=store, revocation=revocation, signer_policy=policy)

    extract = make_extractor(spec.search)
    with contextlib.suppress(Exception):  # a failed warm-up only means the first copy pays
        extract(WARM_UP_PDF)
    return Steps(make_verifier(context), extract, recognise, spec.limits)


def make_prepare_pool(
    config: Config,
    make_context: ContextMaker,
    *,
    size: int = 1,
    trust_max_age: float = PIPELINE_TRUST_MAX_AGE,
) -> PreparePool:
    """The worker's prepare processes (`size`: one per worker loop), fed the trust store
    `make_context` holds (a new store, after a trust change, gives new children); the trust
    stamp is looked at as often as the in-thread pipeline does (`trust_max_age`)."""
    last: list[tuple[TrustStore, PoolSpec]] = []
    lock = threading.Lock()

    def current() -> PoolSpec:
        store = make_context(trust_max_age=trust_max_age).trust
        with lock:  # one spec per store, whichever loop asks first
            if not last or last[0][0] is not store:
                spec = PoolSpec.of(
                    config.verify.revocation,
                    tuple(config.verify.accepted_signers),
                    config.search,
                    config.ingest,
                    store,
                )
                last[:] = [(store, spec)]
            return last[0][1]

    return PreparePool(current, steps_from_spec, size=size)


def worker_loops(ingest: IngestSettings) -> int:
    """Messages the worker handles at once: `[ingest] workers`, 0 meaning one per core."""
    return ingest.workers or os.cpu_count() or 1


def with_prepare_pool(
    config: Config, deps: PipelineDeps, make_context: ContextMaker, *, loops: int
) -> tuple[PipelineDeps, PreparePool | None]:
    """`deps` as the worker runs them: with a prepare process per loop, unless
    `[ingest] prepare_in_processes` is off. The pool (None when off) is the caller's to start
    (`prestart` or as a component) and to close; `worker_pipeline` (`serve`, `diia-inbox
    ingest`, the pipeline benchmark) and the hardening tests' worker wire it here."""
    if not config.ingest.prepare_in_processes:
        return deps, None
    pool = make_prepare_pool(config, make_context, size=loops)
    return dataclasses.replace(deps, preparer=pool), pool


def worker_pipeline(
    config: Config,
    db: Database,
    blobs: Blobs,
    search: SearchBackend,
    make_context: ContextMaker,
    *,
    loops: int,
) -> tuple[PipelineDeps, PreparePool | None]:
    """The pipeline as the worker runs it (`serve`, `diia-inbox ingest`, the pipeline
    benchmark): the installation's steps on the trust store `make_context` holds, indexing
    into `search` (`worker_search`), with a prepare process per loop unless that is off
    (`with_prepare_pool`; the pool is the caller's to start and close)."""
    deps = dataclasses.replace(
        deps_from_config(config, db, blobs, make_context=make_context),
        index=index_into(search),
    )
    return with_prepare_pool(config, deps, make_context, loops=loops)


# --- extraction, indexing, the pipeline ----------------------------------------------------


def make_extractor(search_settings: SearchSettings) -> Extractor:
    """Text extraction by the search package, with its page and decompression limits; one
    sandbox for the extractor's life, so its reader process starts once, not once per copy."""
    limits = ExtractLimits.from_settings(search_settings)
    sandbox = Sandbox()

    def run(pdf: bytes) -> TextResult:
        result = extract_text(pdf, limits, sandbox)
        flags = tuple(str(f) for f in result.flags)
        if not result.text and TEXT_NOT_EXTRACTED not in flags:
            flags += (TEXT_NOT_EXTRACTED,)
        return TextResult(result.text or "", flags)

    return run


def worker_search(config: Config, db: Database) -> SearchBackend:
    """The search backend the worker writes through (`serve`, `diia-inbox ingest`, the pipeline
    benchmark): the installation's backend behind a `GroupWriter`, so messages finished one at
    a time are committed in groups, unless `[search] group_commit_seconds` is 0. The caller
    closes it (the group writer commits what is queued first)."""
    backend = open_backend(config.search, config.index_dir, db)
    if config.search.group_commit_seconds <= 0:
        return backend
    return GroupWriter(
        backend,
        still_archived=ArchiveSource(db).existing,
        max_docs=config.search.commit_batch,
        max_delay=config.search.group_commit_seconds,
    )


def index_into(backend: SearchBackend) -> Indexer:
    """The pipeline's index step on a backend the caller holds (`serve` shares one)."""

    def run(docs: Sequence[IndexDoc]) -> None:
        backend.add(list(docs))

    return run


def make_indexer(search_settings: SearchSettings, index_dir: Path, db: Database) -> Indexer:
    """Adds new documents to the search backend; opened lazily, once, by the first call."""
    opened: list[Indexer] = []

    def run(docs: Sequence[IndexDoc]) -> None:
        if not opened:
            opened.append(index_into(open_backend(search_settings, index_dir, db)))
        opened[0](docs)

    return run


def build_deps(
    db: Database,
    blobs: Blobs,
    *,
    verify_settings: VerifySettings,
    search_settings: SearchSettings,
    ingest_settings: IngestSettings,
    trust_dir: Path,
    index_dir: Path,
    qr_settings: QrSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    make_context: ContextMaker | None = None,
) -> PipelineDeps:
    """The pipeline as the service runs it: real verifier, extractor, matcher and index.
    `make_context` shares a verifier context (and its loaded trust store) the caller already
    has; without it one is made from the settings."""
    organization = qr_settings.organization if qr_settings is not None else ""
    if make_context is None:
        make_context = context_factory(verify_settings, trust_dir, clock=clock, db=db)
    return PipelineDeps(
        db=db,
        blobs=blobs,
        verify=make_verifier(make_context),
        extract=make_extractor(search_settings),
        recognise=recognise,
        match_warnings=functools.partial(match_warnings, organization=organization),
        index=make_indexer(search_settings, index_dir, db),
        limits=ParseLimits.from_settings(ingest_settings),
    )


def deps_from_config(
    config: Config,
    db: Database,
    blobs: Blobs,
    *,
    make_context: ContextMaker | None = None,
) -> PipelineDeps:
    """`build_deps` from an installation's configuration."""
    return build_deps(
        db,
        blobs,
        verify_settings=config.verify,
        search_settings=config.search,
        ingest_settings=config.ingest,
        trust_dir=config.trust_dir,
        index_dir=config.index_dir,
        qr_settings=config.qr,
        make_context=make_context,
    )


# --- the web's services --------------------------------------------------------------------


def pipeline_use_cases(pipeline: PipelineDeps) -> tuple[FileChecked, Reprocess]:
    """The use cases the web calls, on the pipeline's parts: filing a copy from the manual
    check (`ingest.manual.file_checked`), re-processing a quarantined message
    (`ingest.requeue.reprocess`)."""
    return (
        functools.partial(manual.file_checked, pipeline),
        functools.partial(requeue.reprocess, pipeline),
    )


def web_services(
    config: Config,
    db: Database,
    *,
    search: SearchBackend | None = None,
    pipeline: PipelineDeps | None = None,
    spool: Spool | None = None,
    today: Callable[[], dt.date] | None = None,
    reverify: Reverifier | None = None,
    subject_erase: SubjectEraser | None = None,
    verify_context: Callable[[], ValidationContext] | None = None,
) -> WebServices:
    """The services of one installation's web app: from the configuration plus the live parts
    `serve` runs (one search backend shared with the worker, the spool, the trust jobs, and
    the verifier context, made here when not given). The pipeline's use cases (filing a
    checked copy, re-processing) are bound to it here."""
    file_checked, reprocess = pipeline_use_cases(pipeline) if pipeline else (None, None)
    return WebServices(
        search=search,
        verify_context=verify_context or context_factory(config.verify, config.trust_dir, db=db),
        file_checked=file_checked,
        reprocess=reprocess,
        spool=spool,
        today=today,
        trust_dir=config.trust_dir,
        retention_days=int(config.retention.default_days),
        qr_remind_days=int(config.qr.remind_days),
        reverify=reverify,
        subject_erase=subject_erase,
    )
