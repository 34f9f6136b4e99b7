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
import dataclasses
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


KINDS = ("surname", "number", "type+date", "phrase", "surname+type+date")


def query_mix(n: int, docs: int, seed: int = 7) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, our query, FTS5 equivalent) drawn from documents that exist in the corpus."""
    rng = random.Random(seed)
    sample_ids = {rng.randrange(1, docs + 1) for _ in range(n)}
    by_id = {d.id: d for d in generate(docs) if d.id in sample_ids}
    picks = [by_id[i] for i in sorted(sample_ids)]
    out: list[tuple[str, str, dict[str, Any]]] = []
    from search.translit import transliterate

    for i, d in enumerate(picks):
        surname, given = (d.person_name or "x y").split()[:2]
        kind = KINDS[i % len(KINDS)]
        day = d.received_at.date()
        lo, hi = day - dt.timedelta(days=15), day + dt.timedelta(days=15)
        if kind == "surname":
            q = transliterate(surname).upper() if i % 10 == 0 else surname.lower()
            out.append((kind, q, {"match": f'"{surname.lower()}"'}))
        elif kind == "number":
            out.append((kind, d.numbers[0], {"match": '"' + d.numbers[0] + '"'}))
        elif kind == "type+date":
            code = rng.choice(TYPES)[0]
            out.append(
                (kind, f"type:{code} received:{lo}..{hi}", {"type": code, "lo": lo, "hi": hi})
            )
        elif kind == "phrase":
            out.append((kind, f'"{surname} {given}"', {"match": f'"{surname} {given}"'}))
        else:
            code = d.document_type or TYPES[0][0]
            out.append(
                (
                    kind,
                    f"{surname.lower()} type:{code} received:{lo}..{hi}",
                    {"match": f'"{surname.lower()}"', "type": code, "lo": lo, "hi": hi},
                )
            )
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
        """The top 20 and the count of all matches, as our backends give."""
        if "match" in spec and "type" in spec:
            where = (
                "fts MATCH ? AND docs.document_type = ? AND docs.received_at >= ?"
                " AND docs.received_at < ?"
            )
            args = (spec["match"], spec["type"], spec["lo"].isoformat(), spec["hi"].isoformat())
            joined = "fts JOIN docs ON docs.id = fts.rowid"
            rows = self.db.execute(
                f"SELECT fts.rowid FROM {joined} WHERE {where} ORDER BY rank LIMIT 20", args
            ).fetchall()
            self.db.execute(f"SELECT count(*) FROM {joined} WHERE {where}", args).fetchone()
            return len(rows)
        if "match" in spec:
            rows = self.db.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20",
                (spec["match"],),
            ).fetchall()
            self.db.execute(
                "SELECT count(*) FROM fts WHERE fts MATCH ?", (spec["match"],)
            ).fetchone()
            return len(rows)
        only = (spec["type"], spec["lo"].isoformat(), spec["hi"].isoformat())
        where = "document_type = ? AND received_at >= ? AND received_at < ?"
        rows = self.db.execute(
            f"SELECT id FROM docs WHERE {where} ORDER BY received_at DESC LIMIT 20", only
        ).fetchall()
        self.db.execute(f"SELECT count(*) FROM docs WHERE {where}", only).fetchone()
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
    started, cpu = time.monotonic(), time.process_time()
    n = backend.rebuild(generate(docs), _progress_printer(docs))
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    backend.close()
    # The process a rebuild starts counts too: Whoosh's segment builder child (its CPU time
    # and peak RSS, as it reported them).
    child_cpu, child_mb = getattr(getattr(backend, "store", None), "child_usage", (0.0, 0.0))
    out.send(
        {
            "docs": n,
            "seconds": elapsed,
            "cpu_seconds": cpu + child_cpu,
            "rss_before": before,
            "rss_peak": _max_rss_mb() + child_mb,
            "split": (cpu, _max_rss_mb(), child_cpu, child_mb),
        }
    )


def _rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    now = peak = 0.0
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return now, peak


def _query(
    name: str,
    target: str,
    batch: int,
    mix: list[tuple[str, str, dict[str, Any]]],
    out: Any,
    cache_mb: int | None = None,
) -> None:
    """Child process (spawned, so nothing of the parent's is resident): open the index, run
    the mix, report timings and this process's memory with the index open and searched."""
    settings = SearchSettings(commit_batch=batch)
    if cache_mb is not None:
        settings = dataclasses.replace(settings, posting_cache_mb=cache_mb)
    backend: Any
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
    server = _server_cpu(backend) if name == "postgres" else None
    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    server_cpu: dict[str, list[float]] = {}
    empty = 0
    for kind, q, spec in mix:
        s = server() if server else 0.0
        t, c = time.perf_counter(), time.process_time()
        found = run(q, spec)
        timings.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        cpu.setdefault(kind, []).append((time.process_time() - c) * 1000)
        if server:
            server_cpu.setdefault(kind, []).append(server() - s)
        empty += found == 0
    rss, hwm = _rss_mb()
    backend.close()
    out.send(
        {
            "timings": timings,
            "cpu": cpu,
            "server_cpu": server_cpu,
            "empty": empty,
            "rss": rss,
            "hwm": hwm,
        }
    )


def _server_cpu(backend: Any) -> Callable[[], float] | None:
    """CPU time (ms) of the PostgreSQL server process serving `backend`'s one pooled
    connection, read from /proc (a local server, readable by us), else None."""
    from sqlalchemy import text

    with backend.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    path = Path(f"/proc/{pid}/schedstat")

    def read() -> float:
        return int(path.read_text().split()[0]) / 1e6

    try:
        read()
    except (OSError, ValueError):
        return None
    return read


def bench_backend(
    name: str,
    target: str,
    docs: int,
    batch: int,
    mix: list[tuple[str, str, dict[str, Any]]],
    skip_build: bool = False,
    cache_mb: int | None = None,
) -> dict[str, Any]:
    if skip_build:
        nan = float("nan")
        built = {
            "docs": docs,
            "seconds": nan,
            "cpu_seconds": nan,
            "rss_before": nan,
            "rss_peak": nan,
        }
    else:
        forked = multiprocessing.get_context("fork")
        parent, child = forked.Pipe(duplex=False)
        proc = forked.Process(target=_build, args=(name, target, docs, batch, child))
        proc.start()
        child.close()
        built = parent.recv()
        proc.join()
    spawned = multiprocessing.get_context("spawn")
    parent, child = spawned.Pipe(duplex=False)
    querying = spawned.Process(target=_query, args=(name, target, batch, mix, child, cache_mb))
    querying.start()
    child.close()
    ran = parent.recv()
    querying.join()
    timings: dict[str, list[float]] = ran["timings"]
    cpu: dict[str, list[float]] = ran["cpu"]
    every = [v for vs in timings.values() for v in vs]
    return {
        "name": name,
        **built,
        "all": _percentiles(every),
        # CPU time of this process: on a shared machine, closer to what an idle one would show
        # (PostgreSQL's own work is not in it).
        "cpu": _percentiles([v for vs in cpu.values() for v in vs]),
        "by_kind": {k: _percentiles(v) for k, v in timings.items()},
        "cpu_by_kind": {k: _percentiles(v) for k, v in cpu.items()},
        "server_by_kind": {k: _percentiles(v) for k, v in ran["server_cpu"].items()},
        "empty": ran["empty"],
        "rss": ran["rss"],
        "hwm": ran["hwm"],
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
        help="query the embedded indexes already in --workdir (built by an earlier run), and"
        " with --pg-db the PostgreSQL database already filled",
    )
    p.add_argument(
        "--pg-db",
        default=None,
        help="fill (or, with --skip-build, query) this PostgreSQL database and keep it, instead"
        " of a scratch database dropped after the run (to look at its queries afterwards)",
    )
    p.add_argument(
        "--posting-cache-mb",
        type=int,
        default=None,
        help="Whoosh: posting lists kept across searches (default: the setting's; 0: none)",
    )
    args = p.parse_args(argv)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    mix = query_mix(args.queries, args.docs)
    print(
        f"corpus: {args.docs} documents; query mix: {len(mix)} queries "
        f"({', '.join(KINDS)}; the date ranges are 30 days); branches {len(BRANCHES)}"
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

                db = args.pg_db or f"diia_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (db,)
                    ).fetchone()
                    if not exists:
                        conn.execute(f'CREATE DATABASE "{db}"')
                base = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                reuse = bool(args.pg_db and args.skip_build)
                try:
                    results.append(
                        bench_backend(name, f"{base}/{db}", args.docs, args.batch, mix, reuse)
                    )
                finally:
                    if not args.pg_db:
                        with psycopg.connect(args.pg, autocommit=True) as conn:
                            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            else:
                target = Path(tmp) / name
                target.mkdir(exist_ok=True)
                results.append(
                    bench_backend(
                        name,
                        str(target),
                        args.docs,
                        args.batch,
                        mix,
                        args.skip_build,
                        args.posting_cache_mb,
                    )
                )
    print()
    print(
        f"{'backend':<10} {'docs/s':>8} {'reindex s':>10} {'CPU s':>7} {'peak MB':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'no hit':>6} {'open MB':>8}"
    )
    for r in results:
        p50, p95, p99 = r["all"]
        print(
            f"{r['name']:<10} {r['docs'] / r['seconds']:>8.0f} {r['seconds']:>10.1f}"
            f" {r['cpu_seconds']:>7.1f}"
            f" {r['rss_peak']:>8.0f} {p50:>7.2f} {p95:>7.2f} {p99:>7.2f} {r['empty']:>6}"
            f" {r['rss']:>8.0f}"
        )
    for r in results:
        if r.get("split") and r["split"][2]:
            own_cpu, own_mb, child_cpu, child_mb = r["split"]
            print(
                f"  {r['name']} reindex: {own_cpu:.1f} s CPU, {own_mb:.0f} MB peak in the"
                f" reindexing process; {child_cpu:.1f} s, {child_mb:.0f} MB in its child"
            )
    print(
        "  peak MB: max RSS of the reindexing process plus those of the processes it started;"
        " CPU s: theirs too; open MB: RSS of a fresh process that opened the index and ran"
        " the mix"
    )
    print()
    print(
        "CPU time of the querying process, p50/p95/p99 ms (excludes the PostgreSQL server; its"
        " process's CPU per query is the 'server CPU' line below each postgres figure):"
    )
    for r in results:
        a, b, c = r["cpu"]
        print(f"  {r['name']:<9} {a:.2f}/{b:.2f}/{c:.2f}")
    print()
    ref = next((r for r in results if r["name"] == "fts5"), None)
    print(
        "per query kind, p50/p95/p99 ms, wall | CPU"
        + (" (wall p95 / FTS5's; CPU p95 / FTS5's)" if ref else "")
        + ":"
    )
    for kind in KINDS:
        print(f"  {kind}")
        for r in results:
            if kind not in r["by_kind"]:
                continue
            a, b, c = r["by_kind"][kind]
            x, y, z = r["cpu_by_kind"][kind]
            ratio = ""
            if ref is not None and r is not ref and kind in ref["by_kind"]:
                wall = b / max(ref["by_kind"][kind][1], 1e-9)
                own = y / max(ref["cpu_by_kind"][kind][1], 1e-9)
                ratio = f"  ({wall:.1f}x; {own:.1f}x)"
            print(
                f"    {r['name']:<9} {a:7.2f} {b:7.2f} {c:7.2f} | {x:7.2f} {y:7.2f} {z:7.2f}{ratio}"
            )
            if kind in r["server_by_kind"]:
                a, b, c = r["server_by_kind"][kind]
                print(f"      server CPU {a:7.2f} {b:7.2f} {c:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
