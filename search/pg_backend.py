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

#: The keys a row carries in its text alone: every key of `keys` but those with weight A
#: (names and numbers, which `search_ranks` holds), positions dropped. Indexed as an
#: expression (`search_documents_text_only`), so PostgreSQL keeps it with every write of a row,
#: ours or an older version's; a count of a word's matches looks here for the rows
#: `search_ranks` does not name (`_one_word`). A query must spell it exactly so to use the index.
_TEXT_ONLY = "ts_delete(strip(keys), tsvector_to_array(ts_filter(keys, '{a}')))"

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
    # Per row, each word it carries with weight A (its names' and numbers' keys) and the row's
    # ts_rank for that word alone, as a search for it computes it: the first page of a search
    # for one name is read here in rank order instead of ranking every match (`_one_word`).
    # Written and deleted with the rows (no foreign key: the table of rows may be dropped to
    # have it rebuilt, and then this one is emptied).
    """CREATE TABLE IF NOT EXISTS search_ranks (
        word text NOT NULL,
        id bigint NOT NULL,
        score real NOT NULL,
        received_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS search_ranks_order ON search_ranks"
    " (word, score DESC, received_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS search_ranks_id ON search_ranks (id)",
    # A one-word search's total, counted in indexes alone (`_one_word`): the rows that carry
    # the word or the prefix with weight A from this index (index-only scans: `rebuild`'s VACUUM
    # sets the visibility map), in byte order ("C") so that a prefix is a range of it, and the rows
    # that carry it in their text alone from the index of `_TEXT_ONLY` (none, for most names).
    # A GIN index cannot count without visiting every matching row (about 1,650 page reads
    # for a common surname at 100,000 rows).
    'CREATE INDEX IF NOT EXISTS search_ranks_prefix ON search_ranks (word COLLATE "C", id)',
    f"CREATE INDEX IF NOT EXISTS search_documents_text_only ON search_documents"
    f" USING gin (({_TEXT_ONLY}))",
    # The rows whose copy key is not their own: the only ones that may share it with another.
    "CREATE INDEX IF NOT EXISTS search_documents_shared_copy ON search_documents (id)"
    " WHERE copy_key IS DISTINCT FROM 'id:' || id::text",
)
#: The rank rows of documents (all of them, or those of `:ids`). The tsquery is the text
#: `_lexeme` makes of the word (quotes doubled, backslashes doubled), the one a search for it
#: casts, so the score is the one that search computes.
_RANKS_OF = (
    "INSERT INTO search_ranks (word, id, score, received_at) SELECT u.lexeme, d.id,"
    " ts_rank(d.keys, CAST(quote_tsq AS tsquery)), d.received_at"
    " FROM search_documents AS d, unnest(d.keys) AS u,"
    " LATERAL (SELECT chr(39) || replace(replace(u.lexeme, chr(92), chr(92) || chr(92)),"
    " chr(39), chr(39) || chr(39)) || chr(39) AS quote_tsq) AS q"
    " WHERE 'A' = ANY(u.weights)"
)
_FILL_RANKS = text(_RANKS_OF)
_DROP_RANKS = text("DELETE FROM search_ranks WHERE id = ANY(:ids)")
_ADD_RANKS = text(_RANKS_OF + " AND d.id = ANY(:ids)")
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
                had_rows, had_words, had_ranks = conn.execute(
                    text(
                        "SELECT to_regclass('search_documents') IS NOT NULL,"
                        " to_regclass('search_name_words') IS NOT NULL,"
                        " to_regclass('search_ranks') IS NOT NULL"
                    )
                ).one()
                for ddl in _DDL:
                    conn.execute(text(ddl))
                if not had_words:
                    conn.execute(_FILL_NAME_WORDS)
                if not had_rows:
                    conn.execute(text("DELETE FROM search_ranks"))
                elif not had_ranks:
                    conn.execute(_FILL_RANKS)
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
            ids = [row["id"] for row in batch]

            def write(c: Connection) -> None:
                c.execute(_UPSERT, batch)
                c.execute(_ADD_NAME_WORDS, {"words": words})
                c.execute(_DROP_RANKS, {"ids": ids})
                c.execute(_ADD_RANKS, {"ids": ids})

            if conn is not None:
                write(conn)
            else:
                with self.engine.begin() as c:
                    self._begin_write(c)
                    write(c)
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
            conn.execute(_DROP_RANKS, {"ids": id_list})
            if words:
                conn.execute(_DROP_ORPHAN_NAME_WORDS, {"words": words})

    def optimize(self) -> None:
        """VACUUM the table so deleted rows' space is reclaimed (erasure, retention)."""
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM search_documents, search_ranks, search_name_words")
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
            conn.execute(text("DELETE FROM search_ranks"))
            conn.execute(text("DELETE FROM search_documents"))
            conn.execute(text("DELETE FROM search_name_words"))
            count = self._write(docs, progress, conn)
            self._set_version(conn)
        # VACUUM as well as ANALYZE: the GIN index took the rows through its pending list
        # (fastupdate), which every search reads whole until a vacuum merges it (up to
        # gin_pending_list_limit, 4 MB: about 300 pages per look-up at 100,000 rows), and the
        # visibility map it sets spares the searches' heap visits a check per row. Autovacuum
        # would do both, but later, and not at all where it is off.
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM (ANALYZE) search_documents, search_ranks")
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
        try:
            # Autocommit: a search reads, so no BEGIN and no ROLLBACK around it (each is a
            # round trip to the server, which on a busy machine costs more than the query).
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                found = None
                if not by_date and limit > 0:
                    found = self._one_word(conn, plan, tier.forgiving, limit, offset)
                if found is None:
                    near = self._near_names(conn, plan) if tier.forgiving else {}
                    where, params, rank_q = self._where(plan, tier.forgiving, near)
                    found = self._ranked(
                        conn, plan, by_date, tier.separate, where, params, rank_q, limit, offset
                    )
                total, rows = found
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

    def _ranked(
        self,
        conn: Connection,
        plan: Plan,
        by_date: bool,
        separate: bool,
        where: str,
        params: dict[str, Any],
        rank_q: str,
        limit: int,
        offset: int,
    ) -> tuple[int, Sequence[Any]]:
        """Any search: the server ranks every match, in one statement (and counts them in a
        second when the page is empty)."""
        order = (
            "received_at DESC, id DESC"
            if by_date
            else "exact DESC, score DESC, received_at DESC, id DESC"
        )
        rank = "ts_rank(keys, CAST(:rank_q AS tsquery))" if rank_q and not by_date else "0"
        exact = "TRUE"
        if separate:
            exact, _p, _r = self._where(plan, False, {})
        # Identical copies once: the best-ranked (by date, the latest) stands for the others.
        # DISTINCT ON over one sort picks it (row_number() and count() over copy_key took two
        # window passes over every match); how many copies there are is counted for the
        # page's rows only, through the copy_key index. The text and the shown columns are
        # joined to the page only: carried through the sort they made every match's row wide.
        page_sql = (
            "SELECT id, score, exact, received_at, copy_key, count(*) OVER () AS total"
            " FROM (SELECT DISTINCT ON (copy_key) id, received_at, copy_key,"
            f" {rank} AS score, ({exact}) AS exact"
            f" FROM search_documents WHERE {where} ORDER BY copy_key, {order})"
            f" AS copies ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        page_order = ", ".join("page." + part.strip() for part in order.split(","))
        sql = (
            "SELECT page.id, page.score, page.total, (SELECT count(*) FROM"
            " search_documents AS same WHERE same.copy_key = page.copy_key"
            f" AND {where}) AS sent, d.document_type, d.person_name, d.branch,"
            " d.received_at, d.indication, d.text"
            f" FROM ({page_sql}) AS page JOIN search_documents AS d ON d.id = page.id"
            f" ORDER BY {page_order}"
        )
        rows = conn.execute(
            text(sql), {**params, "rank_q": rank_q, "limit": limit, "offset": offset}
        ).all()
        if rows:
            return int(rows[0].total), rows
        count = text(f"SELECT count(DISTINCT copy_key) FROM search_documents WHERE {where}")
        return int(conn.execute(count, params).scalar_one()), rows

    def _one_word(
        self, conn: Connection, plan: Plan, forgiving: bool, limit: int, offset: int
    ) -> tuple[int, Sequence[Any]] | None:
        """A search for one word of one key (a surname), by relevance and unfiltered, from
        `search_ranks`, in one statement; None when the page cannot come from there
        (`_ranked` answers then).

        The rows that carry the key with weight A (in their names or numbers) rank above
        every other match: ts_rank of a one-key query is at least 1/1.645 (about 0.61) when
        one of the key's positions has weight A (1.0), and below 0.1 x 2.645 / 1.645 (about
        0.16) when all have weight D (0.1, the text); what only the forgiving tier finds
        comes after every exact match. So when they fill the page, the page is theirs, read
        in rank order from `search_ranks` (the scores stored there are the same ts_rank
        over the same tsvector and tsquery). Unless a match may share its copy key with
        another (then copies must be collapsed: `_ranked`), the total is the number of
        matches: those of the key or its prefix, plus the rows only a near name finds.
        The first are counted in indexes without reading the rows (about 1,650 of them for a
        common surname at 100,000 documents, most of its time): those with weight A in
        `search_ranks` (only scans), the others in the index of their text-only keys (a
        name mentioned in other copies' text: none, for most names).
        The near names are looked up in the lexicon by the same statement (`_NEAR_NAMES`'s
        rule), and `_where`'s forgiving arms are spelt out over them.
        """
        if len(plan.terms) != 1 or _filtered(plan):
            return None
        term = plan.terms[0]
        if term.kind != "word" or len(term.positions[0]) != 1:
            return None
        key = term.positions[0][0]
        params: dict[str, Any] = {"one_key": key, "limit": limit, "offset": offset}
        prefix = term.implicit_prefix if forgiving else ""
        # The tsquery of the key or the prefix, and the same with weight A only.
        plain, named = [_lexeme(key)], [_lexeme(key) + ":A"]
        # The rows that carry either with weight A are counted in `search_ranks`: the key's
        # and those of the prefix's range of words (the key's among them when it begins with
        # the prefix), each row once. The range is bound, not `^@`: a prepared statement's
        # generic plan (psycopg prepares from the 5th use) cannot make a range of `^@ $1`.
        arms = []
        if not (prefix and key.startswith(prefix)):
            arms.append('SELECT id FROM search_ranks WHERE word COLLATE "C" = :one_key')
        if prefix:
            plain.append(_lexeme(prefix) + ":*")
            named.append(_lexeme(prefix) + ":*A")
            until = _after_prefix(prefix)
            if until is None:
                return None
            params["one_prefix"], params["one_until"] = prefix, until
            arms.append(
                'SELECT id FROM search_ranks WHERE word COLLATE "C" >= :one_prefix'
                ' AND word COLLATE "C" < :one_until'
            )
        params["one_plain"] = " | ".join(plain)
        params["one_named"] = " | ".join(named)
        # The near names of every fuzzy key, less those that are the key or start with the
        # prefix (their rows match the key or the prefix already).
        fuzzy = term.fuzzy if forgiving else ()
        near = ["SELECT NULL::text AS word WHERE FALSE"]
        for j, fkey in enumerate(fuzzy):
            params[f"one_f{j}"] = fkey
            near.append(
                f"SELECT word FROM search_name_words WHERE left(word, {FUZZY_PREFIX})"
                f" = left(:one_f{j}, {FUZZY_PREFIX})"
                f" AND levenshtein(word, :one_f{j}) <= {int(term.typos)}"
            )
        keep = "word <> :one_key"
        if prefix:
            keep += " AND NOT starts_with(word, :one_prefix)"
        quoted = (
            "chr(39) || replace(replace(w, chr(92), chr(92) || chr(92)),"
            " chr(39), chr(39) || chr(39)) || chr(39) || chr(58) || 'A'"  # ':A', not a bind
        )
        sql = (
            f"WITH near AS MATERIALIZED ({' UNION '.join(near)}),"
            " words AS MATERIALIZED (SELECT coalesce(array_agg(word), '{}') AS arr FROM near"
            f" WHERE {keep})"
            " SELECT r.id, r.score, 1 AS sent, d.document_type, d.person_name, d.branch,"
            " d.received_at, d.indication, d.text, shared.n AS shared,"
            # Counted only when the page is this one (a sub-select runs when first needed).
            # The rows of the key or the prefix: those with weight A in `search_ranks`, plus
            # those whose text alone has them (without a match of weight A: counted already).
            " CASE WHEN shared.n = 0 THEN (SELECT count(DISTINCT id) FROM"
            f" ({' UNION ALL '.join(arms)}) AS named) + (SELECT count(*) FROM search_documents"
            f" WHERE {_TEXT_ONLY} @@ CAST(:one_plain AS tsquery)"
            " AND NOT keys @@ CAST(:one_named AS tsquery)) + (SELECT CASE WHEN"
            " cardinality(words.arr) = 0 THEN 0 ELSE (SELECT count(*) FROM search_documents"
            # The rows with the key or the prefix are left out in the index (a near word is
            # often another form of the key, at the key's own position).
            f" WHERE keys @@ CAST('( ' || array_to_string(ARRAY(SELECT {quoted}"
            " FROM unnest(words.arr) AS w), ' | ') || ' ) & !( ' || :one_plain || ' )'"
            " AS tsquery) AND string_to_array(name_keys, ' ') && words.arr) END FROM words)"
            " END AS total"
            " FROM (SELECT id, score, received_at FROM search_ranks WHERE word = :one_key"
            " ORDER BY score DESC, received_at DESC, id DESC LIMIT :limit OFFSET :offset) AS r"
            " JOIN search_documents AS d ON d.id = r.id"
            # Counted, not EXISTS: with EXISTS the planner expects an early hit and scans the
            # whole table; counting goes through the (small) index of shared copy keys. The
            # condition is `_where`'s: the key, the prefix, or a name that is a near name.
            " CROSS JOIN (SELECT count(*) AS n FROM search_documents, words"
            " WHERE copy_key IS DISTINCT FROM 'id:' || id::text"
            " AND (keys @@ CAST(:one_plain AS tsquery)"
            " OR string_to_array(name_keys, ' ') && words.arr)) AS shared"
            " ORDER BY r.score DESC, r.received_at DESC, r.id DESC"
        )
        rows = conn.execute(text(sql), params).all()
        if len(rows) < limit or rows[0].shared > 0:
            return None
        return int(rows[0].total), rows

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
            index_parts = [f"( {tsq} )"]
            if fuzzy and term.implicit_prefix:
                params[f"p{i}"] = _lexeme(term.implicit_prefix) + ":*"
                index_parts.append(params[f"p{i}"])
                cond += f" OR keys @@ CAST(:p{i} AS tsquery)"
            if fuzzy and term.fuzzy:
                # The near names (search.tiers.within_typos of a fuzzy key: first letters
                # equal, Levenshtein distance) come from the lexicon, which holds every word
                # of every row's names: a row is a near match when one of its names' words is
                # one of them, no Levenshtein per row. Names carry weight A in `keys`, so the
                # near words as 'w':A let the GIN index find the candidates.
                near_words = sorted({w for key in term.fuzzy for w in near.get(key, [])})
                if near_words:
                    params[f"fn{i}"] = near_words
                    index_parts += [_lexeme(w) + ":A" for w in near_words]
                    cond += f" OR string_to_array(name_keys, ' ') && CAST(:fn{i} AS text[])"
            if len(index_parts) > 1:
                # One look-up in the GIN index for all the arms (an OR of @@ made one index
                # scan per arm, each reading the same posting lists), the arms checked per row.
                params[f"any{i}"] = " | ".join(index_parts)
                cond = f"keys @@ CAST(:any{i} AS tsquery) AND ({cond})"
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


def _after_prefix(prefix: str) -> str | None:
    """The first string past every one that begins with `prefix`, in byte order ("C"; UTF-8's
    is the code points'): the prefix with its last character's successor, past the surrogates
    (they have no UTF-8); None when there is none (a prefix of U+10FFFF only)."""
    stem = prefix
    while stem:
        last = ord(stem[-1]) + 1
        if 0xD800 <= last <= 0xDFFF:
            last = 0xE000
        if last <= 0x10FFFF:
            return stem[:-1] + chr(last)
        stem = stem[:-1]
    return None


def _filtered(plan: Plan) -> bool:
    """Whether a search narrows its words' matches by type, status, branch, sender or date."""
    return bool(
        plan.types
        or plan.statuses
        or plan.branch_ids
        or plan.branch_words
        or plan.senders
        or plan.received_from is not None
        or plan.received_until is not None
    )


def _one_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__
