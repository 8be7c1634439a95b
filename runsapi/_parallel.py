"""Waiting for a batch of concurrent jobs: stop at the first failure, raise it."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from typing import Any


def wait_all(futures: Sequence[Future[Any]]) -> None:
    """Wait until every job is done, or one failed: then cancel those not started and
    raise that failure (after the running ones finish, so none writes on unnoticed)."""
    _, pending = wait(futures, return_when=FIRST_EXCEPTION)
    for future in pending:
        future.cancel()
    wait(futures)
    for future in futures:
        if not future.cancelled():
            future.result()
