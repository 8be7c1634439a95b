"""The one door to the generated client: typed operations with runsapi's errors and retries.

`GraphQLClient` is the generated `GeneratedClient` (one typed method per operation in
queries/) sending through a `RetryingSender`, with every failure mapped onto the
runsapi error tree. No other module imports `runsapi_generated`'s client.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar, cast

import httpx
import pydantic
from runsapi_generated.artifact_lineage import ArtifactLineageProjectArtifact as ArtifactLineageData
from runsapi_generated.client import GeneratedClient
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
from runsapi._retry import RetryPolicy
from runsapi._shared.json_codec import loads
from runsapi._transport import (
    USER_AGENT,
    ApiKeyAuth,
    DeadlineExceeded,
    RetryingSender,
    build_http_client,
)
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
    "CreateArtifactFileSpecInput",
    "CreateArtifactFilesInput",
    "CreateArtifactInput",
    "CreateArtifactManifestInput",
    "CreatedManifestData",
    "DeleteAliasesInput",
    "FileData",
    "FullRun",
    "GraphQLClient",
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
    http_client: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
) -> GraphQLClient:
    """The GraphQL client for `settings`, over a new httpx.Client or the one given.

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
    sender = RetryingSender(http_client, settings.retry_policy, auth=auth)
    return GraphQLClient(settings.graphql_url, sender, secret=settings.api_key)


