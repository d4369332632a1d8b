"""Requests the blog tests send over ASGI and to the live server: every string field of every route, made bad.

``lone_surrogate_requests(schema)`` reads the OpenAPI schema, so a route or field added later is covered
without editing a list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

LONE_SURROGATE = "\ud800"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _types(node: dict[str, Any]) -> set[str]:
    return {option.get("type") for option in node.get("anyOf", [node])}


def _valid(node: dict[str, Any]) -> Any:
    """A valid value for a simple field: an email where the pattern asks for one, else the smallest thing."""
    kinds = _types(node)
    if "string" in kinds:
        return "someone@example.com" if "@" in node.get("pattern", "") else "x"
    if "integer" in kinds:
        return 1
    if "boolean" in kinds:
        return True
    return None


def _object(schema: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A valid example of an object schema, and the names of its string fields."""
    node = _resolve(schema, node)
    properties = node.get("properties", {})
    example = {name: _valid(field) for name, field in properties.items() if name in node.get("required", [])}
    strings = [name for name, field in properties.items() if "string" in _types(field)]
    return example, strings


def lone_surrogate_requests(schema: dict[str, Any]) -> Iterator[tuple[str, str, str, bytes]]:
    """``(label, method, url, body)`` for every string field of every request body, and an unknown key, each
    holding a lone surrogate (JSON ``"\\ud800"``, which ``json.loads`` accepts and UTF-8 cannot encode)."""
    for path, operations in schema["paths"].items():
        url = path.replace("{user_id}", "1").replace("{post_id}", "1").replace("{comment_id}", "1")
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            body_schema = _resolve(schema, content["schema"])
            is_list = body_schema.get("type") == "array"
            item = body_schema.get("items", body_schema) if is_list else body_schema
            if "integer" in _types(_resolve(schema, item)):
                bodies = {"an item": [LONE_SURROGATE]}
            else:
                example, strings = _object(schema, item)
                bodies = {field: {**example, field: LONE_SURROGATE} for field in strings}
                bodies["a key"] = {**example, LONE_SURROGATE: "x"}
            for field, body in bodies.items():
                payload = [body] if is_list and not isinstance(body, list) else body
                label = f"{method.upper()} {path} {field}"
                yield label, method.upper(), url, json.dumps(payload).encode("ascii")  # \ud800 as JSON spells it
