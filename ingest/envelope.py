"""The SMTP envelope of one received message, stored beside it in the spool.

The envelope (who the sending server said the message is from and for, when and from where it
arrived) is not part of the message bytes: the receiver adds no `Received:` header, so the
stored bytes are exactly what the client sent and identical copies stay identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    received_at: datetime
    #: The peer's IP address (no port), or a label such as "import" for importers.
    peer: str
    #: "smtp", "lmtp", "import", "imap", ...
    source: str = "smtp"
    helo: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "mail_from": self.mail_from,
                "rcpt_tos": list(self.rcpt_tos),
                "received_at": self.received_at.astimezone(UTC).isoformat(),
                "peer": self.peer,
                "source": self.source,
                "helo": self.helo,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        data: dict[str, Any] = json.loads(text)
        return cls(
            mail_from=str(data["mail_from"]),
            rcpt_tos=tuple(str(r) for r in data["rcpt_tos"]),
            received_at=datetime.fromisoformat(data["received_at"]),
            peer=str(data.get("peer", "")),
            source=str(data.get("source", "smtp")),
            helo=str(data.get("helo", "")),
        )

    @classmethod
    def now(cls, mail_from: str, rcpt_tos: tuple[str, ...] | list[str], **kw: Any) -> Envelope:
        """An envelope received at the current time (importers and tests)."""
        kw.setdefault("peer", "")
        return cls(mail_from, tuple(rcpt_tos), datetime.now(UTC), **kw)


def address_domain(address: str) -> str:
    """The part of an address that may go into logs (the local part is personal data)."""
    return address.rpartition("@")[2].lower() or "-"
