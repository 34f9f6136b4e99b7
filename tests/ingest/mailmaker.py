"""Builders of Diia-like e-mails in the shapes real mail clients give them.

The Diia app drafts the message, but the citizen's own mail client sends it, and every client
re-shapes attachments its own way. Each builder below writes the message byte by byte (not
through the `email` package's generator, which would normalise exactly the quirks we must
survive): Gmail's RFC 2047 names split into several encoded words, Outlook's `size=` and date
parameters with `application/x-pkcs7-signature`, Apple Mail's NFD names, `x-unix-mode` and
RFC 2231 names with interleaved text parts, Thunderbird's RFC 2231 continuations, Samsung Email's
raw UTF-8 header bytes and `application/octet-stream`, the iPhone share sheet's unquoted names
and quoted-printable signature line, and Outlook's TNEF `winmail.dat`.

Only invented people and addresses appear here.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

CRLF = "\r\n"
SENDER = "taras.test@example.net"
SENDER_NAME = "Тарас Тестовий"
BRANCH = "hotel-dnipro@inbox.example.org"
SUBJECT = "Копії документів з Дії"
DATE = "Fri, 20 Nov 2026 10:15:03 +0200"


@dataclass(frozen=True)
class Att:
    """One attachment as the client would label it."""

    name: str
    data: bytes
    content_type: str


def diia_pair(
    pdf: bytes,
    p7s: bytes,
    title: str = "Паспорт громадянина України",
    *,
    p7s_style: str = "pdf.p7s",
    p7s_type: str = "application/pkcs7-signature",
) -> list[Att]:
    """A document as the Diia app attaches it: `<title>.pdf` and `<title>.pdf.p7s` (or `.p7s`)."""
    p7s_name = f"{title}.pdf.p7s" if p7s_style == "pdf.p7s" else f"{title}.p7s"
    return [Att(f"{title}.pdf", pdf, "application/pdf"), Att(p7s_name, p7s, p7s_type)]


# --- encodings ----------------------------------------------------------------------------


def b64_body(data: bytes, width: int = 76) -> str:
    text = base64.b64encode(data).decode("ascii")
    return CRLF.join(text[i : i + width] for i in range(0, len(text), width)) + CRLF


def qp_text(text: str) -> str:
    import quopri

    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", CRLF)


def rfc2047(text: str, charset: str = "UTF-8", *, fold: str = CRLF + "\t", q: bool = False) -> str:
    """Encoded words of at most 75 characters, split on character boundaries (RFC 2047 5.)."""
    if text.isascii() and not q:
        return text
    words: list[str] = []
    current = ""
    prefix = f"=?{charset}?{'Q' if q else 'B'}?"

    def encode(chunk: str) -> str:
        raw = chunk.encode(charset)
        if q:
            return "".join(
                chr(b) if chr(b).isalnum() else ("_" if b == 32 else f"={b:02X}") for b in raw
            )
        return base64.b64encode(raw).decode("ascii")

    for ch in text:
        if len(prefix) + len(encode(current + ch)) + 2 > 75:
            words.append(f"{prefix}{encode(current)}?=")
            current = ""
        current += ch
    if current:
        words.append(f"{prefix}{encode(current)}?=")
    return fold.join(words)


def rfc2231(param: str, text: str, *, per_line: int = 60, charset: str = "UTF-8") -> str:
    """`param*0*=UTF-8''...; param*1*=...` continuations, never splitting a %XX triplet."""
    quoted = urllib.parse.quote(text.encode(charset), safe="")
    if len(quoted) <= per_line:
        return f"{param}*={charset}''{quoted}"
    pieces: list[str] = []
    current = ""
    i = 0
    while i < len(quoted):
        token = quoted[i : i + 3] if quoted[i] == "%" else quoted[i]
        if len(current) + len(token) > per_line:
            pieces.append(current)
            current = ""
        current += token
        i += len(token)
    pieces.append(current)
    parts = [
        f"{param}*{n}*={charset}''{piece}" if n == 0 else f"{param}*{n}*={piece}"
        for n, piece in enumerate(pieces)
    ]
    return (";" + CRLF + " ").join(parts)


def _boundary(seed: str, style: str) -> str:
    h = hashlib.sha1(seed.encode()).hexdigest()
    return style.format(h=h, H=h.upper())


def _msgid(seed: str, domain: str) -> str:
    return f"<{hashlib.sha1(seed.encode()).hexdigest()[:24]}@{domain}>"


def _seed(atts: Sequence[Att], extra: str) -> str:
    return extra + "|".join(hashlib.sha256(a.data).hexdigest()[:8] + a.name for a in atts)


def _join(lines: Sequence[str]) -> bytes:
    return CRLF.join(lines).encode("utf-8")


# --- client shapes ------------------------------------------------------------------------


def gmail(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Gmail web and the Gmail app: mixed > alternative(text, html) + attachments, RFC 2047."""
    seed = _seed(atts, "gmail")
    outer = _boundary(seed, "000000000000{h:.12}0605")
    alt = _boundary(seed + "alt", "000000000000{h:.12}0603")
    lines = [
        "MIME-Version: 1.0",
        f"Date: {DATE}",
        f"Message-ID: {_msgid(seed, 'mail.gmail.com')}",
        f"Subject: {rfc2047(subject, fold=CRLF + ' ')}",
        f"From: {rfc2047(SENDER_NAME)} <{SENDER}>",
        f"To: {to}",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        f'Content-Type: multipart/alternative; boundary="{alt}"',
        "",
        f"--{alt}",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64_body("Документи з Дії".encode()),
        f"--{alt}",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64_body('<div dir="ltr">Документи з Дії</div>'.encode()),
        f"--{alt}--",
    ]
    for n, a in enumerate(atts):
        fid = f"f_{hashlib.sha1(a.data).hexdigest()[:9]}{n}"
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; {CRLF}\tname="{rfc2047(a.name)}"',
            f'Content-Disposition: attachment; {CRLF}\tfilename="{rfc2047(a.name)}"',
            "Content-Transfer-Encoding: base64",
            f"Content-ID: <{fid}>",
            f"X-Attachment-Id: {fid}",
            "",
            b64_body(a.data),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def outlook(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Outlook (desktop and outlook.com): `size=`/dates in the disposition, Content-Description.

    Outlook labels `.p7s` from the Windows registry: `application/x-pkcs7-signature` or
    `application/pkcs7-signature`; callers choose through Att.content_type.
    """
    seed = _seed(atts, "outlook")
    outer = _boundary(seed, "_004_AM0PR01MB{H:.16}namprd01prodoutlookcom_")
    alt = _boundary(seed, "_000_AM0PR01MB{H:.16}namprd01prodoutlookcom_")
    body = "Добрий день!\r\nДокументи з Дії у вкладенні.\r\n"
    lines = [
        f"From: {rfc2047(SENDER_NAME, q=True)} <{SENDER}>",
        f"To: {to}",
        f"Subject: {rfc2047(subject)}",
        "Thread-Topic: " + rfc2047(subject),
        "Thread-Index: AQHa1b2c3d4e5f6g7h8i9j0k==",
        f"Date: {DATE}",
        f"Message-ID: {_msgid(seed, 'AM0PR01MB1234.eurprd01.prod.outlook.com')}",
        "Accept-Language: uk-UA, en-US",
        "Content-Language: uk-UA",
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator:",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
        "MIME-Version: 1.0",
        "",
        f"--{outer}",
        f'Content-Type: multipart/alternative;{CRLF}\tboundary="{alt}"',
        "",
        f"--{alt}",
        'Content-Type: text/plain; charset="windows-1251"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _qp_bytes(body.encode("windows-1251")),
        f"--{alt}",
        'Content-Type: text/html; charset="windows-1251"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        _qp_bytes(f"<html><body><p>{body}</p></body></html>".encode("windows-1251")),
        f"--{alt}--",
        "",
    ]
    for a in atts:
        enc = rfc2047(a.name, "utf-8", fold="")
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; name="{enc}"',
            f"Content-Description: {enc}",
            f'Content-Disposition: attachment; filename="{enc}"; size={len(a.data)};',
            '\tcreation-date="Fri, 20 Nov 2026 08:15:03 GMT";',
            '\tmodification-date="Fri, 20 Nov 2026 08:15:03 GMT"',
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def _qp_bytes(raw: bytes) -> str:
    import quopri

    return quopri.encodestring(raw).decode("ascii").replace("\n", CRLF)


def apple_mail(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """macOS Apple Mail: NFD file names (the file system's), RFC 2231 `filename*`, x-unix-mode,
    and a text part between attachments, which Mail writes when they are shown inline."""
    seed = _seed(atts, "apple")
    outer = _boundary(seed, "Apple-Mail=_{H:.8}-{H:.4}-4A1B-9C2D-{H:.12}")
    lines = [
        f"From: {rfc2047(SENDER_NAME, 'utf-8')} <{SENDER}>",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))",
        f"Subject: {rfc2047(subject, 'utf-8')}",
        f"Message-Id: {_msgid(seed, 'icloud.com')}",
        f"Date: {DATE}",
        f"To: {to}",
        "X-Mailer: Apple Mail (2.3774.600.62)",
        "",
        "",
        f"--{outer}",
        "Content-Transfer-Encoding: 7bit",
        "Content-Type: text/plain;",
        "\tcharset=us-ascii",
        "",
        "",
    ]
    for a in atts:
        nfd = unicodedata.normalize("NFD", a.name)
        lines += [
            f"--{outer}",
            "Content-Disposition: inline;",
            "\t" + rfc2231("filename", nfd, per_line=70).replace(CRLF + " ", CRLF + "\t"),
            f"Content-Type: {a.content_type};",
            "\tx-unix-mode=0644;",
            f'\tname="{rfc2047(nfd, "utf-8", fold=CRLF + chr(9))}"',
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data),
            f"--{outer}",
            "Content-Transfer-Encoding: 7bit",
            "Content-Type: text/plain;",
            "\tcharset=us-ascii",
            "",
            "",
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def thunderbird(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Thunderbird: RFC 2047 `name=` beside RFC 2231 continuations `filename*0*=`, 8-bit body."""
    seed = _seed(atts, "thunderbird")
    outer = _boundary(seed, "------------{h:.24}")
    lines = [
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        f"Message-ID: {_msgid(seed, 'example.net')}",
        f"Date: {DATE}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: uk",
        f"To: {to}",
        f"From: {rfc2047(SENDER_NAME)} <{SENDER}>",
        f"Subject: {rfc2047(subject, fold=CRLF + ' ')}",
        "",
        "This is a multi-part message in MIME format.",
        f"--{outer}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Документи з Дії.",
        "",
    ]
    for a in atts:
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; name="{rfc2047(a.name, fold=CRLF + " ")}"',
            "Content-Disposition: attachment;",
            " " + rfc2231("filename", a.name, per_line=40),
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data, width=72),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def android_share(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Samsung Email from an Android share sheet: raw UTF-8 names (RFC 6532 style), `.p7s` as
    application/octet-stream (Android has no MIME type for it), no text body at all."""
    seed = _seed(atts, "android")
    outer = _boundary(seed, "--_com.samsung.android.email_{h:.15}")
    lines = [
        f"Message-ID: {_msgid(seed, 'email.android.com')}",
        f"Date: {DATE}",
        f"Subject: {subject}",
        f"From: {SENDER}",
        f"To: {to}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
    ]
    for a in atts:
        ctype = "application/octet-stream" if a.name.endswith(".p7s") else a.content_type
        lines += [
            f"--{outer}",
            f'Content-Type: {ctype}; name="{a.name}"',
            "Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; filename="{a.name}"; size={len(a.data)}',
            "",
            b64_body(a.data),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def ios_share(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """iPhone Mail from the share sheet: unquoted boundary, attachments first, then the
    quoted-printable "Sent from my iPhone" part; names RFC 2047 in both parameters."""
    seed = _seed(atts, "ios")
    outer = _boundary(seed, "Apple-Mail-{H:.8}-{H:.4}-{H:.4}-{H:.4}-{H:.12}")
    lines = [
        f"Content-Type: multipart/mixed; boundary={outer}",
        "Content-Transfer-Encoding: 7bit",
        f"From: {rfc2047(SENDER_NAME, 'utf-8')} <{SENDER}>",
        "Mime-Version: 1.0 (1.0)",
        f"Date: {DATE}",
        f"Subject: {rfc2047(subject, 'utf-8')}",
        f"Message-Id: {_msgid(seed, 'icloud.com')}",
        f"To: {to}",
        "X-Mailer: iPhone Mail (21G93)",
        "",
    ]
    for a in atts:
        enc = rfc2047(a.name, "utf-8", fold=CRLF + "\t")
        name = a.name if a.name.isascii() and " " not in a.name else f'"{enc}"'
        lines += [
            f"--{outer}",
            f"Content-Type: {a.content_type};",
            f"\tname={name}",
            "Content-Disposition: attachment;",
            f"\tfilename={name}",
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data),
        ]
    lines += [
        f"--{outer}",
        "Content-Type: text/plain;",
        "\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp_text("Надіслано з iPhone"),
        f"--{outer}--",
        "",
    ]
    return _join(lines)


def outlook_tnef(
    atts: Sequence[Att],
    *,
    to: str = BRANCH,
    subject: str = SUBJECT,
    codepage: int | None = 1251,
    long_names: str | None = "unicode",
) -> bytes:
    """Outlook in rich-text mode: the attachments travel inside `winmail.dat` (TNEF)."""
    seed = _seed(atts, "tnef")
    outer = _boundary(seed, "_003_DB7PR01MB{H:.16}namprd01prodoutlookcom_")
    lines = [
        f"From: {SENDER}",
        f"To: {to}",
        f"Subject: {rfc2047(subject)}",
        f"Date: {DATE}",
        f"Message-ID: {_msgid(seed, 'DB7PR01MB1234.eurprd01.prod.outlook.com')}",
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator: <DB7PR01MB1234@eurprd01.prod.outlook.com>",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
        "MIME-Version: 1.0",
        "",
        f"--{outer}",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "",
        "See attached.",
        "",
        f"--{outer}",
        'Content-Type: application/ms-tnef; name="winmail.dat"',
        'Content-Disposition: attachment; filename="winmail.dat"',
        "Content-Transfer-Encoding: base64",
        "",
        b64_body(make_tnef(atts, codepage=codepage, long_names=long_names)),
        f"--{outer}--",
        "",
    ]
    return _join(lines)


def short_name(name: str, n: int = 1) -> str:
    """The 8.3 alias Windows gives a long name (`ПАСПОР~1.PDF`): what attAttachTitle holds."""
    stem, _, ext = name.rpartition(".")
    stem = "".join(ch for ch in (stem or name) if ch.isalnum()).upper()[:6] or "FILE"
    return f"{stem}~{n}.{ext.upper()[:3]}" if ext else f"{stem}~{n}"


def _tnef_attr(level: int, attr_id: int, value: bytes) -> bytes:
    checksum = sum(value) & 0xFFFF
    return (
        bytes([level])
        + attr_id.to_bytes(4, "little")
        + len(value).to_bytes(4, "little")
        + value
        + checksum.to_bytes(2, "little")
    )


def _mapi_props(props: Sequence[tuple[int, int, bytes]]) -> bytes:
    """A MAPI property list as TNEF writes it: count, then tag + value (variable types with a
    value count and a length, everything padded to 4 bytes) [MS-OXTNEF 2.1.3.5]."""
    out = bytearray(len(props).to_bytes(4, "little"))
    for ptype, pid, value in props:
        out += ((pid << 16) | ptype).to_bytes(4, "little")
        if ptype in (0x001E, 0x001F, 0x0102):
            out += (1).to_bytes(4, "little") + len(value).to_bytes(4, "little")
        out += value + bytes(-len(value) % 4)
    return bytes(out)


def make_tnef(
    atts: Sequence[Att], *, codepage: int | None = 1251, long_names: str | None = "unicode"
) -> bytes:
    """A TNEF stream as Outlook writes it for rich-text mail.

    Message level: attTnefVersion, attOemCodepage (`codepage`) and attMsgProps with
    PR_INTERNET_CPID. Per attachment: attAttachRendData, attAttachTitle (the 8.3 alias in the
    code page), attAttachData, and attAttachment holding PR_ATTACH_LONG_FILENAME and
    PR_DISPLAY_NAME as PT_UNICODE (`long_names="unicode"`), PT_STRING8 in the code page
    (`"8bit"`), or nothing (`None`: old Outlook, short names only).
    """
    charset = {21866: "koi8-u", 20866: "koi8-r", 65001: "utf-8"}.get(
        codepage or 1251, f"cp{codepage or 1251}"
    )
    out = bytearray(b"\x78\x9f\x3e\x22" + (0x1234).to_bytes(2, "little"))
    out += _tnef_attr(0x01, 0x00089006, (0x00010000).to_bytes(4, "little"))  # attTnefVersion
    if codepage is not None:
        out += _tnef_attr(0x01, 0x00069007, codepage.to_bytes(4, "little") + bytes(4))
        cpid = [(0x0003, 0x3FDE, codepage.to_bytes(4, "little"))]  # PR_INTERNET_CPID
        out += _tnef_attr(0x01, 0x00069003, _mapi_props(cpid))  # attMsgProps
    aliases: dict[str, int] = {}
    for n, a in enumerate(atts, 1):
        short = short_name(a.name)  # Windows numbers an alias only when it would repeat
        aliases[short] = aliases.get(short, 0) + 1
        short = short_name(a.name, aliases[short])
        out += _tnef_attr(0x02, 0x00069002, bytes(14))  # attAttachRendData
        out += _tnef_attr(0x02, 0x00018010, short.encode(charset, "replace") + b"\x00")
        out += _tnef_attr(0x02, 0x0006800F, a.data)  # attAttachData
        if long_names is None:
            continue
        if long_names == "unicode":
            ptype, name = 0x001F, (a.name + "\x00").encode("utf-16-le")
        else:
            ptype, name = 0x001E, a.name.encode(charset, "replace") + b"\x00"
        props = [
            (0x0003, 0x0E21, n.to_bytes(4, "little")),  # PR_ATTACH_NUM
            (ptype, 0x3001, name),  # PR_DISPLAY_NAME
            (0x001E, 0x3704, short.encode(charset, "replace") + b"\x00"),  # PR_ATTACH_FILENAME
            (ptype, 0x3707, name),  # PR_ATTACH_LONG_FILENAME
            (0x0003, 0x3705, (1).to_bytes(4, "little")),  # PR_ATTACH_METHOD: by value
        ]
        out += _tnef_attr(0x02, 0x00069005, _mapi_props(props))  # attAttachment
    return bytes(out)


def forwarded(inner: bytes, *, to: str = BRANCH, note: str = "Пересилаю документи") -> bytes:
    """A staff member forwarding the citizen's mail as an attachment (message/rfc822)."""
    outer = _boundary(hashlib.sha256(inner).hexdigest(), "fwd_{h:.20}")
    lines = [
        "From: reception@inbox.example.org",
        f"To: {to}",
        f"Subject: {rfc2047('Fwd: ' + SUBJECT)}",
        f"Date: {DATE}",
        f"Message-ID: {_msgid(outer, 'inbox.example.org')}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        note,
        f"--{outer}",
        "Content-Type: message/rfc822",
        "Content-Disposition: attachment",
        "",
    ]
    return _join(lines) + CRLF.encode() + inner + f"{CRLF}--{outer}--{CRLF}".encode()


def single_part(att: Att, *, to: str = BRANCH) -> bytes:
    """A message whose whole body is one attachment (some scanners and scripts send these)."""
    lines = [
        f"From: {SENDER}",
        f"To: {to}",
        "Subject: scan",
        f"Date: {DATE}",
        f"Message-ID: {_msgid(att.name, 'scanner.example.org')}",
        "MIME-Version: 1.0",
        f'Content-Type: {att.content_type}; name="{rfc2047(att.name)}"',
        f'Content-Disposition: attachment; filename="{rfc2047(att.name)}"',
        "Content-Transfer-Encoding: base64",
        "",
        b64_body(att.data),
    ]
    return _join(lines)


CLIENTS = {
    "gmail": gmail,
    "outlook": outlook,
    "apple_mail": apple_mail,
    "thunderbird": thunderbird,
    "android_share": android_share,
    "ios_share": ios_share,
    "outlook_tnef": outlook_tnef,
}


# --- signed material from the test PKI ------------------------------------------------------


@dataclass(frozen=True)
class Material:
    """A real Diia-like copy and its signatures, made once per test session."""

    flavour: str
    pdf: bytes
    p7s: bytes  # detached, over `pdf`
    attached_p7s: bytes  # carries `pdf` inside
    other_pdf: bytes  # a different copy: `p7s` does not match it
    root_der: bytes  # the trust anchor
    person: str  # the invented person's name as printed in the PDF


def make_material(flavour: str) -> Material:
    """A real Diia-like copy signed by the test PKI's "ДП ДІЯ" seal (CAdES-BES)."""
    from tests.support.pdf import DiiaCopy, diia_copy_lines, make_diia_copy_pdf
    from tests.support.pki import make_pki, sign_cades

    copy = DiiaCopy()
    pdf = make_diia_copy_pdf(copy)
    pki = make_pki(flavour)  # type: ignore[arg-type]
    return Material(
        flavour=flavour,
        pdf=pdf,
        p7s=sign_cades(pki, pdf, signer="seal", detached=True),
        attached_p7s=sign_cades(pki, pdf, signer="seal", detached=False),
        other_pdf=make_diia_copy_pdf(DiiaCopy(document_number="000999888")),
        root_der=pki.root.cert,
        person=diia_copy_lines(copy)[1],
    )


def attached_signature(content: bytes) -> bytes:
    """Any content (a MIME entity, for S/MIME tests) in an attached ECDSA CAdES signature."""
    from tests.support.pki import make_pki, sign_cades

    return sign_cades(make_pki("ecdsa"), content, signer="citizen", detached=False)


# --- more client shapes: web mail, mislabelled mobile clients, forwards, replies, PGP/MIME ----


def webmail(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Ukrainian web mail (ukr.net/i.ua style): `----=_Part_` boundaries, an HTML-only body,
    names as one unfolded RFC 2047 word in both parameters, `application/octet-stream` for
    everything it does not know."""
    seed = _seed(atts, "webmail")
    outer = _boundary(seed, "----=_Part_{h:.6}_{h:.10}.1700000000000")
    lines = [
        f"Date: {DATE}",
        f"From: {rfc2047(SENDER_NAME, fold=' ')} <{SENDER}>",
        f"To: {to}",
        f"Message-ID: {_msgid(seed, 'frv.ukr.net')}",
        f"Subject: {rfc2047(subject, fold=' ')}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "X-Mailer: FREEMAIL",
        "",
        f"--{outer}",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        b64_body("<p>Документи з Дії</p>".encode()),
    ]
    for a in atts:
        pdf = a.content_type == "application/pdf"
        ctype = a.content_type if pdf else "application/octet-stream"
        enc = rfc2047(a.name, fold="")
        lines += [
            f"--{outer}",
            f'Content-Type: {ctype}; name="{enc}"',
            f'Content-Disposition: attachment; filename="{enc}"',
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def qp_binary(data: bytes, width: int = 76) -> str:
    """Quoted-printable of binary data as RFC 2045 6.7 requires: CR and LF encoded too (a line
    break in the encoded text is a soft `=` break only), so the bytes survive CRLF transport."""
    out: list[str] = []
    line = ""
    for byte in data:
        token = chr(byte) if 33 <= byte <= 126 and byte != 61 else f"={byte:02X}"
        if len(line) + len(token) > width - 1:
            out.append(line + "=")
            line = ""
        line += token
    out.append(line)
    return CRLF.join(out)  # the line break before the next boundary belongs to the boundary


def mislabelled_8bit(
    atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT, body: str = "base64"
) -> bytes:
    """A mobile client's bug: attachments declared `Content-Transfer-Encoding: 8bit` whose body
    is base64 text (`body="base64"`) or quoted-printable (`body="qp"`)."""
    seed = _seed(atts, "mislabel" + body)
    outer = _boundary(seed, "--=_mobile_{h:.16}")
    lines = [
        f"Message-ID: {_msgid(seed, 'mobile.example.net')}",
        f"Date: {DATE}",
        f"Subject: {rfc2047(subject)}",
        f"From: {SENDER}",
        f"To: {to}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Документи з Дії",
    ]
    for a in atts:
        encoded = b64_body(a.data) if body == "base64" else qp_binary(a.data)
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; name="{rfc2047(a.name, fold="")}"',
            f'Content-Disposition: attachment; filename="{rfc2047(a.name, fold="")}"',
            "Content-Transfer-Encoding: 8bit",
            "",
            encoded,
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def thunderbird_forward_inline(
    atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT
) -> bytes:
    """Thunderbird "Forward inline": the original headers quoted in the text, the original's
    attachments re-attached to the forward (RFC 2231 names)."""
    seed = _seed(atts, "tb-fwd-inline")
    outer = _boundary(seed, "------------{h:.24}")
    quoted = [
        "",
        "",
        "-------- Forwarded Message --------",
        f"Subject: \t{subject}",
        f"Date: \t{DATE}",
        f"From: \t{SENDER_NAME} <{SENDER}>",
        "To: \treception@inbox.example.org",
        "",
        "Документи з Дії.",
        "",
    ]
    lines = [
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        f"Message-ID: {_msgid(seed, 'inbox.example.org')}",
        f"Date: {DATE}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        f"To: {to}",
        "From: reception@inbox.example.org",
        f"Subject: {rfc2047('Fwd: ' + subject, fold=CRLF + ' ')}",
        "",
        "This is a multi-part message in MIME format.",
        f"--{outer}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        *quoted,
    ]
    for a in atts:
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; name="{rfc2047(a.name, fold=CRLF + " ")}"',
            "Content-Disposition: attachment;",
            " " + rfc2231("filename", a.name, per_line=40),
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data, width=72),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def gmail_reply(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """A Gmail reply with the quoted conversation (text and `gmail_quote` HTML) and the
    documents attached again."""
    seed = _seed(atts, "gmail-reply")
    outer = _boundary(seed, "000000000000{h:.12}0607")
    alt = _boundary(seed + "alt", "000000000000{h:.12}0606")
    text = (
        "Надсилаю ще раз.\r\n\r\nпт, 20 лист. 2026 р. о 09:00 <reception@inbox.example.org> "
        "пише:\r\n\r\n> Доброго дня! Надішліть, будь ласка, копію паспорта.\r\n>\r\n"
    )
    html = (
        '<div dir="ltr">Надсилаю ще раз.</div><br><div class="gmail_quote">'
        '<blockquote class="gmail_quote">Доброго дня! Надішліть, будь ласка, копію паспорта.'
        "</blockquote></div>"
    )
    lines = [
        "MIME-Version: 1.0",
        f"Date: {DATE}",
        "References: <request-1@inbox.example.org>",
        "In-Reply-To: <request-1@inbox.example.org>",
        f"Message-ID: {_msgid(seed, 'mail.gmail.com')}",
        f"Subject: {rfc2047('Re: ' + subject, fold=CRLF + ' ')}",
        f"From: {rfc2047(SENDER_NAME)} <{SENDER}>",
        f"To: {to}",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        f'Content-Type: multipart/alternative; boundary="{alt}"',
        "",
        f"--{alt}",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp_text(text),
        f"--{alt}",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp_text(html),
        f"--{alt}--",
    ]
    for n, a in enumerate(atts):
        fid = f"f_{hashlib.sha1(a.data).hexdigest()[:9]}{n}"
        lines += [
            f"--{outer}",
            f'Content-Type: {a.content_type}; name="{rfc2047(a.name)}"',
            f'Content-Disposition: attachment; filename="{rfc2047(a.name)}"',
            "Content-Transfer-Encoding: base64",
            f"X-Attachment-Id: {fid}",
            f"Content-ID: <{fid}>",
            "",
            b64_body(a.data),
        ]
    lines += [f"--{outer}--", ""]
    return _join(lines)


def pgp_mime(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """Thunderbird with OpenPGP signing (RFC 3156): multipart/signed around the mixed body,
    the mail's own `OpenPGP_signature.asc` as the second part."""
    seed = _seed(atts, "pgp")
    signed = _boundary(seed, "------------{h:.24}")
    mixed = _boundary(seed + "m", "------------{h:.24}")
    armour = base64.b64encode(hashlib.sha512(seed.encode()).digest() * 2).decode()
    lines = [
        f"Message-ID: {_msgid(seed, 'example.net')}",
        f"Date: {DATE}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        f"To: {to}",
        f"From: {rfc2047(SENDER_NAME)} <{SENDER}>",
        f"Subject: {rfc2047(subject, fold=CRLF + ' ')}",
        "Content-Type: multipart/signed; micalg=pgp-sha256;",
        ' protocol="application/pgp-signature";',
        f' boundary="{signed}"',
        "",
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)",
        f"--{signed}",
        f'Content-Type: multipart/mixed; boundary="{mixed}"',
        "",
        f"--{mixed}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: base64",
        "",
        b64_body("Документи з Дії.".encode()),
    ]
    for a in atts:
        lines += [
            f"--{mixed}",
            f'Content-Type: {a.content_type}; name="{rfc2047(a.name, fold=CRLF + " ")}"',
            "Content-Disposition: attachment;",
            " " + rfc2231("filename", a.name, per_line=40),
            "Content-Transfer-Encoding: base64",
            "",
            b64_body(a.data, width=72),
        ]
    lines += [
        f"--{mixed}--",
        "",
        f"--{signed}",
        'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"',
        "Content-Description: OpenPGP digital signature",
        'Content-Disposition: attachment; filename="OpenPGP_signature.asc"',
        "",
        "-----BEGIN PGP SIGNATURE-----",
        "",
        *[armour[i : i + 64] for i in range(0, len(armour), 64)],
        "-----END PGP SIGNATURE-----",
        "",
        f"--{signed}--",
        "",
    ]
    return _join(lines)


def pem(der: bytes) -> bytes:
    """A CMS signature PEM-armoured, as `openssl cms -outform PEM` writes it."""
    text = base64.b64encode(der).decode("ascii")
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN CMS-----\n{body}\n-----END CMS-----\n".encode("ascii")


def pdf_as_text(atts: Sequence[Att], *, to: str = BRANCH, subject: str = SUBJECT) -> bytes:
    """A client that did not know the file type: the PDF sent as `text/plain`, `8bit`, with its
    line ends canonicalised to CRLF as text is on the wire (RFC 5321); signatures in base64."""
    seed = _seed(atts, "as-text")
    outer = _boundary(seed, "=_astext_{h:.20}")
    head = [
        f"Message-ID: {_msgid(seed, 'mail.example.net')}",
        f"Date: {DATE}",
        f"Subject: {rfc2047(subject)}",
        f"From: {SENDER}",
        f"To: {to}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
    ]
    out = _join(head) + CRLF.encode()
    for a in atts:
        enc = rfc2047(a.name, fold="")
        if a.data.startswith(b"%PDF-"):
            headers = [
                f'Content-Type: text/plain; charset=us-ascii; name="{enc}"',
                f'Content-Disposition: attachment; filename="{enc}"',
                "Content-Transfer-Encoding: 8bit",
            ]
            body = a.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        else:
            headers = [
                f'Content-Type: {a.content_type}; name="{enc}"',
                f'Content-Disposition: attachment; filename="{enc}"',
                "Content-Transfer-Encoding: base64",
            ]
            body = b64_body(a.data).encode()
        out += f"--{outer}{CRLF}".encode() + _join([*headers, ""]) + CRLF.encode() + body
        if not body.endswith(b"\r\n"):
            out += CRLF.encode()
    return out + f"--{outer}--{CRLF}".encode()
