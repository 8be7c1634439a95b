"""Which executor runs a validated document, by the installed graphql-core.

On graphql-core 3.2 the server uses its leaf shortcut (`_leaf_shortcut`), which reads
plain scalar fields of dict records without graphql-core's general field path. It
subclasses an executor class that graphql-core 3.3 replaced, so on any other version the
server runs graphql-core's own executor unchanged. Both give the same answers and errors
(tests/server/test_execution.py); `python scripts/bench_server.py` prints what each costs.
"""

from __future__ import annotations

from typing import Any

from graphql import version_info

LEAF_SHORTCUT_SUPPORTED = (version_info.major, version_info.minor) == (3, 2)


def executor_options(*, leaf_shortcut: bool = True) -> dict[str, Any]:
    """Keyword arguments for ariadne's `graphql_sync`: the leaf shortcut when asked for and
    supported, otherwise none (graphql-core's default executor)."""
    if not (leaf_shortcut and LEAF_SHORTCUT_SUPPORTED):
        return {}
    from runsapi.server._leaf_shortcut import LeafShortcutExecutionContext  # noqa: PLC0415

    return {"execution_context_class": LeafShortcutExecutionContext}
