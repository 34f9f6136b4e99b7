"""Which signature covers which PDF: by content first, by name only to break ties.

Mail clients rename attachments (web mail numbers them `file1.pdf`, `file2.p7s`; a forward
re-attaches `X (1).pdf` and `X.pdf (1).p7s`; a citizen renames the PDF), so a name says little.
What a signature covers is in the signature itself: a detached SignerInfo's signed
`messageDigest` is the PDF's hash under the SignerInfo's digest algorithm (GOST 34.311, Kupyna,
SHA-2), an attached one carries the PDF. Every PDF is hashed once per algorithm met, every
signature is matched against every PDF, and all signatures that cover one PDF make one document.

Only what content cannot settle falls back to names: a signature whose digest matches nothing
(a tampered PDF, a truncated signature, garbage named `.p7s`) is paired with the PDF of its
stem, so the verifier can say HASH_FAILURE or FORMAT_FAILURE about *that* copy; then, when names
were mangled (`ATT00001.bin`), the one PDF and one signature left are paired by position.
Anything still alone is a PDF without signature (UNSIGNED) or a signature-only record.
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass, field

from ingest.parcels.problems import (
    PAIRED_BY_CONTENT,
    PAIRED_BY_POSITION,
    PDF_WITHOUT_SIGNATURE,
    SEVERAL_SIGNATURES,
    SIGNATURE_WITHOUT_PDF,
    TRANSFER_ENCODING_REPAIRED,
)
from verify import algorithms
from verify.cms import DecodedSignature, SignedData, decode_signature
from verify.digests import ContentDigests
from verify.errors import VerifyError

P7S_SUFFIXES = (".p7s", ".p7m", ".sig")


@dataclass
class Attachment:
    """One recognised file of the message, before pairing."""

    kind: str  # "pdf" | "p7s"
    name: str
    data: bytes
    order: int
    problems: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # names of identical copies dropped


@dataclass(frozen=True)
class SignatureFile:
    """One signature file of a document, with the name it arrived under.

    `decoded` is the SignedData pairing read from `data` (None when unreadable), handed to the
    verifier so the bytes are decoded once per message, not twice.
    """

    data: bytes
    name: str
    problems: tuple[str, ...] = ()
    decoded: DecodedSignature | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Parcel:
    """One document copy: its PDF and every signature that covers it.

    `p7s`/`p7s_name` are the first of `signatures` (the one whose name fits the PDF, if any);
    the pipeline verifies all of them and shows the best verdict with the others listed.
    """

    pdf: bytes | None
    p7s: bytes | None
    filename: str
    pdf_name: str | None = None
    p7s_name: str | None = None
    problems: tuple[str, ...] = ()
    signatures: tuple[SignatureFile, ...] = ()
    #: The PDF's digests pairing computed (`verify.digests`), for the verifier's hash check.
    digests: ContentDigests | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class _SignerDigest:
    oid: str
    value: bytes
    dkes: tuple[bytes | None, ...]


@dataclass(frozen=True)
class _Facts:
    """What a signature says about the content it covers."""

    content: bytes | None
    digests: tuple[_SignerDigest, ...]
    decoded: DecodedSignature


@dataclass
class _Doc:
    pdf: Attachment | None
    content: bytes | None  # the PDF bytes (attached file or carried by a signature)
    sigs: list[Attachment] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def order(self) -> int:
        return min(a.order for a in [*([self.pdf] if self.pdf else []), *self.sigs])


def name_stem(name: str) -> str:
    """The key a PDF and its signature share: `X.pdf`, `X.pdf.p7s` and `X.p7s` all give `x`."""
    stem = unicodedata.normalize("NFC", name).strip().casefold()
    for suffix in P7S_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.endswith(".pdf"):
        stem = stem[:-4]
    return stem.strip()


def signature_facts(der: bytes) -> _Facts | None:
    """The attached content and the signed digests of a SignedData; None when unreadable."""
    try:
        decoded = decode_signature(der)
    except VerifyError:
        return None
    sd = decoded.signed_data
    digests = tuple(
        _SignerDigest(signer.digest_oid, signer.message_digest, _dkes(sd, signer))
        for signer in sd.signers
        if signer.message_digest is not None
    )
    return _Facts(sd.content, digests, decoded)


def _dkes(sd: SignedData, signer: object) -> tuple[bytes | None, ...]:
    """S-boxes to try for GOST 34.311: the signer key's own (from its certificate), then DKE 1."""
    if getattr(signer, "digest_oid", None) != algorithms.OID_GOST34311:
        return (None,)
    found: list[bytes | None] = []
    for cert in sd.certificates:
        try:
            if signer.matches(cert):  # type: ignore[attr-defined]
                dke = algorithms.key_dke(cert.spki)
                if dke is not None and dke not in found:
                    found.append(dke)
        except (VerifyError, ValueError, TypeError, KeyError):
            continue
    return (*found, None)


