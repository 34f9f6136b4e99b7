"""The objects one installation is made of, opened from its Config.

This is the only place that turns configuration into live objects (database, blob store); the
CLI and the server are handed a Runtime and pass its parts on explicitly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from archive import keystore
from archive.blobs import BlobStore
from archive.cluster_lock import FIRST_START, cluster_lock
from archive.db import Database
from archive.keyring import ENV_KEYRING, Keyring, KeyUnavailable, keyring_path, load_keyring
from archive.keystore import load_master_key
from diia_inbox.config import Config, ConfigError

log = logging.getLogger("diia_inbox.runtime")


@dataclass
class Runtime:
    config: Config
    db: Database
    blobs: BlobStore
    keyring: Keyring | None

    @classmethod
    def open(cls, config: Config, *, migrate: bool = True) -> Runtime:
        """Create the data folder layout and bring the database to the current schema."""
        if config.blobs.backend != "filesystem":
            raise ConfigError(f"blobs.backend: unknown backend {config.blobs.backend!r}")
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
        db = Database(config.database_url)
        if migrate:
            db.migrate()
        keyring = open_keyring(config, db, os.environ, migrated=migrate)
        blob_ring = keyring if config.storage.encrypt else None
        return cls(
            config=config, db=db, blobs=BlobStore(config.blob_dir, blob_ring), keyring=keyring
        )

    def reload_shared_keyring(self) -> bool:
        """Pick up a keyring rotated by another node (called by the heartbeat)."""
        master = load_master_key(self.config.storage.master_key_file, os.environ)
        if master is None or os.environ.get(ENV_KEYRING):
            return False
        with self.db.session() as s:
            ring = keystore.load(s, master)
        if ring is None or (self.keyring and ring.to_json() == self.keyring.to_json()):
            return False
        self.keyring = ring
        if self.config.storage.encrypt:
            self.blobs.keyring = ring
        return True

    def close(self) -> None:
        self.db.dispose()


def open_keyring(
    config: Config, db: Database, env: Mapping[str, str], *, migrated: bool
) -> Keyring | None:
    """The keyring this node uses, by precedence:

    1. `DIIA_INBOX_STORAGE_KEYRING` (the whole keyring in the environment), as before;
    2. with a master key: the installation's keyring in the database, shared by all nodes
       (imported from `keys/blob-keys.json` the first time, or made if needed);
    3. otherwise the per-node file `keys/blob-keys.json` (one node only): refused when the
       database already holds a shared keyring, so such a node cannot write blobs under a
       key the others do not have.
    """
    create = config.storage.encrypt or bool(env.get(ENV_KEYRING))
    if env.get(ENV_KEYRING):
        return load_keyring(config.keys_dir, env, create=True)
    master = load_master_key(config.storage.master_key_file, env)
    if not migrated:
        return load_keyring(config.keys_dir, {}, create=create) if master is None else None
    if master is None:
        with db.session() as s:
            if keystore.stored(s) is not None:
                raise KeyUnavailable(
                    "the installation's keyring is in the database; give this node the master "
                    f"key ({keystore.ENV_MASTER_KEY} or [storage] master_key_file)"
                )
        return load_keyring(config.keys_dir, {}, create=create)
    # Nodes starting together must not each make a different keyring.
    with cluster_lock(db, FIRST_START), db.session() as s:
        ring = keystore.load(s, master)
        local = load_keyring(config.keys_dir, {}, create=False)
        if ring is None and local is not None:
            keystore.save(s, local, master)
            log.warning(
                "moved the keyring of %s into the database (wrapped by the master key); "
                "delete the file once every node runs with the master key",
                keyring_path(config.keys_dir),
            )
            return local
        if ring is None and create:
            ring = Keyring.generate()
            keystore.save(s, ring, master)
        elif ring is not None and local is not None and local.to_json() != ring.to_json():
            log.warning(
                "%s differs from the installation's keyring; the installation's is used",
                keyring_path(config.keys_dir),
            )
        return ring


@contextmanager
def opened(config: Config) -> Iterator[Runtime]:
    rt = Runtime.open(config)
    try:
        yield rt
    finally:
        rt.close()
