"""Hashes and signature verification by algorithm OID.

The one place that maps an AlgorithmIdentifier to code: DSTU 4145 with GOST 34.311 or Kupyna (our
own pure-Python modules), ECDSA and RSA (PKCS#1 v1.5 and PSS) through `cryptography`. Everything
above this module speaks OIDs and bytes only.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Protocol

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import asn1 as _asn1  # noqa: F401  (registers the OIDs used below)
from .asn1 import (
    OID_DSTU4145_GOST_ONB,
    OID_DSTU4145_GOST_PB,
    OID_DSTU4145_KUPYNA_256,
    OID_DSTU4145_KUPYNA_384,
    OID_DSTU4145_KUPYNA_512,
    OID_GOST34311,
    OID_KUPYNA_256,
    OID_KUPYNA_384,
    OID_KUPYNA_512,
)
from .errors import FormatError, InvalidKey, UnsupportedAlgorithm, VerifyError

if TYPE_CHECKING:
    from .dstu4145 import SignatureForm
    from .dstu4145_asn1 import DstuParams


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


_HASHLIB = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "2.16.840.1.101.3.4.2.8": "sha3_256",
    "2.16.840.1.101.3.4.2.9": "sha3_384",
    "2.16.840.1.101.3.4.2.10": "sha3_512",
}

_KUPYNA_BITS = {OID_KUPYNA_256: 256, OID_KUPYNA_384: 384, OID_KUPYNA_512: 512}

_CRYPTOGRAPHY_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}

# Signature algorithm OID -> digest OID for algorithms that name their hash.
_SIGNATURE_DIGEST = {
    OID_DSTU4145_GOST_PB: OID_GOST34311,
    OID_DSTU4145_GOST_ONB: OID_GOST34311,
    OID_DSTU4145_KUPYNA_256: OID_KUPYNA_256,
    OID_DSTU4145_KUPYNA_384: OID_KUPYNA_384,
    OID_DSTU4145_KUPYNA_512: OID_KUPYNA_512,
    # ECDSA
    "1.2.840.10045.4.1": "1.3.14.3.2.26",
    "1.2.840.10045.4.3.1": "2.16.840.1.101.3.4.2.4",
    "1.2.840.10045.4.3.2": "2.16.840.1.101.3.4.2.1",
    "1.2.840.10045.4.3.3": "2.16.840.1.101.3.4.2.2",
    "1.2.840.10045.4.3.4": "2.16.840.1.101.3.4.2.3",
    # RSA PKCS#1 v1.5
    "1.2.840.113549.1.1.5": "1.3.14.3.2.26",
    "1.2.840.113549.1.1.14": "2.16.840.1.101.3.4.2.4",
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
}

_DSTU_SIGNATURES = frozenset(
    {
        OID_DSTU4145_GOST_PB,
        OID_DSTU4145_GOST_ONB,
        OID_DSTU4145_KUPYNA_256,
        OID_DSTU4145_KUPYNA_384,
        OID_DSTU4145_KUPYNA_512,
    }
)
_ECDSA_SIGNATURES = frozenset(
    {"1.2.840.10045.2.1", "1.2.840.10045.4.1"} | {f"1.2.840.10045.4.3.{i}" for i in range(1, 5)}
)
_RSA_PKCS1 = frozenset(
    {"1.2.840.113549.1.1.1"} | {f"1.2.840.113549.1.1.{i}" for i in (5, 11, 12, 13, 14)}
)
_RSA_PSS = "1.2.840.113549.1.1.10"

_NAMES = {
    OID_GOST34311: "GOST 34.311-95",
    OID_KUPYNA_256: "Kupyna-256",
    OID_KUPYNA_384: "Kupyna-384",
    OID_KUPYNA_512: "Kupyna-512",
    OID_DSTU4145_GOST_PB: "DSTU 4145-2002 with GOST 34.311-95",
    OID_DSTU4145_GOST_ONB: "DSTU 4145-2002 (normal basis) with GOST 34.311-95",
    OID_DSTU4145_KUPYNA_256: "DSTU 4145-2002 with Kupyna-256",
    OID_DSTU4145_KUPYNA_384: "DSTU 4145-2002 with Kupyna-384",
    OID_DSTU4145_KUPYNA_512: "DSTU 4145-2002 with Kupyna-512",
    "1.2.840.10045.2.1": "ECDSA",
    "1.2.840.10045.4.3.2": "ECDSA with SHA-256",
    "1.2.840.10045.4.3.3": "ECDSA with SHA-384",
    "1.2.840.10045.4.3.4": "ECDSA with SHA-512",
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.11": "RSA with SHA-256",
    "1.2.840.113549.1.1.12": "RSA with SHA-384",
    "1.2.840.113549.1.1.13": "RSA with SHA-512",
    "1.2.840.113549.1.1.10": "RSA-PSS",
    "1.3.14.3.2.26": "SHA-1",
    "2.16.840.1.101.3.4.2.4": "SHA-224",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
}


def algorithm_name(oid: str) -> str:
    """A human label for reports; unknown OIDs are shown dotted."""
    return _NAMES.get(oid, oid)


def is_dstu(oid: str) -> bool:
    return oid in _DSTU_SIGNATURES


def hash_for_oid(oid: str, dke: bytes | None = None) -> Hasher:
    """A fresh hasher for a digest algorithm OID.

    `dke` is the S-box from the signer's DSTU key parameters; it only matters for GOST 34.311,
    whose S-box is a parameter (DKE No.1 when absent).
    """
    name = _HASHLIB.get(oid)
    if name is not None:
        return hashlib.new(name)
    if oid == OID_GOST34311:
        from . import gost34311

        # The agreed name is Gost34311Hash(sbox); accept the module's own class name too.
        cls = getattr(gost34311, "Gost34311Hash", None) or gost34311.Gost34311
        return cls(sbox=dke)  # type: ignore[no-any-return]
    bits = _KUPYNA_BITS.get(oid)
    if bits is not None:
        from . import kupyna

        kcls = getattr(kupyna, "KupynaHash", None) or kupyna.Kupyna
        return kcls(bits=bits)  # type: ignore[no-any-return]
    raise UnsupportedAlgorithm(f"digest algorithm {oid} is not supported")


def digest(oid: str, data: bytes, dke: bytes | None = None) -> bytes:
    h = hash_for_oid(oid, dke)
    h.update(data)
    return h.digest()


def digest_oid_for_signature(signature_oid: str) -> str | None:
    """The digest a signature algorithm names, or None for bare key algorithms (rsaEncryption)."""
    return _SIGNATURE_DIGEST.get(signature_oid)


def dstu_params(spki: keys.PublicKeyInfo) -> DstuParams:
    """Parse the DSTU 4145 parameters of a SubjectPublicKeyInfo (curve and optional S-box)."""
    from . import dstu4145_asn1

    params = spki["algorithm"]["parameters"]
    if params is None or isinstance(params, core.Void):
        raise FormatError("DSTU 4145 key without parameters")
    try:
        encoded = params.dump()
    except (ValueError, TypeError) as exc:
        # asn1crypto parses the parameters lazily and raises plain ValueError on damaged bytes:
        # that is a malformed key (a format failure), not an internal error.
        why = type(exc).__name__
        raise FormatError(f"DSTU 4145 key parameters cannot be read: {why}") from None
    return dstu4145_asn1.parse_params(encoded)


def key_dke(spki: keys.PublicKeyInfo) -> bytes | None:
    """The S-box carried by a DSTU key's parameters (None for other keys or no S-box)."""
    if spki["algorithm"]["algorithm"].dotted not in _DSTU_SIGNATURES:
        return None
    dke = dstu_params(spki).dke
    return bytes(dke) if dke is not None else None


