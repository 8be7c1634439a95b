"""A run's parquet history exports: what the server has (`Run.parquetHistory`), their
download (`Run.download_history_exports`), and their copies in the cache, which
`Run.scan_history` reads (runsapi/_export_scan.py).

The server answers `parquetHistory(liveKeys)` with signed URLs of the export files, in
step order, and `liveData`, the rows not exported yet: the files hold every step before
the first live one. Files are downloaded concurrently (at most DEFAULT_DOWNLOAD_WORKERS
at once, the threads gone on return) into a temporary file renamed into place once its
parquet framing is checked, so a cut download is never kept.

The cache is `<cache dir>/runhistory/` (`$WANDB_CACHE_DIR`, else `~/.cache/wandb`); a file
is named as the official client names it plus a digest of its URL without the signature,
so that a run exported again (its history grew) never reads a stale copy.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from runsapi._async import _backend
from runsapi._constants import DEFAULT_DOWNLOAD_WORKERS
from runsapi._content_cache import atomically_replaced
from runsapi._exceptions import IncompleteRunHistoryError, ResponseValidationError, UsageError
from runsapi._local_files import safe_destinations
from runsapi._paths import RunPath
from runsapi._results import run_of

if TYPE_CHECKING:
    from runsapi._async._session import AsyncSession

_LIVE_KEYS = ["_step"]
_PARQUET_MAGIC = b"PAR1"
_CACHE_SUBDIR = "runhistory"


@dataclass(frozen=True)
class AsyncDownloadHistoryResult:
    """What `Run.download_history_exports` downloaded.

    Attributes:
        paths: The export files, in step order.
        contains_live_data: Whether the run has rows not exported yet (not in `paths`).
        errors: Always empty: a download that fails raises (after the client's retries)
            rather than being listed here, as the official client lists it.
    """

    paths: list[Path]
    contains_live_data: bool
    errors: dict[Path, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AsyncExports:
    """A run's `parquetHistory`: its export files and its rows not exported."""

    urls: list[str]
    live_rows: int
    first_live_step: int | None  # None when every row is exported

    def cover(self, stop: int | None) -> bool:
        """Whether the files hold every row before step `stop` (None: every row)."""
        if self.first_live_step is None:
            return True
        return stop is not None and stop <= self.first_live_step


async def run_exports(session: AsyncSession, run: RunPath) -> AsyncExports:
    """The run's exports, asked anew (the URLs are signed for a while only)."""
    result = await session.gql.run_parquet_history(
        run.entity, run.project, run.run_id, live_keys=_LIVE_KEYS
    )
    history = run_of(result.project, str(run)).parquet_history
    live = history.live_data or []
    steps = [
        int(item["_step"])
        for item in live
        if isinstance(item, dict) and isinstance(item.get("_step"), (int, float))
    ]
    first_live = min(steps) if steps else (0 if live else None)
    return AsyncExports(list(history.parquet_urls), len(live), first_live)


def export_name(run: RunPath, index: int) -> str:
    """The official client's name of a run's export file."""
    return f"{run.entity}_{run.project}_{run.run_id}_{index}.runhistory.parquet"


async def cached_exports(
    session: AsyncSession, run: RunPath, urls: Sequence[str], *, use_cache: bool
) -> list[Path]:
    """The export files in the cache, those missing (all, if not `use_cache`) downloaded."""
    names = []
    for index, url in enumerate(urls):
        address = urlsplit(url)
        digest = hashlib.sha256(f"{address.netloc}{address.path}".encode()).hexdigest()[:16]
        names.append(export_name(run, index).replace(".runhistory.", f".{digest}.runhistory."))
    paths = safe_destinations(session.settings.cache_dir / _CACHE_SUBDIR, names)
    missing = [(url, path) for url, path in zip(urls, paths, strict=True)]
    if use_cache:
        missing = [(url, path) for url, path in missing if not path.is_file()]
    await _download_all(session, missing)
    return paths


async def download_history_exports(
    session: AsyncSession,
    run: RunPath,
    download_dir: str | os.PathLike[str],
    require_complete_history: bool,
) -> AsyncDownloadHistoryResult:
    """Download the run's export files to `download_dir`, named as the official client
    names them. IncompleteRunHistoryError, before any download, if the run has rows not
    exported and `require_complete_history`."""
    if not isinstance(download_dir, (str, os.PathLike)):
        raise UsageError(f"download_dir must be a path (str or os.PathLike), got {download_dir!r}")
    if not isinstance(require_complete_history, bool):
        raise UsageError(
            f"require_complete_history must be True or False, got {require_complete_history!r}"
        )
    exports = await run_exports(session, run)
    if exports.live_rows and require_complete_history:
        raise IncompleteRunHistoryError(
            f"run {run} has {exports.live_rows} history rows not exported to parquet yet"
            f" (from step {exports.first_live_step}); pass require_complete_history=False"
            " to download the exported ones"
        )
    paths = safe_destinations(
        download_dir, [export_name(run, index) for index in range(len(exports.urls))]
    )
    await _download_all(session, list(zip(exports.urls, paths, strict=True)))
    return AsyncDownloadHistoryResult(paths, contains_live_data=exports.live_rows > 0)


async def _download_all(session: AsyncSession, files: list[tuple[str, Path]]) -> None:
    """Download each (url, path), concurrently; the first failure is raised."""

    async def download(job: tuple[str, Path]) -> None:
        url, destination = job
        # Replaced whole once the file proved to be parquet.
        with atomically_replaced(destination) as part:
            await session.gql.download_to(url, part)
            _check_parquet(part, url)

    await _backend.run_all(download, files, max_workers=DEFAULT_DOWNLOAD_WORKERS)


def _check_parquet(path: Path, url: str) -> None:
    """A parquet file starts and ends with its magic bytes: a cut download does not."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(len(_PARQUET_MAGIC))
        handle.seek(max(size - len(_PARQUET_MAGIC), 0))
        tail = handle.read()
    if size < 2 * len(_PARQUET_MAGIC) or head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
        raise ResponseValidationError(
            f"the history export at {urlsplit(url).path} is not a whole parquet file"
            f" ({size} bytes)",
            operation=None,
            error=None,
        )
