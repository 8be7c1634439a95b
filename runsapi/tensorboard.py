"""Reading a TensorBoard log directory, for `Api.sync_tensorboard`: the scalars of every
event file (a file whose name contains "tfevents") under it as history rows by step,
each tag's last value as the summary, and the HParams plugin's hyperparameters as config.

The event files are read with the `tensorboard` package's own loader, which reads the
scalars of TF1 (`simple_value`) and TF2 (tensor) writers alike; it is an optional
dependency: `pip install "runsapi[tensorboard]"`. Other summaries (images, histograms,
text, graphs) are not read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runsapi._exceptions import UsageError

INSTALL_HINT = 'pip install "runsapi[tensorboard]"'
EVENT_FILE_MARK = "tfevents"
"""What TensorBoard looks for in a file name (`events.out.tfevents.<time>.<host>`)."""
_SCALARS_PLUGIN = "scalars"
_HPARAMS_PLUGIN = "hparams"
_SESSION_START_INFO_TAG = "_hparams_/session_start_info"
_HPARAM_KINDS = ("number_value", "string_value", "bool_value")


@dataclass(frozen=True)
class TensorBoardLog:
    """A log directory's data as a W&B run holds it."""

    history: list[dict[str, Any]]
    """One row per step, in step order: `_step`, `_timestamp` (the latest wall time of
    the step's values), `_runtime` (seconds from the earliest value's wall time to
    `_timestamp`) and each tag's value."""
    summary: dict[str, Any]
    """Each tag's value at its last step, with the last row's `_step`, `_runtime` and
    `_timestamp`."""
    hparams: dict[str, Any]
    """The hyperparameters of the HParams plugin's session start info (numbers as floats,
    as TensorBoard stores them); empty when the log has none."""


@dataclass
class _Collected:
    """What the files read so far hold: values by step and tag, each step's latest and
    the earliest wall time, the hyperparameters."""

    values: dict[int, dict[str, float]] = field(default_factory=dict)
    wall_times: dict[int, float] = field(default_factory=dict)
    first_wall_time: float = math.inf
    hparams: dict[str, Any] = field(default_factory=dict)

    def add_scalar(self, step: int, wall_time: float, tag: str, number: float) -> None:
        self.values.setdefault(step, {})[tag] = number
        self.wall_times[step] = max(self.wall_times.get(step, wall_time), wall_time)
        self.first_wall_time = min(self.first_wall_time, wall_time)

    def log(self) -> TensorBoardLog:
        history = [
            {
                "_step": step,
                "_runtime": self.wall_times[step] - self.first_wall_time,
                "_timestamp": self.wall_times[step],
                **self.values[step],
            }
            for step in sorted(self.values)
        ]
        summary: dict[str, Any] = {}
        for row in history:
            summary.update(row)
        return TensorBoardLog(history, summary, self.hparams)


def _event_loader() -> Callable[[str], Any]:
    """TensorBoard's EventFileLoader, or UsageError saying how to install it."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import (  # type: ignore[import-untyped]  # noqa: PLC0415
            EventFileLoader,
        )
    except ImportError as exc:
        raise UsageError(
            "sync_tensorboard reads event files with the tensorboard package, which is not "
            f"installed: {INSTALL_HINT}"
        ) from exc
    loader: Callable[[str], Any] = EventFileLoader
    return loader


def event_files(root: Path) -> list[Path]:
    """The event files under `root`, directory by directory, each directory's in name
    order (their names start with the time they were opened)."""
    found = [path for path in root.rglob(f"*{EVENT_FILE_MARK}*") if path.is_file()]
    return sorted(found, key=lambda path: (path.parent.relative_to(root).parts, path.name))


def _number(tensor: Any) -> float | None:
    """The number a scalar summary's tensor holds (None if it holds something else)."""
    from tensorboard.util import tensor_util  # type: ignore[import-untyped]  # noqa: PLC0415

    array = tensor_util.make_ndarray(tensor)
    if array.size != 1 or array.dtype.kind not in "iuf":
        return None
    return float(array.item())


def _hparams(content: bytes) -> dict[str, Any]:
    from tensorboard.plugins.hparams import (  # type: ignore[import-untyped]  # noqa: PLC0415
        metadata,
    )

    info = metadata.parse_session_start_info_plugin_data(content)
    found: dict[str, Any] = {}
    for name, value in info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind in _HPARAM_KINDS:
            found[str(name)] = getattr(value, kind)
    return found


def _read_file(
    load: Callable[[str], Any],
    path: Path,
    tag_prefix: str,
    plugins: dict[str, str],
    collected: _Collected,
) -> None:
    """Add one event file's scalars and hyperparameters to `collected`. `plugins` maps
    the tags of the file's directory to their plugin: a writer states it with a tag's
    first value only."""
    events: Iterable[Any] = load(str(path)).Load()
    for event in events:
        for value in event.summary.value:
            plugin = value.metadata.plugin_data.plugin_name or plugins.get(value.tag, "")
            plugins[value.tag] = plugin
            if plugin == _HPARAMS_PLUGIN and value.tag == _SESSION_START_INFO_TAG:
                collected.hparams.update(_hparams(value.metadata.plugin_data.content))
                continue
            if plugin != _SCALARS_PLUGIN or not value.HasField("tensor"):
                continue
            number = _number(value.tensor)
            if number is None:
                continue
            step = int(event.step)
            if step < 0:
                raise UsageError(
                    f"{path}: tag {value.tag!r} has a value at step {step}; W&B history "
                    "steps start at 0"
                )
            collected.add_scalar(step, float(event.wall_time), tag_prefix + value.tag, number)


def read_log_dir(root_dir: str | os.PathLike[str]) -> TensorBoardLog:
    """Every event file under `root_dir`. The tags of a subdirectory (a TensorBoard run,
    such as `train/` or `eval/`) are prefixed with its path: `train/loss`. UsageError
    without the tensorboard package, for a path that is not a directory, or for one
    without event files."""
    load = _event_loader()
    root = Path(root_dir)
    if not root.is_dir():
        raise UsageError(f"root_dir must be a TensorBoard log directory, got {str(root)!r}")
    files = event_files(root)
    if not files:
        raise UsageError(
            f"no TensorBoard event files (names containing {EVENT_FILE_MARK!r}) under {root}"
        )
    collected = _Collected()
    plugins_by_directory: dict[Path, dict[str, str]] = {}
    for path in files:
        relative = path.parent.relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        plugins = plugins_by_directory.setdefault(path.parent, {})
        _read_file(load, path, prefix, plugins, collected)
    return collected.log()
