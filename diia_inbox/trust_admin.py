"""Managing the installation's trust material: import, list, remove and update.

Trust files live in the database (`archive.trust_files`), shared by every node; the data
folder's `trust/` and `[verify] trust` paths are still read, as they were before, and listed
with their own source. Every file is parsed before it is kept, so nothing unreadable is ever
installed, and every change is an audit entry.

`update` downloads the configured URLs (HTTP(S) only), checks that each answer parses as trust
material with at least a sane number of certificates (and not fewer than half the installed
copy's), and replaces the installed copy from that URL in one transaction. On any failure the
installed copy stays and the failure is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from archive import audit, trust_files
from archive.db import Database
from archive.localtime import iso
from archive.trust_files import TrustFileInfo
from diia_inbox.config import Config
from verify.certs import Certificate
from verify.errors import VerifyError
from verify.trust import MAX_TRUST_FILE, Material, load_bytes, load_paths

log = logging.getLogger("diia_inbox.trust")

#: Published by the Central Certification Authority (CZO): the CA certificates of qualified
#: trust service providers and the national trusted list.
DEFAULT_URLS: tuple[str, ...] = (
    "https://czo.gov.ua/download/tl/CACertificates.p7b",
    "https://czo.gov.ua/download/tl/TL-UA-DSTU.xml",
)
#: A downloaded file smaller than this is an error page, not a trust list.
MIN_DOWNLOAD_BYTES = 512


class TrustAdminError(Exception):
    """A trust file could not be imported or downloaded; `reason` is a stable code."""

    reason = "TRUST_ADMIN_ERROR"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Imported:
    file: TrustFileInfo
    created: bool
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class CertificateRow:
    """One certificate of the installed trust material, for `trust list`."""

    subject: str
    issuer: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str
    source: str  # "db:<id> <name>" or the configured/folder path
    imported_at: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "sha256": self.sha256,
            "source": self.source,
            "imported_at": self.imported_at,
        }


@dataclass(frozen=True)
class UpdateOutcome:
    url: str
    ok: bool
    detail: str
    certificates: int = 0
    changed: bool = False


def check_material(data: bytes, *, min_certificates: int = 1) -> Material:
    """Parse `data` as trust material or raise TrustAdminError saying why not."""
    if len(data) > MAX_TRUST_FILE:
        raise TrustAdminError(f"larger than {MAX_TRUST_FILE} bytes", "TRUST_FILE_SIZE")
    try:
        material = load_bytes(data)
    except VerifyError as exc:
        raise TrustAdminError(exc.detail, "TRUST_FILE_UNREADABLE") from None
    if len(material.certificates) < min_certificates and not material.crls:
        raise TrustAdminError(
            f"{len(material.certificates)} certificate(s), fewer than {min_certificates}",
            "TRUST_FILE_TOO_SMALL",
        )
    return material


def import_paths(db: Database, paths: Sequence[Path], *, actor: str) -> list[Imported]:
    """Import files (a folder means each file in it); all are checked before any is stored."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise TrustAdminError(f"{path}: no such file or folder", "TRUST_FILE_MISSING")
    checked: list[tuple[Path, bytes, Material]] = []
    for file in files:
        if file.stat().st_size > MAX_TRUST_FILE:
            raise TrustAdminError(f"{file}: larger than {MAX_TRUST_FILE} bytes", "TRUST_FILE_SIZE")
        data = file.read_bytes()
        try:
            checked.append((file, data, check_material(data)))
        except TrustAdminError as exc:
            raise TrustAdminError(f"{file}: {exc}", exc.reason) from None
    out: list[Imported] = []
    with db.session() as s:
        for file, data, material in checked:
            info, created = trust_files.add(
                s,
                data,
                name=file.name,
                source="import",
                origin=str(file.resolve()),
                certificates=len(material.certificates),
                crls=len(material.crls),
                actor=actor,
            )
            if created:
                audit.record(
                    s,
                    actor,
                    "trust.import",
                    "trust_file",
                    info.id,
                    detail={
                        "sha256": info.sha256,
                        "certificates": info.certificates,
                        "crls": info.crls,
                        "skipped": len(material.skipped),
                    },
                )
            out.append(Imported(info, created, material.skipped))
    return out


def remove(db: Database, key: str, *, actor: str) -> list[TrustFileInfo]:
    with db.session() as s:
        removed = trust_files.remove(s, key)
        for info in removed:
            audit.record(
                s, actor, "trust.remove", "trust_file", info.id, detail={"sha256": info.sha256}
            )
    return removed


