"""The audit log in words: what each recorded action and object kind means, in both languages.

The log stores stable codes (`document.view`, `qr_code`), which scripts and the CLI keep using;
the page shows these sentences and folds the codes into its technical details. An action
without a sentence here is shown by its code, so a new action is never hidden.
"""

from __future__ import annotations

from archive.catalogue import pairs

_ACTIONS: dict[str, tuple[str, str]] = {
    "document.view": ("Перегляд копії", "Copy viewed"),
    "document.view_pdf": ("Перегляд PDF", "PDF viewed"),
    "document.view_pages": ("Перегляд сторінок копії", "Copy pages viewed"),
    "document.download_pdf": ("Завантаження PDF", "PDF downloaded"),
    "document.download_p7s": ("Завантаження підпису (P7S)", "Signature (P7S) downloaded"),
    "document.download_message": ("Завантаження листа", "Original e-mail downloaded"),
    "document.print": ("Друк звіту", "Report printed"),
    "document.delete": ("Видалення копії", "Copy deleted"),
    "document.create": ("Збереження перевіреної копії", "Checked copy saved"),
    "document.export": ("Експорт копії", "Copy exported"),
    "document.list": ("Перегляд надходжень", "Arrivals viewed"),
    "document.processed": ("Позначено «опрацьовано»", "Marked processed"),
    "document.unprocessed": ("Знято позначку «опрацьовано»", "Processed mark removed"),
    "document.reverify_request": ("Запит на повторну перевірку", "Re-verification requested"),
    "document.reverify": ("Повторна перевірка підпису", "Signature re-verified"),
    "document.hold": ("Заборону видалення встановлено", "Legal hold set"),
    "document.unhold": ("Заборону видалення знято", "Legal hold cleared"),
    "signature.check": ("Перевірка підпису вручну", "Signature checked by hand"),
    "message.reprocess": ("Повторна обробка листа", "Message processed again"),
    "message.delete": ("Видалення листа", "Message deleted"),
    "spool.release": ("Лист повернуто в чергу", "Message released to the queue"),
    "branch.create": ("Додано відділення", "Branch added"),
    "branch.update": ("Змінено відділення", "Branch changed"),
    "service.create": ("Додано послугу", "Service added"),
    "qr.import": ("Імпорт QR-коду", "QR code imported"),
    "qr.retire": ("QR-код виведено з ужитку", "QR code retired"),
    "qr.poster": ("Плакат QR-коду", "QR poster made"),
    "user.create": ("Додано користувача", "User added"),
    "user.update": ("Змінено користувача", "User changed"),
    "user.password_change": ("Зміна власного пароля", "Own password changed"),
    "user.password_change_failed": ("Невдала спроба змінити пароль", "Password change refused"),
    "user.password_reset": ("Новий пароль від адміністратора", "Password reset by an admin"),
    "token.create": ("Створено API-токен", "API token created"),
    "token.revoke": ("Відкликано API-токен", "API token revoked"),
    "trust.import": ("Імпорт довірених сертифікатів", "Trust material imported"),
    "trust.delete": ("Видалено файл довірених сертифікатів", "Trust file removed"),
    "trust.remove": ("Видалено файл довірених сертифікатів", "Trust file removed"),
    "trust.update": ("Оновлення довірених сертифікатів", "Trust material updated"),
    "subject.find": ("Пошук копій про особу", "Copies about a person searched"),
    "subject.export": ("Експорт копій про особу", "Copies about a person exported"),
    "subject.erase": ("Стирання копій про особу", "Copies about a person erased"),
    "mailbox.create": ("Додано поштову скриньку", "Mailbox added"),
    "mailbox.update": ("Змінено поштову скриньку", "Mailbox changed"),
    "mailbox.delete": ("Видалено поштову скриньку", "Mailbox removed"),
    "mailbox.test": ("Перевірка поштової скриньки", "Mailbox tested"),
    "mailbox.import": ("Імпорт листів зі скриньки", "Mailbox import"),
    "mailbox.oauth_login": ("Вхід до скриньки через OAuth", "Mailbox signed in with OAuth"),
    "login": ("Вхід", "Signed in"),
    "login.failed": ("Невдалий вхід", "Failed sign-in"),
    "qr.reminder": ("Нагадування про строк QR-коду", "QR expiry reminder sent"),
    "qr.reminder_failed": ("Нагадування про QR-код не надіслано", "QR expiry reminder failed"),
    "retention.purge": ("Видалення копій після строку зберігання", "Retention purge"),
    "trust.update_failed": ("Оновлення довірених сертифікатів не вдалося", "Trust update failed"),
}

_OBJECTS: dict[str, tuple[str, str]] = {
    "document": ("копія", "copy"),
    "documents": ("копії", "copies"),
    "arrivals": ("надходження", "arrivals"),
    "message": ("лист", "message"),
    "spool_item": ("лист у черзі", "queued message"),
    "branch": ("відділення", "branch"),
    "service": ("послуга", "service"),
    "qr_code": ("QR-код", "QR code"),
    "user": ("користувач", "user"),
    "username": ("ім'я користувача", "username"),
    "trust_file": ("файл довірених сертифікатів", "trust file"),
    "subject": ("особа", "person"),
    "mailbox": ("поштова скринька", "mailbox"),
    "upload": ("завантажений файл", "uploaded file"),
}

AUDIT_STRINGS: dict[str, dict[str, str]] = {**pairs("act", _ACTIONS), **pairs("obj", _OBJECTS)}
