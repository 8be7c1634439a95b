"""HTTP byte ranges (RFC 9110 §14): how a reader fetches part of a file, as wandb-core's
parquet reader reads the footer and column chunks of an export it does not download."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _span(header: str, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single satisfiable range, or None to send the whole
    content (no range, several ranges, or one that is not understood)."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None
        end = min(int(last) + 1, size) if last else size
    elif last:  # a suffix: the last N bytes
        start, end = max(size - int(last), 0), size
    else:
        return None
    return (start, end) if start < end else (size, size)


def ranged(request: Request, content: bytes, media_type: str) -> Response:
    """`content`, or the part of it the request's `Range` header asks for (206), or 416
    for a range that starts past its end."""
    size = len(content)
    headers = {"Accept-Ranges": "bytes"}
    header = request.headers.get("range")
    span = None if header is None else _span(header, size)
    if span is None:
        return Response(content, media_type=media_type, headers=headers)
    start, end = span
    if start >= size:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return Response(content[start:end], status_code=206, media_type=media_type, headers=headers)
