"""Search benchmark: indexing rate, query latency and reindex memory of both backends.

    .venv/bin/python -m bench.search --docs 100000
    .venv/bin/python -m bench.search --docs 10000 --backends whoosh,fts5

Prints figures, never passes or fails. Each backend is built in a child process of its own so
"peak memory" is that of the full reindex alone (resource.getrusage of the child: max RSS).
SQLite FTS5 (unicode61 tokenizer over the raw text, no Ukrainian analysis) is the reference of
what a bare embedded engine does on the same corpus and query mix.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.corpus import BRANCHES, TYPES, generate
from search.index import IndexDoc
from search.settings import SearchSettings

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def query_mix(n: int, docs: int, seed: int = 7) -> list[tuple[str, str, dict[str, Any]]]:
    """(category, our query, FTS5 equivalent) drawn from documents that exist in the corpus."""
    rng = random.Random(seed)
    sample_ids = {rng.randrange(1, docs + 1) for _ in range(n)}
    by_id = {d.id: d for d in generate(docs) if d.id in sample_ids}
    picks = [by_id[i] for i in sorted(sample_ids)]
    out: list[tuple[str, str, dict[str, Any]]] = []
    from search.translit import transliterate

    for i, d in enumerate(picks):
        surname, given = (d.person_name or "x y").split()[:2]
        kind = ("surname", "number", "filter", "phrase")[i % 4]
        if kind == "surname":
            q = transliterate(surname).upper() if i % 8 == 0 else surname.lower()
            out.append((kind, q, {"match": f'"{surname.lower()}"'}))
        elif kind == "number":
            out.append((kind, d.numbers[0], {"match": '"' + d.numbers[0] + '"'}))
        elif kind == "filter":
            code = rng.choice(TYPES)[0]
            day = d.received_at.date()
            lo, hi = day - dt.timedelta(days=15), day + dt.timedelta(days=15)
            out.append(
                (kind, f"type:{code} received:{lo}..{hi}", {"type": code, "lo": lo, "hi": hi})
            )
        else:
            out.append((kind, f'"{surname} {given}"', {"match": f'"{surname} {given}"'}))
    return out


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return qs[49], qs[94], qs[98]


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _progress_printer(total: int) -> Callable[[int], None]:
    started = time.monotonic()
    step = max(1, total // 10)
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= step or done == total:
            last[0] = done
            rate = done / max(1e-6, time.monotonic() - started)
            print(f"    {done}/{total} ({rate:.0f}/s)", file=sys.stderr, flush=True)

    return progress


# -- backends ------------------------------------------------------------------------------


def _whoosh(workdir: Path, settings: SearchSettings) -> Any:
    from search.whoosh_backend import WhooshBackend

    return WhooshBackend(workdir / "whoosh", settings, repair=False)


def _postgres(url: str, settings: SearchSettings) -> Any:
    from sqlalchemy import create_engine

    from search.pg_backend import PostgresBackend

    backend = PostgresBackend(create_engine(url), settings, owns_engine=True)
    backend.ensure_schema(repair=False)
    return backend


class Fts5:
    """The reference: SQLite FTS5 over raw text, filters on plain columns."""

    def __init__(self, path: Path, fresh: bool = False) -> None:
        self.db = sqlite3.connect(path)
        if fresh:
            self.db.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts;")
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, document_type TEXT,"
            " received_at TEXT); CREATE INDEX IF NOT EXISTS docs_rt ON docs (received_at);"
            " CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text,"
            " tokenize = 'unicode61 remove_diacritics 2');"
        )

    def rebuild(self, docs: Iterator[IndexDoc], progress: Callable[[int], None]) -> int:
        n = 0
        batch: list[IndexDoc] = []
        for d in docs:
            batch.append(d)
            n += 1
            if len(batch) >= 500:
                self._flush(batch)
                progress(n)
        self._flush(batch)
        progress(n)
        return n

    def _flush(self, batch: list[IndexDoc]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?)",
                [(d.id, d.document_type, d.received_at.isoformat()) for d in batch],
            )
            self.db.executemany(
                "INSERT INTO fts (rowid, text) VALUES (?, ?)",
                [(d.id, d.text + " " + " ".join(d.numbers)) for d in batch],
            )
        batch.clear()

    def query(self, spec: dict[str, Any]) -> int:
        if "match" in spec:
            rows = self.db.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20",
                (spec["match"],),
            ).fetchall()
            self.db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (spec["match"],))
            return len(rows)
        rows = self.db.execute(
            "SELECT id FROM docs WHERE document_type = ? AND received_at >= ? AND received_at < ?"
            " ORDER BY received_at DESC LIMIT 20",
            (spec["type"], spec["lo"].isoformat(), spec["hi"].isoformat()),
        ).fetchall()
        return len(rows)

    def close(self) -> None:
        self.db.close()


def _build(name: str, target: str, docs: int, batch: int, out: Any) -> None:
    """Child process: a full reindex, reporting its rate and its own peak memory."""
    settings = SearchSettings(commit_batch=batch)
    workdir = Path(target)
    if name == "whoosh":
        backend = _whoosh(workdir, settings)
    elif name == "postgres":
        backend = _postgres(target, settings)
    else:
        backend = Fts5(workdir / "fts5.db", fresh=True)
    before = _max_rss_mb()
    started = time.monotonic()
    n = backend.rebuild(generate(docs), _progress_printer(docs))
    elapsed = time.monotonic() - started
    backend.close()
    out.send({"docs": n, "seconds": elapsed, "rss_before": before, "rss_peak": _max_rss_mb()})


def bench_backend(
    name: str,
    target: str,
    docs: int,
    batch: int,
    mix: list[tuple[str, str, dict[str, Any]]],
    skip_build: bool = False,
) -> dict[str, Any]:
    if skip_build:
        built = {"docs": docs, "seconds": float("nan"), "rss_before": 0.0, "rss_peak": 0.0}
    else:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_build, args=(name, target, docs, batch, child))
        proc.start()
        child.close()
        built = parent.recv()
        proc.join()
    settings = SearchSettings(commit_batch=batch)
    if name == "whoosh":
        backend = _whoosh(Path(target), settings)
        run = lambda q, spec: backend.search(q, limit=20).total  # noqa: E731
    elif name == "postgres":
        backend = _postgres(target, settings)
        run = lambda q, spec: backend.search(q, limit=20).total  # noqa: E731
    else:
        backend = Fts5(Path(target) / "fts5.db")
        run = lambda q, spec: backend.query(spec)  # noqa: E731
    for _kind, q, spec in mix[:20]:  # warm caches and the morphology dictionary
        run(q, spec)
    timings: dict[str, list[float]] = {}
    cpu: list[float] = []
    empty = 0
    for kind, q, spec in mix:
        t, c = time.perf_counter(), time.process_time()
        found = run(q, spec)
        timings.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        empty += found == 0
    backend.close()
    every = [v for vs in timings.values() for v in vs]
    return {
        "name": name,
        **built,
        "all": _percentiles(every),
        # CPU time of this process: on a shared machine, closer to what an idle one would show
        # (PostgreSQL's own work is not in it).
        "cpu": _percentiles(cpu),
        "by_kind": {k: _percentiles(v) for k, v in timings.items()},
        "empty": empty,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=400)
    p.add_argument("--batch", type=int, default=2000, help="documents per commit")
    p.add_argument("--backends", default="whoosh,postgres,fts5")
    p.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL where a scratch database is made")
    p.add_argument(
        "--workdir", default=None, help="keep the embedded indexes here (default: a temp dir)"
    )
    p.add_argument(
        "--skip-build",
        action="store_true",
        help="query the embedded indexes already in --workdir (built by an earlier run)",
    )
    args = p.parse_args(argv)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    mix = query_mix(args.queries, args.docs)
    print(
        f"corpus: {args.docs} documents; query mix: {len(mix)} queries "
        f"(surname, number, type filter + 30-day range, phrase); branches {len(BRANCHES)}"
    )
    results = []
    with contextlib.ExitStack() as stack:
        if args.workdir:
            tmp = args.workdir
            Path(tmp).mkdir(parents=True, exist_ok=True)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="diia-bench-"))
        for name in names:
            print(f"  building {name} ...", file=sys.stderr, flush=True)
            if name == "postgres":
                import psycopg

                db = f"diia_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{db}"')
                base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                try:
                    results.append(bench_backend(name, f"{base}/{db}", args.docs, args.batch, mix))
                finally:
                    with psycopg.connect(args.pg, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            else:
                target = Path(tmp) / name
                target.mkdir(exist_ok=True)
                results.append(
                    bench_backend(name, str(target), args.docs, args.batch, mix, args.skip_build)
                )
    print()
    print(
        f"{'backend':<10} {'docs/s':>8} {'reindex s':>10} {'peak MB':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'no hit':>6}"
    )
    for r in results:
        p50, p95, p99 = r["all"]
        print(
            f"{r['name']:<10} {r['docs'] / r['seconds']:>8.0f} {r['seconds']:>10.1f}"
            f" {r['rss_peak']:>8.0f} {p50:>7.2f} {p95:>7.2f} {p99:>7.2f} {r['empty']:>6}"
        )
    print()
    print("CPU time of the querying process, p50/p95/p99 ms (excludes the PostgreSQL server):")
    for r in results:
        a, b, c = r["cpu"]
        print(f"  {r['name']:<9} {a:.2f}/{b:.2f}/{c:.2f}")
    print()
    print("per query kind, p50/p95/p99 ms:")
    for r in results:
        kinds = "  ".join(
            f"{k} {a:.1f}/{b:.1f}/{c:.1f}" for k, (a, b, c) in sorted(r["by_kind"].items())
        )
        print(f"  {r['name']:<9} {kinds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
