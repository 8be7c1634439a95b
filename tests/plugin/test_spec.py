"""Specs: builders, the dict/YAML/JSON forms, and errors that name the bad field (no server)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from runsapi.testing import Spec, SpecError
from runsapi.testing._spec import coerce_spec


def example() -> Spec:
    spec = Spec(entity="team", user="alice")
    mnist = spec.project("mnist", description="digits")
    mnist.sweep("sw1", config={"method": "bayes", "metric": {"name": "loss", "goal": "minimize"}})
    mnist.run(
        "r1",
        name="baseline",
        config={"lr": 0.01, "optimizer": {"name": "adam"}},
        summary={"best": True},
        tags=["baseline"],
        group="g",
        job_type="train",
        notes="first",
        history={"loss": [0.9, 0.5, None], "acc": [0.1, 0.4, 0.6]},
        files={"notes.txt": "hello", "weights/w.bin": b"\x00\xff"},
        sweep="sw1",
    )
    mnist.run("r2", state="crashed", history=[{"loss": 1.0}, {"loss": math.inf, "_step": 10}])
    mnist.artifact(
        "data",
        type="dataset",
        files={"train.csv": "a,b\n"},
        aliases=["best"],
        logged_by="r1",
        used_by=["r2"],
        metadata={"rows": 1},
    )
    return spec.validate()


def test_builders_normalize_history_and_derive_the_summary() -> None:
    run = example().project("mnist").runs[0]
    assert run.history == [
        {"loss": 0.9, "acc": 0.1, "_step": 0},
        {"loss": 0.5, "acc": 0.4, "_step": 1},
        {"acc": 0.6, "_step": 2},  # None leaves the key out of the row
    ]
    assert run.final_summary == {"loss": 0.5, "acc": 0.6, "_step": 2, "best": True}
    assert run.files == {"notes.txt": b"hello", "weights/w.bin": b"\x00\xff"}
    crashed = example().project("mnist").runs[1]
    assert [row["_step"] for row in crashed.history] == [0, 10]
    assert crashed.final_summary["loss"] == math.inf


def test_the_dict_form_round_trips_through_yaml_and_json(tmp_path: Path) -> None:
    spec = example()
    assert Spec.from_dict(spec.to_dict()) == spec
    as_yaml = tmp_path / "spec.yaml"
    as_yaml.write_text(yaml.safe_dump(spec.to_dict()))  # bytes become !!binary
    assert "!!binary" in as_yaml.read_text()
    assert Spec.load(as_yaml) == spec
    text_only = Spec(entity="team")
    text_only.project("p").run("r", config={"lr": 0.1}, history={"loss": [1.0]})
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(text_only.to_dict()))
    assert Spec.load(as_json) == text_only
    assert coerce_spec(str(as_json)) == coerce_spec(text_only.to_dict()) == text_only


def test_sweep_configs_may_be_yaml_text() -> None:
    spec = Spec()
    sweep = spec.project("p").sweep(
        "sw", config="method: grid\nmetric: {name: acc, goal: maximize}\n"
    )
    assert (sweep.method, sweep.metric) == ("grid", ("acc", "maximize"))


@pytest.mark.parametrize(
    ("declare", "where", "problem"),
    [
        (lambda p: p.run("a/b"), "projects.p.runs[a/b]", "run id"),
        (lambda p: p.run("r", state="done"), "projects.p.runs[r].state", "finished, running"),
        (lambda p: p.run("r", config={"x": object()}), "projects.p.runs[r].config.x", "JSON"),
        (lambda p: p.run("r", tags="a"), "projects.p.runs[r].tags", "list of strings"),
        (
            lambda p: p.run("r", history={"loss": [1, 2], "acc": [1]}),
            "projects.p.runs[r].history",
            "differ in length",
        ),
        (
            lambda p: p.run("r", history=[{"_step": 3}, {"_step": 2}]),
            "projects.p.runs[r].history[1]._step",
            "increase",
        ),
        (lambda p: p.run("r", files={"../x": "t"}), "projects.p.runs[r].files", "relative"),
        (
            lambda p: p.run("r", files={"wandb-summary.json": "{}"}),
            "projects.p.runs[r].files.wandb-summary.json",
            "summary",
        ),
        (
            lambda p: p.artifact("a b", type="dataset", logged_by="r"),
            "projects.p.artifacts[a b:v0]",
            "invalid artifact name",
        ),
        (
            lambda p: p.artifact("a", type="d", logged_by="r", aliases=["v1"]),
            "projects.p.artifacts[a:v0].aliases[0]",
            "reserved",
        ),
        (lambda p: p.sweep("s", state="done"), "projects.p.sweeps[s].state", "FINISHED"),
    ],
)
def test_builders_name_the_bad_field(declare: Any, where: str, problem: str) -> None:
    with pytest.raises(SpecError) as raised:
        declare(Spec().project("p"))
    assert raised.value.where == where
    assert problem in raised.value.problem


def test_validate_checks_references() -> None:
    spec = Spec()
    project = spec.project("p")
    project.run("r1", sweep="missing")
    with pytest.raises(SpecError, match=r"projects\.p\.runs\[r1\]\.sweep: no sweep 'missing'"):
        spec.validate()
    spec = Spec()
    spec.project("p").artifact("a", type="d", logged_by="nobody")
    with pytest.raises(SpecError, match=r"artifacts\[a:v0\]\.logged_by: no run 'nobody'"):
        spec.validate()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entity": "Team"}, "entity: invalid team name"),
        ({"projects": {"p": {"runs": [{"name": "x"}]}}}, r"projects\.p\.runs\[0\]: needs `id`"),
        ({"projects": {"p": {"run": []}}}, r"projects\.p: unknown key\(s\) \['run'\]"),
        (
            {"projects": {"p": {"runs": [{"id": "r", "colour": 1}]}}},
            r"unknown key\(s\) \['colour'\]",
        ),
        ({"projects": {"p": {"runs": {"id": "r"}}}}, r"projects\.p\.runs: must be a list"),
    ],
)
def test_from_dict_names_the_bad_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        Spec.from_dict(data)


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("projects:\n  p:\n    runs:\n      - id: r\n        state: done\n")
    with pytest.raises(SpecError, match=r"projects\.p\.runs\[r\]\.state: .* \(in .*bad\.yaml\)"):
        Spec.load(path)
    with pytest.raises(SpecError, match="cannot read the spec"):
        Spec.load(tmp_path / "missing.yaml")
