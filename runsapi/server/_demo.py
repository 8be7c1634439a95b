"""The workflow `runsapi demo` shows, against any server (the CLI starts a local one)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from runsapi import Api, ArtifactDraft, F, InvalidFilterError, NotFoundError, Run

# The demo's first step: a training run the official SDK logs, in this project of the
# viewer's entity (apart from the seeded project the later steps explore).
TRAINING_PROJECT = "sdk-training"
TRAINING_STEPS = 300
TRAINING_SCRIPT = Path(__file__).with_name("_demo_training.py")
# Long enough for a slow machine to start Python, wandb and its wandb-core service.
TRAINING_TIMEOUT_SECONDS = 180.0


def run_demo(base_url: str, api_key: str, project: str, say: Callable[[str], None] = print) -> None:
    """Log a training run with the official SDK when it is installed, then list, filter,
    sort, read, sample, scan and update runs of `project`, explaining each step."""
    with Api({"base_url": base_url}, api_key=api_key) as api:
        viewer = api.viewer
        say(f"Connected to {base_url} as {viewer.username} (default entity {viewer.entity})")
        _training_demo(api, base_url, api_key, f"{viewer.entity}/{TRAINING_PROJECT}", say)

        runs = api.runs(
            project, filters=F.state.is_in(["finished", "crashed"]), order="-created_at"
        )
        say(f"\n{len(runs)} finished or crashed runs in {project}, newest first:")
        table = runs.to_pandas()
        say(
            table[["id", "name", "state", "config.lr", "summary.loss"]]
            .head(8)
            .to_string(index=False)
        )

        best = min(
            (run for run in runs if isinstance(run.summary.get("loss"), float)),
            key=lambda run: run.summary["loss"],
        )
        say(f"\nLowest loss: {best!r}, loss {best.summary['loss']:.4f}")
        say(f"  config: lr={best.config['lr']}, optimizer={best.config['optimizer']['name']}")
        say(
            f"  created {best.created_at:%Y-%m-%d %H:%M %Z}, {best.history_line_count} history rows"
        )

        sampled = best.history(keys=["loss", "eval/loss"], samples=8, join="outer")
        say(f"\nA sample of its history (keys logged at different steps, joined):\n{sampled}")
        evals = list(best.scan_history(keys=["eval/loss"]))
        say(f"Every eval/loss row, filtered on the server: {len(evals)} rows")

        curves = runs.histories(samples=50, keys=["loss"], format="pandas")
        say(f"\nLoss curves of {curves['run_id'].nunique()} runs in one frame: {curves.shape}")

        _sweep_demo(api, project, say)
        reports = list(api.reports(project))
        say(f"\n{len(reports)} reports in {project}:")
        for report in reports:
            say(f"  {report.display_name}: {len(report.sections)} sections, {report.url}")

        if "reviewed" not in best.tags:
            best.tags.append("reviewed")
        best.summary["reviewed_loss"] = best.summary["loss"]
        best.update()
        again = api.run(best.path_str)
        reviewed = again.summary["reviewed_loss"]
        say(f"\nTagged and saved: tags={again.tags}, summary.reviewed_loss={reviewed:.4f}")

        others = (run for run in api.runs(project, per_page=2) if run.id != best.id)
        _artifacts_demo(api, best, next(others, best), say)

        try:
            api.runs(project, filters={"summary.loss": {"$lt": 1}})
        except InvalidFilterError as error:
            say(f"\nA filter mistake is caught before any request:\n  {error}")
        try:
            api.run(f"{project}/no-such-run")
        except NotFoundError as error:
            say(f"A missing run is a typed error: {error}")


def sdk_installed() -> bool:
    """Whether the official `wandb` SDK can be imported (in this Python)."""
    return importlib.util.find_spec("wandb") is not None


def _training_environment(base_url: str, api_key: str, scratch: Path) -> dict[str, str]:
    """The training process's environment: this one without its WANDB_* settings (a
    user's mode, entity or server must not redirect the demo), pointed at `base_url`,
    quiet, offline but for it, its files kept in `scratch`."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("WANDB_")}
    return {
        **kept,
        "WANDB_BASE_URL": base_url,
        "WANDB_API_KEY": api_key,
        "WANDB_MODE": "online",
        "WANDB_DIR": str(scratch),
        "WANDB_CONFIG_DIR": str(scratch / "config"),
        "WANDB_CACHE_DIR": str(scratch / "cache"),
        "WANDB_DATA_DIR": str(scratch / "data"),
        "WANDB_ARTIFACT_DIR": str(scratch / "artifacts"),
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_X_DISABLE_STATS": "true",
        "WANDB_ERROR_REPORTING": "false",  # no crash reports to W&B's Sentry
        "WANDB_DISABLE_GIT": "true",
    }


