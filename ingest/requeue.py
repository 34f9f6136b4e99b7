"""Re-processing quarantined mail, after an operator fixed the cause.

Two places hold quarantined mail (web/pages_quarantine.py lists both): archive rows with
status "quarantined", whose raw message is kept as a blob, and spool items the worker set
aside before anything was archived. A row is run through the real pipeline again now (the
same bytes: filed exactly once, or quarantined again with the same row); a spool item is given
a fresh start in the queue, for the worker. Both are audited as the operator's.
"""

from __future__ import annotations

from collections.abc import Callable

from archive import audit
from archive.db import Database
from archive.models import Message
from ingest.envelope import Envelope
from ingest.filing import Actor, Outcome
from ingest.pipeline import PipelineDeps, process
from ingest.spool import Spool


class NotQuarantined(Exception):
    """No quarantined message (or spool item) has that id: gone, or never quarantined."""

    reason = "NOT_QUARANTINED"


#: Re-processing as the web gets it: (message row id, who asked) -> the pipeline's outcome.
Reprocess = Callable[[int, Actor], Outcome]


def reprocess(deps: PipelineDeps, message_id: int, actor: Actor) -> Outcome:
    """Run the pipeline again over a quarantined message's kept raw bytes; raises
    NotQuarantined when there is no such row. Blocking: the web runs it in a thread."""
    with deps.db.session() as s:
        msg = s.get(Message, message_id)
        if msg is None or msg.status != "quarantined" or not msg.raw_sha256:
            raise NotQuarantined(f"message #{message_id}")
        audit.record(s, actor.username, "message.reprocess", "message", msg.id, actor.remote)
        envelope = Envelope(
            mail_from=msg.envelope_from,
            rcpt_tos=tuple(msg.envelope_to or ()),
            received_at=msg.received_at,
            peer="reprocess",
            source=msg.source or "smtp",
        )
        digest = msg.raw_sha256
    return process(deps.blobs.get(digest), envelope, deps)


def release(spool: Spool, db: Database, item_id: str, actor: Actor) -> None:
    """Put a spool item set aside by the worker back into the queue with no attempts counted;
    raises NotQuarantined when the spool's quarantine holds no such item."""
    if item_id not in {item.id for item in spool.list_quarantine()}:
        raise NotQuarantined(f"spool item {item_id[:100]}")
    spool.release(item_id)
    with db.session() as s:
        audit.record(s, actor.username, "spool.release", "spool_item", item_id[:100], actor.remote)
