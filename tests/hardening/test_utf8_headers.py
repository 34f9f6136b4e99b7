"""Raw 8-bit headers (RFC 6532, what SMTPUTF8 clients send) arrive as the sender wrote them.

Issue 14, break 8: a raw UTF-8 Subject was stored as KOI8-R mojibake. Checked twice: the parser
over the forms real clients write (raw UTF-8 short and folded, RFC 2047 words, and the legacy
windows-1251/KOI8-U that old phone clients write raw), and end to end through the real `serve`
with an SMTPUTF8 session, down to the archived message row.
"""

from __future__ import annotations

import re
import smtplib
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.models import Message
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from ingest.parcels import parse_parcels
from tests.ingest.mailmaker import BRANCH, diia_pair, gmail, rfc2047
from tests.privacy.conftest import open_installation, start_serve, wait_for

SUBJECT = "Копія документа з Дії: Тестова Олена Петрівна — паспорт №"
SHORT = "Тест"
LEGACY = "Копія документа з Дії: Тестова Олена Петрівна"


def _with_raw_subject(message: bytes, subject: bytes) -> bytes:
    return re.sub(
        rb"Subject: .*?\r\n(?=[^ \t])",
        b"Subject: " + subject + b"\r\n",
        message,
        count=1,
        flags=re.S,
    )


def _message(subject: bytes) -> bytes:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"
    p7s = b"\x30\x82\x10\x00" + bytes(range(255, -1, -1)) * 16
    return _with_raw_subject(gmail(diia_pair(pdf, p7s)), subject)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (SHORT.encode(), SHORT),
        (SUBJECT.encode(), SUBJECT),
        (SUBJECT[:30].encode() + b"\r\n " + SUBJECT[31:].encode(), SUBJECT),  # folded
        (rfc2047(SUBJECT, fold="\r\n ").encode(), SUBJECT),
        (b"Re: " + SHORT.encode() + b" " + rfc2047(SHORT).encode(), f"Re: {SHORT} {SHORT}"),
        (LEGACY.encode("cp1251"), LEGACY),
        (LEGACY.encode("koi8-u"), LEGACY),
    ],
    ids=["utf8-short", "utf8", "utf8-folded", "rfc2047", "mixed", "cp1251", "koi8-u"],
)
def test_raw_subject_forms(raw: bytes, expected: str) -> None:
    subject = parse_parcels(_message(raw)).subject
    assert subject == expected
    assert "п╒" not in subject


def test_smtputf8_subject_is_archived_as_sent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rt = open_installation(data, b"")
    rt.close()
    served = start_serve(data, tmp_path / "serve.log")
    raw = _message(SUBJECT.encode())
    try:
        with smtplib.SMTP("127.0.0.1", served.smtp_port, timeout=60) as client:
            client.ehlo("client.example.net")
            assert client.has_extn("smtputf8")
            client.sendmail("олена.тестова@приклад.укр", [BRANCH], raw, mail_options=["SMTPUTF8"])
        rt = Runtime.open(load_config(data_dir=data, env={}))
        try:

            def stored() -> list[tuple[str, str]]:
                with rt.db.session() as s:
                    return [(m.subject, m.status) for m in s.execute(select(Message)).scalars()]

            wait_for(
                lambda: any(st != "received" for _s, st in stored()), "the message to be archived"
            )
            [(subject, _status)] = stored()
        finally:
            rt.close()
    finally:
        served.stop()
    assert subject == SUBJECT
