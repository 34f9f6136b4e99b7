"""DSTU 4145-2002: standard curves, known answers, real certificates and CMS, round trips.

Every positive check has its tampered twin next to it. Vectors come from the shared
`test-vectors/` folder (curves.json, kat.json, certs/, cms/).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, core, x509
from hypothesis import given, settings
from hypothesis import strategies as st

from verify import dstu4145 as D
from verify import dstu4145_asn1 as DA
from verify.dstu_curves import CURVE_SPECS, NAMED_CURVE_OIDS
from verify.errors import FormatError, InvalidKey, UnsupportedAlgorithm

# Every known answer and tamper test runs on the C kernels and on pure Python (conftest.py).
pytestmark = pytest.mark.usefixtures("kernels")

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
CERTS = VECTORS / "certs"

HAVE_GOST = importlib.util.find_spec("verify.gost34311") is not None
HAVE_KUPYNA = importlib.util.find_spec("verify.kupyna") is not None
NO_GOST = "verify/gost34311.py (engineer A) is not there yet"
NO_KUPYNA = "verify/kupyna.py (engineer A) is not there yet"


@cache
def _json(name: str) -> Any:
    return json.loads((VECTORS / "dstu4145" / name).read_text())


CURVES_JSON: dict[str, dict[str, Any]] = _json("curves.json")["curves"]
KAT: list[dict[str, str]] = _json("kat.json")["vectors"]


def _flip(value: int, bit: int) -> int:
    return value ^ (1 << bit)


def _positions(width: int, count: int = 24) -> list[int]:
    """`count` bit positions spread over [0, width), always including both ends."""
    if width <= count:
        return list(range(width))
    step = (width - 1) / (count - 1)
    return sorted({round(i * step) for i in range(count)})


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CURVES_JSON))
def test_embedded_curve_matches_vectors(name: str) -> None:
    spec = CURVES_JSON[name]
    curve = D.curve_by_name(name)
    assert curve.m == spec["m"]
    assert sorted(curve.ks) == sorted(spec["ks"])
    assert curve.a == spec["a"]
    assert curve.b == int(spec["b"], 16)
    assert curve.n == int(spec["order"], 16)
    assert (curve.gx, curve.gy) == (int(spec["Gx"], 16), int(spec["Gy"], 16))


@pytest.mark.parametrize("name", sorted(CURVES_JSON))
def test_base_point_on_curve_with_stated_order(name: str) -> None:
    curve = D.curve_by_name(name)
    g = curve.G
    assert D.on_curve(curve, g)
    assert D.point_mul(curve, curve.n, g).infinity  # n * G = O
    # ... and not earlier: n is prime, so (n - 1) G = -G is a proper point.
    assert D.point_mul(curve, curve.n - 1, g) == D.point_neg(curve, g)
    assert curve.cofactor in (2, 4)
    # Tampered twin: a point moved off the curve.
    assert not D.on_curve(curve, D.Point(g.x, g.y ^ 1))


def test_scalar_multiplication_agrees_with_repeated_addition() -> None:
    curve = D.curve_by_name("DSTU_163")
    acc = D.INFINITY
    for k in range(1, 20):
        acc = D.point_add(curve, acc, curve.G)
        assert D.point_mul(curve, k, curve.G) == acc
    p = D.point_mul(curve, 12345, curve.G)
    assert D.point_mul(curve, 7, p) == D.point_mul(curve, 7 * 12345, curve.G)
    assert D.point_add(curve, p, D.point_neg(curve, p)).infinity
    assert D.point_mul(curve, 2, p) == D.point_add(curve, p, p)


@given(k=st.integers(0, 2**300), w=st.integers(2, 8))
@settings(max_examples=60, deadline=None)
def test_wnaf_digits(k: int, w: int) -> None:
    digits = D._wnaf(k, w)
    assert sum(d << i for i, d in enumerate(digits)) == k
    nonzero = [i for i, d in enumerate(digits) if d]
    for d in digits:
        assert d == 0 or (d & 1 and abs(d) < 1 << (w - 1))
    # Any w consecutive digits hold at most one non-zero one.
    assert all(b - a >= w for a, b in itertools.pairwise(nonzero))


def test_small_order_points() -> None:
    curve = D.curve_by_name("DSTU_257")
    t2 = D.decompress_point(curve, 0)
    assert D.point_mul(curve, 2, t2).infinity
    assert D.point_mul(curve, 3, t2) == t2
    t4 = D._halve(curve, t2)
    assert t4 is not None
    assert D.point_mul(curve, 4, t4).infinity and not D.point_mul(curve, 2, t4).infinity
    assert D.point_mul(curve, 3, t4) == D.point_neg(curve, t4)


def test_named_curve_oids() -> None:
    expected_m = [163, 167, 173, 179, 191, 233, 257, 307, 367, 431]
    for i, m in enumerate(expected_m):
        curve = D.named_curve(f"1.2.804.2.1.1.1.1.3.1.1.2.{i}")
        assert curve.m == m
        assert curve.oid == f"1.2.804.2.1.1.1.1.3.1.1.2.{i}"
    assert len(NAMED_CURVE_OIDS) == 10
    assert "DSTU_163_TEST" in CURVE_SPECS
    with pytest.raises(UnsupportedAlgorithm):
        D.named_curve("1.2.804.2.1.1.1.1.3.1.1.2.10")
    with pytest.raises(UnsupportedAlgorithm):
        D.curve_by_name("DSTU_999")


@pytest.mark.parametrize("name", ["DSTU_163", "DSTU_257", "DSTU_431"])
def test_point_compression_round_trip(name: str) -> None:
    curve = D.curve_by_name(name)
    rng = random.Random(7)
    for _ in range(4):
        p = D.point_mul(curve, rng.randrange(1, curve.n), curve.G)
        for q in (p, D.point_neg(curve, p)):
            assert D.decompress_point(curve, D.compress_point(curve, q)) == q
    # The point of order 2 is (0, sqrt b) and compresses to 0.
    t2 = D.decompress_point(curve, 0)
    assert t2.x == 0 and D.on_curve(curve, t2)


def test_decompress_rejects_x_without_point() -> None:
    curve = D.curve_by_name("DSTU_257")
    f = curve.field
    rejected = 0
    for k in range(2, 80, 2):
        x = k if f.trace(k) == curve.a else k | 1
        c = x ^ curve.a ^ f.mul(curve.b, f.sqr(f.inv(x)))
        if f.trace(c):
            with pytest.raises(InvalidKey):
                D.decompress_point(curve, k)
            rejected += 1
        else:
            assert D.on_curve(curve, D.decompress_point(curve, k))
    assert rejected
    with pytest.raises(InvalidKey):
        D.decompress_point(curve, 1 << curve.m)


@pytest.mark.parametrize("name", ["DSTU_163", "DSTU_173", "DSTU_257", "DSTU_431"])
def test_prime_subgroup_check_agrees_with_n_times_p(name: str) -> None:
    """The cofactor shortcut (trace / point halving) against the definition n*P = O."""
    curve = D.curve_by_name(name)
    t2 = D.decompress_point(curve, 0)
    g = curve.G
    cases = [g, D.point_mul(curve, 987654321, g), D.point_add(curve, g, t2), t2]
    if curve.cofactor == 4:
        # A point of order 4 (a half of T2) added to G gives order 4n.
        t4 = D._halve(curve, t2)
        assert t4 is not None and D.point_mul(curve, 2, t4) == t2
        cases.append(D.point_add(curve, g, t4))
    for p in cases:
        expected = not p.infinity and D.point_mul(curve, curve.n, p).infinity
        assert D.in_prime_subgroup(curve, p) == expected
    assert D.in_prime_subgroup(curve, g)
    assert not D.in_prime_subgroup(curve, D.point_add(curve, g, t2))


def test_public_key_of_order_2n_is_rejected() -> None:
    """On m=257 (cofactor 4) G + T2 survives compression yet is not in the subgroup."""
    curve = D.curve_by_name("DSTU_257")
    bad = D.point_add(curve, curve.G, D.decompress_point(curve, 0))
    encoded = DA.encode_public_key(curve, bad)
    assert D.decompress_point(curve, int.from_bytes(encoded[2:], "little")) == bad
    with pytest.raises(InvalidKey):
        DA.decode_public_key(curve, encoded)
    # Twin: the genuine point decodes.
    assert DA.decode_public_key(curve, DA.encode_public_key(curve, curve.G)) == curve.G


# --------------------------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------------------------
def _kat(vector: dict[str, str]) -> tuple[D.Curve, int, int, int, D.Point, int, int]:
    curve = D.curve_by_name(vector["curve"])
    size = curve.field.byte_len
    qxy = vector["public_key_xy"]
    q = D.Point(int(qxy[: 2 * size], 16), int(qxy[2 * size :], 16))
    sr = vector["signature_s_r"]
    half = len(sr) // 2
    s, r = int(sr[:half], 16), int(sr[half:], 16)
    return (
        curve,
        int(vector["private_d"], 16),
        int(vector["random_e"], 16),
        int(vector["digest_H"], 16),
        q,
        r,
        s,
    )


@pytest.mark.parametrize("vector", KAT, ids=lambda v: v["curve"])
def test_kat_sign_gives_the_known_signature(vector: dict[str, str]) -> None:
    curve, d, e, h, q, r, s = _kat(vector)
    assert D.public_point(curve, d) == q
    assert D.sign(curve, d, h, e) == (r, s)
    assert D.verify(curve, q, h, r, s)
    # Twin: another one-time secret gives another signature that still verifies.
    r2, s2 = D.sign(curve, d, h, e + 1)
    assert (r2, s2) != (r, s)
    assert D.verify(curve, q, h, r2, s2)


@pytest.mark.parametrize("vector", KAT, ids=lambda v: v["curve"])
def test_kat_verify_rejects_every_one_bit_change(vector: dict[str, str]) -> None:
    curve, _, _, h, q, r, s = _kat(vector)
    assert D.verify(curve, q, h, r, s)
    width = curve.order_bytes * 8
    # The standard uses the m low bits of H, so only those can change the answer.
    for bit in _positions(min(curve.m, h.bit_length() + 8)):
        assert not D.verify(curve, q, _flip(h, bit), r, s), f"H bit {bit}"
    for bit in _positions(width):
        assert not D.verify(curve, q, h, _flip(r, bit), s), f"r bit {bit}"
        assert not D.verify(curve, q, h, r, _flip(s, bit)), f"s bit {bit}"
    for bit in _positions(curve.m, 12):
        assert not D.verify(curve, D.Point(_flip(q.x, bit), q.y), h, r, s), f"Qx bit {bit}"
        assert not D.verify(curve, D.Point(q.x, _flip(q.y, bit)), h, r, s), f"Qy bit {bit}"
    # A valid point that is not the key (the key's negative) is rejected too.
    assert not D.verify(curve, D.point_neg(curve, q), h, r, s)


def test_kat_hash_bits_above_m_do_not_count() -> None:
    """m=163 with a 256-bit H: the standard reduces H to its m low bits."""
    curve, _, _, h, q, r, s = _kat(KAT[0])
    assert curve.m == 163 and h.bit_length() > curve.m
    assert D.verify(curve, q, h & ((1 << curve.m) - 1), r, s)
    assert not D.verify(curve, q, _flip(h, curve.m - 1), r, s)


def test_verify_rejects_out_of_range_values() -> None:
    curve, _, _, h, q, r, s = _kat(KAT[1])
    n = curve.n
    for rr, ss in [(0, s), (r, 0), (r + n, s), (r, s + n), (n, s), (r, n)]:
        assert not D.verify(curve, q, h, rr, ss)
    assert not D.verify(curve, D.INFINITY, h, r, s)
    assert D.verify(curve, q, h, r, s)


@pytest.mark.parametrize("vector", KAT, ids=lambda v: v["curve"])
def test_kat_through_byte_encoding(vector: dict[str, str]) -> None:
    """sign_digest/verify_signature with the KAT's H given as a digest (bytes reversed)."""
    curve, d, e, h, q, r, s = _kat(vector)
    params = DA.DstuParams(curve)
    digest = h.to_bytes(32, "little")
    sig = DA.sign_digest(params, d, digest, e=e)
    size = curve.order_bytes
    assert sig == core.OctetString(r.to_bytes(size, "little") + s.to_bytes(size, "little")).dump()
    key = DA.encode_public_key(curve, q)
    assert DA.verify_signature(params, key, digest, sig)
    assert not DA.verify_signature(params, key, bytes([digest[0] ^ 1]) + digest[1:], sig)
    # One-bit changes of the compressed key: either no key of order n, or the wrong key.
    compressed = int.from_bytes(key[2:], "little")
    valid_other = 0
    for bit in _positions(curve.m, 12):
        bad = core.OctetString(curve.field.to_bytes_le(_flip(compressed, bit))).dump()
        try:
            assert not DA.verify_signature(params, bad, digest, sig), f"Q bit {bit}"
            valid_other += 1
        except InvalidKey:
            pass
    assert valid_other  # some flips do give a valid key, which must still fail


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["DSTU_257", "DSTU_431"])
def test_sign_verify_round_trip(name: str) -> None:
    curve = D.curve_by_name(name)
    params = DA.DstuParams(curve, None, curve.oid)
    rng = random.Random(2024)
    d = D.generate_private_key(curve, rng)
    key = DA.encode_public_key(curve, D.public_point(curve, d))
    assert DA.decode_public_key(curve, key) == D.public_point(curve, d)
    digest = bytes(rng.getrandbits(8) for _ in range(32))
    sig = DA.sign_digest(params, d, digest)
    assert DA.verify_signature(params, key, digest, sig)
    # The CMS form (bare r || s) verifies too, and so does the BIT STRING payload with its
    # unused-bits octet.
    bare = DA.sign_digest(params, d, digest, wrapped=False)
    assert len(bare) == 2 * curve.order_bytes
    assert DA.verify_signature(params, key, digest, bare)
    assert DA.verify_signature(params, key, digest, b"\x00" + sig)
    # Tampered twins: digest, signature, key.
    assert not DA.verify_signature(params, key, digest[:-1] + bytes([digest[-1] ^ 0x80]), sig)
    assert not DA.verify_signature(params, key, digest, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not DA.verify_signature(params, key, digest, bare[:5] + bytes([bare[5] ^ 4]) + bare[6:])
    other = DA.encode_public_key(curve, D.public_point(curve, D.generate_private_key(curve, rng)))
    assert not DA.verify_signature(params, other, digest, sig)


@given(seed=st.integers(0, 2**32), digest=st.binary(min_size=32, max_size=32))
@settings(max_examples=8, deadline=None)
def test_sign_verify_random_keys_m163(seed: int, digest: bytes) -> None:
    curve = D.curve_by_name("DSTU_163")
    params = DA.DstuParams(curve)
    rng = random.Random(seed)
    d = D.generate_private_key(curve, rng)
    key = DA.encode_public_key(curve, D.public_point(curve, d))
    sig = DA.sign_digest(params, d, digest)
    assert DA.verify_signature(params, key, digest, sig)
    flipped = bytes([digest[0] ^ 2]) + digest[1:]
    assert not DA.verify_signature(params, key, flipped, sig)


def test_signature_encoding_forms() -> None:
    curve = D.curve_by_name("DSTU_257")
    r, s = 0x1234, 0xABCDEF
    bare = DA.encode_signature(curve, r, s, wrapped=False)
    assert bare[:2] == b"\x34\x12" and len(bare) == 64
    wrapped = DA.encode_signature(curve, r, s)
    assert wrapped[:2] == b"\x04\x40" and wrapped[2:] == bare
    for form in (bare, wrapped, b"\x00" + wrapped):
        assert DA.decode_signature(curve, form) == (r, s)
    with pytest.raises(FormatError):
        DA.decode_signature(curve, bare[:-1])
    with pytest.raises(FormatError):
        DA.decode_signature(curve, bare[:-2])


def test_key_of_wrong_length_is_invalid() -> None:
    curve = D.curve_by_name("DSTU_257")
    key = DA.encode_public_key(curve, curve.G)
    with pytest.raises(InvalidKey):
        DA.decode_public_key(curve, key[:-1])
    with pytest.raises(InvalidKey):
        DA.decode_public_key(curve, key + b"\x00")


def test_private_key_range() -> None:
    curve = D.curve_by_name("DSTU_163")
    with pytest.raises(InvalidKey):
        D.public_point(curve, 0)
    with pytest.raises(InvalidKey):
        D.public_point(curve, curve.n)
    assert D.public_point(curve, curve.n + 5) == D.public_point(curve, 5)


# --------------------------------------------------------------------------------------------
# Key parameters
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["DSTU_163", "DSTU_257", "DSTU_431", "DSTU_163_TEST"])
def test_explicit_params_round_trip(name: str) -> None:
    curve = D.curve_by_name(name)
    dke = bytes(range(64))
    der = DA.encode_params(None, curve, dke)
    parsed = DA.parse_params(der)
    assert parsed.curve == curve
    assert parsed.dke == dke
    assert parsed.oid is None
    assert DA.encode_params(None, parsed.curve, parsed.dke) == der
    assert DA.parse_params(DA.encode_params(None, curve, None)).dke is None


