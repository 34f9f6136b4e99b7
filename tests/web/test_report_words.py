"""The signature card's words: every check the verifier can report has a Ukrainian and an
English name and message, unknown ones fall back to words (never to the verifier's English),
sizes read "18,6 КБ", and plurals agree ("ще 2 сторінки", "ще 5 сторінок")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from verify.report import CheckStatus
from web.i18n import CATALOGUE, translator
from web.i18n_doc import size_text
from web.report_view import check_line, plain, problem

VERIFY = Path(__file__).resolve().parents[2] / "verify"
#: Where the verifier writes its check lines: the driver and the ETSI steps it runs.
SOURCES = (VERIFY / "validate.py", VERIFY / "steps.py")
#: The calls that make a check line, by name (`_Findings` in validate, `Outcome` in steps).
STATUS = {
    "ok": "passed",
    "passed": "passed",
    "skip": "skipped",
    "skipped": "skipped",
    "warn": "warning",
    "warning": "warning",
    "fail": "failed",
    "failed": "failed",
    "indeterminate": "failed",
    "total_failed": "failed",
    "_path_check": "failed",  # steps.py: a failed path check (validity, constraints)
}


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def reported_checks() -> set[tuple[str, str]]:
    """(check id, status) for every literal check line the verifier writes, e.g.
    `Outcome.passed("id", ...)` or `f.fail("id", ...)`."""
    found = set()
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and _called(node) in STATUS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add((node.args[0].value, STATUS[_called(node)]))
    return found


def test_every_check_of_the_verifier_has_a_name_and_a_message() -> None:
    checks = reported_checks()
    assert len(checks) >= 20, checks  # the scan really found the verifier's checks
    missing = [
        key
        for check_id, status in sorted(checks)
        for key in (f"checkname.{check_id}", f"checkmsg.{check_id}.{status}")
        if key not in CATALOGUE
    ]
    assert missing == []


def test_each_status_has_a_general_message() -> None:
    for status in CheckStatus:
        assert f"checkmsg.other.{status}" in CATALOGUE


def test_a_check_in_words_in_both_languages() -> None:
    raw = {"name": "message_digest", "status": "failed", "detail": "digest mismatch: 3f..."}
    uk, en = check_line(raw, translator("uk")), check_line(raw, translator("en"))
    assert (uk.name, uk.message) == ("Незмінність документа", "Документ змінено після підписання.")
    assert en.message == "The document was changed after it was signed."
    assert (uk.check_id, uk.detail) == ("message_digest", "digest mismatch: 3f...")
    chain = check_line({"name": "revocation[2]", "status": "passed"}, translator("uk"))
    assert chain.name == "Відкликання сертифіката надавача"
    assert chain.message == "Сертифікат не відкликано."


def test_unknown_checks_and_codes_fall_back_to_words_not_english() -> None:
    t = translator("uk")
    line = check_line({"name": "quantum_check", "status": "warning", "detail": "Eh"}, t)
    assert (line.name, line.message) == ("Інша перевірка", "Є зауваження.")
    odd = problem({"code": "SOMETHING_NEW", "message": "Something new happened"}, t)
    assert odd.text.startswith("Інша проблема з підписом") and odd.code == "SOMETHING_NEW"
    sub = problem({"code": "TRY_LATER", "message": "no revocation data"}, t)
    assert sub.text == t("sub.TRY_LATER")


def test_the_report_card_says_each_sentence_once() -> None:
    report = {
        "indication": "TOTAL_FAILED",
        "sub_indication": "HASH_FAILURE",
        "errors": [{"code": "HASH_FAILURE", "message": "content hash mismatch"}],
        "warnings": [
            {"code": "NO_REVOCATION_DATA", "message": "a"},
            {"code": "NO_REVOCATION_DATA", "message": "b"},
        ],
        "content": {"attached": False, "size": 19053},
    }
    view = plain(report, None, None, translator("uk"))
    assert view.verdict == "Підпис недійсний"
    assert view.errors == []  # the explanation already says it
    assert [w.code for w in view.warnings] == ["NO_REVOCATION_DATA"]
    assert view.codes == ["HASH_FAILURE", "NO_REVOCATION_DATA"]
    assert view.content_size == "18,6 КБ"
    assert plain(report, None, None, translator("en")).content_size == "18.6 KB"


def test_sizes_as_people_read_them() -> None:
    uk, en = translator("uk"), translator("en")
    assert size_text(512, uk) == "512 Б"
    assert size_text(19053, uk) == "18,6 КБ"
    assert size_text(5 * 1024 * 1024 + 300_000, uk) == "5,3 МБ"
    assert size_text(19053, en) == "18.6 KB"
    assert re.fullmatch(r"\d+ B", size_text(1023, en))


def test_plural_agreement() -> None:
    t = translator("uk")
    said = {n: t.plural("doc.more_pages", n) for n in (1, 2, 5, 11, 22)}
    assert said == {
        1: "ще 1 сторінка у PDF",
        2: "ще 2 сторінки у PDF",
        5: "ще 5 сторінок у PDF",
        11: "ще 11 сторінок у PDF",
        22: "ще 22 сторінки у PDF",
    }
