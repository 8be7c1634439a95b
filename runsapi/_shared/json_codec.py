"""JSON as W&B stores it: decoding its JSONString fields, and the config's value wrapping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic_core

# Config keys W&B writes for itself; shown in `rawconfig`, hidden from `config`.
INTERNAL_CONFIG_KEYS = frozenset({"_wandb", "wandb_version"})


def loads(text: str | bytes) -> Any:
    """Decode JSON with pydantic-core's parser (several times faster than `json` on small
    documents), falling back to `json` for what it refuses and W&B writes: raw control
    characters (tabs) in strings, lone surrogate escapes. NaN, Infinity and -Infinity
    decode to floats. ValueError if the text is not JSON at all."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text, strict=False)


def unwrap_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """`{"lr": {"value": 0.1, "desc": None}, "_wandb": {...}}` -> `{"lr": 0.1}`."""
    return {key: unwrap_value(item) for key, item in raw.items() if key not in INTERNAL_CONFIG_KEYS}


def unwrap_value(item: Any) -> Any:
    """A config value as stored, `{"value": 0.1, "desc": None}`, -> `0.1`."""
    return item["value"] if isinstance(item, dict) and "value" in item else item


def wrap_config(config: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of `config`: each value wrapped, internal keys kept from `raw`."""
    wrapped = {key: raw[key] for key in INTERNAL_CONFIG_KEYS if key in raw}
    for key, value in config.items():
        previous = raw.get(key)
        desc = previous.get("desc") if isinstance(previous, dict) else None
        wrapped[key] = {"value": value, "desc": desc}
    return wrapped