def test_named_params_round_trip() -> None:
    oid = "1.2.804.2.1.1.1.1.3.1.1.2.6"
    der = DA.encode_params(oid, None, None)
    parsed = DA.parse_params(der)
    assert parsed.oid == oid and parsed.curve.m == 257 and parsed.dke is None
    with pytest.raises(UnsupportedAlgorithm):
        DA.parse_params(DA.encode_params("1.2.804.2.1.1.1.1.3.1.1.2.77", None, None))


def test_explicit_params_with_wrong_base_point_order() -> None:
    """An ECBinary whose base point has order 2n (m=257, cofactor 4) is refused."""
    std = D.curve_by_name("DSTU_257")
    bad_g = D.point_add(std, std.G, D.decompress_point(std, 0))
    bad = D.Curve(std.m, std.ks, std.a, std.b, std.n, bad_g.x, bad_g.y)
    with pytest.raises(InvalidKey):
        DA.parse_params(DA.encode_params(None, bad, None))


def test_normal_basis_params_are_unsupported() -> None:
    # ECBinary with BinaryField ::= SEQUENCE { m } and no polynomial: normal basis.
    std = D.curve_by_name("DSTU_163")
    f = std.field
    ecb = core.Sequence(
        contents=core.Sequence(contents=core.Integer(163).dump()).dump()
        + core.Integer(1).dump()
        + core.OctetString(f.to_bytes_le(std.b)).dump()
        + core.Integer(std.n).dump()
        + core.OctetString(f.to_bytes_le(D.compress_point(std, std.G))).dump()
    )
    der = core.Sequence(contents=ecb.dump()).dump()
    with pytest.raises(UnsupportedAlgorithm):
        DA.parse_params(der)


