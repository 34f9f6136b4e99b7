"""Recognition on real layouts: all eight document types, six layouts each, two extractors.

The copies are PDFs made with a PDF library and real fonts (tests/corpus/documents.py); each is
read by pypdf (what the service uses) and by poppler's `pdftotext` (another implementation with
another reading order: pypdf follows the drawing order, so a value column drawn first comes out
before its labels; pdftotext reorders by position). Every field of every layout must come out
the same from both.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from archive.models import DOCUMENT_TYPES
from search.fields import recognise
from search.pdftext import read_pdf
from tests.corpus.documents import (
    BONDAR,
    KOVALCHUK,
    LAYOUTS,
    SHEVCHENKO,
    copies_of,
    render,
    with_check_digit,
)

PEOPLE = (SHEVCHENKO, KOVALCHUK, BONDAR)
CASES = [(t, layout) for t in DOCUMENT_TYPES for layout in LAYOUTS]


def pypdf_text(pdf: bytes) -> str:
    return read_pdf(pdf, max_pages=5, max_decompressed_bytes=10**8, max_chars=10**6).text


def pdftotext(pdf: bytes) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "poppler-utils (pdftotext) is in APT_PACKAGES"
    done = subprocess.run([exe, "-q", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True)
    assert done.returncode == 0
    return done.stdout.decode()


@pytest.mark.parametrize(("doc_type", "layout"), CASES)
def test_every_field_of_every_layout(doc_type: str, layout: str) -> None:
    i = CASES.index((doc_type, layout))
    person = PEOPLE[i % len(PEOPLE)]
    copy = next(c for c in copies_of(person, i) if c.doc_type == doc_type)
    pdf = render(copy, layout)
    expected = copy.expected()
    for name, text in (("pypdf", pypdf_text(pdf)), ("pdftotext", pdftotext(pdf))):
        got = recognise(text, "")
        assert got == expected, f"{name}:\n{text}"


def test_the_two_column_order_really_differs_between_extractors() -> None:
    """The fixture is only a test of value-before-label pairing if pypdf emits it that way."""
    copy = copies_of(SHEVCHENKO)[0]
    pdf = render(copy, "columns-values-first")
    text, other = pypdf_text(pdf), pdftotext(pdf)
    assert text.index("ШЕВЧЕНКО") < text.index("Прізвище")
    assert other.index("Прізвище") < other.index("ШЕВЧЕНКО")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_wrong_check_digit_is_never_an_rnokpp(layout: str) -> None:
    good = copies_of(SHEVCHENKO)[0]
    bad_number = good.person.rnokpp[:9] + str((int(good.person.rnokpp[9]) + 1) % 10)
    assert with_check_digit(bad_number[:9]) != bad_number
    bad = dataclasses.replace(good, person=dataclasses.replace(good.person, rnokpp=bad_number))
    for text in (pypdf_text(render(bad, layout)), pdftotext(render(bad, layout))):
        fields = recognise(text)
        assert "rnokpp" not in fields
        assert fields["person_name"] == "Шевченко Тарас Григорович"


def test_a_namesake_patronymic_is_not_a_given_name() -> None:
    text = "Прізвище / Surname\nПо батькові / Patronymic\nШЕВЧЕНКО\nТАРАСІВНА\n"
    fields = recognise(text)
    assert fields.get("patronymic") == "Тарасівна"
    assert "given_names" not in fields


def test_labels_in_any_case_and_name_on_one_line() -> None:
    text = "СТУДЕНТСЬКИЙ КВИТОК\nпіб: КОВАЛЬЧУК МАР'ЯНА ОСТАПІВНА\nДАТА НАРОДЖЕННЯ 23.11.1988"
    fields = recognise(text)
    assert fields["document_type"] == "student-card"
    assert (fields["surname"], fields["given_names"], fields["patronymic"]) == (
        "Ковальчук",
        "Мар'яна",
        "Остапівна",
    )
    assert fields["birth_date"] == "1988-11-23"


def test_passport_machine_readable_zone_gives_the_latin_name() -> None:
    text = "Паспорт громадянина України\nP<UKRBONDAR<LYSENKO<<YAREMA<<<<<<<<<<<<<<<<<<<"
    assert recognise(text)["person_name_lat"] == "BONDAR LYSENKO YAREMA"
