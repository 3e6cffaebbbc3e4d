"""The OpenAPI schema told the truth about errors (issue 13, defect 8).

drf-spectacular documents what each view declares; the answers that every
view can give come from layers it does not see: the control-character
middleware and the JSON parser (400), token authentication (401 for a bad
token on any operation), permissions and CSRF (403), the URL resolver and
missing objects (404) and the throttles (429). `errors_documented`, a
postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]), adds
those to every operation with the one error shape they all share, and makes
the checkout's field errors a map of field name -> list (it used to require
a literal key "field_name"). tests/shop/test_api_schema_fuzz.py checks the
result against the running API with schemathesis.
"""

from __future__ import annotations

ERROR = "ErrorResponse"
CHECKOUT_ERROR = "CheckoutErrorResponse"

_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error. `detail` for one not about a field (bad JSON, a control character, authentication, "
        "permission, not found, throttled); otherwise one key per input field with a list of messages."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
_CHECKOUT_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Checkout and cart errors: one key per input field (`non_field_errors` for the whole request), "
        'each a list of {"code", "message"}; or `detail` for an error before the fields are read.'
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/CheckoutErrorItem"}},
}

# status -> (description, when it applies to an operation)
_GENERIC = {
    "400": "Bad request: invalid parameters or body, malformed JSON, or a control character",
    "401": "The token sent is not valid",
    "403": "Not logged in (this operation needs a token or a session), or not allowed",
    "404": "No such object",
    "429": "Too many requests: throttled (see Retry-After)",
}


def errors_documented(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR] = _ERROR_SCHEMA
    if CHECKOUT_ERROR in components:
        components[CHECKOUT_ERROR] = _CHECKOUT_ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR}"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _GENERIC.items():
                existing = responses.get(status)
                if existing is None:
                    responses[status] = {"description": description, "content": {"application/json": {"schema": ref}}}
                elif "content" not in existing:  # e.g. a 404 with a description only: its body is an ErrorResponse
                    existing["content"] = {"application/json": {"schema": ref}}
    return result
