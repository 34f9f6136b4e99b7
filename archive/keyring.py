"""Keys for encryption at rest: AES-256-GCM data keys with ids, and a keyed-hash key.

The keyring lives in the data folder (`keys/blob-keys.json`, mode 0600) or comes whole from the
environment (`DIIA_INBOX_STORAGE_KEYRING`, the same JSON), so an operator can keep keys off the
disk that holds the blobs. Rotation adds a new current key; old keys stay readable until every
blob has been re-encrypted (`diia-inbox keys rotate` does both).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from archive.errors import ArchiveError

MAGIC = b"DIIAENC1"
NONCE = 12


class KeyUnavailable(ArchiveError):
    reason = "KEY_UNAVAILABLE"


@dataclass
class Keyring:
    keys: dict[str, bytes]
    current: str
    #: Key of the keyed hashes kept in audit records of erasures (never rotated, never logged).
    hmac_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def generate(cls) -> Keyring:
        kid = "k1"
        return cls(keys={kid: AESGCM.generate_key(bit_length=256)}, current=kid)

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
                "hmac": base64.b64encode(self.hmac_key).decode(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            obj = json.loads(text)
            keys = {k: base64.b64decode(v) for k, v in obj["keys"].items()}
            ring = cls(keys=keys, current=obj["current"], hmac_key=base64.b64decode(obj["hmac"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyUnavailable(f"keyring is not readable: {type(exc).__name__}") from None
        if ring.current not in ring.keys or any(len(k) != 32 for k in ring.keys.values()):
            raise KeyUnavailable("keyring: current key missing or a key is not 256 bits")
        return ring

    def rotate(self) -> str:
        n = 1 + max(int(k[1:]) for k in self.keys if k[1:].isdigit())
        kid = f"k{n}"
        self.keys[kid] = AESGCM.generate_key(bit_length=256)
        self.current = kid
        return kid

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        nonce = secrets.token_bytes(NONCE)
        kid = self.current.encode()
        ct = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, MAGIC + kid + associated)
        return MAGIC + bytes([len(kid)]) + kid + nonce + ct

    def decrypt(self, blob: bytes, associated: bytes = b"") -> bytes:
        from cryptography.exceptions import InvalidTag

        if not blob.startswith(MAGIC):
            raise KeyUnavailable("not an encrypted blob")
        klen = blob[len(MAGIC)]
        kid = blob[len(MAGIC) + 1 : len(MAGIC) + 1 + klen]
        rest = blob[len(MAGIC) + 1 + klen :]
        key = self.keys.get(kid.decode(errors="replace"))
        if key is None:
            raise KeyUnavailable(
                f"blob encrypted with unknown key {kid.decode(errors='replace')!r}"
            )
        try:
            return AESGCM(key).decrypt(rest[:NONCE], rest[NONCE:], MAGIC + kid + associated)
        except InvalidTag:
            raise KeyUnavailable("blob failed authentication (altered or wrong key)") from None

    @staticmethod
    def key_id_of(blob: bytes) -> str | None:
        if not blob.startswith(MAGIC):
            return None
        klen = blob[len(MAGIC)]
        return blob[len(MAGIC) + 1 : len(MAGIC) + 1 + klen].decode(errors="replace")


ENV_KEYRING = "DIIA_INBOX_STORAGE_KEYRING"


def keyring_path(keys_dir: Path) -> Path:
    return keys_dir / "blob-keys.json"


def load_keyring(keys_dir: Path, env: Mapping[str, str], *, create: bool) -> Keyring | None:
    """The environment wins over the file; with `create`, a missing file is made (0600)."""
    if env.get(ENV_KEYRING):
        return Keyring.from_json(env[ENV_KEYRING])
    path = keyring_path(keys_dir)
    if path.exists():
        return Keyring.from_json(path.read_text())
    if not create:
        return None
    ring = Keyring.generate()
    save_keyring(keys_dir, ring)
    return ring


def save_keyring(keys_dir: Path, ring: Keyring) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    path = keyring_path(keys_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(ring.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
