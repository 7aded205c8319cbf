"""OpenAPI schemas derived from the msgspec structs the API validates with (one source of truth)."""

from __future__ import annotations

import msgspec

from skills.ingestion.events import EventIn
from skillsite.schema import register_request_component


def _openapi_30(schema: dict) -> dict:
    """msgspec emits JSON Schema; OpenAPI 3.0 spells `X | None` as `nullable: true`."""
    properties = {}
    for name, prop in schema["properties"].items():
        variants = prop.get("anyOf", [])
        if {"type": "null"} in variants and len(variants) == 2:
            (inner,) = [v for v in variants if v != {"type": "null"}]
            prop = {**inner, "nullable": True, **({"default": prop["default"]} if "default" in prop else {})}
        properties[name] = prop
    return {**schema, "properties": properties}


_, _components = msgspec.json.schema_components([EventIn])
EVENT_SCHEMA = _openapi_30(_components["EventIn"])
EVENT_SCHEMA["description"] = (
    "One skill invocation. `event_id` is chosen by the client and makes retries idempotent. "
    "`occurred_at` defaults to the time of receipt; `skill_version` to the version current then; "
    "`user` may name another user only with the ingest_for_any_user permission."
)
EVENT = register_request_component("EventIn", EVENT_SCHEMA)
EVENT_BATCH_REQUEST = {"oneOf": [EVENT, {"type": "array", "items": EVENT, "minItems": 1}]}
