"""`Api.sync_tensorboard` against a LocalServer, with event files written here by the
tensorboard package's own writer (no TensorFlow): TF1 scalars (`simple_value`) in
`train/`, TF2 scalars (tensors, metadata on a tag's first value only) in `eval/`, the
HParams plugin's session start info at the top, and a histogram that is not read."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2  # type: ignore[import-untyped]
from tensorboard.plugins.hparams import (  # type: ignore[import-untyped]
    metadata as hparams_metadata,
)
from tensorboard.plugins.hparams import (
    plugin_data_pb2,
)
from tensorboard.plugins.scalar import (  # type: ignore[import-untyped]
    metadata as scalar_metadata,
)
from tensorboard.summary.writer.event_file_writer import (  # type: ignore[import-untyped]
    EventFileWriter,
)
from tensorboard.util import tensor_util  # type: ignore[import-untyped]

from runsapi import InvalidPathError, UsageError
from runsapi._sync import _file_stream as file_stream
from runsapi._sync.api import Api
from runsapi.server import LocalServer
from tests.live.conftest import SCRATCH
from tests.support.counting import CountingTransport
from tests.support.offline import offline_api

START = 1_700_000_000.0
HPARAMS: dict[str, float | str | bool] = {"lr": 0.25, "optimizer": "adam", "amp": True}


def _write(directory: Path, events: Iterable[event_pb2.Event]) -> None:
    writer = EventFileWriter(str(directory))
    for event in events:
        writer.add_event(event)
    writer.close()


def _event(step: int, wall_time: float, *values: summary_pb2.Summary.Value) -> event_pb2.Event:
    return event_pb2.Event(
        step=step, wall_time=wall_time, summary=summary_pb2.Summary(value=list(values))
    )


def _tf1_scalar(tag: str, number: float) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, simple_value=number)


def _tf2_scalar(tag: str, number: float, *, first: bool) -> summary_pb2.Summary.Value:
    value = summary_pb2.Summary.Value(
        tag=tag, tensor=tensor_util.make_tensor_proto(np.float32(number))
    )
    if first:  # TF2 writers state a tag's plugin with its first value only
        value.metadata.CopyFrom(scalar_metadata.create_summary_metadata(tag, ""))
    return value


def _session_start(hparams: dict[str, float | str | bool]) -> summary_pb2.Summary.Value:
    info = plugin_data_pb2.SessionStartInfo()
    for name, setting in hparams.items():
        if isinstance(setting, bool):
            info.hparams[name].bool_value = setting
        elif isinstance(setting, str):
            info.hparams[name].string_value = setting
        else:
            info.hparams[name].number_value = setting
    content = plugin_data_pb2.HParamsPluginData(session_start_info=info)
    return summary_pb2.Summary.Value(
        tag=hparams_metadata.SESSION_START_INFO_TAG,
        metadata=hparams_metadata.create_summary_metadata(content),
        tensor=tensor_util.make_tensor_proto(0),
    )


def _histogram(tag: str) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(
        tag=tag,
        histo=summary_pb2.HistogramProto(
            min=0, max=1, num=2, bucket_limit=[0.5, 1.0], bucket=[1, 1]
        ),
    )


def write_logs(root: Path) -> None:
    """train/: loss 1, 1/2, ... at steps 0-4 (and a histogram); eval/: acc at steps 0, 2,
    4, a second later than train's; the top: the hyperparameters."""
    _write(
        root / "train",
        [_event(step, START + step, _tf1_scalar("loss", 1 / 2**step)) for step in range(5)]
        + [_event(4, START + 4, _histogram("weights"))],
    )
    _write(
        root / "eval",
        [
            _event(step, START + step + 1, _tf2_scalar("acc", step / 8, first=step == 0))
            for step in (0, 2, 4)
        ],
    )
    _write(root, [_event(0, START - 5, _session_start(HPARAMS))])


EXPECTED_HISTORY = [
    {
        "_step": step,
        "_runtime": step + float(step % 2 == 0),
        "_timestamp": START + step + (step % 2 == 0),
        "train/loss": 1 / 2**step,
        **({"eval/acc": step / 8} if step % 2 == 0 else {}),
    }
    for step in range(5)
]


