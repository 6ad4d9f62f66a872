"""The command resources (``iot``): create, get, list, update, delete."""

from __future__ import annotations

from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from . import page_of


@operation(IOT, "CreateCommand")
def create_command(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    tags = p.get("tags") or []
    backend.commands.check_create(p)
    if tags:
        backend.tags.check(backend.commands.arn_for(p["commandId"]), tags, "ValidationException")
    command = backend.commands.create(p)
    if tags:
        backend.tags.set(command.arn, tags)
    return {"commandId": command.command_id, "commandArn": command.arn}


@operation(IOT, "GetCommand")
def get_command(ctx: Context, p: Params) -> Result:
    return compact(**ctx.backend.commands.get(p["commandId"]).describe())


@operation(IOT, "ListCommands")
def list_commands(ctx: Context, p: Params) -> Result:
    namespace, parameter = p.get("namespace"), p.get("commandParameterName")
    descending = p.get("sortOrder", "DESCENDING") == "DESCENDING"
    items = list(enumerate(ctx.backend.commands.listing(namespace, parameter, descending)))
    page, token = page_of(
        items,
        lambda item: item[0],
        p.get("maxResults"),
        p.get("nextToken"),
        f"ListCommands:{namespace}:{parameter}:{descending}"
    )
    return compact(commands=[compact(**c.summary()) for _, c in page], nextToken=token)


@operation(IOT, "UpdateCommand")
def update_command(ctx: Context, p: Params) -> Result:
    command = ctx.backend.commands.update(p["commandId"], p)
    return compact(
        commandId=command.command_id,
        displayName=command.display_name,
        description=command.description,
        deprecated=command.deprecated,
        lastUpdatedAt=command.last_updated_at,
    )


@operation(IOT, "DeleteCommand")
def delete_command(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    command = backend.commands.by_id.get(p["commandId"])
    running = backend.command_executions.running(command) if command is not None else 0
    return {"statusCode": backend.commands.delete(p["commandId"], running)}
