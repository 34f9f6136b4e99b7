"""Teach asn1crypto the Ukrainian object identifiers and the CAdES attributes it lacks.

asn1crypto keeps its OID maps and attribute specs as class attributes, so registering a name is
process-wide. That is acceptable here, and is the way asn1crypto itself does it (its own `tsp`
module adds `signing_certificate_v2` to `cms.CMSAttribute` at import): the registrations only teach
the *parser* names and value types for OIDs it would otherwise leave unnamed. They change no
verification decision, hold no per-request data, and are identical every time, so doing them once
at import (guarded, so a second import or a reload is a no-op) introduces no mutable state that
any caller could observe differently.

The one behavioural change is `PublicKeyInfo`'s public-key spec: asn1crypto raises `KeyError` for
a key algorithm it does not know, which would make every DSTU 4145 certificate unreadable. We fall
back to an opaque bit string for unknown algorithms; known algorithms keep asn1crypto's spec.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import algos, cms, core, crl, keys, ocsp, x509
from asn1crypto import tsp as _tsp  # noqa: F401  (registers signingCertificateV2, TSTInfo)

# Digest algorithms.
OID_GOST34311 = "1.2.804.2.1.1.1.1.2.1"
OID_KUPYNA_256 = "1.2.804.2.1.1.1.1.2.2.1"
OID_KUPYNA_384 = "1.2.804.2.1.1.1.1.2.2.2"
OID_KUPYNA_512 = "1.2.804.2.1.1.1.1.2.2.3"

# DSTU 4145 key / signature algorithms (the same OID names the key and the signature).
OID_DSTU4145_GOST_PB = "1.2.804.2.1.1.1.1.3.1.1"  # polynomial basis, little-endian
OID_DSTU4145_GOST_ONB = "1.2.804.2.1.1.1.1.3.1.2"  # optimal normal basis
OID_DSTU4145_KUPYNA_256 = "1.2.804.2.1.1.1.1.3.6.1.1"
OID_DSTU4145_KUPYNA_384 = "1.2.804.2.1.1.1.1.3.6.2.1"
OID_DSTU4145_KUPYNA_512 = "1.2.804.2.1.1.1.1.3.6.3.1"

# Ukrainian subject directory attributes (taxpayer numbers) and certificate policy.
OID_UA_DRFO = "1.2.804.2.1.1.1.11.1.4.1.1"
OID_UA_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1"
OID_UA_POLICY_QUALIFIED = "1.2.804.2.1.1.1.2.2"

# CAdES unsigned / signed attributes asn1crypto does not name.
OID_CONTENT_TIMESTAMP = "1.2.840.113549.1.9.16.2.20"
OID_CERTIFICATE_VALUES = "1.2.840.113549.1.9.16.2.23"
OID_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"

_MARKER = "_diia_inbox_registered"


class CertificateValues(core.SequenceOf):
    """ETSI TS 101 733 `CertificateValues ::= SEQUENCE OF Certificate`."""

    _child_spec = x509.Certificate


class SetOfCertificateValues(core.SetOf):
    _child_spec = CertificateValues


class CRLValues(core.SequenceOf):
    _child_spec = crl.CertificateList


class BasicOCSPResponses(core.SequenceOf):
    _child_spec = ocsp.BasicOCSPResponse


class RevocationValues(core.Sequence):
    """ETSI TS 101 733 `RevocationValues` (crlVals, ocspVals, otherRevVals)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("crl_vals", CRLValues, {"explicit": 0, "optional": True}),
        ("ocsp_vals", BasicOCSPResponses, {"explicit": 1, "optional": True}),
        ("other_rev_vals", core.Any, {"explicit": 2, "optional": True}),
    ]


class SetOfRevocationValues(core.SetOf):
    _child_spec = RevocationValues


def _register() -> None:
    if getattr(core.ObjectIdentifier, _MARKER, False):
        return

    algos.DigestAlgorithmId._map.update(
        {
            OID_GOST34311: "gost34311",
            OID_KUPYNA_256: "kupyna256",
            OID_KUPYNA_384: "kupyna384",
            OID_KUPYNA_512: "kupyna512",
        }
    )
    algos.SignedDigestAlgorithmId._map.update(
        {
            OID_DSTU4145_GOST_PB: "dstu4145_gost34311",
            OID_DSTU4145_GOST_ONB: "dstu4145_onb_gost34311",
            OID_DSTU4145_KUPYNA_256: "dstu4145_kupyna256",
            OID_DSTU4145_KUPYNA_384: "dstu4145_kupyna384",
            OID_DSTU4145_KUPYNA_512: "dstu4145_kupyna512",
        }
    )
    keys.PublicKeyAlgorithmId._map.update(
        {
            OID_DSTU4145_GOST_PB: "dstu4145",
            OID_DSTU4145_GOST_ONB: "dstu4145_onb",
        }
    )

    original = keys.PublicKeyInfo._spec_callbacks["public_key"]

    def public_key_spec(self: keys.PublicKeyInfo) -> Any:
        try:
            return original(self)
        except KeyError:
            # DSTU 4145 (and anything else unknown): the BIT STRING is kept opaque; the DSTU
            # module unwraps the OCTET STRING inside it.
            return (core.OctetBitString, None)

    keys.PublicKeyInfo._spec_callbacks = {"public_key": public_key_spec}

    cms.CMSAttributeType._map.update(
        {
            OID_CONTENT_TIMESTAMP: "content_time_stamp",
            OID_CERTIFICATE_VALUES: "certificate_values",
            OID_REVOCATION_VALUES: "revocation_values",
        }
    )
    cms.CMSAttribute._oid_specs.update(
        {
            "content_time_stamp": cms.SetOfContentInfo,
            "certificate_values": SetOfCertificateValues,
            "revocation_values": SetOfRevocationValues,
        }
    )
    # asn1crypto builds each class's name -> OID map once, on first use; drop any built before
    # our names were added, so encoding a value with a Ukrainian OID name works too.
    for cls in (
        algos.DigestAlgorithmId,
        algos.SignedDigestAlgorithmId,
        keys.PublicKeyAlgorithmId,
        cms.CMSAttributeType,
    ):
        cls._reverse_map = None
    # `tsp` (imported above) registers signing_certificate(_v2) and TSTInfo on its own import.
    setattr(core.ObjectIdentifier, _MARKER, True)


_register()
