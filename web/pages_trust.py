"""The trust store: import a trusted list (TS 119 612 XML), a `.p7b` bundle or certificates,
see the anchors with their expiry, and re-verify stored copies.

Imported files go into the database (`archive.trust_files`), the installation's shared state,
so every node uses them; files already in the data folder's `trust/` are still shown and can be
deleted. Files are parsed before they are kept (garbage is never installed); an uploaded file
name is only a label, never a path. The verifier picks a change up by itself
(`diia_inbox.wiring.TrustCache` watches the database's trust revision and the folder), and
`serve` re-verifies the stored copies after it (`diia_inbox.trust_jobs`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from archive.db import Database
from web.auth import ADMIN
from web.context import deps_of
from web.render import in_db, page, principal_of, record, see_other
from web.security import requires
from web.services import need, today, trust_dir

MAX_TRUST_UPLOAD = 64 * 1024 * 1024
SUFFIXES = (".xml", ".p7b", ".cer", ".crt", ".der", ".pem", ".crl")


def _suffix(filename: str, data: bytes) -> str:
    suffix = Path(filename.lower()).suffix
    if suffix in SUFFIXES:
        return suffix
    return ".xml" if data.lstrip()[:1] == b"<" else ".der"


def shown_size(size: int) -> tuple[str, str]:
    """A file size as people read it: the number (one decimal, point) and its unit's key."""
    if size < 1024:
        return str(size), "size.b"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}", "size.kb"
    return f"{size / 1024 / 1024:.1f}", "size.mb"


def _anchors(certificates: Any, day: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "subject": cert.subject,
            "issuer": cert.issuer,
            "sha256": cert.sha256,
            "not_after": cert.not_after.date().isoformat(),
            "days_left": (cert.not_after.date() - day).days,
            "state": "expired"
            if cert.not_after.date() < day
            else ("expiring" if (cert.not_after.date() - day).days <= 60 else "active"),
        }
        for cert in certificates
    ]


def stored_inventory(db: Database, day: dt.date) -> list[dict[str, Any]]:
    """The imported files in the database with their certificates."""
    from archive import trust_files
    from verify.errors import VerifyError
    from verify.trust import load_bytes

    out: list[dict[str, Any]] = []
    with db.session() as s:
        rows = trust_files.contents(s)
    for info, data in rows:
        entry: dict[str, Any] = {
            "id": info.id,
            "name": info.name,
            "size": info.size,
            "size_shown": shown_size(info.size),
            "source": info.source,
            "imported_at": info.imported_at_iso,
        }
        try:
            entry["anchors"] = _anchors(load_bytes(data).certificates, day)
        except VerifyError as exc:
            entry["error"], entry["anchors"] = exc.reason, []
        out.append(entry)
    return out


def inventory(folder: Path, day: dt.date) -> dict[str, Any]:
    """Each file in the trust folder with its certificates, and any that could not be read."""
    from verify.errors import VerifyError
    from verify.trust import load_file

    files: list[dict[str, Any]] = []
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        size = path.stat().st_size
        entry: dict[str, Any] = {"name": path.name, "size": size, "size_shown": shown_size(size)}
        try:
            material = load_file(path)
        except VerifyError as exc:
            entry["error"] = exc.reason
            entry["anchors"] = []
            files.append(entry)
            continue
        entry["anchors"] = _anchors(material.certificates, day)
        entry["crls"] = len(material.crls)
        files.append(entry)
    return {"files": files}


async def _context(request: web.Request, error: str | None) -> dict[str, Any]:
    deps = deps_of(request)
    data = await asyncio.to_thread(inventory, trust_dir(deps), today(deps))
    stored = await asyncio.to_thread(stored_inventory, deps.db, today(deps))
    jobs = deps.services.reverify
    status = jobs.status if jobs is not None else None
    return {
        **data,
        "stored": stored,
        "error": error,
        "reverify": status,
        "can_reverify": bool(jobs),
    }


