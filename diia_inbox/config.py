"""Configuration: one typed, frozen object built from defaults, a TOML file and the environment.

Precedence (lowest to highest): dataclass defaults, the TOML file given by `--config`,
environment variables `DIIA_INBOX_<SECTION>_<KEY>`. Every section is a frozen dataclass owned by
the package that uses it, so a package receives only its own settings and never reads the
environment itself. The data folder (`--data`, `DIIA_INBOX_DATA`) holds everything of one
installation, which is what lets several installations live side by side.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.localtime import DEFAULT_ZONE, UnknownZone, zone
from ingest.settings import ImapAccount, IngestSettings
from qrtools.settings import QrSettings
from search.settings import SearchSettings

ENV_PREFIX = "DIIA_INBOX_"


class ConfigError(Exception):
    """A configuration file or variable that cannot be used; the message is one line."""

    reason = "CONFIG_INVALID"


@dataclass(frozen=True)
class DatabaseSettings:
    #: Empty means SQLite in the data folder; otherwise a SQLAlchemy URL such as
    #: postgresql+psycopg://user@host/dbname.
    url: str = ""


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    #: Set when the service is reached over TLS (directly or behind a proxy): cookies get Secure.
    secure_cookies: bool = False
    session_hours: int = 12
    login_attempts_per_minute: int = 5
    default_language: str = "uk"
    #: The zone every page, the print view and the command line's text output show times in
    #: (DD.MM.YYYY HH:MM); JSON always carries ISO 8601 with its offset. An IANA name.
    timezone: str = DEFAULT_ZONE


@dataclass(frozen=True)
class VerifySettings:
    #: Trust anchors: certificates, folders, .p7b bundles or ETSI trusted lists. The data
    #: folder's `trust/` is always added.
    trust: tuple[str, ...] = ()
    certs: tuple[str, ...] = ()
    revocation: str = "soft"
    #: Empty: any signer with a path to a trust anchor. Otherwise accepted identities as
    #: "attribute=value", e.g. "organizationIdentifier=NTRUA-43395033".
    accepted_signers: tuple[str, ...] = ()
    #: Where `trust update` downloads trust material (`.p7b` bundles, trusted-list XML). Empty:
    #: `trust update` uses the Central Certification Authority's published files, and `serve`
    #: does not update by itself; set URLs here to have `serve` update them daily.
    trust_urls: tuple[str, ...] = ()
    #: Seconds one download may take, and the smallest number of certificates a downloaded
    #: file must hold to replace the installed copy.
    trust_timeout: float = 60.0
    trust_min_certificates: int = 5
    #: How often `serve` looks for trust changes (imports on any node) to re-verify copies.
    reverify_poll_seconds: float = 30.0


@dataclass(frozen=True)
class StorageSettings:
    #: Encrypt blobs at rest (AES-256-GCM). The keyring is made in keys/ on first use, or given
    #: whole in DIIA_INBOX_STORAGE_KEYRING.
    encrypt: bool = False
    #: File holding the master key (base64 of 32 bytes) that wraps the installation's keyring
    #: in the database; DIIA_INBOX_MASTER_KEY wins over it. With either set, the keyring is
    #: shared by all nodes through the database instead of living in keys/ (docs/several-nodes.md).
    master_key_file: str = ""


@dataclass(frozen=True)
class ClusterSettings:
    """How this node takes part in an installation of several nodes."""

    #: Name shown in the nodes list; empty means the host name and a short hash of the data
    #: folder (unique for several nodes on one host).
    node_name: str = ""
    heartbeat_seconds: int = 15
    #: How long a backup waits for the other nodes to hand their spooled mail to the archive.
    backup_wait_seconds: int = 300


@dataclass(frozen=True)
class BlobSettings:
    """Where the blobs (raw mail, PDFs, signatures) live; shared by all nodes. "filesystem": a
    folder; "s3": a bucket on S3-compatible storage (MinIO, Ceph RGW, AWS S3), so several nodes
    need no shared file system. S3 credentials come from the environment (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY), never from this file."""

    backend: str = "filesystem"
    #: Folder of the filesystem backend; empty means `<data>/blobs`. With several nodes, a
    #: folder every node mounts (NFS or similar), or use "s3".
    path: str = ""
    endpoint: str = ""
    bucket: str = ""
    region: str = ""
    #: Key prefix inside the bucket, e.g. "diia-inbox/" when the bucket is shared.
    prefix: str = ""
    #: Objects above this many MiB are uploaded in parts of this size.
    multipart_mb: int = 8
    #: Attempts per request (with exponential back-off) before a blob operation fails.
    max_attempts: int = 5


@dataclass(frozen=True)
class LogSettings:
    #: "text" (one readable line) or "json" (one JSON object a line, for log shippers).
    format: str = "text"


@dataclass(frozen=True)
class RetentionSettings:
    default_days: int = 365
    purge_hour: int = 3


@dataclass(frozen=True)
class OutboundSettings:
    """SMTP used for reminders (QR expiry) and notices to admins."""

    host: str = ""
    port: int = 25
    starttls: bool = False
    username: str = ""
    password_file: str = ""
    sender: str = "diia-inbox@localhost"
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    verify: VerifySettings = field(default_factory=VerifySettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    qr: QrSettings = field(default_factory=QrSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    blobs: BlobSettings = field(default_factory=BlobSettings)
    log: LogSettings = field(default_factory=LogSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    outbound: OutboundSettings = field(default_factory=OutboundSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'diia-inbox.db'}"

    @property
    def blob_dir(self) -> Path:
        if self.blobs.path:
            return Path(self.blobs.path).expanduser().resolve()
        return self.data_dir / "blobs"

    @property
    def node_name(self) -> str:
        if self.cluster.node_name:
            return self.cluster.node_name
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:6]
        return f"{socket.gethostname()}-{digest}"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def trust_dir(self) -> Path:
        return self.data_dir / "trust"

    @property
    def preview_dir(self) -> Path:
        """Page images of archived PDFs (derived data, web/previews.py)."""
        return self.data_dir / "previews"


def _section_types() -> dict[str, type]:
    """Section name -> its settings class, read from Config's fields (all have factories)."""
    out: dict[str, type] = {}
    for f in dataclasses.fields(Config):
        factory = f.default_factory
        if f.name != "data_dir" and callable(factory):
            out[f.name] = type(factory())
    return out