@pytest.mark.parametrize("der", [b"", b"\x30\x00", b"\x04\x02ab", b"\x30\x03\x02\x01\x05"])
def test_unreadable_params(der: bytes) -> None:
    with pytest.raises(FormatError):
        DA.parse_params(der)


# --------------------------------------------------------------------------------------------
# Real certificates and CMS
# --------------------------------------------------------------------------------------------
def _raw_spki(cert: x509.Certificate) -> tuple[bytes, bytes]:
    """(parameters DER, BIT STRING payload) read raw: asn1crypto does not know the DSTU OIDs."""
    spki = core.Sequence.load(cert["tbs_certificate"]["subject_public_key_info"].dump())
    algorithm = core.Sequence.load(spki[0].dump())
    return algorithm[1].dump(), bytes(spki[1].contents[1:])


@cache
def _cert(name: str) -> x509.Certificate:
    return x509.Certificate.load((CERTS / name).read_bytes())


def _dstu_key(name: str) -> tuple[DA.DstuParams, bytes]:
    params_der, key = _raw_spki(_cert(name))
    return DA.parse_params(params_der), key


REAL_KEYS = [
    # name, m, named-curve OID or None, has dke
    ("czo-root-2017-gost34311.cer", 431, None, True),
    ("czo-root-kupyna256.cer", 431, None, False),
    ("czo-root-2017-custom-dke.cer", 431, None, True),
    ("CZOROOT.cer", 431, None, True),
    ("CA-Justice.cer", 257, None, True),
    ("SFS_1.cer", 257, None, True),
    ("SELF_SIGNED1.cer", 257, "1.2.804.2.1.1.1.1.3.1.1.2.6", True),
]


