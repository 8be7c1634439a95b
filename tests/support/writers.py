"""The lost-update workload: writers on several Api objects change one run at once.

Each of `threads` threads (started together by a barrier) runs `iterations` times: read
the run, set a summary key and a config key no other thread touches, delete a summary key
and a config key that only it deletes, save. Every change must survive, so the number of
changes missing at the end is the number lost. The writers use only what runsapi and the
official client share (`api.run`, `run.summary`, `run.config`, `run.update()`), so that
scripts/bench_lost_updates.py runs both on the same workload.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from runsapi._sync.api import Api


@dataclass(frozen=True)
class Workload:
    threads: int = 8
    iterations: int = 25

    @property
    def changes(self) -> int:
        """Changes made in all: a set and a deletion in both summary and config, per step."""
        return 4 * self.threads * self.iterations

    def _steps(self) -> list[tuple[int, int]]:
        return [(t, i) for t in range(self.threads) for i in range(self.iterations)]

    def prepare(self, api: Api, path: str) -> None:
        """Give the run the keys the writers will delete."""
        run = api.run(path)
        for t, i in self._steps():
            run.summary[f"gone{t}_{i}"] = run.config[f"gone{t}_{i}"] = -1
        run.update()

    def write(self, apis: Sequence[Any], path: str) -> None:
        """Run the writers; thread t writes through `apis[t % len(apis)]`."""
        barrier = threading.Barrier(self.threads)

        def writer(t: int) -> None:
            api = apis[t % len(apis)]
            barrier.wait()
            for i in range(self.iterations):
                run = api.run(path)
                run.summary[f"set{t}_{i}"] = run.config[f"set{t}_{i}"] = i
                if f"gone{t}_{i}" in run.summary:
                    del run.summary[f"gone{t}_{i}"]
                run.config.pop(f"gone{t}_{i}", None)
                run.update()

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            list(pool.map(writer, range(self.threads)))  # raises what a writer raised

    def lost(self, api: Api, path: str) -> int:
        """Changes missing from the run as stored: sets not there, deletions undone."""
        run = api.run(path)
        summary, config = run.summary.to_dict(), run.config.to_dict()
        missing = 0
        for t, i in self._steps():
            for stored in (summary, config):
                missing += stored.get(f"set{t}_{i}") != i
                missing += f"gone{t}_{i}" in stored
        return missing
