"""UI strings of the mailboxes page (merged into web.i18n.STRINGS), Ukrainian first."""
# ruff: noqa: E501  (a table of UI sentences)

from __future__ import annotations

from archive.catalogue import Entry

MAILBOX_STRINGS: dict[str, Entry] = {
    "mailboxes.title": {"uk": "Поштові скриньки", "en": "Mailboxes"},
    "mailboxes.intro": {
        "uk": "Скриньки, з яких система забирає листи з Дії (Gmail, Microsoft 365, ukr.net, i.ua та інші). Нові листи надходять за кілька секунд, якщо сервер це підтримує; інакше — під час перевірки за розкладом.",
        "en": "Mailboxes the system collects Diia mail from (Gmail, Microsoft 365, ukr.net, i.ua and others). New mail arrives within seconds where the server supports it; otherwise at the scheduled check.",
    },
    "mailboxes.home": {
        "uk": "Скриньки Gmail, Microsoft 365, ukr.net, i.ua, з яких забираються листи з Дії",
        "en": "Gmail, Microsoft 365, ukr.net, i.ua mailboxes that Diia mail is collected from",
    },
    "mailboxes.none": {"uk": "Скриньок ще немає.", "en": "No mailboxes yet."},
    "mailboxes.name": {"uk": "Назва", "en": "Name"},
    "mailboxes.host": {"uk": "Сервер IMAP", "en": "IMAP server"},
    "mailboxes.port": {"uk": "Порт", "en": "Port"},
    "mailboxes.tls": {"uk": "Шифрування", "en": "Encryption"},
    "mailboxes.tls.ssl": {"uk": "SSL/TLS (порт 993)", "en": "SSL/TLS (port 993)"},
    "mailboxes.tls.starttls": {"uk": "STARTTLS (порт 143)", "en": "STARTTLS (port 143)"},
    "mailboxes.tls.none": {
        "uk": "без шифрування (лише цей комп'ютер)",
        "en": "none (this computer only)",
    },
    "mailboxes.user": {"uk": "Логін скриньки", "en": "Mailbox login"},
    "mailboxes.password": {
        "uk": "Пароль (або пароль застосунку)",
        "en": "Password (or app password)",
    },
    "mailboxes.password_keep": {
        "uk": "Залиште порожнім, щоб не змінювати збережений пароль.",
        "en": "Leave empty to keep the stored password.",
    },
    "mailboxes.oauth_signed_in": {
        "uk": "Вхід без пароля (OAuth2), налаштовано командою diia-inbox imap login:",
        "en": "Signed in without a password (OAuth2), set up with diia-inbox imap login:",
    },
    "mailboxes.reason.OAUTH_REVOKED": {
        "uk": "доступ до скриньки відкликано: увійдіть знову (diia-inbox imap login)",
        "en": "access to the mailbox was revoked: sign in again (diia-inbox imap login)",
    },
    "mailboxes.reason.OAUTH_UNREACHABLE": {
        "uk": "сервер входу Google/Microsoft недоступний",
        "en": "the Google/Microsoft sign-in server cannot be reached",
    },
    "mailboxes.reason.OAUTH_NOT_SIGNED_IN": {
        "uk": "скринька ще не увійшла (diia-inbox imap login)",
        "en": "the mailbox is not signed in yet (diia-inbox imap login)",
    },
    "mailboxes.reason.OAUTH_REFUSED": {
        "uk": "сервер входу відмовив",
        "en": "the sign-in server refused",
    },
    "mailboxes.folder": {"uk": "Папка", "en": "Folder"},
    "mailboxes.after_import": {"uk": "Після отримання листа", "en": "After a message is taken"},
    "mailboxes.after_import.seen": {"uk": "позначити прочитаним", "en": "mark it read"},
    "mailboxes.after_import.move": {"uk": "перемістити в папку", "en": "move it to a folder"},
    "mailboxes.move_to": {"uk": "Папка для перенесених", "en": "Folder to move to"},
    "mailboxes.address": {
        "uk": "Адреса відділення (необов'язково)",
        "en": "Branch address (optional)",
    },
    "mailboxes.poll_seconds": {"uk": "Перевіряти кожні, секунд", "en": "Check every, seconds"},
    "mailboxes.idle": {
        "uk": "Миттєве надходження (IMAP IDLE), якщо сервер підтримує",
        "en": "Instant delivery (IMAP IDLE) where the server supports it",
    },
    "mailboxes.enabled": {"uk": "Увімкнено", "en": "Enabled"},
    "mailboxes.add": {"uk": "Додати скриньку", "en": "Add a mailbox"},
    "mailboxes.save": {"uk": "Зберегти", "en": "Save"},
    "mailboxes.delete": {"uk": "Видалити скриньку", "en": "Remove the mailbox"},
    "mailboxes.delete_help": {
        "uk": "Листи, вже отримані з цієї скриньки, залишаються в архіві.",
        "en": "Mail already taken from this mailbox stays in the archive.",
    },
    "mailboxes.open": {"uk": "Відкрити", "en": "Open"},
    "mailboxes.back": {"uk": "До списку скриньок", "en": "Back to the mailboxes"},
    "mailboxes.settings": {"uk": "Налаштування", "en": "Settings"},
    "mailboxes.state": {"uk": "Стан", "en": "State"},
    "mailboxes.state.connecting": {"uk": "підключається", "en": "connecting"},
    "mailboxes.state.idle": {
        "uk": "на зв'язку, чекає нових листів",
        "en": "connected, waiting for new mail",
    },
    "mailboxes.state.polling": {"uk": "перевіряється за розкладом", "en": "checked on a schedule"},
    "mailboxes.state.backoff": {
        "uk": "помилка, повторна спроба згодом",
        "en": "failing, will retry",
    },
    "mailboxes.state.stopped": {"uk": "не читається", "en": "not being read"},
    "mailboxes.last_message": {"uk": "Останній лист", "en": "Last message"},
    "mailboxes.last_error": {"uk": "Остання помилка", "en": "Last error"},
    "mailboxes.backlog": {"uk": "Ще не забрано", "en": "Not yet taken"},
    "mailboxes.never": {"uk": "ще не було", "en": "none yet"},
    "mailboxes.test": {"uk": "Перевірити з'єднання", "en": "Test the connection"},
    "mailboxes.test_ok": {
        "uk": "З'єднання працює. Листів у папці:",
        "en": "The connection works. Messages in the folder:",
    },
    "mailboxes.test_unseen": {"uk": "непрочитаних:", "en": "unread:"},
    "mailboxes.test_push": {
        "uk": "Сервер підтримує миттєве надходження.",
        "en": "The server supports instant delivery.",
    },
    "mailboxes.test_poll": {
        "uk": "Сервер не підтримує миттєве надходження: листи забиратимуться за розкладом.",
        "en": "The server does not support instant delivery: mail is collected on the schedule.",
    },
    "mailboxes.test_failed": {"uk": "Не вдалося:", "en": "Failed:"},
    "mailboxes.server_said": {"uk": "Відповідь сервера:", "en": "The server said:"},
    "mailboxes.import": {
        "uk": "Перше завантаження старих листів",
        "en": "First import of older mail",
    },
    "mailboxes.import_help": {
        "uk": "Листи, що вже були у скриньці, завантажуються окремо й не затримують нові. Можна перервати — продовжиться з того ж місця.",
        "en": "Mail already in the mailbox is imported separately and never holds up new mail. It can be interrupted and continues where it stopped.",
    },
    "mailboxes.import_order": {"uk": "Порядок", "en": "Order"},
    "mailboxes.import_order.newest": {"uk": "спершу новіші", "en": "newest first"},
    "mailboxes.import_order.oldest": {"uk": "спершу старіші", "en": "oldest first"},
    "mailboxes.import_start": {"uk": "Почати завантаження", "en": "Start the import"},
    "mailboxes.import_progress": {"uk": "Завантажено", "en": "Imported"},
    "mailboxes.import_of": {"uk": "з", "en": "of"},
    "mailboxes.import_skipped": {"uk": "пропущено", "en": "skipped"},
    "mailboxes.import_rate": {
        "uk": {
            "one": "{n} лист за секунду",
            "few": "{n} листи за секунду",
            "many": "{n} листів за секунду",
        },
        "en": {"one": "{n} message a second", "other": "{n} messages a second"},
    },
    "mailboxes.import_eta": {
        "uk": {
            "one": "Залишилась приблизно {n} хвилина",
            "few": "Залишилось приблизно {n} хвилини",
            "many": "Залишилось приблизно {n} хвилин",
        },
        "en": {"one": "About {n} minute left", "other": "About {n} minutes left"},
    },
    "mailboxes.import_state.running": {"uk": "триває", "en": "running"},
    "mailboxes.import_state.stopped": {
        "uk": "перервано, продовжиться",
        "en": "interrupted, will continue",
    },
    "mailboxes.import_state.finished": {"uk": "завершено", "en": "finished"},
    "mailboxes.import_state.failed": {"uk": "не вдалося", "en": "failed"},
    "mailboxes.import_waiting": {
        "uk": "Завантаження почнеться за кілька секунд.",
        "en": "The import starts within seconds.",
    },
    "mailboxes.error.NAME_INVALID": {
        "uk": "Назва: латинські літери, цифри, крапка, дефіс, до 100 знаків.",
        "en": "Name: Latin letters, digits, dot, dash, up to 100 characters.",
    },
    "mailboxes.error.NAME_TAKEN": {
        "uk": "Скринька з такою назвою вже є.",
        "en": "A mailbox with this name exists.",
    },
    "mailboxes.error.HOST_INVALID": {
        "uk": "Вкажіть адресу сервера IMAP.",
        "en": "Give the IMAP server's address.",
    },
    "mailboxes.error.PORT_INVALID": {
        "uk": "Порт — число від 1 до 65535.",
        "en": "The port is a number from 1 to 65535.",
    },
    "mailboxes.error.TLS_INVALID": {
        "uk": "Оберіть шифрування зі списку.",
        "en": "Choose the encryption from the list.",
    },
    "mailboxes.error.USER_INVALID": {
        "uk": "Вкажіть логін скриньки.",
        "en": "Give the mailbox login.",
    },
    "mailboxes.error.AUTH_INVALID": {
        "uk": "Невідомий спосіб входу.",
        "en": "Unknown sign-in method.",
    },
    "mailboxes.error.PROVIDER_INVALID": {
        "uk": "Невідомий постачальник входу.",
        "en": "Unknown sign-in provider.",
    },
    "mailboxes.error.FOLDER_INVALID": {"uk": "Вкажіть папку.", "en": "Give the folder."},
    "mailboxes.error.AFTER_IMPORT_INVALID": {
        "uk": "Оберіть дію після отримання листа.",
        "en": "Choose what happens after a message is taken.",
    },
    "mailboxes.error.MOVE_TO_INVALID": {
        "uk": "Вкажіть папку для перенесених листів.",
        "en": "Give the folder to move mail to.",
    },
    "mailboxes.error.ADDRESS_INVALID": {
        "uk": "Адреса відділення має вигляд name@example.org.",
        "en": "The branch address looks like name@example.org.",
    },
    "mailboxes.error.POLL_INVALID": {
        "uk": "Інтервал перевірки — від 5 секунд до доби.",
        "en": "The check interval is from 5 seconds to a day.",
    },
    "mailboxes.error.PASSWORD_MISSING": {
        "uk": "Вкажіть пароль скриньки.",
        "en": "Give the mailbox password.",
    },
    "mailboxes.error.NOT_FOUND": {"uk": "Такої скриньки немає.", "en": "No such mailbox."},
    "mailboxes.reason.IMAP_UNREACHABLE": {
        "uk": "сервер недоступний (адреса, порт або шифрування)",
        "en": "the server cannot be reached (address, port or encryption)",
    },
    "mailboxes.reason.IMAP_LOGIN_FAILED": {
        "uk": "сервер не прийняв логін або пароль",
        "en": "the server refused the login or password",
    },
    "mailboxes.reason.IMAP_NO_FOLDER": {"uk": "такої папки немає", "en": "no such folder"},
    "mailboxes.reason.IMAP_PROTOCOL_ERROR": {
        "uk": "з'єднання обірвалося",
        "en": "the connection broke",
    },
    "mailboxes.reason.PASSWORD_FILE_UNREADABLE": {
        "uk": "не вдалося прочитати файл пароля",
        "en": "the password file cannot be read",
    },
    "mailboxes.reason.CONFIG_INVALID": {
        "uk": "налаштування скриньки неправильні",
        "en": "the mailbox settings are wrong",
    },
    "note.import_requested": {
        "uk": "Завантаження старих листів заплановано.",
        "en": "The import of older mail is scheduled.",
    },
    "mailboxes.reason.other": {"uk": "помилка з'єднання з сервером", "en": "a connection error"},
}
