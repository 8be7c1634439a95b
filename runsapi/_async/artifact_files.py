"""An artifact version's files: listing them and downloading them, verified and cached.

Every download follows one path (`_Fetcher.place`): a file already at its destination
with the manifest's MD5 is kept (so an interrupted download resumes where it stopped);
else the content comes from the shared cache (`_content_cache.py`) when it holds that
MD5, else from the server. Bytes are checked against the manifest before they are renamed
into place, so a destination is never partial and never silently wrong.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from runsapi._async import _backend
from runsapi._async._pagination import AsyncPaginator
from runsapi._checks import check_count
from runsapi._content_cache import ContentCache, atomically_replaced
from runsapi._exceptions import NotFoundError, ResponseValidationError, UsageError
from runsapi._local_files import safe_destination, safe_destinations
from runsapi._pages import Page, page_of
from runsapi._progress import progress_bar
from runsapi._shared.manifest import ManifestEntry, is_md5, load_manifest, md5_base64_of

if TYPE_CHECKING:
    from runsapi._async._gql import ArtifactFileData
    from runsapi._async._session import AsyncSession

# Files asked for in one request: the listing carries only names, sizes and URLs.
FILES_PER_PAGE = 1000


@dataclass(frozen=True)
class VersionAddress:
    """Which artifact version a file belongs to: its id and `collection:alias` in a project."""

    id: str
    entity: str
    project: str
    collection: str
    alias: str

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.collection}:{self.alias}"


class AsyncArtifactFile:
    """One stored file of an artifact version."""

    def __init__(
        self, session: AsyncSession, version: VersionAddress, data: ArtifactFileData
    ) -> None:
        self._session = session
        self._version = version
        self._data = data

    @property
    def name(self) -> str:
        """The file's path inside the artifact, such as `data/train.csv`."""
        return self._data.name

    @property
    def size(self) -> int:
        return self._data.size_bytes

    @property
    def digest(self) -> str | None:
        """Base64 MD5 of the content."""
        return self._data.md_5

    @property
    def url(self) -> str:
        """Where the server lets the content be downloaded from (signed, time-limited)."""
        return self._data.direct_url

    @property
    def mimetype(self) -> str | None:
        return self._data.mimetype

    def __repr__(self) -> str:
        return f"<ArtifactFile {self.name} of {self._version} ({self.size} bytes)>"

    async def download(
        self,
        root: str | os.PathLike[str] = ".",
        replace: bool = False,
        exist_ok: bool = False,
        *,
        skip_cache: bool = False,
    ) -> Path:
        """Download to `root/name` (through the shared cache unless `skip_cache`) and
        return the path. An existing file raises unless `replace` or `exist_ok`."""
        path = safe_destination(root, self.name)
        if path.exists() and not replace:
            if exist_ok:
                return path
            raise UsageError(f"{path} already exists; pass replace=True or exist_ok=True")
        if self.digest is None:
            raise ResponseValidationError(
                f"the server gave no MD5 for {self.name} of {self._version}",
                operation="ArtifactFiles",
                error=None,
            )
        entry = ManifestEntry(self.name, self.digest, self.size)
        await _Fetcher(self._session, None if skip_cache else _cache(self._session)).place(
            entry, self.url, path
        )
        return path


def list_files(
    session: AsyncSession,
    version: VersionAddress,
    *,
    names: Sequence[str] | None = None,
    per_page: int = FILES_PER_PAGE,
) -> AsyncPaginator[AsyncArtifactFile]:
    """A version's stored files in path order (only `names`, when given)."""
    if isinstance(names, str):
        raise UsageError(f"names must be a list of file names, got {names!r}")
    wanted = list(names) if names is not None else None

    async def fetch(cursor: str | None, size: int) -> Page[ArtifactFileData]:
        found = (
            await session.gql.artifact_files(
                entity=version.entity,
                project=version.project,
                collection=version.collection,
                alias=version.alias,
                names=list(wanted) if wanted is not None else None,
                cursor=cursor,
                per_page=size,
            )
        ).project
        collection = found.artifact_collection if found else None
        membership = collection.artifact_membership if collection else None
        if membership is None:
            raise NotFoundError(f"artifact {version} not found", path=str(version))
        listed = membership.files
        return page_of(listed, total=listed.total_count if listed else 0)

    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncArtifactFile(session, version, node) for node in nodes],
        identity=lambda file: file.name,
        per_page=per_page,
        what="artifact files",
    )


