"""The two log formats, read back the way a log shipper would (json.loads per line)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from structlog.contextvars import bound_contextvars

from diia_inbox.logs import formatter


@pytest.fixture
def capture() -> tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("diia_inbox.test_logs_format")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream, handler


def test_json_lines_carry_the_standard_keys_and_bound_ids(capture: tuple) -> None:
    logger, stream, handler = capture
    handler.setFormatter(formatter("json"))
    with bound_contextvars(request_id="0123456789abcdef"):
        logger.info("spooled %s, %d bytes", "item-1", 2048, extra={"spool_item": "item-1"})
    logger.warning("outside any request")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3
    first, second, third = records
    assert first["event"] == "spooled item-1, 2048 bytes"
    assert first["level"] == "info" and first["logger"] == "diia_inbox.test_logs_format"
    assert first["request_id"] == "0123456789abcdef" and first["spool_item"] == "item-1"
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert "request_id" not in second and second["level"] == "warning"
    assert "ValueError: boom" in third["exception"]


def test_text_lines_append_bound_ids(capture: tuple) -> None:
    logger, stream, handler = capture
    handler.setFormatter(formatter("text"))
    with bound_contextvars(smtp_session="a1b2c3d4e5f6"):
        logger.info("message refused: %s", "message_too_big")
    logger.info("no context")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO diia_inbox.test_logs_format message refused: message_too_big "
                          "[smtp_session=a1b2c3d4e5f6]")  # fmt: skip
    assert second.endswith("no context")
