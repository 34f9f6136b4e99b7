"""The OpenAPI 3 description of `/api/v1`, served at `/api/v1/openapi.json`.

Written by hand next to the handlers so it says what the API promises (roles, reasons), not
only what the code happens to accept; a test checks every API route appears here.
"""

from __future__ import annotations

from typing import Any

from search.query import MAX_QUERY_CHARS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(
    description: str, schema: dict[str, Any] | None = None, media: str = "application/json"
) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {media: {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad input (see `error` for the reason code)",
        401: "Not signed in / no valid token",
        403: "Your role may not do this, or the CSRF token is missing",
        404: "No such object",
        409: "Conflict (e.g. the document is on legal hold)",
        503: "A part of the service is not configured",
    }
    return {str(c): _resp(text[c], _ERROR) for c in (401, 403, *codes)}


def _op(summary: str, roles: str, ok: dict[str, Any], *errors: int, **extra: Any) -> dict[str, Any]:
    op = {
        "summary": summary,
        "description": f"Roles: {roles}.",
        "responses": {"200": ok, **_errors(*errors)},
    }
    op.update(extra)
    return op


#: Row ids are positive 64-bit integers; anything else is answered 404 (web/render.int_param).
_ID = [
    {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
]
_OBJ = {"type": "object", "additionalProperties": True}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "diia-inbox API",
            "version": "1",
            "description": "Receiving, verifying and archiving Diia.QR document copies. "
            "Every read of a copy's contents is written to the audit log.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "diia_session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                    "required": ["error"],
                },
                "Hit": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "document_type": {"type": "string", "nullable": True},
                        "person_name": {"type": "string", "nullable": True},
                        "branch": {"type": "string", "nullable": True},
                        "received_at": {"type": "string", "format": "date-time"},
                        "indication": {"type": "string"},
                        "score": {"type": "number"},
                        "sent": {
                            "type": "integer",
                            "description": "Identical copies (same bytes) this hit stands for",
                        },
                        "snippet": {
                            "type": "string",
                            "description": "HTML: escaped text, matches in <mark>",
                        },
                    },
                },
                "Arrival": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "message_id": {
                            "type": "integer",
                            "nullable": True,
                            "description": "Copies of one e-mail share it",
                        },
                        "received_at": {"type": "string", "format": "date-time"},
                        "document_type": {"type": "string", "nullable": True},
                        "person_name": {"type": "string", "nullable": True},
                        "indication": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": ["passed", "failed", "indeterminate", "unsigned"],
                        },
                        "branch": {"type": "string", "nullable": True},
                        "branch_id": {"type": "integer", "nullable": True},
                        "processed": {"type": "boolean"},
                        "processed_at": {"type": "string", "format": "date-time", "nullable": True},
                        "processed_by": {"type": "string", "nullable": True},
                    },
                },
                "ArrivalPage": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "next": {
                            "type": "string",
                            "nullable": True,
                            "description": "The next page's URL, null on the last page",
                        },
                        "latest_id": {
                            "type": "integer",
                            "description": "The newest copy's id in the whole archive",
                        },
                        "documents": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Arrival"},
                        },
                    },
                },
                "SearchResult": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    },
                },
                "Report": {
                    "type": "object",
                    "description": "The verifier's report (as `diia-inbox verify --json`)",
                    "properties": {
                        "indication": {
                            "type": "string",
                            "enum": ["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"],
                        },
                        "sub_indication": {"type": "string", "nullable": True},
                        "signer": {"type": "object", "nullable": True},
                        "chain": {"type": "array", "items": _OBJ},
                        "checks": {"type": "array", "items": _OBJ},
                        "errors": {"type": "array", "items": _OBJ},
                        "warnings": {"type": "array", "items": _OBJ},
                    },
                    "additionalProperties": True,
                },
                "Document": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "filename": {"type": "string"},
                        "document_type": {"type": "string", "nullable": True},
                        "received_at": {"type": "string", "format": "date-time"},
                        "branch": {"type": "string", "nullable": True},
                        "fields": _OBJ,
                        "indication": {"type": "string"},
                        "sub_indication": {"type": "string", "nullable": True},
                        "signer": {"type": "string", "nullable": True},
                        "flags": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                        "legal_hold": {"type": "boolean"},
                        "downloads": _OBJ,
                        "report": {
                            "allOf": [{"$ref": "#/components/schemas/Report"}],
                            "nullable": True,
                        },
                    },
                },
            },
        },
        "paths": {
            "/api/v1/openapi.json": {
                "get": _op("This document", "any signed-in user", _resp("OpenAPI 3", _OBJ))
            },
            "/api/v1/me": {"get": _op("Who am I", "any signed-in user", _resp("The caller", _OBJ))},
            "/api/v1/search": {
                "get": _op(
                    "Search archived copies (query language as in the search box)",
                    "admin, staff",
                    _resp("Results", {"$ref": "#/components/schemas/SearchResult"}),
                    400,
                    503,
                    parameters=[
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            # Not blank, and within the query language's length limit.
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_QUERY_CHARS,
                                "pattern": "\\S",
                            },
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 100_000},
                        },
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["relevance", "date"]},
                        },
                    ],
                )
            },
            "/api/v1/documents": {
                "get": _op(
                    "Arrived copies, newest first (the front desk's list; audited)",
                    "admin, staff",
                    _resp("One page of copies", {"$ref": "#/components/schemas/ArrivalPage"}),
                    400,
                    parameters=[
                        {
                            "name": "since",
                            "in": "query",
                            "description": "Arrived at or after: ISO 8601 date or date-time; "
                            "without an offset, Europe/Kyiv local time",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "description": "Signature verdicts, comma-separated: "
                            "passed, failed, indeterminate, unsigned",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "processed",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["true", "false"]},
                        },
                        {"name": "branch", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                    ],
                )
            },
            "/api/v1/documents/{id}": {
                "get": _op(
                    "A copy's metadata, recognised fields and validation report (audited)",
                    "admin, staff",
                    _resp("The document", {"$ref": "#/components/schemas/Document"}),
                    404,
                    parameters=_ID,
                ),
                "delete": _op(
                    "Delete a copy (audited; refused on legal hold)",
                    "admin",
                    _resp("Deleted", _OBJ),
                    404,
                    409,
                    parameters=_ID,
                ),
            },
            "/api/v1/documents/{id}/{kind}": {
                "get": _op(
                    "Download the PDF, the P7S or the original message (audited)",
                    "admin, staff",
                    {
                        "description": "The file: the PDF, the P7S, or the message as received",
                        "content": {
                            media: {"schema": {"type": "string", "format": "binary"}}
                            for media in (
                                "application/pdf",
                                "application/pkcs7-signature",
                                "message/rfc822",
                                "application/octet-stream",
                            )
                        },
                    },
                    404,
                    parameters=[
                        *_ID,
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["pdf", "p7s", "message"]},
                        },
                    ],
                )
            },
            "/api/v1/verify": {
                "post": _op(
                    "Check a P7S by hand; nothing is stored unless an admin sends save=1",
                    "admin, staff",
                    _resp("The report", _OBJ),
                    400,
                    503,
                    requestBody={
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "p7s": {"type": "string", "format": "binary"},
                                        "pdf": {"type": "string", "format": "binary"},
                                        "save": {"type": "string", "enum": ["1"]},
                                    },
                                    "required": ["p7s"],
                                }
                            }
                        },
                    },
                )
            },
            "/api/v1/branches": {
                "get": _op("Branches and their services", "admin, staff", _resp("Branches", _OBJ))
            },
            "/api/v1/qr": {
                "get": _op("QR codes with their expiry state", "admin", _resp("Codes", _OBJ))
            },
            "/api/v1/quarantine": {
                "get": _op("Quarantined messages and spool items", "admin", _resp("Items", _OBJ))
            },
            "/api/v1/audit": {
                "get": _op(
                    "The audit log, newest first",
                    "admin, auditor",
                    _resp("Events", _OBJ),
                    parameters=[
                        {"name": n, "in": "query", "schema": {"type": "string"}}
                        for n in ("actor", "action", "from", "to", "page")
                    ],
                )
            },
        },
    }
