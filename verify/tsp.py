"""RFC 3161 time-stamp tokens: their own CMS signature, their imprint, their TSA's path.

Where the TSA certificate is: RFC 3161 lets a TSA leave its certificate out of the token
(certReq false), and CAdES-X-Long producers then put it in the signature's certificate-values,
its SignedData certificates or another token of the same signature; or the relying party has it
in its trust store. All of these are searched (`extra` carries the signature's own material and
the other tokens' certificates), the token's own certificates first.

A signature time-stamp (CAdES-T) is a proof of existence of the signature value at `genTime`
only when all of these hold: the token's CMS signature verifies, its messageImprint is the hash
of the signature value, and the TSA certificate (extended key usage timeStamping) has a path to a
trust anchor and was valid at `genTime`. A token failing any of them is reported and ignored.
The TSA certificate's revocation status is not checked.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import tsp

from . import algorithms
from .certs import OID_KP_TIME_STAMPING, Certificate
from .cms import OID_TST_INFO, check_message_digest, check_signature, parse_signed_data
from .errors import VerifyError
from .path import build_path, check_constraints, check_validity
from .trust import TrustStore

MAX_TOKEN_SIZE = 1 << 20


@dataclass(frozen=True)
class TimestampResult:
    kind: str  # "signature" | "content"
    time: datetime | None
    tsa: str | None
    valid: bool
    detail: str


def verify_timestamp(
    token: bytes,
    imprinted: bytes,
    store: TrustStore,
    *,
    kind: str = "signature",
    extra: Iterable[Certificate] = (),
    dke: bytes | None = None,
) -> TimestampResult:
    """Check a TimeStampToken (a ContentInfo) whose imprint should cover `imprinted`.

    `dke` is the S-box of the signer whose data is imprinted; a GOST 34.311 imprint is accepted
    under the default S-box or that one.
    """
    try:
        sd = parse_signed_data(token, max_size=MAX_TOKEN_SIZE)
    except VerifyError as exc:
        return TimestampResult(kind, None, None, False, f"unreadable token: {exc.detail}")
    if sd.econtent_type != OID_TST_INFO or sd.content is None:
        return TimestampResult(kind, None, None, False, "token does not carry a TSTInfo")
    try:
        info = tsp.TSTInfo.load(sd.content)
        gen_time = info["gen_time"].native
        imprint = info["message_imprint"]
        hash_oid = imprint["hash_algorithm"]["algorithm"].dotted
        hashed = bytes(imprint["hashed_message"].native)
    except Exception:
        return TimestampResult(kind, None, None, False, "TSTInfo is not readable")
    if not isinstance(gen_time, datetime):
        return TimestampResult(kind, None, None, False, "TSTInfo genTime is not a time")

    extra = list(extra)
    signer = sd.signers[0]
    pool = [*sd.certificates, *extra, *store.intermediates, *store.anchors]
    tsa = next((c for c in pool if signer.matches(c)), None)
    if tsa is None:
        return TimestampResult(kind, gen_time, None, False, "TSA certificate not found")
    try:
        tsa_dke = algorithms.key_dke(tsa.spki)
    except VerifyError as exc:
        return TimestampResult(kind, gen_time, tsa.subject, False, f"TSA key: {exc.detail}")

    try:
        # GOST 34.311 has an S-box parameter: the default one, or the signer's, or the TSA's.
        candidates = [algorithms.digest(hash_oid, imprinted)]
        if hash_oid == algorithms.OID_GOST34311:
            for sbox in dict.fromkeys(b for b in (dke, tsa_dke) if b is not None):
                candidates.append(algorithms.digest(hash_oid, imprinted, sbox))
    except VerifyError as exc:
        return TimestampResult(kind, gen_time, tsa.subject, False, f"imprint hash: {exc.detail}")
    if not any(hmac.compare_digest(c, hashed) for c in candidates):
        what = "signature value" if kind == "signature" else "content"
        return TimestampResult(
            kind, gen_time, tsa.subject, False, f"messageImprint is not the {what} hash"
        )

    try:
        if signer.has_signed_attrs:
            md = check_message_digest(signer, sd.content, tsa_dke)
            if not md.ok:
                return TimestampResult(kind, gen_time, tsa.subject, False, f"token: {md.detail}")
        sig = check_signature(signer, tsa, sd.content)
    except VerifyError as exc:
        return TimestampResult(kind, gen_time, tsa.subject, False, f"token: {exc.detail}")
    if not sig.ok:
        return TimestampResult(
            kind, gen_time, tsa.subject, False, "token signature does not verify"
        )

    path = build_path(tsa, store, [*sd.certificates, *extra], when=gen_time)
    if not path.found:
        return TimestampResult(
            kind, gen_time, tsa.subject, False, f"TSA not trusted: {path.detail}"
        )
    validity = check_validity(path.chain, gen_time, None)
    if not validity.ok:
        return TimestampResult(kind, gen_time, tsa.subject, False, f"TSA: {validity.detail}")
    constraints = check_constraints(
        path.chain,
        store,
        leaf_key_usage=frozenset({"digital_signature", "non_repudiation"}),
        leaf_ext_key_usage=OID_KP_TIME_STAMPING,
    )
    if not constraints.ok:
        return TimestampResult(kind, gen_time, tsa.subject, False, f"TSA: {constraints.detail}")
    return TimestampResult(kind, gen_time, tsa.subject, True, "time-stamp token verifies")


def token_certificates(token: bytes) -> list[Certificate]:
    """The certificates a token carries (for the other tokens of the same signature)."""
    try:
        return list(parse_signed_data(token, max_size=MAX_TOKEN_SIZE).certificates)
    except VerifyError:
        return []
