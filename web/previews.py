"""Page images of an archived PDF, rendered once by poppler and kept in a cache.

Why images and not the browser's PDF viewer: phones do not show an embedded PDF, a tampered or
non-PDF file made the browser show its own error, and the embedded viewer swallowed dozens of
Tab stops. Pictures of the first pages show the copy everywhere; the original stays a link away.

The PDF is attacker-controlled, so poppler (`pdfinfo`, `pdftoppm`) runs as a child process
with the file on its standard input, a wall-clock timeout, and rlimits on address space, CPU
time, output file size and core dumps. Anything that goes wrong (not a PDF, encrypted, damaged,
out of time or memory) becomes an unreadable `Preview` with a reason code, never an exception,
and is remembered, so a hostile file costs one attempt, not one per request. Callers run these
blocking methods on a worker thread, off the event loop.

Cache layout: ``<root>/<document id>/<pdf sha256>/`` holding ``info.json`` (page count and
readability, no personal data) and ``page-N.png`` / ``thumb.png``. With blob encryption on, the
images are sealed with the same keyring as the blobs, so a rendered page is no easier to read
at rest than the PDF it came from. `forget` removes a document's folder; every path that deletes
copies (web deletion, retention purge, subject erasure) calls it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from archive.blobs import BlobError, Blobs
from archive.keyring import Keyring, KeyUnavailable

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PreviewLimits:
    """How much of a PDF is rendered, and the bounds a hostile one cannot cross."""

    #: Pages rendered as images; the rest are one click away in the original PDF.
    max_pages: int = 10
    #: Page image width in pixels: sharp on a 1366 px screen's content column and on phones.
    page_width: int = 1000
    #: Thumbnail width in pixels (shown at half that on screen, for high-density displays).
    thumb_width: int = 128
    #: Crop: no image taller than this many widths (a 1×14400 pt page must not become a
    #: gigapixel image).
    max_aspect: int = 3
    seconds: float = 20.0
    memory_bytes: int = 768 * 1024 * 1024
    #: Largest file poppler may write (RLIMIT_FSIZE).
    file_bytes: int = 64 * 1024 * 1024
    pdfinfo: str = "pdfinfo"
    pdftoppm: str = "pdftoppm"


@dataclass(frozen=True)
class Preview:
    """What the document page needs to know: whether pictures exist and how many."""

    readable: bool
    #: Pages in the PDF (0 when unreadable).
    pages: int
    #: Pages that have an image (at most `PreviewLimits.max_pages`).
    rendered: int
    #: Why not readable: NOT_A_PDF, UNREADABLE (encrypted or damaged), TIMEOUT, NO_PDF,
    #: RENDER_FAILED, TOOL_MISSING.
    reason: str | None = None
    #: (width, height) in pixels of each rendered page, for the <img> attributes that keep
    #: the layout from jumping while the images load.
    sizes: tuple[tuple[int, int], ...] = ()

    @property
    def more(self) -> int:
        """Pages only in the original PDF."""
        return max(0, self.pages - self.rendered)

    def to_json(self) -> str:
        return json.dumps(
            {
                "readable": self.readable,
                "pages": self.pages,
                "rendered": self.rendered,
                "reason": self.reason,
                "sizes": [list(size) for size in self.sizes],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Preview:
        data = json.loads(text)
        return cls(
            readable=bool(data["readable"]),
            pages=int(data["pages"]),
            rendered=int(data["rendered"]),
            reason=data.get("reason"),
            sizes=tuple((int(w), int(h)) for w, h in data.get("sizes") or []),
        )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16..24)."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def unreadable(reason: str) -> Preview:
    return Preview(readable=False, pages=0, rendered=0, reason=reason)


def _limit_child(limits: PreviewLimits) -> None:
    """rlimits set in the child between fork and exec (the address-space cap last, so that
    nothing here needs memory once it is in force)."""
    cpu = int(limits.seconds) + 1
    for which, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_AS, limits.memory_bytes),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (value, value))


@dataclass(frozen=True)
class _Run:
    ok: bool
    stdout: bytes
    reason: str | None


def _run(argv: list[str], pdf: bytes, limits: PreviewLimits, cwd: Path | None = None) -> _Run:
    exe = shutil.which(argv[0])
    if exe is None:
        return _Run(False, b"", "TOOL_MISSING")
    try:
        done = subprocess.run(
            [exe, *argv[1:]],
            input=pdf,
            stdout=subprocess.PIPE,
            # A damaged file can make poppler print an error per object: not kept.
            stderr=subprocess.DEVNULL,
            timeout=limits.seconds,
            preexec_fn=lambda: _limit_child(limits),
            cwd=cwd,
            check=False,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        return _Run(False, b"", "TIMEOUT")
    except OSError:
        return _Run(False, b"", "TOOL_MISSING")
    if done.returncode != 0:
        return _Run(False, done.stdout, "UNREADABLE")
    return _Run(True, done.stdout, None)


def page_count(pdf: bytes, limits: PreviewLimits) -> Preview:
    """`pdfinfo` on the bytes: the number of pages, or why the file is not a readable PDF."""
    if b"%PDF-" not in pdf[:1024]:
        return unreadable("NOT_A_PDF")
    run = _run([limits.pdfinfo, "-"], pdf, limits)
    if not run.ok:
        return unreadable(run.reason or "UNREADABLE")
    for line in run.stdout.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Pages" and value.strip().isdigit():
            pages = int(value.strip())
            if pages > 0:
                return Preview(readable=True, pages=pages, rendered=0)
    return unreadable("UNREADABLE")


def render(
    pdf: bytes, first: int, last: int, width: int, limits: PreviewLimits, workdir: Path
) -> tuple[list[bytes], str | None]:
    """PNG images of pages `first`..`last` at `width` px, and why there are none (poppler
    failed, timed out or is missing): then the list is empty."""
    argv = [
        limits.pdftoppm,
        "-png",
        "-f",
        str(first),
        "-l",
        str(last),
        "-scale-to-x",
        str(width),
        "-scale-to-y",
        "-1",
        "-W",
        str(width),
        "-H",
        str(width * limits.max_aspect),
        "-",
        "page",
    ]
    run = _run(argv, pdf, limits, cwd=workdir)
    if not run.ok:
        return [], run.reason
    # pdftoppm names pages page-1.png or page-01.png (zero-padded to the last page's digits).
    images = []
    for path in sorted(workdir.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
        data = path.read_bytes()
        if data.startswith(PNG_MAGIC):
            images.append(data)
    return images, None


def forget(root: Path, doc_ids: Iterable[int]) -> int:
    """Remove the cached images of these documents under `root` (deletion, purge, erasure:
    a page image is a copy of the PDF and goes with it); returns how many folders went."""
    removed = 0
    for doc_id in doc_ids:
        folder = root / str(int(doc_id))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def prune(root: Path, existing: Callable[[list[int]], set[int]]) -> int:
    """Remove the cached images of documents that no longer exist (`existing` answers which
    of the given ids still do). With several nodes each keeps its own cache, and a copy
    deleted or erased through another node leaves this one's images behind; every node's
    heartbeat prunes its own cache with this."""
    try:
        ids = [int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit()]
    except OSError:
        return 0
    gone: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        alive = existing(chunk)
        gone.extend(i for i in chunk if i not in alive)
    return forget(root, gone)


class PreviewCache:
    """Rendered pages and thumbnails of archived PDFs, kept under `root` (see module doc)."""

    def __init__(self, root: Path, blobs: Blobs, limits: PreviewLimits | None = None) -> None:
        self.root = root
        self.blobs = blobs
        self.limits = limits or PreviewLimits()
        self._locks: dict[tuple[int, str], threading.Lock] = {}
        self._guard = threading.Lock()
        #: Renders at a time on this node: thumbnails of a page of results must not start
        #: twenty poppler processes on a two-core machine.
        self._slots = threading.BoundedSemaphore(2)

    # -- public, blocking: call on a worker thread --------------------------------------

    def pages(self, doc_id: int, pdf_sha: str | None) -> Preview:
        """The copy's preview, rendering its first pages on the first call."""
        if not pdf_sha:
            return unreadable("NO_PDF")
        folder = self._folder(doc_id, pdf_sha)
        with self._lock(doc_id, pdf_sha):
            known = self._info(folder)
            if known is not None and (not known.readable or known.rendered):
                names = (f"page-{n}.png" for n in range(1, known.rendered + 1))
                if all((folder / name).is_file() for name in names):
                    return known
            pdf = self._pdf(pdf_sha)
            if pdf is None:
                return unreadable("NO_PDF")
            info = known if known is not None else page_count(pdf, self.limits)
            if info.readable:
                last = min(info.pages, self.limits.max_pages)
                images, why = self._render(pdf, 1, last, self.limits.page_width)
                if why is not None or len(images) != last:
                    info = unreadable(why or "RENDER_FAILED")
                else:
                    for n, data in enumerate(images, start=1):
                        self._write(folder, f"page-{n}.png", data)
                    info = Preview(
                        readable=True,
                        pages=info.pages,
                        rendered=last,
                        sizes=tuple(png_size(data) for data in images),
                    )
            self._write_info(folder, info)
            return info

    def page(self, doc_id: int, pdf_sha: str | None, number: int) -> bytes | None:
        """The PNG of page `number` (1-based), or None when there is no such image."""
        if not pdf_sha:
            return None
        folder, name = self._folder(doc_id, pdf_sha), f"page-{number}.png"
        known = self._info(folder)
        if known is not None and known.readable and 1 <= number <= known.rendered:
            cached = self._read(folder, name)
            if cached is not None:
                return cached
            # Sealed under a key no longer held (or removed): render again below.
            (folder / "info.json").unlink(missing_ok=True)
        preview = self.pages(doc_id, pdf_sha)
        if not preview.readable or not 1 <= number <= preview.rendered:
            return None
        return self._read(folder, name)

    def thumb(self, doc_id: int, pdf_sha: str | None) -> bytes | None:
        """A small PNG of the first page, or None when the file is not a readable PDF."""
        if not pdf_sha:
            return None
        folder = self._folder(doc_id, pdf_sha)
        with self._lock(doc_id, pdf_sha):
            cached = self._read(folder, "thumb.png")
            if cached is not None:
                return cached
            known = self._info(folder)
            if known is not None and not known.readable:
                return None
            pdf = self._pdf(pdf_sha)
            if pdf is None:
                return None
            if b"%PDF-" not in pdf[:1024]:
                self._write_info(folder, unreadable("NOT_A_PDF"))
                return None
            images, why = self._render(pdf, 1, 1, self.limits.thumb_width)
            if why is not None or len(images) != 1:
                if known is None:
                    self._write_info(folder, unreadable(why or "RENDER_FAILED"))
                return None
            self._write(folder, "thumb.png", images[0])
            return images[0]

    def forget(self, doc_ids: Iterable[int]) -> int:
        """Remove every cached image of these documents; returns how many folders went."""
        return forget(self.root, doc_ids)

    # -- internals -------------------------------------------------------------------

    def _folder(self, doc_id: int, pdf_sha: str) -> Path:
        if not (len(pdf_sha) == 64 and all(c in "0123456789abcdef" for c in pdf_sha)):
            raise ValueError("not a sha256 digest")
        return self.root / str(int(doc_id)) / pdf_sha

    def _lock(self, doc_id: int, pdf_sha: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((doc_id, pdf_sha), threading.Lock())

    def _pdf(self, pdf_sha: str) -> bytes | None:
        try:
            return self.blobs.get(pdf_sha)
        except BlobError:
            return None

    def _render(
        self, pdf: bytes, first: int, last: int, width: int
    ) -> tuple[list[bytes], str | None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with self._slots, tempfile.TemporaryDirectory(prefix=".render-", dir=self.root) as tmp:
            return render(pdf, first, last, width, self.limits, Path(tmp))

    def _info(self, folder: Path) -> Preview | None:
        try:
            return Preview.from_json((folder / "info.json").read_text())
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_info(self, folder: Path, info: Preview) -> None:
        self._put(folder / "info.json", info.to_json().encode())

    def _keyring(self) -> Keyring | None:
        return self.blobs.keyring

    def _write(self, folder: Path, name: str, data: bytes) -> None:
        ring = self._keyring()
        sealed = ring.encrypt(data, associated=name.encode()) if ring is not None else data
        self._put(folder / name, sealed)

    def _read(self, folder: Path, name: str) -> bytes | None:
        """The cached image, or None (missing, sealed under a key no longer held, or sealed
        while the cache is now in clear: each is a miss, and the page is rendered again)."""
        try:
            stored = (folder / name).read_bytes()
        except OSError:
            return None
        ring = self._keyring()
        if ring is None:
            return stored if stored.startswith(PNG_MAGIC) else None
        try:
            data = ring.decrypt(stored, associated=name.encode())
        except KeyUnavailable:
            return None
        return data if data.startswith(PNG_MAGIC) else None

    def _put(self, path: Path, data: bytes) -> None:
        """Write-then-rename, so a reader never sees half an image."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
