"""Harness for the drop-in tests: the W&B documentation's examples, run unchanged but for
the import and the entity/project/run names, against a seeded LocalServer.

`Api()` in an example takes no arguments, so the server is found as a user's script finds
W&B: WANDB_BASE_URL and WANDB_API_KEY, with no settings file or netrc of the machine's
read. Next to the generated runs, the project holds EXAMPLE_RUNS: finished runs with the
config keys, summary keys and history keys the examples ask for, so that their filters
match something.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runsapi import Api, Run
from runsapi.server import LocalServer, SeedSpec
from tests.live.conftest import log_history

SEED = SeedSpec(runs=4, steps=30, events=3, files=1, sweeps=1, seed=15)
ENTITY, PROJECT = SEED.entity, SEED.project
EXAMPLE_RUNS = {
    "example1": {
        "name": "foo-example",
        "config": {
            "batch_size": 32,
            "optimizer": "adam",
            "learning_rate": 0.01,
            "experiment_name": "foo",
            "experiment": {"category": "testing"},
        },
        "summary": {"loss": 0.5, "accuracy": 0.9, "model1": {"loss": 0.5}},
    },
    "example2": {
        "name": "bar-example",
        "config": {
            "batch_size": 32,
            "optimizer": "adam",
            "learning_rate": 0.001,
            "experiment_name": "bar",
        },
        "summary": {"loss": 0.7, "accuracy": 0.8, "model1": {"loss": 0.7}},
    },
}
EXAMPLE_STEPS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A seeded server holding EXAMPLE_RUNS, which `Api()` reaches through the environment."""
    home = tmp_path_factory.mktemp("home")
    with LocalServer(seed=SEED) as running, pytest.MonkeyPatch.context() as env:
        for name in ("WANDB_ENTITY", "WANDB_PROJECT"):
            env.delenv(name, raising=False)
        env.setenv("WANDB_BASE_URL", running.base_url)
        env.setenv("WANDB_API_KEY", running.api_key)
        env.setenv("WANDB_CONFIG_DIR", str(home / "wandb"))
        env.setenv("NETRC", str(home / ".netrc"))
        env.setenv("HOME", str(home))
        _add_example_runs(running)
        yield running


def _add_example_runs(server: LocalServer) -> None:
    with Api() as api:
        for run_id, spec in EXAMPLE_RUNS.items():
            run = api.create_run(run_id, PROJECT, ENTITY, name=spec["name"], config=spec["config"])
            run.summary.update(spec["summary"])
            rows = [
                {
                    "_step": step,
                    "loss": 1 / (step + 1),
                    "accuracy": step / 10,
                    "Loss": 1 / (step + 1),
                }
                for step in range(EXAMPLE_STEPS)
            ]
            log_history(server, run_id, rows)
    with server.store.write() as conn:
        conn.executemany(
            "UPDATE runs SET state = 'finished' WHERE name = ?", [(r,) for r in EXAMPLE_RUNS]
        )


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines an example printed."""
    return capsys.readouterr().out.splitlines()


def project_runs(api: Api) -> list[Run]:
    """Every run of the project, with full data: what the server holds, to compare with."""
    return list(api.runs(f"{ENTITY}/{PROJECT}", lazy=False))


def seeded_sweep(server: LocalServer) -> str:
    """The id of the project's one seeded sweep."""
    (name,) = server.store.connection().execute("SELECT name FROM sweeps").fetchone()
    return str(name)
