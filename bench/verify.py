"""Verification figures: ECDSA CMS against `openssl cms -verify`, the Ukrainian algorithms on
the C kernels and in pure Python side by side, GOST 34.311 against gost89 (JavaScript).

Prints figures only (machines here are shared and noisy). Targets (issue "Speed that holds"):
GOST 34.311 and Kupyna-256 >= 50 MB/s native, DSTU 4145 m=257 verify <= 1 ms native, a full
validation of a 300 KB DSTU copy <= 15 ms. Hash figures are CPU seconds of this process, so
other load on the machine inflates them less than wall time.

    .venv/bin/python bench/verify.py [--runs N]

The gost89 reference needs `make node-deps` (tests/node); without it that line says so.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import verify.native as native
from tests.support.pki import make_pki, sign_cades
from verify import dstu4145, dstu4145_asn1
from verify.gost34311 import gost34311
from verify.kupyna import kupyna
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_seconds(fn: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def both(fn: Callable[[], float]) -> tuple[float, float | None]:
    """fn() on the pure-Python implementation and on the C kernels (None if not built)."""
    saved = native._EXT
    try:
        native._EXT = None
        slow = fn()
        native._EXT = native._BUILT
        fast = fn() if native._BUILT is not None else None
    finally:
        native._EXT = saved
    return slow, fast


def _cli_env() -> dict[str, str]:
    """The environment of a user's shell: bytecode caches written and used, as after install."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def verify_args(folder: Path) -> list[str]:
    """`diia-inbox verify` of s.p7s over c.bin trusting root.der, all in `folder`."""
    return [
        "verify",
        str(folder / "s.p7s"),
        "--content",
        str(folder / "c.bin"),
        "--trust",
        str(folder / "root.der"),
    ]


def verb_seconds(args: list[str], runs: int) -> float:
    """Median wall time of `diia-inbox <args>` as a new process; one untimed run first."""
    cmd = [str(Path(sys.executable).with_name("diia-inbox")), *args]
    env = _cli_env()
    subprocess.run(cmd, capture_output=True, check=True, env=env)
    return median_seconds(
        lambda: subprocess.run(cmd, capture_output=True, check=True, env=env), runs
    )


def _top_level_imports(argv: list[str]) -> dict[str, int]:
    """Top-level modules and their cumulative import microseconds, from `-X importtime`."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, env=_cli_env()
    )
    found: dict[str, int] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and not name[1:].startswith(" "):
            found[name.strip()] = int(cumulative)
    return found


def verb_import_seconds(args: list[str]) -> float:
    """What a verb spends importing modules beyond a bare interpreter's start (median of 5)."""
    script = str(Path(sys.executable).with_name("diia-inbox"))
    bare = set(_top_level_imports(["-c", "pass"]))
    totals = []
    for _ in range(5):
        mods = _top_level_imports([script, *args])
        totals.append(sum(us for name, us in mods.items() if name not in bare) / 1e6)
    return statistics.median(totals)


