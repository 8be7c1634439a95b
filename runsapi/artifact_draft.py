"""A new artifact, assembled locally and then logged by `Run.log_artifact`.

Each file is hashed when it is added (its manifest digest is the base64 MD5 of its bytes),
and hashed again as it is uploaded: a file changed in between is refused, not uploaded
under a digest it no longer has.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, Literal, overload
from urllib.parse import unquote, urlsplit

from runsapi._exceptions import UsageError
from runsapi._local_files import safe_destination
from runsapi._shared.artifact_names import check_collection_name, check_type_name
from runsapi._shared.manifest import ManifestEntry, artifact_digest, md5_base64_of


def checked(check: Callable[[str], str], value: object, what: str) -> str:
    """`value` if it is a string `check` accepts (a rule of _shared/artifact_names.py),
    else UsageError with the rule's message."""
    if not isinstance(value, str):
        raise UsageError(f"{what} must be a string, got {value!r}")
    try:
        return check(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def check_entry_name(name: str) -> str:
    """`name` if it can be a path inside an artifact (relative, `/`-separated, no `..`)."""
    safe_destination(".", name)
    return name


class ArtifactDraft:
    """A new artifact version: its name, type, description, metadata and entries.

    ```python
    draft = ArtifactDraft("mnist", type="dataset", metadata={"rows": 70_000})
    draft.add_dir("data/mnist", name="raw")
    with draft.new_file("README.md") as readme:
        readme.write("MNIST, as downloaded on ...")
    artifact = run.log_artifact(draft, aliases=["best"])
    ```
    """

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = checked(check_collection_name, name, "an artifact name")
        self.type = checked(check_type_name, type, "an artifact type")
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._entries: dict[str, ManifestEntry] = {}
        self._sources: dict[str, Path] = {}
        self._staging: tempfile.TemporaryDirectory[str] | None = None

    def __repr__(self) -> str:
        return f"<ArtifactDraft {self.name} ({self.type}), {len(self._entries)} entries>"

    @property
    def entries(self) -> list[ManifestEntry]:
        """The manifest entries so far, in path order."""
        return [self._entries[path] for path in sorted(self._entries)]

    @property
    def digest(self) -> str:
        """The digest the version will have (W&B's manifest digest)."""
        return artifact_digest({path: entry.digest for path, entry in self._entries.items()})

    @property
    def size(self) -> int:
        """Bytes of the files added (references not counted)."""
        return sum(entry.size or 0 for entry in self._entries.values() if not entry.is_reference)

    def source(self, path: str) -> Path:
        """The local file behind the entry `path`."""
        return self._sources[path]

    def add_file(
        self, local_path: str | os.PathLike[str], name: str | None = None, overwrite: bool = False
    ) -> ManifestEntry:
        """Add a local file as `name` (default: its file name)."""
        source = Path(local_path)
        if not source.is_file():
            raise UsageError(f"{source} is not a file")
        with source.open("rb") as handle:
            digest = md5_base64_of(handle)
        entry = ManifestEntry(name or source.name, digest, source.stat().st_size)
        self._add(entry, overwrite)
        self._sources[entry.path] = source
        return entry

    def add_dir(
        self, local_path: str | os.PathLike[str], name: str | None = None
    ) -> list[ManifestEntry]:
        """Add every file under a local directory, as `name/<relative path>` (default:
        at the artifact's root), in path order."""
        root = Path(local_path)
        if not root.is_dir():
            raise UsageError(f"{root} is not a directory")
        files = sorted(path for path in root.rglob("*") if path.is_file())
        prefix = f"{name.strip('/')}/" if name else ""
        return [self.add_file(path, prefix + path.relative_to(root).as_posix()) for path in files]

    def add_reference(
        self, uri: str, name: str | None = None, checksum: bool = True
    ) -> ManifestEntry:
        """Record a URI without uploading its content.

        A `file://` reference is hashed now (unless `checksum` is False) and its size
        recorded; any other URI (`https://`, `s3://`, ...) is recorded with the URI as its
        digest, as W&B records a reference it does not checksum.
        """
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise UsageError(f"invalid reference {uri!r}: expected a URI such as s3://bucket/key")
        default_name = unquote(parts.path).rstrip("/").rsplit("/", 1)[-1]
        entry_name = name or default_name
        if not entry_name:
            raise UsageError(f"reference {uri!r} needs a name: pass name=")
        if parts.scheme == "file" and checksum:
            source = Path(unquote(parts.path))
            if not source.is_file():
                raise UsageError(f"reference {uri!r}: {source} is not a file")
            with source.open("rb") as handle:
                digest = md5_base64_of(handle)
            entry = ManifestEntry(entry_name, digest, source.stat().st_size, ref=uri)
        else:
            entry = ManifestEntry(entry_name, uri, ref=uri)
        self._add(entry, overwrite=False)
        return entry

    @overload
    def new_file(
        self, name: str, mode: Literal["w"] = "w", encoding: str | None = None
    ) -> AbstractContextManager[IO[str]]: ...
    @overload
    def new_file(
        self, name: str, mode: Literal["wb"], encoding: None = None
    ) -> AbstractContextManager[IO[bytes]]: ...
    def new_file(
        self, name: str, mode: Literal["w", "wb"] = "w", encoding: str | None = None
    ) -> AbstractContextManager[IO[str]] | AbstractContextManager[IO[bytes]]:
        """A new file to write in a `with` block; it is added as `name` when the block ends
        without an error."""
        check_entry_name(name)
        if name in self._entries:
            raise UsageError(f"{name!r} is already in {self.name}")
        if self._staging is None:
            self._staging = tempfile.TemporaryDirectory(prefix="runsapi-artifact-")
        path = Path(self._staging.name, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return self._written(path, name, mode, None if mode == "wb" else encoding or "utf-8")

    @contextmanager
    def _written(self, path: Path, name: str, mode: str, encoding: str | None) -> Iterator[IO[Any]]:
        with path.open(mode, encoding=encoding) as handle:
            yield handle
        self.add_file(path, name)

    def remove(self, name: str) -> None:
        """Remove the entry `name`."""
        if name not in self._entries:
            raise UsageError(f"{name!r} is not in {self.name}")
        del self._entries[name]
        self._sources.pop(name, None)

    def _add(self, entry: ManifestEntry, overwrite: bool) -> None:
        check_entry_name(entry.path)
        if entry.path in self._entries and not overwrite:
            raise UsageError(
                f"{entry.path!r} is already in {self.name}; pass overwrite=True to replace it"
            )
        self._entries[entry.path] = entry