SECTIONS: dict[str, type] = _section_types()


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Turn a TOML or environment value into the field's declared type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(value, args[0], where)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
    if tp is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if tp is str:
        if not isinstance(value, str | int | float):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return str(value)
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a table")
        return _build(tp, value, {}, where)
    return value


def _build(cls: type, table: Mapping[str, Any], env: Mapping[str, str], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in table:
            kwargs[f.name] = _coerce(table[f.name], hints[f.name], f"{where}.{f.name}")
        env_name = f"{ENV_PREFIX}{where.upper()}_{f.name.upper()}"
        if env_name in env:
            kwargs[f.name] = _coerce(env[env_name], hints[f.name], env_name)
    return cls(**kwargs)


def load_config(
    data_dir: str | Path | None = None,
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration; raises ConfigError with a one-line reason."""
    env = os.environ if env is None else env
    table: dict[str, Any] = {}
    if config_file is not None:
        try:
            with open(config_file, "rb") as fh:
                table = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file}: {exc}") from None
    unknown = set(table) - set(SECTIONS) - {"data"}
    if unknown:
        raise ConfigError(f"{config_file}: unknown section [{sorted(unknown)[0]}]")
    data = data_dir or env.get(f"{ENV_PREFIX}DATA") or table.get("data", {}).get("dir") or "data"
    sections = {name: _build(cls, table.get(name, {}), env, name) for name, cls in SECTIONS.items()}
    config = Config(data_dir=Path(data).resolve(), **sections)
    _check(config)
    return _one_clock(config, table, env)


def _one_clock(config: Config, table: Mapping[str, Any], env: Mapping[str, str]) -> Config:
    """`[web] timezone` is the installation's clock: the search's `received:` days and the QR
    codes' last valid day follow it unless their own section sets a zone, so that a desk
    configured for another zone does not see one day on the page and filter by another."""
    follow: dict[str, Any] = {}
    for name in ("search", "qr"):
        own = "timezone" in table.get(name, {}) or f"{ENV_PREFIX}{name.upper()}_TIMEZONE" in env
        if not own:
            follow[name] = dataclasses.replace(getattr(config, name), timezone=config.web.timezone)
    return dataclasses.replace(config, **follow)


def _check(config: Config) -> None:
    """Settings that are each valid alone but not together, caught before anything starts."""
    blobs = config.blobs
    if blobs.backend not in ("filesystem", "s3"):
        raise ConfigError(f"blobs.backend: expected 'filesystem' or 's3', got {blobs.backend!r}")
    if blobs.backend == "s3" and not blobs.bucket:
        raise ConfigError("blobs.bucket: needed when blobs.backend is 's3'")
    if blobs.multipart_mb < 5:
        raise ConfigError("blobs.multipart_mb: S3 parts are at least 5 MiB")
    if config.verify.revocation not in ("soft", "hard", "require"):
        raise ConfigError(
            "verify.revocation: expected 'soft', 'hard' or 'require', "
            f"got {config.verify.revocation!r}"
        )
    if config.log.format not in ("text", "json"):
        raise ConfigError(f"log.format: expected 'text' or 'json', got {config.log.format!r}")
    try:
        zone(config.web.timezone)
    except UnknownZone as exc:
        raise ConfigError(f"web.timezone: {exc}") from None


__all__ = ["Config", "ConfigError", "ImapAccount", "load_config"]