def _oid_of(algorithm: Any) -> str:
    if isinstance(algorithm, str):
        return algorithm
    return str(algorithm["algorithm"].dotted)


def verify_with_key(
    spki: keys.PublicKeyInfo,
    signature_algorithm: algos.SignedDigestAlgorithm | str,
    signature: bytes,
    signed_bytes: bytes,
    *,
    form: SignatureForm,
    digest_algorithm: str | None = None,
) -> bool:
    """Verify `signature` over `signed_bytes` with the key in `spki`.

    `form` says where the signature came from ("cms": a SignerInfo; "certificate": the
    signatureValue of a certificate, CRL or OCSP response). It matters for DSTU 4145, whose two
    places use different encodings; the wrong one for the place raises FormatError.

    `digest_algorithm` names the hash when the signature OID does not (CMS SignerInfos often
    say only `rsaEncryption` or `ecPublicKey`, or a DSTU key OID next to a Kupyna digest). A
    wrong signature returns False; a key or algorithm we cannot use raises (InvalidKey,
    UnsupportedAlgorithm), so callers can tell "forged" from "cannot tell".
    """
    sig_oid = _oid_of(signature_algorithm)
    key_oid = spki["algorithm"]["algorithm"].dotted

    if sig_oid in _DSTU_SIGNATURES or (key_oid in _DSTU_SIGNATURES and sig_oid == key_oid):
        return _verify_dstu(spki, sig_oid, signature, signed_bytes, digest_algorithm, form)
    if sig_oid in _ECDSA_SIGNATURES:
        dig = _SIGNATURE_DIGEST.get(sig_oid) or digest_algorithm
        return _verify_ecdsa(spki, dig, signature, signed_bytes)
    if sig_oid in _RSA_PKCS1:
        dig = _SIGNATURE_DIGEST.get(sig_oid) or digest_algorithm
        return _verify_rsa_pkcs1(spki, dig, signature, signed_bytes)
    if sig_oid == _RSA_PSS:
        params = (
            signature_algorithm["parameters"] if not isinstance(signature_algorithm, str) else None
        )
        return _verify_rsa_pss(spki, params, signature, signed_bytes)
    raise UnsupportedAlgorithm(f"signature algorithm {sig_oid} is not supported")


