"""Whether two versions of a search backend answer the benchmark's query mix identically.

    .venv/bin/python -m bench.search_same dump --pg postgresql+psycopg://.../db --out after.json
    .venv/bin/python -m bench.search_same compare before.json after.json

`dump` runs every query of `bench.search.query_mix` (the mix the latency figures come from)
against an index already filled with the same corpus (`bench.search --pg-db NAME` keeps one),
three ways each: the first page by relevance, the second page by relevance and the first page
by date. It writes every result as JSON: the total and, per hit, id, score (its exact repr),
copies sent, type, name, branch, received time, status and snippet. Run it with the code before
a change (`PYTHONPATH` pointing at an export of it) and after, then `compare`: it prints the
differences and exits 1 if there is any. Never times anything. `--posting-cache-mb 0` dumps a
Whoosh index's results with the posting cache off (each search reads its lists).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from bench.search import query_mix
from search.settings import SearchSettings

#: (name, keyword arguments of `search`) of each way a query is asked.
WAYS = (
    ("page1", {"limit": 20, "offset": 0}),
    ("page2", {"limit": 20, "offset": 20}),
    ("date", {"limit": 20, "offset": 0, "sort": "date"}),
)


def dump(
    url: str,
    docs: int,
    queries: int,
    backend_name: str,
    index_dir: str | None,
    cache_mb: int | None = None,
) -> list:
    settings = SearchSettings()
    if cache_mb is not None:
        settings = dataclasses.replace(settings, posting_cache_mb=cache_mb)
    backend: Any
    if backend_name == "postgres":
        from sqlalchemy import create_engine

        from search.pg_backend import PostgresBackend

        backend = PostgresBackend(create_engine(url), settings, owns_engine=True)
        backend.ensure_schema(repair=False)
    else:
        from search.whoosh_backend import WhooshBackend

        backend = WhooshBackend(Path(index_dir or url), settings, repair=False)
    out = []
    try:
        for kind, q, _spec in query_mix(queries, docs):
            for way, kwargs in WAYS:
                result = backend.search(q, **kwargs)
                out.append(
                    {
                        "kind": kind,
                        "query": q,
                        "way": way,
                        "total": result.total,
                        "hits": [
                            [
                                h.id,
                                repr(h.score),
                                h.sent,
                                h.document_type,
                                h.person_name,
                                h.branch,
                                h.received_at.isoformat(),
                                h.indication,
                                h.snippet,
                            ]
                            for h in result.hits
                        ],
                    }
                )
    finally:
        backend.close()
    return out


def compare(before: list, after: list) -> int:
    """Prints each difference; returns how many results differ."""
    if len(before) != len(after):
        print(f"different lengths: {len(before)} against {len(after)}")
        return max(1, abs(len(before) - len(after)))
    differ = 0
    for a, b in zip(before, after, strict=True):
        if a == b:
            continue
        differ += 1
        print(f"{a['kind']} {a['query']!r} ({a['way']}): total {a['total']} / {b['total']}")
        for i, (x, y) in enumerate(zip(a["hits"], b["hits"], strict=False)):
            if x != y:
                print(f"    hit {i}: {x[:3]} / {y[:3]}")
                break
        if len(a["hits"]) != len(b["hits"]):
            print(f"    hits {len(a['hits'])} / {len(b['hits'])}")
    return differ


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    d = sub.add_parser("dump", help="run the mix and write the results")
    d.add_argument("--pg", help="SQLAlchemy URL of the filled PostgreSQL database")
    d.add_argument("--whoosh", help="folder of a filled Whoosh index (instead of --pg)")
    d.add_argument("--docs", type=int, default=100_000)
    d.add_argument("--queries", type=int, default=400)
    d.add_argument("--out", required=True)
    d.add_argument(
        "--posting-cache-mb",
        type=int,
        help="Whoosh: posting lists kept across searches (default: the setting's; 0: none)",
    )
    c = sub.add_parser("compare", help="compare two dumps")
    c.add_argument("before")
    c.add_argument("after")
    args = p.parse_args(argv)
    if args.verb == "dump":
        name = "postgres" if args.pg else "whoosh"
        results = dump(
            args.pg or args.whoosh,
            args.docs,
            args.queries,
            name,
            args.whoosh,
            args.posting_cache_mb,
        )
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
        hits = sum(len(r["hits"]) for r in results)
        print(f"{len(results)} results, {hits} hits written to {args.out}")
        return 0
    before = json.loads(Path(args.before).read_text(encoding="utf-8"))
    after = json.loads(Path(args.after).read_text(encoding="utf-8"))
    differ = compare(before, after)
    print(f"{len(before)} results compared, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
