"""Preview routes (PRD §8.4): validate, send to reviewers, confirm/modify, templates; image upload."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from pushtask.api.base import ApiError, actor, api_route, json_response, lang, runtime, session
from pushtask.api.media import image_fields, media_bp, upload_fields, with_image
from pushtask.api.quota_view import quota_warnings
from pushtask.domain.images import ImageRejected
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.i18n import translate
from pushtask.infra.wechatlink import WeChatLink, wechat_link
from pushtask.models import Organization, Preview, PreviewRecipient, Task
from pushtask.schemas import (
    ConfirmIn,
    ErrorOut,
    InvalidContentOut,
    MediaOut,
    MessageOut,
    PreviewIn,
    PreviewListOut,
    PreviewOut,
    SubscriptionIn,
    SubscriptionOut,
    TemplateIn,
    TemplateListOut,
    TemplateSaved,
    TemplateUpdate,
    ValidateIn,
    ValidationResult,
)
from pushtask.schemas_variants import PreviewSent
from pushtask.services import approval, media, media_links, previews, quota, templates
from pushtask.services.previews import Decision, InvalidContent
from pushtask.services.schedules import iso_utc
from pushtask.services.tasks import _content_dict, get_task

log = logging.getLogger("pushtask.previews")

bp = Blueprint("preview", __name__, url_prefix="/api/preview")

SEND_TIMEOUT_S = 8.0
PER_TASK = (6, 60.0)  # previews per task per minute


def _validation(problems: list[FieldProblem]) -> dict[str, Any]:
    language = lang()
    errors = [{"field": p.field, "message": translate(p.code, language, **p.params)} for p in problems]
    return {"isValid": not problems, "errors": errors}


@bp.app_errorhandler(InvalidContent)
def invalid_content(exc: InvalidContent) -> Response:
    return json_response({"error": exc.error, "validation": _validation(exc.problems)}, 400)


def _image_exists(key: str) -> bool:
    # Only the organisation's own uploads: knowing another's sha256 must not borrow its image.
    return media.image_exists(runtime().settings.media_root, key) and (
        media_links.owned(session(), actor().org_id, key) is not None
    )


@api_route(
    bp,
    "/validate",
    "POST",
    summary="Check content (and the target groups' channel limits) without sending anything.",
    role="viewer",
    body=ValidateIn,
    responses={200: ValidationResult, 400: ErrorOut},
)
def validate(body: ValidateIn) -> Response:
    problems = approval.content_problems(
        session(),
        actor().org_id,
        _content_dict(body.content),
        body.groups or [],
        scheduled=bool(body.groups),
        image_exists=_image_exists,
    )
    rule = quota.rule_from(body.schedule, _org_zone()) if body.schedule is not None else None
    warnings = quota_warnings(body.groups or [], rule, exclude_task_id=body.taskId)
    out: dict[str, Any] = {"validation": _validation(problems)}
    if warnings:
        out["quotaWarnings"] = warnings
    return json_response(out)


def _org_zone() -> str:
    zone = session().scalar(select(Organization.timezone).where(Organization.id == actor().org_id))
    return zone or "Asia/Shanghai"


def _limit(link: WeChatLink, task_id: str) -> None:
    """Answer 429 when this user or this task has sent too many previews lately."""
    store = link.store
    now = runtime().clock().timestamp()
    per_user = (runtime().settings.preview_rate_per_user, 60.0)
    for key, (limit, window) in ((f"preview:user:{actor().user_id}", per_user), (f"preview:task:{task_id}", PER_TASK)):
        wait = link.bridge.run(store.admit(key, now, window, limit), timeout=2)
        if wait > 0:
            raise ApiError(429, "Rate limit exceeded", headers={"Retry-After": str(max(1, round(wait + 0.5)))})


def _send_and_wait(preview_id: str, deadline_s: float = SEND_TIMEOUT_S) -> None:
    """Have the engine send this preview's queued rows, and wait (a few seconds at most) for them.

    The rows were committed with top priority and the engine woken. This process then claims
    whatever no worker has taken yet — with the engine's own claim, so nothing is sent twice — and
    sends it at once; rows a worker already holds are waited for until `deadline_s`.
    """
    rt = runtime()
    link = wechat_link(rt)
    rt.wakeup.notify()
    started = time.monotonic()
    try:
        link.bridge.run(link.notifier(rt.sessions).send_previews(preview_id, rt.clock()), timeout=deadline_s)
    except TimeoutError:
        return
    while time.monotonic() - started < deadline_s:
        with rt.sessions() as db:
            waiting = previews.sends_in_flight(db, preview_id)
        if not waiting:
            return
        time.sleep(0.05)  # a worker holds them: its result is moments away


def _channels(link: WeChatLink) -> set[str]:
    out = set()
    if link.messenger.wecom is not None:
        out.add("wecom")
    if link.messenger.miniprogram is not None and link.messenger.subscribe_template_id:
        out.add("miniprogram")
    return out


_CHANNEL_NAMES = {"wecom": ("企业微信应用", "the WeCom app"), "miniprogram": ("小程序", "the mini program")}


def _reviewer_out(row: PreviewRecipient, name: str) -> dict[str, Any]:
    language = lang()
    message = None
    if row.state == "no_quota":
        message = translate("no_quota", language, name=name)
    elif row.state == "no_channel":
        label = _CHANNEL_NAMES.get(row.channel, (row.channel, row.channel))
        message = translate("reviewer_no_channel", language, name=name, channel=label[0 if language != "en" else 1])
    elif row.state == "failed":
        message = translate("reviewer_send_failed", language, name=name, reason=row.error or "")
    return {
        "recipientId": row.recipient_id,
        "name": name,
        "channel": row.channel,
        "status": row.state,
        "decision": row.decision,
        "message": message,
    }


@api_route(
    bp,
    "",
    "POST",
    summary="Validate the task's content and send it to its reviewers in WeChat (≤3 s).",
    role="operator",
    body=PreviewIn,
    responses={200: PreviewSent, 400: InvalidContentOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
)
def send(body: PreviewIn) -> Response:
    rt = runtime()
    link = wechat_link(rt)
    _limit(link, body.taskId)
    db = session()
    plan = previews.start(
        db,
        actor(),
        body.taskId,
        body.content,
        body.recipients,
        rt.clock(),
        image_exists=_image_exists,
        channels=_channels(link),
        subscribe_template_id=link.messenger.subscribe_template_id,
    )
    # Commit before sending: no HTTP call inside a transaction, and a fast reviewer's tap finds the preview.
    db.commit()
    every = [plan, *plan.more]
    for one in every:
        _send_and_wait(one.preview_id)
    db.expire_all()
    rows = [_reviewer_out(row, name) for row, name in previews.reviewers_of(db, plan.preview_id)]
    out: dict[str, Any] = {
        "previewId": plan.preview_id,
        "validation": {"isValid": True, "errors": []},
        "recipients": rows,
        "warnings": [r["message"] for r in rows if r["message"]],
    }
    if plan.variant is not None:
        # A/B: one preview per variant; a reviewer's failed send of a later variant is reported too.
        out["variants"] = [{"key": one.variant, "previewId": one.preview_id} for one in every]
        for one in plan.more:
            for row, name in previews.reviewers_of(db, one.preview_id):
                message = _reviewer_out(row, name)["message"]
                if message and message not in out["warnings"]:
                    out["warnings"].append(message)
    return json_response(out)


def after_decision(link: WeChatLink, decision: Decision, *, skip_card: str | None = None) -> None:
    """Relabel the WeCom cards — in the background, best effort (the card keeps its label otherwise)."""
    label = "已确认" if decision.preview.status == "confirmed" else "已要求修改"
    if decision.preview.status == "pending":
        return
    messenger = link.messenger

    async def follow_up() -> None:
        for code, userid in decision.cards:
            if code != skip_card:
                await messenger.update_card(code, userid, label)
        # The "modify requested" notice to the creator is an outbox row the engine sends (see decide).

    link.bridge.submit(follow_up())


@api_route(
    bp,
    "/confirm",
    "POST",
    summary="A reviewer (or an admin) confirms a preview or asks for changes with a comment.",
    role="viewer",
    scopes=("operator", "reviewer"),
    body=ConfirmIn,
    responses={200: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def confirm(body: ConfirmIn) -> Response:
    db = session()
    preview = previews.get_preview(db, actor().org_id, body.previewId, reviewer=actor().recipient_id)
    decider = previews.api_decider(db, actor(), preview)
    decision = previews.decide(db, preview.id, body.response, body.comment, decider, runtime().clock())
    db.commit()
    after_decision(wechat_link(runtime()), decision)
    message = "Preview confirmed" if body.response == "confirm" else "Modification requested"
    return json_response({"message": message})


def preview_out(preview: Preview, task_version: int) -> dict[str, Any]:
    db = session()
    key = preview.content.get("image")
    images = image_fields(db, preview.org_id, [key]) if isinstance(key, str) and key else {}
    return {
        "previewId": preview.id,
        "taskId": preview.task_id,
        "contentVersion": preview.content_version,
        "content": with_image(dict(preview.content), images),
        "status": preview.status,
        "stale": preview.content_version != task_version,
        "comment": preview.comment,
        "createdAt": iso_utc(preview.created_at),
        "decidedAt": iso_utc(preview.decided_at),
        **({"variant": preview.variant} if preview.variant else {}),
        "recipients": [_reviewer_out(row, name) for row, name in previews.reviewers_of(db, preview.id)],
        "decisions": [
            {
                "response": d.response,
                "via": d.via,
                "name": d.actor_name,
                "comment": d.comment,
                "timestamp": iso_utc(d.created_at),
            }
            for d in previews.decisions_of(db, preview.id)
        ],
    }


@api_route(
    bp,
    "/<id:preview_id>",
    "GET",
    summary="One preview: what it showed, to whom, and every decision (the mini program's preview page).",
    role="viewer",
    scopes=("operator", "reviewer"),
    responses={200: PreviewOut, 404: ErrorOut},
)
def get(preview_id: str) -> Response:
    db = session()
    preview = previews.get_preview(db, actor().org_id, preview_id, reviewer=actor().recipient_id)
    task = db.get(Task, preview.task_id)
    return json_response(preview_out(preview, task.content_version if task else -1))


@api_route(
    bp,
    "/tasks/<task_id>",
    "GET",
    summary="A task's previews, newest first, with reviewers' decisions and comments.",
    role="viewer",
    responses={200: PreviewListOut, 404: ErrorOut},
)
def of_task(task_id: str) -> Response:
    task = get_task(session(), actor(), task_id)
    rows = previews.list_previews(session(), actor(), task_id)
    return json_response({"previews": [preview_out(p, task.content_version) for p in rows]})


@api_route(
    bp,
    "/subscriptions",
    "POST",
    summary="Record one-time subscriptions a mini-program reviewer accepted (wx.requestSubscribeMessage).",
    role="operator",
    body=SubscriptionIn,
    responses={200: SubscriptionOut, 404: ErrorOut},
)
def subscribe(body: SubscriptionIn) -> Response:
    link = wechat_link(runtime())
    template_id = link.messenger.subscribe_template_id or ""
    remaining = previews.grant_subscriptions(
        session(), actor(), body.recipientId, template_id, body.count, runtime().clock()
    )
    return json_response({"recipientId": body.recipientId, "remaining": remaining})


# ---- templates ---------------------------------------------------------------------------------


def _template_out(t: Any) -> dict[str, Any]:
    return {"templateId": t.id, "name": t.name, "content": t.content, "builtin": t.org_id is None}


@api_route(
    bp,
    "/templates",
    "GET",
    summary="Built-in and the organisation's own content templates.",
    role="viewer",
    responses={200: TemplateListOut},
)
def list_templates() -> Response:
    rows = templates.list_templates(session(), actor())
    keys = [str(t.content["image"]) for t in rows if isinstance(t.content.get("image"), str)]
    images = image_fields(session(), actor().org_id, keys)
    return json_response([{**_template_out(t), "content": with_image(dict(t.content), images)} for t in rows])


@api_route(
    bp,
    "/templates",
    "POST",
    summary="Save a custom template; variables {{群名}} {{日期}} are checked now, filled per group at send time.",
    role="operator",
    body=TemplateIn,
    responses={201: TemplateSaved, 400: ErrorOut},
)
def create_template(body: TemplateIn) -> Response:
    t = templates.create_template(session(), actor(), body.name, _content_dict(body.content), runtime().clock())
    session().flush()
    return json_response({"templateId": t.id, "message": "Template saved"}, 201)


@api_route(
    bp,
    "/templates/<template_id>",
    "PUT",
    summary="Rename or change a custom template (built-ins cannot be changed).",
    role="operator",
    body=TemplateUpdate,
    responses={200: TemplateSaved, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_template(template_id: str, body: TemplateUpdate) -> Response:
    content = _content_dict(body.content) if body.content is not None else None
    t = templates.update_template(session(), actor(), template_id, body.name, content, runtime().clock())
    return json_response({"templateId": t.id, "message": "Template saved"})


@api_route(
    bp,
    "/templates/<template_id>",
    "DELETE",
    summary="Delete a custom template.",
    role="operator",
    responses={200: MessageOut, 404: ErrorOut, 409: ErrorOut},
)
def delete_template(template_id: str) -> Response:
    templates.delete_template(session(), actor(), template_id, runtime().clock())
    return json_response({"message": "Template deleted"})


# ---- media -------------------------------------------------------------------------------------


@api_route(
    media_bp,
    "",
    "POST",
    summary="Upload an image (multipart field `file`): JPEG/PNG by its bytes, compressed to ≤2 MB.",
    role="operator",
    responses={201: MediaOut, 400: ErrorOut, 413: ErrorOut},
    upload="file",
)
def upload() -> Response:
    settings = runtime().settings
    # Uploads have their own, larger limit than JSON bodies (MAX_CONTENT_LENGTH).
    request.max_content_length = settings.max_upload_bytes
    limit_mb = settings.max_upload_bytes // (1024 * 1024)
    try:
        upload_file = request.files.get("file")
    except RequestEntityTooLarge:
        raise ApiError(413, "Payload too large", translate("upload_too_large", lang(), limit_mb=limit_mb)) from None
    if upload_file is None:
        raise InvalidInput([FieldProblem("file", "file_required")])
    try:
        data = upload_file.read(settings.max_upload_bytes + 1)
    finally:
        upload_file.close()
    if len(data) > settings.max_upload_bytes:
        raise ApiError(413, "Payload too large", translate("upload_too_large", lang(), limit_mb=limit_mb))
    try:
        image = media.store_image(settings.media_root, data)
    except ImageRejected as exc:
        raise InvalidInput([FieldProblem("file", exc.code, dict(exc.params))], error="Invalid image") from None
    file_name = media_links.clean_name(upload_file.filename, image.mime)
    media_links.record_upload(session(), actor().org_id, image.sha256, file_name, runtime().clock())
    return json_response(
        {
            "mediaId": image.sha256,
            "width": image.width,
            "height": image.height,
            "bytes": len(image.data),
            "sha256": image.sha256,
            "mime": image.mime,
            **upload_fields(actor().org_id, image.sha256, file_name),
        },
        201,
    )