class _Hashes:
    """Each content hashed at most once per (algorithm, S-box); the verifier reuses them."""

    def __init__(self) -> None:
        # Keyed by the bytes themselves (Python hashes them once): an id() could be reused by
        # a later variant once an earlier one is freed.
        self._by_content: dict[bytes, ContentDigests] = {}

    def digests(self, content: bytes) -> ContentDigests:
        found = self._by_content.get(content)
        if found is None:
            found = self._by_content[content] = ContentDigests(content)
        return found

    def of(self, content: bytes, oid: str, dke: bytes | None) -> bytes | None:
        try:
            return self.digests(content).of(oid, dke)
        except (VerifyError, ValueError):
            return None  # an algorithm we do not know: names decide


def covers(facts: _Facts, content: bytes, hashes: _Hashes) -> bool:
    if facts.content is not None:
        return facts.content == content
    for signer in facts.digests:
        for dke in signer.dkes:
            actual = hashes.of(content, signer.oid, dke)
            if actual is not None and hmac.compare_digest(actual, signer.value):
                return True
    return False


def pair(attachments: list[Attachment]) -> list[Parcel]:
    """Group the recognised files of one message into documents (see the module docstring)."""
    pdfs = [a for a in attachments if a.kind == "pdf"]
    sigs = [a for a in attachments if a.kind == "p7s"]
    facts = {id(s): signature_facts(s.data) for s in sigs}
    hashes = _Hashes()
    docs = [_Doc(pdf, pdf.data) for pdf in pdfs]
    # Attached signatures first: one carrying a PDF nobody attached is a document of its own,
    # which a detached signature of the same PDF then joins.
    ordered = sorted(sigs, key=lambda s: (_carried(facts[id(s)]) is None, s.order))
    leftovers: list[Attachment] = []
    for sig in ordered:
        fact = facts[id(sig)]
        matching = (
            [d for d in docs if d.content is not None and covers(fact, d.content, hashes)]
            if fact is not None
            else []
        )
        target = _best_by_name(matching, sig) if matching else None
        if target is not None and any(s.data == sig.data for s in target.sigs):
            leftovers.append(sig)  # the same signature again, under another PDF's name
        elif target is not None:
            target.sigs.append(sig)
        elif fact is not None and _carried(fact) is not None:
            docs.append(_Doc(None, _carried(fact), [sig]))
        else:
            leftovers.append(sig)
    _repair_by_signature(docs, leftovers, facts, hashes)
    _pair_leftovers_by_name(docs, leftovers)
    placed = {sig.data for doc in docs for sig in doc.sigs}
    # A signature already on a document, sent again (say PEM beside DER), is not a second one.
    docs.extend(_Doc(None, None, [sig]) for sig in leftovers if sig.data not in placed)
    docs.sort(key=lambda d: d.order)
    return [_parcel(d, facts, hashes) for d in docs]


def transport_variants(data: bytes) -> list[bytes]:
    """What a PDF may have been before transport touched it: line ends canonicalised to CRLF
    (a PDF sent as text), a line break added or lost at the end of the part."""
    out: list[bytes] = []
    bases = [data]
    if b"\r\n" in data:
        bases.append(data.replace(b"\r\n", b"\n"))
    elif b"\n" in data:
        bases.append(data.replace(b"\n", b"\r\n"))
    for base in bases:
        trimmed = base.rstrip(b"\r\n")
        for variant in (base, trimmed, trimmed + b"\n", trimmed + b"\r\n"):
            if variant != data and variant not in out:
                out.append(variant)
    return out


def _repair_by_signature(
    docs: list[_Doc],
    leftovers: list[Attachment],
    facts: dict[int, _Facts | None],
    hashes: _Hashes,
) -> None:
    """A PDF no signature covers, next to signatures that cover nothing: when one of the PDF's
    transport variants is what a signature covers, those are the bytes that were signed. They
    are kept (with TRANSFER_ENCODING_REPAIRED), so the copy is not judged on its wrapping;
    a PDF whose content was changed has no such variant and still fails."""
    carried = [d for d in docs if d.pdf is None and d.content is not None]
    for doc in [d for d in docs if d.pdf is not None and not d.sigs]:
        assert doc.pdf is not None
        variants = transport_variants(doc.pdf.data)
        twin = next((c for c in carried if c.content in variants), None)
        if twin is not None and twin.content is not None:
            # An attached signature carries what this PDF was before transport.
            doc.pdf.data = doc.content = twin.content
            doc.pdf.problems.append(TRANSFER_ENCODING_REPAIRED)
            doc.sigs.extend(twin.sigs)
            docs.remove(twin)
            carried.remove(twin)
    readable = [(s, f) for s in leftovers if (f := facts[id(s)]) is not None]
    if not readable:
        return
    for doc in docs:
        if doc.pdf is None or doc.sigs:
            continue
        for variant in transport_variants(doc.pdf.data):
            matched = [s for s, f in readable if covers(f, variant, hashes)]
            if not matched:
                continue
            doc.pdf.data = doc.content = variant
            if TRANSFER_ENCODING_REPAIRED not in doc.pdf.problems:
                doc.pdf.problems.append(TRANSFER_ENCODING_REPAIRED)
            doc.sigs.extend(matched)
            for sig in matched:
                leftovers.remove(sig)
            readable = [(s, f) for s, f in readable if s not in matched]
            break


