"""Every user-facing string of the QR tools, Ukrainian first with its English translation.

Kept as data in one place so the poster, the reminder e-mail, the CLI and the web pages say the
same thing, and a translation is reviewed once. The lookup is `archive.catalogue`, the same as
the web's; the document types' names come from `archive.doctypes` (`doctype.<code>.full`).
"""

from __future__ import annotations

from datetime import date

from archive.catalogue import Catalogue, Translator, pairs
from archive.doctypes import DOCTYPE_STRINGS

_STATES: dict[str, tuple[str, str]] = {
    "active": ("чинний", "active"),
    "expiring": ("строк спливає", "expiring"),
    "expired": ("прострочений", "expired"),
    "retired": ("виведений з ужитку", "retired"),
}

_POSTER: dict[str, tuple[str, str]] = {
    "title": (
        "Надішліть копії документів через Дія.QR",
        "Send copies of your documents via Diia.QR",
    ),
    "service": ("Послуга", "Service"),
    "documents": ("Потрібні документи", "Documents requested"),
    "steps": ("Як надіслати", "How to send"),
    "step1": (
        "Відкрийте застосунок Дія та натисніть «Сканувати QR-код».",
        "Open the Diia app and tap “Scan QR code”.",
    ),
    "step2": (
        "Наведіть камеру на цей код і перевірте назву, адресу та перелік документів.",
        "Point the camera at this code and check the name, address and list of documents.",
    ),
    "step3": (
        "Пройдіть фотоверифікацію, підтвердьте Дія.Підписом і надішліть лист із копіями.",
        "Pass the photo check, confirm with Diia.Signature and send the e-mail with the copies.",
    ),
    "all_needed": (
        "Потрібні всі документи зі списку: якщо якогось немає в Дії, копії не буде надіслано.",
        "Every listed document is needed: if one is missing in Diia, nothing is sent.",
    ),
    "valid_through": (
        "QR-код дійсний до {date} включно.",
        "QR code valid through {date}.",
    ),
}

_WARNINGS: dict[str, tuple[str, str]] = {
    "QR_ALL_EXPIRED": (
        "На момент отримання копії всі QR-коди відділення були прострочені.",
        "All QR codes of the branch had expired when the copy was received.",
    ),
    "DOC_TYPE_NOT_REQUESTED": (
        "Тип документа не входить до жодного чинного пакета документів відділення.",
        "The document type is in no active document package of the branch.",
    ),
    "MADE_FOR_MISMATCH": (
        "Копію виготовлено для іншої організації, ніж відділення-отримувач.",
        "The copy was made for an organisation other than the receiving branch.",
    ),
    "BRANCH_UNKNOWN": (
        "Копію не вдалося пов’язати з відділенням за адресою отримувача.",
        "The copy could not be linked to a branch by its recipient address.",
    ),
}

_REMINDER: dict[str, tuple[str, str]] = {
    "subject_expiring": (
        "Дія.QR-код діє лише до {date} включно: {branch}",
        "Diia.QR code valid only through {date}: {branch}",
    ),
    "subject_expired": (
        "Дія.QR-код не діє з {date}: {branch}",
        "Diia.QR code no longer valid since {date}: {branch}",
    ),
    "intro_expiring": (
        "QR-код відділення діє лише до {date} включно ({days_left}). Після цього "
        "громадяни побачать у Дії повідомлення «QR-код не зареєстрований в Дії».",
        "The branch's QR code is valid only through {date} ({days_left}). After that "
        "citizens will see “QR code is not registered in Diia” in the app.",
    ),
    "intro_expired": (
        "QR-код відділення не діє з {date}. Громадяни бачать у Дії повідомлення "
        "«QR-код не зареєстрований в Дії».",
        "The branch's QR code has not been valid since {date}. Citizens see “QR code is not "
        "registered in Diia” in the app.",
    ),
    "details": (
        "Відділення: {branch}\nАдреса: {address}\nПослуга: {service}\nДокументи: {documents}\n"
        "Номер коду в diia-inbox: {code_id}",
        "Branch: {branch}\nAddress: {address}\nService: {service}\nDocuments: {documents}\n"
        "Code number in diia-inbox: {code_id}",
    ),
    "action": (
        "Що зробити: керівник організації створює новий QR-код на порталі Дія (Мій бізнес → "
        "Дія.QR), адміністратор імпортує його в diia-inbox (diia-inbox qr import) і друкує "
        "новий плакат замість старого.",
        "What to do: the head of the organisation creates a new QR code on the Diia portal (My "
        "business → Diia.QR), an administrator imports it into diia-inbox (diia-inbox qr "
        "import) and prints a new poster to replace the old one.",
    ),
}


#: Counts, in every form the language needs (`archive.catalogue`).
_PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "reminder.days_left": {
        "uk": {
            "one": "залишився {n} день",
            "few": "залишилося {n} дні",
            "many": "залишилося {n} днів",
        },
        "en": {"one": "{n} day left", "other": "{n} days left"},
    },
}

CATALOGUE = Catalogue(
    pairs("state", _STATES),
    pairs("poster", _POSTER),
    pairs("warning", _WARNINGS),
    pairs("reminder", _REMINDER),
    _PLURALS,
    DOCTYPE_STRINGS,
)


def translator(lang: str) -> Translator:
    """The QR tools' texts in `lang` ("uk" or "en"; anything else reads Ukrainian)."""
    return CATALOGUE.translator(lang)


def format_date(day: date) -> str:
    """Dates as Ukrainians write them (DD.MM.YYYY), used in both languages for one format."""
    return day.strftime("%d.%m.%Y")
