"""Deterministic down-sampling: evenly spaced, first and last kept."""

from __future__ import annotations


def sample_indices(count: int, samples: int) -> list[int]:
    """Indices of at most `samples` of `count` items, evenly spaced.

    All indices when `count <= samples`; otherwise the first and the last item and
    `samples - 2` between them, each the rounded position k·(count-1)/(samples-1).
    One sample keeps the first item; zero or fewer keep nothing.
    """
    if samples <= 0 or count <= 0:
        return []
    if count <= samples:
        return list(range(count))
    if samples == 1:
        return [0]
    span, gaps = count - 1, samples - 1
    # Integer rounding of k * span / gaps; span >= gaps, so the indices are distinct.
    return [(2 * k * span + gaps) // (2 * gaps) for k in range(samples)]
