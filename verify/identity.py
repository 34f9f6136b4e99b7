"""Who signed, as a Ukrainian admin reads it: names, organisation, position and the two
taxpayer numbers, taken from where current Ukrainian qualified certificates put them.

- RNOKPP (the individual taxpayer number, formerly DRFO/ІПН): the subject's serialNumber
  `TINUA-<10 digits>` (ETSI EN 319 412-1 semantics identifier), else the DRFO attribute of the
  subjectDirectoryAttributes extension.
- EDRPOU (the legal entity code): the subject's organizationIdentifier `NTRUA-<8 digits>` (the
  placement of current Diia and bank certificates), else the EDRPOU attribute of the
  subjectDirectoryAttributes extension.

A value that is not the expected digits is not shown as a number: a wrong "РНОКПП" is worse
than none.
"""

from __future__ import annotations

import re

from .certs import Certificate, name_attributes
from .report import SignerSummary

OID_CN = "2.5.4.3"
OID_SURNAME = "2.5.4.4"
OID_GIVEN_NAME = "2.5.4.42"
OID_ORGANIZATION = "2.5.4.10"
OID_TITLE = "2.5.4.12"

_RNOKPP = re.compile(r"^(?:TINUA-)?(\d{10})$", re.IGNORECASE)
_EDRPOU = re.compile(r"^(?:NTRUA-)?(\d{8})$", re.IGNORECASE)


def _attr(cert: Certificate, oid: str) -> str | None:
    for attr_oid, text in cert.subject_attributes:
        if attr_oid == oid and text.strip():
            return text.strip()
    return None


def rnokpp(cert: Certificate) -> str | None:
    """The individual taxpayer number: serialNumber TINUA-…, else the DRFO attribute."""
    serial = (cert.subject_serial_number or "").strip()
    if serial.upper().startswith("TINUA-"):
        found = _RNOKPP.match(serial)
        if found:
            return found.group(1)
    drfo = (cert.drfo or "").strip()
    found = _RNOKPP.match(drfo)
    return found.group(1) if found else None


def edrpou(cert: Certificate) -> str | None:
    """The legal entity code: organizationIdentifier NTRUA-…, else the EDRPOU attribute."""
    org_id = (cert.organization_identifier or "").strip()
    if org_id.upper().startswith("NTRUA-"):
        found = _EDRPOU.match(org_id)
        if found:
            return found.group(1)
    attribute = (cert.edrpou or "").strip()
    found = _EDRPOU.match(attribute)
    return found.group(1) if found else None


def full_name(cert: Certificate) -> str | None:
    """Surname and given names when the certificate names a person, else the common name."""
    surname = _attr(cert, OID_SURNAME)
    given = _attr(cert, OID_GIVEN_NAME)
    if surname and given:
        return f"{surname} {given}"
    return _attr(cert, OID_CN) or surname or given


def issuer_name(cert: Certificate) -> str:
    """The issuing CA as people name it: its common name, else the whole issuer name."""
    for oid, text in name_attributes(cert.issuer_name):
        if oid == OID_CN and text.strip():
            return text.strip()
    return cert.issuer


def summary(cert: Certificate) -> SignerSummary:
    """The signer part of the report for `cert`."""
    return SignerSummary(
        subject=cert.subject,
        serial_number=cert.subject_serial_number,
        organization_identifier=cert.organization_identifier,
        issuer=cert.issuer,
        certificate_serial=cert.serial_hex,
        sha256=cert.sha256,
        common_name=cert.common_name,
        edrpou=edrpou(cert),
        surname=_attr(cert, OID_SURNAME),
        given_names=_attr(cert, OID_GIVEN_NAME),
        full_name=full_name(cert),
        organization=_attr(cert, OID_ORGANIZATION),
        title=_attr(cert, OID_TITLE),
        rnokpp=rnokpp(cert),
        issuer_ca=issuer_name(cert),
        not_before=cert.not_before,
        not_after=cert.not_after,
    )
