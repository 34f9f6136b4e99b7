"""UI strings: Ukrainian first, English second. Every key must exist in both languages.

The main table is here; pages that grew their own keep them beside it (`web/i18n_*.py`), the
document types' names come from `archive/doctypes.py`, and `CATALOGUE` joins them all. The
lookup (fallback, placeholders, plural forms) is `archive.catalogue`, shared with `qrtools`.
"""
# ruff: noqa: E501  (a table of UI sentences; wrapping them would only hurt translators)

from __future__ import annotations

from archive.catalogue import Catalogue, Entry, Translator
from archive.doctypes import DOCTYPE_STRINGS
from web.i18n_audit import AUDIT_STRINGS
from web.i18n_desk import DESK_STRINGS
from web.i18n_doc import DOC_STRINGS
from web.i18n_frame import FRAME_STRINGS
from web.i18n_mailboxes import MAILBOX_STRINGS

MAIN_STRINGS: dict[str, Entry] = {
    # Not a Diia wordmark: an independent project, named so nobody takes it for a state service.
    "app.name": {
        "uk": "diia-inbox · вхідні копії Дія.QR",
        "en": "diia-inbox · incoming Diia.QR copies",
    },
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
    "nav.skip": {"uk": "Перейти до змісту", "en": "Skip to content"},
    "nav.label": {"uk": "Розділи", "en": "Sections"},
    "nav.search": {"uk": "Пошук", "en": "Search"},
    "nav.check": {"uk": "Перевірка підпису", "en": "Check a signature"},
    "nav.quarantine": {"uk": "Карантин", "en": "Quarantine"},
    "nav.branches": {"uk": "Відділення", "en": "Branches"},
    "nav.qr": {"uk": "QR-коди", "en": "QR codes"},
    "nav.users": {"uk": "Користувачі", "en": "Users"},
    "nav.trust": {"uk": "Довірені сертифікати", "en": "Trust store"},
    "nav.nodes": {"uk": "Сервери", "en": "Servers"},
    "nav.audit": {"uk": "Журнал аудиту", "en": "Audit log"},
    "nav.retention": {"uk": "Строки зберігання", "en": "Retention"},
    "nav.account": {"uk": "Мій обліковий запис", "en": "My account"},
    "role.admin": {"uk": "адміністратор", "en": "administrator"},
    "role.staff": {"uk": "працівник", "en": "staff"},
    "role.auditor": {"uk": "аудитор", "en": "auditor"},
    "home.search": {
        "uk": "Знайти копію документа за прізвищем, номером чи датою.",
        "en": "Find a document copy by name, number or date.",
    },
    "home.check": {
        "uk": "Завантажити P7S і прочитати висновок про підпис.",
        "en": "Upload a P7S and read the signature report.",
    },
    "home.quarantine": {
        "uk": "Листи, з яких не вдалося взяти документи.",
        "en": "Messages no documents could be taken from.",
    },
    "home.branches": {
        "uk": "Відділення, їхні послуги та пакети документів.",
        "en": "Branches, their services and document packages.",
    },
    "home.qr": {"uk": "QR-коди, плакати, строк дії.", "en": "QR codes, posters, expiry."},
    "home.qr_attention": {
        "uk": "QR-коди, чий строк спливає або сплив: замініть їх на порталі Дії.",
        "en": "QR codes expiring or expired: replace them on the Diia portal.",
    },
    "home.subjects": {
        "uk": "Що ми зберігаємо про особу; вивантаження для неї.",
        "en": "What we hold about a person; an export for them.",
    },
    "nav.subjects": {"uk": "Запити суб'єктів", "en": "Subject requests"},
    "subjects.title": {"uk": "Запити суб'єктів персональних даних", "en": "Data subject requests"},
    "subjects.intro": {
        "uk": "Знайдіть усі копії, що стосуються особи (за ПІБ, РНОКПП, датою народження або номером документа), вивантажте їх одним архівом або зітріть. Пошук, вивантаження і стирання записуються до журналу.",
        "en": "Find every copy about a person (by name, RNOKPP, date of birth or document number), export them as one archive or erase them. Finds, exports and erasures are written to the audit log.",
    },
    "subjects.need": {
        "uk": "Вкажіть ПІБ, РНОКПП, дату народження (ДД.ММ.РРРР) або номер документа.",
        "en": "Give a name, an RNOKPP, a date of birth (DD.MM.YYYY) or a document number.",
    },
    "subjects.find": {"uk": "Знайти", "en": "Find"},
    "subjects.birth_date": {"uk": "Дата народження", "en": "Date of birth"},
    "subjects.people": {"uk": "Знайдено осіб", "en": "People found"},
    "subjects.person": {"uk": "Особа", "en": "Person"},
    "subjects.born": {"uk": "Дата народження:", "en": "Born"},
    "subjects.narrow": {
        "uk": "Запиту відповідає більше ніж одна особа. Щоб вивантажити чи стерти, уточніть РНОКПП, дату народження або номер документа.",
        "en": "More than one person matches. To export or erase, add an RNOKPP, a date of birth or a document number.",
    },
    "subjects.ambiguous": {
        "uk": "Відмовлено: запиту відповідає більше ніж одна особа. Уточніть РНОКПП, дату народження або номер документа.",
        "en": "Refused: more than one person matches. Add an RNOKPP, a date of birth or a document number.",
    },
    "subjects.not_found_copy": {
        "uk": "Відмовлено: вказаної копії немає серед знайдених для цього запиту.",
        "en": "Refused: a listed copy is not among those found for this request.",
    },
    "subjects.changed": {
        "uk": "Архів змінився після перегляду. Перевірте список ще раз.",
        "en": "The archive changed since the preview. Check the list again.",
    },
    "subjects.to_check": {"uk": "Перевірити вручну", "en": "To check by hand"},
    "subjects.to_check_intro": {
        "uk": "Текст цих копій згадує особу, але розпізнані поля — ні. Їх не стирають автоматично.",
        "en": "The text of these copies mentions the person, the recognised fields do not. They are never erased automatically.",
    },
    "subjects.unreadable": {"uk": "Потребують ручного перегляду", "en": "Need manual review"},
    "subjects.unreadable_intro": {
        "uk": "Текст цих копій не вдалося прочитати (зашифровані, скани, пошкоджені), тому невідомо, кого вони стосуються.",
        "en": "The text of these copies could not be read (encrypted, scanned, damaged), so nobody could check whom they name.",
    },
    "subjects.erase_preview": {"uk": "Показати, що буде стерто", "en": "Show what would be erased"},
    "subjects.will_erase": {"uk": "Буде стерто копій", "en": "Copies to be erased"},
    "subjects.erase_confirm": {
        "uk": "Стерти ці копії остаточно",
        "en": "Erase these copies for good",
    },
    "subjects.same_message": {
        "uk": "З того самого листа, що й знайдені (нечитабельні)",
        "en": "From the same e-mail as the matched copies (unreadable)",
    },
    "subjects.unchecked": {
        "uk": "Не вдалося перевірити (нечитабельні, не стерто)",
        "en": "Could not be checked (unreadable, not erased)",
    },
    "subjects.erased": {"uk": "Стерто копій", "en": "Copies erased"},
    "subjects.held": {
        "uk": "Залишено через юридичне утримання",
        "en": "Kept on legal hold",
    },
    "subjects.export": {"uk": "Вивантажити все (ZIP)", "en": "Export everything (ZIP)"},
    "subjects.erase_cli": {
        "uk": "Видалення на вимогу особи виконує адміністратор командою",
        "en": "Erasure on request is run by an administrator with the command",
    },
    "home.users": {"uk": "Додати, вимкнути, змінити роль.", "en": "Add, disable, change role."},
    "home.trust": {
        "uk": "Імпорт довірених списків і сертифікатів.",
        "en": "Import trusted lists and certificates.",
    },
    "home.audit": {
        "uk": "Хто що переглядав, завантажував, друкував чи видаляв.",
        "en": "Who viewed, downloaded, printed or deleted what.",
    },
    "home.retention": {
        "uk": "Що і коли буде видалено, що під утриманням.",
        "en": "What will be deleted when, what is on hold.",
    },
    "home.account": {"uk": "Токен API для скриптів.", "en": "An API token for scripts."},
    "search.title": {"uk": "Пошук документів", "en": "Document search"},
    "search.box": {"uk": "Пошуковий запит", "en": "Search query"},
    "search.placeholder": {
        "uk": "Прізвище, номер документа, РНОКПП…",
        "en": "Surname, document number, tax number…",
    },
    "search.submit": {"uk": "Шукати", "en": "Search"},
    "search.help": {
        "uk": 'Enter — шукати, Alt+K (у Firefox Alt+Shift+K) — повернутися до поля. Фільтри: тип:паспорт, отримано:>=01.01.2026, "точна фраза".',
        "en": 'Enter searches, Alt+K (Alt+Shift+K in Firefox) returns to the box. Filters: type:id-card, received:>=01.01.2026, "exact phrase".',
    },
    "search.filters": {"uk": "Фільтри", "en": "Filters"},
    "search.type": {"uk": "Тип документа", "en": "Document type"},
    "search.branch": {"uk": "Відділення", "en": "Branch"},
    "search.status": {"uk": "Підпис", "en": "Signature"},
    "search.from": {"uk": "Від дати", "en": "From date"},
    "search.to": {"uk": "До дати", "en": "To date"},
    "search.sort": {"uk": "Порядок", "en": "Order"},
    "search.sort.relevance": {"uk": "Найвідповідніші", "en": "Best match"},
    "search.sort.date": {"uk": "Найновіші", "en": "Newest"},
    "search.any": {"uk": "Будь-який", "en": "Any"},
    "search.found": {"uk": "Знайдено", "en": "Found"},
    "search.error": {"uk": "Запит не зрозумілий.", "en": "The query is not understood."},
    "search.pages": {"uk": "Сторінки результатів", "en": "Result pages"},
    "search.prev": {"uk": "Попередні", "en": "Previous"},
    "search.next": {"uk": "Наступні", "en": "Next"},
    "status.passed": {"uk": "дійсний", "en": "valid"},
    "status.failed": {"uk": "недійсний", "en": "invalid"},
    "status.indeterminate": {"uk": "не визначено", "en": "undetermined"},
    "status.unsigned": {"uk": "без підпису", "en": "unsigned"},
    "badge.TOTAL_PASSED": {"uk": "Підпис дійсний", "en": "Signature valid"},
    "badge.TOTAL_FAILED": {"uk": "Підпис недійсний", "en": "Signature invalid"},
    "badge.INDETERMINATE": {"uk": "Не перевірено остаточно", "en": "Not fully checked"},
    "badge.UNSIGNED": {"uk": "Без підпису", "en": "Not signed"},
    "verdict.TOTAL_PASSED": {"uk": "Підпис дійсний", "en": "The signature is valid"},
    "verdict.TOTAL_FAILED": {"uk": "Підпис недійсний", "en": "The signature is invalid"},
    "verdict.INDETERMINATE": {
        "uk": "Підпис не вдалося перевірити остаточно",
        "en": "The signature could not be fully checked",
    },
    "verdict.UNSIGNED": {"uk": "Документ без підпису", "en": "The document is not signed"},
    "verdict.TOTAL_PASSED.why": {
        "uk": "Документ не змінювався після підписання, а сертифікат підписувача походить від довіреного надавача.",
        "en": "The document is unchanged since it was signed and the signer's certificate comes from a trusted provider.",
    },
    "verdict.TOTAL_FAILED.why": {
        "uk": "Підпис не відповідає документу або сертифікату. Не покладайтеся на цю копію.",
        "en": "The signature does not match the document or the certificate. Do not rely on this copy.",
    },
    "verdict.INDETERMINATE.why": {
        "uk": "Бракує даних, щоб дійти висновку. Зверніться до адміністратора.",
        "en": "Some data is missing to reach a verdict. Ask an administrator.",
    },
    "verdict.UNSIGNED.why": {
        "uk": "До копії не додано файл підпису P7S.",
        "en": "No P7S signature file came with this copy.",
    },
    "sub.FORMAT_FAILURE": {
        "uk": "Файл підпису пошкоджений або має невідомий формат.",
        "en": "The signature file is damaged or in an unknown format.",
    },
    "sub.HASH_FAILURE": {
        "uk": "Документ змінено після підписання: вміст не збігається з підписаним.",
        "en": "The document was changed after signing: its content does not match what was signed.",
    },
    "sub.SIG_CRYPTO_FAILURE": {
        "uk": "Математична перевірка підпису не пройшла: підпис підроблений або пошкоджений.",
        "en": "The cryptographic check failed: the signature is forged or damaged.",
    },
    "sub.REVOKED": {
        "uk": "Сертифікат підписувача відкликано.",
        "en": "The signer's certificate has been revoked.",
    },
    "sub.EXPIRED": {
        "uk": "Сертифікат підписувача втратив чинність на час перевірки.",
        "en": "The signer's certificate had expired at the validation time.",
    },
    "sub.NOT_YET_VALID": {
        "uk": "Сертифікат підписувача ще не був чинним.",
        "en": "The signer's certificate was not yet valid.",
    },
    "sub.SIG_CONSTRAINTS_FAILURE": {
        "uk": "Підпис не відповідає вимогам (наприклад, бракує обов'язкових атрибутів).",
        "en": "The signature does not meet the constraints (e.g. required attributes are missing).",
    },
    "sub.CHAIN_CONSTRAINTS_FAILURE": {
        "uk": "Ланцюжок сертифікатів не відповідає вимогам.",
        "en": "The certificate chain does not meet the constraints.",
    },
    "sub.CRYPTO_CONSTRAINTS_FAILURE": {
        "uk": "Алгоритм підпису не дозволено.",
        "en": "The signature algorithm is not allowed.",
    },
    "sub.NO_SIGNING_CERTIFICATE_FOUND": {
        "uk": "Сертифікат підписувача не знайдено.",
        "en": "The signer's certificate was not found.",
    },
    "sub.NO_CERTIFICATE_CHAIN_FOUND": {
        "uk": "Сертифікат не вдалося пов'язати з довіреним надавачем. Можливо, треба імпортувати довірений список.",
        "en": "The certificate could not be linked to a trusted provider. A trusted list may need importing.",
    },
    "sub.OUT_OF_BOUNDS_NO_POE": {
        "uk": "Сертифікат не був чинним на час перевірки, а доказу часу підписання немає.",
        "en": "The certificate was not valid at validation time and there is no proof of the signing time.",
    },
    "sub.OUT_OF_BOUNDS_NOT_REVOKED": {
        "uk": "Сертифікат поза строком дії, хоча не відкликаний.",
        "en": "The certificate is out of its validity period, though not revoked.",
    },
    "sub.REVOKED_NO_POE": {
        "uk": "Сертифікат відкликано, а доказу, що підпис створено раніше, немає.",
        "en": "The certificate is revoked and there is no proof the signature was made before.",
    },
    "sub.REVOCATION_OUT_OF_BOUNDS_NO_POE": {
        "uk": "Дані про відкликання застарілі.",
        "en": "The revocation data is out of date.",
    },
    "sub.TRY_LATER": {
        "uk": "Стан сертифіката зараз невідомий; спробуйте пізніше.",
        "en": "The certificate status is not known now; try later.",
    },
    "sub.SIGNED_DATA_NOT_FOUND": {
        "uk": "Підписаний документ не знайдено: додайте PDF до файлу P7S.",
        "en": "The signed document was not found: add the PDF to the P7S.",
    },
    "sub.GENERIC": {"uk": "Перевірку не завершено.", "en": "The check did not complete."},
    "check.passed": {"uk": "пройдено", "en": "passed"},
    "check.failed": {"uk": "не пройдено", "en": "failed"},
    "check.warning": {"uk": "попередження", "en": "warning"},
    "check.skipped": {"uk": "пропущено", "en": "skipped"},
    "report.signer": {"uk": "Підписувач", "en": "Signer"},
    "report.diia": {"uk": "ДП «ДІЯ»", "en": 'State Enterprise "DIIA"'},
    "report.org_id": {"uk": "Ідентифікатор організації", "en": "Organization identifier"},
    "report.rnokpp": {"uk": "РНОКПП", "en": "RNOKPP (taxpayer number)"},
    "report.edrpou": {"uk": "Код ЄДРПОУ", "en": "EDRPOU code"},
    "report.organization": {"uk": "Організація", "en": "Organisation"},
    "report.title": {"uk": "Посада", "en": "Position"},
    "report.issuer_ca": {"uk": "Сертифікат видав", "en": "Certificate issued by"},
    "report.validity": {"uk": "Сертифікат чинний", "en": "Certificate valid"},
    "report.signing_time": {"uk": "Час підписання (заявлений)", "en": "Signing time (claimed)"},
    "report.timestamp": {"uk": "Позначка часу", "en": "Time-stamp"},
    "report.ts_valid": {"uk": "дійсна", "en": "valid"},
    "report.ts_invalid": {"uk": "недійсна", "en": "invalid"},
    "report.policy": {
        "uk": "Підписувач прийнятний за політикою",
        "en": "Signer accepted by policy",
    },
    "report.details": {"uk": "Технічні подробиці", "en": "Technical details"},
    "report.signature_files": {
        "uk": "Підписи цієї копії",
        "en": "Signatures of this copy",
    },
    "report.indication": {
        "uk": "Результат (ETSI EN 319 102-1)",
        "en": "Indication (ETSI EN 319 102-1)",
    },
    "report.algorithm": {"uk": "Алгоритм підпису", "en": "Signature algorithm"},
    "report.validation_time": {"uk": "Перевірено на час", "en": "Validated at"},
    "report.subject": {"uk": "Суб'єкт", "en": "Subject"},
    "report.issuer": {"uk": "Видавець", "en": "Issuer"},
    "report.serial": {"uk": "Серійний номер", "en": "Serial number"},
    "report.content": {"uk": "Підписаний вміст", "en": "Signed content"},
    "report.attached": {"uk": "всередині P7S", "en": "inside the P7S"},
    "report.detached": {"uk": "окремим файлом", "en": "a separate file"},
    "report.chain": {"uk": "Ланцюжок сертифікатів", "en": "Certificate chain"},
    "report.anchor": {"uk": "довірений", "en": "trusted"},
    "report.checks": {"uk": "Перевірки", "en": "Checks"},
    "report.check": {"uk": "Перевірка", "en": "Check"},
    "report.status": {"uk": "Стан", "en": "Status"},
    "report.detail": {"uk": "Подробиці", "en": "Detail"},
    "yes": {"uk": "так", "en": "yes"},
    "no": {"uk": "ні", "en": "no"},
    "doc.back": {"uk": "До результатів пошуку", "en": "Back to the results"},
    "doc.unnamed": {"uk": "Ім'я не розпізнано", "en": "Name not recognised"},
    "doc.fields": {"uk": "Розпізнані дані", "en": "Recognised data"},
    "doc.no_fields": {
        "uk": "Дані з документа не розпізнано.",
        "en": "No data was recognised in the document.",
    },
    "doc.filename": {"uk": "Файл", "en": "File"},
    "doc.subject": {"uk": "Тема листа", "en": "Message subject"},
    "doc.sender": {"uk": "Відправник", "en": "Sender"},
    "doc.legal_hold": {"uk": "Утримання (не видаляти)", "en": "Legal hold (do not delete)"},
    "doc.downloads": {"uk": "Завантажити й надрукувати", "en": "Download and print"},
    "doc.download_pdf": {"uk": "PDF-копія", "en": "PDF copy"},
    "doc.download_p7s": {"uk": "Підпис P7S", "en": "P7S signature"},
    "doc.download_message": {"uk": "Оригінальний лист", "en": "Original message"},
    "doc.print": {"uk": "Друкувати висновок", "en": "Print the report"},
    "doc.delete": {"uk": "Видалити копію", "en": "Delete the copy"},
    "doc.delete_confirm": {"uk": "Видалити цю копію назавжди?", "en": "Delete this copy for good?"},
    "doc.pdf": {"uk": "Копія документа (PDF)", "en": "Document copy (PDF)"},
    "doc.open_pdf": {"uk": "Відкрити PDF", "en": "Open the PDF"},
    "doc.type": {"uk": "Тип документа", "en": "Document type"},
    "doc.received": {"uk": "Отримано", "en": "Received"},
    "doctype.unknown": {"uk": "Тип не визначено", "en": "Type not recognised"},
    "field.person_name": {"uk": "Прізвище, ім'я, по батькові", "en": "Full name"},
    "field.person_name_lat": {"uk": "Ім'я латиницею", "en": "Name in Latin letters"},
    "field.document_number": {"uk": "Номер документа", "en": "Document number"},
    "field.rnokpp": {"uk": "РНОКПП", "en": "Tax number (RNOKPP)"},
    "field.birth_date": {"uk": "Дата народження", "en": "Date of birth"},
    "field.created_date": {"uk": "Копію створено", "en": "Copy created"},
    "field.made_for": {"uk": "Для кого створено копію", "en": "Copy made for"},
    "print.title": {"uk": "Висновок про перевірку підпису", "en": "Signature validation report"},
    "print.button": {"uk": "Друкувати", "en": "Print"},
    "print.intro": {"uk": "Копія документа", "en": "Document copy"},
    "print.footer": {"uk": "Надруковано користувачем", "en": "Printed by"},
    "check.title": {"uk": "Перевірка підпису вручну", "en": "Manual signature check"},
    "check.intro": {
        "uk": "Завантажте файл підпису P7S і, якщо він окремий, PDF. Нічого не зберігається, якщо ви про це не попросите.",
        "en": "Upload the P7S signature and, if it is detached, the PDF. Nothing is stored unless you ask.",
    },
    "check.p7s": {"uk": "Файл підпису (P7S)", "en": "Signature file (P7S)"},
    "check.pdf": {"uk": "PDF-документ (необов'язково)", "en": "PDF document (optional)"},
    "check.pdf_help": {
        "uk": "Потрібен, якщо P7S не містить документа всередині.",
        "en": "Needed when the P7S does not carry the document inside.",
    },
    "check.save": {"uk": "Зберегти до архіву", "en": "Save to the archive"},
    "check.submit": {"uk": "Перевірити", "en": "Check"},
    "check.error": {
        "uk": "Файл не вдалося прочитати як підпис.",
        "en": "The file could not be read as a signature.",
    },
    "check.result": {"uk": "Результат перевірки", "en": "Check result"},
    "check.saved": {"uk": "Збережено як документ", "en": "Saved as document"},
    "check.not_saved": {"uk": "Нічого не збережено.", "en": "Nothing was stored."},
    "quarantine.title": {"uk": "Карантин", "en": "Quarantine"},
    "quarantine.intro": {
        "uk": "Листи, з яких не вдалося взяти документи, з причиною. Після виправлення причини їх можна обробити знову.",
        "en": "Messages no documents could be taken from, with the reason. Once the cause is fixed they can be processed again.",
    },
    "quarantine.empty": {"uk": "Карантин порожній.", "en": "The quarantine is empty."},
    "quarantine.messages": {"uk": "Листи в архіві", "en": "Messages in the archive"},
    "quarantine.spool": {
        "uk": "Листи в черзі (не архівовані)",
        "en": "Messages in the queue (not archived)",
    },
    "quarantine.received": {"uk": "Отримано", "en": "Received"},
    "quarantine.sender": {"uk": "Відправник", "en": "Sender"},
    "quarantine.subject": {"uk": "Тема", "en": "Subject"},
    "quarantine.reason": {"uk": "Причина", "en": "Reason"},
    "quarantine.actions": {"uk": "Дії", "en": "Actions"},
    "quarantine.reprocess": {"uk": "Обробити знову", "en": "Process again"},
    "quarantine.delete": {"uk": "Видалити", "en": "Delete"},
    "quarantine.delete_confirm": {
        "uk": "Видалити цей лист назавжди?",
        "en": "Delete this message for good?",
    },
    "branches.title": {"uk": "Відділення та послуги", "en": "Branches and services"},
    "branches.inactive": {"uk": "неактивне", "en": "inactive"},
    "branches.retention": {"uk": "зберігати днів", "en": "keep days"},
    "branches.no_services": {"uk": "Послуг ще немає.", "en": "No services yet."},
    "branches.add_service": {"uk": "Додати послугу", "en": "Add a service"},
    "branches.service_name": {
        "uk": "Назва послуги (мета обробки)",
        "en": "Service name (purpose of processing)",
    },
    "branches.service_example": {
        "uk": "напр. «для поселення у готель»",
        "en": 'e.g. "for hotel check-in"',
    },
    "branches.documents": {"uk": "Пакет документів", "en": "Document package"},
    "branches.retention_days": {
        "uk": "Строк зберігання, днів (необов'язково)",
        "en": "Retention, days (optional)",
    },
    "branches.none": {"uk": "Відділень ще немає.", "en": "No branches yet."},
    "branches.add": {"uk": "Додати відділення", "en": "Add a branch"},
    "branches.name": {"uk": "Точна публічна назва", "en": "Exact public name"},
    "branches.name_example": {
        "uk": "напр. «Готель Дніпро, рецепція»",
        "en": 'e.g. "Hotel Dnipro, reception"',
    },
    "branches.address": {"uk": "Адреса", "en": "Address"},
    "branches.email": {"uk": "Адреса для отримання листів", "en": "Receiving e-mail address"},
    "branches.organization": {
        "uk": "Організація (для кого копії)",
        "en": "Organisation (copies made for)",
    },
    "qr.title": {"uk": "QR-коди Дія.QR", "en": "Diia.QR codes"},
    "qr.branch": {"uk": "Відділення", "en": "Branch"},
    "qr.service": {"uk": "Послуга", "en": "Service"},
    "qr.valid_until": {"uk": "Останній день дії", "en": "Last valid day"},
    "qr.state": {"uk": "Стан", "en": "State"},
    "qr.state.active": {"uk": "чинний", "en": "active"},
    "qr.state.expiring": {"uk": "скоро спливає", "en": "expiring soon"},
    "qr.state.expired": {"uk": "прострочений", "en": "expired"},
    "qr.state.retired": {"uk": "виведений", "en": "retired"},
    "qr.n_days": {
        "uk": {"one": "{n} день", "few": "{n} дні", "many": "{n} днів"},
        "en": {"one": "{n} day", "other": "{n} days"},
    },
    "qr.needs_replacement": {
        "uk": "адресу змінено — потрібен новий код",
        "en": "address changed — a new code is needed",
    },
    "qr.poster_pdf": {"uk": "Плакат PDF", "en": "Poster PDF"},
    "qr.retire": {"uk": "Вивести з ужитку", "en": "Retire"},
    "qr.retire_confirm": {"uk": "Вивести цей QR-код з ужитку?", "en": "Retire this QR code?"},
    "qr.none": {"uk": "QR-кодів ще немає.", "en": "No QR codes yet."},
    "qr.import": {"uk": "Імпортувати QR-код", "en": "Import a QR code"},
    "qr.file": {
        "uk": "Файл коду з порталу (PNG, SVG, PDF)",
        "en": "Code file from the portal (PNG, SVG, PDF)",
    },
    "qr.payload": {"uk": "або вміст коду (текст)", "en": "or the code's content (text)"},
    "qr.issued_at": {"uk": "Дата видачі", "en": "Issue date"},
    "qr.replace": {
        "uk": "Замінити чинний код цього пакета",
        "en": "Replace the active code of this package",
    },
    "qr.need_service": {
        "uk": "Спершу додайте відділення й послугу.",
        "en": "Add a branch and a service first.",
    },
    "users.title": {"uk": "Користувачі", "en": "Users"},
    "users.role": {"uk": "Роль", "en": "Role"},
    "users.active": {"uk": "Активний", "en": "Active"},
    "users.token": {"uk": "Токен API", "en": "API token"},
    "users.save": {"uk": "Зберегти", "en": "Save"},
    "users.add": {"uk": "Додати користувача", "en": "Add a user"},
    "users.password_help": {"uk": "Щонайменше 10 символів.", "en": "At least 10 characters."},
    "user.refused.self": {
        "uk": "Не можна вимкнути себе чи зняти з себе роль адміністратора.",
        "en": "You cannot disable yourself or drop your own admin role.",
    },
    "user.refused.role": {"uk": "Невідома роль.", "en": "Unknown role."},
    "account.title": {"uk": "Мій обліковий запис", "en": "My account"},
    "account.token": {"uk": "Токен API", "en": "API token"},
    "account.token_help": {
        "uk": "Для скриптів: заголовок «Authorization: Bearer <токен>». Токен має ті самі права, що й ви.",
        "en": 'For scripts: the header "Authorization: Bearer <token>". The token has your rights.',
    },
    "account.token_once": {
        "uk": "Скопіюйте токен зараз: його показано лише один раз.",
        "en": "Copy the token now: it is shown only once.",
    },
    "account.has_token": {"uk": "У вас є чинний токен.", "en": "You have an active token."},
    "account.no_token": {"uk": "У вас немає токена.", "en": "You have no token."},
    "account.create": {"uk": "Створити токен", "en": "Create a token"},
    "account.replace": {"uk": "Замінити токен", "en": "Replace the token"},
    "account.revoke": {"uk": "Відкликати токен", "en": "Revoke the token"},
    "nodes.title": {"uk": "Сервери системи", "en": "Servers of the system"},
    "nodes.intro": {
        "uk": "Сервери, які разом приймають і зберігають копії документів. Сервер вважається "
        "таким, що не працює, якщо кілька разів поспіль не повідомив про себе.",
        "en": "The servers that together receive and keep the document copies. A server counts "
        "as stopped when it has not reported several times in a row.",
    },
    "nodes.waiting": {
        "uk": "Листів прийнято, але ще не збережено в архіві:",
        "en": "Messages received but not yet in the archive:",
    },
    "nodes.down_with_mail": {
        "uk": "На сервері, що не працює, чекають листи. Вони не втрачені: їх буде збережено, "
        "щойно сервер запуститься знову. Запустіть його або зверніться до адміністратора.",
        "en": "Messages are waiting on a server that is stopped. They are not lost: they are "
        "saved as soon as the server runs again. Start it or call the administrator.",
    },
    "nodes.name": {"uk": "Сервер", "en": "Server"},
    "nodes.state": {"uk": "Стан", "en": "State"},
    "nodes.up": {"uk": "працює", "en": "running"},
    "nodes.down": {"uk": "не працює", "en": "stopped"},
    "nodes.spool": {"uk": "Листів чекає", "en": "Messages waiting"},
    "nodes.heartbeat": {"uk": "Останній зв'язок", "en": "Last heard from"},
    "nodes.started": {"uk": "Запущено", "en": "Started"},
    "nodes.settings": {"uk": "Налаштування", "en": "Settings"},
    "nodes.settings_same": {"uk": "однакові", "en": "the same"},
    "nodes.settings_differ": {"uk": "відрізняються", "en": "differ"},
    "nodes.version": {"uk": "Версія", "en": "Version"},
    "nodes.none": {
        "uk": "Жоден сервер ще не повідомив про себе.",
        "en": "No server has reported yet.",
    },
    "nodes.jobs": {"uk": "Щоденні завдання", "en": "Daily tasks"},
    "nodes.job": {"uk": "Завдання", "en": "Task"},
    "nodes.job.purge": {
        "uk": "Видалення копій після строку зберігання",
        "en": "Removing copies past their retention",
    },
    "nodes.job.reminders": {
        "uk": "Нагадування про строк дії QR-кодів",
        "en": "QR code expiry reminders",
    },
    "nodes.last_ok": {"uk": "Востаннє виконано", "en": "Last done"},
    "nodes.last_by": {"uk": "Ким", "en": "By"},
    "nodes.now": {"uk": "Виконується зараз на", "en": "Running now on"},
    "nodes.never": {"uk": "ще не виконувалось", "en": "not yet"},
    "home.nodes": {
        "uk": "Які сервери працюють і скільки листів на них чекає.",
        "en": "Which servers run and how many messages wait on them.",
    },
    "trust.title": {"uk": "Довірені сертифікати", "en": "Trust store"},
    "trust.intro": {
        "uk": "Імпортуйте довірений список (TL-UA-DSTU.xml), набір CACertificates.p7b чи сертифікати. Їх бачать усі вузли системи. З інтернету файли завантажуються лише тоді, коли адміністратор налаштував їхні адреси.",
        "en": "Import a trusted list (TL-UA-DSTU.xml), the CACertificates.p7b bundle or certificates. Every node of the installation uses them. Files are fetched from the internet only when an administrator has configured their addresses.",
    },
    "trust.error": {"uk": "Файл не прийнято.", "en": "The file was not accepted."},
    "trust.unreadable": {"uk": "Файл не читається.", "en": "The file cannot be read."},
    "trust.valid_until": {"uk": "Чинний до", "en": "Valid until"},
    "trust.state.active": {"uk": "чинний", "en": "valid"},
    "trust.state.expiring": {"uk": "спливає незабаром", "en": "expiring soon"},
    "trust.state.expired": {"uk": "прострочений", "en": "expired"},
    "trust.delete": {"uk": "Видалити файл", "en": "Delete the file"},
    "trust.delete_confirm": {
        "uk": "Видалити цей файл із довірених?",
        "en": "Remove this file from the trust store?",
    },
    "trust.none": {"uk": "Довірених файлів ще немає.", "en": "No trust files yet."},
    "trust.reverify": {"uk": "Повторна перевірка копій", "en": "Verify stored copies again"},
    "trust.reverify_intro": {
        "uk": "Після зміни довірених сертифікатів збережені копії перевіряються повторно на "
        "момент їх отримання. Можна запустити перевірку й вручну.",
        "en": "After the trust store changes, stored copies are verified again as of the time "
        "they were received. You can also start it by hand.",
    },
    "trust.reverify_button": {
        "uk": "Перевірити всі копії повторно",
        "en": "Verify all copies again",
    },
    "trust.reverify_running": {"uk": "Триває перевірка:", "en": "In progress:"},
    "trust.reverify_last": {
        "uk": "Останню перевірку завершено, копій:",
        "en": "Last run done, copies:",
    },
    "trust.reverify_changed": {"uk": "змінився результат:", "en": "changed result:"},
    "trust.count": {"uk": "Сертифікатів:", "en": "Certificates:"},
    "trust.show": {"uk": "Показати сертифікати", "en": "Show the certificates"},
    "trust.source.import": {
        "uk": "імпорт з командного рядка",
        "en": "imported from the command line",
    },
    "trust.source.update": {"uk": "оновлення за розкладом", "en": "scheduled update"},
    "trust.source.web": {"uk": "завантажено тут", "en": "uploaded here"},
    "trust.import": {"uk": "Імпортувати файл", "en": "Import a file"},
    "trust.file": {"uk": "Файл (XML, P7B, CER, PEM, CRL)", "en": "File (XML, P7B, CER, PEM, CRL)"},
    "audit.title": {"uk": "Журнал аудиту", "en": "Audit log"},
    "audit.chain_ok": {
        "uk": "Ланцюжок записів цілий: жоден запис не змінено й не видалено.",
        "en": "The chain of entries is intact: no entry was changed or deleted.",
    },
    "audit.chain_broken": {
        "uk": "Ланцюжок записів порушено, записів з проблемами",
        "en": "The chain of entries is broken; entries with problems",
    },
    "audit.actor": {"uk": "Хто", "en": "Who"},
    "audit.action": {"uk": "Дія", "en": "Action"},
    "audit.at": {"uk": "Коли", "en": "When"},
    "audit.object": {"uk": "Об'єкт", "en": "Object"},
    "audit.remote": {"uk": "Звідки", "en": "From"},
    "audit.detail": {"uk": "Подробиці", "en": "Detail"},
    "audit.filter": {"uk": "Показати", "en": "Show"},
    "retention.title": {"uk": "Строки зберігання", "en": "Retention"},
    "retention.total": {"uk": "Документів в архіві", "en": "Documents in the archive"},
    "retention.default": {"uk": "Строк за замовчуванням", "en": "Default period"},
    "retention.due": {"uk": "Документів, строк яких сплив", "en": "Documents past their period"},
    "retention.due_messages": {"uk": "Листів, що буде видалено", "en": "Messages to be deleted"},
    "retention.held": {"uk": "Під утриманням", "en": "On legal hold"},
    "retention.held_due": {"uk": "з них строк сплив", "en": "of them past their period"},
    "retention.rules": {"uk": "Строки за послугами", "en": "Periods by service"},
    "retention.days": {"uk": "Днів", "en": "Days"},
    "retention.no_rules": {
        "uk": "Послуги не задають власних строків.",
        "en": "No service sets its own period.",
    },
    "retention.cli": {"uk": "Видалення виконує команда", "en": "Deletion is run by the command"},
    "code.SIGNER_IDENTIFIER_MISMATCH": {
        "uk": "Ідентифікатор підписувача не збігся з жодним сертифікатом; використано вбудований "
        "сертифікат, на який вказує підписаний атрибут.",
        "en": "The signer identifier matched no certificate; the embedded certificate the signed "
        "attribute points to was used.",
    },
    "code.REVERIFIED_AT_RECEIPT": {
        "uk": "Перевірено повторно на момент отримання копії архівом.",
        "en": "Verified again as of the time the archive received the copy.",
    },
    "code.HASH_FAILURE": {
        "uk": "Вміст не збігається з підписаним.",
        "en": "The content does not match what was signed.",
    },
    "code.SIG_CRYPTO_FAILURE": {
        "uk": "Значення підпису не перевіряється ключем підписувача.",
        "en": "The signature value does not verify with the signer's key.",
    },
    "code.NO_CERTIFICATE_CHAIN_FOUND": {
        "uk": "Немає ланцюжка до довіреного кореня.",
        "en": "No chain to a trusted root.",
    },
    "code.NO_SIGNING_CERTIFICATE_FOUND": {
        "uk": "Сертифікат підписувача не знайдено.",
        "en": "The signer's certificate was not found.",
    },
    "code.SIGNED_DATA_NOT_FOUND": {
        "uk": "Окремий підпис: підписаний документ не надано.",
        "en": "Detached signature: the signed document was not given.",
    },
    "code.SIGNING_TIME_USED": {
        "uk": "Перевірено на заявлений час підпису, а не на поточний.",
        "en": "Checked at the claimed signing time, not now.",
    },
    "code.NO_REVOCATION_DATA": {
        "uk": "Немає даних про статус сертифіката (OCSP/CRL); відкликання не перевірено.",
        "en": "No status data (OCSP/CRL) for a certificate; revocation was not checked.",
    },
    "code.REVOCATION_STALE": {
        "uk": "Дані про статус сертифіката застарілі.",
        "en": "The certificate status data is out of date.",
    },
    "code.REVOKED": {"uk": "Сертифікат відкликано.", "en": "The certificate was revoked."},
    "code.EXPIRED": {"uk": "Строк дії сертифіката минув.", "en": "The certificate has expired."},
    "code.POE_USED": {
        "uk": "Сертифікат перевірено на час позначки часу.",
        "en": "The certificate was checked at the time-stamp's time.",
    },
    "code.TIMESTAMP_INVALID": {"uk": "Позначка часу недійсна.", "en": "The time-stamp is invalid."},
    "code.POLICY_REJECTED": {
        "uk": "Підписувач не відповідає політиці установи.",
        "en": "The signer does not meet the organisation's policy.",
    },
    "code.SIGNING_CERTIFICATE_MISMATCH": {
        "uk": "Атрибут signingCertificate не відповідає сертифікату.",
        "en": "The signingCertificate attribute does not match the certificate.",
    },
    "code.FORMAT_FAILURE": {
        "uk": "Неправильний формат підпису.",
        "en": "The signature format is wrong.",
    },
    "code.UNSUPPORTED_ALGORITHM": {
        "uk": "Алгоритм не підтримується.",
        "en": "The algorithm is not supported.",
    },
    "reason.NO_DOCUMENTS": {
        "uk": "У листі немає PDF чи P7S.",
        "en": "The message holds no PDF or P7S.",
    },
    "reason.NOT_A_MESSAGE": {
        "uk": "Це не електронний лист.",
        "en": "This is not an e-mail message.",
    },
    "reason.MIME_TOO_DEEP": {
        "uk": "Лист має забагато вкладених рівнів.",
        "en": "The message is nested too deeply.",
    },
    "reason.MIME_TOO_MANY_PARTS": {
        "uk": "Лист має забагато частин.",
        "en": "The message has too many parts.",
    },
    "reason.MIME_DEFECTS": {"uk": "Лист пошкоджений.", "en": "The message is malformed."},
    "reason.PART_TOO_LARGE": {"uk": "Вкладення завелике.", "en": "An attachment is too large."},
    "reason.TOO_MANY_DOCUMENTS": {
        "uk": "Забагато документів в одному листі.",
        "en": "Too many documents in one message.",
    },
    "reason.TNEF_ATTACHMENT": {
        "uk": "Вкладення Outlook (winmail.dat), яке не вдалося розібрати.",
        "en": "An Outlook attachment (winmail.dat) that could not be unpacked.",
    },
    "reason.RELEASED": {
        "uk": "Повернуто в чергу вручну.",
        "en": "Released into the queue by hand.",
    },
    "flag.PDF_WITHOUT_SIGNATURE": {
        "uk": "PDF надійшов без підпису P7S.",
        "en": "The PDF came without a P7S signature.",
    },
    "flag.SIGNATURE_WITHOUT_PDF": {
        "uk": "Підпис надійшов без PDF.",
        "en": "The signature came without a PDF.",
    },
    "flag.PAIRED_BY_POSITION": {
        "uk": "PDF і підпис поєднано за порядком, бо назви файлів різні.",
        "en": "The PDF and the signature were paired by position; their names differ.",
    },
    "flag.PAIRED_BY_CONTENT": {
        "uk": "Підпис відповідає цьому PDF за вмістом, хоча назви файлів різні.",
        "en": "The signature matches this PDF by its content, although the file names differ.",
    },
    "flag.SEVERAL_SIGNATURES": {
        "uk": "Цю копію покривають кілька підписів; показано найкращий результат, інші в звіті.",
        "en": "Several signatures cover this copy; the best result is shown, the others are "
        "listed in the report.",
    },
    "flag.TRANSFER_ENCODING_REPAIRED": {
        "uk": "Поштова програма неправильно позначила кодування вкладення; його прочитано "
        "за вмістом.",
        "en": "The mail client mislabelled the attachment's encoding; it was read by its content.",
    },
    "flag.P7S_PEM": {
        "uk": "Підпис надійшов у текстовому вигляді (PEM) і був перетворений.",
        "en": "The signature arrived as text (PEM) and was converted.",
    },
    "flag.P7S_BASE64_TEXT": {
        "uk": "Підпис надійшов закодованим двічі і був розкодований.",
        "en": "The signature arrived encoded twice and was decoded.",
    },
    "reason.PGP_SIGNATURE_IGNORED": {
        "uk": "Лист підписано PGP; цей підпис стосується листа, а не документів.",
        "en": "The message is PGP-signed; that signature covers the e-mail, not the documents.",
    },
    "reason.SMIME_SIGNATURE_IGNORED": {
        "uk": "Лист підписано S/MIME; цей підпис стосується листа, а не документів.",
        "en": "The message is S/MIME-signed; that signature covers the e-mail, not the documents.",
    },
    "reason.DUPLICATE_ATTACHMENT": {
        "uk": "Один і той самий файл вкладено кілька разів; збережено одну копію.",
        "en": "The same file was attached more than once; one copy was kept.",
    },
    "flag.PDF_FROM_SIGNATURE": {
        "uk": "PDF взято з самого підпису P7S.",
        "en": "The PDF was taken from inside the P7S.",
    },
    "flag.SIGNATURE_UNREADABLE": {
        "uk": "Файл підпису не читається.",
        "en": "The signature file cannot be read.",
    },
    "flag.TEXT_NOT_EXTRACTED": {
        "uk": "Текст із PDF не вдалося отримати; пошук за ним неможливий.",
        "en": "No text could be extracted from the PDF; it cannot be searched by its text.",
    },
    "flag.NO_BRANCH": {
        "uk": "Відділення не визначено за адресою отримувача.",
        "en": "The branch could not be told from the recipient address.",
    },
    "flag.NOT_PDF": {
        "uk": "Файл названо PDF, але це не PDF.",
        "en": "The file is named PDF but is not one.",
    },
    "flag.NOT_CMS": {
        "uk": "Файл названо підписом, але це не підпис CMS.",
        "en": "The file is named a signature but is not CMS.",
    },
    "note.saved": {"uk": "Збережено.", "en": "Saved."},
    "note.deleted": {"uk": "Видалено.", "en": "Deleted."},
    "note.legal_hold": {
        "uk": "Копія під утриманням і не може бути видалена.",
        "en": "The copy is on legal hold and cannot be deleted.",
    },
    "note.reprocessed": {
        "uk": "Лист оброблено, документи в архіві.",
        "en": "The message was processed; its documents are in the archive.",
    },
    "note.still_quarantined": {
        "uk": "Лист знову не вдалося обробити.",
        "en": "The message still could not be processed.",
    },
    "note.released": {"uk": "Лист повернуто в чергу.", "en": "The message is back in the queue."},
    "note.retired": {"uk": "QR-код виведено з ужитку.", "en": "The QR code was retired."},
    "note.imported": {"uk": "Файл імпортовано.", "en": "The file was imported."},
    "note.reverify": {
        "uk": "Повторну перевірку запущено; результат з'явиться тут.",
        "en": "Re-verification started; the result will show here.",
    },
    "note.revoked": {"uk": "Токен відкликано.", "en": "The token was revoked."},
}

CATALOGUE = Catalogue(
    MAIN_STRINGS,
    DOCTYPE_STRINGS,  # `doctype.<code>`: the staff's short names
    MAILBOX_STRINGS,
    DESK_STRINGS,  # arrivals, accounts, branch editing, search paging
    DOC_STRINGS,  # the document page: previews, checks in words, sizes
    FRAME_STRINGS,  # the frame every page shares, error pages
    AUDIT_STRINGS,  # the audit log's actions and objects in words
)


def translator(lang: str) -> Translator:
    """The catalogue in `lang`: `t(key, **params)`, `t.plural(key, n, **params)`."""
    return CATALOGUE.translator(lang)
