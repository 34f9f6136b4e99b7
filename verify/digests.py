"""The digests of one content, each algorithm and S-box computed once, shared by whoever asks.

Receiving a message hashes every PDF twice under the same algorithm: once to find which
signature covers it (`ingest.parcels.pairing`) and once when the verifier checks the signed
messageDigest. With GOST 34.311 a 300 KB copy costs several milliseconds each time, so the
pairing's digests travel with the parcel and the verifier takes them, but only for the very
content it checks (`for_content`): a digest is never trusted for other bytes.
"""

from __future__ import annotations

from . import algorithms


class ContentDigests:
    """Memoised `algorithms.digest(oid, content, dke)` over one `content`.

    A failure (an unknown algorithm, a bad S-box) is raised every time and never memoised, so a
    caller sees exactly what `algorithms.digest` would have said.
    """

    def __init__(self, content: bytes) -> None:
        self.content = content
        self._memo: dict[tuple[str, bytes | None], bytes] = {}

    def of(self, oid: str, dke: bytes | None = None) -> bytes:
        key = (oid, dke)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = algorithms.digest(oid, self.content, dke)
        return found

    def for_content(self, content: bytes) -> bool:
        """Whether these are the digests of `content` (the same bytes, not just a similar copy)."""
        return content is self.content or content == self.content
