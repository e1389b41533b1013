"""Group tags (docs/groups.md): set a group's tags (admin), list the organisation's tags."""

from __future__ import annotations

from flask import Blueprint, Response

from pushtask.api.base import actor, api_route, json_response, session
from pushtask.schemas import ErrorOut
from pushtask.schemas.planner import GroupTagsIn, GroupTagsOut, TagListOut
from pushtask.services import group_tags

bp = Blueprint("group_tags", __name__, url_prefix="/api/groups")


@api_route(
    bp,
    "/tags",
    "GET",
    summary="The organisation's group tags, each with how many groups carry it.",
    role="viewer",
    responses={200: TagListOut},
)
def list_tags() -> Response:
    rows = group_tags.all_tags(session(), actor())
    return json_response({"tags": [{"tag": tag, "groupCount": count} for tag, count in rows]})


@api_route(
    bp,
    "/<id:group_id>/tags",
    "PUT",
    summary="Replace a group's tags (at most 20, each 1–32 characters).",
    role="admin",
    body=GroupTagsIn,
    responses={200: GroupTagsOut, 400: ErrorOut, 404: ErrorOut},
)
def set_tags(group_id: str, body: GroupTagsIn) -> Response:
    tags = group_tags.set_tags(session(), actor(), group_id, list(body.tags))
    return json_response({"groupId": group_id, "tags": tags})
