"""Fixtures of the search tests: an archive with a few real copies, and a backend over it.

`backend` is parametrised over Whoosh (archive on SQLite) and PostgreSQL (archive and index in
a fresh PostgreSQL database), so every behaviour is shown on both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.db import Database
from archive.models import Branch, Document, Message
from search.extract import ExtractLimits, extract_text
from search.fields import recognise
from search.index import SearchBackend, open_backend
from search.settings import SearchSettings
from tests.support.pdf import DiiaCopy, diia_copy_lines, make_diia_copy_pdf, make_pdf

KYIV = dt.timezone(dt.timedelta(hours=2))


@dataclass(frozen=True)
class Archive:
    db: Database
    index_dir: Path
    settings: SearchSettings
    ids: dict[str, int]


def add_copy(
    db: Database,
    *,
    text: str,
    filename: str,
    received_at: dt.datetime,
    branch_email: str,
    sender: str,
    indication: str = "TOTAL_PASSED",
) -> int:
    """Archive one copy the way ingest does: message, document, recognised fields."""
    fields = recognise(text, filename)
    with db.session() as s:
        branch = s.query(Branch).filter_by(email=branch_email).one()
        msg = Message(
            envelope_from=sender,
            envelope_to=[branch_email],
            subject="Документи з Дії",
            received_at=received_at,
            raw_sha256=hashlib.sha256(f"{text}{received_at}".encode()).hexdigest(),
            status="done",
        )
        doc = Document(
            message=msg,
            branch=branch,
            received_at=received_at,
            filename=filename,
            document_type=fields.get("document_type"),
            text=text,
            fields=fields,
            indication=indication,
        )
        s.add_all([msg, doc])
        s.flush()
        return doc.id


def filled_data_dir(data: Path) -> Path:
    """An installation's data folder whose archive holds the fixture copies (for CLI tests)."""
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime

    rt = Runtime.open(load_config(data_dir=data, env={}))
    try:
        fill_archive(rt.db)
    finally:
        rt.close()
    return data


def fill_archive(db: Database) -> dict[str, int]:
    with db.session() as s:
        s.add_all(
            [
                Branch(name="Відділення на Хрещатику", address="Київ", email="khr@example.org"),
                Branch(name="Рецепція готелю Дніпро", address="Київ", email="hotel@example.org"),
            ]
        )
    taras_text = extract_text(make_diia_copy_pdf(), ExtractLimits()).text
    assert "Шевченко" in taras_text  # the real PDF path, not a shortcut
    ids = {
        "taras": add_copy(
            db,
            text=taras_text,
            filename="Паспорт громадянина України.pdf",
            received_at=dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC),
            branch_email="hotel@example.org",
            sender="taras.shevchenko@example.com",
        ),
        "olena": add_copy(
            db,
            text="\n".join(
                [
                    "Посвідчення водія",
                    "Коваленко Олена Петрівна",
                    "Номер документа: ВХЕ 123456",
                    "Дата народження: 01.02.1990",
                    "Копію створено 2026-10-05 для ТОВ «Готель Дніпро»",
                ]
            ),
            filename="driver.pdf",
            received_at=dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC),
            branch_email="khr@example.org",
            sender="olena@ukr.net",
            indication="TOTAL_FAILED",
        ),
        "yaroslav": add_copy(
            db,
            text="\n".join(
                [
                    *diia_copy_lines(
                        DiiaCopy(
                            document_title="Паспорт громадянина України для виїзду за кордон",
                            full_name="Шевчук Ярослав Іванович",
                            document_number="FA 654321",
                            rnokpp="3000000008",
                            birth_date=dt.date(1990, 5, 17),
                            created=dt.date(2026, 11, 1),
                        )
                    ),
                    "SHEVCHUK YAROSLAV",
                ]
            ),
            filename="zakordonnyi.pdf",
            received_at=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC),
            branch_email="khr@example.org",
            sender="yaroslav@example.com",
            indication="INDETERMINATE",
        ),
    }
    # A copy on a second page of a longer PDF, to show extraction across pages.
    long_text = extract_text(
        make_pdf([f"Рядок {i}" for i in range(50)] + ["Студентський квиток", "Бондаренко Софія"]),
        ExtractLimits(),
    ).text
    ids["sofia"] = add_copy(
        db,
        text=long_text,
        filename="student.pdf",
        received_at=dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC),
        branch_email="hotel@example.org",
        sender="sofia@example.com",
        indication="UNSIGNED",
    )
    return ids


@pytest.fixture(params=["whoosh", "postgres"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """A migrated archive holding the fixture copies, and the settings of one backend."""
    if request.param == "whoosh":
        url = f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    db = Database(url)
    db.migrate()
    try:
        ids = fill_archive(db)
        settings = SearchSettings(backend=request.param, commit_batch=2)
        yield Archive(db=db, index_dir=tmp_path / "index", settings=settings, ids=ids)
    finally:
        db.dispose()


@pytest.fixture
def backend(archive: Archive) -> Iterator[SearchBackend]:
    b = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        yield b
    finally:
        b.close()
