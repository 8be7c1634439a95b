"""The workflow `runsapi demo` shows, against any server (the CLI starts a local one)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from runsapi import Api, ArtifactDraft, F, InvalidFilterError, NotFoundError, Run


def run_demo(base_url: str, api_key: str, project: str, say: Callable[[str], None] = print) -> None:
    """List, filter, sort, read, sample, scan and update runs of `project`, explaining each step."""
    with Api({"base_url": base_url}, api_key=api_key) as api:
        viewer = api.viewer
        say(f"Connected to {base_url} as {viewer.username} (default entity {viewer.entity})")

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
