"""Adding new copies to an index that already holds N: one commit per message, as the worker
did, against the group writer `serve` now uses (search/group_writer.py).

    .venv/bin/python -m bench.index_add --docs 20000 --adds 300

Prints per-document wall and CPU time of both ways and, as the reference measured in the same
run, SQLite FTS5 adding the same documents one transaction each (no Ukrainian analysis: a floor,
not a peer). Never passes or fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from bench.corpus import generate
from bench.search import Fts5
from search.group_writer import GroupWriter
from search.index import IndexDoc
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend


def _fresh(docs: list[IndexDoc], start: int) -> list[IndexDoc]:
    return [dataclasses.replace(d, id=start + i) for i, d in enumerate(docs)]


def _timed(label: str, add_all: object, n: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    add_all()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<44} {wall / n * 1000:8.2f} ms/doc wall  {cpu / n * 1000:8.2f} ms/doc CPU")
    return wall / n, cpu / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20_000, help="documents already in the index")
    ap.add_argument("--adds", type=int, default=300, help="new documents, one message each")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="diia-index-add-"))
    settings = SearchSettings()
    backend = WhooshBackend(work / "whoosh", settings, repair=False)
    backend.rebuild(generate(args.docs))
    fts = Fts5(work / "fts5.db", fresh=True)
    fts.rebuild(generate(args.docs), lambda _n: None)
    extra = list(generate(args.adds * 2, seed=99))
    one_by_one = _fresh(extra[: args.adds], args.docs + 1)
    grouped = _fresh(extra[args.adds :], args.docs + args.adds + 1)
    print(f"index of {args.docs} documents; {args.adds} new ones, one message each")

    def per_message() -> None:
        for d in one_by_one:
            backend.add([d])

    writer = GroupWriter(backend, max_docs=settings.commit_batch, max_delay=0.25)

    def group_commit() -> None:
        for d in grouped:
            writer.add([d])
        writer.flush()

    def reference() -> None:
        for d in _fresh(extra[: args.adds], args.docs + 1):
            fts._flush([d])

    w1, _ = _timed("Whoosh, one commit per message (before)", per_message, args.adds)
    w2, _ = _timed("Whoosh, group writer (after)", group_commit, args.adds)
    w3, _ = _timed("reference: SQLite FTS5, one transaction each", reference, args.adds)
    print(f"group writer: {writer.commits} commits for {args.adds} messages")
    print(f"group writer / per message: {w2 / w1:.3f}; group writer / FTS5: {w2 / w3:.2f}")
    writer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
