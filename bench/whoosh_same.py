"""Two Whoosh indexes of the same corpus answer bench/search.py's query mix identically.

    .venv/bin/python -m bench.whoosh_same --docs 20000 /tmp/a/whoosh/whoosh /tmp/b/whoosh/whoosh

Runs every query of the mix (both sorts, pages 1 and 2) through each index and compares the
totals and, per hit, id, score (to 9 digits), copies sent and snippet. Prints the differences
(none expected when a change must not alter results) and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.search import query_mix
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend


def answers(root: Path, mix: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    backend = WhooshBackend(root, SearchSettings(), repair=False)
    out = []
    try:
        for kind, q, _spec in mix:
            for sort in ("relevance", "date"):
                for offset in (0, 20):
                    r = backend.search(q, limit=20, offset=offset, sort=sort)
                    hits = [(h.id, round(h.score, 9), h.sent, h.snippet) for h in r.hits]
                    out.append((kind, q, sort, offset, r.total, hits))
    finally:
        backend.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--docs", type=int, required=True, help="the corpus size both were built of")
    p.add_argument("--queries", type=int, default=400)
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = p.parse_args(argv)
    mix = query_mix(args.queries, args.docs)
    a, b = answers(args.a, mix), answers(args.b, mix)
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    for x, y in differ[:10]:
        print("differs:", x[:5], "\n   a:", x[5][:3], "\n   b:", y[5][:3])
    hits = sum(len(x[5]) for x in a)
    print(f"{len(a)} searches ({len(mix)} queries x 2 sorts x 2 pages), {hits} hits compared:")
    print(f"{len(differ)} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
