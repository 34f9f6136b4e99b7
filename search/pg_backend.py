"""The shared index: PostgreSQL full text plus trigram similarity for names, for several nodes.

The table is the backend's own (created here, not by archive migrations) and holds the keys our
Analyzer made, as a tsvector built in Python: PostgreSQL's own dictionaries know no Ukrainian
lemmas or passport transliteration, and both backends must agree on what matches. Names are also
kept as plain text under a pg_trgm index, so a typo in a surname still finds the person.
Writers serialise on a transaction-level advisory lock, so any node may index.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from archive.db import Database
from search.analysis import ANALYSIS_VERSION, Analyzer, make_snippet, number_keys
from search.errors import IndexUnavailable, SearchError
from search.index import ArchiveSource, Hit, IndexDoc, SearchResult, check_sort
from search.plan import FUZZY_PREFIX, Plan, TermPlan, plan_query, sender_keys
from search.query import parse_query
from search.settings import SearchSettings
from search.tiers import tiers

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
_VERSION = f"{SCHEMA_VERSION}.{ANALYSIS_VERSION}"
_LOCK_KEY = 0x5EA4C4  # pg_advisory_xact_lock key of index writers
_MAX_POS = 16383  # PostgreSQL's largest tsvector position

_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch",
    """CREATE TABLE IF NOT EXISTS search_meta (
        key text PRIMARY KEY,
        value text NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS search_documents (
        id bigint PRIMARY KEY,
        document_type text,
        person_name text,
        branch text,
        branch_id integer,
        branch_keys tsvector NOT NULL,
        received_at timestamptz NOT NULL,
        indication text NOT NULL,
        sender_keys text[] NOT NULL,
        keys tsvector NOT NULL,
        name_keys text NOT NULL,
        text text NOT NULL
    )""",
    # Identical copies (same bytes) share it; a search shows one of them (schema 2).
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS copy_key text",
    "CREATE INDEX IF NOT EXISTS search_documents_keys ON search_documents USING gin (keys)",
    "CREATE INDEX IF NOT EXISTS search_documents_copy ON search_documents (copy_key)",
    "CREATE INDEX IF NOT EXISTS search_documents_names ON search_documents"
    " USING gin (name_keys gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS search_documents_received ON search_documents (received_at)",
    "CREATE INDEX IF NOT EXISTS search_documents_type ON search_documents (document_type)",
    "CREATE INDEX IF NOT EXISTS search_documents_sender ON search_documents"
    " USING gin (sender_keys)",
    # Every word that names carry: a typo's near names are looked up here, among thousands of
    # words, instead of in every row's names. A deletion removes the words no row carries any
    # more (an erased person's name must not linger, `delete`).
    "CREATE TABLE IF NOT EXISTS search_name_words (word text PRIMARY KEY)",
    f"CREATE INDEX IF NOT EXISTS search_name_words_start ON search_name_words"
    f" (left(word, {FUZZY_PREFIX}))",
)
#: Fills the lexicon from the rows already there (an index made before it existed).
_FILL_NAME_WORDS = text(
    "INSERT INTO search_name_words (word) SELECT DISTINCT w FROM search_documents,"
    " unnest(string_to_array(name_keys, ' ')) AS w WHERE w <> '' ON CONFLICT DO NOTHING"
)
_ADD_NAME_WORDS = text(
    "INSERT INTO search_name_words (word) SELECT DISTINCT w FROM"
    " unnest(CAST(:words AS text[])) AS w WHERE w <> '' ON CONFLICT DO NOTHING"
)
#: The name words of rows about to be deleted.
_NAME_WORDS_OF = text(
    "SELECT DISTINCT w FROM search_documents, unnest(string_to_array(name_keys, ' ')) AS w"
    " WHERE id = ANY(:ids) AND w <> ''"
)
#: Of `words`, those that no remaining row carries leave the lexicon (erasure, retention).
_DROP_ORPHAN_NAME_WORDS = text(
    "DELETE FROM search_name_words n WHERE n.word = ANY(CAST(:words AS text[]))"
    " AND NOT EXISTS (SELECT 1 FROM search_documents d"
    " WHERE strpos(' ' || d.name_keys || ' ', ' ' || n.word || ' ') > 0)"
)
_NEAR_NAMES = text(
    f"SELECT word FROM search_name_words WHERE left(word, {FUZZY_PREFIX}) ="
    f" left(:key, {FUZZY_PREFIX}) AND levenshtein(word, :key) <= :typos ORDER BY word"
)
_COLUMNS = (
    "id, document_type, person_name, branch, branch_id, branch_keys, received_at, indication,"
    " sender_keys, keys, name_keys, text, copy_key"
)
_UPSERT = text(
    f"INSERT INTO search_documents ({_COLUMNS}) VALUES (:id, :document_type, :person_name,"
    " :branch, :branch_id, CAST(:branch_keys AS tsvector), :received_at, :indication,"
    " :sender_keys, setweight(CAST(:names AS tsvector), 'A')"
    " || setweight(CAST(:numbers AS tsvector), 'A') || CAST(:content AS tsvector),"
    " :name_keys, :text, :copy_key)"
    " ON CONFLICT (id) DO UPDATE SET document_type = EXCLUDED.document_type,"
    " person_name = EXCLUDED.person_name, branch = EXCLUDED.branch,"
    " branch_id = EXCLUDED.branch_id, branch_keys = EXCLUDED.branch_keys,"
    " received_at = EXCLUDED.received_at, indication = EXCLUDED.indication,"
    " sender_keys = EXCLUDED.sender_keys, keys = EXCLUDED.keys,"
    " name_keys = EXCLUDED.name_keys, text = EXCLUDED.text, copy_key = EXCLUDED.copy_key"
)


def _lexeme(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(positions: Sequence[Sequence[str]]) -> str:
    """Our positional keys as tsvector text: alternatives of a word share its position."""
    where: dict[str, list[int]] = {}
    for i, keys in enumerate(positions, start=1):
        pos = min(i, _MAX_POS)
        for key in keys:
            if key:
                where.setdefault(key, []).append(pos)
    return " ".join(
        f"{_lexeme(k)}:{','.join(str(p) for p in sorted(set(v))[:256])}" for k, v in where.items()
    )


def _alts(keys: Sequence[str]) -> str:
    inner = " | ".join(_lexeme(k) for k in keys)
    return f"( {inner} )" if len(keys) > 1 else inner


def tsquery_literal(term: TermPlan) -> str:
    if term.kind == "prefix":
        return _lexeme(term.positions[0][0]) + ":*"
    if term.kind == "phrase":
        return "( " + " <-> ".join(_alts(p) for p in term.positions) + " )"
    return _alts(term.positions[0])


class PostgresBackend:
    """SearchBackend over the `search_documents` table of a PostgreSQL database."""

    def __init__(
        self,
        engine: Engine,
        settings: SearchSettings,
        *,
        source: ArchiveSource | None = None,
        analyzer: Analyzer | None = None,
        owns_engine: bool = False,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise SearchError(
                "the postgres search backend needs a PostgreSQL database", reason="BAD_BACKEND"
            )
        self.engine = engine
        self.settings = settings
        self.source = source
        self.analyzer = analyzer or Analyzer()
        self.tz = zoneinfo.ZoneInfo(settings.timezone)
        self._owns_engine = owns_engine

    @classmethod
    def open(
        cls,
        settings: SearchSettings,
        db: Database,
        *,
        source: ArchiveSource | None = None,
        repair: bool = True,
        analyzer: Analyzer | None = None,
    ) -> PostgresBackend:
        if settings.postgres_url:
            engine = create_engine(settings.postgres_url, pool_pre_ping=True)
            backend = cls(engine, settings, source=source, analyzer=analyzer, owns_engine=True)
        else:
            backend = cls(db.engine, settings, source=source, analyzer=analyzer)
        backend.ensure_schema(repair=repair)
        return backend

    # -- schema and repair -----------------------------------------------------------------

    def _begin_write(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})

    def ensure_schema(self, *, repair: bool = True) -> None:
        try:
            with self.engine.begin() as conn:
                self._begin_write(conn)
                had_words = conn.execute(
                    text("SELECT to_regclass('search_name_words') IS NOT NULL")
                ).scalar()
                for ddl in _DDL:
                    conn.execute(text(ddl))
                if not had_words:
                    conn.execute(_FILL_NAME_WORDS)
                version = conn.execute(
                    text("SELECT value FROM search_meta WHERE key = 'version'")
                ).scalar()
        except SQLAlchemyError as exc:
            raise IndexUnavailable(
                f"search tables unusable: {_one_line(exc)}", reason="INDEX_UNAVAILABLE"
            ) from exc
        if not repair or self.source is None:
            if version is None:
                self._set_version()
            return
        if version != _VERSION:
            log.warning("search table from another version: rebuilding from the archive")
            self.rebuild(self.source.docs())
        else:
            self.reconcile()

    def _set_version(self, conn: Connection | None = None) -> None:
        stmt = text(
            "INSERT INTO search_meta (key, value) VALUES ('version', :v)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        )
        if conn is not None:
            conn.execute(stmt, {"v": _VERSION})
            return
        with self.engine.begin() as c:
            c.execute(stmt, {"v": _VERSION})

    def reconcile(self) -> int:
        if self.source is None:
            return 0
        with self.engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM search_documents")).scalar_one()
            if count == self.source.count():
                return 0
            indexed = set(conn.execute(text("SELECT id FROM search_documents")).scalars())
        archived = self.source.ids()
        missing, extra = archived - indexed, indexed - archived
        if extra:
            self.delete(extra)
        if missing:
            self.add(self.source.docs(missing))
        return len(missing) + len(extra)

    # -- writing -------------------------------------------------------------------------

    def _row(self, doc: IndexDoc) -> dict[str, Any]:
        a = self.analyzer
        names = " ".join(n for n in (doc.person_name, doc.person_name_lat) if n)
        name_positions = a.positions(names)
        extra = " ".join(x for x in (doc.filename, doc.subject, doc.sender) if x)
        return {
            "id": doc.id,
            "document_type": doc.document_type,
            "person_name": doc.person_name,
            "branch": doc.branch,
            "branch_id": doc.branch_id,
            "branch_keys": tsvector_literal(a.positions(doc.branch or "")),
            "received_at": doc.received_at,
            "indication": doc.indication,
            "sender_keys": sender_keys(doc.sender),
            "names": tsvector_literal(name_positions),
            "numbers": tsvector_literal([sorted(number_keys(n)) for n in doc.numbers]),
            "content": tsvector_literal(a.positions(doc.text + "\n" + extra)),
            "name_keys": " ".join(k for pos in name_positions for k in pos),
            "text": doc.text.replace("\x00", ""),
            "copy_key": doc.collapse_key,
        }

    def _write(
        self,
        docs: Iterable[IndexDoc],
        progress: Callable[[int], None] | None,
        conn: Connection | None = None,
    ) -> int:
        batch: list[dict[str, Any]] = []
        done = 0
        size = max(1, self.settings.commit_batch)

        def flush() -> None:
            words = sorted({w for row in batch for w in row["name_keys"].split(" ") if w})
            if conn is not None:
                conn.execute(_UPSERT, batch)
                conn.execute(_ADD_NAME_WORDS, {"words": words})
            else:
                with self.engine.begin() as c:
                    self._begin_write(c)
                    c.execute(_UPSERT, batch)
                    c.execute(_ADD_NAME_WORDS, {"words": words})
            batch.clear()
            if progress is not None:
                progress(done)

        for doc in docs:
            batch.append(self._row(doc))
            done += 1
            if len(batch) >= size:
                flush()
        if batch:
            flush()
        return done

    def add(self, docs: Iterable[IndexDoc]) -> None:
        self._write(docs, None)

    def delete(self, ids: Iterable[int]) -> None:
        id_list = list(ids)
        if not id_list:
            return
        with self.engine.begin() as conn:
            self._begin_write(conn)
            words = list(conn.execute(_NAME_WORDS_OF, {"ids": id_list}).scalars())
            conn.execute(
                text("DELETE FROM search_documents WHERE id = ANY(:ids)"), {"ids": id_list}
            )
            if words:
                conn.execute(_DROP_ORPHAN_NAME_WORDS, {"words": words})

    def optimize(self) -> None:
        """VACUUM the table so deleted rows' space is reclaimed (erasure, retention)."""
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM search_documents")
            )

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole table in one transaction: readers see the old rows until commit.

        Memory stays flat on our side (rows go out in batches); the server keeps the pending
        transaction, which is what it is built for.
        """
        with self.engine.begin() as conn:
            self._begin_write(conn)
            conn.execute(text("DELETE FROM search_documents"))
            conn.execute(text("DELETE FROM search_name_words"))
            count = self._write(docs, progress, conn)
            self._set_version(conn)
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE search_documents")
            )
        return count

    # -- searching -----------------------------------------------------------------------

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance"
    ) -> SearchResult:
        check_sort(sort)
        plan = plan_query(
            parse_query(query, self.tz), self.analyzer, fuzzy_names=self.settings.fuzzy_names
        )
        return self._search(plan, limit, offset, sort)

    def _search(self, plan: Plan, limit: int, offset: int, sort: str) -> SearchResult:
        limit = max(0, min(limit, 1000))
        offset = max(0, offset)
        # Exact matches first, then (ranked below every one of them) what only the forgiving
        # tier finds; by date the tiers mix (search.tiers). One statement orders by "exact".
        tier = tiers(plan, sort)
        by_date = sort == "date" or not plan.terms
        order = (
            "received_at DESC, id DESC"
            if by_date
            else "exact DESC, score DESC, received_at DESC, id DESC"
        )
        try:
            # Autocommit: a search reads, so no BEGIN and no ROLLBACK around it (each is a
            # round trip to the server, which on a busy machine costs more than the query).
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                near = self._near_names(conn, plan) if tier.forgiving else {}
                where, params, rank_q = self._where(plan, tier.forgiving, near)
                rank = "ts_rank(keys, CAST(:rank_q AS tsquery))" if rank_q else "0"
                exact = "TRUE"
                if tier.separate:
                    exact, _p, _r = self._where(plan, False, {})
                # Identical copies once: the best-ranked (by date, the latest) stands for the
                # others, with how many there are. The text and the shown columns are joined
                # to the page only: carried through the window functions they made every
                # match's row wide.
                page_sql = (
                    "SELECT id, score, exact, received_at, count(*) OVER () AS total, sent FROM ("
                    f"SELECT *, row_number() OVER (PARTITION BY copy_key ORDER BY {order})"
                    " AS nth, count(*) OVER (PARTITION BY copy_key) AS sent FROM ("
                    f"SELECT id, received_at, copy_key, {'0' if by_date else rank} AS score,"
                    f" ({exact}) AS exact FROM search_documents WHERE {where}) AS matched)"
                    f" AS ranked WHERE nth = 1 ORDER BY {order} LIMIT :limit OFFSET :offset"
                )
                page_order = ", ".join("page." + part.strip() for part in order.split(","))
                sql = (
                    "SELECT page.id, page.score, page.total, page.sent, d.document_type,"
                    " d.person_name, d.branch, d.received_at, d.indication, d.text"
                    f" FROM ({page_sql}) AS page JOIN search_documents AS d ON d.id = page.id"
                    f" ORDER BY {page_order}"
                )
                params.update(rank_q=rank_q, limit=limit, offset=offset)
                rows = conn.execute(text(sql), params).all()
                if rows:
                    total = int(rows[0].total)
                else:
                    total = int(
                        conn.execute(
                            text(
                                "SELECT count(DISTINCT copy_key) FROM search_documents"
                                f" WHERE {where}"
                            ),
                            params,
                        ).scalar_one()
                    )
        except SQLAlchemyError as exc:
            raise IndexUnavailable(
                f"search failed: {_one_line(exc)}", reason="INDEX_UNAVAILABLE"
            ) from exc
        memo: dict[Any, Any] = {}
        hits = [
            Hit(
                id=int(r.id),
                document_type=r.document_type,
                person_name=r.person_name,
                branch=r.branch,
                received_at=r.received_at.astimezone(dt.UTC),
                indication=r.indication,
                score=float(r.score or 0.0),
                snippet=make_snippet(
                    self.analyzer,
                    r.text,
                    plan.highlight,
                    prefixes=plan.highlight_prefixes,
                    memo=memo,
                ),
                sent=int(r.sent),
            )
            for r in rows
        ]
        return SearchResult(total=total, hits=hits)

    def _near_names(self, conn: Connection, plan: Plan) -> dict[str, list[str]]:
        """Per fuzzy key, the names' words within its typos (search.tiers.within_typos: first
        letters equal, Levenshtein distance), from the lexicon of name words."""
        near: dict[str, list[str]] = {}
        for term in plan.terms:
            for key in term.fuzzy:
                if key not in near:
                    near[key] = list(
                        conn.execute(_NEAR_NAMES, {"key": key, "typos": int(term.typos)}).scalars()
                    )
        return near

    def _where(
        self, plan: Plan, fuzzy: bool, near: dict[str, list[str]]
    ) -> tuple[str, dict[str, Any], str]:
        conds: list[str] = []
        params: dict[str, Any] = {}
        rank_parts: list[str] = []
        for i, term in enumerate(plan.terms):
            tsq = tsquery_literal(term)
            rank_parts.append(tsq)
            params[f"q{i}"] = tsq
            cond = f"keys @@ CAST(:q{i} AS tsquery)"
            if fuzzy and term.implicit_prefix:
                params[f"p{i}"] = _lexeme(term.implicit_prefix) + ":*"
                cond += f" OR keys @@ CAST(:p{i} AS tsquery)"
            if fuzzy and term.fuzzy:
                # Levenshtein on the words of the names, first two letters equal (as Whoosh's
                # fuzzy terms with prefixlength=2): the same rule on both backends. The near
                # names (from the lexicon; names carry weight A in `keys`) let the GIN index
                # find the candidates; the row's own names are checked as before.
                for j, key in enumerate(term.fuzzy):
                    near_words = near.get(key, [])
                    if not near_words:
                        continue
                    params[f"f{i}_{j}"] = key
                    params[f"fn{i}_{j}"] = " | ".join(_lexeme(w) + ":A" for w in near_words)
                    cond += (
                        f" OR (keys @@ CAST(:fn{i}_{j} AS tsquery) AND EXISTS (SELECT 1 FROM"
                        " unnest(string_to_array(name_keys, ' ')) AS w"
                        f" WHERE left(w, {FUZZY_PREFIX}) = left(:f{i}_{j}, {FUZZY_PREFIX})"
                        f" AND levenshtein(w, :f{i}_{j}) <= {int(term.typos)}))"
                    )
            conds.append(f"({cond})")
        if plan.types:
            conds.append("document_type = ANY(:types)")
            params["types"] = list(plan.types)
        if plan.statuses:
            conds.append("indication = ANY(:statuses)")
            params["statuses"] = list(plan.statuses)
        if plan.branch_ids or plan.branch_words:
            parts = []
            if plan.branch_ids:
                parts.append("branch_id = ANY(:branch_ids)")
                params["branch_ids"] = list(plan.branch_ids)
            for i, words in enumerate(plan.branch_words):
                params[f"b{i}"] = " & ".join(_alts(alts) for alts in words)
                parts.append(f"branch_keys @@ CAST(:b{i} AS tsquery)")
            conds.append("(" + " OR ".join(parts) + ")")
        if plan.senders:
            conds.append("sender_keys && CAST(:senders AS text[])")
            params["senders"] = list(plan.senders)
        if plan.received_from is not None:
            conds.append("received_at >= :lo")
            params["lo"] = plan.received_from
        if plan.received_until is not None:
            conds.append("received_at < :hi")
            params["hi"] = plan.received_until
        return (" AND ".join(conds) or "TRUE"), params, " | ".join(rank_parts)

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT id FROM search_documents LIMIT 1")).all()
        except SQLAlchemyError as exc:
            raise IndexUnavailable(
                f"search table unusable: {_one_line(exc)}", reason="INDEX_UNAVAILABLE"
            ) from exc

    def doc_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM search_documents")).scalar_one())

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()


def _one_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__