class _GraphQLHTTP:
    """The `http_client` the generated client posts through (its HttpClient protocol)."""

    def __init__(
        self, sender: RetryingSender, *, timeout: httpx.Timeout | NotGiven, secret: str | None
    ) -> None:
        self.sender = sender
        self.timeout = timeout
        self.secret = secret

    def post(
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
        return self.send(
            "POST",
            url,
            json=json,
            headers={OPERATION_HEADER: operation or ""},
            operation=operation,
            idempotent=not _is_mutation(query),
        )

    def send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        idempotent: bool = True,
        consume: Callable[[httpx.Response], None] | None = None,
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
            return self.sender.send(request, idempotent=idempotent, consume=consume)
        except httpx.TransportError as exc:
            raise error_for_transport(exc, operation=operation, secret=self.secret) from exc
        except DeadlineExceeded as exc:
            raise error_for_deadline(operation, exc.deadline) from exc

    def close(self) -> None:
        self.sender.client.close()


def _is_mutation(query: str) -> bool:
    for line in query.splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            return words[0] == "mutation"
    return False


def _mapped(operation: Callable[_P, _R]) -> Callable[_P, _R]:
    """`operation` of the generated client, raising ResponseValidationError for a response
    of the wrong shape instead of pydantic's ValidationError.

    Each generated method ends with `Result.model_validate(data)`; every other failure is
    already a runsapi error (mapped in `GraphQLClient.get_data` and `_GraphQLHTTP.send`).
    The result keeps the generated signature and return type, for callers and type checkers.
    (`self` travels inside `_P`: mypy rejects `Concatenate[GeneratedClient, _P]` for methods
    whose `self` is not positional-only, as the generated ones are not.)
    """

    @functools.wraps(operation)
    def mapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return operation(*args, **kwargs)
        except pydantic.ValidationError as exc:
            # The title is the result model's name, which codegen names after the operation.
            raise error_for_response_shape(exc, operation=exc.title) from exc

    return mapped


class GraphQLClient(GeneratedClient):
    """One typed method per operation in queries/, raising only runsapi errors.

    Create one per `Api`; it is thread-safe (httpx.Client is) and `with_options` copies
    share its connection pool.
    """

    # The operations, one line per method of GeneratedClient (one per operation in queries/).
    # A new operation is wired here by hand: tests/contract/test_generated_boundary.py fails
    # on one that is missing, stale or mapped to another operation's method.
    add_artifact_aliases = _mapped(GeneratedClient.add_artifact_aliases)
    artifact_by_name = _mapped(GeneratedClient.artifact_by_name)
    artifact_collection_by_name = _mapped(GeneratedClient.artifact_collection_by_name)
    artifact_files = _mapped(GeneratedClient.artifact_files)
    artifact_lineage = _mapped(GeneratedClient.artifact_lineage)
    artifact_manifest_url = _mapped(GeneratedClient.artifact_manifest_url)
    artifact_type_by_name = _mapped(GeneratedClient.artifact_type_by_name)
    collection_artifacts = _mapped(GeneratedClient.collection_artifacts)
    commit_artifact = _mapped(GeneratedClient.commit_artifact)
    create_artifact = _mapped(GeneratedClient.create_artifact)
    create_artifact_files = _mapped(GeneratedClient.create_artifact_files)
    create_artifact_manifest = _mapped(GeneratedClient.create_artifact_manifest)
    create_default_resource_config = _mapped(GeneratedClient.create_default_resource_config)
    create_invite = _mapped(GeneratedClient.create_invite)
    create_project = _mapped(GeneratedClient.create_project)
    create_run = _mapped(GeneratedClient.create_run)
    create_run_files = _mapped(GeneratedClient.create_run_files)
    create_run_queue = _mapped(GeneratedClient.create_run_queue)
    create_service_account = _mapped(GeneratedClient.create_service_account)
    create_team = _mapped(GeneratedClient.create_team)
    create_user = _mapped(GeneratedClient.create_user)
    delete_api_key = _mapped(GeneratedClient.delete_api_key)
    delete_artifact = _mapped(GeneratedClient.delete_artifact)
    delete_artifact_aliases = _mapped(GeneratedClient.delete_artifact_aliases)
    delete_files = _mapped(GeneratedClient.delete_files)
    delete_from_run_queue = _mapped(GeneratedClient.delete_from_run_queue)
    delete_invite = _mapped(GeneratedClient.delete_invite)
    delete_run = _mapped(GeneratedClient.delete_run)
    delete_run_queue = _mapped(GeneratedClient.delete_run_queue)
    generate_api_key = _mapped(GeneratedClient.generate_api_key)
    get_default_entity = _mapped(GeneratedClient.get_default_entity)
    get_default_resource_config = _mapped(GeneratedClient.get_default_resource_config)
    get_project = _mapped(GeneratedClient.get_project)
    get_projects = _mapped(GeneratedClient.get_projects)
    get_run = _mapped(GeneratedClient.get_run)
    get_run_full = _mapped(GeneratedClient.get_run_full)
    get_run_queue = _mapped(GeneratedClient.get_run_queue)
    get_run_queue_item = _mapped(GeneratedClient.get_run_queue_item)
    get_run_queue_items = _mapped(GeneratedClient.get_run_queue_items)
    get_run_state = _mapped(GeneratedClient.get_run_state)
    get_runs = _mapped(GeneratedClient.get_runs)
    get_runs_full = _mapped(GeneratedClient.get_runs_full)
    get_sweep = _mapped(GeneratedClient.get_sweep)
    get_sweeps = _mapped(GeneratedClient.get_sweeps)
    get_team = _mapped(GeneratedClient.get_team)
    get_viewer = _mapped(GeneratedClient.get_viewer)
    mark_run_files_uploaded = _mapped(GeneratedClient.mark_run_files_uploaded)
    merge_run_changes = _mapped(GeneratedClient.merge_run_changes)
    project_artifact_type_list = _mapped(GeneratedClient.project_artifact_type_list)
    project_reports = _mapped(GeneratedClient.project_reports)
    push_to_run_queue = _mapped(GeneratedClient.push_to_run_queue)
    report_by_id = _mapped(GeneratedClient.report_by_id)
    run_events = _mapped(GeneratedClient.run_events)
    run_files = _mapped(GeneratedClient.run_files)
    run_history_keys = _mapped(GeneratedClient.run_history_keys)
    run_history_page = _mapped(GeneratedClient.run_history_page)
    run_input_artifacts = _mapped(GeneratedClient.run_input_artifacts)
    run_output_artifacts = _mapped(GeneratedClient.run_output_artifacts)
    run_parquet_history = _mapped(GeneratedClient.run_parquet_history)
    run_sampled_history = _mapped(GeneratedClient.run_sampled_history)
    runs_sampled_history = _mapped(GeneratedClient.runs_sampled_history)
    search_users = _mapped(GeneratedClient.search_users)
    server_features_query = _mapped(GeneratedClient.server_features_query)
    stop_run = _mapped(GeneratedClient.stop_run)
    type_artifact_collections = _mapped(GeneratedClient.type_artifact_collections)
    update_artifact = _mapped(GeneratedClient.update_artifact)
    update_run = _mapped(GeneratedClient.update_run)
    update_run_state = _mapped(GeneratedClient.update_run_state)
    upsert_run_queue = _mapped(GeneratedClient.upsert_run_queue)
    use_artifact = _mapped(GeneratedClient.use_artifact)

    def __init__(
        self,
        url: str,
        sender: RetryingSender,
        *,
        secret: str | None = None,
        timeout: httpx.Timeout | NotGiven = NOT_GIVEN,
    ) -> None:
        self._http = _GraphQLHTTP(sender, timeout=timeout, secret=secret)
        super().__init__(url=url, http_client=self._http)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> GraphQLClient:
        """A copy with another timeout and/or retries, sharing this one's connection pool.

        `timeout=None` disables the timeout; `max_retries` replaces the policy's count.
        """
        http = self._http
        policy = retry_policy or http.sender.policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        return GraphQLClient(
            self.url,
            dataclasses.replace(http.sender, policy=policy),
            secret=http.secret,
            timeout=http.timeout if isinstance(timeout, NotGiven) else httpx.Timeout(timeout),
        )

    def download(self, url: str) -> bytes:
        """GET a small file's bytes. The API key is sent only to URLs under the base URL."""
        return self._send_plain("GET", url).content

    def download_stream(self, url: str, consume: Callable[[Iterator[bytes]], None]) -> None:
        """GET a file, streaming its chunks to `consume`.

        A connection that fails mid-body is retried like a failed request: `consume` is
        then called again, from the first chunk, and must start over.
        """
        self._send_plain("GET", url, consume=lambda response: consume(response.iter_bytes()))

    def upload(
        self, url: str, content: bytes | Iterable[bytes], headers: Mapping[str, str]
    ) -> None:
        """PUT bytes to an upload URL; safe to retry, since a PUT replaces. An iterable
        body is streamed, and iterated again for a retry (so not a generator)."""
        self._send_plain("PUT", url, content=content, headers=headers)

    def post_run_stream(self, url: str, body: bytes) -> None:
        """POST a JSON body to a run's file stream. Retried like a read: the stream's
        offsets make a repeated POST harmless."""
        self._send_plain("POST", url, content=body, headers={"Content-Type": "application/json"})

    def _send_plain(
        self,
        method: str,
        url: str,
        *,
        content: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        consume: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        response = self._http.send(method, url, content=content, headers=headers, consume=consume)
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
