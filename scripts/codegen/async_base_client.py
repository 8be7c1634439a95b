"""The base class of the generated client: runsapi's own, given to ariadne-codegen.

The generated async client subclasses it, and scripts/generate.py rewrites both into
their sync twins (base_client.py, client.py) with scripts/unasync.py. It only builds
the request body; sending, retrying and mapping errors are runsapi's (`get_data` is
implemented by runsapi's subclass).
"""

from typing import Any, Protocol

from pydantic import BaseModel as PydanticBaseModel
from pydantic_core import to_jsonable_python

from .base_model import UNSET


class AsyncHttpClient(Protocol):
    async def post(self, url: str, json: Any, **kwargs: Any) -> Any: ...


class AsyncBaseClient:
    def __init__(self, url: str, http_client: AsyncHttpClient) -> None:
        self.url = url
        self.http_client = http_client

    async def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        body = {
            "query": query,
            "operationName": operation_name,
            "variables": {
                key: _plain(value) for key, value in (variables or {}).items() if value is not UNSET
            },
        }
        return await self.http_client.post(url=self.url, json=to_jsonable_python(body), **kwargs)

    def get_data(self, response: Any) -> dict[str, Any]:
        raise NotImplementedError("implemented by runsapi's client")


def _plain(value: Any) -> Any:
    if isinstance(value, PydanticBaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