def _verify_dstu(
    spki: keys.PublicKeyInfo,
    sig_oid: str,
    signature: bytes,
    signed_bytes: bytes,
    digest_algorithm: str | None,
    form: SignatureForm,
) -> bool:
    from . import dstu4145_asn1

    key_oid = spki["algorithm"]["algorithm"].dotted
    if key_oid not in _DSTU_SIGNATURES:
        raise InvalidKey(f"a DSTU 4145 signature needs a DSTU 4145 key, not {key_oid}")
    params = dstu_params(spki)
    if (
        sig_oid in (OID_DSTU4145_GOST_PB, OID_DSTU4145_GOST_ONB)
        and digest_algorithm in _KUPYNA_BITS
    ):
        dig_oid = digest_algorithm
    else:
        dig_oid = _SIGNATURE_DIGEST[sig_oid]
    dke = params.dke if dig_oid == OID_GOST34311 else None
    h = digest(dig_oid, signed_bytes, bytes(dke) if dke is not None else None)
    public_key = bytes(spki["public_key"].native)
    return bool(dstu4145_asn1.verify_signature(params, public_key, h, signature, form))


def _hash_obj(digest_oid: str | None) -> hashes.HashAlgorithm:
    if digest_oid is None:
        raise UnsupportedAlgorithm("signature without a digest algorithm")
    name = _HASHLIB.get(digest_oid)
    if name is None:
        raise UnsupportedAlgorithm(f"digest {digest_oid} cannot be used with ECDSA/RSA")
    return _CRYPTOGRAPHY_HASH[name]()


def _load_key(spki: keys.PublicKeyInfo) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        return load_der_public_key(spki.dump())
    except (ValueError, TypeError) as exc:
        raise InvalidKey(f"public key cannot be loaded: {exc}") from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm of its own
        raise UnsupportedAlgorithm(f"public key cannot be used: {exc}") from None


def _verify_ecdsa(
    spki: keys.PublicKeyInfo, digest_oid: str | None, signature: bytes, data: bytes
) -> bool:
    key = _load_key(spki)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidKey("ECDSA signature with a non-EC key")
    try:
        key.verify(signature, data, ec.ECDSA(_hash_obj(digest_oid)))
    except (InvalidSignature, ValueError):
        return False
    return True


def _verify_rsa_pkcs1(
    spki: keys.PublicKeyInfo, digest_oid: str | None, signature: bytes, data: bytes
) -> bool:
    key = _load_key(spki)
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKey("RSA signature with a non-RSA key")
    try:
        key.verify(signature, data, padding.PKCS1v15(), _hash_obj(digest_oid))
    except (InvalidSignature, ValueError):
        return False
    return True


def _verify_rsa_pss(spki: keys.PublicKeyInfo, params: Any, signature: bytes, data: bytes) -> bool:
    key = _load_key(spki)
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKey("RSA-PSS signature with a non-RSA key")
    hash_oid = "1.3.14.3.2.26"
    mgf_oid = "1.3.14.3.2.26"
    salt = 20
    if params is not None and not isinstance(params, core.Void):
        try:
            parsed = params if isinstance(params, algos.RSASSAPSSParams) else None
            if parsed is None:
                parsed = algos.RSASSAPSSParams.load(params.dump())
            hash_oid = parsed["hash_algorithm"]["algorithm"].dotted
            mgf = parsed["mask_gen_algorithm"]
            if mgf["algorithm"].dotted != "1.2.840.113549.1.1.8":
                raise UnsupportedAlgorithm("RSA-PSS with a mask generation other than MGF1")
            mgf_oid = mgf["parameters"]["algorithm"].dotted
            salt = int(parsed["salt_length"].native)
        except VerifyError:
            raise
        except Exception as exc:
            raise FormatError(f"RSA-PSS parameters unreadable: {exc}") from None
    pss = padding.PSS(mgf=padding.MGF1(_hash_obj(mgf_oid)), salt_length=salt)
    try:
        key.verify(signature, data, pss, _hash_obj(hash_oid))
    except (InvalidSignature, ValueError):
        return False
    return True
