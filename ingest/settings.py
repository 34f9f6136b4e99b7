"""Settings of mail ingestion (SMTP/LMTP receiver, spool, worker, IMAP pull).

Built by diia_inbox.config from TOML `[ingest]` and `DIIA_INBOX_INGEST_<KEY>` variables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImapAccount:
    host: str
    user: str
    port: int = 993
    tls: str = "ssl"  # ssl | starttls | none
    password: str = ""
    password_file: str = ""
    folder: str = "INBOX"
    poll_seconds: int = 60
    after_import: str = "seen"  # seen | move
    move_to: str = "Archive"


@dataclass(frozen=True)
class IngestSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    lmtp_host: str = ""
    lmtp_port: int = 2424
    max_message_bytes: int = 50 * 1024 * 1024
    max_recipients: int = 20
    max_connections: int = 100
    idle_timeout: float = 60.0
    data_timeout: float = 300.0
    tls_cert: str = ""
    tls_key: str = ""
    require_tls: bool = False
    hostname: str = ""
    max_attempts: int = 5
    imap: tuple[ImapAccount, ...] = ()
