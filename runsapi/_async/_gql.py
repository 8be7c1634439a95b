"""The one door to the generated client: typed operations with runsapi's errors and retries.

`AsyncGraphQLClient` is the generated `AsyncGeneratedClient` (one typed method per
operation in queries/) sending through an `AsyncRetryingSender`, with every failure
mapped onto the runsapi error tree. No other module imports `runsapi_generated`'s client.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import httpx
import pydantic
from runsapi_generated.artifact_lineage import ArtifactLineageProjectArtifact as ArtifactLineageData
from runsapi_generated.async_client import AsyncGeneratedClient
from runsapi_generated.create_artifact_manifest import (
    CreateArtifactManifestCreateArtifactManifestArtifactManifest as CreatedManifestData,
)
from runsapi_generated.enums import (
    ArtifactDigestAlgorithm,
    ArtifactManifestType,
    ArtifactState,
    ArtifactStorageLayout,
    RunQueueAccessType,
    RunQueuePrioritizationMode,
)
from runsapi_generated.fragments import ArtifactCollectionFragment as ArtifactCollectionData
from runsapi_generated.fragments import ArtifactFileFragment as ArtifactFileData
from runsapi_generated.fragments import ArtifactFragment as ArtifactData
from runsapi_generated.fragments import ArtifactTypeFragment as ArtifactTypeData
from runsapi_generated.fragments import FileFragment as FileData
from runsapi_generated.fragments import FullRunFragment as FullRun
from runsapi_generated.fragments import LightRunFragment as LightRun
from runsapi_generated.fragments import MemberFragment as MemberData
from runsapi_generated.fragments import ProjectFragment as ProjectData
from runsapi_generated.fragments import ReportFragment as ReportData
from runsapi_generated.fragments import RunQueueFragment as RunQueueData
from runsapi_generated.fragments import RunQueueItemFragment as RunQueueItemData
from runsapi_generated.fragments import SweepFragment as SweepData
from runsapi_generated.fragments import TeamFragment as TeamData
from runsapi_generated.fragments import UserAccountFragment as UserAccountData
from runsapi_generated.fragments import UserFragment as UserData
from runsapi_generated.get_default_resource_config import (
    GetDefaultResourceConfigEntityDefaultResourceConfig as ResourceConfigData,
)
from runsapi_generated.input_types import (
    AddAliasesInput,
    ArtifactAliasInput,
    ArtifactCollectionAliasInput,
    CreateArtifactFilesInput,
    CreateArtifactFileSpecInput,
    CreateArtifactInput,
    CreateArtifactManifestInput,
    DeleteAliasesInput,
    RunChangeInput,
    TagInput,
    UpdateArtifactInput,
    UpdateRunStateInput,
)

from runsapi._async._transport import AsyncRetryingSender, build_http_client
from runsapi._config import Settings
from runsapi._constants import OPERATION_EXTENSION, OPERATION_HEADER
from runsapi._exceptions import (
    error_for_deadline,
    error_for_graphql,
    error_for_invalid_body,
    error_for_response_shape,
    error_for_status,
    error_for_transport,
    graphql_error_details,
)
from runsapi._http import USER_AGENT, ApiKeyAuth, DeadlineExceeded
from runsapi._retry import RetryPolicy
from runsapi._shared.json_codec import loads
from runsapi._types import NOT_GIVEN, NotGiven

__all__ = [
    "AddAliasesInput",
    "ArtifactAliasInput",
    "ArtifactCollectionAliasInput",
    "ArtifactCollectionData",
    "ArtifactData",
    "ArtifactDigestAlgorithm",
    "ArtifactFileData",
    "ArtifactLineageData",
    "ArtifactManifestType",
    "ArtifactState",
    "ArtifactStorageLayout",
    "ArtifactTypeData",
    "AsyncGraphQLClient",
    "CreateArtifactFileSpecInput",
    "CreateArtifactFilesInput",
    "CreateArtifactInput",
    "CreateArtifactManifestInput",
    "CreatedManifestData",
    "DeleteAliasesInput",
    "FileData",
    "FullRun",
    "LightRun",
    "MemberData",
    "ProjectData",
    "ReportData",
    "ResourceConfigData",
    "RunChangeInput",
    "RunQueueAccessType",
    "RunQueueData",
    "RunQueueItemData",
    "RunQueuePrioritizationMode",
    "SweepData",
    "TagInput",
    "TeamData",
    "UpdateArtifactInput",
    "UpdateRunStateInput",
    "UserAccountData",
    "UserData",
    "connect",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def connect(
    settings: Settings,
    *,
    http_client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncGraphQLClient:
    """The GraphQL client for `settings`, over a new httpx.AsyncClient or the one given.

    A given client keeps its own settings; runsapi adds only API-key auth (to URLs under
    the base URL), its User-Agent and its retry policy.
    """
    if http_client is None:
        http_client = build_http_client(
            base_url=settings.base_url,
            api_key=settings.api_key,
            timeout=settings.timeout,
            transport=transport,
        )
        auth = None
    else:
        auth = ApiKeyAuth(settings.api_key, settings.base_url) if settings.api_key else None
    sender = AsyncRetryingSender(http_client, settings.retry_policy, auth=auth)
    return AsyncGraphQLClient(settings.graphql_url, sender, secret=settings.api_key)


class _AsyncGraphQLHTTP:
    """The `http_client` the generated client posts through (its HttpClient protocol)."""

    def __init__(
        self, sender: AsyncRetryingSender, *, timeout: httpx.Timeout | NotGiven, secret: str | None
    ) -> None:
        self.sender = sender
        self.timeout = timeout
        self.secret = secret

    async def post(
        self,
        url: Any,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        # The generated client only ever posts a JSON body: `data`, `files` and `headers`
        # are part of its HttpClient protocol but unused. Statuses are mapped in get_data.
        operation = json.get("operationName") if isinstance(json, dict) else None
        query = json.get("query", "") if isinstance(json, dict) else ""
        return await self.send(
            "POST",
            url,
            json=json,
            headers={OPERATION_HEADER: operation or ""},
            operation=operation,
            idempotent=not _is_mutation(query),
        )

    async def send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        idempotent: bool = True,
        consume: Callable[[httpx.Response], Awaitable[None]] | None = None,
    ) -> httpx.Response:
        """Send through the retry loop; failures without a response become runsapi errors."""
        request = self.sender.client.build_request(
            method,
            url,
            json=json,
            content=content,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=httpx.USE_CLIENT_DEFAULT
            if isinstance(self.timeout, NotGiven)
            else self.timeout,
            extensions={OPERATION_EXTENSION: operation},
        )
        try:
            return await self.sender.send(request, idempotent=idempotent, consume=consume)
        except httpx.TransportError as exc:
            raise error_for_transport(exc, operation=operation, secret=self.secret) from exc
        except DeadlineExceeded as exc:
            raise error_for_deadline(operation, exc.deadline) from exc

    async def aclose(self) -> None:
        await self.sender.client.aclose()


def _is_mutation(query: str) -> bool:
    for line in query.splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            return words[0] == "mutation"
    return False


def _mapped(
    operation: Callable[_P, Coroutine[Any, Any, _R]],
) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """`operation` of the generated client, raising ResponseValidationError for a response
    of the wrong shape instead of pydantic's ValidationError.

    Each generated method ends with `Result.model_validate(data)`; every other failure is
    already a runsapi error (mapped in `GraphQLClient.get_data` and `_GraphQLHTTP.send`).
    The result keeps the generated signature and return type, for callers and type checkers.
    (`self` travels inside `_P`: mypy rejects `Concatenate[GeneratedClient, _P]` for methods
    whose `self` is not positional-only, as the generated ones are not.)
    """

    @functools.wraps(operation)
    async def mapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await operation(*args, **kwargs)
        except pydantic.ValidationError as exc:
            # The title is the result model's name, which codegen names after the operation.
            raise error_for_response_shape(exc, operation=exc.title) from exc

    return mapped


class AsyncGraphQLClient(AsyncGeneratedClient):
    """One typed method per operation in queries/, raising only runsapi errors.

    Create one per `AsyncApi`; `with_options` copies share its connection pool.
    """

    # The operations, one line per method of AsyncGeneratedClient (one per operation in queries/).
    # A new operation is wired here by hand: tests/contract/test_generated_boundary.py fails
    # on one that is missing, stale or mapped to another operation's method.
    add_artifact_aliases = _mapped(AsyncGeneratedClient.add_artifact_aliases)
    artifact_by_name = _mapped(AsyncGeneratedClient.artifact_by_name)
    artifact_collection_by_name = _mapped(AsyncGeneratedClient.artifact_collection_by_name)
    artifact_files = _mapped(AsyncGeneratedClient.artifact_files)
    artifact_lineage = _mapped(AsyncGeneratedClient.artifact_lineage)
    artifact_manifest_url = _mapped(AsyncGeneratedClient.artifact_manifest_url)
    artifact_type_by_name = _mapped(AsyncGeneratedClient.artifact_type_by_name)
    collection_artifacts = _mapped(AsyncGeneratedClient.collection_artifacts)
    commit_artifact = _mapped(AsyncGeneratedClient.commit_artifact)
    create_artifact = _mapped(AsyncGeneratedClient.create_artifact)
    create_artifact_files = _mapped(AsyncGeneratedClient.create_artifact_files)
    create_artifact_manifest = _mapped(AsyncGeneratedClient.create_artifact_manifest)
    create_default_resource_config = _mapped(AsyncGeneratedClient.create_default_resource_config)
    create_invite = _mapped(AsyncGeneratedClient.create_invite)
    create_project = _mapped(AsyncGeneratedClient.create_project)
    create_run = _mapped(AsyncGeneratedClient.create_run)
    create_run_files = _mapped(AsyncGeneratedClient.create_run_files)
    create_run_queue = _mapped(AsyncGeneratedClient.create_run_queue)
    create_service_account = _mapped(AsyncGeneratedClient.create_service_account)
    create_team = _mapped(AsyncGeneratedClient.create_team)
    create_user = _mapped(AsyncGeneratedClient.create_user)
    delete_api_key = _mapped(AsyncGeneratedClient.delete_api_key)
    delete_artifact = _mapped(AsyncGeneratedClient.delete_artifact)
    delete_artifact_aliases = _mapped(AsyncGeneratedClient.delete_artifact_aliases)
    delete_files = _mapped(AsyncGeneratedClient.delete_files)
    delete_from_run_queue = _mapped(AsyncGeneratedClient.delete_from_run_queue)
    delete_invite = _mapped(AsyncGeneratedClient.delete_invite)
    delete_run = _mapped(AsyncGeneratedClient.delete_run)
    delete_run_queue = _mapped(AsyncGeneratedClient.delete_run_queue)
    generate_api_key = _mapped(AsyncGeneratedClient.generate_api_key)
    get_default_entity = _mapped(AsyncGeneratedClient.get_default_entity)
    get_default_resource_config = _mapped(AsyncGeneratedClient.get_default_resource_config)
    get_project = _mapped(AsyncGeneratedClient.get_project)
    get_projects = _mapped(AsyncGeneratedClient.get_projects)
    get_run = _mapped(AsyncGeneratedClient.get_run)
    get_run_full = _mapped(AsyncGeneratedClient.get_run_full)
    get_run_queue = _mapped(AsyncGeneratedClient.get_run_queue)
    get_run_queue_item = _mapped(AsyncGeneratedClient.get_run_queue_item)
    get_run_queue_items = _mapped(AsyncGeneratedClient.get_run_queue_items)
    get_run_state = _mapped(AsyncGeneratedClient.get_run_state)
    get_runs = _mapped(AsyncGeneratedClient.get_runs)
    get_runs_full = _mapped(AsyncGeneratedClient.get_runs_full)
    get_sweep = _mapped(AsyncGeneratedClient.get_sweep)
    get_sweeps = _mapped(AsyncGeneratedClient.get_sweeps)
    get_team = _mapped(AsyncGeneratedClient.get_team)
    get_viewer = _mapped(AsyncGeneratedClient.get_viewer)
    mark_run_files_uploaded = _mapped(AsyncGeneratedClient.mark_run_files_uploaded)
    merge_run_changes = _mapped(AsyncGeneratedClient.merge_run_changes)
    project_artifact_type_list = _mapped(AsyncGeneratedClient.project_artifact_type_list)
    project_reports = _mapped(AsyncGeneratedClient.project_reports)
    push_to_run_queue = _mapped(AsyncGeneratedClient.push_to_run_queue)
    report_by_id = _mapped(AsyncGeneratedClient.report_by_id)
    run_events = _mapped(AsyncGeneratedClient.run_events)
    run_files = _mapped(AsyncGeneratedClient.run_files)
    run_history_keys = _mapped(AsyncGeneratedClient.run_history_keys)
    run_history_page = _mapped(AsyncGeneratedClient.run_history_page)
    run_input_artifacts = _mapped(AsyncGeneratedClient.run_input_artifacts)
    run_output_artifacts = _mapped(AsyncGeneratedClient.run_output_artifacts)
    run_parquet_history = _mapped(AsyncGeneratedClient.run_parquet_history)
    run_sampled_history = _mapped(AsyncGeneratedClient.run_sampled_history)
    runs_sampled_history = _mapped(AsyncGeneratedClient.runs_sampled_history)
    search_users = _mapped(AsyncGeneratedClient.search_users)
    server_features_query = _mapped(AsyncGeneratedClient.server_features_query)
    stop_run = _mapped(AsyncGeneratedClient.stop_run)
    type_artifact_collections = _mapped(AsyncGeneratedClient.type_artifact_collections)
    update_artifact = _mapped(AsyncGeneratedClient.update_artifact)
    update_run = _mapped(AsyncGeneratedClient.update_run)
    update_run_state = _mapped(AsyncGeneratedClient.update_run_state)
    upsert_run_queue = _mapped(AsyncGeneratedClient.upsert_run_queue)
    use_artifact = _mapped(AsyncGeneratedClient.use_artifact)

    def __init__(
        self,
        url: str,
        sender: AsyncRetryingSender,
        *,
        secret: str | None = None,
        timeout: httpx.Timeout | NotGiven = NOT_GIVEN,
    ) -> None:
        self._http = _AsyncGraphQLHTTP(sender, timeout=timeout, secret=secret)
        super().__init__(url=url, http_client=self._http)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> AsyncGraphQLClient:
        """A copy with another timeout and/or retries, sharing this one's connection pool.

        `timeout=None` disables the timeout; `max_retries` replaces the policy's count.
        """
        http = self._http
        policy = retry_policy or http.sender.policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        return AsyncGraphQLClient(
            self.url,
            dataclasses.replace(http.sender, policy=policy),
            secret=http.secret,
            timeout=http.timeout if isinstance(timeout, NotGiven) else httpx.Timeout(timeout),
        )

    async def aclose(self) -> None:
        """Close the connections (those of a client runsapi built)."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGraphQLClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def download(self, url: str) -> bytes:
        """GET a small file's bytes. The API key is sent only to URLs under the base URL."""
        return (await self._send_plain("GET", url)).content

    async def download_stream(
        self, url: str, consume: Callable[[AsyncIterator[bytes]], Awaitable[None]]
    ) -> None:
        """GET a file, streaming its chunks to `consume`.

        A connection that fails mid-body is retried like a failed request: `consume` is
        then called again, from the first chunk, and must start over.
        """

        async def consume_body(response: httpx.Response) -> None:
            await consume(response.aiter_bytes())

        await self._send_plain("GET", url, consume=consume_body)

    async def download_to(self, url: str, path: Path) -> None:
        """GET a file into `path` (created or truncated), starting over on a retry."""
        with path.open("wb") as sink:

            async def write(chunks: AsyncIterator[bytes]) -> None:
                sink.seek(0)
                sink.truncate()
                async for chunk in chunks:
                    sink.write(chunk)

            await self.download_stream(url, write)

    async def upload(
        self, url: str, content: bytes | AsyncIterable[bytes], headers: Mapping[str, str]
    ) -> None:
        """PUT bytes to an upload URL; safe to retry, since a PUT replaces. An iterable
        body is streamed, and iterated again for a retry (so not a generator)."""
        await self._send_plain("PUT", url, content=content, headers=headers)

    async def post_run_stream(self, url: str, body: bytes) -> None:
        """POST a JSON body to a run's file stream. Retried like a read: the stream's
        offsets make a repeated POST harmless."""
        await self._send_plain(
            "POST", url, content=body, headers={"Content-Type": "application/json"}
        )

    async def _send_plain(
        self,
        method: str,
        url: str,
        *,
        content: bytes | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        consume: Callable[[httpx.Response], Awaitable[None]] | None = None,
    ) -> httpx.Response:
        response = await self._http.send(
            method, url, content=content, headers=headers, consume=consume
        )
        if not response.is_success:
            raise error_for_status(response, operation=None, secret=self._http.secret)
        return response

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._http.sender.policy

    def get_data(self, response: Any) -> dict[str, Any]:
        response = cast(httpx.Response, response)
        operation = response.request.extensions.get(OPERATION_EXTENSION)
        secret = self._http.secret
        if not response.is_success:
            raise error_for_status(response, operation=operation, secret=secret)
        try:
            payload = loads(response.content)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise error_for_invalid_body(response, operation=operation, secret=secret)
        data = payload.get("data")
        details = graphql_error_details(payload)
        if details:
            raise error_for_graphql(details, data, operation=operation, secret=secret)
        if not isinstance(data, dict):
            raise error_for_invalid_body(response, operation=operation, secret=secret)
        return data
