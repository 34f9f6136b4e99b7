"""Log output: readable text lines or JSON lines, with the ids that tie lines together.

Every part logs through the standard `logging` module (so do aiohttp, aiosmtpd, SQLAlchemy);
only the formatter differs. Context (`request_id` on web requests, `smtp_session` on receiver
lines) is bound with structlog's contextvars by the web middleware and the SMTP session task,
and appears on every line logged while it is bound, whichever library logged it.

JSON lines carry `timestamp` (UTC, ISO 8601), `level`, `logger`, `event` (the message) and the
bound fields, for log shippers (Loki, Elasticsearch, journald's JSON view) to index without a
parsing rule. Nothing here decides *what* is logged: the no-personal-data rule is kept by the
call sites and checked by tests/privacy/test_logs.py in both formats.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from diia_inbox.logsafe import FORMAT as TEXT_FORMAT
from diia_inbox.logsafe import SafeFormatter

if TYPE_CHECKING:
    from structlog.typing import Processor


class TextFormatter(SafeFormatter):
    """The classic one-line format (control characters escaped, logsafe), with bound context
    appended as `key=value`. JSON lines need no such escaping: JSON encodes them."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # Context is bound only through structlog.contextvars; where nothing imported it
        # (a command-line verb), nothing can be bound, and structlog stays unloaded.
        bound = sys.modules.get("structlog.contextvars")
        context = bound.get_contextvars() if bound is not None else {}
        if not context:
            return line
        suffix = " ".join(f"{k}={v}" for k, v in sorted(context.items()))
        head, sep, rest = line.partition("\n")  # keep a traceback below the first line
        return f"{head} [{suffix}]{sep}{rest}"


def json_formatter() -> logging.Formatter:
    # Imported here, not at the top: structlog (with the asyncio it pulls in) costs ~75 ms of
    # every command's start, and only JSON output and the servers' bound context need it
    # (measured with `python -X importtime -c "import diia_inbox.cli"`).
    import structlog
    from structlog.contextvars import merge_contextvars

    shared: list[Processor] = [
        merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return json_formatter()
    return TextFormatter()


def apply_format(fmt: str) -> None:
    """Give every handler of the root logger the chosen formatter (levels are left as the
    command set them, so a caller that turned on DEBUG keeps it)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    chosen = formatter(fmt)
    for handler in root.handlers:
        handler.setFormatter(chosen)
