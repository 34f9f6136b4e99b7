"""The trust store: certificates in every format an admin may import, kept apart by role."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from asn1crypto import cms as a_cms
from asn1crypto import x509 as a_x509

from verify.certs import Certificate
from verify.errors import FormatError
from verify.trust import TrustStore, load_bytes, trusted_list_certificates

from .test_path import make_crl, make_pki

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "certs"
CZOROOT = (VECTORS / "CZOROOT.cer").read_bytes()
JUSTICE = (VECTORS / "CA-Justice.cer").read_bytes()
KUPYNA_ROOT = (VECTORS / "czo-root-kupyna256.cer").read_bytes()


def pem(der: bytes) -> bytes:
    return (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )


def p7b(*ders: bytes) -> bytes:
    sd = {
        "version": "v1",
        "digest_algorithms": [],
        "encap_content_info": {"content_type": "data"},
        "certificates": [a_x509.Certificate.load(d) for d in ders],
        "signer_infos": [],
    }
    return a_cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def trusted_list(services: list[tuple[str, bytes]]) -> bytes:
    """A minimal ETSI TS 119 612 list; `services` holds (status URI tail, certificate DER)."""
    items = "".join(
        f"""
      <tsl:TSPService><tsl:ServiceInformation>
        <tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC</tsl:ServiceTypeIdentifier>
        <tsl:ServiceName><tsl:Name xml:lang="uk">Invented service</tsl:Name></tsl:ServiceName>
        <tsl:ServiceDigitalIdentity><tsl:DigitalId>
          <tsl:X509Certificate>{base64.b64encode(der).decode()}</tsl:X509Certificate>
        </tsl:DigitalId></tsl:ServiceDigitalIdentity>
        <tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{status}</tsl:ServiceStatus>
      </tsl:ServiceInformation></tsl:TSPService>"""
        for status, der in services
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#" TSLTag="http://uri.etsi.org/19612/TSLTag">
  <tsl:SchemeInformation>
    <tsl:PointersToOtherTSL><tsl:OtherTSLPointer>
      <tsl:ServiceDigitalIdentities><tsl:ServiceDigitalIdentity><tsl:DigitalId>
        <tsl:X509Certificate>{base64.b64encode(JUSTICE).decode()}</tsl:X509Certificate>
      </tsl:DigitalId></tsl:ServiceDigitalIdentity></tsl:ServiceDigitalIdentities>
    </tsl:OtherTSLPointer></tsl:PointersToOtherTSL>
  </tsl:SchemeInformation>
  <tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPServices>{items}
  </tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList>
</tsl:TrustServiceStatusList>""".encode()


def test_der_and_pem_certificates(tmp_path: Path) -> None:
    (tmp_path / "root.cer").write_bytes(CZOROOT)
    (tmp_path / "kupyna.pem").write_bytes(pem(KUPYNA_ROOT))
    store = TrustStore.load([tmp_path / "root.cer", tmp_path / "kupyna.pem"])
    assert {c.der for c in store.anchors} == {CZOROOT, KUPYNA_ROOT}
    assert store.intermediates == ()


def test_folder_with_a_stray_file(tmp_path: Path) -> None:
    (tmp_path / "a.cer").write_bytes(CZOROOT)
    sub = tmp_path / "more"
    sub.mkdir()
    (sub / "b.crt").write_bytes(pem(KUPYNA_ROOT))
    (sub / "README.txt").write_bytes(b"not a certificate")
    store = TrustStore.load([tmp_path])
    assert len(store.anchors) == 2
    assert len(store.skipped) == 1 and "README.txt" in store.skipped[0]


def test_named_file_that_is_not_trust_material_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cer"
    bad.write_bytes(b"garbage")
    with pytest.raises(FormatError):
        TrustStore.load([bad])
    with pytest.raises(FormatError):
        TrustStore.load([tmp_path / "missing.cer"])


def test_p7b_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "CACertificates.p7b"
    bundle.write_bytes(p7b(CZOROOT, JUSTICE, KUPYNA_ROOT))
    store = TrustStore.load([bundle])
    assert {c.der for c in store.anchors} == {CZOROOT, JUSTICE, KUPYNA_ROOT}
    empty = tmp_path / "empty.p7b"
    empty.write_bytes(p7b())
    with pytest.raises(FormatError):
        TrustStore.load([empty])


def test_trusted_list_takes_service_certificates_only() -> None:
    xml = trusted_list([("granted", CZOROOT), ("withdrawn", KUPYNA_ROOT)])
    certs = trusted_list_certificates(xml)
    # The withdrawn service and the pointer to another list (JUSTICE) are not anchors.
    assert [c.der for c in certs] == [CZOROOT]


def test_trusted_list_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "TL-UA-DSTU.xml"
    path.write_bytes(trusted_list([("granted", CZOROOT), ("granted", KUPYNA_ROOT)]))
    store = TrustStore.load([path])
    assert {c.der for c in store.anchors} == {CZOROOT, KUPYNA_ROOT}


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<TrustServiceStatusList>&lol2;</TrustServiceStatusList>",
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><TrustServiceStatusList/>',
        b"<TrustServiceStatusList><unclosed></TrustServiceStatusList>",
        b"<SomethingElse/>",
        b"<TrustServiceStatusList/>",
    ],
)
def test_hostile_or_wrong_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(FormatError):
        load_bytes(xml)


def test_anchors_stay_apart_from_intermediates(tmp_path: Path) -> None:
    (tmp_path / "root.cer").write_bytes(CZOROOT)
    (tmp_path / "ca.cer").write_bytes(JUSTICE)
    store = TrustStore.load([tmp_path / "root.cer"], intermediates=[tmp_path / "ca.cer"])
    root, ca = Certificate.from_der(CZOROOT), Certificate.from_der(JUSTICE)
    assert store.is_anchor(root)
    assert not store.is_anchor(ca)
    assert store.intermediates == (ca,)
    # A certificate given both ways is an anchor only once and never an intermediate.
    both = TrustStore.from_certificates([CZOROOT], [CZOROOT, JUSTICE])
    assert both.anchors == (root,) and both.intermediates == (ca,)


def test_crl_files_are_collected(tmp_path: Path) -> None:
    pki = make_pki()
    (tmp_path / "ca.crl").write_bytes(make_crl(pki.ca))
    (tmp_path / "root.cer").write_bytes(pki.root.der)
    store = TrustStore.load([tmp_path / "root.cer"], intermediates=[tmp_path / "ca.crl"])
    assert len(store.crls) == 1 and len(store.anchors) == 1
