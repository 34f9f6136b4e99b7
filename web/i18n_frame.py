"""UI strings of the frame every page shares: product name, footer, phone menu, error pages.

Kept apart from `web.i18n` (which merges these into STRINGS) so the frame can change without
editing the main table. Every key exists in both languages.
"""

from __future__ import annotations

FRAME_STRINGS: dict[str, dict[str, str]] = {
    # The product's own name, "diia-inbox", is never translated; this says what it holds.
    "app.kind": {"uk": "вхідні копії Дія.QR", "en": "incoming Diia.QR copies"},
    "footer.independent": {
        "uk": "diia-inbox — незалежний проєкт з відкритим кодом. Це не продукт і не сервіс "
        "Міністерства цифрової трансформації України.",
        "en": "diia-inbox is an independent open-source project. It is not a product or "
        "service of the Ministry of Digital Transformation of Ukraine.",
    },
    "nav.menu": {"uk": "Меню", "en": "Menu"},
    "error.home": {"uk": "На головну сторінку", "en": "To the start page"},
    "error.back": {"uk": "Назад", "en": "Back"},
    "error.403.title": {"uk": "Доступ заборонено", "en": "Access denied"},
    "error.403.text": {
        "uk": "Ваша роль не дозволяє відкрити цю сторінку або виконати цю дію. Якщо вона "
        "потрібна вам для роботи, зверніться до адміністратора.",
        "en": "Your role may not open this page or do this. If you need it for your work, "
        "ask an administrator.",
    },
    "error.404.title": {"uk": "Сторінку не знайдено", "en": "Page not found"},
    "error.404.text": {
        "uk": "Такої сторінки чи документа немає: можливо, його вже видалено або адресу "
        "введено з помилкою.",
        "en": "There is no such page or document: it may have been deleted, or the address "
        "is mistyped.",
    },
    "error.500.title": {"uk": "Щось пішло не так", "en": "Something went wrong"},
    "error.500.text": {
        "uk": "Сервер не зміг виконати запит. Спробуйте ще раз трохи згодом. Якщо помилка "
        "повторюється, повідомте адміністратора номер запиту:",
        "en": "The server could not complete the request. Please try again a little later. "
        "If it keeps happening, give the administrator the request number:",
    },
    # "Any" in filter lists agrees with the noun of its label: тип/підпис (m), відділення (n),
    # дія (f); `search.any` is the masculine one.
    "search.any_n": {"uk": "Будь-яке", "en": "Any"},
    "search.any_f": {"uk": "Будь-яка", "en": "Any"},
    "audit.anyone": {"uk": "Будь-хто", "en": "Anyone"},
    "size.b": {"uk": "байт", "en": "bytes"},
    "size.kb": {"uk": "КБ", "en": "KB"},
    "size.mb": {"uk": "МБ", "en": "MB"},
}
