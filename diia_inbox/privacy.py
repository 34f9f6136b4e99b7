"""Personal-data duties across the parts: retention purge, subject requests, key rotation.

archive/ knows rows and blobs; the index and the spool belong to search/ and ingest/. This
module is where the three meet, so that a purge or an erasure removes a copy everywhere: rows,
blobs, raw messages, index entries and quarantined mail that names the person.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import keystore, retention
from archive.blobs import BlobError, Blobs
from archive.cluster_lock import BLOB_GC, cluster_lock
from archive.db import Database
from archive.keyring import ENV_KEYRING, Keyring, load_keyring, save_keyring
from archive.models import Document, Message
from diia_inbox.runtime import Runtime
from ingest.spool import Spool
from search import subjects
from web import previews

log = logging.getLogger("diia_inbox.privacy")


@contextmanager
def blob_gc(rt: Runtime) -> Iterator[None]:
    """Exclusive against backups on every node: a purge must not delete blobs while a
    backup (on this node or another) is copying them. Installation-wide (archive.cluster_lock),
    not a file in one node's data folder."""
    with cluster_lock(rt.db, BLOB_GC):
        yield


@contextmanager
def search_backend(rt: Runtime) -> Iterator[Any]:
    from search.index import open_backend

    backend = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    try:
        yield backend
    finally:
        backend.close()


def _forget_in_index(rt: Runtime, ids: list[int], *, compact: bool = False) -> None:
    """Delete index entries so that their bytes leave the index files, not just the results.

    A Whoosh delete only marks documents deleted: their terms and stored fields stay in the
    segment files until a merge rewrites them (seen in tests/privacy: the RNOKPP still in a
    .seg file after `delete`); `optimize` merges them away. `compact` does that even with
    nothing to delete here, so copies deleted one by one from the web (which only marks them,
    a merge being too slow for a request) are gone from disk by the next daily purge.
    PostgreSQL's rows are reclaimed by `retention.scrub` (VACUUM).
    """
    if not ids and not compact:
        return
    with search_backend(rt) as backend:
        if ids:
            backend.delete(ids)
        backend.optimize()


@dataclass(frozen=True)
class PurgeReport:
    plan: retention.PurgePlan
    result: retention.PurgeResult | None
    quarantine_removed: int
    #: Copies of the plan whose content could not be read (encrypted, scanned, damaged):
    #: nobody ever checked whom they named, which the operator should know before they go.
    unreadable: tuple[int, ...] = ()


def purge(rt: Runtime, now: dt.datetime, *, dry_run: bool) -> PurgeReport:
    """Delete copies past their retention (not on legal hold), everywhere."""
    days = rt.config.retention.default_days
    with rt.db.session() as s:
        plan = retention.plan_purge(s, now, days)
        unreadable = tuple(
            d.id
            for d in (s.get(Document, i) for i in plan.documents)
            if d is not None and subjects.unreadable(d)
        )
    if dry_run:
        return PurgeReport(plan, None, 0, unreadable)
    result = retention.delete_everywhere(
        rt.db,
        rt.blobs,
        plan,
        derived=(
            lambda ids: _forget_in_index(rt, ids, compact=True),
            lambda ids: previews.forget(rt.config.preview_dir, ids),
        ),
    )
    removed = Spool(rt.config.spool_dir).purge_quarantine(
        (now - dt.timedelta(days=days)).timestamp()
    )
    with rt.db.session() as s:
        from archive import audit

        audit.record(
            s,
            "system",
            "retention.purge",
            "",
            "",
            detail={
                "documents": result.documents,
                "messages": result.messages,
                "blobs": result.blobs,
                "quarantine": removed,
                "unreadable": len(unreadable),
            },
        )
    return PurgeReport(plan, result, removed, unreadable)


def _message_text(raw: bytes) -> str:
    """Everything readable in a raw message (headers, decoded text parts, file names)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    chunks = [str(v) for v in msg.values()]
    for part in msg.walk():
        if part.get_filename():
            chunks.append(str(part.get_filename()))
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            chunks.append(payload.decode("utf-8", "replace"))
    return "\n".join(chunks)


def matcher() -> subjects.Matcher:
    """The exact matcher of data-subject requests, on the search's Ukrainian analysis
    (loads the morphology dictionary: about half a second, once per command or web app)."""
    from search.analysis import Analyzer

    return subjects.Matcher(Analyzer())


def find_subject(
    rt: Runtime, subject: subjects.Subject, match: subjects.Matcher | None = None
) -> subjects.Findings:
    with rt.db.session() as s:
        return subjects.find(s, subject, match or matcher())


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did: copies erased, kept on hold, taken as the same e-mail's, copies
    that could not be checked (unreadable, not erased) and copies left to check by hand."""

    selection: subjects.Selection
    erased: tuple[int, ...]
    held: tuple[int, ...]
    quarantine_removed: int

    @property
    def unchecked(self) -> list[int]:
        return self.selection.unchecked

    @property
    def to_check(self) -> list[int]:
        taken = set(self.erased) | set(self.held)
        return [d.id for d in self.selection.findings.to_check if d.id not in taken]


def plan_erasure(
    rt: Runtime,
    subject: subjects.Subject,
    copies: list[int] | None = None,
    match: subjects.Matcher | None = None,
    *,
    erasure: bool = True,
) -> subjects.Selection:
    """Exactly the copies an erasure (or, with `erasure=False`, an export) would take; raises
    subjects.Ambiguous when the request names more than one person and no copies are listed."""
    return subjects.select(find_subject(rt, subject, match), copies, same_message=erasure)


