"""Fuzz: the search box's query language and the Whoosh backend behind it.

Whatever a member of staff types (or a script sends to the API), `parse_query` gives a Query or
a `QueryError` with a reason, and a search over a real index gives a result or a `SearchError`:
never a stack trace in the UI, never an index left unusable. Seeds are the documented query
forms (search/query.py) mutated with the characters that matter to the grammar.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.db import Database
from archive.models import Branch, Document, Message
from search.errors import QueryError, SearchError
from search.index import SearchBackend, open_backend
from search.query import MAX_QUERY_CHARS, Query, parse_query
from search.settings import SearchSettings
from tests.hardening.mutations import text_mutated
from tests.hardening.profiles import fuzz

SEEDS = [
    "шевченко тарас",
    '"Шевченко Тарас"',
    "шевч*",
    "type:id-card,foreign-passport",
    "branch:3 branch:хрещатик",
    "from:taras@example.com",
    "received:>=2026-01-01",
    "received:2026-01-01..2026-01-31",
    "отримано:31.01.2026 статус:passed|failed",
    "тип:паспорт РНОКПП:1234567899",
    "status:unsigned received:2026-11",
    'від:"example.com" "000123456"',
]
GRAMMAR = ':"*,|.<>=- 0123456789aAzZ_\\()[]{}@/\u00a0\u200bтипТИПїЇґ\ud7ff\U0001f600\x00\n\t'
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
QUERIES = st.one_of(text_mutated(SEEDS, GRAMMAR), st.text(max_size=120))


def test_seeds_parse() -> None:
    """Every documented form parses: the mutations start from valid queries."""
    for seed in SEEDS:
        assert isinstance(parse_query(seed), Query)
    with pytest.raises(QueryError):
        parse_query("x" * (MAX_QUERY_CHARS + 1))


@fuzz(300)
@given(QUERIES)
def test_parse_query_gives_a_query_or_query_error(text: str) -> None:
    try:
        query = parse_query(text, dt.timezone(dt.timedelta(hours=2)))
    except QueryError as exc:
        assert _CODE.fullmatch(exc.reason)
        return
    lo, hi = query.received_from, query.received_until
    assert lo is None or lo.tzinfo is not None
    assert hi is None or hi.tzinfo is not None


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    """A Whoosh index over a small real archive (SQLite), repaired from it on open."""
    root = tmp_path_factory.mktemp("query-fuzz")
    db = Database(f"sqlite:///{root / 'archive.db'}")
    db.migrate()
    when = dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC)
    with db.session() as s:
        branch = Branch(name="Відділення на Хрещатику", address="Київ", email="khr@example.org")
        for n, text in enumerate(
            ["Паспорт громадянина України\nШевченко Тарас Григорович\nРНОКПП: 1234567899",
             "Посвідчення водія\nКоваленко Олена Петрівна\nНомер документа: ВХЕ 123456"]
        ):  # fmt: skip
            msg = Message(
                envelope_from=f"sender{n}@example.com",
                envelope_to=["khr@example.org"],
                subject="Документи з Дії",
                received_at=when,
                raw_sha256=hashlib.sha256(text.encode()).hexdigest(),
                status="done",
            )
            s.add(Document(message=msg, branch=branch, received_at=when, text=text,
                           filename=f"{n}.pdf", indication="TOTAL_PASSED", fields={}))  # fmt: skip
    found = open_backend(SearchSettings(), root / "index", db)
    assert found.search("шевченко").total == 1  # a working index, not an empty one
    yield found
    found.close()
    db.dispose()


@fuzz(150)
@given(text=QUERIES, sort=st.sampled_from(["relevance", "date"]))
def test_search_gives_a_result_or_search_error(
    backend: SearchBackend, text: str, sort: str
) -> None:
    try:
        result = backend.search(text, limit=5, sort=sort)
    except SearchError as exc:
        assert _CODE.fullmatch(exc.reason)
        return
    assert 0 <= len(result.hits) <= min(5, result.total)
    result.to_dict()
