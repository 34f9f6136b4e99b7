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
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import keystore, retention, subjects
from archive.blobs import BlobError
from archive.cluster_lock import BLOB_GC, cluster_lock
from archive.keyring import ENV_KEYRING, Keyring, load_keyring, save_keyring
from archive.models import Document, Message
from diia_inbox.runtime import Runtime

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


def purge(rt: Runtime, now: dt.datetime, *, dry_run: bool) -> PurgeReport:
    """Delete copies past their retention (not on legal hold), everywhere."""
    days = rt.config.retention.default_days
    with rt.db.session() as s:
        plan = retention.plan_purge(s, now, days)
    if dry_run:
        return PurgeReport(plan, None, 0)
    with blob_gc(rt):
        result = retention.execute(rt.db, rt.blobs, plan)
    _forget_in_index(rt, result.document_ids, compact=True)
    removed = _purge_old_quarantine(rt, now - dt.timedelta(days=days))
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
            },
        )
    return PurgeReport(plan, result, removed)


def _quarantine_items(rt: Runtime) -> list[Path]:
    folder = rt.config.spool_dir / "quarantine"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _remove_item(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _purge_old_quarantine(rt: Runtime, cutoff: dt.datetime) -> int:
    removed = 0
    for item in _quarantine_items(rt):
        mtime = dt.datetime.fromtimestamp(item.stat().st_mtime, dt.UTC)
        if mtime < cutoff:
            _remove_item(item)
            removed += 1
    return removed


def _raw_message_of(item: Path) -> bytes:
    path = item / "message" if item.is_dir() else item
    try:
        return path.read_bytes()
    except OSError:
        return b""


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


def find_subject(rt: Runtime, subject: subjects.Subject) -> list[Document]:
    with rt.db.session() as s:
        return subjects.find(s, subject)


def erase_subject(rt: Runtime, subject: subjects.Subject, actor: str, remote: str = "") -> int:
    """Erase every copy of the person: rows, blobs, raw mail, index, quarantined mail.

    Copies on legal hold are kept (the hold is the organisation's recorded reason to keep
    them, and the web refuses to delete them too); `held_copies` lists them for the operator.
    """
    ring = rt.keyring or load_keyring(rt.config.keys_dir, {}, create=True)
    assert ring is not None
    with rt.db.session() as s:
        docs = [d for d in subjects.find(s, subject) if not d.legal_hold]
        plan = retention.with_messages(
            retention.plan_deletion(s, docs), _documentless_messages_naming(rt, s, subject)
        )
    with blob_gc(rt):
        result = retention.execute(
            rt.db,
            rt.blobs,
            plan,
            before_commit=lambda s: subjects.record_erasure(
                s, actor, subject, ring.hmac_key, len(plan.documents), remote
            ),
        )
    _forget_in_index(rt, result.document_ids)
    for item in _quarantine_items(rt):
        if subject.matches_text(_message_text(_raw_message_of(item))):
            _remove_item(item)
    log.info("erasure done: %d documents", result.documents)
    return result.documents


def held_copies(rt: Runtime, subject: subjects.Subject) -> list[int]:
    """Ids of the person's copies on legal hold (an erasure keeps them)."""
    return [d.id for d in find_subject(rt, subject) if d.legal_hold]


def _documentless_messages_naming(
    rt: Runtime, s: Any, subject: subjects.Subject
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
            raw = rt.blobs.get(digest)
        except BlobError:
            continue
        if subject.matches_text(_message_text(raw)):
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