def _training_demo(
    api: Api, base_url: str, api_key: str, project: str, say: Callable[[str], None]
) -> None:
    """Run _demo_training.py (the official SDK's `wandb.init` -> `log` -> `log_artifact`
    -> `finish`) in a process of its own, then read its run back with runsapi."""
    if not sdk_installed():
        say(
            "\nThe official wandb SDK is not installed, so no training run is logged: the"
            " demo uses the seeded data (pip install wandb to see a training script log"
            " to this server first)"
        )
        return
    entity, _, project_name = project.partition("/")
    run_id = f"train-{int(time.time() * 1000) % 10**9:09d}"
    say(f"\nTraining with the official wandb SDK: {TRAINING_STEPS} steps into {project}")
    with tempfile.TemporaryDirectory(prefix="runsapi-demo-sdk-") as scratch:
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                str(TRAINING_SCRIPT),
                entity,
                project_name,
                run_id,
                str(TRAINING_STEPS),
            ],
            env=_training_environment(base_url, api_key, Path(scratch)),
            capture_output=True,
            text=True,
            timeout=TRAINING_TIMEOUT_SECONDS,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n  ".join(done.stderr.strip().splitlines()[-5:])
        say(f"  the training script failed (exit code {done.returncode}):\n  {tail}")
        return
    run = api.run(f"{project}/{run_id}")
    say(
        f"  wandb.init -> log x{TRAINING_STEPS} -> log_artifact -> finish took {elapsed:.1f} s;"
        f" runsapi reads back run {run.id} ({run.name!r}): state {run.state},"
        f" {run.history_line_count} history rows, config lr={run.config['lr']},"
        f" summary best_loss={run.summary['best_loss']:.4f}"
    )
    losses = [row["loss"] for row in run.scan_history(keys=["loss"])]
    say(f"  its loss curve, every step: {losses[0]:.3f} -> {losses[-1]:.3f} ({len(losses)} rows)")
    say(f"  files the SDK uploaded: {sorted(file.name for file in run.files())}")
    say(f"  artifacts it logged: {[artifact.name for artifact in run.logged_artifacts()]}")


def _sweep_demo(api: Api, project: str, say: Callable[[str], None]) -> None:
    """Read a sweep of the project by its path: its configuration and its best run."""
    listed = next(iter(api.project(project).sweeps()), None)
    if listed is None:
        say(f"\nNo sweeps in {project}")
        return
    sweep = api.sweep(f"{project}/{listed.id}")
    config = sweep.config
    say(
        f"\nSweep {sweep.id} ({sweep.name!r}, {sweep.state}): method {config.get('method')},"
        f" metric {config.get('metric')}, {sweep.run_count} runs, best loss {sweep.best_loss}"
    )
    best = sweep.best_run()
    if best is None:
        say("  no runs yet")
        return
    searched = {key: best.config.get(key) for key in config.get("parameters", {})}
    say(f"  best run {best.id}: loss {best.summary.get('loss')}, searched config {searched}")


def _artifacts_demo(api: Api, producer: Run, consumer: Run, say: Callable[[str], None]) -> None:
    """Log a model from a run, find it, download it twice, use it from another run."""
    with tempfile.TemporaryDirectory(prefix="runsapi-demo-") as scratch:
        work = Path(scratch)
        draft = ArtifactDraft(f"demo-model-{producer.id}", type="model", metadata={"loss": 0.1})
        with draft.new_file("model.json") as spec:
            json.dump({"lr": producer.config["lr"], "layers": [64, 64]}, spec)
        with draft.new_file("weights.bin", mode="wb") as weights:
            weights.write(bytes(range(256)) * 16)
        logged = producer.log_artifact(draft, aliases=["best"])
        say(
            f"\nLogged {logged.qualified_name} ({logged.size} bytes, {logged.file_count} files,"
            f" aliases {logged.aliases}) from run {producer.id}"
        )
        same = producer.log_artifact(draft)
        say(f"Logging the same content again gives the same version: {same.name}")

        found = api.artifact(f"{logged.entity}/{logged.project}/{logged.collection}:best")
        say(f"Found by alias: {found.name}, files {[file.name for file in found.files()]}")
        first = Path(found.download(work / "first", progress=False))
        found.download(work / "second", progress=False)
        say(
            f"Downloaded to {first.name}/ and again to second/ (from the content cache):"
            f" {sorted(path.name for path in first.iterdir())}"
        )

        consumer.use_artifact(f"{logged.collection}:latest", use_as="init-weights")
        creator = found.logged_by()
        say(
            f"Lineage: logged by {creator.id if creator else None},"
            f" used by {[run.id for run in found.used_by()]}"
        )
