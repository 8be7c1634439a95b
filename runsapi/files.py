"""A run's files: list, download, upload, delete."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from runsapi._checks import check_count
from runsapi._constants import DEFAULT_DOWNLOAD_WORKERS, DEFAULT_PER_PAGE
from runsapi._exceptions import (
    NotFoundError,
    ResponseValidationError,
    UnsafePathError,
    UsageError,
)
from runsapi._pagination import Page, Paginator, page_of
from runsapi._paths import RunPath
from runsapi._progress import progress_bar
from runsapi._results import run_of
from runsapi._shared.manifest import md5_base64_of
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._gql import FileData
    from runsapi._session import Session


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


def _md5_base64(path: Path) -> str:
    with path.open("rb") as handle:
        return md5_base64_of(handle)


class File:
    """One file of a run."""

    def __init__(self, session: Session, run: RunPath, data: FileData, *, project_id: int) -> None:
        self._session = session
        self._run = run
        self._data = data
        self._project_id = project_id

    @property
    def id(self) -> str:
        return self._data.id

    @property
    def name(self) -> str:
        """The path of the file within the run, such as `media/images/x.png`."""
        return self._data.name

    @property
    def url(self) -> str | None:
        """Where to download it from."""
        return self._data.url

    @property
    def direct_url(self) -> str:
        """The storage URL (no API key needed when the server presigns it)."""
        return self._data.direct_url

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self._data.size_bytes

    @property
    def md5(self) -> str | None:
        """Base64-encoded MD5 of the content, when the server knows it."""
        return self._data.md_5

    @property
    def mimetype(self) -> str | None:
        return self._data.mimetype

    @property
    def updated_at(self) -> datetime | None:
        return as_utc(self._data.updated_at)

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.mimetype}) {self.size} bytes>"

    def is_downloaded(self, root: str | os.PathLike[str] = ".") -> bool:
        """Whether `root/name` exists with this file's size (and MD5, when known)."""
        path = safe_destination(root, self.name)
        if not path.is_file() or path.stat().st_size != self.size:
            return False
        return self.md5 is None or _md5_base64(path) == self.md5

    def download(
        self, root: str | os.PathLike[str] = ".", replace: bool = False, exist_ok: bool = False
    ) -> Path:
        """Download to `root/name` and return the path.

        Streams into a temporary file beside the target, checks its size (and MD5), then
        renames it into place: an interrupted download leaves no partial file. An
        existing file raises unless `replace` (download again) or `exist_ok` (keep it).
        """
        path = safe_destination(root, self.name)
        if path.exists() and not replace:
            if exist_ok:
                return path
            raise UsageError(f"{path} already exists; pass replace=True or exist_ok=True")
        if not self.url:
            raise NotFoundError(f"file {self.name} of run {self._run} has no URL")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".part"
        )
        try:
            with os.fdopen(handle, "wb") as sink:

                def write(chunks: Iterator[bytes]) -> None:
                    sink.seek(0)
                    sink.truncate()
                    for chunk in chunks:
                        sink.write(chunk)

                self._session.gql.download_stream(self.url, write)
            self._verify(Path(temporary))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def _verify(self, path: Path) -> None:
        size = path.stat().st_size
        if size != self.size:
            raise ResponseValidationError(
                f"downloaded {size} bytes of {self.name}, expected {self.size}",
                operation=None,
                error=None,
            )
        if self.md5 is not None and _md5_base64(path) != self.md5:
            raise ResponseValidationError(
                f"the MD5 of the downloaded {self.name} does not match the server's",
                operation=None,
                error=None,
            )

    def delete(self) -> None:
        """Delete the file from the run."""
        self._session.gql.delete_files(files=[self.id], project_id=self._project_id)


