"""Checks on the arguments of the launch members, each raising UsageError (or a subclass)
that names the argument and what is accepted, before any request is sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, get_args

from runsapi._exceptions import InvalidPathError, UsageError
from runsapi._json import check_storable
from runsapi._paths import ArtifactPath, parse_artifact_path
from runsapi._shared import launch_rules

RunQueueResourceType = Literal[
    "local-container", "local-process", "kubernetes", "sagemaker", "gcp-vertex"
]
"""Where a queue's runs execute (W&B's `public.RunQueueResourceType`)."""
RunQueuePrioritizationMode = Literal["DISABLED", "V0"]
"""`V0`: items carry a priority, 0 (critical) to 3 (low), and the highest is taken first."""
RunQueueAccessType = Literal["PROJECT", "USER"]

# Each Literal's values, to narrow a checked string to it.
_RESOURCE_TYPES: dict[str, RunQueueResourceType] = {
    name: name for name in get_args(RunQueueResourceType)
}
_MODES: dict[str, RunQueuePrioritizationMode] = {
    name: name for name in get_args(RunQueuePrioritizationMode)
}
_T = TypeVar("_T")


def _by_rule(rule: Callable[[_T], Any], value: _T) -> None:
    """Apply a rule of _shared/launch_rules.py, its ValueError raised as UsageError."""
    try:
        rule(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def queue_name(name: object) -> str:
    if not isinstance(name, str):
        raise UsageError(f"a run queue name must be a string, got {name!r}")
    _by_rule(launch_rules.check_queue_name, name)
    return name


def resource_type(value: object) -> RunQueueResourceType:
    if not isinstance(value, str) or value not in _RESOURCE_TYPES:
        raise UsageError(
            f"unknown resource type {value!r}: one of {', '.join(launch_rules.RESOURCE_TYPES)}"
        )
    return _RESOURCE_TYPES[value]


def prioritization_mode(value: object) -> RunQueuePrioritizationMode | None:
    """`V0`, `DISABLED` (in any case, as the official client upper-cases them) or None."""
    if value is None:
        return None
    mode = _MODES.get(value.upper()) if isinstance(value, str) else None
    if mode is None:
        raise UsageError(
            f"unknown prioritization mode {value!r}: 'V0', 'DISABLED' or None (not prioritized)"
        )
    return mode


def priority(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise UsageError(f"a priority must be an integer, got {value!r}")
    _by_rule(launch_rules.check_priority, value)
    return value


def json_object(value: object, what: str) -> dict[str, Any]:
    """A mapping of string keys to values JSON can hold, as a dict."""
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise UsageError(f"{what} must be a dict with string keys, got {value!r}")
    check_storable(what, dict(value))
    return dict(value)


def template_variables(value: object) -> dict[str, Any]:
    """Declarations `{"<name>": {"schema": {"type": ..., ...}}}` (None: none)."""
    if value is None:
        return {}
    declared = json_object(value, "template_variables")
    _by_rule(launch_rules.check_template_variables, declared)
    return declared


def external_links(value: object) -> dict[str, str]:
    """Links by label, `{"docs": "https://..."}` (None: none)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UsageError(f"external_links must be a dict of labels to URLs, got {value!r}")
    _by_rule(launch_rules.check_external_links, value)
    return dict(value)


def job_path(name: object) -> ArtifactPath:
    """A job's `entity/project/name:alias`, as the official client requires."""
    if not isinstance(name, str) or name.count("/") != 2 or ":" not in name:
        raise InvalidPathError(
            f"invalid job name {name!r}: a job is named entity/project/name:alias,"
            " such as demo/train/job-train:latest or demo/train/job-train:v0"
        )
    return parse_artifact_path(name, entity=lambda: None, project=lambda: None)