@requires(ADMIN)
async def trust_page(request: web.Request) -> web.Response:
    return page(request, "trust.html", await _context(request, None))


@requires(ADMIN)
async def trust_import(request: web.Request) -> web.Response:
    from verify.errors import VerifyError
    from verify.trust import load_bytes

    form = await request.post()
    upload = form.get("file")
    error: str | None = None
    if not isinstance(upload, web.FileField):
        error = "FILE_MISSING"
    else:
        data = upload.file.read(MAX_TRUST_UPLOAD + 1)
        if not data or len(data) > MAX_TRUST_UPLOAD:
            error = "FILE_SIZE"
        else:
            try:
                material = await asyncio.to_thread(load_bytes, data)
            except VerifyError as exc:
                error = exc.reason
            else:
                if not material.certificates and not material.crls:
                    error = "NO_CERTIFICATES"
    if error is not None:
        return page(request, "trust.html", await _context(request, error), status=400)
    digest = hashlib.sha256(data).hexdigest()
    # The uploaded name is a label only; ours is the digest with a known suffix.
    name = digest[:16] + _suffix(upload.filename or "", data)  # type: ignore[union-attr]

    def work(s: Session) -> None:
        from archive import trust_files

        info, created = trust_files.add(
            s,
            data,
            name=name,
            source="web",
            origin=name,
            certificates=len(material.certificates),
            crls=len(material.crls),
            actor=_actor(request),
        )
        if created:
            record(
                request,
                s,
                "trust.import",
                "trust_file",
                info.id,
                {
                    "sha256": info.sha256,
                    "certificates": len(material.certificates),
                    "crls": len(material.crls),
                },
            )

    await in_db(request, work)
    raise see_other("/trust", "imported")


def _actor(request: web.Request) -> str:
    return str(getattr(principal_of(request), "username", "") or "web")


@requires(ADMIN)
async def trust_remove(request: web.Request) -> web.Response:
    """Remove a file imported into the database (by its id)."""
    from archive import trust_files

    file_id = request.match_info["id"]
    if not file_id.isdigit():
        raise web.HTTPNotFound()

    def work(s: Session) -> bool:
        removed = trust_files.remove(s, file_id)
        for info in removed:
            record(request, s, "trust.remove", "trust_file", info.id, {"sha256": info.sha256})
        return bool(removed)

    if not await in_db(request, work):
        raise web.HTTPNotFound()
    raise see_other("/trust", "deleted")


@requires(ADMIN)
async def trust_reverify(request: web.Request) -> web.Response:
    """The "re-verify now" button: `serve` re-verifies every signed copy in the background."""
    jobs = need(deps_of(request).services.reverify, "reverify")
    jobs.request("all")

    def work(s: Session) -> None:
        record(request, s, "document.reverify_request", "documents", "")

    await in_db(request, work)
    raise see_other("/trust", "reverify")


@requires(ADMIN)
async def trust_delete(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    folder = trust_dir(deps_of(request))
    # Only a name listed in the folder is accepted, so no path can be smuggled in.
    listed = await asyncio.to_thread(os.listdir, folder)
    if name.startswith(".") or name not in listed or not (folder / name).is_file():
        raise web.HTTPNotFound()
    target = folder / name
    await asyncio.to_thread(target.unlink)

    def work(s: Session) -> None:
        record(request, s, "trust.delete", "trust_file", name)

    await in_db(request, work)
    raise see_other("/trust", "deleted")


def setup(app: web.Application) -> None:
    app.router.add_get("/trust", trust_page, name="trust")
    app.router.add_post("/trust", trust_import, name="trust.add")
    app.router.add_post("/trust/{name}/delete", trust_delete, name="trust.delete")
    app.router.add_post("/trust/files/{id}/delete", trust_remove, name="trust.remove")
    app.router.add_post("/trust/reverify", trust_reverify, name="trust.reverify")
