"""Groups and recipients: pickers for everyone, maintenance for admins."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from pushtask.api.base import QueryParam, actor, api_route, json_response, runtime, session
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.models import Group, Recipient
from pushtask.schemas import (
    CreatedId,
    ErrorOut,
    GroupCreate,
    GroupListOut,
    GroupUpdate,
    MessageOut,
    RecipientCreate,
    RecipientListOut,
    RecipientUpdate,
)
from pushtask.schemas.reach import GroupSyncIn, GroupSyncOut
from pushtask.services import customer_groups, directory, group_tags

groups_bp = Blueprint("groups", __name__, url_prefix="/api/groups")
recipients_bp = Blueprint("recipients", __name__, url_prefix="/api/recipients")

PICKER_QUERY = (
    QueryParam("q", "Name contains this text."),
    QueryParam("page", "Page number from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
    QueryParam("limit", "Rows per page, 1–500.", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
)
RECIPIENT_QUERY = (
    QueryParam("q", "Name contains this text, or WeChat ID is exactly it (WeChat IDs are stored encrypted)."),
    *PICKER_QUERY[1:],
)
WRITE = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def paging(
    args: Mapping[str, str], *, allowed: frozenset[str] = frozenset({"q", "page", "limit"}), default_limit: int = 100
) -> tuple[str | None, int, int]:
    """Read `q`, `page` and `limit` (≤ 500) from query parameters; anything else is a 400."""
    problems = [FieldProblem(k, "unknown_field") for k in args if k not in allowed]
    if isinstance(args, MultiDict):
        problems += [FieldProblem(k, "repeated_param") for k in args if len(args.getlist(k)) > 1]
    values = {}
    for name, default, high in (("page", 1, 1_000_000), ("limit", default_limit, 500)):
        raw = args.get(name)
        try:
            values[name] = int(raw) if raw is not None else default
        except ValueError:
            problems.append(FieldProblem(name, "type_int"))
            continue
        if not 1 <= values[name] <= high:
            problems.append(FieldProblem(name, "out_of_range", {"min": 1, "max": high}))
    if problems:
        raise InvalidInput(problems, error="Invalid query")
    return (args.get("q") or "").strip()[:100] or None, values["page"], values["limit"]


def group_out(group: Group) -> dict[str, object]:
    out: dict[str, object] = {
        "groupId": group.id,
        "name": group.name,
        "channel": group.channel,
        "memberCount": group.member_count,
    }
    if group.owner_userid:
        out["ownerUserid"] = group.owner_userid
        out["ownerName"] = group.owner_name or group.owner_userid
    if group.removed_at is not None:
        out["removedFromWecom"] = True
    return out


def recipient_out(recipient: Recipient) -> dict[str, object]:
    return {
        "recipientId": recipient.id,
        "name": recipient.name,
        "wechatId": recipient.wechat_id,
        "channel": recipient.channel,
    }


@api_route(
    groups_bp,
    "",
    "GET",
    summary="Search the organisation's groups (by name, or by tag).",
    role="viewer",
    query=(*PICKER_QUERY, QueryParam("tag", "Only groups carrying this tag.")),
    responses={200: GroupListOut, 400: ErrorOut},
)
def list_groups() -> Response:
    q, page, limit = paging(request.args, allowed=frozenset({"q", "page", "limit", "tag"}))
    tag = (request.args.get("tag") or "").strip() or None
    rows, total = directory.list_groups(session(), actor(), q, page, limit, tag=tag)
    tags = group_tags.tags_of(session(), [g.id for g in rows])
    # `tags` only on groups that have some (absent means none), so older clients see the same shape.
    listed = [{**group_out(g), **({"tags": tags[g.id]} if g.id in tags else {})} for g in rows]
    return json_response({"groups": listed, "total": total})


@api_route(
    groups_bp,
    "",
    "POST",
    summary="Add a group (admin).",
    role="admin",
    body=GroupCreate,
    responses={201: CreatedId, 400: ErrorOut, 409: ErrorOut},
)
def create_group(body: GroupCreate) -> Response:
    rt = runtime()
    by_name = rt.settings.bridge_protocol == "wechatbot-webhook"
    group = directory.create_group(session(), actor(), body, rt.clock(), unique_bridge_names=by_name)
    return json_response({"id": group.id, "message": "Group created"}, 201)


@api_route(
    groups_bp,
    "/sync",
    "POST",
    summary="Import WeCom customer groups (name, owner, member count); groups gone from WeCom are marked (admin).",
    role="admin",
    body=GroupSyncIn,
    responses={200: GroupSyncOut, 400: ErrorOut, 409: ErrorOut},
)
def sync_groups(body: GroupSyncIn) -> Response:
    from pushtask.runtime import wechat_link

    rt = runtime()
    link = wechat_link(rt)
    result = customer_groups.sync(session(), actor(), rt.clock(), link.clients.customer_groups, link.run)
    return json_response(result.to_json())


@api_route(
    groups_bp,
    "/<id:group_id>",
    "PUT",
    summary="Change a group (admin).",
    role="admin",
    body=GroupUpdate,
    responses={200: CreatedId, **WRITE},
)
def update_group(group_id: str, body: GroupUpdate) -> Response:
    rt = runtime()
    by_name = rt.settings.bridge_protocol == "wechatbot-webhook"
    group = directory.update_group(session(), actor(), group_id, body, rt.clock(), unique_bridge_names=by_name)
    return json_response({"id": group.id, "message": "Group updated"})


@api_route(
    groups_bp,
    "/<id:group_id>",
    "DELETE",
    summary="Remove a group no active task uses (admin).",
    role="admin",
    responses={200: MessageOut, **WRITE},
)
def delete_group(group_id: str) -> Response:
    directory.delete_group(session(), actor(), group_id, runtime().clock())
    return json_response({"message": "Group deleted"})


@api_route(
    recipients_bp,
    "",
    "GET",
    summary="Search the organisation's preview recipients.",
    role="viewer",
    query=RECIPIENT_QUERY,
    responses={200: RecipientListOut, 400: ErrorOut},
)
def list_recipients() -> Response:
    q, page, limit = paging(request.args)
    rows, total = directory.list_recipients(session(), actor(), q, page, limit)
    return json_response({"recipients": [recipient_out(r) for r in rows], "total": total})


@api_route(
    recipients_bp,
    "",
    "POST",
    summary="Add a recipient (admin).",
    role="admin",
    body=RecipientCreate,
    responses={201: CreatedId, 400: ErrorOut, 409: ErrorOut},
)
def create_recipient(body: RecipientCreate) -> Response:
    recipient = directory.create_recipient(session(), actor(), body, runtime().clock())
    return json_response({"id": recipient.id, "message": "Recipient created"}, 201)


@api_route(
    recipients_bp,
    "/<recipient_id>",
    "PUT",
    summary="Change a recipient (admin).",
    role="admin",
    body=RecipientUpdate,
    responses={200: CreatedId, **WRITE},
)
def update_recipient(recipient_id: str, body: RecipientUpdate) -> Response:
    recipient = directory.update_recipient(session(), actor(), recipient_id, body, runtime().clock())
    return json_response({"id": recipient.id, "message": "Recipient updated"})


@api_route(
    recipients_bp,
    "/<recipient_id>",
    "DELETE",
    summary="Remove a recipient no active task uses (admin).",
    role="admin",
    responses={200: MessageOut, **WRITE},
)
def delete_recipient(recipient_id: str) -> Response:
    directory.delete_recipient(session(), actor(), recipient_id, runtime().clock())
    return json_response({"message": "Recipient deleted"})