@pytest.mark.parametrize("name,m,oid,has_dke", REAL_KEYS, ids=[k[0] for k in REAL_KEYS])
def test_real_certificate_key_parses(name: str, m: int, oid: str | None, has_dke: bool) -> None:
    params_der, key = _raw_spki(_cert(name))
    params = DA.parse_params(params_der)
    assert params.curve.m == m
    assert params.oid == oid
    assert (params.dke is not None) == has_dke
    if has_dke:
        assert params.dke is not None and len(params.dke) == 64
    q = DA.decode_public_key(params.curve, key)
    assert D.on_curve(params.curve, q)
    # Our encoders give back the certificate's bytes exactly.
    assert DA.encode_params(params.oid, None if params.oid else params.curve, params.dke) == (
        params_der
    )
    assert DA.encode_public_key(params.curve, q) == key
    # Also accepted: the bare compressed point and the BIT STRING payload with its pad octet.
    assert DA.decode_public_key(params.curve, key[2:]) == q
    assert DA.decode_public_key(params.curve, b"\x00" + key) == q


@pytest.mark.parametrize("name", [k[0] for k in REAL_KEYS])
def test_real_certificate_key_tampered(name: str) -> None:
    params, key = _dstu_key(name)
    q = DA.decode_public_key(params.curve, key)
    outcomes: set[bool | str] = set()
    for bit in range(1, 40, 3):
        pos = 2 + bit // 8
        bad = key[:pos] + bytes([key[pos] ^ (1 << (bit % 8))]) + key[pos + 1 :]
        try:
            outcomes.add(DA.decode_public_key(params.curve, bad) != q)
        except InvalidKey:
            outcomes.add("invalid")
    assert False not in outcomes
    assert "invalid" in outcomes


