"""Data-subject requests among near-namesakes: exactly the person's copies, nothing else.

The corpus goes through the real pipeline (signed copies in Gmail-shaped mail, the worker, the
archive, the Whoosh index) and holds, besides the person (Шевченко Тарас Григорович, invented
numbers):

- a namesake with the same surname and given name and another patronymic (Іванович);
- a woman whose patronymic is formed from the person's given name (Олена Тарасівна);
- a surname one letter away (Шевчинко), born the same day;
- the person's son's birth certificate, naming the person as the father (it names them:
  included);
- an encrypted copy of the person sent in the same e-mail as their ID card (cannot be read);
- a letter whose text names the person in another case, with no recognised fields (to check
  by hand);
- a bystander (Ковальчук Мар'яна Остапівна).
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from archive.models import AuditEvent
from diia_inbox import privacy
from diia_inbox.runtime import Runtime
from search.fields import rnokpp_valid
from tests.corpus.documents import (
    KOVALCHUK,
    LAYOUTS,
    SHEVCHENKO,
    Copy,
    copies_of,
    person,
    render,
)
from tests.ingest.mailmaker import diia_pair, gmail
from tests.privacy.conftest import Mailroom, run_cli, traces

NAMESAKE = person("ШЕВЧЕНКО", "ТАРАС", "ІВАНОВИЧ", dt.date(1990, 6, 15), "301122334")
DAUGHTER_OF_TARAS = person("ШЕВЧЕНКО", "ОЛЕНА", "ТАРАСІВНА", dt.date(1996, 1, 20), "351200456")
ONE_LETTER = person("ШЕВЧИНКО", "ТАРАС", "ГРИГОРОВИЧ", dt.date(1994, 3, 9), "345112233", "05678")
SON = person("ШЕВЧЕНКО", "ОСТАП", "ТАРАСОВИЧ", dt.date(2020, 5, 5), "440011223", "07777")


def _encrypted(copy: Copy) -> bytes:
    """The copy as a PDF that needs a password to open (its text cannot be read)."""
    from fpdf import FPDF

    from tests.corpus.documents import FONT_DIR

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    for uk, en, value in copy.rows():
        pdf.cell(0, 8, f"{uk} / {en}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    return bytes(pdf.output())


def _letter() -> bytes:
    from fpdf import FPDF

    from tests.corpus.documents import FONT_DIR

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        0,
        8,
        "Лист-погодження. Цим підтверджуємо, що номер 12 заброньовано для Шевченка Тараса "
        "Григоровича на три доби. Адміністрація готелю.",
    )
    return bytes(pdf.output())


class Corpus:
    def __init__(self, rt: Runtime, sign: Callable[[bytes, bool], bytes]) -> None:
        self.rt = rt
        self.room = Mailroom(rt)
        self.sign = sign
        self.by_person: dict[str, set[int]] = {}

    def send(self, who: str, *pdfs: bytes) -> list[int]:
        atts = []
        for i, pdf in enumerate(pdfs):
            atts += diia_pair(pdf, self.sign(pdf, True), f"Документ {i + 1}")
        handled = self.room.deliver(gmail(atts))
        assert handled.outcome is not None and handled.outcome.status == "archived", handled
        ids = list(handled.outcome.documents)
        self.by_person.setdefault(who, set()).update(ids)
        return ids


@pytest.fixture
def corpus(
    installation: Callable[..., Runtime], signer: tuple[bytes, Any]
) -> tuple[Runtime, Corpus, dict[str, Any]]:
    rt = installation()
    c = Corpus(rt, signer[1])
    taras = copies_of(SHEVCHENKO, 0)
    info: dict[str, Any] = {"taras_copies": taras}
    # The ID card and an encrypted copy in one e-mail; the other seven types one by one.
    _card, encrypted = c.send("taras", render(taras[0], "caption"), _encrypted(taras[2]))
    c.by_person["taras"].discard(encrypted)
    info["encrypted"] = encrypted
    for i, copy in enumerate(taras[1:], 1):
        c.send("taras", render(copy, LAYOUTS[i % len(LAYOUTS)]))
    son_certificate = next(x for x in copies_of(SON, 4) if x.doc_type == "birth-certificate")
    son_certificate = Copy(
        "birth-certificate",
        SON,
        son_certificate.number,
        son_certificate.issue_date,
        authority=son_certificate.authority,
        father="ШЕВЧЕНКО ТАРАС ГРИГОРОВИЧ",
        mother="ШЕВЧЕНКО ІРИНА ПЕТРІВНА",
    )
    c.send("taras", render(son_certificate, "columns-values-first"))
    for who, p, serial, types in (
        ("namesake", NAMESAKE, 1, ("id-card", "driver-license", "foreign-passport")),
        ("daughter", DAUGHTER_OF_TARAS, 2, ("id-card", "taxpayer-card")),
        ("one-letter", ONE_LETTER, 3, ("id-card", "driver-license")),
        ("bystander", KOVALCHUK, 5, ("id-card",)),
    ):
        for n, copy in enumerate(x for x in copies_of(p, serial) if x.doc_type in types):
            c.send(who, render(copy, LAYOUTS[(serial + n) % len(LAYOUTS)]))
    (info["letter"],) = c.send("letter", _letter())
    return rt, c, info


def _find(rt: Runtime, **kw: Any) -> Any:
    return privacy.find_subject(rt, privacy.subjects.Subject(**kw))


def test_requests_find_exactly_the_persons_copies(
    corpus: tuple[Runtime, Corpus, dict[str, Any]],
) -> None:
    rt, c, info = corpus
    taras = c.by_person["taras"]
    assert len(taras) == 9
    match = privacy.matcher()
    for name in (
        "Шевченко Тарас Григорович",
        "тарас григорович шевченко",
        "ШЕВЧЕНКА ТАРАСА ГРИГОРОВИЧА",
        "Shevchenko Taras Hryhorovych",
        "SHEVCHENKO TARAS HRYHOROVYCH",
    ):
        found = privacy.find_subject(rt, privacy.subjects.Subject(name=name), match)
        got = {d.id for d in found.documents}
        # Precision and recall 100 %: the found set is the person's copies, exactly.
        assert got == taras, (name, got ^ taras)
        assert len(found.identities) == 1
        assert [d.id for d in found.to_check] == [info["letter"]]
        assert info["encrypted"] in {d.id for d in found.unreadable}
    # The command, in Latin: the same exact set; the export takes exactly that identity.
    data = str(rt.config.data_dir)
    listed = run_cli(
        "subject", "find", "--name", "SHEVCHENKO TARAS HRYHOROVYCH", "--json", "--data", data
    )
    assert listed.returncode == 0, listed.stderr
    result = json.loads(listed.stdout)
    assert [set(i["documents"]) for i in result["identities"]] == [taras]
    assert [r["id"] for r in result["to_check"]] == [info["letter"]]
    assert info["encrypted"] in [r["id"] for r in result["needs_manual_review"]]
    out = rt.config.data_dir.parent / "export.zip"
    exported = run_cli(
        "subject",
        "export",
        "--name",
        "Тарас Шевченко",
        "--rnokpp",
        SHEVCHENKO.rnokpp,
        "--out",
        str(out),
        "--data",
        data,
    )
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as zf:
        index = json.loads(zf.read("index.json"))
    assert {d["id"] for d in index["documents"]} == taras
    ambiguous = run_cli(
        "subject", "export", "--name", "Тарас Шевченко", "--out", str(out), "--data", data
    )
    assert ambiguous.returncode == 1 and "2 people match" in ambiguous.stdout
    for kw in (
        {"rnokpp": SHEVCHENKO.rnokpp},
        {"number": info["taras_copies"][0].number},
        {"name": "Тарас Шевченко", "birth_date": SHEVCHENKO.birth_date},
    ):
        found = _find(rt, **kw)
        assert {d.id for d in found.documents} == taras, kw


def test_namesakes_are_grouped_as_identities(
    corpus: tuple[Runtime, Corpus, dict[str, Any]],
) -> None:
    rt, c, _ = corpus
    for name in ("Тарас Шевченко", "SHEVCHENKO TARAS", "шевченку тарасу"):
        found = _find(rt, name=name)
        groups = sorted(sorted(d.id for d in f.documents) for f in found.identities)
        assert groups == sorted([sorted(c.by_person["taras"]), sorted(c.by_person["namesake"])])
    # The same day of birth: the person and the one-letter surname, two people.
    found = _find(rt, birth_date=SHEVCHENKO.birth_date)
    assert {frozenset(d.id for d in f.documents) for f in found.identities} == {
        frozenset(c.by_person["taras"]),
        frozenset(c.by_person["one-letter"]),
    }
    daughter = _find(rt, name="Шевченко Олена Тарасівна")
    assert {d.id for d in daughter.documents} == c.by_person["daughter"]
    # Without the patronymic: the daughter and the mother named on Taras's birth certificate.
    olena = _find(rt, name="Шевченко Олена")
    assert len(olena.identities) == 2
    mother = next(f for f in olena.identities if "Шевченко Олена Петрівна" in f.identity.names)
    birth_certificate = next(
        d.id
        for d in _find(rt, rnokpp=SHEVCHENKO.rnokpp).documents
        if d.document_type == "birth-certificate"
        and d.fields.get("surname") == "Шевченко"
        and d.fields.get("given_names") == "Тарас"
    )
    assert [d.id for d in mother.documents] == [birth_certificate]
    assert {d.id for d in _find(rt, name="Шевчинко Тарас").documents} == c.by_person["one-letter"]
    assert _find(rt, name="Шевч Тарас").documents == []  # no prefixes in a request


def test_ambiguous_erasure_is_refused_then_narrowed_erasure_leaves_no_trace(
    corpus: tuple[Runtime, Corpus, dict[str, Any]],
) -> None:
    rt, c, info = corpus
    data = str(rt.config.data_dir)
    taras = c.by_person["taras"]
    copies = info["taras_copies"]
    needles = {
        "RNOKPP": SHEVCHENKO.rnokpp.encode(),
        "record number": SHEVCHENKO.record_number.encode(),
        "ID card number": copies[0].number.encode(),
        "passport number (index key)": copies[1].number.lower().encode(),
        "licence digits": copies[5].number.split()[-1].encode(),
    }
    assert rnokpp_valid(SHEVCHENKO.rnokpp)
    before = {label for _, label in traces(rt.config.data_dir, needles)}
    assert before == set(needles), before

    refused = run_cli("subject", "erase", "--name", "Тарас Шевченко", "--yes", "--data", data)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "2 people match" in refused.stdout and "refused" in refused.stderr
    assert "Шевченко Тарас Іванович" in refused.stdout
    assert "Шевченко Тарас Григорович" in refused.stdout
    assert {d.id for d in _find(rt, name="Тарас Шевченко").documents} >= taras

    narrowed = ["--name", "Тарас Шевченко", "--rnokpp", SHEVCHENKO.rnokpp, "--data", data]
    dry = run_cli("subject", "erase", *narrowed, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    expected = sorted(taras | {info["encrypted"]})
    assert f"would erase {len(expected)} documents: {', '.join(map(str, expected))}" in dry.stdout

    done = run_cli("subject", "erase", *narrowed, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"erased {len(expected)} documents" in done.stdout
    assert f"from the same e-mail as a matched copy: {info['encrypted']}" in done.stdout
    left = traces(rt.config.data_dir, needles)
    assert left == [], left
    # A pooled SQLite connection of this process can keep the snapshot it read before the
    # command's erasure (noted for the planners); read the archive afresh.
    rt.db.engine.dispose()
    # The letter names him only in its text: never erased on a guess, still listed by name.
    after = _find(rt, name="Шевченко Тарас Григорович")
    assert after.identities == []
    assert [d.id for d in after.to_check] == [info["letter"]]
    # The namesakes are untouched and still found, by search and by request.
    with privacy.search_backend(rt) as backend:
        ranked = [h.id for h in backend.search("Шевченко Тарас", limit=100).hits]
    hits = set(ranked)
    assert c.by_person["namesake"] <= hits
    # Staff search forgives a typo (issue 13 item 7), so "Шевчинко" may be listed, but only
    # below every exact match; a data-subject request never takes it (checked above and below).
    near = [ranked.index(i) for i in c.by_person["one-letter"] if i in hits]
    assert not near or min(near) > max(ranked.index(i) for i in c.by_person["namesake"])
    found = _find(rt, name="Тарас Шевченко")
    assert [sorted(d.id for d in f.documents) for f in found.identities] == [
        sorted(c.by_person["namesake"])
    ]
    for who in ("daughter", "one-letter", "bystander"):
        assert {d.id for d in _find(rt, rnokpp=_rnokpp(who)).documents} == c.by_person[who]
    with rt.db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "subject.erase")
        ).scalar_one()
        detail = event.detail if isinstance(event.detail, dict) else json.loads(event.detail)
    assert detail["criteria"] == ["name", "rnokpp"]
    assert detail["documents"] == len(expected) and detail["copies"] == expected
    assert SHEVCHENKO.rnokpp not in json.dumps(detail, ensure_ascii=False)


def _rnokpp(who: str) -> str:
    return {
        "daughter": DAUGHTER_OF_TARAS.rnokpp,
        "one-letter": ONE_LETTER.rnokpp,
        "bystander": KOVALCHUK.rnokpp,
    }[who]


def test_erasure_by_rnokpp_takes_the_same_emails_encrypted_copy_and_reports_the_rest(
    corpus: tuple[Runtime, Corpus, dict[str, Any]],
) -> None:
    """Issue 14, item 9: an encrypted copy is never left behind without a word."""
    rt, c, info = corpus
    data = str(rt.config.data_dir)
    # Another encrypted copy, alone in its e-mail: nothing ties it to anyone.
    (lone,) = c.send("unknown", _encrypted(copies_of(KOVALCHUK, 9)[0]))
    report = privacy.purge(rt, dt.datetime.now(dt.UTC) + dt.timedelta(days=10_000), dry_run=True)
    assert set(report.unreadable) == {info["encrypted"], lone}

    done = run_cli("subject", "erase", "--rnokpp", SHEVCHENKO.rnokpp, "--yes", "--data", data)
    assert done.returncode == 0, done.stderr
    assert f"from the same e-mail as a matched copy: {info['encrypted']}" in done.stdout
    assert (
        f"could not check 1 copies (unreadable text; not erased, review them by hand): {lone}"
        in (done.stdout)
    )
    rt.db.engine.dispose()
    found = _find(rt, rnokpp=SHEVCHENKO.rnokpp)
    assert found.identities == [] and [d.id for d in found.unreadable] == [lone]
