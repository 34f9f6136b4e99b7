"""Fixtures of the multi-node tests: the signing test PKI of the privacy tests."""

from tests.privacy.conftest import signer

__all__ = ["signer"]
