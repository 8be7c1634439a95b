"""Run and project path parsing: every accepted form, and clear errors for the rest."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runsapi._paths import (
    InvalidPathError,
    PathKind,
    ProjectPath,
    ReportPath,
    RunPath,
    SweepPath,
    parse_project_path,
    parse_report_path,
    parse_run_path,
    parse_sweep_path,
    path_kind,
)


class Defaults:
    def __init__(self, entity: str | None = "me", project: str | None = "proj") -> None:
        self.entity_value, self.project_value = entity, project
        self.entity_calls = 0

    def entity(self) -> str | None:
        self.entity_calls += 1
        return self.entity_value

    def project(self) -> str | None:
        return self.project_value


def parse(path: str, defaults: Defaults | None = None) -> RunPath:
    d = defaults or Defaults()
    return parse_run_path(path, entity=d.entity, project=d.project)


@pytest.mark.parametrize(
    "path",
    [
        "e/p/r",
        "e/p/runs/r",
        "/e/p/r/",
        "e/p:r",
        "e/p/sweeps/r",
        " e / p / r ",
        "https://wandb.ai/e/p/runs/r",
        "https://wandb.ai/e/p/runs/r/overview?nw=abc#logs",
        "http://127.0.0.1:8080/e/p/runs/r",
    ],
)
def test_full_forms(path: str) -> None:
    defaults = Defaults()
    assert parse(path, defaults) == RunPath("e", "p", "r")
    assert defaults.entity_calls == 0, "the default entity must not be fetched when given"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("p/r", ("me", "p", "r")), ("p:r", ("me", "p", "r")), ("r", ("me", "proj", "r"))],
)
def test_short_forms_use_defaults(path: str, expected: tuple[str, str, str]) -> None:
    assert parse(path) == RunPath(*expected)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "    ",
        ":",
        "/",
        "//",
        "/ /",
        "/ / /",
        "e/p:",
        "e/p/x/r",
        "a/b/c/d/e",
        "e//r",
        "e/p/runs/",
        "https://wandb.ai/e/p",
        "https://wandb.ai/",
    ],
)
def test_malformed_paths_name_the_accepted_forms(path: str) -> None:
    with pytest.raises(InvalidPathError) as caught:
        parse(path)
    message = str(caught.value)
    assert "accepted forms" in message
    assert "entity/project/run_id" in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("path", "what", "found"),
    [
        ("demo/p/r?x", "run id", "?"),
        ("e/p/r;1", "run id", ";"),
        ("e/p:r,2", "run id", ","),
        ("e/p/runs/it's", "run id", "'"),
        ("r#1", "run id", "#"),
        ("e/p%/r", "project", "%"),
        ("e/p#:r", "project", "#"),
        ("p\\q/r", "project", "\\"),
    ],
)
def test_characters_wandb_refuses_are_named(path: str, what: str, found: str) -> None:
    """A run id or project holding a character W&B refuses is an error before any
    request, naming the part, the characters refused and the one found."""
    with pytest.raises(InvalidPathError) as caught:
        parse(path)
    message = str(caught.value)
    assert f"a {what} cannot contain any of" in message and f"(found {found})" in message
    assert "accepted forms" in message


def test_a_project_path_refuses_them_too() -> None:
    with pytest.raises(InvalidPathError, match=r"a project cannot contain .* \(found \?\)"):
        parse_project_path("e/p?", entity=lambda: "e", project=lambda: "p")


def test_missing_defaults_are_named() -> None:
    with pytest.raises(InvalidPathError, match=r"entity missing .* WANDB_ENTITY"):
        parse("p/r", Defaults(entity=None))
    with pytest.raises(InvalidPathError, match=r"project missing .* WANDB_PROJECT"):
        parse("r", Defaults(project=None))


def test_project_paths() -> None:
    d = Defaults()
    assert parse_project_path("e/p", entity=d.entity, project=d.project) == ProjectPath("e", "p")
    assert parse_project_path("p", entity=d.entity, project=d.project) == ProjectPath("me", "p")
    assert parse_project_path(None, entity=d.entity, project=d.project) == ProjectPath("me", "proj")
    for bad in ("", "e/p/x", "/", "//", "e:p"):
        with pytest.raises(InvalidPathError, match="entity/project"):
            parse_project_path(bad, entity=d.entity, project=d.project)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("p", "project"),  # as in the official client: one part is a project
        ("e/p", "project"),
        ("https://wandb.ai/e/p", "project"),
        ("https://wandb.ai/e/p/workspace?nw=x", "project"),
        ("p:r", "run"),
        ("e/p/r", "run"),
        ("e/p/runs/r", "run"),
        ("https://wandb.ai/e/p/runs/r/logs", "run"),
        ("e/p/sweeps/s", "sweep"),
        (" /e/p/sweeps/s/ ", "sweep"),
        ("https://wandb.ai/e/p/sweeps/s/overview?x=1", "sweep"),
        ("e/p/reports/My-Report--Vm11", "report"),
        ("https://wandb.ai/e/p/reports/My-Report--Vm11?accessToken=t", "report"),
    ],
)
def test_path_kind_reads_the_shape(path: str, kind: PathKind) -> None:
    assert path_kind(path) == kind


@pytest.mark.parametrize(
    "path", ["e/p/sweeps/s", "/e/p/sweeps/s/", "https://wandb.ai/e/p/sweeps/s/table?x=1"]
)
def test_sweep_paths(path: str) -> None:
    assert parse_sweep_path(path) == SweepPath("e", "p", "s")
    assert str(SweepPath("e", "p", "s")) == "e/p/sweeps/s"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("e/p/reports/My-Report--Vm11", ReportPath("e", "p", "Vm11", "My Report")),
        ("e/p/reports/Vm11", ReportPath("e", "p", "Vm11", "")),
        ("e/p/reports/A--B--Vm11", ReportPath("e", "p", "Vm11", "A  B")),
        (
            "https://wandb.ai/e/p/reports/Loss-%26-Accuracy--Vm11/edit?accessToken=t",
            ReportPath("e", "p", "Vm11", "Loss & Accuracy"),
        ),
    ],
)
def test_report_paths(path: str, expected: ReportPath) -> None:
    assert parse_report_path(path) == expected


@pytest.mark.parametrize(
    ("path", "parse", "form"),
    [
        ("e/p/sweeps", parse_sweep_path, "entity/project/sweeps/sweep_id"),
        ("e/p/sweeps/", parse_sweep_path, "entity/project/sweeps/sweep_id"),
        ("e/p/sweeps/s/x", parse_sweep_path, "entity/project/sweeps/sweep_id"),
        ("e/p/runs/s", parse_sweep_path, "entity/project/sweeps/sweep_id"),
        ("https://wandb.ai/e/p/sweeps", parse_sweep_path, "entity/project/sweeps/sweep_id"),
        ("e/p/reports/My-Report", parse_report_path, "Title--report_id"),
        ("e/p/reports/My-Report--", parse_report_path, "Title--report_id"),
        ("e/p/reports", parse_report_path, "Title--report_id"),
    ],
)
def test_malformed_sweep_and_report_paths_name_their_forms(
    path: str, parse: Callable[[str], object], form: str
) -> None:
    with pytest.raises(InvalidPathError, match=f"accepted forms: .*{form}"):
        parse(path)


def test_url_percent_encodes_parts() -> None:
    assert (
        RunPath("e", "My Project", "r").url("https://wandb.ai")
        == "https://wandb.ai/e/My%20Project/runs/r"
    )


names = st.text(
    alphabet=st.characters(
        blacklist_characters="/:;,#?'\\%", blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")
    ),
    min_size=1,
    max_size=12,
).filter(lambda name: name not in {"runs", "sweeps"})  # "e/p/runs" reads as a missing run id


@settings(max_examples=200, deadline=None)
@given(
    entity=names,
    project=names,
    run_id=names,
    form=st.sampled_from(["{e}/{p}/{r}", "{e}/{p}/runs/{r}", "{e}/{p}:{r}", "/{e}/{p}/{r}/"]),
)
def test_round_trip(entity: str, project: str, run_id: str, form: str) -> None:
    path = form.format(e=entity, p=project, r=run_id)
    assert parse(path) == RunPath(entity, project, run_id)
    assert parse(str(parse(path))) == parse(path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_anything_parses_or_raises_invalid_path(text: str) -> None:
    try:
        result = parse(text)
    except InvalidPathError:
        return
    assert all(result.entity and result.project and result.run_id for _ in [0])
    assert "/" not in result.run_id and ":" not in result.run_id
