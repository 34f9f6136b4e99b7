"""Blobs on S3-compatible object storage (MinIO, Ceph RGW, AWS S3), for several nodes that
share one archive without a shared file system.

The same contract as the filesystem store (archive.blobs.Blobs): keys are the sha256 of the
plaintext (`<prefix>ab/cd/<sha256>`, the same layout as on disk), sealed with the same AES-GCM
keyring when encryption is on, and every read is re-hashed, so an object altered or truncated
in the bucket is reported as corrupt, never returned as good. An object store has no rename:
a PUT is atomic by itself (the object appears whole or not at all), and two nodes putting the
same bytes install identical content under the same key.

Large objects go up in parts (boto3's managed transfer, above `multipart_threshold`); every
request is retried with exponential back-off and jitter by botocore ("standard" mode), which
is what the S3 documentation asks clients to do on 5xx and throttling answers. Credentials
come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or any source boto3
reads), never from the configuration file.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from archive.blobs import (
    CHUNK,
    PROBE_BYTES,
    BlobError,
    BlobNotFound,
    _check_digest,
    digests_of,
    is_digest,
    needs_reseal,
    seal,
    unseal,
)
from archive.keyring import Keyring

#: Bytes kept in memory by put_stream before it spills to a temporary file.
SPOOL_IN_MEMORY = 8 << 20


@dataclass(frozen=True)
class S3Location:
    """Where the blobs live; the credentials are not here (they come from the environment)."""

    bucket: str
    endpoint: str = ""
    region: str = ""
    prefix: str = ""
    #: Objects above this size are uploaded in parts of this size.
    multipart_bytes: int = 8 << 20
    #: Attempts per request (first try included) before an error is raised.
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3BlobStore:
    """Content-addressed blobs in one bucket (under an optional key prefix)."""

    def __init__(
        self, location: S3Location, keyring: Keyring | None = None, client: Any = None
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config as BotoConfig

        self.location = location
        self.keyring = keyring
        self.bucket = location.bucket
        self.prefix = location.prefix
        if client is None:
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=location.endpoint or None,
                region_name=location.region or None,
                config=BotoConfig(
                    retries={"max_attempts": location.max_attempts, "mode": "standard"},
                    connect_timeout=location.connect_timeout,
                    read_timeout=location.read_timeout,
                    # MinIO and Ceph RGW are usually reached by path, not by bucket host name.
                    s3={"addressing_style": "path" if location.endpoint else "auto"},
                ),
            )
        self.client = client
        self.transfer = TransferConfig(
            multipart_threshold=location.multipart_bytes,
            multipart_chunksize=location.multipart_bytes,
            max_concurrency=4,
        )

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key(self, digest: str) -> str:
        digest = _check_digest(digest)
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    # -- the Blobs protocol ------------------------------------------------------------------

    def exists(self, digest: str) -> bool:
        key = self.key(digest)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _not_found(exc):
                return False
            raise BlobError(f"blob store unavailable: {_one_line(exc)}") from exc
        return True

    def put(self, data: bytes) -> str:
        """Store `data`; return its sha256 hex. Storing the same bytes again uploads nothing."""
        return self.put_many([data])[0]

    def put_many(self, items: Sequence[bytes], known: Sequence[str | None] = ()) -> list[str]:
        """Each uploaded in order unless already there (an upload is durable when it returns);
        `known` as for the file system store (`archive.blobs.digests_of`)."""
        digests = digests_of(items, known)
        for digest, data in zip(digests, items, strict=True):
            if not self.exists(digest):
                self._upload(digest, io.BytesIO(seal(self.keyring, digest, data)))
        return digests

    def put_stream(self, stream: BinaryIO) -> str:
        """Hash while spooling to a temporary file (the key is the hash, known only at the end),
        then upload from it; without encryption the stream is never held whole in memory."""
        if self.keyring is not None:
            return self.put(stream.read())
        h = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as tmp:
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                tmp.write(chunk)
            digest = h.hexdigest()
            if not self.exists(digest):
                tmp.seek(0)
                self._upload(digest, tmp)
        return digest

    def _upload(self, digest: str, body: IO[bytes]) -> None:
        key = self.key(digest)
        try:
            self.client.upload_fileobj(body, self.bucket, key, Config=self.transfer)
        except Exception as exc:
            raise BlobError(f"cannot store blob {digest}: {_one_line(exc)}") from exc

    def _download(self, digest: str) -> bytes:
        key = self.key(digest)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return bytes(answer["Body"].read())
        except Exception as exc:
            if _not_found(exc):
                raise BlobNotFound(f"no blob {digest}") from exc
            raise BlobError(f"cannot read blob {digest}: {_one_line(exc)}") from exc

    def get(self, digest: str) -> bytes:
        """Return the blob's bytes, or raise BlobNotFound / BlobCorrupt."""
        return unseal(self.keyring, digest, self._download(digest))

    def delete(self, digest: str) -> bool:
        """Remove a blob; returns whether it was there. Callers check references first."""
        if not self.exists(digest):
            return False
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(digest))
        except Exception as exc:
            raise BlobError(f"cannot delete blob {digest}: {_one_line(exc)}") from exc
        return True

    def reseal(self, digest: str) -> bool:
        """Rewrite one blob under the current key (or in clear without a keyring)."""
        raw = self._download(digest)
        if not needs_reseal(self.keyring, raw):
            return False
        data = unseal(self.keyring, digest, raw)
        self._upload(digest, io.BytesIO(seal(self.keyring, digest, data)))
        return True

    def verify(self, digest: str) -> bool:
        try:
            self.get(digest)
        except BlobError:
            return False
        return True

    def probe(self) -> str | None:
        """Readiness: a few KB put, read back and deleted under `<prefix>ready/`."""
        key = f"{self.prefix}ready/{secrets.token_hex(8)}"
        payload = secrets.token_bytes(PROBE_BYTES)
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=payload)
            try:
                back = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            finally:
                self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            return f"blob store s3://{self.bucket}: {_one_line(exc)}"
        if back != payload:
            return f"blob store s3://{self.bucket}: a written probe read back different"
        return None

    def __iter__(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = str(item["Key"]).rsplit("/", 1)[-1]
                if is_digest(name):
                    yield name


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
