"""MIME to parcels: the PDFs of one e-mail, each with every signature that covers it.

Nobody outside Diia documents the exact e-mail the app drafts, and the citizen's own mail client
(Gmail, Outlook with TNEF, Apple Mail, Thunderbird, web mail, a phone's share sheet) re-shapes
it. The package is split by concern:

* `walk` — the MIME tree, limits, what a leaf is (`parse_parcels`);
* `headers` — RFC 2047/2231 names, raw 8-bit headers, the header envelope (`header_hints`);
* `sniff` — content sniffing (PDF, SignedData, TNEF) and transfer-encoding repair;
* `tnef` — Outlook's winmail.dat with long names and its code page;
* `pairing` — which signature covers which PDF, by content first;
* `problems` — the stable problem codes.

Everything is a pure function over bytes.
"""

from ingest.parcels.headers import (
    HeaderHints,
    decode_legacy,
    filename_of,
    header_hints,
    header_text,
)
from ingest.parcels.pairing import Parcel, SignatureFile, name_stem
from ingest.parcels.problems import (
    DUPLICATE_ATTACHMENT,
    MIME_DEFECTS,
    MIME_TOO_DEEP,
    MIME_TOO_MANY_PARTS,
    NO_DOCUMENTS,
    NOT_A_MESSAGE,
    NOT_CMS,
    NOT_PDF,
    P7S_BASE64_TEXT,
    P7S_PEM,
    PAIRED_BY_CONTENT,
    PAIRED_BY_POSITION,
    PART_EMPTY,
    PART_TOO_LARGE,
    PART_UNDECODABLE,
    PDF_WITHOUT_SIGNATURE,
    PGP_SIGNATURE_IGNORED,
    SEVERAL_SIGNATURES,
    SIGNATURE_WITHOUT_PDF,
    SMIME_OPAQUE_UNWRAPPED,
    SMIME_SIGNATURE_IGNORED,
    TNEF_ATTACHMENT,
    TOO_MANY_DOCUMENTS,
    TRANSFER_ENCODING_REPAIRED,
)
from ingest.parcels.sniff import as_der_signed_data, is_der_signed_data, is_pdf
from ingest.parcels.tnef import TnefFile, tnef_files
from ingest.parcels.walk import ParsedMessage, ParseError, ParseLimits, parse_parcels

__all__ = [
    "DUPLICATE_ATTACHMENT",
    "MIME_DEFECTS",
    "MIME_TOO_DEEP",
    "MIME_TOO_MANY_PARTS",
    "NOT_A_MESSAGE",
    "NOT_CMS",
    "NOT_PDF",
    "NO_DOCUMENTS",
    "P7S_BASE64_TEXT",
    "P7S_PEM",
    "PAIRED_BY_CONTENT",
    "PAIRED_BY_POSITION",
    "PART_EMPTY",
    "PART_TOO_LARGE",
    "PART_UNDECODABLE",
    "PDF_WITHOUT_SIGNATURE",
    "PGP_SIGNATURE_IGNORED",
    "SEVERAL_SIGNATURES",
    "SIGNATURE_WITHOUT_PDF",
    "SMIME_OPAQUE_UNWRAPPED",
    "SMIME_SIGNATURE_IGNORED",
    "TNEF_ATTACHMENT",
    "TOO_MANY_DOCUMENTS",
    "TRANSFER_ENCODING_REPAIRED",
    "HeaderHints",
    "Parcel",
    "ParseError",
    "ParseLimits",
    "ParsedMessage",
    "SignatureFile",
    "TnefFile",
    "as_der_signed_data",
    "decode_legacy",
    "filename_of",
    "header_hints",
    "header_text",
    "is_der_signed_data",
    "is_pdf",
    "name_stem",
    "parse_parcels",
    "tnef_files",
]
