"""The test PKI's signatures through our verifier, each with its tampered twins, and the ECDSA
flavour checked by OpenSSL as outside truth."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509

from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import TestPKI, make_pki, sign_cades, tamper
from verify import dstu4145, dstu4145_asn1
from verify.asn1 import OID_DSTU4145_GOST_PB
from verify.policy import DIIA_SEAL, SignerPolicy
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
PDF = make_diia_copy_pdf()


@pytest.fixture(scope="module", params=["ecdsa", "dstu"])
def pki(request: pytest.FixtureRequest) -> TestPKI:
    return make_pki(request.param, now=NOW)


def ctx(pki: TestPKI, **kw: object) -> ValidationContext:
    kw.setdefault("clock", lambda: NOW + dt.timedelta(hours=1))
    return ValidationContext(trust=TrustStore.from_certificates([pki.anchor]), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["BES", "T"])
@pytest.mark.parametrize("detached", [True, False])
def test_signature_passes_and_its_tampered_twins_fail(
    pki: TestPKI, level: str, detached: bool
) -> None:
    p7s = sign_cades(pki, PDF, detached=detached, level=level)  # type: ignore[arg-type]
    content = PDF if detached else None
    good = validate(p7s, content, ctx(pki))
    assert good.indication == "TOTAL_PASSED", good.to_dict()
    assert good.to_dict()["signer"]["organization_identifier"] == "NTRUA-43395033"
    assert len(good.to_dict()["timestamps"]) == (1 if level == "T" else 0)
    # One content byte changed.
    if detached:
        bad = validate(p7s, tamper(PDF, len(PDF) // 2), ctx(pki))
    else:
        at = p7s.find(PDF[100:140])
        assert at > 0
        bad = validate(tamper(p7s, at + 5), None, ctx(pki))
    assert (bad.indication, bad.sub_indication) == ("TOTAL_FAILED", "HASH_FAILURE")
    # One bit of the signature value changed (its last byte sits right before the unsigned
    # attributes or at the end of the structure; find it exactly).
    from asn1crypto import cms

    sig = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]["signature"].native
    at = p7s.find(sig)
    bad_sig = validate(tamper(p7s, at + len(sig) // 2), content, ctx(pki))
    assert (bad_sig.indication, bad_sig.sub_indication) == ("TOTAL_FAILED", "SIG_CRYPTO_FAILURE")
    # Another PKI's root as the only anchor.
    other = make_pki(pki.flavour, now=NOW, seed=99)
    foreign = validate(
        p7s,
        content,
        ValidationContext(trust=TrustStore.from_certificates([other.anchor]), clock=lambda: NOW),
    )
    assert (foreign.indication, foreign.sub_indication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )


def test_timestamp_is_proof_of_existence_after_expiry(pki: TestPKI) -> None:
    later = NOW + dt.timedelta(days=800)  # the seal certificate expired at NOW + 730 days
    bes = sign_cades(pki, PDF, level="BES")
    t = sign_cades(pki, PDF, level="T")
    no_poe = validate(bes, PDF, ctx(pki, clock=lambda: later))
    assert no_poe.indication == "INDETERMINATE"
    assert no_poe.sub_indication in ("OUT_OF_BOUNDS_NO_POE", "EXPIRED")
    with_poe = validate(t, PDF, ctx(pki, clock=lambda: later))
    assert with_poe.indication == "TOTAL_PASSED", with_poe.to_dict()


def test_signer_policy_accepts_the_seal_not_the_citizen(pki: TestPKI) -> None:
    policy = SignerPolicy.only(DIIA_SEAL)
    seal = validate(sign_cades(pki, PDF, signer="seal"), PDF, ctx(pki, signer_policy=policy))
    citizen = validate(sign_cades(pki, PDF, signer="citizen"), PDF, ctx(pki, signer_policy=policy))
    assert seal.to_dict()["policy_accepted"] is True
    assert citizen.to_dict()["policy_accepted"] is False
    assert "Шевченко" in citizen.to_dict()["signer"]["subject"]


def test_dstu_certificates_have_the_shape_of_real_ones() -> None:
    pki = make_pki("dstu", now=NOW)
    real = x509.Certificate.load(
        (
            Path(__file__).resolve().parents[2] / "tests" / "vectors" / "certs" / "CA-Justice.cer"
        ).read_bytes()
    )
    for party in (pki.root, pki.ca, pki.seal, pki.citizen, pki.tsa):
        cert = x509.Certificate.load(party.cert)
        assert cert["signature_algorithm"]["algorithm"].dotted == OID_DSTU4145_GOST_PB
        assert (
            cert["signature_algorithm"]["algorithm"].dotted
            == real["signature_algorithm"]["algorithm"].dotted
        )
        spki = cert["tbs_certificate"]["subject_public_key_info"]
        params = dstu4145_asn1.parse_params(spki["algorithm"]["parameters"].dump())
        assert params.curve.m == 257
        point = dstu4145_asn1.decode_public_key(params.curve, spki["public_key"].contents)
        assert dstu4145.on_curve(params.curve, point)
        # The certificate signature is an OCTET STRING inside the BIT STRING, as in real ones.
        assert cert["signature_value"].contents[1:2] == b"\x04"


def test_same_seed_same_certificates() -> None:
    a, b = make_pki("dstu", now=NOW, seed=5), make_pki("dstu", now=NOW, seed=5)
    assert a.root.cert == b.root.cert and a.seal.cert == b.seal.cert
    assert make_pki("dstu", now=NOW, seed=6).root.cert != a.root.cert
    for flavour in ("dstu", "ecdsa"):
        one = sign_cades(make_pki(flavour, now=NOW), b"x", signing_time=NOW)  # type: ignore[arg-type]
        two = sign_cades(make_pki(flavour, now=NOW), b"x", signing_time=NOW)  # type: ignore[arg-type]
        assert one == two
        assert sign_cades(make_pki(flavour, now=NOW), b"y", signing_time=NOW) != one  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
@pytest.mark.parametrize("detached", [True, False])
def test_openssl_verifies_the_ecdsa_flavour(tmp_path: Path, detached: bool) -> None:
    pki = make_pki("ecdsa", now=dt.datetime.now(dt.UTC))
    p7s = sign_cades(pki, PDF, detached=detached, level="T")
    (tmp_path / "root.der").write_bytes(pki.anchor)
    subprocess.run(
        [
            "openssl",
            "x509",
            "-inform",
            "DER",
            "-in",
            tmp_path / "root.der",
            "-out",
            tmp_path / "root.pem",
        ],
        check=True,
    )
    (tmp_path / "copy.pdf").write_bytes(PDF)
    (tmp_path / "copy.p7s").write_bytes(p7s)
    (tmp_path / "tampered.pdf").write_bytes(tamper(PDF, 200))

    def openssl_verify(content: str) -> int:
        cmd = [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "copy.p7s"),
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-purpose",
            "any",
            "-out",
            str(tmp_path / "out.bin"),
        ]
        if detached:
            cmd += ["-content", str(tmp_path / content)]
        return subprocess.run(cmd, capture_output=True).returncode

    assert openssl_verify("copy.pdf") == 0
    if detached:
        assert openssl_verify("tampered.pdf") != 0
    else:
        assert (tmp_path / "out.bin").read_bytes() == PDF


# The PDF maker: other areas' fixtures rely on the text coming back exactly.

UKRAINIAN_LINES = [
    "Паспорт громадянина України",
    "Шевченко Тарас Григорович",
    "ЇїЄєІіҐґ ʼ’ «лапки» — № 5",
    "Копію створено 2026-11-20 для ТОВ «Готель Дніпро»",
    "ASCII (parens) \\ back",
]


def _pypdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_text_comes_back_exactly_with_ukrainian_letters() -> None:
    from tests.support.pdf import make_pdf

    pdf = make_pdf(UKRAINIAN_LINES, title="Паспорт")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert _pypdf_text(pdf) == "\n".join(UKRAINIAN_LINES)
    assert make_pdf(UKRAINIAN_LINES, title="Паспорт") == pdf  # deterministic bytes
    # Twin: another line gives another text (the check above can fail).
    assert _pypdf_text(make_pdf(UKRAINIAN_LINES[:-1])) != "\n".join(UKRAINIAN_LINES)


def test_pdf_pages_and_diia_copy(diia_pdf: bytes) -> None:
    from tests.support.pdf import diia_copy_lines, make_pdf

    lines = [f"Рядок {i}" for i in range(100)]
    assert _pypdf_text(make_pdf(lines)) == "\n".join(lines)
    text = _pypdf_text(diia_pdf)
    assert text == "\n".join(diia_copy_lines())
    assert "Копію створено 2026-11-20 для ТОВ «Готель Дніпро»" in text


def test_pdf_glyph_names_follow_the_adobe_glyph_list() -> None:
    from tests.support.pdf import _glyph_name

    # Viewers that substitute a Type 1 font for Helvetica find Cyrillic glyphs by these names.
    assert [_glyph_name(c) for c in "АЕЁЖЯаеёжяІїҐ"] == [
        "afii10017", "afii10022", "afii10023", "afii10024", "afii10049",
        "afii10065", "afii10070", "afii10071", "afii10072", "afii10097",
        "afii10055", "afii10104", "afii10050",
    ]  # fmt: skip


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_same_text(tmp_path: Path) -> None:
    from tests.support.pdf import make_pdf

    (tmp_path / "t.pdf").write_bytes(make_pdf(UKRAINIAN_LINES))
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp_path / "t.pdf"), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    assert [line for line in out.splitlines() if line.strip()] == UKRAINIAN_LINES


def test_shared_pkis_are_built_around_the_shared_instant(
    dstu_pki: TestPKI, ecdsa_pki: TestPKI, pki_now: dt.datetime, vectors_dir: Path
) -> None:
    assert dstu_pki.flavour == "dstu" and ecdsa_pki.flavour == "ecdsa"
    for pki in (dstu_pki, ecdsa_pki):
        validity = pki.seal.x509["tbs_certificate"]["validity"]
        assert validity["not_before"].native <= pki_now <= validity["not_after"].native
    assert (vectors_dir / "certs" / "CA-Justice.cer").is_file()
