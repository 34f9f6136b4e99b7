"""Print DSTU 4145 timings (pure Python, one core) for m = 163, 257 and 431.

Usage: python bench/dstu4145.py [--rounds N]

Prints, per curve: field multiplication and squaring, signing, low-level verification with an
already decoded key, `verify_signature` from bytes (the key's decoding is memoised, as it is for
a CA that signs many documents), and the cold decoding of a key (decompression and subgroup
check) that a first signature under a new key adds. Figures only: nothing passes or fails on
time.
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

from verify import dstu4145 as D
from verify import dstu4145_asn1 as DA

CURVES = ("DSTU_163", "DSTU_257", "DSTU_431")


def _time(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(median, best) seconds per call."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), min(samples)


def _micro(fn: Callable[[], object], calls: int = 2000) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def _ms(t: tuple[float, float]) -> str:
    return f"{t[0] * 1e3:.1f} ({t[1] * 1e3:.1f})"


def bench_curve(name: str, rounds: int, rng: random.Random) -> str:
    curve = D.curve_by_name(name)
    f = curve.field
    a, b = rng.getrandbits(curve.m), rng.getrandbits(curve.m)
    mul_t = _micro(lambda: f.mul(a, b))
    sqr_t = _micro(lambda: f.sqr(a))

    params = DA.DstuParams(curve, None, curve.oid)
    d = D.generate_private_key(curve, rng)
    q = D.public_point(curve, d)
    key = DA.encode_public_key(curve, q)
    digest = bytes(rng.getrandbits(8) for _ in range(32))
    h = int.from_bytes(digest, "little")
    r, s = D.sign(curve, d, h, D.generate_private_key(curve, rng))  # builds the base table
    sig = DA.encode_signature(curve, r, s)
    if not D.verify(curve, q, h, r, s):
        raise SystemExit(f"{name}: self-check failed")

    sign_t = _time(lambda: DA.sign_digest(params, d, digest), rounds)
    ver_t = _time(lambda: D.verify(curve, q, h, r, s), rounds)
    full_t = _time(lambda: DA.verify_signature(params, key, digest, sig), rounds)
    # Key decoding without the memo: decompression (half-trace) and the subgroup check.
    decode = DA._decode_public_key.__wrapped__
    dec_t = _time(lambda: decode(curve, key), rounds)
    return (
        f"{name:<10}{mul_t * 1e6:>8.1f}{sqr_t * 1e6:>8.1f}{_ms(sign_t):>16}{_ms(ver_t):>16}"
        f"{_ms(full_t):>24}{_ms(dec_t):>21}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    rng = random.Random(1)
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds, median (best)")
    print(
        f"{'curve':<10}{'mul us':>8}{'sqr us':>8}{'sign ms':>16}{'verify ms':>16}"
        f"{'verify_signature ms':>24}{'cold key decode ms':>21}"
    )
    for name in CURVES:
        print(bench_curve(name, args.rounds, rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
