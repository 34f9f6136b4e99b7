"""A child process that indexes without end until the test kills it (SIGKILL)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from search.index import IndexDoc
from search.settings import SearchSettings

BATCH = 20


class Reporter(Protocol):
    def send(self, obj: object) -> None: ...


def endless_docs(conn: Reporter) -> Iterator[IndexDoc]:
    for i in itertools.count(10_000):
        if i % BATCH == 0:
            conn.send(i)
        yield IndexDoc(
            id=i,
            document_type="id-card",
            person_name=f"Петренко Остап {i}",
            person_name_lat=None,
            branch=None,
            branch_id=None,
            received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
            indication="TOTAL_PASSED",
            sender="petrenko@example.com",
            text=f"Паспорт громадянина України\nПетренко Остап Іванович\nНомер {i:09d}",
            numbers=[f"{i:09d}"],
        )


def index_until_killed(kind: str, target: str, mode: str, conn: Connection) -> None:
    settings = SearchSettings(backend=kind, commit_batch=BATCH, rebuild_commit_batch=BATCH)
    if kind == "whoosh":
        from search.whoosh_backend import WhooshBackend

        backend = WhooshBackend(Path(target), settings, repair=False)
    else:
        from sqlalchemy import create_engine

        from search.pg_backend import PostgresBackend

        backend = PostgresBackend(create_engine(target), settings, owns_engine=True)
    if mode == "add":
        backend.add(endless_docs(conn))
    else:
        backend.rebuild(endless_docs(conn))
