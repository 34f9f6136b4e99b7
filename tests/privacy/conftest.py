"""Real installations filled through the real pipeline, and a grep over their data folders.

The acceptance of the personal-data issue is about bytes on disk: after a purge or an erasure
nothing of the removed copies may be left in the database, the blobs, the spool or the index.
So the fixtures here build copies exactly as the service receives them (a signed PDF in a
Gmail-shaped message, spooled, taken by the worker through the pipeline into the archive and
the Whoosh index), and `traces` reads every file of the data folder looking for a person's
unique strings.

Every person is invented: "Шевченко Тарас Григорович" (the project's fixture citizen, a
historical figure) and "Косач Лариса Петрівна" get a fresh document number, a fresh RNOKPP with a
valid check digit and a fresh nonsense word in the PDF text for each test, so a trace found can
only come from this test's copies.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.branches import add_branch
from archive.models import Branch
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from diia_inbox.wiring import deps_from_config
from ingest.envelope import Envelope
from ingest.spool import Spool
from ingest.worker import Handled, Worker
from search.fields import rnokpp_valid
from tests.ingest.mailmaker import BRANCH, diia_pair, gmail
from tests.support.pdf import DiiaCopy, diia_copy_lines, make_pdf
from tests.support.serve import clean_env, free_port, serve_command

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
#: The `diia-inbox` console script of this virtualenv (a real subprocess of the command).
DIIA_INBOX = str(Path(PYTHON).with_name("diia-inbox"))
ORGANIZATION = "ТОВ «Готель Дніпро»"

_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
_LETTERS = "бвгґджзклмнпрстф"  # 16 consonants: one per hex digit


def invent_rnokpp() -> str:
    """Nine random digits and their check digit (a number no real person is known to have)."""
    while True:
        head = "".join(secrets.choice("0123456789") for _ in range(9))
        check = (sum(w * int(d) for w, d in zip(_WEIGHTS, head, strict=True)) % 11) % 10
        value = head + str(check)
        if rnokpp_valid(value):
            return value


def invent_word() -> str:
    """A Cyrillic nonsense word no other fixture contains ("Квіт" + 10 random consonants)."""
    return "Квіт" + "".join(_LETTERS[int(c, 16)] for c in secrets.token_hex(5))


@dataclass(frozen=True)
class Person:
    """An invented citizen and one signed Diia-like copy of their document."""

    full_name: str  # as printed: "Прізвище Ім'я По батькові"
    latin_surname: str
    rnokpp: str
    document_number: str
    word: str  # a unique word of the PDF text
    pdf: bytes
    p7s: bytes

    @property
    def surname(self) -> str:
        return self.full_name.split()[0]

    @property
    def given_name(self) -> str:
        return self.full_name.split()[1]

    def mail(self) -> bytes:
        """The copy as the citizen's mail client sends it (PDF + P7S, Gmail shape)."""
        return gmail(diia_pair(self.pdf, self.p7s))

    def plain_mail(self) -> bytes:
        """A message without attachments that names the person (the pipeline quarantines it)."""
        msg = EmailMessage()
        msg["From"] = "taras.test@example.net"
        msg["To"] = BRANCH
        msg["Subject"] = "Документи"
        msg["Message-ID"] = f"<{secrets.token_hex(8)}@example.net>"
        msg.set_content(
            f"Добрий день! Я {self.full_name}, паспорт {self.document_number}, "
            f"РНОКПП {self.rnokpp}. Документи надішлю пізніше. {self.word}\n",
            cte="8bit",
        )
        return msg.as_bytes()

    def _base64_line(self) -> bytes:
        """The base64 line of the attachment that carries the document number.

        Mail clients wrap base64 at 76 characters, i.e. 57 bytes of the PDF per line, counted
        from the start of the attachment; the first lines are the same for every fixture PDF.
        """
        block = (self.pdf.index(self.document_number.encode()) + 4) // 57
        return base64.b64encode(self.pdf[block * 57 : block * 57 + 57])

    def needles(self, *, names: bool = True) -> dict[str, bytes]:
        """Byte strings that must not survive the person's removal, by what they are.

        Lower-case and prefix forms are there because the index stores analysed terms
        (lower-cased, stemmed), not the text as printed; the base64 line is how the PDF sits
        in a raw message.
        """
        out = {
            "document number": self.document_number.encode(),
            "RNOKPP": self.rnokpp.encode(),
            "unique word": self.word.encode(),
            "unique word (lower, stem)": self.word.lower()[:-2].encode(),
            "PDF bytes": self.pdf,
            "PDF in base64": self._base64_line(),
        }
        if names:
            out |= {
                "surname": self.surname.encode(),
                "surname (lower, stem)": self.surname.lower()[:-2].encode(),
                "given name": self.given_name.encode(),
                "surname (Latin)": self.latin_surname.encode(),
                "surname (Latin, lower)": self.latin_surname.lower().encode(),
            }
        return out


@pytest.fixture(scope="session")
def signer() -> tuple[bytes, Callable[[bytes, bool], bytes]]:
    """An ECDSA P-256 test PKI: the root's DER and a CAdES-BES signer (made once, it is fast)."""
    from tests.support.pki import make_pki, sign_cades

    pki = make_pki("ecdsa")

    def sign(content: bytes, detached: bool) -> bytes:
        return sign_cades(pki, content, detached=detached)

    return pki.anchor, sign


