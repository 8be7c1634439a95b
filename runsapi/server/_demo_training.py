"""The training script `runsapi demo` runs first, as a user's own would be: the official
`wandb` SDK logs a short run (config, tags, a loss curve, a summary, a saved file, a model
artifact) to whatever server WANDB_BASE_URL names, with the key WANDB_API_KEY.

    python _demo_training.py ENTITY PROJECT RUN_ID STEPS

It imports nothing of runsapi: the demo runs it in a process of its own, as a training
job would run, and then reads the run back with runsapi.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import wandb


def train(entity: str, project: str, run_id: str, steps: int) -> None:
    config = {"lr": 0.003, "batch_size": 64, "optimizer": "adam", "layers": [128, 64]}
    run = wandb.init(
        entity=entity,
        project=project,
        id=run_id,
        name="sdk-training-demo",
        job_type="train",
        tags=["demo", "wandb-sdk"],
        config=config,
    )
    best = math.inf
    for step in range(steps):
        loss = 2.0 * math.exp(-step / (steps / 4)) + 0.05 * math.sin(step / 3) ** 2
        best = min(best, loss)
        run.log({"loss": loss, "acc": 1 - loss / 2.1, "epoch": step * 4 // steps})
    run.summary["best_loss"] = best
    with tempfile.TemporaryDirectory(prefix="runsapi-demo-training-") as scratch:
        notes = Path(scratch) / "notes.txt"
        notes.write_text(f"trained {steps} steps, best loss {best:.4f}\n")
        run.save(str(notes), base_path=scratch, policy="now")
        model = wandb.Artifact("demo-sdk-model", type="model", metadata={"best_loss": best})
        with model.new_file("model.json") as spec:
            json.dump({**config, "steps": steps}, spec)
        run.log_artifact(model, aliases=["best"])
        run.finish()


if __name__ == "__main__":
    entity, project, run_id, steps = sys.argv[1:5]
    train(entity, project, run_id, int(steps))
