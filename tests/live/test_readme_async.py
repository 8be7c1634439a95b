"""The README's Starlette endpoint, run as written against a LocalServer."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from runsapi.server import LocalServer
from tests.live.conftest import PROJECT

README = Path(__file__).resolve().parents[2] / "README.md"


def starlette_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    [example] = [block for block in blocks if "Starlette(" in block]
    return str(example)


async def get(app: Any, *paths: str) -> list[httpx.Response]:
    """GET each path from the ASGI app, inside its lifespan, as uvicorn would serve it."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client,
    ):
        return [await client.get(path) for path in paths]


def test_the_readme_endpoint_returns_a_projects_runs_table(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_BASE_URL", server.base_url)
    monkeypatch.setenv("WANDB_API_KEY", server.api_key)
    namespace: dict[str, Any] = {}
    exec(compile(starlette_example(), "README.md", "exec"), namespace)
    table, missing = asyncio.run(
        get(namespace["app"], f"/runs/{PROJECT}", "/runs/demo/no-such-project")
    )
    assert table.status_code == 200
    rows = table.json()
    assert rows and {row["state"] for row in rows} == {"finished"}
    assert {"id", "name", "created_at"} <= set(rows[0])
    assert any(key.startswith("summary.") for key in rows[0])
    assert [row["created_at"] for row in rows] == sorted(
        (row["created_at"] for row in rows), reverse=True
    )
    assert missing.status_code == 404 and "no-such-project" in missing.json()["error"]
