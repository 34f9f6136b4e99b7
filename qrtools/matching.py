"""Checks of an incoming copy against the registry, as stable warning codes.

The ingest pipeline calls `match_warnings` for every document and stores the codes in
`Document.warnings`; the UI shows them with `describe_warning`. A warning never blocks a copy
(it has the legal force of the original whatever our registry says): it tells staff to look.

- QR_ALL_EXPIRED: the branch has codes, and none was valid on the day the copy arrived.
- DOC_TYPE_NOT_REQUESTED: the document type is in no package of the codes valid that day (or,
  when all had expired, of the codes in use), so somebody sent more than was asked for.
- MADE_FOR_MISMATCH: the organisation the PDF says the copy was made for is neither the branch
  nor its organisation, compared tolerantly (quotes, case, legal forms written out or short).
- BRANCH_UNKNOWN: the copy could not be linked to a branch by its recipient address.
A branch without any registered code gets neither of the first two: the registry is optional.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from archive.models import Branch, QrCode, Service
from qrtools.texts import translator

QR_ALL_EXPIRED = "QR_ALL_EXPIRED"
DOC_TYPE_NOT_REQUESTED = "DOC_TYPE_NOT_REQUESTED"
MADE_FOR_MISMATCH = "MADE_FOR_MISMATCH"
BRANCH_UNKNOWN = "BRANCH_UNKNOWN"
WARNING_CODES: tuple[str, ...] = (QR_ALL_EXPIRED, DOC_TYPE_NOT_REQUESTED, MADE_FOR_MISMATCH)
WARNING_CODES += (BRANCH_UNKNOWN,)

DEFAULT_TZ = "Europe/Kyiv"

# Legal forms written out, longest first, and their usual abbreviations.
_LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    (r"товариство з обмеженою відповідальністю", "тов"),
    (r"товариство з додатковою відповідальністю", "тдв"),
    (r"приватне акціонерне товариство", "прат"),
    (r"публічне акціонерне товариство", "пат"),
    (r"акціонерне товариство", "ат"),
    (r"комунальне некомерційне підприємство", "кнп"),
    (r"комунальне підприємство", "кп"),
    (r"державне підприємство", "дп"),
    (r"приватне підприємство", "пп"),
    (r"спільне підприємство", "сп"),
    (r"фізична особа\s*[-‐–—]?\s*підприємець", "фоп"),
    (r"громадська організація", "го"),
    (r"благодійна організація", "бо"),
    (r"благодійний фонд", "бф"),
    (r"комунальний заклад", "кз"),
    (r"фермерське господарство", "фг"),
    (r"об'єднання співвласників багатоквартирного будинку", "осбб"),
)
_FORM_PATTERNS = tuple((re.compile(rf"(?<!\w){p}(?!\w)"), a) for p, a in _LEGAL_FORMS)
_ABBREVIATIONS = {a for _p, a in _LEGAL_FORMS} | {"тзов"}
_ALIASES = {"тзов": "тов"}  # the older western spelling of ТОВ
_QUOTES = '«»"“”„‟‹›‚'
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'", "′": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_LATIN_TO_CYRILLIC = str.maketrans("aceiopxykmtbhABCEHIKMOPTXY", "асеіорхукмтвнАВСЕНІКМОРТХУ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def organization_key(name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(legal forms, core words) of an organisation name, for tolerant comparison."""
    text = unicodedata.normalize("NFC", name).translate(_APOSTROPHES)
    for quote in _QUOTES:
        text = text.replace(quote, " ")
    text = " ".join(text.casefold().split())
    # A stray Latin letter among Cyrillic ones ("TOB", "Пaлаццо") is a lookalike.
    text = " ".join(
        w.translate(_LATIN_TO_CYRILLIC) if _CYRILLIC.search(w) or w in ("tob", "tов") else w
        for w in text.split()
    )
    for pattern, abbreviation in _FORM_PATTERNS:
        text = pattern.sub(f" {abbreviation} ", text)
    forms: set[str] = set()
    core: list[str] = []
    for token in _TOKEN.findall(text.replace("'", "")):
        if token in _ABBREVIATIONS:
            forms.add(_ALIASES.get(token, token))
        else:
            core.append(token)
    return frozenset(forms), tuple(core)


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def same_organization(a: str, b: str) -> bool:
    """True when two spellings name the same organisation, as far as text can tell.

    Equal core words match; so does one name's core found as a run of words inside the other
    ("ТОВ «Палаццо»" in "Готель «Палаццо», відділення №1"), as long as that run holds a real
    word. Two different legal forms (ТОВ against ПП) never match.
    """
    forms_a, core_a = organization_key(a)
    forms_b, core_b = organization_key(b)
    if forms_a and forms_b and not forms_a & forms_b:
        return False
    if not core_a or not core_b:
        return not core_a and not core_b and forms_a == forms_b and bool(forms_a)
    if core_a == core_b:
        return True
    shorter, longer = sorted((core_a, core_b), key=len)
    return any(len(t) >= 3 and not t.isdigit() for t in shorter) and _contains(longer, shorter)


def made_for_matches(made_for: str, names: Iterable[str | None]) -> bool:
    return any(same_organization(made_for, n) for n in names if n and n.strip())


#: A branch's codes issued by a day, with their services. Built once: the worker matches every
#: received copy, and building the statement cost more CPU than running it.
_CODES_ISSUED = (
    select(QrCode, Service)
    .outerjoin(Service, QrCode.service_id == Service.id)
    .where(QrCode.branch_id == bindparam("branch_id"), QrCode.issued_at <= bindparam("day"))
)


def match_warnings(
    session: Session,
    branch_id: int | None,
    document_type: str | None,
    made_for: str | None,
    received_at: dt.datetime,
    *,
    organization: str = "",
    tz: str = DEFAULT_TZ,
) -> list[str]:
    """Warning codes for one received copy (empty when everything matches).

    `received_at` is an aware datetime; its calendar day in `tz` is compared with the codes'
    issue and expiry days. `organization` is the installation-wide organisation name
    (QrSettings.organization), accepted as a "made for" name besides the branch's own.
    """
    if branch_id is None:
        return [BRANCH_UNKNOWN]
    branch = session.get(Branch, branch_id)
    if branch is None:
        return [BRANCH_UNKNOWN]
    warnings: list[str] = []
    day = received_at.astimezone(ZoneInfo(tz)).date()
    rows = session.execute(_CODES_ISSUED, {"branch_id": branch.id, "day": day}).all()
    in_use = [(c, s) for c, s in rows if c.retired_at is None or c.retired_at > received_at]
    if in_use:
        valid = [(c, s) for c, s in in_use if c.issued_at <= day < c.expires_at]
        if not valid:
            warnings.append(QR_ALL_EXPIRED)
        requested = {d for _c, s in (valid or in_use) if s is not None for d in s.documents}
        if document_type and requested and document_type not in requested:
            warnings.append(DOC_TYPE_NOT_REQUESTED)
    if made_for and made_for.strip():
        if not made_for_matches(made_for, (branch.name, branch.organization, organization)):
            warnings.append(MADE_FOR_MISMATCH)
    return warnings


def describe_warning(code: str, lang: str = "uk") -> str:
    """The text staff read for a warning code; unknown codes are shown as they are."""
    t = translator(lang)
    return t(f"warning.{code}") if f"warning.{code}" in t else code
