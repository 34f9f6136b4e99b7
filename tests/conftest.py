"""Fixtures shared by the whole suite.

`db_url` runs a test on SQLite and on the local PostgreSQL: each PostgreSQL test gets a fresh
database of its own, created and dropped here, so tests never see each other's rows. Set
DIIA_INBOX_TEST_PG (a libpq URL of a server where we may create databases) to point elsewhere, or
to "off" to skip the PostgreSQL half where no server exists.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
# The folder a development checkout happens to have beside it: never read by a test (a clone
# alone has no such folder). An audit hook records any open() of it and fails the session.
_SIBLING_SHARED = str(ROOT.parent / "shared") + os.sep
_OUTSIDE_READS: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path.startswith(_SIBLING_SHARED):
            _OUTSIDE_READS.append(path)


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_audit)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _OUTSIDE_READS:
        sys.stderr.write(
            "\ntests read outside the repository:\n  "
            + "\n  ".join(sorted(set(_OUTSIDE_READS)))
            + "\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


PG_ADMIN = os.environ.get("DIIA_INBOX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    if PG_ADMIN == "off":
        return "DIIA_INBOX_TEST_PG=off"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no server to test against
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_skip_reason() -> str | None:
    return _pg_available()


@pytest.fixture
def pg_databases(pg_skip_reason: str | None) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty PostgreSQL databases (SQLAlchemy URLs), all dropped afterwards.

    For tests that need more than one (a backup restored onto a second database)."""
    if pg_skip_reason:
        pytest.fail(pg_skip_reason)
    import psycopg

    made: list[str] = []
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)

    def make() -> str:
        name = f"diia_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{base}/{name}"

    try:
        yield make
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_databases: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    return pg_databases()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Parametrised: the same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def database(db_url: str) -> Iterator[object]:
    """A migrated archive.db.Database on both engines."""
    from archive.db import Database

    db = Database(db_url)
    db.migrate()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def runtime(tmp_path: Path, db_url: str) -> Iterator[object]:
    """A whole installation in a temporary data folder, on both engines."""
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime

    env = {"DIIA_INBOX_DATABASE_URL": db_url}
    config = load_config(data_dir=tmp_path / "data", env=env)
    rt = Runtime.open(config)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def sqlite_runtime(tmp_path: Path) -> Iterator[object]:
    """A whole installation on the default embedded SQLite (for tests that need one engine)."""
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime

    config = load_config(data_dir=tmp_path / "data", env={})
    rt = Runtime.open(config)
    try:
        yield rt
    finally:
        rt.close()