def test_custom_dke_differs_from_the_default() -> None:
    custom, _ = _dstu_key("czo-root-2017-custom-dke.cer")
    default, _ = _dstu_key("czo-root-2017-gost34311.cer")
    assert custom.dke is not None and default.dke is not None and custom.dke != default.dke
    # Its curve has the m=431 field and order but its own base point, so it is not named.
    std = D.named_curve("1.2.804.2.1.1.1.1.3.1.1.2.9")
    assert custom.curve.n == std.n and custom.curve.b == std.b
    assert custom.curve.G != std.G and custom.curve.name is None
    assert default.curve is std


def _cert_signature(name: str) -> tuple[bytes, bytes]:
    cert = _cert(name)
    return cert["tbs_certificate"].dump(), bytes(cert["signature_value"].contents[1:])


def _gost(data: bytes, sbox: bytes | None) -> bytes:
    from verify.gost34311 import gost34311

    return gost34311(data, sbox=sbox)


CERT_SIGNATURES = [
    # subject, issuer (whose key signed it)
    ("czo-root-2017-gost34311.cer", "czo-root-2017-gost34311.cer"),
    ("CA-Justice.cer", "CZOROOT.cer"),
    ("czo-root-2017-custom-dke.cer", "czo-root-2017-custom-dke.cer"),
    ("CZOROOT.cer", "CZOROOT.cer"),
    ("SELF_SIGNED1.cer", "SELF_SIGNED1.cer"),
]


