"""UI strings of the document page: page previews, the signature card's checks in words, sizes.

Kept apart from `web.i18n` so the document page can grow without editing the main table;
`web.i18n` merges these into STRINGS. Every key exists in both languages.

Check names and messages: the verifier names its checks with stable ids (`message_digest`,
`certificate_chain`, ...) and a status; `checkname.<id>` is the check in words and
`checkmsg.<id>.<status>` what its outcome means for the person at the desk. The ids and the
verifier's own English detail stay in the technical details.
"""

from __future__ import annotations

from archive.catalogue import Entry, Translator

DOC_STRINGS: dict[str, Entry] = {
    # Page previews
    "doc.pages": {"uk": "Сторінки документа", "en": "Pages of the document"},
    "doc.page_alt": {"uk": "Сторінка {n} з {total}", "en": "Page {n} of {total}"},
    "doc.open_original": {"uk": "Відкрити оригінальний PDF", "en": "Open the original PDF"},
    "doc.more_pages": {
        "uk": {
            "one": "ще {n} сторінка у PDF",
            "few": "ще {n} сторінки у PDF",
            "many": "ще {n} сторінок у PDF",
        },
        "en": {"one": "{n} more page in the PDF", "other": "{n} more pages in the PDF"},
    },
    "doc.no_preview": {
        "uk": "Попередній перегляд недоступний: файл не є читабельним PDF",
        "en": "Preview unavailable: the file is not a readable PDF",
    },
    "doc.no_preview.NO_PDF": {
        "uk": "Попередній перегляд недоступний: до копії не додано PDF.",
        "en": "Preview unavailable: no PDF came with this copy.",
    },
    "doc.no_preview.TIMEOUT": {
        "uk": "Файл завеликий або складний для показу тут; завантажте його, щоб переглянути.",
        "en": "The file is too large or complex to show here; download it to look at it.",
    },
    "doc.no_preview.NOT_A_PDF": {
        "uk": "Файл названо PDF, але це не PDF. Не відкривайте його без потреби.",
        "en": "The file is named PDF but is not one. Do not open it unless you must.",
    },
    "doc.no_preview.UNREADABLE": {
        "uk": "Файл пошкоджений або захищений паролем.",
        "en": "The file is damaged or protected by a password.",
    },
    "doc.no_preview.RENDER_FAILED": {
        "uk": "Сторінки не вдалося показати.",
        "en": "The pages could not be shown.",
    },
    "doc.no_preview.TOOL_MISSING": {
        "uk": "На сервері не встановлено засіб показу PDF (poppler-utils).",
        "en": "The PDF renderer (poppler-utils) is not installed on the server.",
    },
    "doc.download_file": {"uk": "Завантажити файл", "en": "Download the file"},
    "doc.warning_codes": {"uk": "Коди попереджень", "en": "Warning codes"},
    "doc.flag_other": {"uk": "Інша примітка до копії.", "en": "Another note on the copy."},
    # The signature card
    "report.what_checked": {"uk": "Що перевірено", "en": "What was checked"},
    "report.problem_other": {
        "uk": "Інша проблема з підписом (див. технічні подробиці).",
        "en": "Another problem with the signature (see the technical details).",
    },
    "report.size": {"uk": "Розмір", "en": "Size"},
    "report.check_id": {"uk": "Код перевірки", "en": "Check id"},
    "report.codes": {"uk": "Коди", "en": "Codes"},
    "size.B": {"uk": "Б", "en": "B"},
    "size.KB": {"uk": "КБ", "en": "KB"},
    "size.MB": {"uk": "МБ", "en": "MB"},
    "checkname.validation": {"uk": "Читання файлу підпису", "en": "Reading the signature file"},
    "checkname.content": {"uk": "Підписаний документ", "en": "The signed document"},
    "checkname.signing_certificate": {
        "uk": "Сертифікат підписувача",
        "en": "The signer's certificate",
    },
    "checkname.signer_identifier": {
        "uk": "Посилання на сертифікат підписувача",
        "en": "Reference to the signer's certificate",
    },
    "checkname.certificate_chain": {
        "uk": "Довірений надавач послуг",
        "en": "Trusted service provider",
    },
    "checkname.certificate_validity": {
        "uk": "Строк дії сертифіката",
        "en": "Certificate validity period",
    },
    "checkname.certificate_constraints": {
        "uk": "Призначення сертифіката",
        "en": "What the certificate may be used for",
    },
    "checkname.signer_policy": {"uk": "Політика установи", "en": "The organisation's policy"},
    "checkname.content_type": {"uk": "Тип підписаних даних", "en": "Type of the signed data"},
    "checkname.message_digest": {
        "uk": "Незмінність документа",
        "en": "The document is unchanged",
    },
    "checkname.signing_certificate_attribute": {
        "uk": "Зв'язок підпису із сертифікатом",
        "en": "Signature bound to the certificate",
    },
    "checkname.signed_attributes": {"uk": "Підписані відомості", "en": "Signed attributes"},
    "checkname.signature": {"uk": "Математична перевірка підпису", "en": "Cryptographic check"},
    "checkname.content_timestamp": {
        "uk": "Позначка часу документа",
        "en": "Time-stamp of the document",
    },
    "checkname.signature_timestamp": {
        "uk": "Позначка часу підпису",
        "en": "Time-stamp of the signature",
    },
    "checkname.revocation": {
        "uk": "Відкликання сертифіката підписувача",
        "en": "Revocation of the signer's certificate",
    },
    "checkname.revocation_ca": {
        "uk": "Відкликання сертифіката надавача",
        "en": "Revocation of the provider's certificate",
    },
    "checkname.other": {"uk": "Інша перевірка", "en": "Another check"},
    "checkmsg.validation.failed": {
        "uk": "Файл підпису пошкоджений або має невідомий формат.",
        "en": "The signature file is damaged or in an unknown format.",
    },
    "checkmsg.content.passed": {
        "uk": "Документ, який підписано, є.",
        "en": "The signed document is present.",
    },
    "checkmsg.content.failed": {
        "uk": "Документа, який підписано, немає: додайте PDF.",
        "en": "The signed document is missing: add the PDF.",
    },
    "checkmsg.signing_certificate.passed": {
        "uk": "Сертифікат, яким підписано, знайдено.",
        "en": "The certificate that signed was found.",
    },
    "checkmsg.signing_certificate.failed": {
        "uk": "Сертифікат, яким підписано, не знайдено.",
        "en": "The certificate that signed was not found.",
    },
    "checkmsg.signer_identifier.warning": {
        "uk": "Підпис посилається на сертифікат неточно; знайдено той, що вказано в підписі.",
        "en": "The signature refers to its certificate loosely; the one it names was found.",
    },
    "checkmsg.certificate_chain.passed": {
        "uk": "Сертифікат видав довірений надавач.",
        "en": "A trusted provider issued the certificate.",
    },
    "checkmsg.certificate_chain.failed": {
        "uk": "Сертифікат не вдалося пов'язати з довіреним надавачем.",
        "en": "The certificate could not be linked to a trusted provider.",
    },
    "checkmsg.certificate_validity.passed": {
        "uk": "Сертифікат був чинний на час підпису.",
        "en": "The certificate was valid when the copy was signed.",
    },
    "checkmsg.certificate_validity.warning": {
        "uk": "Чинність сертифіката підтверджено позначкою часу.",
        "en": "The certificate's validity was confirmed by a time-stamp.",
    },
    "checkmsg.certificate_validity.failed": {
        "uk": "Сертифікат не був чинним на час перевірки.",
        "en": "The certificate was not valid at the validation time.",
    },
    "checkmsg.certificate_constraints.passed": {
        "uk": "Сертифікат призначено для електронного підпису.",
        "en": "The certificate is meant for electronic signatures.",
    },
    "checkmsg.certificate_constraints.failed": {
        "uk": "Сертифікат не призначено для такого підпису.",
        "en": "The certificate is not meant for such a signature.",
    },
    "checkmsg.signer_policy.passed": {
        "uk": "Підписувач відповідає політиці установи.",
        "en": "The signer meets the organisation's policy.",
    },
    "checkmsg.signer_policy.warning": {
        "uk": "Підписувач не відповідає політиці установи.",
        "en": "The signer does not meet the organisation's policy.",
    },
    "checkmsg.content_type.passed": {
        "uk": "Тип підписаних даних правильний.",
        "en": "The type of the signed data is right.",
    },
    "checkmsg.content_type.failed": {
        "uk": "Тип підписаних даних не збігається.",
        "en": "The type of the signed data does not match.",
    },
    "checkmsg.message_digest.passed": {
        "uk": "Документ не змінювався після підписання.",
        "en": "The document has not changed since it was signed.",
    },
    "checkmsg.message_digest.failed": {
        "uk": "Документ змінено після підписання.",
        "en": "The document was changed after it was signed.",
    },
    "checkmsg.message_digest.skipped": {
        "uk": "Немає документа, з яким порівняти підпис.",
        "en": "There is no document to compare the signature with.",
    },
    "checkmsg.signing_certificate_attribute.passed": {
        "uk": "Підпис вказує саме на цей сертифікат.",
        "en": "The signature points to this very certificate.",
    },
    "checkmsg.signing_certificate_attribute.warning": {
        "uk": "Зв'язок підпису із сертифікатом не вдалося перевірити повністю.",
        "en": "The link between signature and certificate could not be fully checked.",
    },
    "checkmsg.signing_certificate_attribute.failed": {
        "uk": "Підпис вказує на інший сертифікат.",
        "en": "The signature points to another certificate.",
    },
    "checkmsg.signed_attributes.passed": {
        "uk": "Підписані відомості в порядку.",
        "en": "The signed attributes are in order.",
    },
    "checkmsg.signed_attributes.failed": {
        "uk": "Підписані відомості пошкоджені.",
        "en": "The signed attributes are damaged.",
    },
    "checkmsg.signature.passed": {
        "uk": "Підпис математично правильний.",
        "en": "The signature is mathematically correct.",
    },
    "checkmsg.signature.failed": {
        "uk": "Підпис не сходиться: підроблений або пошкоджений.",
        "en": "The signature does not verify: forged or damaged.",
    },
    "checkmsg.signature.skipped": {
        "uk": "Немає даних для математичної перевірки.",
        "en": "There is nothing to check mathematically.",
    },
    "checkmsg.content_timestamp.passed": {
        "uk": "Позначка часу дійсна.",
        "en": "The time-stamp is valid.",
    },
    "checkmsg.content_timestamp.warning": {
        "uk": "Позначка часу недійсна.",
        "en": "The time-stamp is not valid.",
    },
    "checkmsg.content_timestamp.skipped": {
        "uk": "Немає документа, щоб звірити позначку часу.",
        "en": "There is no document to compare the time-stamp with.",
    },
    "checkmsg.signature_timestamp.passed": {
        "uk": "Позначка часу дійсна.",
        "en": "The time-stamp is valid.",
    },
    "checkmsg.signature_timestamp.warning": {
        "uk": "Позначка часу недійсна.",
        "en": "The time-stamp is not valid.",
    },
    "checkmsg.revocation.passed": {
        "uk": "Сертифікат не відкликано.",
        "en": "The certificate has not been revoked.",
    },
    "checkmsg.revocation.warning": {
        "uk": "Немає свіжих даних, чи сертифікат не відкликано.",
        "en": "No current data on whether the certificate was revoked.",
    },
    "checkmsg.revocation.failed": {
        "uk": "Сертифікат відкликано або його стан зараз невідомий.",
        "en": "The certificate is revoked, or its status is not known now.",
    },
    "checkmsg.revocation.skipped": {
        "uk": "Не потрібно: сертифікат сам є довіреним.",
        "en": "Not needed: the certificate is itself trusted.",
    },
    "checkmsg.other.passed": {"uk": "Пройдено.", "en": "Passed."},
    "checkmsg.other.failed": {"uk": "Не пройдено.", "en": "Failed."},
    "checkmsg.other.warning": {"uk": "Є зауваження.", "en": "There is a remark."},
    "checkmsg.other.skipped": {"uk": "Не перевірялося.", "en": "Not checked."},
}


def size_text(size: int, t: Translator) -> str:
    """Bytes as people read them: "512 Б", "18,6 КБ", "1,2 МБ" (a decimal comma in Ukrainian)."""
    if size < 1024:
        return f"{size} {t('size.B')}"
    value, unit = (size / 1024, "size.KB") if size < 1024 * 1024 else (size / 1048576, "size.MB")
    number = f"{value:.1f}"
    if t.lang == "uk":
        number = number.replace(".", ",")
    return f"{number} {t(unit)}"
