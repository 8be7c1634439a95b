"""`runsapi demo`'s workflow, run against its own seeded LocalServer: first a training run
the official SDK logs (it is a test dependency), then the seeded data."""

from __future__ import annotations

import pytest

from runsapi.server import LocalServer, SeedSpec, _demo
from runsapi.server._demo import run_demo

SPEC = SeedSpec(runs=12, steps=200, seed=3)


def _demo_lines() -> str:
    lines: list[str] = []
    with LocalServer(seed=SPEC) as server:
        run_demo(server.base_url, server.api_key, f"{SPEC.entity}/{SPEC.project}", lines.append)
    return "\n".join(lines)


def test_the_demo_runs_every_step() -> None:
    text = _demo_lines()
    for step in (
        "Training with the official wandb SDK: 300 steps into demo/sdk-training",
        "runsapi reads back run train-",
        "('sdk-training-demo'): state finished, 300 history rows, config lr=0.003",
        "its loss curve, every step: 2.000 -> ",
        "(300 rows)",
        "'config.yaml'",
        "'notes.txt'",
        "'wandb-metadata.json'",
        "artifacts it logged: ['demo-sdk-model:v0']",
        "finished or crashed runs",
        "Sweep sw",
        "method bayes, metric {'name': 'loss', 'goal': 'minimize'}",
        "best run",
        "reports in demo/demo-project:",
        "sections, http",
        "Tagged and saved",
        "Logged demo/demo-project/demo-model-",
        "Logging the same content again gives the same version: demo-model-",
        "Found by alias",
        "from the content cache",
        "Lineage: logged by",
        "caught before any request",
        "A missing run is a typed error",
    ):
        assert step in text, f"missing {step!r} in:\n{text}"
    assert "failed" not in text.split("Lowest loss")[0], text


def test_without_the_sdk_the_demo_says_it_uses_the_seeded_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_demo, "sdk_installed", lambda: False)
    text = _demo_lines()
    assert "The official wandb SDK is not installed" in text
    assert "the demo uses the seeded data" in text
    assert "Training with" not in text and "A missing run is a typed error" in text
