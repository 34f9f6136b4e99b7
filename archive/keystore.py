"""The installation's keyring kept in the database, wrapped by a master key.

With several nodes the keyring cannot live in each node's data folder: a node with another
keyring cannot read the blobs the others wrote. So the keyring is stored once, in the
database, encrypted (AES-256-GCM) under a master key that every node is given from outside
the database: `DIIA_INBOX_MASTER_KEY` or the file named by `[storage] master_key_file`
(base64 of 32 random bytes). A copy of the database or of a backup alone does not open it.

An installation that kept its keyring in `keys/blob-keys.json` moves to the shared one the
first time a node starts with a master key: the file's keyring is wrapped and stored.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from archive.keyring import Keyring, KeyUnavailable
from archive.models import StoredKeyring, utcnow

ENV_MASTER_KEY = "DIIA_INBOX_MASTER_KEY"
_ROW = 1
_AAD = b"diia-inbox keyring v1"


def parse_master_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyUnavailable(f"{where}: the master key is not base64") from None
    if len(key) != 32:
        raise KeyUnavailable(f"{where}: the master key must be 32 bytes (256 bits)")
    return key


def load_master_key(key_file: str, env: Mapping[str, str]) -> bytes | None:
    """The master key from the environment (wins) or the file; None when neither is set."""
    if env.get(ENV_MASTER_KEY):
        return parse_master_key(env[ENV_MASTER_KEY], ENV_MASTER_KEY)
    if not key_file:
        return None
    try:
        text = Path(key_file).read_text()
    except OSError as exc:
        raise KeyUnavailable(
            f"cannot read the master key file {key_file}: {exc.strerror}"
        ) from None
    return parse_master_key(text, key_file)


def new_master_key() -> str:
    """A fresh master key, as the text to put into the environment or the file."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def wrap(ring: Keyring, master: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(master).encrypt(nonce, ring.to_json().encode(), _AAD)
    return base64.b64encode(nonce + sealed).decode()


def unwrap(text: str, master: bytes) -> Keyring:
    try:
        raw = base64.b64decode(text)
        plain = AESGCM(master).decrypt(raw[:12], raw[12:], _AAD)
    except (InvalidTag, ValueError, binascii.Error):
        raise KeyUnavailable(
            "the master key of this node does not open the installation's keyring "
            "(every node needs the same master key)"
        ) from None
    return Keyring.from_json(plain.decode())


def stored(session: Session) -> str | None:
    row = session.get(StoredKeyring, _ROW)
    return row.wrapped if row else None


def load(session: Session, master: bytes) -> Keyring | None:
    text = stored(session)
    return unwrap(text, master) if text is not None else None


def save(session: Session, ring: Keyring, master: bytes) -> None:
    row = session.get(StoredKeyring, _ROW)
    if row is None:
        session.add(StoredKeyring(id=_ROW, wrapped=wrap(ring, master), updated_at=utcnow()))
    else:
        row.wrapped = wrap(ring, master)
        row.updated_at = utcnow()
    session.flush()