def certificates(db: Database, config: Config) -> list[CertificateRow]:
    """Every installed certificate with its source: database files, then configured paths and
    the data folder's `trust/` (read for compatibility)."""
    rows: list[CertificateRow] = []
    with db.session() as s:
        stored = trust_files.contents(s)
    for info, data in stored:
        try:
            material = load_bytes(data)
        except VerifyError:
            continue
        source = f"db:{info.id} {info.name}"
        rows += [_row(c, source, info.imported_at_iso) for c in material.certificates]
    for path in [*(Path(p) for p in config.verify.trust), config.trust_dir]:
        if not path.exists():
            continue
        try:
            material = load_paths([path])
        except VerifyError:
            continue
        rows += [_row(c, str(path), None) for c in material.certificates]
    return rows


def _row(cert: Certificate, source: str, imported_at: str | None) -> CertificateRow:
    return CertificateRow(
        subject=cert.subject,
        issuer=cert.issuer,
        serial=cert.serial_hex,
        not_before=cert.not_before,
        not_after=cert.not_after,
        sha256=cert.sha256,
        source=source,
        imported_at=imported_at,
    )


Fetch = Callable[[str, float, int], bytes]


def http_fetch(url: str, timeout: float, limit: int) -> bytes:
    """GET `url` (http or https only); at most `limit` bytes; any failure is TrustAdminError."""
    if not url.lower().startswith(("http://", "https://")):
        raise TrustAdminError(f"{url}: only http(s) URLs are fetched", "TRUST_URL_SCHEME")
    request = urllib.request.Request(url, headers={"User-Agent": "diia-inbox trust update"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = bytes(response.read(limit + 1))
    except urllib.error.HTTPError as exc:
        raise TrustAdminError(f"{url}: HTTP {exc.code}", "TRUST_DOWNLOAD_HTTP") from None
    except TimeoutError:
        raise TrustAdminError(f"{url}: timed out", "TRUST_DOWNLOAD_TIMEOUT") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise TrustAdminError(f"{url}: timed out", "TRUST_DOWNLOAD_TIMEOUT") from None
        raise TrustAdminError(f"{url}: {reason}", "TRUST_DOWNLOAD_FAILED") from None
    if len(data) > limit:
        raise TrustAdminError(f"{url}: larger than {limit} bytes", "TRUST_FILE_SIZE")
    return data


def update(
    db: Database,
    urls: Sequence[str],
    *,
    actor: str,
    timeout: float = 60.0,
    min_certificates: int = 5,
    fetch: Fetch = http_fetch,
) -> list[UpdateOutcome]:
    """Download each URL and install what arrived if, and only if, it checks out."""
    outcomes = []
    for url in urls:
        outcome = _update_one(db, url, actor, timeout, min_certificates, fetch)
        log.info("trust update %s: %s", url, outcome.detail)
        outcomes.append(outcome)
    return outcomes


def _update_one(
    db: Database, url: str, actor: str, timeout: float, min_certificates: int, fetch: Fetch
) -> UpdateOutcome:
    try:
        data = fetch(url, timeout, MAX_TRUST_FILE)
        if len(data) < MIN_DOWNLOAD_BYTES:
            raise TrustAdminError(f"only {len(data)} bytes", "TRUST_FILE_TOO_SMALL")
        material = check_material(data, min_certificates=min_certificates)
        with db.session() as s:
            previous = trust_files.previous_from(s, url)
            if previous is not None and len(material.certificates) * 2 < previous.certificates:
                raise TrustAdminError(
                    f"{len(material.certificates)} certificates, fewer than half of the "
                    f"{previous.certificates} installed",
                    "TRUST_FILE_TOO_SMALL",
                )
            if previous is not None and previous.sha256 == trust_files.sha256_of(data):
                audit.record(
                    s, actor, "trust.update", "trust_url", url[:100], detail={"changed": False}
                )
                return UpdateOutcome(url, True, "unchanged", previous.certificates, False)
            name = url.rstrip("/").rsplit("/", 1)[-1] or url
            info, removed = trust_files.replace_origin(
                s,
                data,
                name=name,
                origin=url,
                certificates=len(material.certificates),
                crls=len(material.crls),
                actor=actor,
            )
            audit.record(
                s,
                actor,
                "trust.update",
                "trust_file",
                info.id,
                detail={
                    "sha256": info.sha256,
                    "certificates": info.certificates,
                    "replaced": [r.id for r in removed],
                    "changed": True,
                },
            )
        return UpdateOutcome(url, True, "installed", len(material.certificates), True)
    except TrustAdminError as exc:
        with db.session() as s:
            audit.record(
                s,
                actor,
                "trust.update_failed",
                "trust_url",
                url[:100],
                detail={"reason": exc.reason},
            )
        return UpdateOutcome(url, False, f"{exc.reason}: {exc}")
