"""Blob store: one object per content, atomic writes, corruption reported, encryption at rest.

Every test runs on both backends: the filesystem folder and S3 (a real S3-protocol server on
127.0.0.1, reached through boto3 as MinIO or Ceph RGW would be). The test reaches the stored
bytes the backend's own way (a file; an object via the S3 API) to tamper with them.
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import io
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.blobs import BlobCorrupt, BlobError, BlobNotFound, Blobs, BlobStore
from archive.blobs_s3 import S3BlobStore, S3Location
from archive.keyring import Keyring
from tests.s3server import CREDENTIALS, S3Server


@dataclass
class Backend:
    """Makes stores on one backend and reaches their stored bytes directly."""

    name: str
    make: Callable[[Keyring | None], Blobs]
    raw: Callable[[str], bytes]
    overwrite: Callable[[str, bytes], None]
    remove: Callable[[str], None]
    #: Every stored object (file or key), whatever its name.
    objects: Callable[[], list[str]]
    spec: Any = None


def _fs_backend(root: Path) -> Backend:
    def make(ring: Keyring | None) -> Blobs:
        return BlobStore(root, ring)

    probe = BlobStore(root)
    return Backend(
        "filesystem",
        make,
        raw=lambda d: probe.path(d).read_bytes(),
        overwrite=lambda d, b: probe.path(d).write_bytes(b),
        remove=lambda d: probe.path(d).unlink(),
        objects=lambda: sorted(str(p) for p in root.rglob("*") if p.is_file()),
        spec=str(root),
    )


def _s3_backend(server: S3Server) -> Backend:
    bucket = server.new_bucket()
    # 5 MiB parts (the S3 minimum) so the multipart test stays small.
    location = S3Location(
        bucket=bucket, endpoint=server.endpoint, prefix="blobs/", multipart_bytes=5 << 20
    )
    client = server.client()

    def make(ring: Keyring | None) -> Blobs:
        return S3BlobStore(location, ring)

    def key(d: str) -> str:
        return f"blobs/{d[:2]}/{d[2:4]}/{d}"

    def objects() -> list[str]:
        listed = client.list_objects_v2(Bucket=bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    return Backend(
        "s3",
        make,
        raw=lambda d: client.get_object(Bucket=bucket, Key=key(d))["Body"].read(),
        overwrite=lambda d, b: client.put_object(Bucket=bucket, Key=key(d), Body=b),
        remove=lambda d: client.delete_object(Bucket=bucket, Key=key(d)),
        objects=objects,
        spec=location,
    )


@pytest.fixture(params=["filesystem", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "filesystem":
        return _fs_backend(tmp_path / "blobs")
    request.getfixturevalue("s3_env")
    return _s3_backend(request.getfixturevalue("s3_server"))


def _writer(kind: str, spec: Any, data: bytes, n: int) -> list[str]:
    os.environ.update(CREDENTIALS)
    store: Blobs = BlobStore(Path(spec)) if kind == "filesystem" else S3BlobStore(spec)
    return [store.put(data) for _ in range(n)]


PDF = b"%PDF-1.7 fixture " * 100


def test_put_get_and_dedup(backend: Backend) -> None:
    store = backend.make(None)
    d1 = store.put(PDF)
    d2 = store.put(PDF)
    assert d1 == d2 == hashlib.sha256(PDF).hexdigest()
    assert store.get(d1) == PDF
    assert backend.raw(d1) == PDF
    assert list(store) == [d1]
    assert store.put_stream(io.BytesIO(PDF)) == d1
    assert list(store) == [d1]
    assert len(backend.objects()) == 1  # no temporary or probe objects left behind
    other = store.put_stream(io.BytesIO(b"another copy"))
    assert sorted(store) == sorted([d1, other])
    assert store.exists(other) and store.delete(other) and not store.exists(other)
    assert store.delete(other) is False


def test_concurrent_writers_of_same_bytes_end_with_one_object(backend: Backend) -> None:
    data = os.urandom(3 * 1024 * 1024)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_writer, [(backend.name, backend.spec, data, 5)] * 4)
    digests = {d for r in results for d in r}
    assert digests == {hashlib.sha256(data).hexdigest()}
    assert len(backend.objects()) == 1
    assert backend.make(None).get(digests.pop()) == data


def test_truncated_or_altered_blob_is_reported(backend: Backend) -> None:
    store = backend.make(None)
    digest = store.put(b"original content of a copy")
    backend.overwrite(digest, b"original content of a cop")  # truncated
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    assert not store.verify(digest)
    backend.overwrite(digest, b"original content of a coPy")  # one byte altered
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    backend.remove(digest)
    with pytest.raises(BlobNotFound):
        store.get(digest)


def test_names_that_are_not_digests_are_refused(backend: Backend) -> None:
    store = backend.make(None)
    for bad in ["../../etc/passwd", "A" * 64, "0" * 63]:
        with pytest.raises(BlobNotFound):
            store.get(bad)


def test_encrypted_blobs_hold_no_plaintext_and_rotate(backend: Backend) -> None:
    ring = Keyring.generate()
    store = backend.make(ring)
    secret = b"%PDF-1.7 Unique-Fixture-Alpha " * 50
    digest = store.put(secret)
    stored = backend.raw(digest)
    assert b"%PDF" not in stored and b"Unique-Fixture-Alpha" not in stored
    assert store.get(digest) == secret
    old = ring.current
    ring.rotate()
    assert store.get(digest) == secret  # the old key still reads until resealed
    assert store.reseal(digest) is True
    assert Keyring.key_id_of(backend.raw(digest)) == ring.current != old
    assert store.reseal(digest) is False
    assert store.get(digest) == secret
    # tampered ciphertext, swapped objects and a missing key are all reported
    flipped = bytearray(backend.raw(digest))
    flipped[-1] ^= 1
    backend.overwrite(digest, bytes(flipped))
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    other = store.put(b"%PDF-1.7 Unique-Fixture-Beta")
    backend.overwrite(digest, backend.raw(other))
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    with pytest.raises(BlobCorrupt):
        backend.make(None).get(other)  # encrypted, but no keyring given


def test_large_blob_round_trips(backend: Backend) -> None:
    """12 MiB through put_stream: on S3 it goes up in 5 MiB parts."""
    data = os.urandom(12 * 1024 * 1024 + 17)
    store = backend.make(None)
    digest = store.put_stream(io.BytesIO(data))
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    if backend.name == "s3":
        client, location = S3BlobStore(backend.spec).client, backend.spec
        head = client.head_object(
            Bucket=location.bucket, Key=f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
        )
        # S3 marks an object assembled from parts by its ETag: "<md5 of part md5s>-<parts>".
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]


def test_probe_writes_and_cleans_up(backend: Backend) -> None:
    store = backend.make(None)
    assert store.probe() is None
    assert backend.objects() == []


def test_s3_errors_are_blob_errors_with_a_reason(s3_server: S3Server, s3_env: Any) -> None:
    """A bucket that does not exist: reads, writes and the probe fail with a reason."""
    location = S3Location(bucket="no-such-bucket", endpoint=s3_server.endpoint, max_attempts=2)
    store = S3BlobStore(location)
    with pytest.raises(BlobError):
        store.put(b"anything")
    reason = store.probe()
    assert reason is not None and "NoSuchBucket" in reason


class FlakyProxy:
    """An HTTP proxy in front of the S3 server that answers the first `failures` PUTs with a
    real 503 SlowDown (what S3 sends when throttling) and forwards everything else."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream_host = upstream.removeprefix("http://")
        self.failures, self.refused = failures, 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "PUT" and proxy.refused < proxy.failures:
                    proxy.refused += 1
                    answer = b"<Error><Code>SlowDown</Code><Message>Reduce rate</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "expect")
                }
                # http.client sends exactly these headers and bytes (urllib would add a form
                # Content-Type to a PUT body).
                conn = http.client.HTTPConnection(proxy.upstream_host, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    status, payload, reply = resp.status, resp.read(), resp.getheaders()
                finally:
                    conn.close()
                self.send_response(status)
                for k, v in reply:
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_s3_retries_with_back_off_on_server_errors(s3_server: S3Server, s3_env: Any) -> None:
    """A server that throttles two PUTs with 503 and then answers: the blob is stored (the
    store's client retries with back-off); with fewer attempts allowed, the error surfaces."""
    bucket = s3_server.new_bucket()
    proxy = FlakyProxy(s3_server.endpoint, failures=2)
    try:
        store = S3BlobStore(S3Location(bucket=bucket, endpoint=proxy.endpoint, max_attempts=5))
        digest = store.put(b"stored despite two refusals")
        assert proxy.refused == 2
        direct = S3BlobStore(S3Location(bucket=bucket, endpoint=s3_server.endpoint))
        assert direct.get(digest) == b"stored despite two refusals"

        proxy.refused, proxy.failures = 0, 10
        impatient = S3BlobStore(S3Location(bucket=bucket, endpoint=proxy.endpoint, max_attempts=2))
        with pytest.raises(BlobError, match=r"SlowDown|503"):
            impatient.put(b"refused every time")
        # It retried, then gave up long before the server would have relented.
        assert 2 <= proxy.refused < 10
    finally:
        proxy.close()


def test_put_many_stores_each_once_in_order(backend: Backend) -> None:
    store = backend.make(None)
    before = store.put(b"already there")
    items = [PDF, b"a signature", PDF, b"already there"]
    digests = store.put_many(items)
    assert digests == [hashlib.sha256(d).hexdigest() for d in items]
    assert digests[3] == before
    assert sorted(store) == sorted(set(digests))
    assert [store.get(d) for d in digests] == items
    assert len(backend.objects()) == 3  # no temporary objects left behind
    assert store.put_many([]) == []


def test_put_many_names_items_by_the_digests_the_caller_already_has(backend: Backend) -> None:
    """A digest the caller computed of the same bytes (the pipeline's of a raw message) is
    used as it is, not computed again: shown by a false one, which names the bytes and is
    then caught by every read, as any blob that does not hash to its name."""
    store = backend.make(None)
    true = hashlib.sha256(b"raw message").hexdigest()
    assert store.put_many([b"raw message", b"the pdf"], [true]) == [
        true,
        hashlib.sha256(b"the pdf").hexdigest(),
    ]
    assert store.get(true) == b"raw message"

    false = hashlib.sha256(b"other bytes").hexdigest()
    assert store.put_many([b"raw message"], [false]) == [false]
    with pytest.raises(BlobCorrupt):
        store.get(false)
    # Without one, the digest is computed: the same call names the bytes by their hash.
    assert store.put_many([b"other bytes"]) == [false]


def test_put_many_is_durable_before_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new file's bytes are fsynced before any is renamed into place, and every folder
    that received one is fsynced after the renames, deepest first, with the parent of every
    folder the batch had to create (ab/ for a new ab/cd/, the root for a new ab/): otherwise a
    crash can lose the new folder's entry and the blob with it. Nothing is fsynced for a blob
    already kept."""
    store = BlobStore(tmp_path / "blobs")
    store.put(b"kept before")
    items = [b"raw message", b"the pdf", b"the p7s"]
    finals = [store.path(hashlib.sha256(i).hexdigest()) for i in items]
    existed = {p for f in finals for p in (f.parent, f.parent.parent) if p.exists()}
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("rename", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    digests = store.put_many([*items, b"kept before"])
    assert [str(store.path(d)) for d in digests[:3]] == [str(f) for f in finals]
    holders = {f.parent for f in finals}
    made = {p for f in finals for p in (f.parent, f.parent.parent) if p not in existed}
    assert made, "the batch should have created folders"
    expected = holders | {p.parent for p in made}
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync"] * 3 + ["rename"] * 3 + ["fsync"] * len(expected)
    assert all(path.startswith(str(store.tmp)) for _, path in events[:3])
    assert sorted(path for _, path in events[3:6]) == sorted(str(f) for f in finals)
    synced = [Path(path) for _, path in events[6:]]
    assert set(synced) == expected
    depth = [len(p.parts) for p in synced]
    assert depth == sorted(depth, reverse=True)


def test_a_single_blob_in_new_folders_fsyncs_their_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`put_stream` (large imports) installs one blob: a new ab/cd/ and ab/ get their entries
    fsynced too, after the blob's own folder."""
    store = BlobStore(tmp_path / "blobs")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    digest = store.put_stream(io.BytesIO(b"a large import"))
    final = store.path(digest)
    assert synced[1:] == [str(final.parent), str(final.parent.parent), str(store.root)]


def test_put_many_that_fails_leaves_no_blob_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fails the second fsync: nothing was renamed into place, the temporary files
    are gone, the error reaches the caller (filing turns it into a retry)."""
    store = BlobStore(tmp_path / "blobs")
    real_fsync = os.fsync
    calls = [0]

    def failing(fd: int) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError):
        store.put_many([b"raw message", b"the pdf", b"the p7s"])
    assert list(store) == []
    assert list(store.tmp.iterdir()) == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    digests = store.put_many([b"raw message", b"the pdf", b"the p7s"])
    assert sorted(store) == sorted(digests)
