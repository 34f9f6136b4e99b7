"""`diia-inbox search` and `diia-inbox reindex` on a whole installation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diia_inbox.cli import main
from tests.search.conftest import filled_data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return filled_data_dir(tmp_path / "data")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_is_the_contract(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "search", "шевченка", "--data", str(data_dir), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["total"] == 1
    hit = result["hits"][0]
    assert hit["person_name"] == "Шевченко Тарас Григорович"
    assert hit["document_type"] == "id-card"
    assert "<mark>Шевченко</mark>" in hit["snippet"]
    assert sorted(hit) == sorted(
        ["id", "document_type", "person_name", "branch", "received_at", "indication", "score",
         "snippet"]
    )  # fmt: skip


def test_search_text_output_and_limit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "", "--data", str(data_dir), "--limit", "2",
                         "--sort", "date")  # fmt: skip
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert "Шевченко Тарас Григорович" in lines[0]
    assert "1-2 of 4 found" in err


def test_bad_query_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "search", "type:mars", "--data", str(data_dir))
    assert code == 64
    assert "UNKNOWN_TYPE" in err
    assert "Traceback" not in err


def test_reindex_streams_with_progress(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "reindex", "--data", str(data_dir))
    assert code == 0
    assert "indexed 4/4 documents" in err
    assert "reindexed 4 documents" in err
    code, out, _err = run(capsys, "search", "SHEVCHENKO", "--data", str(data_dir), "--json")
    assert json.loads(out)["total"] == 1