@pytest.mark.skipif(not HAVE_GOST, reason=NO_GOST)
@pytest.mark.parametrize("subject,issuer", CERT_SIGNATURES, ids=[c[0] for c in CERT_SIGNATURES])
def test_real_certificate_signature_verifies(subject: str, issuer: str) -> None:
    """GOST 34.311 of the tbsCertificate with the issuer key's S-box, signature r || s LE."""
    tbs, sig = _cert_signature(subject)
    params, key = _dstu_key(issuer)
    assert sig[:1] == b"\x04"  # a DER OCTET STRING inside the BIT STRING
    digest = _gost(tbs, params.dke)
    assert DA.verify_signature(params, key, digest, sig)
    # Tampered twins: one byte of the signed data, one bit of the signature, the digest not
    # reversed, the halves swapped.
    assert not DA.verify_signature(
        params, key, _gost(tbs[:-1] + bytes([tbs[-1] ^ 1]), params.dke), sig
    )
    assert not DA.verify_signature(params, key, digest, sig[:-1] + bytes([sig[-1] ^ 0x10]))
    assert not DA.verify_signature(params, key, digest[::-1], sig)
    half = (len(sig) - 2) // 2
    assert not DA.verify_signature(
        params, key, digest, sig[:2] + sig[2 + half :] + sig[2 : 2 + half]
    )


