"""Mutations. Each runs in one transaction; runs are addressed by their opaque id."""

from __future__ import annotations

import secrets
import string
from typing import Any

from ariadne import MutationType

from runsapi.server import _artifacts, _files, _projects, _runs
from runsapi.server._constants import DEFAULT_PROJECT, MERGE_RUN_CHANGES, UPLOAD_HEADERS
from runsapi.server._context import Record, ResolveInfo, context_of
from runsapi.server._ids import decode_id
from runsapi.server._resolvers._access import (
    AccessError,
    named_run,
    visible_artifact,
    visible_run,
    writable_project,
)

mutation = MutationType()

_RUN_ID_ALPHABET = string.ascii_lowercase + string.digits
_RUN_ID_LENGTH = 8


@mutation.field("upsertBucket")
def _upsert_bucket(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        if input.get("id") is not None:
            run_id = visible_run(context, input["id"])["_row"]
            _runs.update_run(conn, run_id, input)
            inserted = False
        else:
            project_id, _ = writable_project(
                context, conn, input.get("entityName"), input.get("modelName") or DEFAULT_PROJECT
            )
            name = input.get("name") or "".join(
                secrets.choice(_RUN_ID_ALPHABET) for _ in range(_RUN_ID_LENGTH)
            )
            existing = _runs.run_by_name(conn, project_id, name)
            inserted = existing is None
            if existing is None:
                run_id = _runs.create_run(conn, project_id, context.viewer.user_id, name, input)
            else:
                run_id = existing["_row"]
                _runs.update_run(conn, run_id, input)
    return {"bucket": _runs.run_by_row(context.conn, run_id), "inserted": inserted}


@mutation.field("mergeRunChanges")
def _merge_run_changes(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    if MERGE_RUN_CHANGES not in context.features:
        raise ValueError(f"mergeRunChanges is not offered: {MERGE_RUN_CHANGES} is disabled")
    with context.store.write() as conn:
        run_id = visible_run(context, input["id"])["_row"]
        _runs.merge_run(conn, run_id, input)
    return {
        "bucket": _runs.run_by_row(context.conn, run_id),
        "clientMutationId": input.get("clientMutationId"),
    }


@mutation.field("deleteRun")
def _delete_run(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        run = visible_run(context, input["id"])
        files = _runs.delete_run(
            conn, run["_row"], delete_artifacts=bool(input.get("deleteArtifacts"))
        )
    _files.remove_bytes(context.store, files)
    return {"clientMutationId": input.get("clientMutationId")}


@mutation.field("updateRunState")
def _update_run_state(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        run = visible_run(context, input["id"])
        _runs.change_state(conn, run["_row"], run["state"], input["state"])
    return {"success": True}


@mutation.field("stopRun")
def _stop_run(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        run = visible_run(context, input["id"])
        _runs.stop_run(conn, run["_row"], run["state"])
    return {"success": True}


@mutation.field("deleteFiles")
def _delete_files(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    file_ids = [decode_id("File", file_id) for file_id in input["files"]]
    with context.store.write() as conn:
        for file_id in file_ids:
            owner = _files.file_owner(conn, file_id)
            if owner is None or not context.can_see(owner):
                raise AccessError(f"file {file_id} not found")
        _files.delete_file_rows(conn, file_ids)
    _files.remove_bytes(context.store, file_ids)
    return {"success": True}


@mutation.field("createRunFiles")
def _create_run_files(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    entity, project, name = input["entityName"], input["projectName"], input["runName"]
    with context.store.write() as conn:
        run = named_run(context, entity, project, name)
        prefix = _files.file_url(context.base_url, entity, project, name, "").rstrip("/")
        files = _files.files_by_name(conn, run["_row"], input["files"], prefix)
    # The official client PUTs to these without its API key, as to a cloud store's
    # presigned URLs: each names its file row and is signed (_signing.py).
    signer = context.signer()
    for record in files:
        record["uploadUrl"] = _files.signed_upload_url(signer, context.base_url, record["_row"])
    return {"runID": run["id"], "uploadHeaders": list(UPLOAD_HEADERS), "files": files}


@mutation.field("markRunFilesUploaded")
def _mark_run_files_uploaded(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    named_run(context, input["entityName"], input["projectName"], input["runName"])
    return {"success": True}


@mutation.field("upsertModel")
def _upsert_model(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    name = input.get("name")
    if not name:
        raise ValueError("a project needs a name")
    with context.store.write() as conn:
        project_id, inserted = writable_project(context, conn, input.get("entityName"), name)
        _projects.update_project(conn, project_id, input)
    record = context.project(project_id)
    return {"project": record, "model": record, "inserted": inserted}


@mutation.field("useArtifact")
def _use_artifact(_: Any, info: ResolveInfo, input: dict[str, Any]) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        run = named_run(context, input["entityName"], input["projectName"], input["runName"])
        artifact_id = visible_artifact(context, input["artifactID"])["_row"]
        _artifacts.link_artifact(conn, run["_row"], artifact_id, "input", input.get("usedAs"))
    return {"artifact": _artifacts.artifact_by_row(context.conn, artifact_id)}


BINDABLES = (mutation,)
