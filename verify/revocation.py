"""Certificate status from OCSP responses and CRLs that we already hold.

Sources are the signature's own (SignedData `crls`, CAdES-X-Long revocationValues) and CRL files
an admin imported. Nothing is fetched. Every CRL and OCSP response is believed only after its
signature verifies: a CRL under the certificate issuer's key, an OCSP response under the issuer's
key or a delegated responder certificate that the issuer signed and marked for OCSP signing.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import core, ocsp
from asn1crypto import crl as asn1_crl

from . import algorithms
from . import der as der_walk
from .certs import OID_KP_OCSP_SIGNING, Certificate, name_key
from .errors import VerifyError
from .path import verify_certificate_signature

MAX_CRL_ENTRIES = 2_000_000


@dataclass(frozen=True)
class RevocationSources:
    crls: tuple[bytes, ...] = ()
    ocsp_basic: tuple[bytes, ...] = ()  # BasicOCSPResponse DER
    ocsp_responses: tuple[bytes, ...] = ()  # OCSPResponse DER (wrapping a basic response)
    certificates: tuple[Certificate, ...] = ()  # candidates for OCSP responder certificates


@dataclass(frozen=True)
class CertStatus:
    """What the sources say about one certificate."""

    status: str  # "good" | "revoked" | "unknown" | "none"
    source: str | None  # "ocsp" | "crl"
    this_update: datetime | None
    next_update: datetime | None
    revoked_at: datetime | None
    detail: str

    def fresh_at(self, when: datetime) -> bool:
        """Issued at or after `when`, or still current at `when`."""
        if self.this_update is None:
            return False
        if self.this_update >= when:
            return True
        return self.next_update is not None and self.this_update <= when <= self.next_update


NO_DATA = CertStatus("none", None, None, None, None, "no OCSP response or CRL covers it")


def certificate_status(
    cert: Certificate,
    issuer: Certificate,
    sources: RevocationSources,
    when: datetime,
) -> CertStatus:
    """The best-supported status of `cert` at `when`.

    A revocation at or before `when` wins over everything; otherwise a verified "good" that is
    fresh at `when` beats a stale one; a revocation after `when` means the certificate was
    still good at `when`.
    """
    found: list[CertStatus] = []
    for basic in _basic_responses(sources):
        status = _from_ocsp(cert, issuer, basic, sources.certificates)
        if status is not None:
            found.append(status)
    for der in sources.crls:
        status = _from_crl(cert, issuer, der)
        if status is not None:
            found.append(status)
    if not found:
        return NO_DATA
    revoked = [s for s in found if s.status == "revoked" and s.revoked_at and s.revoked_at <= when]
    if revoked:
        return min(revoked, key=lambda s: s.revoked_at or when)
    good = [s for s in found if s.status in ("good", "revoked")]
    if good:
        fresh = [s for s in good if s.fresh_at(when)]
        pick = max(fresh or good, key=lambda s: s.this_update or when)
        if pick.status == "revoked":
            return CertStatus(
                "good",
                pick.source,
                pick.this_update,
                pick.next_update,
                None,
                f"revoked only later ({pick.revoked_at}), good at the time checked",
            )
        return pick
    return found[0]


def _basic_responses(sources: RevocationSources) -> Iterable[ocsp.BasicOCSPResponse]:
    for der in sources.ocsp_basic:
        try:
            yield ocsp.BasicOCSPResponse.load(der)
        except Exception:
            continue
    for der in sources.ocsp_responses:
        try:
            resp = ocsp.OCSPResponse.load(der)
            if resp["response_status"].native != "successful":
                continue
            rb = resp["response_bytes"]
            if rb["response_type"].dotted != "1.3.6.1.5.5.7.48.1.1":
                continue
            yield ocsp.BasicOCSPResponse.load(bytes(rb["response"].__bytes__()))
        except Exception:
            continue


def _bitstring_value(cert: Certificate) -> bytes:
    """The subjectPublicKey BIT STRING value without its unused-bits octet (RFC 6960 keyHash)."""
    contents = cert.spki["public_key"].contents
    return bytes(contents[1:])


def _hash_matches(oid: str, data: bytes, expected: bytes, dke: bytes | None) -> bool:
    try:
        candidates = [algorithms.digest(oid, data)]
        if dke is not None and oid == algorithms.OID_GOST34311:
            candidates.append(algorithms.digest(oid, data, dke))
    except VerifyError:
        return False
    return any(hmac.compare_digest(c, expected) for c in candidates)


def _issuer_dke(issuer: Certificate) -> bytes | None:
    try:
        return algorithms.key_dke(issuer.spki)
    except Exception:
        return None


def _from_ocsp(
    cert: Certificate,
    issuer: Certificate,
    basic: ocsp.BasicOCSPResponse,
    known: Sequence[Certificate],
) -> CertStatus | None:
    try:
        data = basic["tbs_response_data"]
        responses = list(data["responses"])
    except Exception:
        return None
    dke = _issuer_dke(issuer)
    for single in responses:
        try:
            cert_id = single["cert_id"]
            if int(cert_id["serial_number"].native) != cert.serial:
                continue
            hash_oid = cert_id["hash_algorithm"]["algorithm"].dotted
            name_hash = bytes(cert_id["issuer_name_hash"].native)
            key_hash = bytes(cert_id["issuer_key_hash"].native)
        except Exception:
            continue
        if not _hash_matches(hash_oid, der_walk.received(issuer.subject_name), name_hash, dke):
            continue
        if not _hash_matches(hash_oid, _bitstring_value(issuer), key_hash, dke):
            continue
        signer = _ocsp_signer(basic, issuer, known)
        if signer is None:
            return CertStatus(
                "unknown", "ocsp", None, None, None, "OCSP response signature does not verify"
            )
        try:
            status = single["cert_status"]
            this_update = single["this_update"].native
            nu = single["next_update"]
            next_update = nu.native if nu is not None and not isinstance(nu, core.Void) else None
            if status.name == "good":
                return CertStatus("good", "ocsp", this_update, next_update, None, "OCSP: good")
            if status.name == "revoked":
                at = status.chosen["revocation_time"].native
                return CertStatus(
                    "revoked", "ocsp", this_update, next_update, at, f"OCSP: revoked {at}"
                )
            return CertStatus("unknown", "ocsp", this_update, next_update, None, "OCSP: unknown")
        except Exception:
            return None
    return None


def _ocsp_signer(
    basic: ocsp.BasicOCSPResponse, issuer: Certificate, known: Sequence[Certificate]
) -> Certificate | None:
    try:
        tbs = der_walk.received(basic["tbs_response_data"])
        sig_alg = basic["signature_algorithm"]
        signature = bytes(basic["signature"].native)
        embedded = []
        certs = basic["certs"]
        if certs is not None and not isinstance(certs, core.Void):
            for c in certs:
                try:
                    embedded.append(Certificate.from_der(der_walk.received(c)))
                except VerifyError:
                    continue
    except Exception:
        return None

    def verifies(candidate: Certificate) -> bool:
        try:
            return algorithms.verify_with_key(
                candidate.spki, sig_alg, signature, tbs, form="certificate"
            )
        except VerifyError:
            return False

    if verifies(issuer):
        return issuer
    for cand in [*embedded, *known]:
        if cand.issuer_key != issuer.subject_key:
            continue
        eku = cand.ext_key_usage
        if eku is None or OID_KP_OCSP_SIGNING not in eku:
            continue
        if verify_certificate_signature(cand, issuer) and verifies(cand):
            return cand
    return None


def _from_crl(cert: Certificate, issuer: Certificate, der: bytes) -> CertStatus | None:
    try:
        parsed = asn1_crl.CertificateList.load(der)
        tbs = parsed["tbs_cert_list"]
        if name_key(tbs["issuer"]) != cert.issuer_key:
            return None
    except Exception:
        return None
    try:
        ok = algorithms.verify_with_key(
            issuer.spki,
            parsed["signature_algorithm"],
            bytes(parsed["signature"].native),
            der_walk.received(tbs),
            form="certificate",
        )
    except VerifyError:
        ok = False
    except Exception:
        ok = False
    if not ok:
        return None  # a CRL of another key of the same name, or forged: not evidence
    try:
        this_update = tbs["this_update"].native
        nu = tbs["next_update"]
        next_update = nu.native if nu is not None and not isinstance(nu, core.Void) else None
        revoked = tbs["revoked_certificates"]
        entries = revoked if revoked is not None and not isinstance(revoked, core.Void) else []
        for count, entry in enumerate(entries):
            if count > MAX_CRL_ENTRIES:
                break
            if int(entry["user_certificate"].native) != cert.serial:
                continue
            reason = None
            for ext in entry["crl_entry_extensions"] or []:
                if ext["extn_id"].native == "crl_reason":
                    reason = ext["extn_value"].native
            if reason == "remove_from_crl":
                continue
            at = entry["revocation_date"].native
            return CertStatus("revoked", "crl", this_update, next_update, at, f"CRL: revoked {at}")
    except Exception:
        return None
    return CertStatus("good", "crl", this_update, next_update, None, "CRL: not listed")