def _carried(fact: _Facts | None) -> bytes | None:
    return fact.content if fact is not None and fact.content else None


def _best_by_name(candidates: list[_Doc], sig: Attachment) -> _Doc:
    """Ties (the same content twice) go to the document whose name fits the signature's."""
    stem = name_stem(sig.name)
    for doc in candidates:
        if doc.pdf is not None and name_stem(doc.pdf.name) == stem:
            return doc
    return candidates[0]


def _pair_leftovers_by_name(docs: list[_Doc], leftovers: list[Attachment]) -> None:
    """Signatures no content matched go to the unsigned PDF of their stem, then by position."""
    unsigned = [d for d in docs if d.pdf is not None and not d.sigs]
    for sig in list(leftovers):
        stem = name_stem(sig.name)
        match = next((d for d in unsigned if d.pdf and name_stem(d.pdf.name) == stem), None)
        if match is not None:
            match.sigs.append(sig)
            unsigned.remove(match)
            leftovers.remove(sig)
    if len(unsigned) == 1 and len(leftovers) == 1:
        doc, sig = unsigned[0], leftovers[0]
        assert doc.pdf is not None
        if not (_named_as(doc.pdf.name, (".pdf",)) and _named_as(sig.name, P7S_SUFFIXES)):
            # Names mangled on the way (ATT00001.bin, noname): the only two left belong
            # together as far as anyone can tell; the verifier's digest check has the last word.
            doc.sigs.append(sig)
            doc.extra.append(PAIRED_BY_POSITION)
            leftovers.clear()


def _parcel(doc: _Doc, facts: dict[int, _Facts | None], hashes: _Hashes) -> Parcel:
    pdf = doc.pdf
    sigs = list(doc.sigs)
    if pdf is not None and pdf.aliases:
        # The same PDF came under several names: the one its signature fits names it.
        stems = {name_stem(s.name) for s in sigs}
        fitting = [n for n in (pdf.name, *pdf.aliases) if name_stem(n) in stems]
        if fitting:
            pdf.name = fitting[0]
    if pdf is not None:
        stem = name_stem(pdf.name)
        sigs.sort(key=lambda s: name_stem(s.name) != stem)  # stable: arrival order otherwise
    problems = list(doc.extra)
    for a in [*([pdf] if pdf else []), *sigs]:
        problems.extend(c for c in a.problems if c not in problems)
    if pdf is not None and any(name_stem(s.name) != name_stem(pdf.name) for s in sigs):
        if PAIRED_BY_POSITION not in problems:
            problems.append(PAIRED_BY_CONTENT)
    if len(sigs) > 1:
        problems.append(SEVERAL_SIGNATURES)
    if not sigs:
        problems.append(PDF_WITHOUT_SIGNATURE)
    if pdf is None and doc.content is None:
        problems.append(SIGNATURE_WITHOUT_PDF)
    first = sigs[0] if sigs else None
    display = pdf.name if pdf is not None else pdf_name_from_sig(first.name if first else "")
    if (
        pdf is not None
        and first is not None
        and not _named_as(pdf.name, (".pdf",))
        and _named_as(first.name, P7S_SUFFIXES)
    ):
        display = pdf_name_from_sig(first.name)  # `noname`, `ATT00001.bin`: the signature's
    return Parcel(
        pdf=pdf.data if pdf else None,
        p7s=first.data if first else None,
        filename=display,
        pdf_name=pdf.name if pdf else None,
        p7s_name=first.name if first else None,
        problems=tuple(problems),
        signatures=tuple(
            SignatureFile(s.data, s.name, tuple(s.problems), _decoded(facts.get(id(s))))
            for s in sigs
        ),
        digests=hashes.digests(pdf.data) if pdf is not None else None,
    )


def _decoded(fact: _Facts | None) -> DecodedSignature | None:
    return fact.decoded if fact is not None else None


def _named_as(name: str, suffixes: tuple[str, ...]) -> bool:
    return name.casefold().endswith(suffixes)


def pdf_name_from_sig(name: str) -> str:
    lowered = name.casefold()
    for suffix in P7S_SUFFIXES:
        if lowered.endswith(suffix):
            base = name[: -len(suffix)]
            return base if base.casefold().endswith(".pdf") else base + ".pdf"
    return name
