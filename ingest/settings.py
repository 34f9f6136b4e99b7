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
    #: A CA certificate file for servers with a private CA (empty: the system's trust store).
    ca_file: str = ""
    #: Push: wait in IMAP IDLE (RFC 2177) between polls where the server offers it, so new mail
    #: is taken within seconds; `poll_seconds` remains the pace without IDLE and after errors.
    idle: bool = True
    #: How long one IDLE lasts before it is re-issued (RFC 2177: at most 29 minutes).
    idle_seconds: int = 25 * 60
    #: The branch receiving address this mailbox serves, taken as the envelope recipient (so
    #: Bcc'd mail finds its branch); empty: the recipients named in the headers.
    address: str = ""


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
    #: Seconds `serve` waits on SIGTERM for sessions in the middle of DATA (receiver, F1).
    drain_timeout: float = 30.0
    imap: tuple[ImapAccount, ...] = ()
    # -- worker and MIME parsing (F2) -------------------------------------------------------
    #: Seconds the worker sleeps when the spool is empty (the receiver also wakes it).
    worker_idle_seconds: float = 1.0
    #: Messages handled at once (0: one per CPU core). Extraction runs in child processes and
    #: the C kernels release the GIL, so parallel messages use the cores; exactly-once holds
    #: because a spool claim is an atomic rename and the archive's unique raw hash catches the
    #: rest.
    workers: int = 0
    #: MIME nesting levels (multipart, message/rfc822) searched for documents.
    mime_max_depth: int = 10
    mime_max_parts: int = 500
    #: Decoded size of one attachment; larger ones are left out with a reason.
    max_attachment_bytes: int = 50 * 1024 * 1024
    max_documents: int = 50
