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
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from archive.keyring import Keyring, KeyUnavailable

CHUNK = 1 << 20


class BlobError(Exception):
    reason = "BLOB_ERROR"


class BlobNotFound(BlobError):
    reason = "BLOB_NOT_FOUND"


class BlobCorrupt(BlobError):
    """The stored bytes no longer hash to their name (truncated, altered or bit-rotted)."""

    reason = "BLOB_CORRUPT"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_digest(digest: str) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
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
        digest = hashlib.sha256(data).hexdigest()
        if self.exists(digest):
            return digest
        return self._install(digest, [self._seal(digest, data)])

    def _seal(self, digest: str, data: bytes) -> bytes:
        if self.keyring is None:
            return data
        return self.keyring.encrypt(data, associated=digest.encode())

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
        final = self.path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        _fsync_dir(final.parent)

    def get(self, digest: str) -> bytes:
        """Return the blob's bytes, or raise BlobNotFound / BlobCorrupt."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(f"no blob {digest}") from exc
        if self.keyring is not None or data.startswith(b"DIIAENC1"):
            if self.keyring is None:
                raise BlobCorrupt(f"blob {digest} is encrypted and no key is configured")
            try:
                data = self.keyring.decrypt(data, associated=digest.encode())
            except KeyUnavailable as exc:
                raise BlobCorrupt(f"blob {digest}: {exc.detail}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise BlobCorrupt(f"blob {digest} does not match its hash")
        return data

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
        current = self.keyring.current if self.keyring else None
        if Keyring.key_id_of(raw) == current:
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

    def __iter__(self) -> Iterator[str]:
        for first in sorted(self.root.iterdir()):
            if first.name == "tmp" or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    yield blob.name