class Files(Paginator[File]):
    """A run's files, loaded a page at a time; `len()` is the server's count."""

    def __init__(
        self,
        session: Session,
        run: RunPath,
        *,
        project_id: int,
        names: Sequence[str] | None = None,
        pattern: str | None = None,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> None:
        if names is not None and pattern is not None:
            raise UsageError("pass names or pattern, not both")
        if isinstance(names, str):
            raise UsageError(f"names must be a list of file names, got {names!r}")
        self._session = session
        self._run = run
        self._names = list(names) if names is not None else None
        self._pattern = pattern
        super().__init__(
            fetch=self._fetch,
            convert=lambda nodes: [
                File(session, run, node, project_id=project_id) for node in nodes
            ],
            identity=lambda file: file.id,
            per_page=per_page,
            what="files",
        )

    def _fetch(self, cursor: str | None, size: int) -> Page[FileData]:
        run = self._run
        result = self._session.gql.run_files(
            run.entity,
            run.project,
            run.run_id,
            names=list(self._names) if self._names is not None else None,
            pattern=self._pattern,
            cursor=cursor,
            per_page=size,
        )
        node = run_of(result.project, str(run))
        # With names, the run's file count says nothing about how many match.
        return page_of(node.files, total=None if self._names is not None else node.file_count)

    def __repr__(self) -> str:
        return f"<Files {self._run}>"

    def download_all(
        self,
        root: str | os.PathLike[str] = ".",
        *,
        max_workers: int = DEFAULT_DOWNLOAD_WORKERS,
        progress: bool | None = None,
    ) -> list[Path]:
        """Download every file concurrently (at most `max_workers` at once), skipping files
        already present with the same size and MD5; returns their paths in listing order.
        One unsafe name (see `safe_destination`) refuses the whole batch before any write."""
        check_count(max_workers, "max_workers")
        files = list(self)
        paths = safe_destinations(root, [file.name for file in files])
        with (
            progress_bar(len(files), description="files", unit="file", enabled=progress) as bar,
            ThreadPoolExecutor(max_workers=max_workers) as pool,
        ):

            def fetch(file: File, path: Path) -> Path:
                if not file.is_downloaded(root):
                    file.download(root, replace=True)
                bar.update(1)
                return path

            return list(pool.map(fetch, files, paths))


def upload_name(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """The name a file gets in the run: relative to `root`, with `..` parts made safe
    (`../x.txt` is stored as `__/x.txt`, as the official client does)."""
    relative = os.path.relpath(os.fspath(path), os.fspath(root))
    parts = [
        {"..": "__", ".": "_"}.get(part, part)
        for part in PurePosixPath(relative.replace(os.sep, "/")).parts
    ]
    return "/".join(part for part in parts if part != "/")


def absolute_url(session: Session, url: str) -> str:
    """An upload or download URL the server gave, made absolute (it may give a path)."""
    return session.settings.base_url + url if url.startswith("/") else url


def upload_headers(headers: Sequence[str]) -> dict[str, str]:
    """The headers W&B sends with an upload, from its `Name:Value` strings."""
    return dict(header.split(":", 1) for header in headers if ":" in header)


def upload_file(
    session: Session,
    run: RunPath,
    path: str | os.PathLike[str],
    root: str | os.PathLike[str] = ".",
    *,
    project_id: int,
) -> File:
    """Upload `path` to the run: create the file, PUT its bytes, mark it uploaded."""
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"{source} is not a file")
    name = upload_name(source, root)
    gql = session.gql
    created = gql.create_run_files(
        run.entity, run.project, run.run_id, files=[name]
    ).create_run_files
    if created is None or not created.run_id or not created.files:
        raise NotFoundError(
            f"cannot upload to {run}: check that the run exists and you may write to it",
            path=str(run),
        )
    target = created.files[0]
    if not target.upload_url:
        raise ResponseValidationError(
            f"no upload URL for {name}", operation="CreateRunFiles", error=None
        )
    url = absolute_url(session, target.upload_url)
    gql.upload(url, source.read_bytes(), upload_headers(created.upload_headers))
    gql.mark_run_files_uploaded(run.entity, run.project, run.run_id, files=[name])
    found = list(Files(session, run, project_id=project_id, names=[name]))
    if not found:
        raise NotFoundError(f"uploaded {name}, but the run does not list it", path=str(run))
    return found[0]
