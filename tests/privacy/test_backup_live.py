"""A backup taken while mail streams in restores to a working installation that lost nothing.

A real `diia-inbox serve` receives SMTP from a sender thread; `diia-inbox backup` runs in the
middle of the stream; `diia-inbox restore` loads the file into a new data folder, and a second
`serve` there finishes whatever the backup caught still spooled. Every message the sender got
250 for before the backup started must then be a document of the restored installation, every
document must have good blobs and a signature report, and search must find each one.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from archive.models import Document, Message
from diia_inbox import privacy
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from tests.privacy.conftest import (
    DIIA_INBOX,
    Person,
    Served,
    invent_person,
    open_installation,
    run_cli,
    start_serve,
    wait_for,
)

MESSAGES = 6
BEFORE_BACKUP = 3


class Sender(threading.Thread):
    """Sends each person's copy in turn; `acked` grows only after the server said 250."""

    def __init__(self, served: Served, people: list[Person]) -> None:
        super().__init__(name="smtp-sender", daemon=True)
        self.served, self.people = served, people
        self.acked: list[int] = []
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        #: Set by the test as it launches the backup: the rest of the stream goes out then.
        self.backup_started = threading.Event()

    def run(self) -> None:
        try:
            for n, person in enumerate(self.people):
                if n == BEFORE_BACKUP:
                    self.backup_started.wait(300)
                self.served.send(person.mail())
                with self.lock:
                    self.acked.append(n)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def acked_now(self) -> set[int]:
        with self.lock:
            return set(self.acked)


def _count(rt: Runtime, model: type) -> int:
    with rt.db.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _spool_empty(data_dir: Path) -> bool:
    return not any(any((data_dir / "spool" / sub).iterdir()) for sub in ("new", "work"))


def test_backup_during_incoming_mail_restores_everything_acknowledged(
    tmp_path: Path, signer: tuple[bytes, Callable[[bytes, bool], bytes]]
) -> None:
    root_der, sign = signer
    people = [invent_person(sign) for _ in range(MESSAGES)]
    source_dir, target_dir = tmp_path / "source", tmp_path / "restored"
    open_installation(source_dir, root_der).close()
    served = start_serve(source_dir, tmp_path / "serve-source.log")
    sender = Sender(served, people)
    try:
        sender.start()
        wait_for(
            lambda: len(sender.acked_now()) >= BEFORE_BACKUP or sender.error is not None,
            "the first messages to be accepted",
        )
        # Some mail archived, some maybe still spooled: the backup must carry both kinds.
        source = Runtime.open(load_config(data_dir=source_dir, env={}))
        try:
            wait_for(lambda: _count(source, Document) >= 2, "the first documents archived")
        finally:
            source.close()
        acked_before = sender.acked_now()
        backup_file = tmp_path / "backup.tar"
        backup = subprocess.Popen(
            [DIIA_INBOX, "backup", "--out", str(backup_file), "--data", str(source_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sender.backup_started.set()
        out, err = backup.communicate(timeout=300)
        sender.join(300)
    finally:
        served.stop()
    assert sender.error is None, sender.error
    assert backup.returncode == 0, err
    summary = re.search(r"(\d+) rows, (\d+) blobs, (\d+) spooled", out)
    assert summary is not None and int(summary.group(2)) >= 6, out  # 2 copies: raw, PDF, P7S
    assert len(sender.acked_now()) == MESSAGES

    restored = run_cli("restore", str(backup_file), "--data", str(target_dir))
    assert restored.returncode == 0, restored.stderr
    # The restored installation runs: its own worker takes what the backup caught spooled.
    served_b = start_serve(target_dir, tmp_path / "serve-restored.log")
    try:
        rt_b = Runtime.open(load_config(data_dir=target_dir, env={}))
        try:
            wait_for(lambda: _spool_empty(target_dir), "the restored spool to drain")
            wait_for(
                lambda: (
                    _count(rt_b, Message) == _count(rt_b, Document)
                    and all(m.status == "done" for m in _messages(rt_b))
                ),
                "restored messages to be processed",
            )
            _assert_all_verify_and_are_found(rt_b)
            numbers = _restored_numbers(rt_b)
        finally:
            rt_b.close()
    finally:
        served_b.stop()

    for n in acked_before:
        assert people[n].document_number in numbers, f"message {n} acknowledged but lost"
    found = run_cli(
        "search", people[min(acked_before)].document_number, "--json", "--data", str(target_dir)
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == 1


def _messages(rt: Runtime) -> list[Message]:
    with rt.db.session() as s:
        return list(s.execute(select(Message)).scalars())


def _restored_numbers(rt: Runtime) -> set[str]:
    with rt.db.session() as s:
        return {
            str((d.fields or {}).get("document_number"))
            for d in s.execute(select(Document)).scalars()
        }


def _assert_all_verify_and_are_found(rt: Runtime) -> None:
    with rt.db.session() as s:
        docs = list(s.execute(select(Document)).scalars())
    assert docs
    with privacy.search_backend(rt) as backend:
        for doc in docs:
            assert doc.pdf_sha256 and rt.blobs.verify(doc.pdf_sha256), doc.id
            assert doc.p7s_sha256 and rt.blobs.verify(doc.p7s_sha256), doc.id
            assert doc.report is not None and doc.indication == "TOTAL_PASSED", doc.id
            number = (doc.fields or {}).get("document_number")
            assert number, doc.id
            assert [h.id for h in backend.search(str(number)).hits] == [doc.id]
