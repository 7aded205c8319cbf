"""The OpenAPI schema says what the API does: every operation's error statuses, in one shape.

`AutoSchema` (DEFAULT_SCHEMA_CLASS) adds to each operation the error statuses it can answer —
worked out from the operation itself, so endpoints added later are covered without a line of
their own — and gives every 4xx/5xx response the `Error` component as its body (skillsite.api
writes every error in that shape). `postprocess` (a POSTPROCESSING_HOOK) states the string rules
the server enforces and JSON Schema would otherwise miss: no NUL character anywhere (PostgreSQL
cannot store one), and, where a field may not be blank, at least one non-space character (DRF
trims whitespace before that check).
"""

from __future__ import annotations

import copy

from drf_spectacular import openapi
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ERRORS_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "description": "Each field, query parameter or JSON path with its messages (a list of strings; "
            "a nested field's errors nest the same way).",
            "additionalProperties": {},
        },
        {
            "type": "array",
            "description": "A batch's errors: one object per bad item, with the item's index.",
            "items": {
                "type": "object",
                "properties": {"index": {"type": "integer", "nullable": True}},
                "additionalProperties": {},
            },
        },
    ]
}
ERROR_DESCRIPTIONS = {
    400: "Invalid input; `errors` names each field, query parameter or JSON path (a JSON body nested more "
    "than JSON_MAX_DEPTH levels deep is refused too). Nothing was written.",
    401: "Not signed in: send `Authorization: Token <key>` (or `Bearer <key>`).",
    403: "Not allowed: an API key whose scope does not cover this operation (`detail` names the scope it "
    "needs), a permission the account lacks, or, signed in with a session cookie, an unsafe method without "
    "the CSRF token.",
    404: "Nothing of yours at this id (or no such page; another learner's objects are not found either).",
    409: "The request conflicts with the current state; nothing was written.",
    413: "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE bytes.",
    415: "The body's Content-Type is not one this operation reads.",
    429: "Too many requests: retry after the number of seconds in Retry-After.",
    503: "The database connection failed (what the request wrote may have been stored if the commit itself "
    "failed: retry after Retry-After seconds with the same ids — retries are recognised), or the skills "
    "service is switched off (SKILLS_ENABLED=false).",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}
GENERIC_OBJECT = {"type": "object", "additionalProperties": {}}
NO_NUL = "^[^\\x00]*$"
NO_NUL_NOT_BLANK = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
# Request components written by hand (JSON Schema from msgspec structs), registered with
# `register_request_component` and referred to as {"$ref": "#/components/schemas/<name>"}.
REQUEST_COMPONENTS: dict[str, dict] = {}
# Request bodies that need one of several fields, by component name: each alternative becomes its own
# component (the fields required) and the body any of them; registered with `require_one_of`.
ONE_OF_REQUIRED: dict[str, dict[str, list[str]]] = {}


def register_request_component(name: str, schema: dict) -> dict:
    REQUEST_COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def require_one_of(component: str, alternatives: dict[str, list[str]]) -> None:
    """E.g. require_one_of("RoadmapInputRequest", {"RoadmapFromGoalRequest": ["user_query"], …})."""
    ONE_OF_REQUIRED[component] = alternatives


@extend_schema_field(ERRORS_SCHEMA)
class ErrorsField(serializers.JSONField):
    pass


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error the API answers."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence (the first problem, when several).")
    errors = ErrorsField(required=False, help_text="Every problem, when the input had some.")

    class Meta:
        ref_name = "Error"


def error_statuses(method: str, operation: dict, throttled: bool, restricted: bool) -> set[int]:
    """The error statuses an operation can answer, from its method, parameters, body and security
    (`restricted`: a permission beyond being signed in, e.g. staff only)."""
    parameters = operation.get("parameters", [])
    in_query = {p["name"] for p in parameters if p["in"] == "query"}
    unsafe = method not in SAFE_METHODS
    statuses = {503}  # any request may meet a lost database connection
    if unsafe or in_query:
        statuses.add(400)  # a query parameter's junk; any body is depth-checked (skillsite.parsers)
    if unsafe:
        statuses |= {403, 413}  # session auth's CSRF check; any body is size-checked
    if restricted:
        statuses.add(403)
    if "requestBody" in operation:
        statuses.add(415)
    if any(p["in"] == "path" for p in parameters) or in_query & {"page", "cursor"} or "requestBody" in operation:
        statuses.add(404)  # an id in the path or the body naming nothing of the caller's; a page past the end
    if operation.get("security") and {} not in operation["security"]:
        statuses |= {401, 403}  # no credentials; an API key whose scope does not cover the operation
    if throttled:
        statuses.add(429)
    return statuses


# Permissions that refuse nobody who is signed in: any other may answer 403.
SIGNED_IN_ONLY = (AllowAny, IsAuthenticated)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        declared = {int(code) for code in responses if code[0] in "45"}
        throttled = bool(getattr(self.view, "throttle_scope", None))
        restricted = any(not isinstance(p, SIGNED_IN_ONLY) for p in self.view.get_permissions())
        # A POST or PUT reads its body (an absent one is an empty object, refused where a field is required).
        if "requestBody" in operation and self.method in ("POST", "PUT"):
            operation["requestBody"]["required"] = True
        for status in sorted(declared | error_statuses(self.method, operation, throttled, restricted)):
            response = responses.setdefault(str(status), {})
            response["description"] = response.get("description") or ERROR_DESCRIPTIONS.get(status, "")
            content = response.setdefault("content", {}).setdefault("application/json", {})
            if content.get("schema") in (None, GENERIC_OBJECT):
                content["schema"] = error
            if status in (429, 503):
                response.setdefault("headers", {}).update(RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation


def _string_rules(schema: dict) -> None:
    """Adds the no-NUL (and not-blank) pattern to every plain string in a request schema."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        schema["pattern"] = NO_NUL_NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for key in ("properties", "patternProperties"):
        for value in schema.get(key, {}).values():
            _string_rules(value)
    for key in ("items", "additionalProperties"):
        _string_rules(schema.get(key))
    for key in ("oneOf", "anyOf", "allOf"):
        for value in schema.get(key, []):
            _string_rules(value)


def postprocess(result, generator, request, public):
    """The string rules on request bodies (the split `…Request` components and inline bodies) and
    on query parameters."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(copy.deepcopy(REQUEST_COMPONENTS))
    for name, component in components.items():
        if name.endswith("Request") or name in REQUEST_COMPONENTS:
            _string_rules(component)
    for name, alternatives in ONE_OF_REQUIRED.items():
        if name in components:
            whole = components.pop(name)
            for variant, fields in alternatives.items():
                components[variant] = {**whole, "required": sorted({*whole.get("required", []), *fields})}
            components[name] = {"anyOf": [{"$ref": f"#/components/schemas/{variant}"} for variant in alternatives]}
    result["components"]["schemas"] = dict(sorted(components.items()))
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    _string_rules(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "$ref" not in media.get("schema", {}):
                    _string_rules(media.get("schema"))
    return result
