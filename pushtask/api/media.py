"""Image routes: serve an uploaded image by signed link or bearer token; links for API outputs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, has_request_context, request
from sqlalchemy.orm import Session

from pushtask.api.base import ApiError, QueryParam, actor, api_route, authenticate, lang, runtime, session
from pushtask.channels.base import ImageRef
from pushtask.errors import NotFound
from pushtask.i18n import translate
from pushtask.infra.media import MediaMissing, MediaStore
from pushtask.schemas import ErrorOut
from pushtask.services import media_links
from pushtask.services.schedules import iso_utc

media_bp = Blueprint("media", __name__, url_prefix="/api/media")

# Content-addressed (the id is the sha256 of the bytes): what a URL serves never changes.
BEARER_MAX_AGE_S = 3600


def link_for(org_id: str, media_id: str, now: datetime) -> media_links.MediaLink:
    """Return a fresh signed link to the organisation's image, absolute on the caller's host."""
    return media_links.sign(runtime().settings.secret_key, request.url_root, org_id, media_id, now)


def image_fields(db: Session, org_id: str, media_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Return {mediaId: {imageUrl, imageName}} for the organisation's images (outside a request: nothing)."""
    if not has_request_context():
        return {}
    now = runtime().clock()
    return {
        media_id: {"imageUrl": link_for(org_id, media_id, now).url, "imageName": name}
        for media_id, name in media_links.names(db, org_id, media_ids).items()
    }


def with_image(content: dict[str, Any], images: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return content with `imageUrl` and `imageName` (null when there is no image or it is not the org's)."""
    key = content.get("image")
    info = images.get(key) if isinstance(key, str) else None
    return {**content, "imageUrl": info["imageUrl"] if info else None, "imageName": info["imageName"] if info else None}


IMAGE_FIELD = "content.image"


def image_names(db: Session, org_id: str, changes: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Return the file names of the images the change-log entries mention."""
    keys = set()
    for change in changes:
        entry = change.get(IMAGE_FIELD)
        if isinstance(entry, dict):
            keys |= {v for v in (entry.get("old"), entry.get("new")) if isinstance(v, str)}
    return media_links.names(db, org_id, keys)


def named_images(changes: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Return the changes with image ids shown as their file names (the log is read by people)."""
    entry = changes.get(IMAGE_FIELD)
    if not isinstance(entry, dict):
        return changes
    shown = {k: names.get(v, v) if isinstance(v, str) else v for k, v in entry.items() if k in ("old", "new")}
    return {**changes, IMAGE_FIELD: shown}


def _forbidden() -> ApiError:
    return ApiError(403, "Forbidden", translate("media_link_invalid", lang()))


@api_route(
    media_bp,
    "/<media_id>",
    "GET",
    summary="The image itself: with a signed link (org, exp, sig — as `url` in API answers) or a bearer token.",
    role=None,
    query=(
        QueryParam("org", "Organisation the link was signed for (part of a signed link)."),
        QueryParam("exp", "Expiry, epoch seconds (part of a signed link).", {"type": "string", "pattern": "^[0-9]+$"}),
        QueryParam("sig", "Signature (part of a signed link)."),
    ),
    responses={
        200: "image/jpeg, image/png",
        304: "",
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
    },
)
def serve(media_id: str) -> Response:
    rt = runtime()
    now = rt.clock()
    args = request.args
    if "sig" in args or "exp" in args or "org" in args:
        org_id = args.get("org", "")
        try:
            expires = media_links.verify(
                rt.settings.secret_key, org_id, media_id, args.get("exp", ""), args.get("sig", ""), now
            )
        except media_links.BadLink:
            raise _forbidden() from None
        max_age = max(0, min(BEARER_MAX_AGE_S, expires - int(now.timestamp())))
    else:
        authenticate(session(), rt)
        who = actor()
        if who.scope not in ("operator", "reviewer"):
            raise ApiError(403, "Forbidden", translate(f"scope_forbidden_{who.scope}", lang()))
        org_id, max_age = who.org_id, BEARER_MAX_AGE_S
    item = media_links.owned(session(), org_id, media_id)
    if item is None:
        raise NotFound("Image not found")
    etag = f'"{media_id}"'
    headers = {
        # Only the browser that asked keeps it: the link is a capability, not a public file.
        "Cache-Control": f"private, max-age={max_age}, immutable",
        "ETag": etag,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(item.file_name)}",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    try:
        blob = MediaStore(rt.settings.media_root)(ImageRef(media_id))
    except MediaMissing:
        raise NotFound("Image not found") from None
    return Response(blob.data, mimetype=blob.mime, headers=headers)


def upload_fields(org_id: str, media_id: str, file_name: str) -> dict[str, Any]:
    """Return the `url`, `urlExpiresAt` and `fileName` an upload answers with."""
    link = link_for(org_id, media_id, runtime().clock())
    return {"url": link.url, "urlExpiresAt": iso_utc(link.expires_at), "fileName": file_name}
