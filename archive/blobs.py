"""Content-addressed blob store: raw messages, PDFs and P7S files, each stored once by sha256.

Writes go to a temporary file in the same file system, are fsynced, then renamed into place and
the directory fsynced, so a crash leaves either the whole blob or none. Concurrent writers of the
same bytes race harmlessly: each rename installs identical content under the same name. Reads
re-hash the bytes, so a truncated or altered blob is reported, never returned as good.

With a keyring, blobs are encrypted at rest with AES-256-GCM (the blob's name is bound into the
authenticated data, so swapping two files is detected too). Names stay the sha256 of the
plaintext, so references in the database do not change when keys are rotated.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from archive.keyring import Keyring, KeyUnavailable

CHUNK = 1 << 20


class BlobError(Exception):
    reason = "BLOB_ERROR"


class BlobNotFound(BlobError):
    reason = "BLOB_NOT_FOUND"


class BlobCorrupt(BlobError):
    """The stored bytes no longer hash to their name (truncated, altered or bit-rotted)."""

    reason = "BLOB_CORRUPT"


class Blobs(Protocol):
    """What the archive needs of a blob store; the filesystem `BlobStore` and the S3 store
    (archive.blobs_s3) both provide it, so the rest of the program never knows which it has."""

    keyring: Keyring | None

    def put(self, data: bytes) -> str: ...
    def put_many(self, items: Sequence[bytes], known: Sequence[str | None] = ()) -> list[str]: ...
    def put_stream(self, stream: BinaryIO) -> str: ...
    def get(self, digest: str) -> bytes: ...
    def exists(self, digest: str) -> bool: ...
    def delete(self, digest: str) -> bool: ...
    def reseal(self, digest: str) -> bool: ...
    def verify(self, digest: str) -> bool: ...
    def probe(self) -> str | None: ...
    def __iter__(self) -> Iterator[str]: ...


#: Bytes the readiness probe stores: enough to need data blocks (an empty file fits a full disk).
PROBE_BYTES = 4096


def seal(keyring: Keyring | None, digest: str, data: bytes) -> bytes:
    """The bytes to store for `data`: itself, or AES-256-GCM bound to its name."""
    if keyring is None:
        return data
    return keyring.encrypt(data, associated=digest.encode())


def unseal(keyring: Keyring | None, digest: str, stored: bytes) -> bytes:
    """The plaintext of stored bytes, re-hashed against their name (BlobCorrupt if not)."""
    data = stored
    if keyring is not None or stored.startswith(b"DIIAENC1"):
        if keyring is None:
            raise BlobCorrupt(f"blob {digest} is encrypted and no key is configured")
        try:
            data = keyring.decrypt(stored, associated=digest.encode())
        except KeyUnavailable as exc:
            raise BlobCorrupt(f"blob {digest}: {exc.detail}") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise BlobCorrupt(f"blob {digest} does not match its hash")
    return data


def needs_reseal(keyring: Keyring | None, stored: bytes) -> bool:
    """Whether stored bytes are under another key than the current one (or clear vs sealed)."""
    current = keyring.current if keyring else None
    return Keyring.key_id_of(stored) != current


_DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(name: str) -> bool:
    return _DIGEST.fullmatch(name) is not None


def digests_of(items: Sequence[bytes], known: Sequence[str | None] = ()) -> list[str]:
    """The sha256 hex of each item: `known[i]` where the caller has it (computed from those
    very bytes), else hashed here. The pipeline hashes a raw message of hundreds of KB for its
    duplicate check; hashing it again here would only repeat that."""
    return [
        (known[i] if i < len(known) else None) or hashlib.sha256(data).hexdigest()
        for i, data in enumerate(items)
    ]


def _fsync_dir(path: Path) -> None:
    _fsync_path(path)


def _fsync_path(path: Path) -> None:
    """fsync a file or folder by name (a read-only descriptor is enough on Linux)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_folders(folder: Path) -> list[Path]:
    """Create `folder` and any missing parents; return the folders whose entries changed (the
    parent of each one created), which must be fsynced for the new folder to survive a crash."""
    try:
        folder.mkdir()
    except FileExistsError:
        return []
    except FileNotFoundError:
        changed = _make_folders(folder.parent)
        try:
            folder.mkdir()
        except FileExistsError:
            return changed
        return [*changed, folder.parent]
    return [folder.parent]


def _place(tmp: Path, final: Path) -> list[Path]:
    """Rename a written file into place, making its folders; the folders to fsync for the
    rename to be durable, deepest first (the file's own, then the parent of each one made)."""
    made = _make_folders(final.parent)
    os.replace(tmp, final)
    return [final.parent, *reversed(made)]


