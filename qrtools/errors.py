"""Typed errors of the QR tools, each with a stable `reason` and a Ukrainian and English text.

They subclass the archive's errors (Invalid, Conflict, NotFound) so the CLI, the API and the UI
treat them like any other archive error, while the `reason` tells them apart precisely.
"""

from __future__ import annotations

from archive.errors import ArchiveError, Conflict, Invalid, NotFound


class QrError(ArchiveError):
    """Base of all QR tool errors: `str(err)` is "Ukrainian (English)"."""

    reason = "QR_ERROR"

    def __init__(self, uk: str, en: str, *, reason: str | None = None) -> None:
        super().__init__(f"{uk} ({en})", reason=reason)
        self.message_uk = uk
        self.message_en = en

    def message(self, lang: str = "uk") -> str:
        return self.message_en if lang == "en" else self.message_uk


class RegistryError(QrError):
    reason = "QR_REGISTRY_ERROR"


class InvalidName(RegistryError, Invalid):
    """A branch or service name the Diia portal would delete as not specific."""

    reason = "QR_NAME_NOT_SPECIFIC"


class InvalidDocuments(RegistryError, Invalid):
    reason = "QR_DOCUMENTS_INVALID"


class InvalidPayload(RegistryError, Invalid):
    reason = "QR_PAYLOAD_INVALID"


class DuplicateCode(RegistryError, Conflict):
    """Another code is still active for the same branch and document package."""

    reason = "QR_DUPLICATE_ACTIVE"


class DuplicateService(RegistryError, Conflict):
    reason = "QR_SERVICE_EXISTS"


class PayloadExists(RegistryError, Conflict):
    reason = "QR_PAYLOAD_EXISTS"


class UnknownObject(RegistryError, NotFound):
    reason = "QR_NOT_FOUND"


class DecodeError(QrError):
    """An uploaded file could not be turned into a QR payload."""

    reason = "QR_UNREADABLE_FILE"


class NoCodeFound(DecodeError):
    reason = "QR_NO_CODE_FOUND"


class MultipleCodes(DecodeError):
    reason = "QR_MULTIPLE_CODES"


class UnsupportedFile(DecodeError):
    reason = "QR_UNSUPPORTED_FILE"


class ToolMissing(DecodeError):
    reason = "QR_TOOL_MISSING"


class PosterError(QrError):
    reason = "QR_POSTER_FAILED"


class ReminderError(QrError):
    reason = "QR_REMINDER_FAILED"
