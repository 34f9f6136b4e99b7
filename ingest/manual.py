"""Filing a copy checked by hand: the manual check's "save to archive" (web/pages_check.py).

The copy is filed by the same use case as received mail (`ingest.filing.file_copies`), with
the same blobs, rows, index step and an audit entry in the same transaction. What differs is
where it came from, and that is all this module says: no raw e-mail (so it is filed each time
it is saved, the row's `raw_sha256` empty), source "manual", the admin as the sender, no
branch address (so no branch, no QR matching and no NO_BRANCH flag), the text and recognised
fields extracted here because no pipeline step did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archive.models import utcnow
from ingest.envelope import Envelope
from ingest.filing import Actor, Arrival, CopyToFile, Outcome, file_copies
from ingest.pipeline import PipelineDeps, verification_of
from verify.report import Report

SOURCE = "manual"


@dataclass(frozen=True)
class CheckedCopy:
    """The files of a manual check and the verifier's report on them."""

    p7s: bytes
    p7s_name: str
    pdf: bytes | None
    pdf_name: str
    report: Report


#: The manual check's filing as the web gets it: (copy, who asked) -> the outcome.
FileChecked = Callable[[CheckedCopy, Actor], Outcome]


def file_checked(deps: PipelineDeps, checked: CheckedCopy, actor: Actor) -> Outcome:
    """File a checked copy as a manual entry, audited as `actor`'s "document.create".

    Blocking (text extraction, the database): the web runs it in a thread."""
    pdf = checked.pdf or checked.report.signed_content
    filename = checked.pdf_name or checked.p7s_name.removesuffix(".p7s")
    text = ""
    flags: tuple[str, ...] = ()
    fields: dict[str, Any] = {}
    if pdf:
        extracted = deps.extract(pdf)
        text, flags = extracted.text, tuple(extracted.flags)
        fields = dict(deps.recognise(text, filename))
    now = utcnow()
    arrival = Arrival(
        Envelope(actor.username, (), now, actor.remote, SOURCE),
        raw=None,
        size=len(checked.p7s) + len(pdf or b""),
        message_id=f"manual-{hashlib.sha256(b'manual:' + checked.p7s).hexdigest()[:32]}",
    )
    copy = CopyToFile(
        filename=filename,
        pdf=pdf,
        signatures=(checked.p7s,),
        verification=verification_of(checked.report),
        text=text,
        fields=fields,
        document_type=fields.get("document_type") or None,
        flags=flags,
    )
    return file_copies(arrival, [copy], deps, actor=actor)
