"""UI strings: Ukrainian first, English second. Every key must exist in both languages."""

from __future__ import annotations

from collections.abc import Callable

STRINGS: dict[str, dict[str, str]] = {
    "app.name": {"uk": "Дія.Вхідні", "en": "Diia Inbox"},
    "app.tagline": {
        "uk": "Приймання та перевірка копій документів з Дія.QR",
        "en": "Receiving and checking Diia.QR document copies",
    },
    "login.title": {"uk": "Вхід", "en": "Sign in"},
    "login.username": {"uk": "Ім'я користувача", "en": "Username"},
    "login.password": {"uk": "Пароль", "en": "Password"},
    "login.submit": {"uk": "Увійти", "en": "Sign in"},
    "login.failed": {
        "uk": "Неправильне ім'я користувача або пароль.",
        "en": "Wrong username or password.",
    },
    "login.throttled": {
        "uk": "Забагато спроб. Спробуйте за хвилину.",
        "en": "Too many attempts. Try again in a minute.",
    },
    "login.expired": {
        "uk": "Сторінка входу застаріла. Спробуйте ще раз.",
        "en": "The sign-in page expired. Please try again.",
    },
    "lang.switch": {"uk": "English", "en": "Українська"},
    "nav.logout": {"uk": "Вийти", "en": "Sign out"},
    "home.signed_in_as": {"uk": "Ви увійшли як", "en": "Signed in as"},
}


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = STRINGS.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["uk"]

    return t
