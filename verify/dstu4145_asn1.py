"""DSTU 4145 in ASN.1 and bytes: key parameters, public keys and signatures as Ukrainian
certificates and CMS carry them, and the verify/sign entry points that take those bytes.

Byte-level conventions of Ukrainian certificates and CMS (all little-endian):

* key parameters: `DSTU4145Params ::= SEQUENCE { CHOICE { ECBinary, namedCurve OID }, dke OCTET
  STRING OPTIONAL }`, `ECBinary ::= SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT 0,
  f BinaryField, a INTEGER, b OCTET STRING (little-endian), n INTEGER, bp OCTET STRING
  (compressed base point, little-endian) }`, `BinaryField ::= SEQUENCE { m INTEGER,
  CHOICE { k INTEGER, SEQUENCE { k, j, l INTEGER } } OPTIONAL }` (no polynomial: normal basis);
* public key: the subjectPublicKey BIT STRING holds a DER OCTET STRING with the compressed point;
* signature: r || s, each half little-endian and as long as the order n in bytes. A certificate's
  signatureValue BIT STRING holds it wrapped in a DER OCTET STRING; a CMS SignerInfo's signature
  OCTET STRING holds the bare r || s;
* digest: the hash output bytes read little-endian (that is, reversed) give the element h, of
  which the standard keeps the m low bits (and takes 1 for 0). The same holds for GOST 34.311
  (with the S-box from `dke` when present) and for Kupyna.

The arithmetic over the curve is in `verify/dstu4145.py`; this module only calls into it.
Parsed parameters and decoded keys are memoised by their bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import core

from .dstu4145 import (
    Curve,
    Point,
    SignatureForm,
    compress_point,
    decompress_point,
    generate_private_key,
    in_prime_subgroup,
    named_curve,
    on_curve,
    point_mul,
    sign,
    standard_curve,
    verify,
)
from .dstu_curves import CURVE_SPECS
from .errors import FormatError, InvalidKey, UnsupportedAlgorithm

__all__ = [
    "DstuParams",
    "decode_public_key",
    "decode_signature",
    "encode_params",
    "encode_public_key",
    "encode_signature",
    "parse_params",
    "sign_digest",
    "verify_signature",
]


# --------------------------------------------------------------------------------------------
# ASN.1: key parameters
# --------------------------------------------------------------------------------------------
class _Pentanomial(core.Sequence):
    _fields = [("k", core.Integer), ("j", core.Integer), ("l", core.Integer)]  # noqa: RUF012


class _Polynomial(core.Choice):
    _alternatives = [("trinomial", core.Integer), ("pentanomial", _Pentanomial)]  # noqa: RUF012


class _BinaryFieldAsn1(core.Sequence):
    _fields = [("m", core.Integer), ("poly", _Polynomial, {"optional": True})]  # noqa: RUF012


class _ECBinary(core.Sequence):
    _fields = [  # noqa: RUF012
        ("version", core.Integer, {"explicit": 0, "default": 0}),
        ("f", _BinaryFieldAsn1),
        ("a", core.Integer),
        ("b", core.OctetString),
        ("n", core.Integer),
        ("bp", core.OctetString),
    ]


class _CurveDefinition(core.Choice):
    _alternatives = [  # noqa: RUF012
        ("ec_binary", _ECBinary),
        ("named_curve", core.ObjectIdentifier),
    ]


class _DstuParamsAsn1(core.Sequence):
    _fields = [  # noqa: RUF012
        ("definition", _CurveDefinition),
        ("dke", core.OctetString, {"optional": True}),
    ]


@dataclass(frozen=True)
class DstuParams:
    """Parsed SubjectPublicKeyInfo parameters: the curve and the optional S-box (`dke`)."""

    curve: Curve
    dke: bytes | None = None
    oid: str | None = None


def parse_params(der: bytes) -> DstuParams:
    """Parse DSTU 4145 key parameters (explicit ECBinary or named curve, optional dke).

    Results are memoised by their bytes: an explicit curve costs a field set-up, a base-point
    decompression and, unless it is a standard curve, an n*G check, and the same issuer's
    parameters come back with every signature it made.
    """
    return _parse_params(bytes(der))


@lru_cache(maxsize=256)
def _parse_params(der: bytes) -> DstuParams:
    try:
        parsed = _DstuParamsAsn1.load(der, strict=True)
        definition = parsed["definition"]
        dke_v = parsed["dke"]
        dke = None if isinstance(dke_v, core.Void) else bytes(dke_v.native)
        if definition.name == "named_curve":
            oid = definition.chosen.dotted
            return DstuParams(named_curve(oid), dke, oid)
        ecb = definition.chosen
        version = ecb["version"].native
        m = ecb["f"]["m"].native
        poly = ecb["f"]["poly"]
        a = ecb["a"].native
        b_le = bytes(ecb["b"].native)
        n = ecb["n"].native
        bp_le = bytes(ecb["bp"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise FormatError(f"unreadable DSTU 4145 parameters: {exc}") from exc
    if version not in (0, None):
        raise UnsupportedAlgorithm(f"ECBinary version {version}")
    if isinstance(poly, core.Void):
        raise UnsupportedAlgorithm(
            "DSTU 4145 curve in normal basis is not supported", reason="UNSUPPORTED_CURVE"
        )
    if poly.name == "trinomial":
        ks: tuple[int, ...] = (poly.chosen.native,)
    else:
        pent = poly.chosen
        ks = (pent["k"].native, pent["j"].native, pent["l"].native)
    if a not in (0, 1):
        raise FormatError(f"ECBinary a={a} is not 0 or 1")
    # Hasse: n <= #E <= 2^m + 1 + 2^(m/2 + 1); a longer n is garbage (and would be slow).
    if not isinstance(m, int) or not 2 < m <= 1024 or not 1 < n < 1 << (m + 1):
        raise FormatError("ECBinary field degree or order out of range")
    b = int.from_bytes(b_le, "little")
    if not b or b >> m:
        raise FormatError("ECBinary b is zero or longer than the field")
    proto = Curve(m=m, ks=tuple(sorted(ks, reverse=True)), a=a, b=b, n=n, gx=0, gy=0)
    g = decompress_point(proto, proto.field.from_bytes_le(bp_le))
    curve = Curve(m=m, ks=proto.ks, a=a, b=b, n=n, gx=g.x, gy=g.y)
    # An explicit copy of a standard curve becomes the shared standard object (named, and with
    # its tables already built); any other curve has its base point checked.
    for name in CURVE_SPECS:
        std = standard_curve(name)
        if std == curve:
            curve = std
            break
    else:
        if not on_curve(curve, g) or not point_mul(curve, n, g).infinity:
            raise InvalidKey("ECBinary base point does not have the stated order")
    return DstuParams(curve, dke, None)


def encode_params(curve_oid: str | None, curve: Curve | None, dke: bytes | None) -> bytes:
    """SubjectPublicKeyInfo parameters DER: a named curve OID or an explicit ECBinary."""
    if curve_oid is not None:
        definition = _CurveDefinition(name="named_curve", value=core.ObjectIdentifier(curve_oid))
    elif curve is not None:
        f = curve.field
        ks = sorted(curve.ks)
        if len(ks) == 1:
            poly = _Polynomial(name="trinomial", value=ks[0])
        else:
            poly = _Polynomial(
                name="pentanomial", value=_Pentanomial({"k": ks[0], "j": ks[1], "l": ks[2]})
            )
        ecb = _ECBinary(
            {
                "f": _BinaryFieldAsn1({"m": curve.m, "poly": poly}),
                "a": curve.a,
                "b": f.to_bytes_le(curve.b),
                "n": curve.n,
                "bp": f.to_bytes_le(compress_point(curve, curve.G)),
            }
        )
        definition = _CurveDefinition(name="ec_binary", value=ecb)
    else:
        raise ValueError("either curve_oid or curve is required")
    fields: dict[str, object] = {"definition": definition}
    if dke is not None:
        fields["dke"] = dke
    return _DstuParamsAsn1(fields).dump()


# --------------------------------------------------------------------------------------------
# Keys and signatures as bytes
# --------------------------------------------------------------------------------------------
def _unwrap(data: bytes, sizes: Callable[[int], bool]) -> bytes:
    """The payload of `data` given raw, as a DER OCTET STRING, or as BIT STRING contents.

    `sizes` says which payload lengths are acceptable; wrapped forms are tried first because a
    raw payload that happens to read as a DER OCTET STRING of the full length is vanishingly rare.
    """
    candidates = []
    if data[:1] == b"\x00":
        candidates.append(data[1:])
    candidates.append(data)
    for cand in candidates:
        if len(cand) >= 2 and cand[0] == 0x04:
            try:
                octets = core.OctetString.load(cand, strict=True)
            except ValueError:
                octets = None
            if octets is not None and sizes(len(octets.contents)):
                return bytes(octets.contents)
    if sizes(len(data)):
        return bytes(data)
    raise FormatError(f"unexpected encoding of {len(data)} octets")


def decode_public_key(curve: Curve, key: bytes) -> Point:
    """The public point from its certificate encoding (compressed, little-endian).

    Raises InvalidKey unless the point lies on the curve and has order n. Memoised by
    (curve, bytes), since one issuer key verifies many signatures.
    """
    return _decode_public_key(curve, bytes(key))


@lru_cache(maxsize=256)
def _decode_public_key(curve: Curve, key: bytes) -> Point:
    size = curve.field.byte_len
    try:
        raw = _unwrap(key, lambda n: n == size)
    except FormatError as exc:
        raise InvalidKey(f"public key: {exc.detail}") from exc
    q = decompress_point(curve, int.from_bytes(raw, "little"))
    if not in_prime_subgroup(curve, q):
        raise InvalidKey("public key is not a point of order n")
    return q


def encode_public_key(curve: Curve, q: Point) -> bytes:
    """The subjectPublicKey BIT STRING payload: a DER OCTET STRING of the compressed point."""
    return core.OctetString(curve.field.to_bytes_le(compress_point(curve, q))).dump()


def _digest_element(curve: Curve, digest: bytes) -> int:
    if not digest:
        raise FormatError("empty digest")
    return int.from_bytes(digest, "little")


def decode_signature(
    curve: Curve, signature: bytes, form: SignatureForm | None = None
) -> tuple[int, int]:
    """(r, s) from r || s little-endian halves.

    `form` is where the signature was found, and each place has one encoding: "cms" (a
    SignerInfo's signature OCTET STRING holds the bare r || s) or "certificate" (the
    signatureValue BIT STRING of a certificate, CRL or OCSP response holds a DER OCTET STRING
    of r || s). The other form in either place is a FormatError. None accepts both, for tools.
    """
    half_min = curve.order_bytes

    def sizes(n: int) -> bool:
        return n >= 2 * half_min and not n & 1

    data = bytes(signature)
    if form == "cms":
        if len(data) != 2 * half_min and _wrapped_payload(data, sizes) is not None:
            raise FormatError(
                "DSTU 4145 signature in a SignerInfo is wrapped in an extra OCTET STRING; "
                "it must be the bare r||s"
            )
        if not sizes(len(data)):
            raise FormatError(f"DSTU 4145 signature of {len(data)} octets")
        raw = data
    elif form == "certificate":
        payload = _wrapped_payload(data, sizes)
        if payload is None:
            raise FormatError(
                "DSTU 4145 signatureValue must hold an OCTET STRING of r||s; found bare octets"
            )
        raw = payload
    else:
        raw = _unwrap(data, sizes)
    half = len(raw) // 2
    return int.from_bytes(raw[:half], "little"), int.from_bytes(raw[half:], "little")


def _wrapped_payload(data: bytes, sizes: Callable[[int], bool]) -> bytes | None:
    """The payload when `data` is exactly one DER OCTET STRING of an acceptable size."""
    if len(data) < 2 or data[0] != 0x04:
        return None
    try:
        octets = core.OctetString.load(data, strict=True)
    except ValueError:
        return None
    payload = bytes(octets.contents)
    return payload if sizes(len(payload)) else None


def encode_signature(curve: Curve, r: int, s: int, *, wrapped: bool = True) -> bytes:
    """r || s little-endian, each as long as n; wrapped in a DER OCTET STRING by default."""
    size = curve.order_bytes
    raw = r.to_bytes(size, "little") + s.to_bytes(size, "little")
    return core.OctetString(raw).dump() if wrapped else raw


def verify_signature(
    params: DstuParams,
    public_key: bytes,
    digest: bytes,
    signature: bytes,
    form: SignatureForm | None = None,
) -> bool:
    """Verify a certificate or CMS DSTU 4145 signature over a hash output.

    `public_key` is the subjectPublicKey BIT STRING payload (or the bare compressed point),
    `digest` the hash output as the hash function returns it, `signature` the certificate's
    signatureValue payload or the CMS SignerInfo signature (raw r || s), `form` which of the two
    it is (see `decode_signature`). Raises InvalidKey for an unusable key and FormatError for a
    signature in the wrong encoding for its place; returns False for a wrong one.
    """
    curve = params.curve
    q = decode_public_key(curve, public_key)
    if form is not None:
        r, s = decode_signature(curve, signature, form)
        return verify(curve, q, _digest_element(curve, digest), r, s)
    try:
        r, s = decode_signature(curve, signature)
    except FormatError:
        return False
    return verify(curve, q, _digest_element(curve, digest), r, s)


def sign_digest(
    params: DstuParams,
    private_key: int,
    digest: bytes,
    *,
    e: int | None = None,
    wrapped: bool = True,
) -> bytes:
    """Sign a hash output; the result is what `verify_signature` takes.

    `wrapped=True` gives the certificate form (a DER OCTET STRING, the signatureValue BIT STRING
    payload); `wrapped=False` the bare r || s that goes into a CMS SignerInfo signature. A fixed
    `e` is for known-answer tests only.
    """
    curve = params.curve
    h = _digest_element(curve, digest)
    while True:
        k = e if e is not None else generate_private_key(curve)
        try:
            r, s = sign(curve, private_key, h, k)
        except ValueError:
            if e is not None:
                raise
            continue
        return encode_signature(curve, r, s, wrapped=wrapped)