def test_scalars_become_history_summary_and_config(
    api: Api, tmp_path: Path, transport: CountingTransport
) -> None:
    write_logs(tmp_path)
    transport.reset()
    run = api.sync_tensorboard(tmp_path, run_id="tbsynced", project=SCRATCH)
    # create, one chunk of history, the summary with completion, the finished run
    assert transport.operations == {"CreateRun": 1, "?": 2, "GetRunFull": 1}
    assert (run.id, run.project, run.entity, run.state) == ("tbsynced", SCRATCH, "demo", "finished")
    assert run.config == HPARAMS
    assert list(run.scan_history()) == EXPECTED_HISTORY
    assert dict(run.summary) == {**EXPECTED_HISTORY[-1], "eval/acc": 0.5}
    assert run.history_line_count == 5 and run.last_history_step == 4


def test_a_run_without_hyperparameters_or_id(api: Api, tmp_path: Path) -> None:
    _write(tmp_path / "a" / "b", [_event(3, START, _tf1_scalar("x", 2.0))])
    _write(tmp_path / "a" / "b", [_event(7, START + 1, _tf1_scalar("x", 3.0))])  # a restart
    run = api.sync_tensorboard(str(tmp_path), project=SCRATCH)
    assert len(run.id) == 8 and run.config == {}
    assert [row["a/b/x"] for row in run.scan_history()] == [2.0, 3.0]
    assert run.summary["a/b/x"] == 3.0 and run.summary["_step"] == 7


def test_history_goes_out_in_chunks_and_a_failed_post_is_retried(
    server: LocalServer, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = api.create_run(run_id="tbchunks", project=SCRATCH)
    rows = [{"_step": step, "value": float(step)} for step in range(20)]
    monkeypatch.setattr(file_stream, "MAX_CHUNK_BYTES", 100)
    server.inject_fault("status", status=503)  # the first POST: retried
    file_stream.finish_run(
        api._session, run.run_path, rows, {"value": 19.0}, history_offset=0, exit_code=2
    )
    run.load(force=True)
    assert [row["value"] for row in run.scan_history()] == [row["value"] for row in rows]
    assert run.state == "failed" and run.summary["value"] == 19.0


def test_a_second_sync_into_the_same_run_appends(api: Api, tmp_path: Path) -> None:
    _write(tmp_path / "first", [_event(0, START, _tf1_scalar("x", 1.0))])
    _write(tmp_path / "second", [_event(1, START + 1, _tf1_scalar("y", 2.0))])
    api.sync_tensorboard(tmp_path / "first", run_id="tbtwice", project=SCRATCH)
    run = api.sync_tensorboard(tmp_path / "second", run_id="tbtwice", project=SCRATCH)
    assert [row["_step"] for row in run.scan_history()] == [0, 1]
    assert (run.summary["x"], run.summary["y"], run.summary["_step"]) == (1.0, 2.0, 1)
    assert run.state == "finished"


def test_bad_input_raises_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = offline_api()
    with pytest.raises(UsageError, match="must be a TensorBoard log directory"):
        api.sync_tensorboard(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("no events here")
    with pytest.raises(UsageError, match="no TensorBoard event files"):
        api.sync_tensorboard(tmp_path)
    with pytest.raises(UsageError, match="must be a TensorBoard log directory"):
        api.sync_tensorboard(tmp_path / "notes.txt")
    _write(tmp_path / "logs", [_event(-1, START, _tf1_scalar("x", 1.0))])
    with pytest.raises(UsageError, match="step -1; W&B history steps start at 0"):
        api.sync_tensorboard(tmp_path / "logs")
    with pytest.raises(InvalidPathError, match="invalid run_id"):
        api.sync_tensorboard(tmp_path / "logs", run_id="a/b")
    module = "tensorboard.backend.event_processing.event_file_loader"
    monkeypatch.setitem(sys.modules, module, None)  # as if tensorboard were not installed
    with pytest.raises(UsageError, match=r'pip install "runsapi\[tensorboard\]"'):
        api.sync_tensorboard(tmp_path / "logs")
