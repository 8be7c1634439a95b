"""`runsapi demo`'s workflow, run against its own seeded LocalServer."""

from __future__ import annotations

from runsapi.server import LocalServer, SeedSpec
from runsapi.server._demo import run_demo


def test_the_demo_runs_every_step() -> None:
    lines: list[str] = []
    spec = SeedSpec(runs=12, steps=200, seed=3)
    with LocalServer(seed=spec) as server:
        run_demo(server.base_url, server.api_key, f"{spec.entity}/{spec.project}", lines.append)
    text = "\n".join(lines)
    for step in (
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
