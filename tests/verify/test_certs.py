"""Real Ukrainian certificates: parsing, names, and DSTU 4145 signatures (GOST 34.311, Kupyna,
an S-box from the key's own parameters). Every positive check has its tampered twin."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import keys

from verify import algorithms
from verify.certs import Certificate, load_certificate
from verify.errors import FormatError, VerifyError
from verify.path import verify_certificate_signature

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "certs"


def cert(name: str) -> Certificate:
    return load_certificate((VECTORS / name).read_bytes())


def flip_signature_bit(c: Certificate) -> Certificate:
    """The same certificate with one bit of its signature value changed."""
    der = bytearray(c.der)
    sig = c.signature_value
    at = bytes(der).rindex(sig) + len(sig) // 2
    der[at] ^= 0x01
    return Certificate.from_der(bytes(der))


def flip_tbs_bit(c: Certificate) -> Certificate:
    """One bit changed inside the signed part (in the subject's common name or organization)."""
    der = bytearray(c.der)
    text = (c.common_name or c.subject_attributes[0][1]).encode("utf-8")
    at = bytes(der).index(text)
    der[at] ^= 0x01
    return Certificate.from_der(bytes(der))


ROOTS = ["czo-root-2017-gost34311.cer", "czo-root-kupyna256.cer", "czo-root-2017-custom-dke.cer"]


@pytest.mark.parametrize("name", ROOTS)
def test_central_ca_root_self_signature_verifies(name: str) -> None:
    root = cert(name)
    assert root.self_issued
    assert verify_certificate_signature(root, root)


@pytest.mark.parametrize("name", ROOTS)
def test_central_ca_root_with_flipped_signature_bit_fails(name: str) -> None:
    root = cert(name)
    tampered = flip_signature_bit(root)
    assert tampered.signature_value != root.signature_value
    assert not verify_certificate_signature(tampered, root)


@pytest.mark.parametrize("name", ROOTS)
def test_central_ca_root_with_changed_content_fails(name: str) -> None:
    root = cert(name)
    tampered = flip_tbs_bit(root)
    assert tampered.tbs_der != root.tbs_der
    assert not verify_certificate_signature(tampered, root)


def test_root_algorithms_are_the_expected_ones() -> None:
    assert cert("czo-root-2017-gost34311.cer").signature_algorithm == "1.2.804.2.1.1.1.1.3.1.1"
    assert cert("czo-root-kupyna256.cer").signature_algorithm == "1.2.804.2.1.1.1.1.3.6.1.1"


def test_custom_dke_root_needs_the_sbox_from_its_own_parameters() -> None:
    from verify import dstu4145_asn1

    root = cert("czo-root-2017-custom-dke.cer")
    params = algorithms.dstu_params(root.spki)
    assert params.dke is not None
    from verify.gost34311 import DKE1_SBOX

    assert bytes(params.dke) != bytes(DKE1_SBOX)
    public_key = bytes(root.spki["public_key"].native)
    with_own = algorithms.digest(algorithms.OID_GOST34311, root.tbs_der, bytes(params.dke))
    with_default = algorithms.digest(algorithms.OID_GOST34311, root.tbs_der, None)
    assert dstu4145_asn1.verify_signature(params, public_key, with_own, root.signature_value)
    # Twin: the default S-box gives another hash, and the signature does not verify with it.
    assert with_default != with_own
    assert not dstu4145_asn1.verify_signature(
        params, public_key, with_default, root.signature_value
    )


def test_ca_justice_verifies_under_czoroot() -> None:
    assert verify_certificate_signature(cert("CA-Justice.cer"), cert("CZOROOT.cer"))


def test_ca_justice_does_not_verify_under_another_root() -> None:
    assert not verify_certificate_signature(
        cert("CA-Justice.cer"), cert("czo-root-2017-gost34311.cer")
    )
    assert not verify_certificate_signature(
        flip_signature_bit(cert("CA-Justice.cer")), cert("CZOROOT.cer")
    )


def test_ca_justice_key_identifiers_link_to_czoroot() -> None:
    justice, root = cert("CA-Justice.cer"), cert("CZOROOT.cer")
    assert justice.aki == root.ski
    assert justice.issuer_key == root.subject_key
    assert justice.basic_constraints == (True, 0)
    assert justice.key_usage == frozenset({"key_cert_sign", "crl_sign"})


def test_sfs_subject_decodes_in_ukrainian() -> None:
    sfs = cert("SFS_1.cer")
    assert sfs.common_name is not None and sfs.common_name.startswith("Державна фіскальна служба")
    assert "O=Державна фіскальна служба України" in sfs.subject
    assert "L=Київ" in sfs.subject
    assert sfs.subject_serial_number == "2122385"
    assert "Акредитований центр сертифікації ключів ІДД ДФС" in sfs.issuer
    assert sfs.edrpou == "39292197"  # subjectDirectoryAttributes, 1.2.804.2.1.1.1.11.1.4.2.1
    assert sfs.key_usage == frozenset({"digital_signature", "non_repudiation"})
    assert sfs.basic_constraints == (False, None)
    # Its critical extensions (keyUsage, extKeyUsage, policies, qcStatements, ...) are all known.
    assert sfs.unknown_critical == ()


def test_organization_identifier_is_read() -> None:
    ecdsa = cert("CA-Justice-ECDSA-261217.cer")
    assert ecdsa.organization_identifier == "NTRUA-39787008"
    assert ecdsa.key_algorithm == "1.2.840.10045.2.1"
    kupyna_root = cert("czo-root-kupyna256.cer")
    assert kupyna_root.organization_identifier == "NTRUA-43220851"
    assert "Міністерство цифрової трансформації України" in kupyna_root.subject


def test_ecdsa_ca_issuer_is_not_among_the_vectors() -> None:
    ecdsa = cert("CA-Justice-ECDSA-261217.cer")
    for other in [*ROOTS, "CZOROOT.cer"]:
        assert not verify_certificate_signature(ecdsa, cert(other))


def test_bare_octet_string_authority_key_identifier_is_understood() -> None:
    self_signed = cert("SELF_SIGNED1.cer")
    assert self_signed.aki == self_signed.ski
    assert verify_certificate_signature(self_signed, self_signed)
    assert not verify_certificate_signature(flip_signature_bit(self_signed), self_signed)


def test_pem_form_loads_the_same_certificate() -> None:
    import base64

    der = (VECTORS / "CZOROOT.cer").read_bytes()
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )
    assert load_certificate(pem) == load_certificate(der)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x03\x02\x01", b"not a certificate", b"\x30\x80\x00\x00", b"\x04\x02ab"],
)
def test_garbage_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FormatError):
        Certificate.from_der(data)


def test_truncated_certificate_is_a_format_error() -> None:
    der = (VECTORS / "SFS_1.cer").read_bytes()
    with pytest.raises(VerifyError):
        Certificate.from_der(der[:-10])


def test_registration_is_idempotent() -> None:
    import verify.asn1 as asn1_mod

    before = keys.PublicKeyInfo._spec_callbacks["public_key"]
    asn1_mod._register()
    asn1_mod._register()
    assert keys.PublicKeyInfo._spec_callbacks["public_key"] is before
    assert cert("SFS_1.cer").key_algorithm == "1.2.804.2.1.1.1.1.3.1.1"
