"""Testing code that uses W&B's API: a seeded W&B-compatible server on 127.0.0.1.

`runsapi.Api()` and the official `wandb.Api()` both talk to it, unchanged, once the
environment names it (WANDB_BASE_URL, WANDB_API_KEY, WANDB_ENTITY). With pytest the
plugin (runsapi.testing.plugin, loaded by pytest when runsapi is installed) does that
for each test that asks for the `wandb_server` fixture; elsewhere `WandbTestServer` is a
context manager. Needs the `server` extra (`pip install "runsapi[testing]"`, which adds
vcrpy for cassettes).

    from runsapi.testing import Spec

    spec = Spec(entity="team")
    spec.project("mnist").run("r1", config={"lr": 0.01}, history={"loss": [0.9, 0.4]})

Importing this package starts nothing and loads neither the server nor vcrpy.
"""

from __future__ import annotations

from runsapi.testing._server import SpecLike, WandbTestServer
from runsapi.testing._snapshot import ArtifactSnapshot, ProjectSnapshot, RunSnapshot, Snapshot
from runsapi.testing._spec import (
    ArtifactSpec,
    ProjectSpec,
    RunSpec,
    RunStateName,
    Spec,
    SpecError,
    SweepSpec,
    SweepStateName,
)

__all__ = [
    "ArtifactSnapshot",
    "ArtifactSpec",
    "ProjectSnapshot",
    "ProjectSpec",
    "RunSnapshot",
    "RunSpec",
    "RunStateName",
    "Snapshot",
    "Spec",
    "SpecError",
    "SpecLike",
    "SweepSpec",
    "SweepStateName",
    "WandbTestServer",
]
