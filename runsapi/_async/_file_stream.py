"""Writing a run's history and summary as wandb-core does, through W&B's run stream
(runsapi/_shared/file_stream.py): the public GraphQL API has no way to append history.

History goes out in chunks of JSON lines at their offsets, so a chunk sent again after a
lost answer is not stored twice; the last POST carries the summary and `complete` with
the exit code, which finishes the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from runsapi._json import encode
from runsapi._shared.file_stream import FILE_STREAM, HISTORY_FILE, SUMMARY_FILE

if TYPE_CHECKING:
    from runsapi._async._session import AsyncSession
    from runsapi._paths import RunPath

MAX_CHUNK_BYTES = 4 * 1024 * 1024
"""History bytes per POST (wandb-core sends up to about 10 MiB)."""


def _stream_url(base_url: str, run: RunPath) -> str:
    parts = "/".join(quote(part, safe="") for part in (run.entity, run.project, run.run_id))
    return f"{base_url}/files/{parts}/{FILE_STREAM}"


def _chunks(lines: Sequence[str], max_bytes: int) -> Iterator[list[str]]:
    """Consecutive runs of lines of at most `max_bytes` (a longer line goes alone)."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode())
        if chunk and size + length > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield chunk


async def finish_run(
    session: AsyncSession,
    run: RunPath,
    history: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    history_offset: int,
    exit_code: int = 0,
) -> None:
    """Append `history` (rows with increasing `_step`, above the run's last) to the run
    `run`, which has `history_offset` rows already; set its summary; finish it with
    `exit_code` (0: "finished", else "failed")."""
    url = _stream_url(session.settings.base_url, run)
    offset = history_offset
    for chunk in _chunks([encode(row) for row in history], MAX_CHUNK_BYTES):
        await _post(session, url, {"files": {HISTORY_FILE: {"offset": offset, "content": chunk}}})
        offset += len(chunk)
    await _post(
        session,
        url,
        {
            "files": {SUMMARY_FILE: {"offset": 0, "content": [encode(summary)]}},
            "complete": True,
            "exitcode": exit_code,
        },
    )


async def _post(session: AsyncSession, url: str, body: Mapping[str, Any]) -> None:
    """One POST, retried as any request (the offsets make that safe)."""
    await session.gql.post_run_stream(url, encode(body).encode())