def gost89_mb_s(data: bytes) -> float | None:
    script = Path(__file__).resolve().parents[1] / "tests" / "node" / "gost34311.js"
    if not (script.parent / "node_modules" / "gost89").is_dir():
        return None
    with tempfile.NamedTemporaryFile(suffix=".bin") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(
            ["node", str(script), "--bench", "5", fh.name],
            capture_output=True,
            text=True,
            check=True,
            cwd=script.parent,
        )
    return float(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    content = os.urandom(300 * 1024)

    pki = make_pki("ecdsa")
    p7s = sign_cades(pki, content, detached=True)
    ctx = ValidationContext(trust=TrustStore.from_certificates([pki.anchor]))
    ours = median_seconds(lambda: validate(p7s, content, ctx), args.runs)
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        (dp / "c.bin").write_bytes(content)
        (dp / "s.p7s").write_bytes(p7s)
        (dp / "root.der").write_bytes(pki.anchor)
        subprocess.run(
            ["openssl", "x509", "-inform", "DER", "-in", dp / "root.der", "-out", dp / "root.pem"],
            check=True,
        )
        cmd = [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(dp / "s.p7s"),
            "-content",
            str(dp / "c.bin"),
            "-CAfile",
            str(dp / "root.pem"),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ]
        ossl = median_seconds(
            lambda: subprocess.run(cmd, capture_output=True, check=True), args.runs
        )
        ours_proc = median_seconds(
            lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "verify.cli",
                    str(dp / "s.p7s"),
                    "--content",
                    str(dp / "c.bin"),
                    "--trust",
                    str(dp / "root.der"),
                ],
                capture_output=True,
                check=True,
            ),
            max(3, args.runs // 3),
        )
        ours_verb = verb_seconds(verify_args(dp), max(3, args.runs // 3))
    print("ECDSA P-256 CMS, 300 KB detached content")
    print(f"  ours validate() in process : {ours * 1000:8.1f} ms")
    print(f"  ours CLI (new process)     : {ours_proc * 1000:8.1f} ms (python -m verify.cli)")
    print(f"  diia-inbox verify          : {ours_verb * 1000:8.1f} ms")
    print(f"  openssl cms -verify        : {ossl * 1000:8.1f} ms (a new process each time)")
    print(f"  ratio in-process / openssl : {ours / ossl:8.2f}")
    print(f"  ratio CLI / openssl        : {ours_proc / ossl:8.2f}")

    print(
        f"\nUkrainian algorithms: python | native | ratio (C kernels: {native._BUILT is not None})"
    )
    mb = os.urandom(1024 * 1024)
    for name, fn in (
        ("GOST 34.311-95 MB/s", lambda: gost34311(mb)),
        ("Kupyna-256 MB/s", lambda: kupyna(mb, 256)),
    ):
        slow, fast = both(lambda fn=fn: 1.048576 / cpu_seconds(fn, 3))  # type: ignore[misc]
        line = f"  {name:28s} {slow:9.2f} | "
        line += f"{fast:9.2f} | {fast / slow:6.1f}x" if fast else "     n/a"
        print(line)
    ref = gost89_mb_s(mb)
    if ref is None:
        print("  GOST 34.311 gost89 (JS) MB/s   not installed (make node-deps)")
    else:
        native_mb_s = _gost_native(mb)
        print(
            f"  GOST 34.311 gost89 (JS) MB/s {ref:9.2f}   native / gost89 = {native_mb_s / ref:.1f}"
        )

    rng = random.Random(7)
    for oid_index, m in ((6, 257), (9, 431)):
        params = dstu4145_asn1.parse_params(
            dstu4145_asn1.encode_params(f"1.2.804.2.1.1.1.1.3.1.1.2.{oid_index}", None, None)
        )
        priv = dstu4145.generate_private_key(params.curve, rng)
        q = dstu4145_asn1.encode_public_key(params.curve, dstu4145.public_point(params.curve, priv))
        digest = gost34311(b"bench")
        sig = dstu4145_asn1.sign_digest(params, priv, digest, wrapped=False)
        assert dstu4145_asn1.verify_signature(params, q, digest, sig)

        def verify_once(
            p: dstu4145_asn1.DstuParams = params, q: bytes = q, h: bytes = digest, s: bytes = sig
        ) -> bool:
            return dstu4145_asn1.verify_signature(p, q, h, s)

        slow, fast = both(lambda f=verify_once: cpu_seconds(f, args.runs) * 1000)  # type: ignore[misc]
        line = f"  DSTU 4145 m={m} verify, ms   {slow:9.2f} | "
        line += f"{fast:9.3f} | {slow / fast:6.1f}x" if fast else "     n/a"
        print(line)
    dpki = make_pki("dstu")
    dp7s = sign_cades(dpki, content, detached=True)
    dctx = ValidationContext(trust=TrustStore.from_certificates([dpki.anchor]))
    slow, fast = both(
        lambda: median_seconds(lambda: validate(dp7s, content, dctx), max(3, args.runs // 3)) * 1000
    )
    line = f"  DSTU CAdES-BES 300 KB, full validate(), ms {slow:7.1f} | "
    line += f"{fast:7.1f} | {slow / fast:6.1f}x" if fast else "   n/a"
    print(line)

    # The command a user runs on that copy (issue 15: <= 0.25 s wall, imports <= 0.15 s), with
    # bytecode caches as an installed package has them, beside openssl on the ECDSA copy.
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        (dp / "c.bin").write_bytes(content)
        (dp / "s.p7s").write_bytes(dp7s)
        (dp / "root.der").write_bytes(dpki.anchor)
        verb = verify_args(dp)
        wall = verb_seconds(verb, max(5, args.runs // 3))
        imports = verb_import_seconds(verb)
    print("\n`diia-inbox verify` of the 300 KB DSTU copy (new process, bytecode cached)")
    print(f"  wall, median               : {wall * 1000:8.1f} ms (target <= 250 ms)")
    print(f"  of which imports           : {imports * 1000:8.1f} ms (target <= 150 ms)")
    print(f"  openssl cms -verify (ECDSA): {ossl * 1000:8.1f} ms   ratio {wall / ossl:.1f}")


def _gost_native(mb: bytes) -> float:
    saved = native._EXT
    native._EXT = native._BUILT
    try:
        return 1.048576 / cpu_seconds(lambda: gost34311(mb), 3)
    finally:
        native._EXT = saved


if __name__ == "__main__":
    main()
