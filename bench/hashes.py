"""Print the throughput of the pure-Python hashes: GOST 34.311-95 and Kupyna-256/384/512.

Usage: python bench/hashes.py [--size BYTES] [--rounds N]

Hashes the same pseudo-random message (1 MB by default) with each hash, N times (3 by default),
and prints the best and the median MB/s of one core (MB = 10**6 bytes). Also prints how long
GOST 34.311 takes to build its round tables for an S-box it has not seen (a key whose `dke` is
not DKE No.1), which a verifier pays once per distinct S-box. Figures only: nothing passes or
fails on time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify import gost34311 as G
from verify.kupyna import kupyna


def _runs(fn: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="message length in bytes")
    parser.add_argument("--rounds", type=int, default=3, help="runs per hash (best is shown)")
    args = parser.parse_args(argv)
    data = random.Random(2026).randbytes(args.size)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("GOST 34.311-95 (DKE No.1)", lambda: G.gost34311(data)),
        ("Kupyna-256", lambda: kupyna(data, 256)),
        ("Kupyna-384", lambda: kupyna(data, 384)),
        ("Kupyna-512", lambda: kupyna(data, 512)),
    ]
    G.gost34311(b"warm-up")  # the DKE No.1 tables are built on first use
    print(f"Python {sys.version.split()[0]}, {args.size:,} bytes, best of {args.rounds}")
    print(f"{'hash':28s} {'best MB/s':>10s} {'median MB/s':>12s} {'best s':>8s}")
    for name, fn in cases:
        times = _runs(fn, args.rounds)
        best, median = min(times), statistics.median(times)
        print(
            f"{name:28s} {args.size / best / 1e6:10.3f} {args.size / median / 1e6:12.3f}"
            f" {best:8.3f}"
        )

    rng = random.Random(7)
    rows = []
    for _ in range(8):
        row = list(range(16))
        rng.shuffle(row)
        rows.append(row)
    custom = G.pack_sbox(rows)
    start = time.perf_counter()
    G.gost34311(b"", sbox=custom)
    print(f"GOST 34.311 tables for a new S-box: {(time.perf_counter() - start) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
