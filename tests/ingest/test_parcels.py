"""MIME to parcels: client shapes, pairing rules, encodings and limits (pure, no I/O)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parcels import (
    DUPLICATE_ATTACHMENT,
    MIME_TOO_DEEP,
    MIME_TOO_MANY_PARTS,
    NO_DOCUMENTS,
    NOT_CMS,
    P7S_BASE64_TEXT,
    P7S_PEM,
    PAIRED_BY_POSITION,
    PART_TOO_LARGE,
    PDF_WITHOUT_SIGNATURE,
    SIGNATURE_WITHOUT_PDF,
    SMIME_SIGNATURE_IGNORED,
    TNEF_ATTACHMENT,
    ParseError,
    ParseLimits,
    is_der_signed_data,
    name_stem,
    parse_parcels,
)
from tests.ingest import mailmaker as mm
from tests.support.pdf import make_pdf

PDF1 = make_pdf(["Паспорт громадянина України", "Тестовий Тарас"])
PDF2 = make_pdf(["Картка платника податків"])
PASSPORT = "Паспорт громадянина України"
TAXCARD = "Картка платника податків (РНОКПП) — копія, створена для ТОВ «Готель Дніпро» у Дії"


def fake_p7s(tag: bytes) -> bytes:
    """DER-shaped ContentInfo(signedData) header: enough for sniffing, not for verifying."""
    body = b"\xa0\x82\x00\x20" + tag.ljust(32, b"\x00")
    inner = bytes.fromhex("06092a864886f70d010702") + body
    return b"\x30\x82" + len(inner).to_bytes(2, "big") + inner


P7S1 = fake_p7s(b"one")
P7S2 = fake_p7s(b"two")

SHAPES = [
    ("gmail", "application/pkcs7-signature"),
    ("outlook", "application/x-pkcs7-signature"),
    ("apple_mail", "application/pkcs7-signature"),
    ("thunderbird", "application/octet-stream"),
    ("android_share", "application/octet-stream"),
    ("ios_share", "application/pkcs7-signature"),
    ("outlook_tnef", "application/x-pkcs7-signature"),
]


@pytest.mark.parametrize(("client", "p7s_type"), SHAPES)
def test_client_shapes_give_two_paired_documents(client: str, p7s_type: str) -> None:
    atts = mm.diia_pair(PDF1, P7S1, PASSPORT, p7s_type=p7s_type) + mm.diia_pair(
        PDF2, P7S2, TAXCARD, p7s_style="p7s", p7s_type=p7s_type
    )
    parsed = parse_parcels(mm.CLIENTS[client](atts))

    assert parsed.subject == mm.SUBJECT
    assert parsed.from_addr == mm.SENDER
    assert parsed.message_id and parsed.message_id.startswith("<")
    assert mm.BRANCH in parsed.to_addrs
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, P7S1), (PDF2, P7S2)]
    first, second = parsed.parcels
    assert first.filename == f"{PASSPORT}.pdf"
    assert first.p7s_name == f"{PASSPORT}.pdf.p7s"
    assert second.pdf_name == f"{TAXCARD}.pdf"
    assert second.p7s_name == f"{TAXCARD}.p7s"
    assert first.problems == () and second.problems == ()
    assert (TNEF_ATTACHMENT in parsed.problems) == (client == "outlook_tnef")


def test_apple_mail_nfd_names_are_normalised_to_nfc() -> None:
    raw = mm.apple_mail(mm.diia_pair(PDF1, P7S1, "Свідоцтво про народження, Київ"))
    assert b"%D1%96%CC%88" in raw  # "ї" decomposed, as macOS file names are
    (parcel,) = parse_parcels(raw).parcels
    assert parcel.filename == "Свідоцтво про народження, Київ.pdf"


def test_forwarded_copy_inside_message_rfc822() -> None:
    inner = mm.thunderbird(mm.diia_pair(PDF1, P7S1, PASSPORT))
    parsed = parse_parcels(mm.forwarded(inner))
    assert parsed.from_addr == "reception@inbox.example.org"
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, P7S1)]


def test_attached_signature_alone_is_a_parcel_without_pdf() -> None:
    raw = mm.gmail([mm.Att(f"{PASSPORT}.pdf.p7s", P7S1, "application/pkcs7-signature")])
    (parcel,) = parse_parcels(raw).parcels
    assert parcel.pdf is None and parcel.p7s == P7S1
    assert parcel.filename == f"{PASSPORT}.pdf"
    assert parcel.problems == (SIGNATURE_WITHOUT_PDF,)


def test_pdf_alone_is_marked_unsigned() -> None:
    (parcel,) = parse_parcels(mm.gmail([mm.Att("scan.pdf", PDF1, "application/pdf")])).parcels
    assert parcel.p7s is None and parcel.pdf == PDF1
    assert parcel.problems == (PDF_WITHOUT_SIGNATURE,)


def test_mismatched_names_pair_by_stem_and_leave_the_rest_alone() -> None:
    atts = [
        mm.Att("a.pdf", PDF1, "application/pdf"),
        mm.Att("b.pdf", PDF2, "application/pdf"),
        mm.Att("b.pdf.p7s", P7S2, "application/pkcs7-signature"),
        mm.Att("c.p7s", P7S1, "application/pkcs7-signature"),
    ]
    parsed = parse_parcels(mm.outlook(atts))
    got = {(p.pdf_name, p.p7s_name): p.problems for p in parsed.parcels}
    assert got == {
        ("a.pdf", None): (PDF_WITHOUT_SIGNATURE,),
        ("b.pdf", "b.pdf.p7s"): (),
        (None, "c.p7s"): (SIGNATURE_WITHOUT_PDF,),
    }


def test_one_pdf_and_one_signature_with_mangled_names_pair_by_position() -> None:
    atts = [
        mm.Att("ATT00001.bin", PDF1, "application/octet-stream"),
        mm.Att("ATT00002.bin", P7S1, "application/octet-stream"),
    ]
    (parcel,) = parse_parcels(mm.outlook(atts)).parcels
    assert (parcel.pdf, parcel.p7s) == (PDF1, P7S1)
    assert parcel.problems == (PAIRED_BY_POSITION,)


def test_content_decides_over_label() -> None:
    """A PDF labelled text/plain and a P7S labelled image/png are still what they are."""
    atts = [mm.Att("doc.pdf", PDF1, "text/plain"), mm.Att("doc.pdf.p7s", P7S1, "image/png")]
    (parcel,) = parse_parcels(mm.thunderbird(atts)).parcels
    assert (parcel.pdf, parcel.p7s) == (PDF1, P7S1)


def test_pem_and_double_base64_signatures_become_der() -> None:
    pem = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(P7S1) + b"-----END PKCS7-----\n"
    atts = [
        mm.Att("a.pdf", PDF1, "application/pdf"),
        mm.Att("a.pdf.p7s", pem, "application/x-pkcs7-signature"),
        mm.Att("b.pdf", PDF2, "application/pdf"),
        mm.Att("b.p7s", base64.b64encode(P7S2), "application/octet-stream"),
    ]
    first, second = parse_parcels(mm.gmail(atts)).parcels
    assert first.p7s == P7S1 and first.problems == (P7S_PEM,)
    assert second.p7s == P7S2 and second.problems == (P7S_BASE64_TEXT,)


def test_garbage_named_p7s_is_kept_with_a_problem() -> None:
    atts = [mm.Att("a.pdf", PDF1, "application/pdf"), mm.Att("a.p7s", b"not cms", "text/plain")]
    (parcel,) = parse_parcels(mm.gmail(atts)).parcels
    assert parcel.p7s == b"not cms" and NOT_CMS in parcel.problems


def test_smime_signature_of_the_mail_itself_is_not_a_document() -> None:
    inner = mm.gmail([mm.Att("a.pdf", PDF1, "application/pdf")]).split(b"\r\n\r\n", 1)[1]
    boundary = inner.split(b"\r\n", 1)[0][2:].decode()
    raw = (
        (
            "From: a@example.net\r\nTo: b@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
            'micalg=sha-256; boundary="sig"\r\n\r\n--sig\r\n'
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        ).encode()
        + inner
        + (
            b"\r\n--sig\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=smime.p7s\r\n\r\n"
            + base64.encodebytes(P7S1)
            + b"\r\n--sig--\r\n"
        )
    )
    parsed = parse_parcels(raw)
    assert SMIME_SIGNATURE_IGNORED in parsed.problems
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, None)]


def test_rfc2231_name_in_windows_1251() -> None:
    name = "Посвідчення водія.pdf"
    raw = (
        (
            "From: a@example.net\r\nTo: b@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; "
            + mm.rfc2231("filename", name, charset="windows-1251")
            + "\r\n\r\n"
        ).encode()
        + base64.encodebytes(PDF1)
        + b"--x--\r\n"
    )
    (parcel,) = parse_parcels(raw).parcels
    assert parcel.filename == name


def test_raw_8bit_subject_and_name_in_koi8_u_or_cp1251_are_repaired() -> None:
    raw = (
        "Subject: Документи\r\nFrom: a@example.net\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
        'Content-Type: application/pdf; name="Паспорт.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("windows-1251") + base64.encodebytes(PDF1)
    raw += (
        '\r\n--x\r\nContent-Type: application/octet-stream; name="Паспорт.p7s"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("koi8-u") + base64.encodebytes(P7S1)
    parsed = parse_parcels(raw)
    assert parsed.subject == "Документи"
    (parcel,) = parsed.parcels
    assert (parcel.filename, parcel.p7s_name) == ("Паспорт.pdf", "Паспорт.p7s")


def test_path_in_file_name_is_dropped() -> None:
    atts = [mm.Att("../../etc/cron.d/x.pdf", PDF1, "application/pdf")]
    (parcel,) = parse_parcels(mm.gmail(atts)).parcels
    assert parcel.filename == "x.pdf"


def test_same_attachment_twice_is_kept_once() -> None:
    atts = mm.diia_pair(PDF1, P7S1) + mm.diia_pair(PDF1, P7S1)
    parsed = parse_parcels(mm.gmail(atts))
    assert len(parsed.parcels) == 1 and DUPLICATE_ATTACHMENT in parsed.problems


def _nested(levels: int) -> bytes:
    body = mm.gmail(mm.diia_pair(PDF1, P7S1)).split(b"\r\n\r\n", 1)
    part = body[0].split(b"Content-Type: ", 1)[1].split(b"\r\n", 1)[0]
    payload = b"Content-Type: " + part + b"\r\n\r\n" + body[1]
    for n in range(levels):
        b = f"lvl{n}".encode()
        payload = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + b"\r\n"
            + payload
            + b"\r\n--"
            + b
            + b"--\r\n"
        )
    return b"From: a@example.net\r\nMIME-Version: 1.0\r\n" + payload


def test_eight_levels_of_nesting_still_parse() -> None:
    parsed = parse_parcels(_nested(7))  # the Gmail multipart itself is the 8th level
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, P7S1)]


def test_deeper_nesting_is_refused_with_a_reason() -> None:
    parsed = parse_parcels(_nested(30), ParseLimits(max_depth=10))
    assert parsed.parcels == ()
    assert MIME_TOO_DEEP in parsed.problems and NO_DOCUMENTS in parsed.problems


def test_nesting_beyond_the_parser_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_parcels(_nested(3000))
    assert info.value.reason == MIME_TOO_DEEP


def test_part_count_and_size_limits() -> None:
    many = [mm.Att(f"n{i}.txt", b"x", "text/plain") for i in range(40)]
    parsed = parse_parcels(mm.gmail([*many, *mm.diia_pair(PDF1, P7S1)]), ParseLimits(max_parts=20))
    assert MIME_TOO_MANY_PARTS in parsed.problems and parsed.parcels == ()

    big = mm.Att("big.pdf", b"%PDF-1.7\n" + bytes(200_000), "application/pdf")
    parsed = parse_parcels(
        mm.gmail([big, *mm.diia_pair(PDF1, P7S1)]), ParseLimits(max_attachment_bytes=100_000)
    )
    assert PART_TOO_LARGE in parsed.problems
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, P7S1)]


def test_name_stem_pairs_the_diia_spellings() -> None:
    assert name_stem("Паспорт.pdf") == name_stem("паспорт.PDF.p7s") == name_stem("Паспорт.p7s")
    assert name_stem("a.pdf") != name_stem("b.p7s")


def test_signed_data_sniffing() -> None:
    assert is_der_signed_data(P7S1)
    assert not is_der_signed_data(PDF1)
    assert not is_der_signed_data(b"\x30\x03\x02\x01\x00" + bytes(20))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    try:
        parsed = parse_parcels(raw)
    except ParseError as exc:
        assert exc.reason
        return
    assert isinstance(parsed.parcels, tuple)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.binary(min_size=1, max_size=40))
def test_truncated_or_spliced_messages_never_crash(cut: int, junk: bytes) -> None:
    raw = mm.outlook(mm.diia_pair(PDF1, P7S1))
    spliced = raw[: len(raw) * cut // 2000] + junk + raw[len(raw) * cut // 2000 + 40 :]
    try:
        parsed = parse_parcels(spliced)
    except ParseError as exc:
        assert exc.reason
        return
    assert all(p.pdf is not None or p.p7s is not None for p in parsed.parcels)


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(6)), st.sampled_from(sorted(mm.CLIENTS)))
def test_pairing_does_not_depend_on_attachment_order(order: list[int], client: str) -> None:
    atts = (
        mm.diia_pair(PDF1, P7S1, "Перший")
        + mm.diia_pair(PDF2, P7S2, "Другий", p7s_style="p7s")
        + mm.diia_pair(PDF1 + b"\n", fake_p7s(b"three"), "Третій")
    )
    parsed = parse_parcels(mm.CLIENTS[client]([atts[i] for i in order]))
    pairs = {(p.pdf_name, p.p7s_name) for p in parsed.parcels}
    assert pairs == {
        ("Перший.pdf", "Перший.pdf.p7s"),
        ("Другий.pdf", "Другий.p7s"),
        ("Третій.pdf", "Третій.pdf.p7s"),
    }


def test_webmail_names_as_rfc2047_in_legacy_charsets() -> None:
    """ukr.net-style webmail: encoded words in windows-1251 and KOI8-U, octet-stream parts."""
    name = "Довідка ВПО"
    pdf_name = mm.rfc2047(name + ".pdf", "windows-1251", fold="")
    p7s_name = mm.rfc2047(name + ".p7s", "koi8-u", fold="")
    head = (
        f"From: a@example.net\r\nTo: b@example.org\r\n"
        f"Subject: {mm.rfc2047('Довідки', 'windows-1251')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="w"\r\n\r\n'
    )
    raw = head.encode()
    for encoded, data in ((pdf_name, PDF1), (p7s_name, P7S1)):
        raw += (
            f'--w\r\nContent-Type: application/octet-stream; name="{encoded}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode() + base64.encodebytes(data)
    parsed = parse_parcels(raw + b"--w--\r\n")
    assert parsed.subject == "Довідки"
    (parcel,) = parsed.parcels
    assert (parcel.pdf_name, parcel.p7s_name) == (f"{name}.pdf", f"{name}.p7s")


def test_smime_opaque_signed_mail_is_unwrapped_and_a_diia_p7m_is_not() -> None:
    inner = mm.gmail(mm.diia_pair(PDF1, P7S1)).split(b"\r\n\r\n", 1)
    entity = [line for line in inner[0].split(b"\r\n") if line.startswith(b"Content-Type")]
    opaque = mm.attached_signature(entity[0] + b"\r\n\r\n" + inner[1])
    raw = (
        b"From: a@example.net\r\nTo: b@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(opaque)
    )
    parsed = parse_parcels(raw)
    assert [(p.pdf, p.p7s) for p in parsed.parcels] == [(PDF1, P7S1)]
    assert "SMIME_OPAQUE_UNWRAPPED" in parsed.problems

    diia_p7m = mm.attached_signature(
        PDF1
    )  # a document's attached signature named .p7m stays a document
    (parcel,) = parse_parcels(
        mm.gmail([mm.Att("doc.p7m", diia_p7m, "application/pkcs7-mime")])
    ).parcels
    assert parcel.p7s == diia_p7m and parcel.pdf is None


def test_raw_8bit_headers_are_still_repaired_and_ascii_ones_kept() -> None:
    """The ASCII fast path of LenientPolicy: 8-bit header bytes are still decoded (UTF-8 and
    windows-1251), plain ASCII comes back unchanged."""
    from ingest.parcels.headers import POLICY

    for text, charset in (("Паспорт громадянина", "utf-8"), ("Картка платника", "windows-1251")):
        escaped = text.encode(charset).decode("ascii", "surrogateescape")
        assert POLICY.header_fetch_parse("Subject", escaped) == text
    assert POLICY.header_fetch_parse("Subject", "Plain ASCII subject") == "Plain ASCII subject"
