"""A run's files: list, download, upload, delete."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._checks import check_count
from runsapi._constants import DEFAULT_DOWNLOAD_WORKERS, DEFAULT_PER_PAGE
from runsapi._content_cache import atomically_replaced
from runsapi._exceptions import NotFoundError, ResponseValidationError, UsageError
from runsapi._local_files import (
    absolute_url,
    md5_base64_of_path,
    safe_destination,
    safe_destinations,
    upload_headers,
    upload_name,
)
from runsapi._pages import Page, page_of
from runsapi._paths import RunPath
from runsapi._progress import progress_bar
from runsapi._results import run_of
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._async._gql import FileData
    from runsapi._async._session import AsyncSession


class AsyncFile:
    """One file of a run."""

    def __init__(
        self, session: AsyncSession, run: RunPath, data: FileData, *, project_id: int
    ) -> None:
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
        return self.md5 is None or md5_base64_of_path(path) == self.md5

    async def download(
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
        with atomically_replaced(path) as part:
            await self._session.gql.download_to(self.url, part)
            self._verify(part)
        return path

    def _verify(self, path: Path) -> None:
        size = path.stat().st_size
        if size != self.size:
            raise ResponseValidationError(
                f"downloaded {size} bytes of {self.name}, expected {self.size}",
                operation=None,
                error=None,
            )
        if self.md5 is not None and md5_base64_of_path(path) != self.md5:
            raise ResponseValidationError(
                f"the MD5 of the downloaded {self.name} does not match the server's",
                operation=None,
                error=None,
            )

    async def delete(self) -> None:
        """Delete the file from the run."""
        await self._session.gql.delete_files(files=[self.id], project_id=self._project_id)


class AsyncFiles(AsyncPaginator[AsyncFile]):
    """A run's files, loaded a page at a time; `len()` is the server's count."""

    def __init__(
        self,
        session: AsyncSession,
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
                AsyncFile(session, run, node, project_id=project_id) for node in nodes
            ],
            identity=lambda file: file.id,
            per_page=per_page,
            what="files",
        )

    async def _fetch(self, cursor: str | None, size: int) -> Page[FileData]:
        run = self._run
        result = await self._session.gql.run_files(
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

    async def download_all(
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
        files = await self.load_all()
        paths = safe_destinations(root, [file.name for file in files])
        with progress_bar(len(files), description="files", unit="file", enabled=progress) as bar:

            async def fetch(file: AsyncFile) -> None:
                if not file.is_downloaded(root):
                    await file.download(root, replace=True)
                bar.update(1)

            await _backend.run_all(fetch, files, max_workers=max_workers)
        return paths


async def upload_file(
    session: AsyncSession,
    run: RunPath,
    path: str | os.PathLike[str],
    root: str | os.PathLike[str] = ".",
    *,
    project_id: int,
) -> AsyncFile:
    """Upload `path` to the run: create the file, PUT its bytes, mark it uploaded."""
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"{source} is not a file")
    name = upload_name(source, root)
    gql = session.gql
    created = (
        await gql.create_run_files(run.entity, run.project, run.run_id, files=[name])
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
    url = absolute_url(session.settings.base_url, target.upload_url)
    await gql.upload(url, source.read_bytes(), upload_headers(created.upload_headers))
    await gql.mark_run_files_uploaded(run.entity, run.project, run.run_id, files=[name])
    found = await AsyncFiles(session, run, project_id=project_id, names=[name]).load_all()
    if not found:
        raise NotFoundError(f"uploaded {name}, but the run does not list it", path=str(run))
    return found[0]
