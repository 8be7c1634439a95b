"""A content-addressed cache of artifact files, laid out as the official client's.

Content lives at `<cache_dir>/artifacts/obj/md5/<hex[:2]>/<hex[2:]>`, so runsapi and
`wandb` share one cache. Entries are written whole (a temporary file renamed into place)
and only after their MD5 was checked, so a path that exists holds the content it names.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runsapi._shared.manifest import base64_to_hex


class ContentCache:
    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "artifacts" / "obj" / "md5"

    def path(self, digest: str) -> Path:
        """Where the content whose base64 MD5 is `digest` is kept."""
        hex_digest = base64_to_hex(digest)
        return self.root / hex_digest[:2] / hex_digest[2:]

    def get(self, digest: str, size: int | None) -> Path | None:
        """The cached file for `digest` (of `size` bytes, when known), or None."""
        path = self.path(digest)
        try:
            found = path.stat().st_size
        except OSError:
            return None
        return path if size is None or found == size else None


@contextmanager
def atomically_replaced(destination: Path) -> Iterator[Path]:
    """A temporary file beside `destination` for the block to fill (and check), renamed
    into place when the block ends without error: an interrupted or failed write never
    leaves a partial `destination`, and concurrent writers of one path are harmless."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
