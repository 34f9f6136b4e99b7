"""Coverage-guided fuzzing with atheris (libFuzzer) for long runs outside the test suite.

    .venv/bin/pip install atheris            # once (a manylinux wheel; no clang needed)
    .venv/bin/python -m tests.hardening.atheris_fuzz TARGET [libFuzzer options]
    e.g. ... atheris_fuzz parcels -max_total_time=3600 -jobs=1 corpus/parcels

TARGET is one of cms, cert, trust, parcels, query, extract. The same contracts as the
hypothesis targets beside it (test_fuzz_*.py): only the project's typed errors may escape;
anything else is reported by libFuzzer as a crash with the input saved to crash-<sha1>. When
the corpus folder given is empty, it is seeded with the real inputs the hypothesis tests start
from (shared test vectors, test-PKI signatures, Diia-like e-mails, real PDFs, query forms).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from ingest.parcels import ParseError, parse_parcels
    from search.errors import QueryError
    from search.extract import ExtractLimits, extract_text
    from search.query import parse_query
    from verify.certs import Certificate
    from verify.cms import parse_signed_data
    from verify.errors import VerifyError
    from verify.trust import load_bytes

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
LIMITS = ExtractLimits(max_pages=20, max_decompressed_bytes=8 << 20, seconds=8.0,
                       memory_bytes=256 << 20)  # fmt: skip


def _cms(data: bytes) -> None:
    try:
        sd = parse_signed_data(data)
    except VerifyError:
        return
    for s in sd.signers:
        _ = (s.signing_time, s.message_digest, s.cert_refs, s.revocation_values)


def _cert(data: bytes) -> None:
    try:
        cert = Certificate.from_der(data)
    except VerifyError:
        return
    _ = (cert.common_name, cert.organization_identifier, cert.subject_serial_number)


def _trust(data: bytes) -> None:
    try:
        load_bytes(data)
    except VerifyError:
        return


def _parcels(data: bytes) -> None:
    try:
        parse_parcels(data)
    except ParseError:
        return


def _query(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(2000)
    try:
        parse_query(text)
    except QueryError:
        return


def _extract(data: bytes) -> None:
    result = extract_text(data, LIMITS)
    assert isinstance(result.text, str)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "cms": _cms,
    "cert": _cert,
    "trust": _trust,
    "parcels": _parcels,
    "query": _query,
    "extract": _extract,
}


def seeds(target: str) -> list[bytes]:
    from tests.hardening.material import diia_email, malformed_email, signed_copy

    signed = signed_copy()
    certs = [p.read_bytes() for p in sorted((VECTORS / "certs").glob("*.cer"))]
    cms = [(VECTORS / "cms" / n).read_bytes() for n in ("message.p7", "message_detached.p7")]
    if target in ("cms", "trust"):
        return [*cms, signed.p7s, signed.attached_p7s, *certs]
    if target == "cert":
        return [*certs, signed.root_der]
    if target == "parcels":
        return [diia_email(signed, "seed"), malformed_email("seed")]
    if target == "query":
        from tests.hardening.test_fuzz_query import SEEDS

        return [q.encode() for q in SEEDS]
    return [signed.pdf]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.hardening.atheris_fuzz {{{','.join(TARGETS)}}} ...")
    target = argv[1]
    args = [argv[0], *argv[2:]]
    corpus = [a for a in argv[2:] if not a.startswith("-")]
    if corpus:
        folder = Path(corpus[0])
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.iterdir()):
            for n, seed in enumerate(seeds(target)):
                (folder / f"seed-{n}").write_bytes(seed)
    atheris.Setup(args, TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
