"""The storage routes (`/_storage/...`, described in _app.py): artifact blob and manifest
bytes, run file uploads, and parquet history exports, behind URLs the server signed, so
that clients reach them without an API key, as they reach W&B's cloud storage through
presigned URLs."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runsapi.server import _artifact_blobs, _artifact_storage, _files, _history_exports
from runsapi.server._bodies import read_body
from runsapi.server._byte_ranges import ranged
from runsapi.server._constants import MAX_UPLOAD_BYTES, STORAGE_PATH
from runsapi.server._faults import FaultQueue
from runsapi.server._http import error_response, faulted, too_large
from runsapi.server._signing import Signer
from runsapi.server._store import Store


def storage_routes(
    store: Store, faults: FaultQueue | None, signer: Callable[[], Signer]
) -> list[Route]:
    """The routes; `signer` gives the server's signer (reading it may touch the database)."""

    async def signed(request: Request) -> dict[str, str] | None:
        """The parameters of a storage URL the server signed, or None."""
        found = await run_in_threadpool(signer)
        return found.verify(request.method, request.url.path, request.query_params.multi_items())

    def forbidden() -> Response:
        return error_response(
            403, "this URL's signature is missing, wrong or expired: ask for a new URL"
        )

    async def blobs(request: Request) -> Response:
        params = await signed(request)
        if params is None:
            return forbidden()
        hex_md5 = request.path_params["hex"]

        async def answer() -> Response:
            if request.method == "PUT":
                artifact = params.get("artifact", "")
                if not artifact.isdigit():
                    return error_response(400, "an upload URL names the version it is for")
                data = await read_body(request, MAX_UPLOAD_BYTES)
                if data is None:
                    return too_large(MAX_UPLOAD_BYTES)
                try:
                    await run_in_threadpool(
                        _artifact_blobs.upload_blob, store, hex_md5, data, int(artifact)
                    )
                except ValueError as exc:
                    return error_response(400, str(exc))
                return Response(status_code=200)
            content = await run_in_threadpool(_artifact_blobs.read_blob, store, hex_md5)
            if content is None:
                return error_response(404, "no such artifact file")
            return Response(content, media_type="application/octet-stream")

        return await faulted(request, None if faults is None else faults.take(None), answer)

    async def manifests(request: Request) -> Response:
        if await signed(request) is None:
            return forbidden()
        manifest_id: int = request.path_params["manifest"]

        async def answer() -> Response:
            if request.method == "PUT":
                data = await read_body(request, MAX_UPLOAD_BYTES)
                if data is None:
                    return too_large(MAX_UPLOAD_BYTES)
                try:
                    await run_in_threadpool(
                        _artifact_storage.upload_manifest, store, manifest_id, data
                    )
                except _artifact_storage.NotPendingError as exc:
                    return error_response(409, str(exc))
                except LookupError as exc:
                    return error_response(404, str(exc))
                except ValueError as exc:
                    return error_response(400, str(exc))
                return Response(status_code=200)
            content = await run_in_threadpool(_artifact_storage.read_manifest, store, manifest_id)
            if content is None:
                return error_response(404, "no such artifact manifest")
            return Response(content, media_type="application/json")

        return await faulted(request, None if faults is None else faults.take(None), answer)

    async def run_files(request: Request) -> Response:
        if await signed(request) is None:
            return forbidden()
        file_id: int = request.path_params["file"]

        async def answer() -> Response:
            data = await read_body(request, MAX_UPLOAD_BYTES)
            if data is None:
                return too_large(MAX_UPLOAD_BYTES)
            if not await run_in_threadpool(_files.upload, store, file_id, data):
                return error_response(404, "no such run file (deleted since the URL was made)")
            return Response(status_code=200)

        return await faulted(request, None if faults is None else faults.take(None), answer)

    async def history_exports(request: Request) -> Response:
        found = await run_in_threadpool(signer)  # a HEAD is a GET without the body
        params = request.query_params.multi_items()
        if found.verify("GET", request.url.path, params) is None:
            return forbidden()

        async def answer() -> Response:
            path = await run_in_threadpool(
                _history_exports.export_file, store, request.path_params["name"]
            )
            if path is None:
                return error_response(404, "no such history export")
            content = await run_in_threadpool(path.read_bytes)
            return ranged(request, content, "application/vnd.apache.parquet")

        return await faulted(request, None if faults is None else faults.take(None), answer)

    return [
        Route(STORAGE_PATH + "/artifacts/{hex}", blobs, methods=["GET", "PUT"]),
        Route(STORAGE_PATH + "/manifests/{manifest:int}", manifests, methods=["GET", "PUT"]),
        Route(_files.UPLOAD_PATH + "/{file:int}", run_files, methods=["PUT"]),
        Route(_history_exports.EXPORTS_URL_PATH + "/{name}", history_exports, methods=["GET"]),
    ]
