"""Settings of mail ingestion (SMTP/LMTP receiver, spool, worker, IMAP pull).

Built by diia_inbox.config from TOML `[ingest]` and `DIIA_INBOX_INGEST_<KEY>` variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImapAccount:
    host: str
    user: str
    port: int = 993
    tls: str = "ssl"  # ssl | starttls | none
    #: Kept out of repr(), so an account printed or logged by accident shows no secret.
    password: str = field(default="", repr=False)
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
    #: The account's name where it was added as installation state (web page or
    #: `diia-inbox imap add`); empty for accounts from the configuration file.
    name: str = ""
    #: Mail already in the folder when the account is first read is left to
    #: `diia-inbox imap import` (resumable, with progress), and the live reader starts with
    #: what arrives from then on. Accounts added as installation state start this way.
    skip_history: bool = False
    #: "password", or "oauth2" (SASL `sasl`, with an access token from `token_source`).
    auth: str = "password"
    sasl: str = "XOAUTH2"  # XOAUTH2 | OAUTHBEARER
    #: Gives a current OAuth2 access token (refreshed before expiry; `True`: a new one now,
    #: after the server refused the cached one); set for stored accounts signed in with
    #: `diia-inbox imap login`. Not compared: the refresh token is `password`.
    token_source: Callable[[bool], str] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class IngestSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    lmtp_host: str = ""
    lmtp_port: int = 2424
    max_message_bytes: int = 50 * 1024 * 1024
    max_recipients: int = 20
    max_connections: int = 100
    #: Connections one client address may hold at once (SMTP; the LMTP listener is exempt).
    max_connections_per_client: int = 10
    #: Seconds one SMTP session may last in all, however busy (a DATA in flight may finish).
    max_session_seconds: float = 900.0
    #: Commands outside a mail transaction (NOOP, RSET, VRFY, EXPN, HELP, HELO/EHLO) allowed
    #: between two messages before the session is closed with 421.
    max_idle_commands: int = 20
    #: Seconds the greeting is held back; a client that talks before it is dropped (SMTP only).
    greeting_pause: float = 0.5
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
    #: OAuth2 clients for `diia-inbox imap login` (registered by the organisation with Google
    #: Cloud / Microsoft Entra as a "TV and limited input" / public client).
    oauth_google_client_id: str = ""
    oauth_google_client_secret: str = ""
    oauth_microsoft_client_id: str = ""
    oauth_microsoft_client_secret: str = ""
    oauth_microsoft_tenant: str = "organizations"
    #: Other endpoints than the providers' own (a proxy; the tests' local stand-in).
    oauth_device_url: str = ""
    oauth_token_url: str = ""
    # -- worker and MIME parsing (F2) -------------------------------------------------------
    #: Seconds the worker sleeps when the spool is empty (the receiver also wakes it).
    worker_idle_seconds: float = 1.0
    #: Messages handled at once (0: one per CPU core). Extraction runs in child processes and
    #: the C kernels release the GIL, so parallel messages use the cores; exactly-once holds
    #: because a spool claim is an atomic rename and the archive's unique raw hash catches the
    #: rest.
    workers: int = 0
    #: Each worker loop prepares its messages (MIME parse, verification, text extraction,
    #: recognition: Python code that holds the GIL) in a child process of its own, so the loops
    #: use every core (ingest/prepare_pool.py); false: in the loops' threads, one core for the
    #: Python parts. The archive writes stay in the worker's process either way.
    prepare_in_processes: bool = True
    #: MIME nesting levels (multipart, message/rfc822) searched for documents.
    mime_max_depth: int = 10
    mime_max_parts: int = 500
    #: Decoded size of one attachment; larger ones are left out with a reason.
    max_attachment_bytes: int = 50 * 1024 * 1024
    max_documents: int = 50
