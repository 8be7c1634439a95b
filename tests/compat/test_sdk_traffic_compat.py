"""Everything the official SDK sends during a run's life, recorded by a logging proxy in
front of a LocalServer, is answered without an error: `wandb.init` (system monitor and
console capture on), `log` with media, `save`, `log_artifact`, `use_artifact`, `finish`,
and a resume. The one refusal is the SDK's own telemetry about itself
(`/sdk/otel/v1/metrics`, OpenTelemetry for W&B), which this server does not collect: a
404, which wandb-core drops without retrying."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
import wandb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runsapi import Api
from runsapi.server import LocalServer
from tests.compat.conftest import WANDB_CORE_SOCKET, server_for_the_sdk

PROJECT = "sdk-traffic"
TELEMETRY = "/sdk/otel/v1/metrics"
pytestmark = WANDB_CORE_SOCKET


@dataclass
class Recording:
    """(method, path, status, GraphQL operation name) of every request that went by."""

    requests: list[tuple[str, str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _proxy(upstream: str, recording: Recording) -> Starlette:
    """Forwards every request to `upstream` as it came (its Host header too, so that the
    URLs the server hands out lead back through the proxy) and records it."""
    client = httpx.AsyncClient(base_url=upstream, timeout=120)

    async def forward(request: Request) -> Response:
        body = await request.body()
        answer = await client.request(
            request.method,
            request.url.path,
            params=request.query_params.multi_items(),
            content=body,
            headers=[(k, v) for k, v in request.headers.items() if k != "content-length"],
        )
        operation = ""
        if request.url.path == "/graphql":
            operation = str(httpx.Response(200, content=body).json().get("operationName") or "")
            if not operation:  # the Python-built texts go out without operationName
                text = httpx.Response(200, content=body).json().get("query", "")
                operation = text.split("(")[0].split("{")[0].split()[-1]
        with recording.lock:
            recording.requests.append(
                (request.method, request.url.path, answer.status_code, operation)
            )
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k not in {"content-length", "content-encoding", "transfer-encoding"}
        }
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    methods = ["GET", "HEAD", "POST", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_for_the_sdk(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def proxied(server: LocalServer) -> Iterator[tuple[str, Recording]]:
    recording = Recording()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        _proxy(server.base_url, recording), log_level="warning", access_log=False
    )
    proxy = uvicorn.Server(config)
    thread = threading.Thread(target=proxy.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not proxy.started:
        assert time.monotonic() < deadline, "the proxy did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", recording
    wandb.teardown()  # wandb-core's streams end before the proxy goes
    proxy.should_exit = True
    thread.join()


def test_a_runs_whole_life_gets_no_error_answer(
    server: LocalServer, proxied: tuple[str, Recording], ours: Api, tmp_path: Path
) -> None:
    base_url, recording = proxied
    settings = wandb.Settings(
        base_url=base_url, api_key=server.api_key, x_stats_sampling_interval=0.2
    )
    (tmp_path / "data.csv").write_text("x,y\n1,2\n")
    run = wandb.init(
        entity="demo", project=PROJECT, id="traffic", config={"lr": 0.1}, settings=settings
    )
    for step in range(20):
        run.log({"loss": 1 / (step + 1)})
    run.log({"sample": wandb.Image(np.zeros((8, 8, 3), dtype=np.uint8))})
    run.save(str(tmp_path / "data.csv"), base_path=str(tmp_path), policy="now")
    dataset = wandb.Artifact("traffic-data", type="dataset")
    dataset.add_file(str(tmp_path / "data.csv"))
    run.log_artifact(dataset)
    print("epoch done")
    time.sleep(0.5)  # a sample or two of the system monitor
    run.finish()
    resumed = wandb.init(
        entity="demo", project=PROJECT, id="traffic", resume="allow", settings=settings
    )
    resumed.use_artifact("traffic-data:latest")
    resumed.log({"loss": 0.01})
    resumed.finish()

    with recording.lock:
        requests = list(recording.requests)
    refused = [r for r in requests if r[2] >= 400 and r[1] != TELEMETRY]
    assert refused == [], refused
    paths = {path for _, path, _, _ in requests}
    assert "/files/demo/sdk-traffic/traffic/file_stream" in paths
    assert any(path.startswith("/_storage/files/") for path in paths), "run files uploaded"
    assert any(path.startswith("/_storage/artifacts/") for path in paths), "artifact uploaded"
    operations = {operation for _, _, _, operation in requests}
    assert {
        "UpsertBucket",
        "OrganizationCoreWeaveOrganizationID",
        "CreateRunFiles",
        "RunResumeStatus",
        "CreateArtifact",
        "CommitArtifact",
        "UseArtifact",
    } <= operations, operations

    read = ours.run(f"demo/{PROJECT}/traffic")
    assert (read.state, read.history_line_count) == ("finished", 22)
    assert [row["_step"] for row in read.scan_history()] == list(range(22))
    assert "data.csv" in {file.name for file in read.files()}
    assert [a.name for a in read.logged_artifacts()] == ["traffic-data:v0"]
    assert [a.name for a in read.used_artifacts()] == ["traffic-data:v0"]
