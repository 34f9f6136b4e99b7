"""The trust store: import a trusted list (TS 119 612 XML), a `.p7b` bundle or certificates into
the data folder's `trust/`, and see the anchors with their expiry.

Files are parsed before they are kept (garbage never lands in `trust/`) and stored under a name
we choose (their sha256 and a known suffix), so an uploaded file name never becomes a path.
The verifier picks the change up by itself (`ingest.pipeline.TrustCache` watches the folder).
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

from web.auth import ADMIN
from web.context import deps_of
from web.render import in_db, page, record, see_other
from web.security import requires
from web.services import today, trust_dir

MAX_TRUST_UPLOAD = 64 * 1024 * 1024
SUFFIXES = (".xml", ".p7b", ".cer", ".crt", ".der", ".pem", ".crl")


def _suffix(filename: str, data: bytes) -> str:
    suffix = Path(filename.lower()).suffix
    if suffix in SUFFIXES:
        return suffix
    return ".xml" if data.lstrip()[:1] == b"<" else ".der"


def inventory(folder: Path, day: dt.date) -> dict[str, Any]:
    """Each file in the trust folder with its certificates, and any that could not be read."""
    from verify.errors import VerifyError
    from verify.trust import load_file

    files: list[dict[str, Any]] = []
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        entry: dict[str, Any] = {"name": path.name, "size": path.stat().st_size}
        try:
            material = load_file(path)
        except VerifyError as exc:
            entry["error"] = exc.reason
            entry["anchors"] = []
            files.append(entry)
            continue
        entry["anchors"] = [
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
            for cert in material.certificates
        ]
        entry["crls"] = len(material.crls)
        files.append(entry)
    return {"files": files}


@requires(ADMIN)
async def trust_page(request: web.Request) -> web.Response:
    deps = deps_of(request)
    data = await asyncio.to_thread(inventory, trust_dir(deps), today(deps))
    return page(request, "trust.html", {**data, "error": None})


@requires(ADMIN)
async def trust_import(request: web.Request) -> web.Response:
    from verify.errors import VerifyError
    from verify.trust import load_bytes

    deps = deps_of(request)
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
        inv = await asyncio.to_thread(inventory, trust_dir(deps), today(deps))
        return page(request, "trust.html", {**inv, "error": error}, status=400)
    digest = hashlib.sha256(data).hexdigest()
    name = digest[:16] + _suffix(upload.filename or "", data)  # type: ignore[union-attr]
    target = trust_dir(deps) / name
    await asyncio.to_thread(_write, target, data)

    def work(s: Session) -> None:
        record(
            request,
            s,
            "trust.import",
            "trust_file",
            name,
            {"certificates": len(material.certificates), "crls": len(material.crls)},
        )

    await in_db(request, work)
    raise see_other("/trust", "imported")


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name("." + target.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


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
