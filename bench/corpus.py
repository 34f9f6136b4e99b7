"""A synthetic corpus of Diia-like copies: invented Ukrainian people, numbers and texts.

Deterministic for a seed, generated lazily (a 100,000-document corpus is never held in memory).
Names are common Ukrainian surnames and given names combined at random, so they describe nobody;
RNOKPP numbers carry a valid check digit; document numbers follow each type's usual shape.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from search.index import IndexDoc

SURNAMES = (
    "Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Шевчук Коваль Поліщук Бойко "
    "Ткачук Марченко Мельник Мельничук Лисенко Руденко Савченко Петренко Кравчук Клименко "
    "Павленко Савчук Кузьменко Іваненко Левченко Гаврилюк Харченко Карпенко Сидоренко Швець "
    "Мартинюк Романенко Литвиненко Костенко Гончаренко Власенко Кушнір Ярошенко Дмитренко "
    "Мороз Тимошенко Заїка Зінченко Яковенко Литвин Гуменюк Сологуб Приходько Кириленко Юрченко "
    "Яремчук Білоус Гнатюк Остапчук Мазур Пономаренко Нестеренко Вовк Грищенко Федоренко"
).split()
MALE = (
    "Тарас Олександр Андрій Сергій Володимир Дмитро Іван Микола Юрій Василь Олег Петро Богдан "
    "Роман Ігор Михайло Віктор Євген Степан Остап Ярослав Григорій Максим Артем Денис"
).split()
FEMALE = (
    "Олена Наталія Тетяна Ірина Оксана Марія Юлія Світлана Людмила Ганна Катерина Вікторія "
    "Софія Дарина Мар'яна Леся Ольга Галина Христина Євгенія Анастасія Зоряна Надія Віра"
).split()
ORGS = (
    "ТОВ «Готель Дніпро»", "ЦНАП Подільського району", "Коледж зв'язку", "КНП «Міська лікарня №3»",
    "ГО «Дорога додому»", "ФОП Ярошенко", "Хостел «Карпати»", "Банк «Приватний»",
)  # fmt: skip
BRANCHES = (
    (1, "Відділення на Хрещатику"), (2, "Відділення на Подолі"), (3, "Рецепція готелю"),
    (4, "ЦНАП, вікно 5"), (5, "Приймальна комісія"),
)  # fmt: skip
TYPES = (
    ("id-card", "Паспорт громадянина України (ID-картка)"),
    ("foreign-passport", "Паспорт громадянина України для виїзду за кордон"),
    ("taxpayer-card", "Картка платника податків"),
    ("birth-certificate", "Свідоцтво про народження"),
    ("idp-certificate", "Довідка про взяття на облік внутрішньо переміщеної особи"),
    ("driver-license", "Посвідчення водія"),
    ("vehicle-registration", "Свідоцтво про реєстрацію транспортного засобу"),
    ("student-card", "Студентський квиток"),
)
SERIES = "АВЕІКМНОРСТХ"
INDICATIONS = ("TOTAL_PASSED",) * 8 + ("TOTAL_FAILED", "INDETERMINATE", "UNSIGNED")
_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


_PATRONYMICS = {
    "Микола": ("Миколайович", "Миколаївна"),
    "Григорій": ("Григорович", "Григорівна"),
    "Юрій": ("Юрійович", "Юріївна"),
    "Василь": ("Васильович", "Василівна"),
    "Сергій": ("Сергійович", "Сергіївна"),
    "Андрій": ("Андрійович", "Андріївна"),
    "Дмитро": ("Дмитрович", "Дмитрівна"),
    "Петро": ("Петрович", "Петрівна"),
}


def patronymic(father: str, female: bool) -> str:
    if father in _PATRONYMICS:
        return _PATRONYMICS[father][female]
    return father + ("івна" if female else "ович")


def rnokpp(rng: random.Random, born: dt.date) -> str:
    days = (born - dt.date(1899, 12, 31)).days
    head = f"{days % 100000:05d}{rng.randrange(1000):03d}{rng.randrange(10)}"
    check = (sum(w * int(d) for w, d in zip(_WEIGHTS, head, strict=True)) % 11) % 10
    return head + str(check)


def document_number(rng: random.Random, doc_type: str) -> str:
    series = "".join(rng.choice(SERIES) for _ in range(2))
    if doc_type == "id-card":
        return f"{rng.randrange(10**9):09d}"
    if doc_type == "foreign-passport":
        return f"F{rng.choice('ABEKMX')}{rng.randrange(10**6):06d}"
    if doc_type in ("driver-license", "vehicle-registration"):
        return f"{series}{rng.choice(SERIES)}{rng.randrange(10**6):06d}"
    if doc_type == "birth-certificate":
        return f"І-{series} № {rng.randrange(10**6):06d}"
    if doc_type == "student-card":
        return f"{series} {rng.randrange(10**8):08d}"
    return f"{rng.randrange(10**9):09d}"


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    patronymic: str
    born: dt.date
    rnokpp: str

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.given} {self.patronymic}"


def person(rng: random.Random) -> Person:
    female = rng.random() < 0.5
    given = rng.choice(FEMALE if female else MALE)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
    return Person(
        rng.choice(SURNAMES), given, patronymic(rng.choice(MALE), female), born, rnokpp(rng, born)
    )


def generate(
    n: int, seed: int = 1, start: dt.datetime = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
) -> Iterator[IndexDoc]:
    """`n` documents received over two years, a few per person like real parcels."""
    from search.translit import transliterate

    rng = random.Random(seed)
    span = 2 * 365 * 24 * 3600
    for i in range(1, n + 1):
        p = person(rng)
        code, title = rng.choice(TYPES)
        number = p.rnokpp if code == "taxpayer-card" else document_number(rng, code)
        received = start + dt.timedelta(seconds=int(span * i / n) + rng.randrange(600))
        branch_id, branch = rng.choice(BRANCHES)
        org = rng.choice(ORGS)
        lat = transliterate(f"{p.surname} {p.given}").upper()
        lines = [
            title,
            p.full_name,
            lat if code == "foreign-passport" else "",
            f"Номер документа: {number}",
            f"РНОКПП: {p.rnokpp}",
            f"Дата народження: {p.born:%d.%m.%Y}",
            f"Копію створено {received.date().isoformat()} для {org}",
            "Копія документа створена в застосунку Дія і має таку саму юридичну силу,"
            " як і оригінал документа.",
        ]
        yield IndexDoc(
            id=i,
            document_type=code,
            person_name=p.full_name,
            person_name_lat=lat if code == "foreign-passport" else None,
            branch=branch,
            branch_id=branch_id,
            received_at=received,
            indication=rng.choice(INDICATIONS),
            sender=f"{transliterate(p.given).lower()}.{i}@example.com",
            text="\n".join(line for line in lines if line),
            numbers=[number, p.rnokpp],
            filename=f"{code}.pdf",
            subject="Документи з Дії",
        )
