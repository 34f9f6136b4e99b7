"""Another version of the Whoosh query code and this one in one process, query by query.

    mkdir /tmp/b4 && git archive main search | tar -x -C /tmp/b4
    mv /tmp/b4/search /tmp/b4/search_before
    sed -i -E 's/(from|import) search\\./\\1 search_before./g' /tmp/b4/search_before/*.py
    sed -i -E 's/(from|import) search( |$)/\\1 search_before\\2/g' /tmp/b4/search_before/*.py
    .venv/bin/python -m bench.search_ab /tmp/b4 /tmp/b100k/whoosh/whoosh [OTHER_INDEX]

The other version's `search` package, renamed `search_before`, is imported beside this one;
each query of the bench mix (400 queries, 100,000 documents) runs on each version with its
posting cache and without it, in a rotating order, and the CPU p50 and p95 of each are printed
per kind. On a shared machine the load then weighs on all four alike (the figures of separate
processes moved by half from run to run). The pages are checked equal (total and ids).
OTHER_INDEX is the index the other version reads when the two read different index formats
(the same corpus built by each version); by default both read the same one.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.search import KINDS, query_mix
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend


def main(argv: list[str]) -> int:
    sys.path.insert(0, argv[0])
    old_settings = importlib.import_module("search_before.settings").SearchSettings
    old_backend = importlib.import_module("search_before.whoosh_backend").WhooshBackend
    root = Path(argv[1])
    # The other version's own index when the two read different index formats.
    old_root = Path(argv[2]) if len(argv) > 2 else root
    variants: dict[str, Any] = {
        "before": old_backend(old_root, old_settings(), repair=False),
        "before, no cache": old_backend(old_root, old_settings(posting_cache_mb=0), repair=False),
        "after, cache": WhooshBackend(root, SearchSettings(posting_cache_mb=32), repair=False),
        "after, no cache": WhooshBackend(root, SearchSettings(posting_cache_mb=0), repair=False),
    }
    mix = query_mix(400, 100_000)
    for backend in variants.values():
        for _kind, q, _spec in mix[:20]:  # as bench/search.py warms up
            backend.search(q, limit=20)
    names = list(variants)
    cpu: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    for i, (kind, q, _spec) in enumerate(mix):
        pages = set()
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.process_time()
            result = variants[name].search(q, limit=20)
            cpu[name].setdefault(kind, []).append((time.process_time() - started) * 1000)
            pages.add((result.total, tuple(h.id for h in result.hits)))
        if len(pages) != 1:
            print(f"results differ: {q!r}")
            return 1

    def pct(values: list[float], p: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[p - 1]

    print(f"{'CPU ms':<18} " + "  ".join(f"{n:<22}" for n in names))
    for kind in KINDS:
        cells = [
            f"p50 {pct(cpu[n][kind], 50):5.2f} p95 {pct(cpu[n][kind], 95):5.2f}" for n in names
        ]
        print(f"{kind:<18} " + "  ".join(f"{c:<22}" for c in cells))
    for backend in variants.values():
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
