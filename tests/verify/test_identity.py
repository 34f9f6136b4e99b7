"""Signer identity as a Ukrainian admin reads it (issue 12, item 6).

Outside truth first: real certificates (the State Fiscal Service's SFS_1 with EDRPOU 39292197 in
its subjectDirectoryAttributes, bundle certificates carrying organizationIdentifier NTRUA-…).
Then test-PKI certificates shaped like Diia's (serialNumber TINUA-…, surname and given names,
position, DRFO/EDRPOU attributes), through validate() into JSON and both text languages.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.support.pki import TestPKI, issue_person, sign_cades, tamper
from verify import identity
from verify.asn1 import OID_UA_DRFO, OID_UA_EDRPOU
from verify.certs import Certificate, load_certificate
from verify.report import Indication
from verify.trust import TrustStore, load_file
from verify.validate import ValidationContext, validate


def _ctx(pki: TestPKI, now: dt.datetime) -> ValidationContext:
    return ValidationContext(
        trust=TrustStore.from_certificates([pki.anchor]), clock=lambda: now + dt.timedelta(hours=1)
    )


def test_real_certificates(vectors_dir: Path) -> None:
    sfs = load_certificate((vectors_dir / "certs" / "SFS_1.cer").read_bytes())
    s = identity.summary(sfs)
    assert s.edrpou == "39292197"  # ДФС, from the EDRPOU directory attribute
    assert s.organization == "Державна фіскальна служба України"
    assert s.issuer_ca == "Акредитований центр сертифікації ключів ІДД ДФС"
    assert s.rnokpp is None
    assert (s.not_before, s.not_after) == (sfs.not_before, sfs.not_after)
    bundle = load_file(vectors_dir / "trust" / "CACertificates-2023-05.p7b").certificates
    ntrua = [c for c in bundle if (c.organization_identifier or "").startswith("NTRUA-")]
    assert len(ntrua) > 100
    for cert in ntrua:
        assert identity.edrpou(cert) == cert.organization_identifier.split("-", 1)[1]  # type: ignore[union-attr]


def test_citizen_fields_from_serial_number(dstu_pki: TestPKI, pki_now: dt.datetime) -> None:
    p7s = sign_cades(dstu_pki, b"copy", signer="citizen", detached=False)
    report = validate(p7s, None, _ctx(dstu_pki, pki_now))
    assert report.passed
    signer = report.to_dict()["signer"]
    assert signer["rnokpp"] == "1234567899"
    assert signer["surname"] == "Шевченко"
    assert signer["given_names"] == "Тарас Григорович"
    assert signer["full_name"] == "Шевченко Тарас Григорович"
    assert signer["issuer_ca"] == "Тестовий КНЕДП «Дія»"
    assert signer["not_after"].endswith("Z")
    text = report.render_text("uk")
    assert "РНОКПП: 1234567899" in text
    assert "TINUA" not in text.split("Власник сертифіката")[0]
    assert "RNOKPP (taxpayer number): 1234567899" in report.render_text("en")
    # Tampered twin: one content byte, the identity still shown, the verdict failed.
    twin = validate(tamper(p7s, p7s.index(b"copy")), None, _ctx(dstu_pki, pki_now))
    assert twin.indication == Indication.TOTAL_FAILED
    assert twin.signer is not None and twin.signer.rnokpp == "1234567899"


def test_employee_of_an_organisation(ecdsa_pki: TestPKI, pki_now: dt.datetime) -> None:
    party = issue_person(
        ecdsa_pki,
        "employee",
        cn="Коваленко Олена Петрівна",
        org="ТОВ «Вигадана компанія»",
        surname="Коваленко",
        given="Олена Петрівна",
        title="Головний бухгалтер",
        org_id="NTRUA-12345678",
        serial="TINUA-2233445566",
    )
    report = validate(
        sign_cades(ecdsa_pki, b"copy", signer=party, detached=False),
        None,
        _ctx(ecdsa_pki, pki_now),
    )
    assert report.passed, report.errors
    s = report.signer
    assert s is not None
    assert (s.edrpou, s.rnokpp, s.title) == ("12345678", "2233445566", "Головний бухгалтер")
    assert s.organization == "ТОВ «Вигадана компанія»"
    text = report.render_text("uk")
    for line in (
        "Код ЄДРПОУ: 12345678",
        "РНОКПП: 2233445566",
        "Посада: Головний бухгалтер",
        "Організація: ТОВ «Вигадана компанія»",
        "ПІБ: Коваленко Олена Петрівна",
    ):
        assert line in text
    json.dumps(report.to_dict(), ensure_ascii=False)  # serialisable as it is stored


def test_numbers_from_directory_attributes(dstu_pki: TestPKI) -> None:
    party = issue_person(
        dstu_pki,
        "old-style",
        cn="Бондар Іван Іванович",
        org="ПП «Вигадане»",
        directory={OID_UA_DRFO: "3344556677", OID_UA_EDRPOU: "87654321"},
    )
    cert = Certificate.from_der(party.cert)
    assert (identity.rnokpp(cert), identity.edrpou(cert)) == ("3344556677", "87654321")
    assert identity.full_name(cert) == "Бондар Іван Іванович"


def test_malformed_numbers_are_not_shown(ecdsa_pki: TestPKI) -> None:
    party = issue_person(
        ecdsa_pki,
        "odd",
        cn="Хтось",
        org="Щось",
        org_id="NTRUA-12AB",
        serial="TINUA-123",
        directory={OID_UA_DRFO: "not a number"},
    )
    cert = Certificate.from_der(party.cert)
    assert identity.rnokpp(cert) is None
    assert identity.edrpou(cert) is None


def _sid_serial_changed(p7s: bytes, serial: int) -> bytes:
    from asn1crypto import cms

    info = cms.ContentInfo.load(p7s)
    sid = info["content"]["signer_infos"][0]["sid"].chosen
    sid["serial_number"] = serial
    return info.dump(force=True)


def test_signing_certificate_fallback_warns(ecdsa_pki: TestPKI, pki_now: dt.datetime) -> None:
    p7s = sign_cades(ecdsa_pki, b"copy", detached=False)
    odd = _sid_serial_changed(p7s, 12345)
    report = validate(odd, None, _ctx(ecdsa_pki, pki_now))
    assert report.passed, report.errors
    assert any(w.code == "SIGNER_IDENTIFIER_MISMATCH" for w in report.warnings)
    assert "ідентифікатор підписувача" in report.render_text("uk")
    # Twin: a signature byte changed: the fallback certificate does not rescue it.
    tampered = _sid_serial_changed(tamper(p7s, len(p7s) - 5), 12345)
    assert validate(tampered, None, _ctx(ecdsa_pki, pki_now)).indication == (
        Indication.TOTAL_FAILED
    )
