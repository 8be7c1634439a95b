"""`$regex` matching with RE2, the syntax W&B documents for run filters.

RE2 matches in time linear in the text, whatever the pattern: Python's `re` backtracks,
so a pattern such as `(a+)+$` could hold the interpreter (and with it every request)
for minutes on a short name. Patterns RE2 cannot compile (backreferences, lookaround)
are refused. `$options` letters become RE2's inline flags: `i` ignores case, `m` lets
`^`/`$` match at line breaks, `s` lets `.` match a newline.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

OPTION_LETTERS = "ims"
_COMPILED_CACHE_SIZE = 256


@lru_cache(maxsize=_COMPILED_CACHE_SIZE)
def compile_regex(pattern: str, options: str) -> Any:
    """The compiled pattern; ValueError saying why RE2 refuses it."""
    unknown = sorted(set(options) - set(OPTION_LETTERS))
    if unknown:
        raise ValueError(f"unsupported $options letter {unknown[0]!r} (RE2 takes i, m and s)")
    flags = "".join(sorted(set(options)))
    settings = re2.Options()
    settings.log_errors = False  # RE2 would print every refused pattern to stderr
    try:
        return re2.compile(f"(?{flags}){pattern}" if flags else pattern, settings)
    except re2.error as exc:
        reason = exc.args[0]
        raise ValueError(reason.decode() if isinstance(reason, bytes) else str(reason)) from exc


def regex_search(pattern: str, options: str, value: object) -> int:
    """SQLite's `re2_search(pattern, options, value)`: 1 if a string value matches."""
    if not isinstance(value, str):
        return 0
    return 1 if compile_regex(pattern, options).search(value) is not None else 0
