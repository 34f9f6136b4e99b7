"""The objects one installation is made of, opened from its Config.

This is the only place that turns configuration into live objects (database, blob store); the
CLI and the server are handed a Runtime and pass its parts on explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from archive.blobs import Blobs, BlobStore
from archive.db import Database
from archive.keyring import ENV_KEYRING, Keyring, load_keyring
from diia_inbox.config import Config


def open_blobs(config: Config, keyring: Keyring | None) -> Blobs:
    """The configured blob store: a folder, or a bucket on S3-compatible storage."""
    settings = config.blobs
    if settings.backend == "s3":
        from archive.blobs_s3 import S3BlobStore, S3Location

        location = S3Location(
            bucket=settings.bucket,
            endpoint=settings.endpoint,
            region=settings.region,
            prefix=settings.prefix,
            multipart_bytes=settings.multipart_mb << 20,
            max_attempts=settings.max_attempts,
        )
        return S3BlobStore(location, keyring)
    return BlobStore(config.blob_dir, keyring)


@dataclass
class Runtime:
    config: Config
    db: Database
    blobs: Blobs
    keyring: Keyring | None

    @classmethod
    def open(cls, config: Config, *, migrate: bool = True) -> Runtime:
        """Create the data folder layout and bring the database to the current schema."""
        for path in (
            config.data_dir,
            config.blob_dir,
            config.spool_dir,
            config.index_dir,
            config.keys_dir,
            config.trust_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)
        try:
            config.keys_dir.chmod(0o700)
        except OSError:
            pass
        keyring = load_keyring(
            config.keys_dir,
            os.environ,
            create=config.storage.encrypt or bool(os.environ.get(ENV_KEYRING)),
        )
        db = Database(config.database_url)
        if migrate:
            db.migrate()
        blob_ring = keyring if config.storage.encrypt else None
        return cls(config=config, db=db, blobs=open_blobs(config, blob_ring), keyring=keyring)

    def close(self) -> None:
        self.db.dispose()


@contextmanager
def opened(config: Config) -> Iterator[Runtime]:
    rt = Runtime.open(config)
    try:
        yield rt
    finally:
        rt.close()