@pytest.mark.skipif(not HAVE_GOST, reason=NO_GOST)
def test_custom_dke_certificate_needs_its_own_sbox() -> None:
    tbs, sig = _cert_signature("czo-root-2017-custom-dke.cer")
    params, key = _dstu_key("czo-root-2017-custom-dke.cer")
    assert DA.verify_signature(params, key, _gost(tbs, params.dke), sig)
    assert not DA.verify_signature(params, key, _gost(tbs, None), sig)


@pytest.mark.skipif(not HAVE_GOST, reason=NO_GOST)
def test_certificate_signature_under_the_wrong_issuer() -> None:
    tbs, sig = _cert_signature("CA-Justice.cer")
    params, key = _dstu_key("czo-root-2017-gost34311.cer")
    assert not DA.verify_signature(params, key, _gost(tbs, params.dke), sig)


@pytest.mark.skipif(not HAVE_KUPYNA, reason=NO_KUPYNA)
def test_kupyna_root_self_signature() -> None:
    from verify.kupyna import kupyna

    tbs, sig = _cert_signature("czo-root-kupyna256.cer")
    params, key = _dstu_key("czo-root-kupyna256.cer")
    digest = kupyna(tbs, 256)
    assert DA.verify_signature(params, key, digest, sig)
    assert not DA.verify_signature(params, key, kupyna(tbs + b"\x00", 256), sig)


@pytest.mark.skipif(not HAVE_GOST, reason=NO_GOST)
def test_cms_signer_info_signature_is_bare_r_s() -> None:
    """In CMS the SignerInfo signature OCTET STRING holds r || s without another wrapper."""
    info = cms.ContentInfo.load((VECTORS / "cms" / "message.p7").read_bytes())
    signer = info["content"]["signer_infos"][0]
    signed_attrs = b"\x31" + signer["signed_attrs"].dump()[1:]  # hashed as SET OF
    sig = bytes(signer["signature"].native)
    params, key = _dstu_key("SELF_SIGNED1.cer")
    assert len(sig) == 2 * params.curve.order_bytes
    digest = _gost(signed_attrs, params.dke)
    assert DA.verify_signature(params, key, digest, sig)
    tampered = signed_attrs[:-1] + bytes([signed_attrs[-1] ^ 1])
    assert not DA.verify_signature(params, key, _gost(tampered, params.dke), sig)
    assert not DA.verify_signature(params, key, digest, sig[1:] + sig[:1])
