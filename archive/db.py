"""Database setup: engine, sessions and schema migrations for SQLite and PostgreSQL.

The schema is owned by Alembic migrations (archive/migrations), never by `create_all`, so an
installation that started on an older version is brought up to date the same way on both
engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database cannot be reached or brought to the current schema."""

    reason = "DATABASE_UNAVAILABLE"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the web pages read while the worker writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Zero freed pages, so erased copies do not linger in the database file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # FULL, not NORMAL: under WAL, NORMAL may lose the last commits on a power cut, and the
    # worker releases a spool item right after its archive commit: a lost commit would be a
    # lost accepted message. FULL syncs the WAL at every commit (one fsync per transaction).
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and foreign keys, PostgreSQL a pre-ping pool."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


# Alembic is imported inside the functions that migrate: it costs about 0.3 s to import and
# every command that opens the archive (search, subject, branch...) needs it only when the
# schema is not yet at head.


def _alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (both engines, from empty or any older revision)."""
    from alembic import command

    cfg = _alembic_config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(_one_line(exc)) from exc


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def check_connection(engine: Engine) -> None:
    """Raise DatabaseError with a one-line reason when the database is not usable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(_one_line(exc)) from exc


def check_write(engine: Engine) -> None:
    """Raise DatabaseError unless the database commits a write.

    `SELECT 1` succeeds on a server whose disk is full, that is read-only, or whose write lock
    is held; a committed update of the schema version row (to the same value) does not. The
    row is Alembic's and always exists once migrated, so no table is added for this.
    """
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except SQLAlchemyError as exc:
        raise DatabaseError(_one_line(exc)) from exc


def _one_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__


class Database:
    """An engine with its session factory: the one object the rest of the program is handed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema up to date; nodes starting together take turns (the first one
        migrates, the others find the schema current), instead of colliding in DDL."""
        from archive.cluster_lock import MIGRATE, cluster_lock

        check_connection(self.engine)
        try:
            with cluster_lock(self, MIGRATE):
                upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseError(_one_line(exc)) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any exception."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"
