"""scripts/generate.py replaces generated/ only after a complete, successful run.

Each test works on a temporary copy of the repository's generator inputs and of generated/
(never on the repository itself). The ones that run the generator, ariadne-codegen, need the
`codegen` extra and are skipped without it.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import generate  # noqa: E402

FRAGMENTS = Path("queries/fragments.graphql")
RUN_DISPLAY_NAME = "  projectId: Int!\n  displayName: String\n"
needs_codegen = pytest.mark.skipif(
    find_spec("ariadne_codegen") is None,
    reason="runs the generator: needs the codegen extra (CI stage 4 installs it and runs these)",
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what generate.py reads and writes."""
    generate.copy_inputs(ROOT, tmp_path)
    shutil.copytree(ROOT / generate.OUTPUT, tmp_path / generate.OUTPUT)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file and directory under `root`, with the bytes of the files."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else b"<dir>"
        for path in sorted(root.rglob("*"))
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The first line of `path` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_removed_field_is_named_by_file_line_and_column_and_nothing_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo / "schema.graphql", RUN_DISPLAY_NAME, "  projectId: Int!\n")
    before = snapshot(repo)
    with pytest.raises(SystemExit) as exit_info:
        generate.regenerate(repo)
    assert exit_info.value.code == "1 error(s) in queries/; generated/ left as it was"
    line = line_of(repo / FRAGMENTS, "  displayName")
    assert capsys.readouterr().err == (
        f"{FRAGMENTS.as_posix()}:{line}:3: Cannot query field 'displayName' on type 'Run'.\n"
    )
    assert snapshot(repo) == before


def test_every_invalid_operation_is_reported_in_its_own_file(repo: Path) -> None:
    edit(repo / "schema.graphql", RUN_DISPLAY_NAME, "  projectId: Int!\n")
    edit(repo / "queries/viewer.graphql", "    entity\n", "    entity\n    shoeSize\n")
    line = line_of(repo / "queries/viewer.graphql", "shoeSize")
    problems = generate.invalid_operations(repo)
    assert problems == [
        f"queries/fragments.graphql:{line_of(repo / FRAGMENTS, '  displayName')}:3: "
        "Cannot query field 'displayName' on type 'Run'.",
        f"queries/viewer.graphql:{line}:5: Cannot query field 'shoeSize' on type 'User'.",
    ]


def test_a_syntax_error_is_reported_with_its_place(repo: Path) -> None:
    (repo / "queries/broken.graphql").write_text(
        "query Broken {\n  viewer {\n    id(\n  }\n}\n", encoding="utf-8"
    )
    (problem,) = generate.invalid_operations(repo)
    assert re.fullmatch(r"queries/broken\.graphql:4:3: Syntax Error: .+", problem)


def test_the_committed_operations_are_valid() -> None:
    assert generate.invalid_operations(ROOT) == []


@needs_codegen
def test_a_generator_failure_leaves_the_tree_as_it_was(
    repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Valid operations, but a setting the generator cannot satisfy.
    (repo / "scripts/codegen/async_base_client.py").unlink()
    before = snapshot(repo)
    with pytest.raises(SystemExit) as exit_info:
        generate.regenerate(repo)
    assert str(exit_info.value.code).startswith("ariadne-codegen failed with exit code ")
    assert str(exit_info.value.code).endswith("; generated/ left as it was")
    assert "async_base_client.py" in capfd.readouterr().err  # from the generator
    assert snapshot(repo) == before


def light_run_model(package: Path) -> str:
    """The source of the generated model of LightRunFragment."""
    module = (package / "fragments.py").read_text(encoding="utf-8")
    return module.split("\nclass LightRunFragment(")[1].split("\nclass ")[0]


@needs_codegen
def test_a_successful_run_replaces_generated_and_leaves_nothing_else(repo: Path) -> None:
    edit(repo / FRAGMENTS, "  heartbeatAt\n", "  heartbeatAt\n  updatedAt\n")
    package = repo / generate.OUTPUT / "runsapi_generated"
    stale = package / "stale.py"
    stale.write_text("# from a deleted operation\n", encoding="utf-8")
    assert "updated_at:" not in light_run_model(package)
    entries = sorted(path.name for path in repo.iterdir())

    generate.regenerate(repo)

    assert "updated_at:" in light_run_model(package)
    assert not stale.exists()
    assert (package / "client.py").is_file()  # the sync twin of async_client.py
    assert sorted(path.name for path in repo.iterdir()) == entries


def test_a_failed_swap_puts_the_old_tree_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, fresh = tmp_path / "generated", tmp_path / "fresh"
    (target / "pkg").mkdir(parents=True)
    (target / "pkg/old.py").write_text("old\n", encoding="utf-8")
    (fresh / "pkg").mkdir(parents=True)
    (fresh / "pkg/new.py").write_text("new\n", encoding="utf-8")
    before = snapshot(tmp_path)
    rename = Path.rename

    def fail_to_put_the_new_tree_in_place(self: Path, destination: Path) -> Path:
        if self.name == "new":
            raise OSError("disk full")
        return rename(self, destination)

    monkeypatch.setattr(Path, "rename", fail_to_put_the_new_tree_in_place)
    with pytest.raises(OSError, match="disk full"):
        generate.swap(target, fresh)
    assert snapshot(tmp_path) == before
