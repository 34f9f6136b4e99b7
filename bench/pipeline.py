"""End-to-end documents/s through the worker pipeline over a filled archive, ECDSA and DSTU 4145.

What is timed is what `serve` runs after a message is spooled: the real `ingest.worker.Worker`
with as many loops as `serve` starts (`[ingest] workers`, else the number of cores), draining a
spool of Gmail-shaped messages, each with one Diia-like copy of a real copy's size (fpdf2 PDF
with an embedded TrueType font and a 290 KB photo, about 310 KB; `bench/copies.py`) and its
detached CAdES-BES P7S from the test PKI: parse, verify against the trust anchor, extract text
(child process under limits), recognise fields, QR matching, archive (SQLite, blobs) and index
(Whoosh through the group writer, as `serve` wires it). Every message differs, so nothing is
deduplicated. The clock stops when the spool is empty and the index writer has committed.

The archive and the index already hold `--archive-size` documents (synthetic copies from
`bench/corpus.py`, bulk-inserted as rows and indexed directly, not through the pipeline: a
100,000-document archive through the pipeline would take hours). Building them takes minutes,
so `--reuse DIR` keeps the filled data folder in DIR and later runs start from it; each run works
on a copy, so the kept folder stays exactly `--archive-size` documents.

The reference, measured in the same run: `openssl cms -verify` on the same ECDSA copies (one
process per copy, as many at once as the worker has loops), the signature check alone.

    .venv/bin/python bench/pipeline.py --archive-size 100000 --reuse /tmp/diia-bench-100k
    .venv/bin/python bench/pipeline.py --archive-size 0 --messages 40 --batches 3

Prints figures only; the targets (issue 15) are printed beside them, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from archive.models import Branch, Document, Message
from bench.copies import photo_copies
from bench.corpus import BRANCHES, generate
from bench.procs import processes
from diia_inbox.config import Config, load_config
from diia_inbox.runtime import Runtime
from diia_inbox.wiring import (
    context_factory,
    worker_loops,
    worker_pipeline,
    worker_search,
)
from ingest.envelope import Envelope
from ingest.pipeline import process
from ingest.spool import Spool
from ingest.worker import WARM_UP_PDF, Worker
from search.group_writer import GroupWriter
from search.index import ArchiveSource, IndexDoc
from search.whoosh_backend import WhooshBackend
from tests.ingest.mailmaker import diia_pair, gmail
from tests.support.pki import TestPKI, make_pki, sign_cades

BRANCH = "reception@hotel.example"
TARGETS = {"ecdsa": 50.0, "dstu": 40.0}  # documents/s on 2 cores with a 100k archive (issue 15)
_DONE_MARK = "prefilled"
_CHUNK = 5000


# --- the filled archive ---------------------------------------------------------------------


def _digest(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}-{i}".encode()).hexdigest()


def _archived(docs: Iterator[IndexDoc]) -> Iterator[IndexDoc]:
    """The corpus as the archive will hold it (the copy key is the PDF's sha256, as in
    `search.index.index_doc`)."""
    for d in docs:
        yield dataclasses.replace(d, copy_key=_digest("pdf", d.id))


def _rows(batch: list[IndexDoc]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    messages, documents = [], []
    for d in batch:
        messages.append(
            {
                "id": d.id,
                "envelope_from": d.sender,
                "envelope_to": [f"branch{d.branch_id}@bench.example"],
                "subject": d.subject,
                "received_at": d.received_at,
                "size": 300_000,
                "raw_sha256": _digest("raw", d.id),
                "status": "done",
                "attempts": 1,
                "source": "smtp",
            }
        )
        fields = {"document_type": d.document_type, "person_name": d.person_name}
        if d.person_name_lat:
            fields["person_name_lat"] = d.person_name_lat
        documents.append(
            {
                "id": d.id,
                "message_id": d.id,
                "branch_id": d.branch_id,
                "received_at": d.received_at,
                "filename": d.filename,
                "document_type": d.document_type,
                "pdf_sha256": d.copy_key,
                "p7s_sha256": _digest("p7s", d.id),
                "text": d.text,
                "fields": fields,
                "indication": d.indication,
                "flags": [],
                "warnings": [],
            }
        )
    return messages, documents


def _config(data: Path) -> Config:
    """The defaults, plus DIIA_INBOX_* settings from the environment (e.g.
    DIIA_INBOX_INGEST_PREPARE_IN_PROCESSES=false to compare with the loops' threads)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("DIIA_INBOX_")}
    return load_config(data_dir=data, env=env)


def prefill(data: Path, size: int) -> None:
    """`size` archived documents (one message each) and their index, written directly."""
    started = time.perf_counter()
    rt = Runtime.open(_config(data))
    try:
        with rt.db.session() as s:
            s.execute(
                insert(Branch),
                [
                    {
                        "id": i,
                        "name": name,
                        "address": "м. Київ",
                        "email": f"branch{i}@bench.example",
                    }
                    for i, name in BRANCHES
                ]
                + [
                    {
                        "id": 99,
                        "name": "Готель «Дніпро», рецепція",
                        "address": "м. Дніпро",
                        "email": BRANCH,
                    }
                ],
            )
        batch: list[IndexDoc] = []
        for d in _archived(generate(size)):
            batch.append(d)
            if len(batch) == _CHUNK:
                _insert(rt, batch)
                batch = []
        _insert(rt, batch)
        rows_done = time.perf_counter()
        print(f"prefill: {size} archive rows in {rows_done - started:.0f} s", flush=True)
        index = WhooshBackend(rt.config.index_dir / "whoosh", rt.config.search, repair=False)
        try:
            index.rebuild(_archived(generate(size)), lambda n: _progress("indexed", n, rows_done))
        finally:
            index.close()
        print(f"prefill: index of {size} in {time.perf_counter() - rows_done:.0f} s", flush=True)
    finally:
        rt.close()
    (data / _DONE_MARK).write_text(str(size))


def _progress(what: str, done: int, since: float) -> None:
    if done % 10_000 == 0:
        print(f"prefill: {what} {done} in {time.perf_counter() - since:.0f} s", flush=True)


def _insert(rt: Runtime, batch: list[IndexDoc]) -> None:
    if not batch:
        return
    messages, documents = _rows(batch)
    with rt.db.session() as s:
        s.execute(insert(Message), messages)
        s.execute(insert(Document), documents)


def prefilled(reuse: Path | None, size: int, scratch: Path) -> Path:
    """A data folder holding `size` documents: `reuse` when it already does, else built."""
    folder = reuse if reuse is not None else scratch / "prefill"
    mark = folder / _DONE_MARK
    if mark.exists() and mark.read_text() == str(size):
        print(f"prefill: reusing {folder} ({size} documents)")
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    prefill(folder, size)
    return folder


# --- the copies -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Copies:
    """Signed messages for one flavour, and the PDF/P7S pairs for the openssl reference."""

    pki: TestPKI
    mails: list[bytes]
    pairs: list[tuple[bytes, bytes]]


def make_copies(flavour: str, count: int, first_serial: int) -> Copies:
    pki = make_pki(flavour)  # type: ignore[arg-type]
    mails, pairs = [], []
    for pdf in photo_copies(count, first_serial):
        p7s = sign_cades(pki, pdf, detached=True)
        pairs.append((pdf, p7s))
        mails.append(gmail(diia_pair(pdf, p7s), to=BRANCH))
    return Copies(pki, mails, pairs)


# --- CPU of the worker's children ----------------------------------------------------------


class ChildrenCpu:
    """CPU seconds of this process's descendants by role, sampled from /proc every `period`.

    The roles follow from where each process sits: the fork server's children that have
    children of their own are the prepare processes (each starts its own fork server for its
    extraction readers); every other process below the fork server is extraction (the readers
    and the prepare processes' fork servers; with prepare_in_processes off, this process's own
    readers). A reader is replaced after a number of documents: sampling while the batch runs
    keeps its CPU up to its last sample (at most `period` of its life is missed), which a
    before/after difference would lose, and getrusage never sees (it is not our child)."""

    def __init__(self, period: float = 0.1) -> None:
        self.period = period
        self._seen: dict[tuple[int, int], tuple[str, float]] = {}
        self._first: dict[tuple[int, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="children-cpu", daemon=True)

    def __enter__(self) -> ChildrenCpu:
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()

    def _sample(self, *, first: bool = False) -> None:
        procs = processes()
        me = os.getpid()
        depth: dict[int, int] = {}

        def depth_of(pid: int) -> int:  # below this process: 1, 2, ...; elsewhere 0
            if pid not in depth:
                parent = procs[pid][0] if pid in procs else 0
                if parent == me:
                    depth[pid] = 1
                else:
                    depth[pid] = 0  # a cycle guard while the parent is looked up
                    up = depth_of(parent) if parent in procs else 0
                    depth[pid] = up + 1 if up else 0
            return depth[pid]

        parents = {stat[0] for stat in procs.values()}
        for pid, (_parent, start, cpu) in procs.items():
            d = depth_of(pid)
            if d < 2:  # not ours, or the fork server itself (idle)
                continue
            role = "prepare" if d == 2 and pid in parents else "extraction"
            key = (pid, start)
            if first:
                self._first[key] = cpu
            else:
                self._seen[key] = (role, cpu)

    def seconds(self) -> dict[str, float]:
        """CPU seconds spent by each role since `__enter__`."""
        total: dict[str, float] = {"prepare": 0.0, "extraction": 0.0}
        for key, (role, cpu) in self._seen.items():
            total[role] += cpu - self._first.get(key, 0.0)
        return total


# --- the run --------------------------------------------------------------------------------


async def _drain(worker: Worker, spool: Spool, writer: GroupWriter | None) -> float:
    started = time.perf_counter()
    await worker.start()
    while spool.depth():
        await asyncio.sleep(0.01)
    await worker.stop()
    if writer is not None:
        await asyncio.to_thread(writer.flush)
    return time.perf_counter() - started


def run_flavour(
    flavour: str, base: Path, scratch: Path, messages: int, batches: int, workers: int
) -> tuple[list[float], Copies]:
    """documents/s of each batch of `messages`, on a copy of the filled data folder."""
    data = scratch / f"run-{flavour}"
    shutil.copytree(base, data)
    all_copies = make_copies(flavour, messages * batches + 1, first_serial=10_000)
    (data / "trust").mkdir(exist_ok=True)
    (data / "trust" / "root.der").write_bytes(all_copies.pki.anchor)
    rt = Runtime.open(_config(data))
    rates: list[float] = []
    try:
        cfg = rt.config
        before = ArchiveSource(rt.db).count()
        backend = worker_search(cfg, rt.db)  # as serve wires it
        writer = backend if isinstance(backend, GroupWriter) else None
        make_context = context_factory(cfg.verify, cfg.trust_dir, db=rt.db)
        # As serve wires it: one prepare process per worker loop.
        deps, pool = worker_pipeline(cfg, rt.db, rt.blobs, backend, make_context, loops=workers)
        if pool is not None:
            pool.prestart()
        # Warm-up outside the clock: the extraction fork server, the trust store, the index.
        deps.extract(WARM_UP_PDF)
        warm = process(all_copies.mails[0], Envelope.now("a@b.example", [BRANCH]), deps)
        assert warm.status == "archived", warm.reason
        spool = Spool(cfg.spool_dir)
        for b in range(batches):
            for raw in all_copies.mails[1 + b * messages : 1 + (b + 1) * messages]:
                spool.put(raw, Envelope.now("citizen@mail.example", [BRANCH]))
            worker = Worker(spool, deps, idle_seconds=0.05, concurrency=workers)
            cpu = time.process_time()
            with ChildrenCpu() as children:
                seconds = asyncio.run(_drain(worker, spool, writer))
            cpu = time.process_time() - cpu
            rates.append(messages / seconds)
            per_doc = {"worker": cpu, **children.seconds()}
            print(
                f"  {flavour} batch {b + 1}: {messages} documents in {seconds:5.1f} s = "
                f"{messages / seconds:5.1f} documents/s; CPU ms per document: "
                + ", ".join(f"{k} {v / messages * 1000:.1f}" for k, v in per_doc.items())
                + f", total {sum(per_doc.values()) / messages * 1000:.1f}",
                flush=True,
            )
        with rt.db.session() as s:
            total = s.execute(select(func.count(Document.id))).scalar_one()
            passed = s.execute(
                select(func.count(Document.id)).where(
                    Document.id > before, Document.indication == "TOTAL_PASSED"
                )
            ).scalar_one()
        expected = messages * batches + 1
        assert passed == expected, f"{passed} of {expected} new copies TOTAL_PASSED"
        if pool is not None:
            pool.close()
        backend.close()
        print(f"  {flavour}: archive now {total} documents, {passed} new ones TOTAL_PASSED")
    finally:
        rt.close()
        shutil.rmtree(data, ignore_errors=True)
    return rates, all_copies


def openssl_rate(copies: Copies, scratch: Path, workers: int) -> float:
    """`openssl cms -verify` documents/s on the same copies, `workers` processes at once."""
    folder = scratch / "openssl"
    folder.mkdir(exist_ok=True)
    anchor = folder / "root.pem"
    subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-out", str(anchor)],
        input=copies.pki.anchor,
        check=True,
        capture_output=True,
    )
    files = []
    for i, (pdf, p7s) in enumerate(copies.pairs):
        (folder / f"{i}.pdf").write_bytes(pdf)
        (folder / f"{i}.p7s").write_bytes(p7s)
        files.append((folder / f"{i}.pdf", folder / f"{i}.p7s"))

    def verify(pair: tuple[Path, Path]) -> None:
        subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(pair[1]),
                "-content",
                str(pair[0]),
                "-CAfile",
                str(anchor),
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            capture_output=True,
            check=True,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(verify, files))
    return len(files) / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--archive-size", type=int, default=20_000, help="documents already archived")
    ap.add_argument("--reuse", type=Path, help="keep the filled data folder here and reuse it")
    ap.add_argument("--messages", type=int, default=60, help="messages per timed batch")
    ap.add_argument("--batches", type=int, default=3, help="timed batches per flavour (median)")
    ap.add_argument("--workers", type=int, default=0, help="worker loops (0: as serve: cores)")
    ap.add_argument("--flavours", default="ecdsa,dstu")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="diia-bench-pipeline-"))
    try:
        base = prefilled(args.reuse, args.archive_size, scratch)
        workers = args.workers or worker_loops(_config(base).ingest)
        size = len(photo_copies(1)[0])
        print(
            f"archive {args.archive_size} documents; copies of {size / 1024:.0f} KB; "
            f"{workers} worker loops on {os.cpu_count()} cores; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
            flush=True,
        )
        medians: dict[str, float] = {}
        for flavour in args.flavours.split(","):
            rates, copies = run_flavour(
                flavour, base, scratch, args.messages, args.batches, workers
            )
            medians[flavour] = statistics.median(rates)
            print(
                f"{flavour:5s}: median {medians[flavour]:5.1f} documents/s "
                f"(target >= {TARGETS[flavour]:.0f} on 2 cores, 100k archive)",
                flush=True,
            )
            if flavour == "ecdsa":
                ossl = openssl_rate(copies, scratch, workers)
                print(
                    f"reference: openssl cms -verify, same ECDSA copies, {workers} at once: "
                    f"{ossl:5.1f} documents/s; ratio pipeline / openssl verify "
                    f"{medians[flavour] / ossl:.2f}",
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
