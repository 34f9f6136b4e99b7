"""UI strings of the front desk: arrivals, accounts, branch editing and search paging.

Kept apart from `web.i18n` so the front-desk pages can grow without editing the main table;
`web.i18n` merges these into STRINGS. Every key exists in both languages.
"""

from __future__ import annotations

from archive.catalogue import Entry

DESK_STRINGS: dict[str, Entry] = {
    # Arrivals (the home page of the front desk)
    "arrivals.title": {"uk": "Надходження", "en": "Arrivals"},
    "arrivals.attention": {"uk": "Потребує уваги", "en": "Needs attention"},
    "arrivals.in_quarantine": {"uk": "Листів у карантині", "en": "Messages in quarantine"},
    "arrivals.qr_expiring": {
        "uk": "QR-коди, строк яких спливає чи сплив",
        "en": "QR codes expiring or expired",
    },
    "arrivals.only_unprocessed": {"uk": "Лише неопрацьовані", "en": "Unprocessed only"},
    "arrivals.any_verdict": {"uk": "Усі перевірки підпису", "en": "Any signature check"},
    "arrivals.show": {"uk": "Показати", "en": "Show"},
    "arrivals.live": {
        "uk": "Нові копії з'являються тут самі, без оновлення сторінки.",
        "en": "New copies appear here by themselves, without reloading.",
    },
    "arrivals.new_one": {"uk": "Нових копій", "en": "New copies"},
    "arrivals.offline": {
        "uk": "Немає зв'язку з сервером; оновіть сторінку.",
        "en": "No connection to the server; reload the page.",
    },
    "arrivals.today": {"uk": "Сьогодні", "en": "Today"},
    "arrivals.yesterday": {"uk": "Учора", "en": "Yesterday"},
    "arrivals.one_mail": {"uk": "Копії з одного листа", "en": "Copies from one e-mail"},
    "arrivals.processed": {"uk": "опрацьовано", "en": "processed"},
    "arrivals.mark": {"uk": "Позначити: опрацьовано", "en": "Mark processed"},
    "arrivals.undo": {"uk": "Повернути в неопрацьовані", "en": "Mark unprocessed"},
    "arrivals.none": {"uk": "Копій ще не надходило.", "en": "No copies have arrived yet."},
    "arrivals.none_unprocessed": {
        "uk": "Усі копії опрацьовано.",
        "en": "Every copy has been processed.",
    },
    "arrivals.page": {"uk": "Сторінка", "en": "Page"},
    "arrivals.total": {"uk": "усього копій", "en": "copies in all"},
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
    # Search
    "search.sent_times": {
        "uk": {
            "one": "надіслано {n} раз",
            "few": "надіслано {n} рази",
            "many": "надіслано {n} разів",
        },
        "en": {"one": "sent {n} time", "other": "sent {n} times"},
    },
    # Branches
    "branches.edit": {"uk": "Змінити дані відділення", "en": "Edit the branch"},
    "branches.save": {"uk": "Зберегти зміни", "en": "Save changes"},
    "note.address_changed": {
        "uk": "Адресу змінено: QR-коди цього відділення потребують заміни.",
        "en": "The address changed: this branch's QR codes need replacing.",
    },
}
