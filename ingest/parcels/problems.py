"""Stable problem codes of MIME parsing (message level and document level).

Codes, never free text: the pipeline stores them (`messages.reason`, `documents.flags`) and the
web layer translates them (`web/i18n.py`), so renaming one is a data migration.
"""

from __future__ import annotations

# Message level: the shape of the mail.
MIME_TOO_DEEP = "MIME_TOO_DEEP"
MIME_TOO_MANY_PARTS = "MIME_TOO_MANY_PARTS"
MIME_DEFECTS = "MIME_DEFECTS"
PART_TOO_LARGE = "PART_TOO_LARGE"
PART_EMPTY = "PART_EMPTY"
PART_UNDECODABLE = "PART_UNDECODABLE"
TOO_MANY_DOCUMENTS = "TOO_MANY_DOCUMENTS"
DUPLICATE_ATTACHMENT = "DUPLICATE_ATTACHMENT"
SMIME_SIGNATURE_IGNORED = "SMIME_SIGNATURE_IGNORED"
SMIME_OPAQUE_UNWRAPPED = "SMIME_OPAQUE_UNWRAPPED"
PGP_SIGNATURE_IGNORED = "PGP_SIGNATURE_IGNORED"  # the mail's own PGP/MIME signature
TNEF_ATTACHMENT = "TNEF_ATTACHMENT"
NOT_A_MESSAGE = "NOT_A_MESSAGE"
NO_DOCUMENTS = "NO_DOCUMENTS"

# Document level: what was done to a file, or what is missing.
NOT_PDF = "NOT_PDF"  # named or typed as PDF, content is not
NOT_CMS = "NOT_CMS"  # named or typed as a signature, content is not a SignedData
P7S_PEM = "P7S_PEM"  # signature arrived PEM-armoured; converted to DER
P7S_BASE64_TEXT = "P7S_BASE64_TEXT"  # signature arrived base64 twice; decoded
#: The declared Content-Transfer-Encoding did not fit the body (base64 text under 7bit/8bit,
#: quoted-printable under 8bit); the body was decoded by what it is.
TRANSFER_ENCODING_REPAIRED = "TRANSFER_ENCODING_REPAIRED"
PDF_WITHOUT_SIGNATURE = "PDF_WITHOUT_SIGNATURE"
SIGNATURE_WITHOUT_PDF = "SIGNATURE_WITHOUT_PDF"
#: The signature covers the PDF (its digest or its content says so) though the names differ.
PAIRED_BY_CONTENT = "PAIRED_BY_CONTENT"
PAIRED_BY_POSITION = "PAIRED_BY_POSITION"  # one PDF and one P7S left, names did not match
#: More than one signature covers this PDF; all are kept on the one document.
SEVERAL_SIGNATURES = "SEVERAL_SIGNATURES"
