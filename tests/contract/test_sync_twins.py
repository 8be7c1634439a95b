"""The sync layer and the sync behaviour tests are scripts/unasync.py's output, fresh."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import unasync  # noqa: E402


def test_the_sync_twins_are_fresh() -> None:
    problems = unasync.stale(ROOT)
    assert not problems, "".join(problems) + "\nrun `python scripts/unasync.py`"


def test_the_rewriting_turns_async_into_sync() -> None:
    source = (
        "from runsapi._async import _backend\n"
        "class AsyncRuns(AsyncPaginator[AsyncRun]):\n"
        "    async def len(self) -> int:\n"
        "        async with self._lock:\n"
        "            return len(await self.load_all())\n"
        "    # sync: def __len__(self) -> int:\n"
        "    # sync:     return self.len()\n"
        "    async def aclose(self) -> None:  # async-only\n"
        "    def f(self) -> Awaitable[None]: ...\n"
        "    def __aiter__(self) -> AsyncIterator[AsyncRun]: ...\n"
        "    async def __anext__(self) -> AsyncRun:\n"
        "        raise StopAsyncIteration\n"
    )
    assert unasync.unasync_text(source) == (
        "from runsapi._sync import _backend\n"
        "class Runs(Paginator[Run]):\n"
        "    def len(self) -> int:\n"
        "        with self._lock:\n"
        "            return len(self.load_all())\n"
        "    def __len__(self) -> int:\n"
        "        return self.len()\n"
        "    def f(self) -> None: ...\n"
        "    def __iter__(self) -> Iterator[Run]: ...\n"
        "    def __next__(self) -> Run:\n"
        "        raise StopIteration\n"
    )