def invent_person(
    sign: Callable[[bytes, bool], bytes],
    full_name: str = "Шевченко Тарас Григорович",
    latin_surname: str = "Shevchenko",
    document_title: str = "Паспорт громадянина України",
    rnokpp: str | None = None,
) -> Person:
    """A copy of an invented person; `rnokpp` makes it another copy of that same person."""
    number = f"{secrets.randbelow(10**9):09d}"
    copy = DiiaCopy(
        document_title=document_title,
        full_name=full_name,
        document_number=number,
        rnokpp=rnokpp or invent_rnokpp(),
        organization=ORGANIZATION,
    )
    word = invent_word()
    pdf = make_pdf([*diia_copy_lines(copy), f"Службова позначка: {word}"], title=document_title)
    return Person(
        full_name=full_name,
        latin_surname=latin_surname,
        rnokpp=copy.rnokpp,
        document_number=number,
        word=word,
        pdf=pdf,
        p7s=sign(pdf, True),
    )


@pytest.fixture
def people(
    signer: tuple[bytes, Callable[[bytes, bool], bytes]],
) -> tuple[Person, Person]:
    """The person to be removed (Шевченко) and a bystander who must stay (Косач)."""
    _, sign = signer
    return (
        invent_person(sign),
        invent_person(sign, "Косач Лариса Петрівна", "Kosach"),
    )


def make_config_env(db_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {f"DIIA_INBOX_{k.upper()}": v for k, v in extra.items()}
    if db_url:
        env["DIIA_INBOX_DATABASE_URL"] = db_url
    return env


def open_installation(
    data_dir: Path, root_der: bytes, env: dict[str, str] | None = None
) -> Runtime:
    """A migrated installation with the test root trusted and the branch registered."""
    config = load_config(data_dir=data_dir, env=env or {})
    rt = Runtime.open(config)
    (config.trust_dir / "test-root.der").write_bytes(root_der)
    with rt.db.session() as s:
        if s.execute(select(Branch)).first() is None:
            add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH, ORGANIZATION)
    return rt


class Mailroom:
    """Delivery the way the service does it: spool the raw message, let the worker take it."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.spool = Spool(rt.config.spool_dir, max_attempts=1)
        self.worker = Worker(self.spool, deps_from_config(rt.config, rt.db, rt.blobs))

    def deliver(self, raw: bytes, when: dt.datetime | None = None) -> Handled:
        envelope = Envelope(
            mail_from="taras.test@example.net",
            rcpt_tos=(BRANCH,),
            received_at=when or dt.datetime.now(dt.UTC),
            peer="127.0.0.1",
        )
        self.spool.put(raw, envelope)
        handled = self.worker.step()
        assert handled is not None
        return handled


@pytest.fixture
def installation(
    tmp_path: Path, signer: tuple[bytes, Callable[[bytes, bool], bytes]]
) -> Iterator[Callable[..., Runtime]]:
    """Factory: `installation(db_url=None, **env)` opens one (closed at the end of the test)."""
    opened: list[Runtime] = []
    root_der, _ = signer

    def make(db_url: str | None = None, name: str = "data", **extra: str) -> Runtime:
        rt = open_installation(tmp_path / name, root_der, make_config_env(db_url, **extra))
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.close()


def data_files(data_dir: Path) -> list[Path]:
    """Every file of a data folder (database and -wal, blobs, spool, index, keys, locks)."""
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


def traces(data_dir: Path, needles: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file relative to the data folder, what was found) for every needle in every file."""
    found = []
    for path in data_files(data_dir):
        data = path.read_bytes()
        for label, needle in needles.items():
            if needle in data:
                found.append((str(path.relative_to(data_dir)), label))
    return found


def run_cli(*args: str, env: dict[str, str] | None = None, **kw: Any) -> Any:
    """`diia-inbox ARGS...` as a real subprocess; returns the CompletedProcess."""
    import os
    import subprocess

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [DIIA_INBOX, *args], capture_output=True, text=True, env=full_env, timeout=300, **kw
    )


__all__ = [
    "DIIA_INBOX",
    "Mailroom",
    "Person",
    "data_files",
    "invent_person",
    "open_installation",
    "run_cli",
    "traces",
]


# --- the real service in a subprocess ------------------------------------------------------


def wait_for(predicate: Callable[[], bool], what: str, seconds: float = 180) -> None:
    """Poll until `predicate()`; the limit only guards against a hang (it is no assertion
    about speed, and is generous for two shared cores)."""
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@dataclass
class Served:
    """A running `diia-inbox serve`; its stdout and stderr go to `log_path`."""

    proc: Any
    data_dir: Path
    web_port: int
    smtp_port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def admin_password(self) -> str:
        import re

        found = re.search(r"created user 'admin' with password (\S+)", self.log_text())
        assert found, "serve did not print the first admin's password"
        return found.group(1)

    def send(self, raw: bytes, rcpt: str = BRANCH) -> None:
        """SMTP delivery; returns once the receiver answered 250 (raises otherwise)."""
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            smtp.sendmail("taras.test@example.net", [rcpt], raw)

    def stop(self) -> int:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)


def start_serve(
    data_dir: Path, log_path: Path, env: dict[str, str] | None = None, *, debug: bool = False
) -> Served:
    """`diia-inbox serve` on free ports (with DEBUG logging through debug_cli if `debug`)."""
    import subprocess
    import urllib.request

    web, smtp = free_port(), free_port()
    program = [PYTHON, "-m", "tests.privacy.debug_cli"] if debug else [DIIA_INBOX]
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        serve_command(data_dir, web=web, smtp=smtp, program=program),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(**(env or {})),
        cwd=ROOT,
    )
    log.close()
    served = Served(proc, data_dir, web, smtp, log_path)

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}:\n{served.log_text()}")
        try:
            urllib.request.urlopen(f"{served.base}/healthz", timeout=5).close()
            return True
        except OSError:
            return False

    try:
        wait_for(healthy, "serve to answer /healthz")
    except BaseException:
        served.stop()
        raise
    return served
