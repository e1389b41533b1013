"""Preview routes (PRD §8.4): validate, send to reviewers, confirm/modify, templates; image upload."""

from __future__ import annotations

import logging
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
from pushtask.models import Organization, Preview, PreviewRecipient, Task
from pushtask.runtime import WeChatLink, wechat_link
from pushtask.schemas import (
    ConfirmIn,
    ErrorOut,
    InvalidContentOut,
    MediaOut,
    MessageOut,
    PreviewIn,
    PreviewListOut,
    PreviewOut,
    PreviewSent,
    RenderIn,
    RenderOut,
    SelfTestIn,
    SelfTestOut,
    SubscriptionIn,
    SubscriptionOut,
    TemplateIn,
    TemplateListOut,
    TemplateSaved,
    TemplateUpdate,
    ValidateIn,
    ValidationResult,
)
from pushtask.services import approval, media, media_links, preview_requests, preview_tools, previews, quota, templates
from pushtask.services.previews import Decision, InvalidContent
from pushtask.services.schedules import iso_utc
from pushtask.services.tasks import _content_dict, get_task

log = logging.getLogger("pushtask.previews")

bp = Blueprint("preview", __name__, url_prefix="/api/preview")


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
    sent = previews.send(
        session(),
        rt.sessions,
        actor(),
        body.taskId,
        body.content,
        body.recipients,
        rt.clock,
        reach=link,
        engine=link.engine,
        wakeup=rt.wakeup,
        per_user_limit=rt.settings.preview_rate_per_user,
        image_exists=_image_exists,
    )
    rows = [_reviewer_out(row, name) for row, name in sent.reviewers]
    out: dict[str, Any] = {
        "previewId": sent.preview_id,
        "validation": {"isValid": True, "errors": []},
        "recipients": rows,
        "warnings": [r["message"] for r in rows if r["message"]],
    }
    if sent.variants:
        # A/B: one preview per variant; a reviewer's failed send of a later variant is reported too.
        out["variants"] = [{"key": key, "previewId": preview_id} for key, preview_id in sent.variants]
        for row, name in sent.more_reviewers:
            message = _reviewer_out(row, name)["message"]
            if message and message not in out["warnings"]:
                out["warnings"].append(message)
    return json_response(out)


@api_route(
    bp,
    "/render",
    "POST",
    summary="The content as one group will get it: {{群名}} and {{日期}} filled for that group (nothing is sent).",
    role="viewer",
    body=RenderIn,
    responses={200: RenderOut, 400: ErrorOut, 404: ErrorOut},
)
def render(body: RenderIn) -> Response:
    out = preview_tools.render_for_group(
        session(), actor(), _content_dict(body.content), body.groupId, body.taskId, runtime().clock()
    )
    filled = out.content
    return json_response(
        {
            "groupId": out.group_id,
            "groupName": out.group_name,
            "date": out.day.isoformat(),
            "content": {"text": filled["text"], "link": filled["link"], "miniprogram": filled["miniprogram"]},
        }
    )


_SELF_CHANNELS = {"wecom": ("企业微信", "WeCom"), "miniprogram": ("小程序订阅消息", "a mini-program notice")}


@api_route(
    bp,
    "/self",
    "POST",
    summary="Send the content as a test to the signed-in user's own linked WeChat, through the engine (≤3 s).",
    role="operator",
    body=SelfTestIn,
    responses={200: SelfTestOut, 400: InvalidContentOut, 404: ErrorOut, 429: ErrorOut},
)
def self_test(body: SelfTestIn) -> Response:
    rt = runtime()
    link = wechat_link(rt)
    result = preview_requests.send_self_test(
        session(),
        rt.sessions,
        actor(),
        body.taskId,
        body.content,
        rt.clock,
        reach=link,
        engine=link.engine,
        wakeup=rt.wakeup,
        per_user_limit=rt.settings.preview_rate_per_user,
        image_exists=_image_exists,
    )
    language = lang()
    where = _SELF_CHANNELS[result.channel][1 if language == "en" else 0]
    # WeCom drops an identical message to the same person inside its duplicate window: say so.
    code = f"self_test_{result.status}"
    if (result.status, result.channel) == ("sent", "wecom"):
        code = "self_test_sent_wecom"
    message = translate(code, language, where=where, reason=result.reason or "-")
    return json_response({"status": result.status, "channel": result.channel, "to": result.name, "message": message})


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
    decision = previews.confirm(session(), actor(), body.previewId, body.response, body.comment, runtime().clock())
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
