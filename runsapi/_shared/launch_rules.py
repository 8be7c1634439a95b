"""What W&B Launch's run queues accept: the client checks arguments before sending, the
server before writing, with the same rules and messages (ValueError).

A queue's default resource config is `{"resource_args": {<resource type>: {...}}}`; its
strings may hold handlebars placeholders (`{{gpus}}`) naming the queue's template
variables, each declared as `{"<name>": {"schema": {"type": ..., ...}}}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

LAUNCH_PROJECT = "model-registry"
"""The project of an entity that holds its run queues (W&B's `LAUNCH_DEFAULT_PROJECT`)."""
RESOURCE_TYPES = ("local-container", "local-process", "kubernetes", "sagemaker", "gcp-vertex")
PRIORITIZATION_MODES = ("DISABLED", "V0")
QUEUE_NAME_MAX_LENGTH = 64
PRIORITIES = {"critical": 0, "high": 1, "medium": 2, "low": 3}
"""`wandb launch --priority`'s names for the priorities of a V0 queue (0 runs first)."""
DEFAULT_PRIORITY = PRIORITIES["medium"]
RESOURCE_ARGS = "resource_args"
TEMPLATE_VARIABLE_TYPES = ("string", "number", "integer")
_SCHEMA_KEYS = ("type", "default", "minimum", "maximum", "enum", "description")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_PLACEHOLDER = re.compile(r"{{\s*([^{}\s]+)\s*}}")
_LINK_URL = re.compile(r"https?://\S+")


def check_queue_name(name: str) -> str:
    if not 1 <= len(name) <= QUEUE_NAME_MAX_LENGTH:
        raise ValueError(
            f"invalid run queue name {name!r}: names have 1 to {QUEUE_NAME_MAX_LENGTH} characters"
        )
    return name


def check_resource_type(resource: str) -> str:
    if resource not in RESOURCE_TYPES:
        raise ValueError(f"unknown resource type {resource!r}: one of {', '.join(RESOURCE_TYPES)}")
    return resource


def check_priority(priority: int) -> int:
    if (
        not isinstance(priority, int)
        or isinstance(priority, bool)
        or priority not in PRIORITIES.values()
    ):
        named = ", ".join(f"{value} ({name})" for name, value in PRIORITIES.items())
        raise ValueError(f"invalid priority {priority!r}: one of {named}")
    return priority


def check_template_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    """Declarations `{"<name>": {"schema": {...}}}`, each schema with a `type` of
    TEMPLATE_VARIABLE_TYPES, numeric `minimum`/`maximum` for numbers, a non-empty `enum`,
    and a `default` that satisfies the rest."""
    for name, declared in variables.items():
        if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
            raise ValueError(
                f"invalid template variable name {name!r}: names are letters, digits, '-' and '_'"
            )
        if not isinstance(declared, Mapping) or set(declared) != {"schema"}:
            raise ValueError(
                f"template variable {name!r} must be declared as {{'schema': {{...}}}},"
                f" got {declared!r}"
            )
        _check_schema(name, declared["schema"])
    return dict(variables)


def _check_schema(name: str, schema: object) -> None:
    what = f"the schema of template variable {name!r}"
    if not isinstance(schema, Mapping):
        raise ValueError(f"{what} must be an object, got {schema!r}")
    unknown = sorted(str(key) for key in schema if key not in _SCHEMA_KEYS)
    if unknown:
        raise ValueError(f"{what} has unknown keys {unknown}: accepted are {list(_SCHEMA_KEYS)}")
    kind = schema.get("type")
    if kind not in TEMPLATE_VARIABLE_TYPES:
        raise ValueError(f"{what} needs a type, one of {', '.join(TEMPLATE_VARIABLE_TYPES)}")
    for bound in ("minimum", "maximum"):
        if bound in schema and (kind == "string" or not _is_number(schema[bound])):
            raise ValueError(f"{what}: {bound} must be a number, for number and integer types")
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list) or not options:
            raise ValueError(f"{what}: enum must be a non-empty list")
        for option in options:
            _check_value(what, kind, schema, option, "each enum value")
    if "default" in schema:
        _check_value(what, kind, schema, schema["default"], "default")
        if "enum" in schema and schema["default"] not in schema["enum"]:
            raise ValueError(f"{what}: default must be one of enum")


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_value(what: str, kind: str, schema: Mapping[str, Any], value: object, role: str) -> None:
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"{what}: {role} must be a string, got {value!r}")
        return
    if not _is_number(value) or (kind == "integer" and not float(value).is_integer()):
        raise ValueError(
            f"{what}: {role} must be {'an integer' if kind == 'integer' else 'a number'}"
        )
    if "minimum" in schema and value < schema["minimum"]:
        raise ValueError(f"{what}: {role} {value!r} is below the minimum {schema['minimum']!r}")
    if "maximum" in schema and value > schema["maximum"]:
        raise ValueError(f"{what}: {role} {value!r} is above the maximum {schema['maximum']!r}")


def check_external_links(links: Mapping[str, str]) -> dict[str, str]:
    """Links by label: each label a non-empty string, each URL http(s)."""
    for label, url in links.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"invalid external link label {label!r}: a non-empty string")
        if not isinstance(url, str) or not _LINK_URL.fullmatch(url):
            raise ValueError(f"invalid URL for external link {label!r}: {url!r} (http or https)")
    return dict(links)


def links_document(links: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """Links by label as W&B stores them: `{"links": [{"label": ..., "url": ...}]}`."""
    return {"links": [{"label": label, "url": url} for label, url in links.items()]}


def links_by_label(document: object) -> dict[str, str]:
    """The links of a stored `{"links": [...]}` document by label (ValueError if it is
    not one)."""
    if document is None or document == {}:
        return {}
    items = document.get("links") if isinstance(document, Mapping) else None
    if not isinstance(items, list) or not all(
        isinstance(item, Mapping)
        and isinstance(item.get("label"), str)
        and isinstance(item.get("url"), str)
        for item in items
    ):
        raise ValueError(
            'external links must be {"links": [{"label": ..., "url": ...}, ...]},'
            f" got {document!r}"
        )
    return check_external_links({item["label"]: item["url"] for item in items})


def check_resource_config(config: object, resource: str) -> dict[str, Any]:
    """A default resource config: exactly `{"resource_args": {resource: {...}}}`."""
    arguments = config.get(RESOURCE_ARGS) if isinstance(config, Mapping) else None
    if (
        not isinstance(config, Mapping)
        or set(config) != {RESOURCE_ARGS}
        or not isinstance(arguments, Mapping)
        or set(arguments) != {resource}
        or not isinstance(arguments[resource], Mapping)
    ):
        raise ValueError(
            f'a resource config must be {{"{RESOURCE_ARGS}": {{"{resource}": {{...}}}}}}'
            f" for resource type {resource!r}, got {config!r}"
        )
    return dict(config)


def undefined_placeholders(config: object, variables: Mapping[str, Any]) -> list[str]:
    """One message per `{{name}}` placeholder in the config's strings that names no
    template variable: W&B's `configSchemaValidationErrors`, warnings rather than errors."""
    missing = dict.fromkeys(
        name for text in _strings(config) for name in _PLACEHOLDER.findall(text)
    )
    return [
        f"template variable {{{{{name}}}}} is used in the resource config but not defined"
        for name in missing
        if name not in variables
    ]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