@dataclass(frozen=True)
class ErasureParts:
    """Everything an erasure touches, passed explicitly (the CLI builds it from a Runtime,
    the web from its deps)."""

    db: Database
    blobs: Blobs
    hmac_key: bytes
    #: Quarantined mail lives in the spool; erasure removes the person's through it.
    spool: Spool
    #: Removes index entries so that their bytes leave the index files (delete + merge).
    forget: Callable[[list[int]], None]
    #: Where the web keeps page images of the copies (web/previews.py): erased with them.
    preview_dir: Path


def erasure_parts(rt: Runtime) -> ErasureParts:
    ring = rt.keyring or load_keyring(rt.config.keys_dir, {}, create=True)
    assert ring is not None
    return ErasureParts(
        rt.db,
        rt.blobs,
        ring.hmac_key,
        Spool(rt.config.spool_dir),
        lambda ids: _forget_in_index(rt, ids),
        rt.config.preview_dir,
    )


def erase_subject(
    rt: Runtime,
    subject: subjects.Subject,
    actor: str,
    remote: str = "",
    *,
    copies: list[int] | None = None,
    match: subjects.Matcher | None = None,
) -> ErasureReport:
    """`erase` with the parts of an installation opened from the command line."""
    return erase(erasure_parts(rt), subject, actor, remote, copies=copies, match=match)


def erase(
    parts: ErasureParts,
    subject: subjects.Subject,
    actor: str,
    remote: str = "",
    *,
    copies: list[int] | None = None,
    match: subjects.Matcher | None = None,
) -> ErasureReport:
    """Erase the person's copies everywhere: rows, blobs, raw mail, index, quarantined mail.

    The copies are those of the one identity the request names (or the listed ones): an
    ambiguous request raises subjects.Ambiguous before anything is touched. Copies on legal
    hold are kept (the hold is the organisation's recorded reason to keep them) and listed.
    """
    match = match or matcher()
    with parts.db.session() as s:
        selection = subjects.select(subjects.find(s, subject, match), copies, same_message=True)
        docs = [d for d in selection.documents if not d.legal_hold]
        held = tuple(d.id for d in selection.documents if d.legal_hold)
        raw_matches = _raw_mail_matches(subject, copies, match)
        plan = retention.with_messages(
            retention.plan_deletion(s, docs),
            _documentless_messages_naming(parts.blobs, s, raw_matches),
        )
    result = retention.delete_everywhere(
        parts.db,
        parts.blobs,
        plan,
        derived=(parts.forget, lambda ids: previews.forget(parts.preview_dir, ids)),
        before_commit=lambda s: subjects.record_erasure(
            s, actor, selection, parts.hmac_key, plan.documents, remote
        ),
    )
    removed = 0
    for item_id, raw in parts.spool.quarantined_messages():
        if raw_matches(_message_text(raw)) and parts.spool.remove_quarantined(item_id):
            removed += 1
    log.info("erasure done: %d documents", result.documents)
    return ErasureReport(selection, tuple(result.document_ids), held, removed)


def _raw_mail_matches(
    subject: subjects.Subject, copies: list[int] | None, match: subjects.Matcher
) -> Callable[[str], bool]:
    """Which raw e-mails (quarantined, no documents) are the person's.

    A strong identifier (RNOKPP, document number) in the request must be in the mail; a
    request by name (and date of birth) reaches here only unambiguous, and then the mail
    must name the person the same exact way. With an explicit list of copies and no strong
    identifier, no raw mail is taken: nothing would tell a namesake's mail apart.
    """
    if subject.rnokpp or subject.number:
        strong = subjects.Subject(rnokpp=subject.rnokpp, number=subject.number)
        return lambda text: match.text_matches(strong, text)
    if copies is not None:
        return lambda text: False
    return lambda text: match.text_matches(subject, text)


def _documentless_messages_naming(
    blobs: Blobs, s: Any, names_person: Callable[[str], bool]
) -> list[tuple[int, str | None]]:
    """Archived messages without documents (quarantined) whose raw e-mail names the person.

    `subjects.find` looks at documents only; a message the pipeline could not split into
    documents keeps the citizen's whole e-mail as a blob and would survive the erasure.
    """
    out = []
    rows = s.execute(select(Message.id, Message.raw_sha256).where(~Message.documents.any())).all()
    for msg_id, digest in rows:
        if not digest:
            continue
        try:
            raw = blobs.get(digest)
        except BlobError:
            continue
        if names_person(_message_text(raw)):
            out.append((msg_id, digest))
    return out


class KeyringFromEnvironment(Exception):
    reason = "KEYRING_IN_ENVIRONMENT"


def rotate_keys(rt: Runtime, env: dict[str, str]) -> tuple[str, int]:
    """Make a new current key and re-encrypt every blob with it (also turns encryption on
    for blobs written before it was enabled)."""
    if env.get(ENV_KEYRING):
        raise KeyringFromEnvironment(
            f"the keyring comes from {ENV_KEYRING}; rotate it there and re-run with the new one"
        )
    master = keystore.load_master_key(rt.config.storage.master_key_file, env)
    count = 0
    with blob_gc(rt):
        if master is not None:
            # The shared keyring: every node picks the new key up at its next heartbeat.
            with rt.db.session() as s:
                ring = keystore.load(s, master) or Keyring.generate()
                new_id = ring.rotate()
                keystore.save(s, ring, master)
        else:
            local = load_keyring(rt.config.keys_dir, env, create=True)
            assert local is not None
            ring = local
            new_id = ring.rotate()
            save_keyring(rt.config.keys_dir, ring)
        rt.keyring = ring
        rt.blobs.keyring = ring if rt.config.storage.encrypt else None
        for digest in list(rt.blobs):
            if rt.blobs.reseal(digest):
                count += 1
    return new_id, count
