"""Pieces every Bastion OpenAPI document shares: security schemes and the error envelope."""

from __future__ import annotations

SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "DreamFactoryApiKey": {"type": "apiKey", "in": "header", "name": "X-DreamFactory-API-Key"},
    "ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
    "SessionToken": {"type": "http", "scheme": "bearer"},
    "DreamFactorySessionToken": {"type": "apiKey", "in": "header", "name": "X-DreamFactory-Session-Token"},
    "SessionTokenQuery": {"type": "apiKey", "in": "query", "name": "session_token"},
}
DATA_SECURITY = [
    {"ApiKey": []},
    {"DreamFactoryApiKey": []},
    {"ApiKeyQuery": []},
    {"ApiKey": [], "SessionToken": []},
    {"SessionToken": []},
]
ADMIN_SECURITY = [{"SessionToken": []}, {"DreamFactorySessionToken": []}, {"SessionTokenQuery": []}]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "status_code", "message", "request_id"],
            "properties": {
                "code": {"type": "integer"},
                "status_code": {"type": "integer"},
                "message": {"type": "string"},
                "context": {},
                "request_id": {"type": "string"},
                "trace": {"type": "string"},
            },
        }
    },
}


def error_responses(*codes: int, texts: dict[int, str] | None = None) -> dict:
    """Response entries for the given error statuses, all in the one envelope (texts: other wording)."""
    text = {
        400: "Bad request",
        401: "No or bad credentials",
        403: "Not allowed",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        415: "Body is not JSON",
        429: "Too many requests",
        502: "The e-mail could not be sent",
        503: "E-mail is not configured",
    } | (texts or {})
    return {
        str(code): {
            "description": text.get(code, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def json_response(description: str, schema: dict) -> dict:
    """A 2xx response entry with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema: dict, required: bool = True) -> dict:
    """A JSON request body entry."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}
