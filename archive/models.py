"""SQLAlchemy 2 models of the archive.

One metadata for SQLite and PostgreSQL: only portable column types (JSON, not JSONB), times
stored as naive UTC through `UTCDateTime` so both engines round-trip the same aware values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: The eight document types of Diia.QR (PRODUCT.md), as stable codes for data and APIs.
DOCUMENT_TYPES: tuple[str, ...] = (
    "id-card",
    "foreign-passport",
    "taxpayer-card",
    "birth-certificate",
    "idp-certificate",
    "driver-license",
    "vehicle-registration",
    "student-card",
)

ROLES: tuple[str, ...] = ("admin", "staff", "auditor")

#: Processing states of a received message.
MESSAGE_STATES: tuple[str, ...] = ("received", "processing", "done", "quarantined")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every engine (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Branch(Base):
    """A branch (відділення): public name, address and its receiving e-mail address."""

    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500))
    # Stored normalised (lower case, trimmed); uniqueness is therefore case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    organization: Mapped[str | None] = mapped_column(String(300), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    address_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    services: Mapped[list[Service]] = relationship(back_populates="branch")
    qr_codes: Mapped[list[QrCode]] = relationship(back_populates="branch")


class Service(Base):
    """A service of a branch: its stated purpose and the package of documents it requests."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(back_populates="services")


class QrCode(Base):
    """A Diia.QR code as issued by the portal; valid for 365 days from issue."""

    __tablename__ = "qr_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), default=None
    )
    payload: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.date] = mapped_column(Date)
    expires_at: Mapped[dt.date] = mapped_column(Date)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    reminder_sent_for: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(back_populates="qr_codes")


class Message(Base):
    """One received e-mail: envelope, headers we need, the raw blob and its processing state."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(998), default=None)
    envelope_from: Mapped[str] = mapped_column(String(320), default="")
    envelope_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Same bytes are the same message (Message-ID included): unique, so a retry stores once.
    raw_sha256: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(20), default="received")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(40), default="smtp")

    documents: Mapped[list[Document]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )


class Document(Base):
    """One copy: a PDF and/or its P7S, what was recognised in it and how its signature fared."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_received", "received_at"),
        Index("ix_documents_type", "document_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None
    )
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="SET NULL"), default=None
    )
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(500), default="")
    document_type: Mapped[str | None] = mapped_column(String(40), default=None)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    p7s_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    indication: Mapped[str] = mapped_column(String(20), default="UNSIGNED")
    sub_indication: Mapped[str | None] = mapped_column(String(60), default=None)
    signer: Mapped[str | None] = mapped_column(String(500), default=None)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    retain_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    message: Mapped[Message | None] = relationship(back_populates="documents")
    branch: Mapped[Branch | None] = relationship()


class User(Base):
    """A person who signs in; `role` is one of ROLES."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_token_hash: Mapped[str | None] = mapped_column(String(128), default=None, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """A signed-in browser. Kept in the database so several web nodes share sign-ins and a
    logout or a disabled user ends the session everywhere at once."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    remote: Mapped[str] = mapped_column(String(100), default="")

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what to which object, when and from where.

    `prev_hash`/`entry_hash` chain the rows so a changed or deleted entry is detectable.
    `detail` never holds personal data: only identifiers and codes.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    remote: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    entry_hash: Mapped[str] = mapped_column(String(64), default="")


class Node(Base):
    """One `serve` process of the installation, as it last reported itself.

    Rows are written by the node's heartbeat; a node whose heartbeat stopped stays listed as
    down with the spool depth it last reported, so mail waiting on a stopped node is visible
    from the others. Runtime state: not part of backups.
    """

    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), default="")
    config_hash: Mapped[str] = mapped_column(String(64), default="")
    #: The settings that must agree between nodes (what `config_hash` covers), to name the
    #: differing ones when the hashes differ.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Seconds between heartbeats this node promised; "down" is judged against it.
    heartbeat_seconds: Mapped[int] = mapped_column(Integer, default=15)
    spool_depth: Mapped[int] = mapped_column(Integer, default=0)
    #: Every message this node accepted before this instant has left its spool (archived or
    #: set aside): what a backup waits for.
    drained_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    probe_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class JobLease(Base):
    """Who runs a scheduled job (purge, reminders) now, and when it last ran, cluster-wide."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200), default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_holder: Mapped[str | None] = mapped_column(String(200), default=None)
    last_result: Mapped[str] = mapped_column(String(200), default="")


class StoredKeyring(Base):
    """The blob encryption keyring of the installation, wrapped by the master key.

    One row (id 1). The master key never enters the database: it comes from the environment
    or a file on each node, so a copy of the database alone cannot decrypt the blobs.
    """

    __tablename__ = "stored_keyring"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    wrapped: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Tables describing the running processes rather than the archive: left out of backups.
RUNTIME_TABLES: frozenset[str] = frozenset({"nodes", "job_leases"})


class TrustFile(Base):
    """One imported trust file (certificate, .p7b bundle, trusted list, CRL), bytes as received.

    Kept in the database, not in a node's data folder, so every node of an installation
    verifies against the same trust material; `source` says where it came from (a file name,
    an update URL, the web page) and `origin` groups the copies `trust update` replaces.
    """

    __tablename__ = "trust_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(40), default="import")  # import | update | web
    origin: Mapped[str] = mapped_column(String(1000), default="")  # file path or URL
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    certificates: Mapped[int] = mapped_column(Integer, default=0)
    crls: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(150), default="")


class VerificationHistory(Base):
    """An earlier verification report of a document, kept when re-verification replaces it."""

    __tablename__ = "verification_history"
    __table_args__ = (Index("ix_verification_history_document", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    replaced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    indication: Mapped[str] = mapped_column(String(20))
    sub_indication: Mapped[str | None] = mapped_column(String(60), default=None)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reason: Mapped[str] = mapped_column(String(60), default="")
