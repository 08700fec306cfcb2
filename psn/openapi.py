"""drf-spectacular postprocessing of /api/v1/schema/: what the views' annotations cannot say one by one.

- Every operation may answer with the API's one error shape (psn/api.py ``exception_handler``): bad input,
  no or a bad token, no right, nothing there (or another task force's), throttled; and, where it takes a body,
  a body too large or of a type it does not read. Without them a client (and schemathesis) meets statuses the
  schema never mentions.
- A read-only email or URL of a blank model field is ``""`` when the partner left it empty: drf-spectacular drops
  ``allow_blank`` from read-only fields, so the schema said ``format: email`` and a valid response broke it.
- A coordinator who is no party to a referral gets its metadata only (cases/api.py ``_detail_data``): the detail's
  person, reason, notes and attachments are documented, but not required.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a message, a machine-readable code and, for invalid input, the messages of "
    "each field.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {}},
    },
    "required": ["detail", "code"],
}
ERRORS = {
    "400": _("The request is not valid (code ``invalid``: ``errors`` names each field)."),
    "401": _("No credentials, or a bad, expired or revoked token."),
    "403": _("The caller may not do this."),
    "404": _("Nothing there that the caller may see, or no such task force (``X-Task-Force``)."),
    "429": _("Too many requests: try again later."),
}
BODY_ERRORS = {
    "413": _("The request body is larger than the server accepts."),
    "415": _("The request body is of a type this operation does not read."),
}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
FORMATS_LEFT_BLANK = {"email", "uri"}
ABSENT_FOR_METADATA_ONLY = {
    "ReferralDetail": {"person", "reason", "notes", "attachments"},
    "TransitionDetail": {"reason_text"},
}


def _error_response(description) -> dict:
    return {
        "description": str(description),
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }


def _allow_blank_read_only(schema: dict) -> None:
    for prop in schema.get("properties", {}).values():
        if prop.get("readOnly") and prop.get("type") == "string" and prop.get("format") in FORMATS_LEFT_BLANK:
            inner = {key: prop.pop(key) for key in ("type", "format", "maxLength") if key in prop}
            prop["oneOf"] = [inner, {"type": "string", "maxLength": 0}]


def postprocess(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA
    for schema in components.values():
        _allow_blank_read_only(schema)
    for name, absent in ABSENT_FOR_METADATA_ONLY.items():
        if name in components:
            components[name]["required"] = [f for f in components[name].get("required", []) if f not in absent]
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            errors = {**ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for code, description in errors.items():
                operation["responses"].setdefault(code, _error_response(description))
            for code, response in operation["responses"].items():
                if code.startswith("4") and "content" not in response:  # a view's own 4xx (409...) has this shape
                    response.update(_error_response(response.get("description") or ""))
    return result
