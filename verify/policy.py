"""Validation policy as data: which signers are acceptable and how hard to insist on revocation.

The signer policy answers a different question from the signature's validity: "is this a signer
we rely on for this purpose?". The report keeps both: `indication` for the signature,
`policy_accepted` for the policy (only ever True when the signature itself passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .certs import Certificate

RevocationPolicy = Literal["soft", "hard", "require"]
REVOCATION_POLICIES: tuple[str, ...] = ("soft", "hard", "require")

DIIA_ORGANIZATION_IDENTIFIER = "NTRUA-43395033"


@dataclass(frozen=True)
class IdentityRule:
    """A signer identity. Every field that is set must match; unset fields match anything."""

    organization_identifier: str | None = None
    subject_serial_number: str | None = None
    common_name: str | None = None
    edrpou: str | None = None
    certificate_sha256: str | None = None

    def matches(self, cert: Certificate) -> bool:
        checks = (
            (self.organization_identifier, cert.organization_identifier),
            (self.subject_serial_number, cert.subject_serial_number),
            (self.common_name, cert.common_name),
            (self.edrpou, cert.edrpou),
            (self.certificate_sha256, cert.sha256),
        )
        if all(want is None for want, _ in checks):
            return False
        return all(
            want is None or (have is not None and _norm(want) == _norm(have))
            for want, have in checks
        )

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("organizationIdentifier", self.organization_identifier),
                ("serialNumber", self.subject_serial_number),
                ("CN", self.common_name),
                ("EDRPOU", self.edrpou),
                ("sha256", self.certificate_sha256),
            )
            if value is not None
        ]
        return ", ".join(parts)


DIIA_SEAL = IdentityRule(organization_identifier=DIIA_ORGANIZATION_IDENTIFIER)


@dataclass(frozen=True)
class SignerPolicy:
    """`allowed` empty: any signer with a path to a trust anchor; else one rule must match."""

    allowed: tuple[IdentityRule, ...] = ()

    @classmethod
    def any_trusted(cls) -> SignerPolicy:
        return cls(())

    @classmethod
    def only(cls, *rules: IdentityRule) -> SignerPolicy:
        return cls(tuple(rules))

    def evaluate(self, cert: Certificate) -> tuple[bool, str]:
        if not self.allowed:
            return True, "any signer with a path to a trust anchor is accepted"
        for rule in self.allowed:
            if rule.matches(cert):
                return True, f"signer matches {rule.describe()}"
        wanted = "; ".join(rule.describe() for rule in self.allowed)
        return False, f"signer matches none of the accepted identities ({wanted})"


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()