async def download_version(
    session: AsyncSession,
    version: VersionAddress,
    root: Path,
    *,
    path_prefix: str | None,
    skip_cache: bool,
    allow_missing_references: bool,
    max_workers: int,
    progress: bool | None,
) -> Path:
    """Download the entries of a version's manifest (those under `path_prefix`) into
    `root`, at most `max_workers` at once. Every destination is checked (see
    `safe_destination`) and every reference's scheme too, before anything is written."""
    check_count(max_workers, "max_workers")
    entries = [
        entry
        for entry in await _manifest(session, version)
        if path_prefix is None or entry.path.startswith(path_prefix)
    ]
    skipped = [entry for entry in entries if entry.is_reference and not _fetchable(entry)]
    if skipped and not allow_missing_references:
        raise UsageError(
            f"{version} references {skipped[0].ref!r}"
            + (f" and {len(skipped) - 1} more" if len(skipped) > 1 else "")
            + ": runsapi downloads file://, http:// and https:// references only;"
            " pass allow_missing_references=True to skip the others"
        )
    entries = [entry for entry in entries if entry not in skipped]
    destinations = safe_destinations(root, [entry.path for entry in entries])
    urls = (
        {file.name: file.url for file in await list_files(session, version).load_all()}
        if any(not entry.is_reference for entry in entries)
        else {}
    )
    fetcher = _Fetcher(session, None if skip_cache else _cache(session))
    with progress_bar(len(entries), description=str(version), unit="file", enabled=progress) as bar:

        async def place(job: tuple[ManifestEntry, Path]) -> None:
            entry, destination = job
            url = entry.ref if entry.is_reference else urls.get(entry.path)
            if url is None:
                raise ResponseValidationError(
                    f"the server listed no file {entry.path!r} of {version}, which its"
                    " manifest names",
                    operation="ArtifactFiles",
                    error=None,
                )
            await fetcher.place(entry, url, destination)
            bar.update(1)

        jobs = list(zip(entries, destinations, strict=True))
        await _backend.run_all(place, jobs, max_workers=max_workers)
    return root


async def _manifest(session: AsyncSession, version: VersionAddress) -> list[ManifestEntry]:
    found = (await session.gql.artifact_manifest_url(id=version.id)).artifact
    manifest = found.current_manifest if found else None
    if manifest is None:
        raise NotFoundError(f"artifact {version} has no manifest", path=str(version))
    try:
        return load_manifest(await session.gql.download(manifest.file.direct_url))
    except ValueError as exc:
        raise ResponseValidationError(
            f"the manifest of {version} is unusable: {exc}", operation=None, error=None
        ) from exc


def _cache(session: AsyncSession) -> ContentCache:
    return ContentCache(session.settings.cache_dir)


def _fetchable(entry: ManifestEntry) -> bool:
    return urlsplit(entry.ref or "").scheme in {"file", "http", "https"}


class _Fetcher:
    """Places manifest entries at destinations (see the module docstring)."""

    def __init__(self, session: AsyncSession, cache: ContentCache | None) -> None:
        self._session = session
        self._cache = cache

    async def place(self, entry: ManifestEntry, url: str, destination: Path) -> None:
        if entry.is_reference:
            await self._place_reference(entry, url, destination)
            return
        if _holds(destination, entry):
            return
        cache = self._cache
        if cache is None:
            with atomically_replaced(destination) as part:
                await self._fetch_checked(url, entry, part)
            return
        hit = cache.get(entry.digest, entry.size)
        if hit is not None and self._copy_checked(hit, entry, destination):
            return
        stored = cache.path(entry.digest)
        with atomically_replaced(stored) as part:
            await self._fetch_checked(url, entry, part)
        with atomically_replaced(destination) as part:
            shutil.copyfile(stored, part)

    async def _place_reference(self, entry: ManifestEntry, url: str, destination: Path) -> None:
        parts = urlsplit(url)
        with atomically_replaced(destination) as part:
            if parts.scheme != "file":
                await self._session.gql.download_to(url, part)
            elif is_md5(entry.digest):  # checksummed when added: hold it to that
                _copy_verified(Path(unquote(parts.path)), entry, part)
            else:
                shutil.copyfile(Path(unquote(parts.path)), part)

    def _copy_checked(self, source: Path, entry: ManifestEntry, destination: Path) -> bool:
        """Copy a cache entry into place; False (and the entry dropped) if it is corrupt."""
        try:
            with atomically_replaced(destination) as part:
                _copy_verified(source, entry, part)
        except ResponseValidationError:
            source.unlink(missing_ok=True)
            return False
        return True

    async def _fetch_checked(self, url: str, entry: ManifestEntry, part: Path) -> None:
        await self._session.gql.download_to(url, part)
        _verify(part, entry)


def _copy_verified(source: Path, entry: ManifestEntry, part: Path) -> None:
    shutil.copyfile(source, part)
    _verify(part, entry)


def _holds(path: Path, entry: ManifestEntry) -> bool:
    """Whether `path` already has the entry's content."""
    try:
        if not path.is_file() or (entry.size is not None and path.stat().st_size != entry.size):
            return False
        with path.open("rb") as handle:
            return md5_base64_of(handle) == entry.digest
    except OSError:
        return False


def _verify(path: Path, entry: ManifestEntry) -> None:
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        raise ResponseValidationError(
            f"got {size} bytes of {entry.path}, its manifest says {entry.size}",
            operation=None,
            error=None,
        )
    with path.open("rb") as handle:
        digest = md5_base64_of(handle)
    if digest != entry.digest:
        raise ResponseValidationError(
            f"the content of {entry.path} does not match its manifest: MD5 {digest},"
            f" expected {entry.digest}",
            operation=None,
            error=None,
        )
