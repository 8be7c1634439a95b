"""Where downloads may write: only under the target directory, on every platform."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runsapi import UnsafePathError, UsageError
from runsapi._sync.files import safe_destination, safe_destinations


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "//server/share/x",
        "../escape.txt",
        "a/../../b",
        "a/..",
        ".",
        "./x",
        "a/./b",
        "a//b",
        "dir/",
        "~/x",
        "D:evil",
        "C:\\x",
        "a/c:x",
        "a\\..\\..\\b",
        "a\\b",
        "x\0.txt",
    ],
)
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsafePathError, match="outside"):
        safe_destination(tmp_path, name)


@pytest.mark.parametrize(
    "name", ["a.txt", "media/images/x.png", "..hidden", "a..b/c", "file:stream", "a/~x", "a/b~"]
)
def test_ordinary_names_are_kept(tmp_path: Path, name: str) -> None:
    assert safe_destination(tmp_path, name) == tmp_path.joinpath(*name.split("/"))


def test_the_error_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        safe_destination(tmp_path, "../x")


def test_a_symlinked_directory_leading_outside_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_destination(root, "link/x.txt")
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_destination(root, "link/deeper/x.txt")


def test_a_symlinked_file_leading_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "x.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_destination(root, "x.txt")


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UnsafePathError):
        safe_destination(tmp_path, "a/x.txt")


def test_symlinks_that_stay_inside_are_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    assert safe_destination(tmp_path, "alias/x.txt") == tmp_path / "alias" / "x.txt"


def test_a_symlinked_root_is_the_users_choice(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "real", target_is_directory=True)
    assert safe_destination(tmp_path / "root", "x.txt") == tmp_path / "root" / "x.txt"


@pytest.mark.parametrize(
    "names",
    [
        ["dir", "dir/inner.txt"],
        ["dir/inner.txt", "dir"],
        ["a/b/c.txt", "x.txt", "a/b"],
        ["ok.txt", "../escape.txt"],
    ],
)
def test_a_batch_is_refused_whole(tmp_path: Path, names: list[str]) -> None:
    with pytest.raises(UnsafePathError):
        safe_destinations(tmp_path, names)
    assert os.listdir(tmp_path) == []


def test_a_batch_of_siblings_and_prefixes_that_are_not_directories_passes(tmp_path: Path) -> None:
    names = ["dir/a.txt", "dir/b.txt", "dirt", "dir.txt", "di/r"]
    assert safe_destinations(tmp_path, names) == [tmp_path.joinpath(*n.split("/")) for n in names]
