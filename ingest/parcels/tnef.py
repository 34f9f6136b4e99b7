"""Outlook's TNEF (`winmail.dat`): the attachments inside, under their long names.

Outlook wraps attachments into TNEF when it sends "rich text" mail. Each attachment has an 8.3
short title (attAttachTitle, in the message's 8-bit code page) and, in its MAPI properties
(attAttachment), the long name (PR_ATTACH_LONG_FILENAME, 8-bit or UTF-16). The code page of the
8-bit strings is declared by attOemCodepage, or in the message's MAPI properties
(PR_INTERNET_CPID, PR_MESSAGE_CODEPAGE). The long name wins; the short title is the last resort.
Layout per [MS-OXTNEF]; the Debian `tnef` tool reads the same streams (tests cross-check).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ingest.parcels.headers import decode_legacy, safe_name
from ingest.parcels.sniff import TNEF_SIGNATURE

_LVL_MESSAGE = 0x01
_LVL_ATTACHMENT = 0x02
_ATT_OEM_CODEPAGE = 0x00069007
_ATT_MSG_PROPS = 0x00069003
_ATT_ATTACH_REND_DATA = 0x00069002
_ATT_ATTACH_TITLE = 0x00018010
_ATT_ATTACH_DATA = 0x0006800F
_ATT_ATTACHMENT = 0x00069005

_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_FILENAME = 0x3704
_PR_DISPLAY_NAME = 0x3001
_PR_ATTACH_DATA_OBJ = 0x3701
_PR_INTERNET_CPID = 0x3FDE
_PR_MESSAGE_CODEPAGE = 0x3FFD

_PT_STRING8 = 0x001E
_PT_UNICODE = 0x001F
_PT_BINARY = 0x0102
_PT_OBJECT = 0x000D
_MV_FLAG = 0x1000
_FIXED = {
    0x0001: 4, 0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
    0x000A: 4, 0x000B: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16,
}  # fmt: skip
_MAX_PROPS = 4096

#: Windows code page numbers that Python's codec names do not spell as "cpNNNN".
_CODEPAGE_NAMES = {
    65001: "utf-8", 20866: "koi8-r", 21866: "koi8-u", 28595: "iso8859-5",
    28591: "latin-1", 1200: "utf-16-le", 20127: "ascii",
}  # fmt: skip


_PSEUDOGRAPHICS = re.compile("[\u2500-\u25ff\u2591-\u2593]")


class _Truncated(Exception):
    """The TNEF stream ends inside an attribute (caught here: the attachment is kept as is)."""

    reason = "TNEF_TRUNCATED"


@dataclass(frozen=True)
class TnefFile:
    """One attachment of a TNEF stream: its best name and its bytes."""

    name: str
    data: bytes


@dataclass
class _Record:
    short: bytes = b""
    props: dict[int, tuple[int, bytes]] | None = None
    data: bytes | None = None


def codec_for(codepage: int) -> str | None:
    """The Python codec of a Windows code page number, or None when Python has none."""
    name = _CODEPAGE_NAMES.get(codepage, f"cp{codepage}")
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _u32(data: bytes, pos: int) -> int:
    if pos + 4 > len(data):
        raise _Truncated
    return int.from_bytes(data[pos : pos + 4], "little")


def mapi_properties(blob: bytes) -> dict[int, tuple[int, bytes]]:
    """A MAPI property list (attAttachment, attMsgProps): id -> (type, first value's bytes).

    Multi-valued and named properties are stepped over correctly and kept only when simple;
    a truncated list gives what was read before the cut.
    """
    out: dict[int, tuple[int, bytes]] = {}
    try:
        count = min(_u32(blob, 0), _MAX_PROPS)
        pos = 4
        for _ in range(count):
            tag = _u32(blob, pos)
            pos += 4
            ptype, pid = tag & 0xFFFF, tag >> 16
            if pid >= 0x8000:  # named property: GUID, kind, then an id or a name
                pos += 16
                kind = _u32(blob, pos)
                pos += 4
                if kind == 0:
                    pos += 4
                else:
                    length = _u32(blob, pos)
                    pos += 4 + length + (-length % 4)
            multi = bool(ptype & _MV_FLAG)
            base = ptype & ~_MV_FLAG
            if base in (_PT_STRING8, _PT_UNICODE, _PT_BINARY, _PT_OBJECT):
                values = _u32(blob, pos)
                pos += 4
                first = b""
                for n in range(values):
                    length = _u32(blob, pos)
                    pos += 4
                    if pos + length > len(blob):
                        raise _Truncated
                    if n == 0:
                        first = blob[pos : pos + length]
                    pos += length + (-length % 4)
                if pid < 0x8000 and not multi:
                    out[pid] = (base, first)
            elif base in _FIXED:
                values = _u32(blob, pos) if multi else 1
                if multi:
                    pos += 4
                size = _FIXED[base]
                if pos + size > len(blob):
                    raise _Truncated
                if pid < 0x8000 and not multi:
                    out[pid] = (base, blob[pos : pos + size])
                pos += values * (size + (-size % 4))
            else:
                break  # an unknown type: its length cannot be known, stop here
    except _Truncated:
        pass
    return out


def _string(value: tuple[int, bytes], codec: str | None) -> str:
    ptype, raw = value
    if ptype == _PT_UNICODE:
        return raw.decode("utf-16-le", "replace").split("\x00", 1)[0]
    raw = raw.split(b"\x00", 1)[0]
    if codec is not None:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if not _PSEUDOGRAPHICS.search(text):
                return text
            # An OEM code page (866) declared over ANSI (1251) bytes reads as box drawing,
            # never as a file name: fall back to the guess by shape.
    return decode_legacy(raw)


def tnef_files(data: bytes, max_bytes: int) -> list[TnefFile]:
    """The file attachments inside an Outlook winmail.dat (what could be read of a bad one)."""
    if not data.startswith(TNEF_SIGNATURE):
        return []
    codepage: int | None = None
    msg_props: dict[int, tuple[int, bytes]] = {}
    records: list[_Record] = []
    pos = 6  # signature (4) + key (2)
    while pos + 9 <= len(data):
        level = data[pos]
        attr = int.from_bytes(data[pos + 1 : pos + 5], "little")
        length = int.from_bytes(data[pos + 5 : pos + 9], "little")
        start = pos + 9
        end = start + length
        if end + 2 > len(data) or length > max_bytes:
            break
        value = data[start:end]
        pos = end + 2  # checksum
        if level == _LVL_MESSAGE:
            if attr == _ATT_OEM_CODEPAGE and len(value) >= 4:
                codepage = int.from_bytes(value[:4], "little")
            elif attr == _ATT_MSG_PROPS:
                msg_props = mapi_properties(value)
            continue
        if level != _LVL_ATTACHMENT:
            continue
        if attr == _ATT_ATTACH_REND_DATA or not records:
            records.append(_Record())
        record = records[-1]
        if attr == _ATT_ATTACH_TITLE:
            record.short = value
        elif attr == _ATT_ATTACH_DATA:
            record.data = value
        elif attr == _ATT_ATTACHMENT:
            record.props = mapi_properties(value)
    codec = _message_codec(codepage, msg_props)
    out: list[TnefFile] = []
    for record in records:
        props = record.props or {}
        body = record.data
        if body is None and _PR_ATTACH_DATA_OBJ in props:
            body = props[_PR_ATTACH_DATA_OBJ][1]
        if not body:
            continue
        name = ""
        for pid in (_PR_ATTACH_LONG_FILENAME, _PR_DISPLAY_NAME, _PR_ATTACH_FILENAME):
            if pid in props and props[pid][0] in (_PT_STRING8, _PT_UNICODE):
                name = safe_name(_string(props[pid], codec))
                if name:
                    break
        if not name and record.short:
            name = safe_name(_string((_PT_STRING8, record.short), codec))
        out.append(TnefFile(name, body))
    return out


def _message_codec(codepage: int | None, props: dict[int, tuple[int, bytes]]) -> str | None:
    """attOemCodepage first (it is the code page of the stream's 8-bit strings), then MAPI's."""
    candidates = [codepage] if codepage else []
    for pid in (_PR_INTERNET_CPID, _PR_MESSAGE_CODEPAGE):
        if pid in props and len(props[pid][1]) >= 4:
            candidates.append(int.from_bytes(props[pid][1][:4], "little"))
    for number in candidates:
        if number:
            codec = codec_for(number)
            if codec is not None:
                return codec
    return None
