"""UI strings of the front desk: arrivals, accounts, branch editing and search paging.

Kept apart from `web.i18n` so the front-desk pages can grow without editing the main table;
`web.i18n` merges these into STRINGS. Every key exists in both languages.
"""

from __future__ import annotations

DESK_STRINGS: dict[str, dict[str, str]] = {
    # Accounts
    "users.more": {"uk": "Пароль і токен", "en": "Password and token"},
    "users.new_password": {"uk": "Новий пароль для", "en": "New password for"},
    "users.reset_password": {"uk": "Встановити пароль", "en": "Set the password"},
    "users.revoke_confirm": {
        "uk": "Відкликати токен API цього користувача? Його скрипти перестануть працювати.",
        "en": "Revoke this user's API token? Their scripts will stop working.",
    },
    "user.refused.password": {
        "uk": "Пароль не встановлено: потрібно щонайменше 10 символів.",
        "en": "The password was not set: at least 10 characters are needed.",
    },
    "account.password": {"uk": "Змінити пароль", "en": "Change the password"},
    "account.current": {"uk": "Поточний пароль", "en": "Current password"},
    "account.new": {"uk": "Новий пароль", "en": "New password"},
    "account.repeat": {"uk": "Новий пароль ще раз", "en": "New password again"},
    "account.change": {"uk": "Змінити пароль", "en": "Change the password"},
    "account.password_effect": {
        "uk": "Інші входи завершаться, а токен API буде відкликано.",
        "en": "Your other sign-ins end and your API token is revoked.",
    },
    "account.refused.current": {
        "uk": "Поточний пароль неправильний.",
        "en": "The current password is wrong.",
    },
    "account.refused.repeat": {
        "uk": "Новий пароль і повтор не збігаються.",
        "en": "The new password and its repetition differ.",
    },
    "account.refused.short": {
        "uk": "Новий пароль закороткий: потрібно щонайменше 10 символів.",
        "en": "The new password is too short: at least 10 characters are needed.",
    },
    "note.password_changed": {"uk": "Пароль змінено.", "en": "The password was changed."},
    "note.password_set": {
        "uk": "Пароль встановлено; входи й токен користувача скасовано.",
        "en": "The password was set; the user's sign-ins and token were ended.",
    },
    # Branches
    "branches.edit": {"uk": "Змінити дані відділення", "en": "Edit the branch"},
    "branches.save": {"uk": "Зберегти зміни", "en": "Save changes"},
    "note.address_changed": {
        "uk": "Адресу змінено: QR-коди цього відділення потребують заміни.",
        "en": "The address changed: this branch's QR codes need replacing.",
    },
}
