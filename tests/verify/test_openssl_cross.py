"""Our verifier against `openssl cms -verify` on CMS made by `openssl cms -sign`.

Keys, certificates and signatures all come from the OpenSSL command line, so this is outside
truth for the ECDSA P-256 and RSA-2048 paths: both tools must agree on the good signatures, on
tampered content, on a tampered signature and on a wrong trust anchor.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms

from tests.support.pki import tamper
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI")

CONTENT = "Копія документа для перевірки підпису.\n".encode() * 200


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, check=False)


def make_ca(d: Path, kind: str, prefix: str) -> None:
    keyopt = (
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        if kind == "ec"
        else ["-newkey", "rsa:2048"]
    )
    r = run(
        "openssl",
        "req",
        "-x509",
        *keyopt,
        "-nodes",
        "-keyout",
        f"{prefix}ca.key",
        "-out",
        f"{prefix}ca.pem",
        "-days",
        "30",
        "-subj",
        f"/CN={prefix}Test Root/O=Test",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )
    assert r.returncode == 0, r.stderr


def make_signer(d: Path, kind: str) -> None:
    keyopt = (
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        if kind == "ec"
        else ["-newkey", "rsa:2048"]
    )
    r = run(
        "openssl",
        "req",
        *keyopt,
        "-nodes",
        "-keyout",
        "signer.key",
        "-out",
        "signer.csr",
        "-subj",
        "/CN=Test Signer/O=Test",
        cwd=d,
    )
    assert r.returncode == 0, r.stderr
    (d / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    r = run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "signer.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "signer.pem",
        "-days",
        "20",
        "-extfile",
        "ext.cnf",
        cwd=d,
    )
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module", params=["ec", "rsa"])
def material(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp(request.param)
    make_ca(d, request.param, "")
    make_ca(d, request.param, "other")
    make_signer(d, request.param)
    (d / "content.bin").write_bytes(CONTENT)
    (d / "tampered.bin").write_bytes(tamper(CONTENT, 1000))
    for detached in (True, False):
        for cades in (True, False):
            name = f"sig-{'d' if detached else 'a'}-{'c' if cades else 'p'}.p7s"
            args = [
                "openssl",
                "cms",
                "-sign",
                "-binary",
                "-in",
                "content.bin",
                "-signer",
                "signer.pem",
                "-inkey",
                "signer.key",
                "-outform",
                "DER",
                "-out",
                name,
            ]
            if not detached:
                args.append("-nodetach")
            if cades:
                args.append("-cades")
            r = run(*args, cwd=d)
            assert r.returncode == 0, r.stderr
    return d


def openssl_ok(d: Path, sig: Path, ca: str, content: str | None) -> bool:
    args = [
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        sig,
        "-CAfile",
        ca,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ]
    if content:
        args += ["-content", content]
    return run(*args, cwd=d).returncode == 0


def ours(d: Path, sig: bytes, ca: str, content: bytes | None) -> tuple[str, str | None]:
    store = TrustStore.load([d / ca])
    report = validate(sig, content, ValidationContext(trust=store))
    return report.indication, report.sub_indication


SIGS = [f"sig-{a}-{c}.p7s" for a in "da" for c in "cp"]


@pytest.mark.parametrize("name", SIGS)
def test_agree_on_good_signature(material: Path, name: str) -> None:
    detached = name.startswith("sig-d")
    sig = (material / name).read_bytes()
    assert openssl_ok(material, material / name, "ca.pem", "content.bin" if detached else None)
    assert ours(material, sig, "ca.pem", CONTENT if detached else None) == ("TOTAL_PASSED", None)


@pytest.mark.parametrize("name", SIGS)
def test_agree_on_tampered_content(material: Path, name: str) -> None:
    sig = (material / name).read_bytes()
    if name.startswith("sig-d"):
        assert not openssl_ok(material, material / name, "ca.pem", "tampered.bin")
        assert ours(material, sig, "ca.pem", tamper(CONTENT, 1000)) == (
            "TOTAL_FAILED",
            "HASH_FAILURE",
        )
    else:
        at = sig.find(CONTENT[:64])
        bad = tamper(sig, at + 1000)
        (material / f"tc-{name}").write_bytes(bad)
        assert not openssl_ok(material, material / f"tc-{name}", "ca.pem", None)
        assert ours(material, bad, "ca.pem", None) == ("TOTAL_FAILED", "HASH_FAILURE")


@pytest.mark.parametrize("name", SIGS)
def test_agree_on_tampered_signature(material: Path, name: str) -> None:
    detached = name.startswith("sig-d")
    sig = (material / name).read_bytes()
    value = cms.ContentInfo.load(sig)["content"]["signer_infos"][0]["signature"].native
    bad = tamper(sig, sig.find(value) + len(value) // 2)
    (material / f"ts-{name}").write_bytes(bad)
    assert not openssl_ok(
        material, material / f"ts-{name}", "ca.pem", "content.bin" if detached else None
    )
    assert ours(material, bad, "ca.pem", CONTENT if detached else None) == (
        "TOTAL_FAILED",
        "SIG_CRYPTO_FAILURE",
    )


@pytest.mark.parametrize("name", SIGS)
def test_agree_on_wrong_trust_anchor(material: Path, name: str) -> None:
    detached = name.startswith("sig-d")
    sig = (material / name).read_bytes()
    assert not openssl_ok(
        material, material / name, "otherca.pem", "content.bin" if detached else None
    )
    assert ours(material, sig, "otherca.pem", CONTENT if detached else None) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
