"""W&B Launch: a project's run queues and their items, an entity's default resource
configs, and the mutations that create, change and delete them (each in one
transaction; the viewer may write the queues of the entities it belongs to)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ariadne import MutationType, ObjectType

from runsapi.server import _accounts, _launch
from runsapi.server._context import (
    Record,
    RequestContext,
    ResolveInfo,
    connection,
    context_of,
    page_size,
)
from runsapi.server._ids import encode_id
from runsapi.server._resolvers._access import AccessError, writable_project

project = ObjectType("Project")
run_queue = ObjectType("RunQueue")
# Entity's other fields are resolved where Query.entity is; this adds one of its own.
entity = ObjectType("Entity")
mutation = MutationType()


def _entity_id(context: RequestContext, conn: sqlite3.Connection, name: str) -> int:
    found = _accounts.visible_entity(conn, context.viewer, name)
    if found is None:
        raise AccessError(f"entity {name} not found")
    return found


def _visible_queue(context: RequestContext, queue_id: str) -> Record:
    queue = _launch.queue_by_id(context.conn, queue_id)
    if queue is None or context.project(queue["_project_row"]) is None:
        raise AccessError(f"run queue {queue_id} not found")
    return queue


@project.field("runQueue")
def _project_run_queue(record: Record, info: ResolveInfo, name: str) -> Record | None:
    return _launch.queue_by_name(context_of(info).conn, record["_row"], name)


@project.field("runQueues")
def _project_run_queues(record: Record, info: ResolveInfo) -> list[Record]:
    return _launch.project_queues(context_of(info).conn, record["_row"])


@run_queue.field("runQueueItems")
def _run_queue_items(
    record: Record, info: ResolveInfo, first: int | None = None, after: str | None = None
) -> Record:
    edges, has_next = _launch.list_items(
        context_of(info).conn, record["_row"], after=after, first=page_size(first)
    )
    return connection(edges, has_next, after)


@run_queue.field("runQueueItem")
def _run_queue_item(record: Record, info: ResolveInfo, id: str) -> Record | None:
    return _launch.item_in_queue(context_of(info).conn, record["_row"], id)


@entity.field("defaultResourceConfig")
def _default_resource_config(record: Record, info: ResolveInfo, id: str) -> Record | None:
    context = context_of(info)
    entity_id = _accounts.visible_entity(context.conn, context.viewer, record["name"])
    row = _launch.config_row(id)
    if entity_id is None or row is None:
        return None
    return _launch.resource_config(context.conn, entity_id, row)


@mutation.field("createDefaultResourceConfig")
def _create_default_resource_config(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    resource = input["resource"]
    config, declared = _launch.parse_resource_config(
        resource, input["config"], input.get("templateVariables")
    )
    with context.store.write() as conn:
        entity_id = _entity_id(context, conn, input["entityName"])
        row = _launch.create_resource_config(conn, entity_id, resource, config, declared)
    return {"defaultResourceConfigID": encode_id("DefaultResourceConfig", row), "success": True}


@mutation.field("createRunQueue")
def _create_run_queue(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    config_id = input.get("defaultResourceConfigID")
    with context.store.write() as conn:
        entity_id = _entity_id(context, conn, input["entityName"])
        config_row = None if config_id is None else _launch.config_row(config_id)
        if config_id is not None and (
            config_row is None or _launch.resource_config(conn, entity_id, config_row) is None
        ):
            raise AccessError(f"default resource config {config_id} not found")
        project_id, _ = writable_project(context, conn, input["entityName"], input["projectName"])
        row = _launch.create_queue(
            conn,
            project_id,
            input["queueName"],
            access=input["access"],
            prioritization_mode=input.get("prioritizationMode"),
            config_id=config_row,
        )
    return {"success": True, "queueID": encode_id("RunQueue", row)}


@mutation.field("upsertRunQueue")
def _upsert_run_queue(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    resource = input["resourceType"]
    config, declared = _launch.parse_resource_config(
        resource, input["resourceConfig"], input.get("templateVariables")
    )
    with context.store.write() as conn:
        entity_id = _entity_id(context, conn, input["entityName"])
        project_id, _ = writable_project(context, conn, input["entityName"], input["projectName"])
        _launch.upsert_queue(
            conn,
            project_id,
            entity_id,
            input["queueName"],
            resource=resource,
            config=config,
            declared=declared,
            prioritization_mode=input.get("prioritizationMode"),
            links_text=input.get("externalLinks"),
        )
    return {
        "success": True,
        "configSchemaValidationErrors": _launch.template_warnings(config, declared),
    }


@mutation.field("deleteRunQueues")
def _delete_run_queues(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        queues = [_visible_queue(context, queue_id) for queue_id in input["queueIDs"]]
        for queue in queues:
            _launch.delete_queue(conn, queue["_row"])
    return {"success": True}


@mutation.field("pushToRunQueue")
def _push_to_run_queue(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        queue = _visible_queue(context, input["queueID"])
        row = _launch.push_item(conn, queue, input["runSpec"], input.get("priority"))
    return {"runQueueItemId": encode_id("RunQueueItem", row)}


@mutation.field("deleteFromRunQueue")
def _delete_from_run_queue(_: Any, info: ResolveInfo, input: Record) -> Record:
    context = context_of(info)
    with context.store.write() as conn:
        queue = _visible_queue(context, input["queueID"])
        item = _launch.item_in_queue(conn, queue["_row"], input["runQueueItemId"])
        if item is None:
            raise AccessError(f"run queue item {input['runQueueItemId']} not found in the queue")
        _launch.delete_item(conn, item["_row"])
    return {"success": True}


BINDABLES = (project, run_queue, entity, mutation)
