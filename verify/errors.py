"""Typed errors of the verifier.

Every failure that leaves `verify/` is a `VerifyError` with a stable `reason` code, so the CLI,
the API and the UI can show the same reason and tests can assert on it rather than on wording.
"""

from __future__ import annotations


class VerifyError(Exception):
    """Base of all verifier errors; `reason` is a stable machine-readable code."""

    reason: str = "VERIFY_ERROR"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class FormatError(VerifyError):
    """Input is not a readable structure (DER, CMS, certificate, key encoding)."""

    reason = "FORMAT_FAILURE"


class UnsupportedAlgorithm(VerifyError):
    """A well-formed input uses an algorithm or parameter set we do not implement."""

    reason = "UNSUPPORTED_ALGORITHM"


class InvalidKey(VerifyError):
    """A public key that cannot be a valid key (not on the curve, wrong order, bad length)."""

    reason = "INVALID_KEY"
