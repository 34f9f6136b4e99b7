"""Every UI string exists in Ukrainian and English, and every key a page asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from archive.catalogue import defects
from archive.models import DOCUMENT_TYPES, ROLES
from verify.report import CheckStatus, Indication, SubIndication
from web.i18n import CATALOGUE, translator

WEB = Path(__file__).resolve().parents[2] / "web"


def test_both_languages_for_every_key() -> None:
    assert defects(CATALOGUE) == []


def test_ukrainian_is_not_english() -> None:
    """Catch copy-paste: keys whose Ukrainian text has no Cyrillic letter are rare and listed."""
    uk = translator("uk")
    latin_only = {k for k in CATALOGUE if not re.search(r"[А-Яа-яІіЇїЄєҐґ]", uk.plural(k, 5))}
    assert latin_only == {"lang.switch"}  # the link to English says "English"


def test_every_literal_key_in_templates_and_code_exists() -> None:
    used: set[str] = set()
    plurals: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        text = path.read_text()
        used |= set(re.findall(r"\bt\('([a-z_]+(?:\.[A-Za-z_\-]+)+|yes|no)'[,)]", text))
        plurals |= set(re.findall(r"\bt\.plural\('([a-z_]+(?:\.[A-Za-z_\-]+)+)',", text))
    assert used and plurals, "the scan found nothing: the pattern is wrong"
    assert sorted((used | plurals) - set(CATALOGUE)) == []
    # a plural key is asked for with a count, a plain one without
    assert sorted(k for k in used if not isinstance(CATALOGUE.entry(k)["uk"], str)) == []
    assert sorted(k for k in plurals if isinstance(CATALOGUE.entry(k)["uk"], str)) == []


def test_every_key_of_the_families_built_at_run_time() -> None:
    families = [
        *(f"doctype.{c}" for c in DOCUMENT_TYPES),
        *(f"role.{r}" for r in ROLES),
        *(f"sub.{s}" for s in SubIndication),
        *(f"check.{c}" for c in CheckStatus),
        *(f"badge.{i}" for i in (*Indication, "UNSIGNED")),
        *(f"verdict.{i}" for i in (*Indication, "UNSIGNED")),
        *(f"verdict.{i}.why" for i in (*Indication, "UNSIGNED")),
        *(f"status.{s}" for s in ("passed", "failed", "indeterminate", "unsigned")),
        *(f"qr.state.{s}" for s in ("active", "expiring", "expired", "retired")),
        *(f"trust.state.{s}" for s in ("active", "expiring", "expired")),
        *(f"field.{f}" for f in ("person_name", "document_number", "rnokpp", "made_for")),
    ]
    notes = set()
    for path in WEB.glob("*.py"):
        notes |= set(re.findall(r'see_other\([^)]*?"([a-z_]+)"\)', path.read_text()))
    assert notes, "no notes found: the pattern is wrong"
    families += [f"note.{n}" for n in notes]
    assert [k for k in families if k not in CATALOGUE] == []


def test_translator_falls_back_to_the_key() -> None:
    assert translator("en")("no.such.key") == "no.such.key"
    assert translator("en")("nav.search") == "Search"
    assert translator("uk")("nav.search") == "Пошук"


def test_every_verifier_message_code_has_words() -> None:
    """Warnings and errors of the verifier carry stable codes; the UI words each of them."""
    from verify import report

    codes = set(report._UK["codes"])  # the verifier's own table of codes (private but stable)
    assert codes, "the verifier's code table moved"
    assert sorted(c for c in codes if f"code.{c}" not in CATALOGUE) == []
