"""Local files: where a downloaded file may go, the name an uploaded one gets, and the
headers and URLs of uploads, the same for both layers."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from runsapi._exceptions import UnsafePathError
from runsapi._shared.manifest import md5_base64_of

# `C:x` is relative to drive C's current directory on Windows, wherever it appears.
_DRIVE = re.compile(r"[A-Za-z]:")


def safe_destination(root: str | os.PathLike[str], name: str) -> Path:
    """`root/name`, refusing a name that could land outside `root` on any platform.

    The name must be relative, `/`-separated, with no empty, `.` or `..` segment, no drive
    letter, backslash or NUL; and no symlink already under `root` may lead it outside.
    """
    parts = name.split("/")
    if (
        not name
        or name.startswith("~")
        or "\\" in name
        or "\0" in name
        or any(part in {"", ".", ".."} or _DRIVE.match(part) for part in parts)
    ):
        raise UnsafePathError(
            f"refusing to write file {name!r}: it could land outside {os.fspath(root)!r}; a "
            "file name must be relative and '/'-separated, with no empty, '.' or '..' part, "
            "drive letter, backslash or NUL"
        )
    path = Path(root, *parts)
    base = Path(root).resolve()
    try:
        inside = path.resolve().is_relative_to(base)
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise UnsafePathError(
            f"refusing to write file {name!r}: a symlink under {os.fspath(root)!r} leads outside it"
        )
    return path


def safe_destinations(root: str | os.PathLike[str], names: Sequence[str]) -> list[Path]:
    """`safe_destination` of every name, checked before anything is written, also
    refusing a name that another needs as a directory (`dir` and `dir/inner.txt`)."""
    paths = [safe_destination(root, name) for name in names]
    taken = set(names)
    for name in names:
        parts = name.split("/")
        for end in range(1, len(parts)):
            directory = "/".join(parts[:end])
            if directory in taken:
                raise UnsafePathError(
                    f"refusing to download {name!r} and {directory!r}: "
                    f"{directory!r} cannot be both a file and a directory"
                )
    return paths


def md5_base64_of_path(path: Path) -> str:
    with path.open("rb") as handle:
        return md5_base64_of(handle)


def upload_name(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """The name a file gets in the run: relative to `root`, with `..` parts made safe
    (`../x.txt` is stored as `__/x.txt`, as the official client does)."""
    relative = os.path.relpath(os.fspath(path), os.fspath(root))
    parts = [
        {"..": "__", ".": "_"}.get(part, part)
        for part in PurePosixPath(relative.replace(os.sep, "/")).parts
    ]
    return "/".join(part for part in parts if part != "/")


def absolute_url(base_url: str, url: str) -> str:
    """An upload or download URL the server gave, made absolute (it may give a path)."""
    return base_url + url if url.startswith("/") else url


def upload_headers(headers: Sequence[str]) -> dict[str, str]:
    """The headers W&B sends with an upload, from its `Name:Value` strings."""
    return dict(header.split(":", 1) for header in headers if ":" in header)
