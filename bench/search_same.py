"""Whether two versions of the Whoosh query code give the same results over the bench mix.

    .venv/bin/python -m bench.search_same dump --docs 100000 --workdir /tmp/b100k --out after.json
    PYTHONPATH=/tmp/before .venv/bin/python -m bench.search_same dump ... --out before.json
    .venv/bin/python -m bench.search_same compare before.json after.json

`dump` runs the query mix of bench/search.py (the same seed) over an index it built, by
relevance (page 1 and page 2) and by date, and writes every result: total, and per hit the
id, score (to 9 digits), copies sent, the page's fields and the snippet. `compare` prints
the differences and exits 1 when there are any. Run `dump` with PYTHONPATH pointing at an
export of the other version's code to compare before and after a change.
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

#: (limit, offset, sort) each query of the mix runs with.
PAGES = ((20, 0, "relevance"), (20, 20, "relevance"), (20, 0, "date"))


def dump(docs: int, queries: int, workdir: Path, out: Path, cache_mb: int | None = None) -> int:
    from search.whoosh_backend import WhooshBackend

    settings = SearchSettings()
    if cache_mb is not None:  # posting lists kept across searches (a setting of this change)
        settings = dataclasses.replace(settings, posting_cache_mb=cache_mb)
    backend = WhooshBackend(workdir / "whoosh" / "whoosh", settings, repair=False)
    rows: list[dict[str, Any]] = []
    try:
        for kind, q, _spec in query_mix(queries, docs):
            for limit, offset, sort in PAGES:
                result = backend.search(q, limit=limit, offset=offset, sort=sort)
                rows.append(
                    {
                        "kind": kind,
                        "query": q,
                        "page": [limit, offset, sort],
                        "total": result.total,
                        "hits": [
                            [
                                h.id,
                                f"{h.score:.9g}",
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
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=0), "utf-8")
    print(f"{len(rows)} results written to {out}")
    return 0


def compare(before: Path, after: Path) -> int:
    a = json.loads(before.read_text("utf-8"))
    b = json.loads(after.read_text("utf-8"))
    if len(a) != len(b):
        print(f"different numbers of results: {len(a)} against {len(b)}")
        return 1
    differ = 0
    for x, y in zip(a, b, strict=True):
        if x != y:
            differ += 1
            if differ <= 10:
                print(f"differs: {x['kind']} {x['query']!r} {x['page']}")
                if x["total"] != y["total"]:
                    print(f"  total {x['total']} against {y['total']}")
                for i, (h, k) in enumerate(zip(x["hits"], y["hits"], strict=False)):
                    if h != k:
                        print(f"  hit {i}: {h}\n      against {k}")
                        break
                if len(x["hits"]) != len(y["hits"]):
                    print(f"  {len(x['hits'])} hits against {len(y['hits'])}")
    hits = sum(len(x["hits"]) for x in a)
    print(f"{len(a)} results ({hits} hits) compared: {differ} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--docs", type=int, default=100_000)
    d.add_argument("--queries", type=int, default=400)
    d.add_argument("--workdir", type=Path, required=True, help="as given to bench/search.py")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--posting-cache-mb", type=int, default=None)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = p.parse_args(argv)
    if args.command == "dump":
        return dump(args.docs, args.queries, args.workdir, args.out, args.posting_cache_mb)
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