def _check_digest(digest: str) -> str:
    if not is_digest(digest):
        raise BlobNotFound(f"not a sha256 name: {digest[:80]!r}")
    return digest


class BlobStore:
    """Blobs under `root/ab/cd/<sha256>`; `root/tmp` holds writes in progress."""

    def __init__(self, root: Path, keyring: Keyring | None = None) -> None:
        self.root = Path(root)
        self.keyring = keyring
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        digest = _check_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, data: bytes) -> str:
        """Store `data`; return its sha256 hex. Storing the same bytes again writes nothing."""
        return self.put_many([data])[0]

    def put_many(self, items: Sequence[bytes], known: Sequence[str | None] = ()) -> list[str]:
        """Store several blobs (one message's files); return their sha256 hex, in order.
        `known`: digests the caller already has, by position (`digests_of`); trusted, so a
        wrong one names the bytes falsely, which every read then reports as BlobCorrupt.

        As durable as one `put` each, with the work of a batch grouped by phase: every new
        file is written, then each is fsynced, then all are renamed into place, then each
        folder that received one is fsynced. On a journalling file system the first fsync of a
        phase commits the journal for the whole batch and the others find their work done, so a
        message costs about two journal commits instead of two per file. Nothing is renamed
        before every file's bytes are on disk; on failure no temporary file is left.
        """
        digests = digests_of(items, known)
        new: dict[str, bytes] = {}
        for digest, data in zip(digests, items, strict=True):
            if digest not in new and not self.exists(digest):
                new[digest] = data
        if new:
            self._install_many(new)
        return digests

    def _seal(self, digest: str, data: bytes) -> bytes:
        return seal(self.keyring, digest, data)

    def put_stream(self, stream: BinaryIO) -> str:
        """Store a stream; without encryption it is never held whole in memory."""
        if self.keyring is not None:
            return self.put(stream.read())
        h = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = h.hexdigest()
            if self.exists(digest):
                os.unlink(tmp_name)
                return digest
            self._rename_into_place(Path(tmp_name), digest)
            return digest
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def _install_many(self, blobs: dict[str, bytes]) -> None:
        pending: list[tuple[Path, str]] = []
        try:
            for digest, data in blobs.items():
                fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
                pending.append((Path(tmp_name), digest))
                with os.fdopen(fd, "wb") as out:
                    out.write(self._seal(digest, data))
            for tmp, _digest in pending:
                _fsync_path(tmp)
            folders: list[Path] = []
            for tmp, digest in pending:
                for folder in _place(tmp, self.path(digest)):
                    if folder not in folders:
                        folders.append(folder)
            # Deepest first: a new ab/cd/ holds the blob, then ab/ (and the root) its entry.
            for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
                _fsync_dir(folder)
        except BaseException:
            for tmp, _digest in pending:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            raise

    def _install(self, digest: str, chunks: list[bytes]) -> str:
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            self._rename_into_place(Path(tmp_name), digest)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return digest

    def _rename_into_place(self, tmp: Path, digest: str) -> None:
        for folder in _place(tmp, self.path(digest)):
            _fsync_dir(folder)

    def get(self, digest: str) -> bytes:
        """Return the blob's bytes, or raise BlobNotFound / BlobCorrupt."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(f"no blob {digest}") from exc
        return unseal(self.keyring, digest, data)

    def delete(self, digest: str) -> bool:
        """Remove a blob; returns whether it was there. Callers check references first."""
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def reseal(self, digest: str) -> bool:
        """Rewrite one blob under the current key (or in clear without a keyring).

        Returns whether it was rewritten; used by key rotation and by turning encryption on.
        """
        raw = self.path(digest).read_bytes()
        if not needs_reseal(self.keyring, raw):
            return False
        data = self.get(digest)
        self._install(digest, [self._seal(digest, data)])
        return True

    def verify(self, digest: str) -> bool:
        try:
            self.get(digest)
        except BlobError:
            return False
        return True

    def probe(self) -> str | None:
        """Readiness: a few KB written, fsynced and removed in the store's own temp folder (the
        file system blobs land on), or the reason that failed."""
        name = self.tmp / f"ready-{secrets.token_hex(6)}"
        try:
            with open(name, "xb") as out:
                out.write(secrets.token_bytes(PROBE_BYTES))
                out.flush()
                os.fsync(out.fileno())
            return None
        except OSError as exc:
            return f"blob store {self.root}: cannot write ({exc.strerror or type(exc).__name__})"
        finally:
            try:
                name.unlink()
            except OSError:
                pass

    def __iter__(self) -> Iterator[str]:
        for first in sorted(self.root.iterdir()):
            if first.name == "tmp" or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    yield blob.name
