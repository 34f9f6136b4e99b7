"""Pairing by content (real signatures, every digest family), transfer-encoding repair and TNEF
names, at the parcel level (pure, no I/O except the Debian `tnef` cross-check)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import algos, cms

from ingest.parcels import (
    PAIRED_BY_CONTENT,
    PDF_WITHOUT_SIGNATURE,
    SEVERAL_SIGNATURES,
    SIGNATURE_WITHOUT_PDF,
    TRANSFER_ENCODING_REPAIRED,
    parse_parcels,
    tnef_files,
)
from ingest.parcels.sniff import decode_transfer, pdf_xref_consistent
from tests.conftest import VECTORS
from tests.ingest import mailmaker as mm
from tests.support.pdf import make_pdf
from verify import algorithms

PDF1 = make_pdf(["Паспорт громадянина України", "Тестовий Тарас"])
PDF2 = make_pdf(["Картка платника податків"])
REAL_DETACHED = (VECTORS / "cms" / "message_detached.p7").read_bytes()  # GOST 34.311 over "123"
REAL_ATTACHED = (VECTORS / "cms" / "message.p7").read_bytes()


def unsigned_cms(content: bytes, digest_oid: str, *, attached: bool = False) -> bytes:
    """A SignedData whose SignerInfo carries messageDigest = H(content) under `digest_oid`.

    The signature value is filler: pairing reads what the signature claims to cover, the
    verifier (tested elsewhere) decides whether the claim is signed.
    """
    digest = algorithms.digest(digest_oid, content)
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "message_digest", "values": [digest]},
        ]
    )
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier({"subject_key_identifier": hashlib.sha1(content).digest()}),
            "digest_algorithm": {"algorithm": digest_oid},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "1.2.840.10045.4.3.2"},
            "signature": b"\x00" * 64,
        }
    )
    eci: dict[str, object] = {"content_type": "data"}
    if attached:
        eci["content"] = content
    sd = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest_oid})],
            "encap_content_info": eci,
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def pairs(raw: bytes) -> list[tuple[bytes | None, tuple[bytes, ...], str]]:
    return [
        (p.pdf, tuple(s.data for s in p.signatures), p.filename) for p in parse_parcels(raw).parcels
    ]


def test_real_gost_signature_pairs_by_content_not_by_name() -> None:
    """A real DSTU 4145 / GOST 34.311 signature (another implementation's) finds its content
    under a different name; the file with the signature's stem but other bytes stays unsigned."""
    atts = [
        mm.Att("scan.pdf", b"123", "application/pdf"),
        mm.Att("other.pdf", b"124", "application/pdf"),
        mm.Att("other.pdf.p7s", REAL_DETACHED, "application/pkcs7-signature"),
    ]
    parsed = parse_parcels(mm.gmail(atts)).parcels
    by_name = {p.filename: p for p in parsed}
    assert by_name["scan.pdf"].p7s == REAL_DETACHED
    assert PAIRED_BY_CONTENT in by_name["scan.pdf"].problems
    assert by_name["other.pdf"].p7s is None
    assert PDF_WITHOUT_SIGNATURE in by_name["other.pdf"].problems


def test_parcels_carry_the_decoded_signature_and_the_pdf_digests_for_the_verifier() -> None:
    """What pairing read and hashed travels with the parcel (decoded once per message): the
    SignedData of the exact signature bytes, the digests of the exact PDF bytes."""
    atts = [
        mm.Att("scan.pdf", b"123", "application/pdf"),
        mm.Att("scan.pdf.p7s", REAL_DETACHED, "application/pkcs7-signature"),
    ]
    [parcel] = parse_parcels(mm.gmail(atts)).parcels
    [sig] = parcel.signatures
    assert sig.decoded is not None and sig.decoded.data == REAL_DETACHED == sig.data
    assert parcel.digests is not None and parcel.digests.for_content(parcel.pdf or b"")
    signer = sig.decoded.signed_data.signers[0]
    assert parcel.digests._memo  # pairing's hash of the PDF, for the verifier to reuse
    assert parcel.digests.of(signer.digest_oid, None) == signer.message_digest


def test_an_unreadable_signature_carries_no_decoded_value() -> None:
    atts = [
        mm.Att("scan.pdf", b"123", "application/pdf"),
        mm.Att("scan.pdf.p7s", b"not a signature at all", "application/pkcs7-signature"),
    ]
    [parcel] = parse_parcels(mm.gmail(atts)).parcels
    assert [s.decoded for s in parcel.signatures] == [None]


def test_real_attached_and_detached_of_one_content_are_one_document() -> None:
    atts = [
        mm.Att("123.p7s", REAL_ATTACHED, "application/pkcs7-signature"),
        mm.Att("123.pdf.p7s", REAL_DETACHED, "application/pkcs7-signature"),
    ]
    for order in (atts, atts[::-1]):
        (parcel,) = parse_parcels(mm.thunderbird(order)).parcels
        assert parcel.pdf is None  # the pipeline takes it out of the verified attached CMS
        assert {s.data for s in parcel.signatures} == {REAL_ATTACHED, REAL_DETACHED}
        assert parcel.signatures[0].data == REAL_ATTACHED  # it carries the content: first
        assert SEVERAL_SIGNATURES in parcel.problems
        assert SIGNATURE_WITHOUT_PDF not in parcel.problems


@pytest.mark.parametrize(
    "digest_oid",
    [
        algorithms.OID_KUPYNA_256,
        algorithms.OID_KUPYNA_512,
        algorithms.OID_GOST34311,
        "2.16.840.1.101.3.4.2.1",  # SHA-256
        "2.16.840.1.101.3.4.2.3",  # SHA-512
    ],
)
def test_every_digest_family_pairs_crossed_numbered_files(digest_oid: str) -> None:
    sig1, sig2 = unsigned_cms(PDF1, digest_oid), unsigned_cms(PDF2, digest_oid)
    atts = [
        mm.Att("file1.pdf", PDF1, "application/pdf"),
        mm.Att("file2.p7s", sig2, "application/octet-stream"),
        mm.Att("file3.pdf", PDF2, "application/pdf"),
        mm.Att("file4.p7s", sig1, "application/octet-stream"),
    ]
    want = [(PDF1, (sig1,), "file1.pdf"), (PDF2, (sig2,), "file3.pdf")]
    assert pairs(mm.webmail(atts)) == want
    assert pairs(mm.webmail(atts[::-1])) == want


def test_tampered_pdf_still_meets_its_named_signature() -> None:
    """Content matches nothing, so the name decides: the verifier then says HASH_FAILURE."""
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    atts = [
        mm.Att("a.pdf", PDF1.replace(b"Tab", b"Tac") + b"%x", "application/pdf"),
        mm.Att("a.pdf.p7s", sig, "application/pkcs7-signature"),
    ]
    ((pdf, sigs, _name),) = pairs(mm.gmail(atts))
    assert sigs == (sig,) and pdf is not None and pdf != PDF1


def test_the_same_signature_under_another_pdf_s_name_judges_that_pdf() -> None:
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    atts = [
        *mm.diia_pair(PDF1, sig, "Паспорт"),
        *mm.diia_pair(PDF2, sig, "Інший"),
    ]
    assert pairs(mm.gmail(atts)) == [
        (PDF1, (sig,), "Паспорт.pdf"),
        (PDF2, (sig,), "Інший.pdf"),
    ]


# --- transfer encodings --------------------------------------------------------------------


def test_base64_declared_8bit_is_decoded_and_flagged() -> None:
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    raw = mm.mislabelled_8bit(mm.diia_pair(PDF1, sig))
    (parcel,) = parse_parcels(raw).parcels
    assert (parcel.pdf, parcel.p7s) == (PDF1, sig)
    assert TRANSFER_ENCODING_REPAIRED in parcel.problems


def test_decode_transfer_reads_bodies_by_what_they_are() -> None:
    b64 = mm.b64_body(PDF1).encode()
    assert decode_transfer(b64, "8bit") == (PDF1, True)
    assert decode_transfer(b64, "7bit") == (PDF1, True)
    assert decode_transfer(b64, "") == (PDF1, True)
    assert decode_transfer(b64, "base64") == (PDF1, False)
    assert decode_transfer(PDF1, "base64") == (PDF1, True)  # declared base64, sent raw
    assert decode_transfer(PDF1, "8bit") == (PDF1, False)  # nothing to repair
    qp = mm.qp_binary(PDF1).encode()
    assert decode_transfer(qp, "8bit") == (PDF1, True)
    assert decode_transfer(qp, "quoted-printable") == (PDF1, False)
    text = b"Hello, this is a letter = with an equals sign.\r\n"
    assert decode_transfer(text, "8bit") == (text, False)  # not a PDF either way: untouched


def test_xref_offset_tells_the_right_reading() -> None:
    assert pdf_xref_consistent(PDF1) is True
    assert pdf_xref_consistent(b"\n" + PDF1) is False
    assert pdf_xref_consistent(b"%PDF-1.4\nno trailer") is None


# --- TNEF ----------------------------------------------------------------------------------

LONG = ["Паспорт громадянина України.pdf", "Паспорт громадянина України.pdf.p7s"]


def files(*data: bytes) -> list[mm.Att]:
    return [mm.Att(n, d, "application/octet-stream") for n, d in zip(LONG, data, strict=True)]


@pytest.mark.parametrize(
    ("long_names", "codepage", "want"),
    [
        ("unicode", 1251, LONG),
        ("8bit", 1251, LONG),
        ("8bit", 21866, LONG),  # KOI8-U, declared by attOemCodepage
        (None, 1251, ["ПАСПОР~1.PDF", "ПАСПОР~1.P7S"]),  # old Outlook: 8.3 aliases only
    ],
)
def test_tnef_names_use_long_names_and_the_declared_code_page(
    long_names: str | None, codepage: int, want: list[str]
) -> None:
    atts = [
        mm.Att(n, d, "application/octet-stream") for n, d in zip(LONG, [PDF1, b"sig"], strict=True)
    ]
    stream = mm.make_tnef(atts, codepage=codepage, long_names=long_names)
    assert [f.name for f in tnef_files(stream, 1 << 20)] == want
    assert [f.data for f in tnef_files(stream, 1 << 20)] == [PDF1, b"sig"]


@pytest.mark.skipif(shutil.which("tnef") is None, reason="needs Debian's tnef")
@pytest.mark.parametrize("long_names", ["unicode", "8bit"])
def test_debian_tnef_reads_the_same_names_and_bytes(long_names: str, tmp_path: Path) -> None:
    """Outside truth: the `tnef` tool unpacks our Outlook-shaped streams to the same files."""
    atts = [
        mm.Att(n, d, "application/octet-stream") for n, d in zip(LONG, [PDF1, PDF2], strict=True)
    ]
    stream = mm.make_tnef(atts, codepage=1251, long_names=long_names)
    (tmp_path / "winmail.dat").write_bytes(stream)
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(
        ["tnef", "-f", str(tmp_path / "winmail.dat"), "-C", str(out)], check=True, timeout=60
    )
    theirs = {os.fsencode(p.name) for p in out.iterdir()}  # the bytes `tnef` wrote
    charset = "utf-8" if long_names == "unicode" else "cp1251"
    decoded = {name.decode(charset) for name in theirs}
    ours = {f.name: f.data for f in tnef_files(stream, 1 << 20)}
    assert decoded == set(ours) == set(LONG)
    for p in out.iterdir():
        name = os.fsencode(p.name).decode(charset)
        assert p.read_bytes() == ours[name]


def test_tnef_mail_pairs_and_names_the_documents() -> None:
    sig = unsigned_cms(PDF1, algorithms.OID_GOST34311)
    raw = mm.outlook_tnef(mm.diia_pair(PDF1, sig), long_names="8bit")
    (parcel,) = parse_parcels(raw).parcels
    assert parcel.filename == "Паспорт громадянина України.pdf"
    assert parcel.p7s_name == "Паспорт громадянина України.pdf.p7s"
    assert parcel.problems == ()


@pytest.mark.parametrize("cte", ["8bit", "binary"])
def test_an_8bit_pdf_body_is_kept_byte_for_byte(cte: str) -> None:
    """compat32's get_payload() would replace the PDF's binary-comment bytes with U+FFFD."""
    assert b"\xe2\xe3\xcf\xd3" in PDF1
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    raw = (
        b"From: a@example.net\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: application/pdf; charset=us-ascii; name="a.pdf"\r\n'
        + f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode()
        + PDF1
        + b"\r\n--b\r\n"
        + b'Content-Type: application/pkcs7-signature; name="b.p7s"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + mm.b64_body(sig).encode()
        + b"--b--\r\n"
    )
    (parcel,) = parse_parcels(raw).parcels
    assert (parcel.pdf, parcel.p7s) == (PDF1, sig)
    assert TRANSFER_ENCODING_REPAIRED not in parcel.problems


def test_line_ends_made_crlf_are_undone_only_when_a_signature_says_so() -> None:
    sig = unsigned_cms(PDF1, algorithms.OID_GOST34311)
    crlf = PDF1.replace(b"\n", b"\r\n")
    raw = mm.pdf_as_text([mm.Att("a.pdf", PDF1, "application/pdf"), mm.Att("a.p7s", sig, "x/y")])
    (parcel,) = parse_parcels(raw).parcels
    assert parcel.pdf == PDF1 and TRANSFER_ENCODING_REPAIRED in parcel.problems
    # Without a signature that covers the LF version, the bytes stay as they came.
    alone = mm.pdf_as_text([mm.Att("a.pdf", PDF1, "application/pdf")])
    (parcel,) = parse_parcels(alone).parcels
    assert parcel.pdf is not None and parcel.pdf.rstrip(b"\r\n") == crlf.rstrip(b"\r\n")
    assert TRANSFER_ENCODING_REPAIRED not in parcel.problems


def test_tnef_oem_code_page_over_ansi_names_falls_back_to_the_guess() -> None:
    """attOemCodepage 866 over cp1251 names would read as box drawing; the guess reads them."""
    stream = mm.make_tnef(files(PDF1, b"sig"), codepage=1251, long_names="8bit")
    declared = (1251).to_bytes(4, "little") + bytes(4)
    assert stream.count(declared) == 1
    stream = stream.replace(declared, (866).to_bytes(4, "little") + bytes(4))
    assert [f.name for f in tnef_files(stream, 1 << 20)] == LONG


def test_a_nameless_pdf_is_named_after_its_signature() -> None:
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    atts = [
        mm.Att("ATT00001.bin", PDF1, "application/octet-stream"),
        mm.Att("Паспорт.pdf.p7s", sig, "application/pkcs7-signature"),
    ]
    (parcel,) = parse_parcels(mm.outlook(atts)).parcels
    assert parcel.filename == "Паспорт.pdf" and parcel.pdf_name == "ATT00001.bin"


def test_the_same_signature_as_der_and_pem_is_one_signature() -> None:
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1")
    atts = [
        mm.Att("a.pdf", PDF1, "application/pdf"),
        mm.Att("a.pdf.p7s", sig, "application/pkcs7-signature"),
        mm.Att("a.pem", mm.pem(sig), "application/x-pem-file"),
    ]
    assert pairs(mm.gmail(atts)) == [(PDF1, (sig,), "a.pdf")]


def test_a_crlf_mangled_pdf_joins_the_attached_signature_that_carries_it() -> None:
    sig = unsigned_cms(PDF1, "2.16.840.1.101.3.4.2.1", attached=True)
    raw = mm.pdf_as_text([mm.Att("a.pdf", PDF1, "application/pdf"), mm.Att("b.p7s", sig, "x/y")])
    (parcel,) = parse_parcels(raw).parcels
    assert (parcel.pdf, parcel.p7s) == (PDF1, sig)
    assert TRANSFER_ENCODING_REPAIRED in parcel.problems
