"""The objects one installation is made of, opened from its Config.

This is the only place that turns configuration into live objects (database, blob store); the
CLI and the server are handed a Runtime and pass its parts on explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from archive.blobs import BlobStore
from archive.db import Database
from archive.keyring import ENV_KEYRING, Keyring, load_keyring
from diia_inbox.config import Config


@dataclass
class Runtime:
    config: Config
    db: Database
    blobs: BlobStore
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
        return cls(
            config=config, db=db, blobs=BlobStore(config.blob_dir, blob_ring), keyring=keyring
        )

    def close(self) -> None:
        self.db.dispose()


@contextmanager
def opened(config: Config) -> Iterator[Runtime]:
    rt = Runtime.open(config)
    try:
        yield rt
    finally:
        rt.close()
