"""Verification figures: ECDSA CMS against `openssl cms -verify`, hash throughput, DSTU 4145.

Prints figures only (machines here are shared and noisy); targets are in the issue: DSTU 4145
m=257 verification under 50 ms, GOST 34.311 at 1 MB/s or more on one core.

    .venv/bin/python bench/verify.py [--runs N]
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

from verify import dstu4145
from verify.gost34311 import gost34311
from verify.kupyna import kupyna
from verify.testpki import make_pki, sign_cades
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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
    print("ECDSA P-256 CMS, 300 KB detached content")
    print(f"  ours validate() in process : {ours * 1000:8.1f} ms")
    print(f"  ours CLI (new process)     : {ours_proc * 1000:8.1f} ms")
    print(f"  openssl cms -verify        : {ossl * 1000:8.1f} ms (a new process each time)")
    print(f"  ratio in-process / openssl : {ours / ossl:8.2f}")
    print(f"  ratio CLI / openssl        : {ours_proc / ossl:8.2f}")

    mb = os.urandom(1024 * 1024)
    for name, fn, target in (
        ("GOST 34.311-95", lambda: gost34311(mb), " (target >= 1 MB/s)"),
        ("Kupyna-256", lambda: kupyna(mb, 256), ""),
    ):
        secs = median_seconds(fn, 3)
        print(f"{name:15s} throughput: {1 / secs:6.2f} MB/s{target}")

    rng = random.Random(7)
    for oid_index, m in ((6, 257), (9, 431)):
        params = dstu4145.parse_params(
            dstu4145.encode_params(f"1.2.804.2.1.1.1.1.3.1.1.2.{oid_index}", None, None)
        )
        priv = dstu4145.generate_private_key(params.curve, rng)
        q = dstu4145.encode_public_key(params.curve, dstu4145.public_point(params.curve, priv))
        digest = gost34311(b"bench")
        sig = dstu4145.sign_digest(params, priv, digest, wrapped=False)
        assert dstu4145.verify_signature(params, q, digest, sig)

        def verify_once(
            p: dstu4145.DstuParams = params, q: bytes = q, h: bytes = digest, s: bytes = sig
        ) -> bool:
            return dstu4145.verify_signature(p, q, h, s)

        secs = median_seconds(verify_once, args.runs)
        print(
            f"DSTU 4145 m={m} verify: {secs * 1000:6.1f} ms"
            + (" (target < 50 ms)" if m == 257 else "")
        )
    dpki = make_pki("dstu")
    dp7s = sign_cades(dpki, content, detached=True)
    dctx = ValidationContext(trust=TrustStore.from_certificates([dpki.anchor]))
    secs = median_seconds(lambda: validate(dp7s, content, dctx), max(3, args.runs // 3))
    print(f"DSTU CAdES-BES, 300 KB, full validate(): {secs * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
