"""Certification path building and the checks on a built path (RFC 5280 subset).

Building goes from the signer towards an anchor. Issuer candidates are matched by name and, when
both sides carry one, by authorityKeyIdentifier = subjectKeyIdentifier; several candidates (a
re-keyed CA, cross certificates) are tried in turn, each link's signature is verified before it
is followed, and a certificate already on the path is never revisited, so loops end.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import algorithms
from .certs import Certificate
from .errors import VerifyError
from .report import Indication, SubIndication
from .trust import TrustStore

MAX_PATH_LENGTH = 10
MAX_SIGNATURE_CHECKS = 64


@functools.lru_cache(maxsize=4096)
def verify_certificate_signature(cert: Certificate, issuer: Certificate) -> bool:
    """Whether `issuer`'s key signed `cert`. Unusable keys or algorithms count as "no".

    Memoised: the answer is a pure function of the two certificates' bytes (Certificate equality
    and hash are its DER), and every copy signed under the same CA repeats the same links, which
    for DSTU 4145 cost tens of milliseconds each (re-verifying an archive is dominated by them).
    """
    try:
        return algorithms.verify_with_key(
            issuer.spki,
            cert.signature_algorithm_asn1,
            cert.signature_value,
            cert.tbs_der,
            form="certificate",
        )
    except VerifyError:
        return False
    except Exception:  # a malformed key or signature is "not signed by", never a crash
        return False


@dataclass(frozen=True)
class PathResult:
    chain: tuple[Certificate, ...]  # leaf first, anchor last; empty when none was found
    detail: str

    @property
    def found(self) -> bool:
        return bool(self.chain)


class _Builder:
    def __init__(self, store: TrustStore, extra: Sequence[Certificate], when: datetime | None):
        self.store = store
        self.pool = _dedupe([*store.anchors, *store.intermediates, *extra])
        self.when = when
        self.checked: dict[tuple[str, str], bool] = {}
        self.budget = MAX_SIGNATURE_CHECKS
        self.rejected: list[str] = []

    def issuers(self, cert: Certificate) -> list[Certificate]:
        out = []
        for cand in self.pool:
            if cand.subject_key != cert.issuer_key:
                continue
            if cert.aki is not None and cand.ski is not None and cert.aki != cand.ski:
                continue
            out.append(cand)

        def rank(c: Certificate) -> tuple[int, int, int]:
            return (
                0 if self.store.is_anchor(c) else 1,
                0 if cert.aki is not None and c.ski == cert.aki else 1,
                0 if self.when is None or c.valid_at(self.when) else 1,
            )

        return sorted(out, key=rank)

    def signed_by(self, cert: Certificate, issuer: Certificate) -> bool:
        key = (cert.sha256, issuer.sha256)
        if key not in self.checked:
            if self.budget <= 0:
                return False
            self.budget -= 1
            self.checked[key] = verify_certificate_signature(cert, issuer)
            if not self.checked[key]:
                self.rejected.append(
                    f"{cert.subject}: signature does not verify under {issuer.subject}"
                )
        return self.checked[key]

    def extend(self, path: list[Certificate]) -> list[Certificate] | None:
        cert = path[-1]
        if self.store.is_anchor(cert):
            return path
        if len(path) >= MAX_PATH_LENGTH:
            return None
        for issuer in self.issuers(cert):
            if issuer in path:
                continue  # a loop (or a self-signed certificate that is no anchor)
            if not self.signed_by(cert, issuer):
                continue
            found = self.extend([*path, issuer])
            if found is not None:
                return found
        return None


def build_path(
    leaf: Certificate,
    store: TrustStore,
    extra: Iterable[Certificate] = (),
    *,
    when: datetime | None = None,
) -> PathResult:
    """A path from `leaf` to a trust anchor whose every signature verifies."""
    builder = _Builder(store, list(extra), when)
    found = builder.extend([leaf])
    if found is None:
        reason = "; ".join(builder.rejected[:3]) or "no issuer certificate leads to a trust anchor"
        return PathResult((), reason)
    names = " -> ".join(c.subject for c in found)
    return PathResult(tuple(found), f"path to a trust anchor: {names}")


def _dedupe(certs: Iterable[Certificate]) -> list[Certificate]:
    seen: set[Certificate] = set()
    out = []
    for c in certs:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


# --- checks on a built path ---------------------------------------------------------------


@dataclass(frozen=True)
class PathCheck:
    """The outcome of the time and constraint checks; `indication` None means passed."""

    indication: Indication | None
    sub_indication: SubIndication | None
    detail: str
    poe_used: bool = False

    @property
    def ok(self) -> bool:
        return self.indication is None


def check_validity(chain: Sequence[Certificate], when: datetime, poe: datetime | None) -> PathCheck:
    """Every certificate valid at `when`, or, when one expired since, at the proof of existence.

    `poe` is the time of a verified signature time-stamp: the signature provably existed then,
    so a certificate that was valid at that time (and expired later) still supports it.
    """
    poe_used = False
    for cert in chain:
        if cert.not_before <= when <= cert.not_after:
            continue
        if when < cert.not_before:
            return PathCheck(
                Indication.TOTAL_FAILED,
                SubIndication.NOT_YET_VALID,
                f"{cert.subject} is not valid before {cert.not_before.isoformat()}",
            )
        if poe is None:
            return PathCheck(
                Indication.INDETERMINATE,
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"{cert.subject} expired {cert.not_after.isoformat()} and no time-stamp proves "
                "the signature existed before",
            )
        if poe > cert.not_after:
            return PathCheck(
                Indication.TOTAL_FAILED,
                SubIndication.EXPIRED,
                f"{cert.subject} expired {cert.not_after.isoformat()}, before the time-stamp "
                f"{poe.isoformat()}",
            )
        if poe < cert.not_before:
            return PathCheck(
                Indication.TOTAL_FAILED,
                SubIndication.NOT_YET_VALID,
                f"{cert.subject} was not yet valid at the time-stamp {poe.isoformat()}",
            )
        poe_used = True
    detail = "all certificates valid at the validation time"
    if poe_used:
        detail = "certificates valid at the time-stamp (proof of existence); some expired since"
    return PathCheck(None, None, detail, poe_used)


def check_constraints(
    chain: Sequence[Certificate],
    store: TrustStore,
    *,
    leaf_key_usage: frozenset[str] = frozenset({"digital_signature", "non_repudiation"}),
    leaf_ext_key_usage: str | None = None,
) -> PathCheck:
    """basicConstraints, pathLen, keyUsage and unknown critical extensions."""
    leaf = chain[0]
    ku = leaf.key_usage
    if ku is not None and not (ku & leaf_key_usage):
        return PathCheck(
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"signer key usage {sorted(ku)} allows none of {sorted(leaf_key_usage)}",
        )
    if leaf_ext_key_usage is not None:
        eku = leaf.ext_key_usage
        if eku is None or leaf_ext_key_usage not in eku:
            return PathCheck(
                Indication.INDETERMINATE,
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"certificate lacks extended key usage {leaf_ext_key_usage}",
            )
    for index, cert in enumerate(chain):
        anchor = store.is_anchor(cert)
        if not anchor and cert.unknown_critical:
            return PathCheck(
                Indication.INDETERMINATE,
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{cert.subject} has unsupported critical extensions {list(cert.unknown_critical)}",
            )
        if index == 0:
            continue
        bc = cert.basic_constraints
        if not anchor:
            if bc is None or not bc[0]:
                return PathCheck(
                    Indication.INDETERMINATE,
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{cert.subject} issues certificates but is not a CA (basicConstraints)",
                )
            if cert.key_usage is not None and "key_cert_sign" not in cert.key_usage:
                return PathCheck(
                    Indication.INDETERMINATE,
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{cert.subject} key usage lacks keyCertSign",
                )
        if bc is not None and bc[1] is not None:
            below = sum(1 for c in chain[1:index] if not c.self_issued)
            if below > bc[1]:
                return PathCheck(
                    Indication.INDETERMINATE,
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{cert.subject} allows {bc[1]} intermediate CAs below it, path has {below}",
                )
    return PathCheck(None, None, "basicConstraints, pathLen and keyUsage satisfied")
