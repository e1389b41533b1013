"""WeChat sign-in (`wx.login` → code → jscode2session), binding an operator's WeChat, the reviewer's own routes."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, g
from sqlalchemy import select

from pushtask.api.auth import auth_bp, user_out
from pushtask.api.base import ApiError, actor, api_route, json_response, lang, runtime, session
from pushtask.api.previews import preview_out
from pushtask.i18n import translate
from pushtask.models import Organization, Recipient, Task, User
from pushtask.runtime import wechat_link
from pushtask.schemas import ErrorOut
from pushtask.schemas.phone import (
    MyPreviewsOut,
    MySubscriptionIn,
    MySubscriptionOut,
    SignInOut,
    WeChatBindingOut,
    WeChatCodeIn,
)
from pushtask.services import previews, wechat_identity
from pushtask.services import users as user_service
from pushtask.services.schedules import iso_utc
from pushtask.wechat.errors import WeChatError
from pushtask.wechat.miniprogram import WxSession

log = logging.getLogger("pushtask.wechat_auth")
me_bp = Blueprint("me", __name__, url_prefix="/api/me")

EXCHANGE_TIMEOUT_S = 8.0
ACCEPTED = ("accept", "acceptWithAudio")


def _exchange(code: str) -> tuple[str, WxSession]:
    """Trade the code with WeChat; answer 401 for a bad or used code, 429 / 503 for WeChat's other answers."""
    link = wechat_link(runtime())
    client = link.messenger.miniprogram
    if client is None:
        raise ApiError(503, "WeChat sign-in unavailable", translate("wx_not_configured", lang()))
    try:
        found = link.bridge.run(client.code_to_session(code), timeout=EXCHANGE_TIMEOUT_S)
    except WeChatError as exc:
        if exc.code == 40029:
            raise ApiError(401, "Invalid WeChat login code", translate("wx_code_invalid", lang())) from None
        if exc.code == 40163:
            raise ApiError(401, "WeChat login code already used", translate("wx_code_used", lang())) from None
        if exc.code == 45011:
            raise ApiError(
                429,
                "Too many attempts",
                translate("wx_login_too_often", lang(), seconds=60),
                headers={"Retry-After": "60"},
            ) from None
        # A wrong AppSecret or AppID, or WeChat being down: the operator's configuration, not the user.
        log.warning("jscode2session failed: errcode %s", exc.code)
        raise ApiError(
            503, "WeChat sign-in unavailable", translate("wx_login_unavailable", lang(), errcode=exc.code)
        ) from None
    except TimeoutError:
        raise ApiError(
            503, "WeChat sign-in unavailable", translate("wx_login_unavailable", lang(), errcode="timeout")
        ) from None
    return client.credentials.appid, found


def _reviewer_out(recipient: Recipient, org: Organization | None) -> dict[str, Any]:
    return {
        "recipientId": recipient.id,
        "name": recipient.name,
        "orgId": recipient.org_id,
        "orgName": org.name if org else "",
    }


def _token_out(token: str, expires_at: Any, scope: str, **who: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"token": token, "expiresAt": iso_utc(expires_at), "scope": scope}
    out.update({k: v for k, v in who.items() if v is not None})
    return out


@api_route(
    auth_bp,
    "/wechat",
    "POST",
    summary="Sign in with a wx.login() code: an operator who bound this WeChat, a reviewer, or a group member.",
    role=None,
    body=WeChatCodeIn,
    responses={200: SignInOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut, 503: ErrorOut},
)
def wechat_sign_in(body: WeChatCodeIn) -> Response:
    appid, found = _exchange(body.code)
    rt = runtime()
    result = wechat_identity.sign_in(session(), rt.signer, rt.settings.secret_key, appid, found.openid, rt.clock())
    who: dict[str, Any] = {}
    if result.user is not None and result.org is not None:
        who["user"] = user_out(result.user, result.org)
    if result.recipient is not None:
        who["reviewer"] = _reviewer_out(result.recipient, result.org)
    if result.scope == "member":
        who["memberId"] = result.claims.user_id
    return json_response(_token_out(result.token, result.claims.expires_at, result.scope, **who))


@api_route(
    auth_bp,
    "/refresh",
    "POST",
    summary="Exchange a valid token (any scope) for a fresh one of the same scope; the old one stops working.",
    role="viewer",
    scopes=("operator", "reviewer", "member"),
    responses={200: SignInOut, 401: ErrorOut},
)
def refresh() -> Response:
    if actor().scope != "operator":
        return refresh_any()
    rt = runtime()
    user = session().get(User, actor().user_id)
    org = session().get(Organization, actor().org_id)
    assert user is not None and org is not None
    token, claims = rt.signer.issue(user.id, org.id, rt.clock())
    user_service.logout(session(), g.claims)
    return json_response(
        {"token": token, "expiresAt": iso_utc(claims.expires_at), "scope": "operator", "user": user_out(user, org)}
    )


def refresh_any() -> Response:
    """The refresh of a reviewer's or member's token (an operator's is issued in `refresh`)."""
    rt = runtime()
    who = actor()
    token, claims = wechat_identity.reissue(rt.signer, who, rt.clock())
    user_service.logout(session(), g.claims)
    extra: dict[str, Any] = {}
    if who.scope == "reviewer":
        recipient = session().get(Recipient, who.recipient_id)
        assert recipient is not None
        extra["reviewer"] = _reviewer_out(recipient, session().get(Organization, recipient.org_id))
    else:
        extra["memberId"] = who.member_id
    return json_response(_token_out(token, claims.expires_at, who.scope, **extra))


def _binding_out(message: str) -> dict[str, Any]:
    binding = wechat_identity.binding_of(session(), actor().user_id)
    return {
        "bound": binding is not None,
        "appid": binding.appid if binding else None,
        "boundAt": iso_utc(binding.created_at) if binding else None,
        "message": message,
    }


@api_route(
    auth_bp,
    "/wechat/bind",
    "GET",
    summary="Whether the signed-in user has bound a WeChat (to sign in with wx.login alone).",
    role="viewer",
    responses={200: WeChatBindingOut, 401: ErrorOut},
)
def wechat_binding() -> Response:
    return json_response(_binding_out("OK"))


@api_route(
    auth_bp,
    "/wechat/bind",
    "POST",
    summary="Bind the WeChat that produced this wx.login() code to the signed-in user (绑定微信).",
    role="viewer",
    body=WeChatCodeIn,
    responses={200: WeChatBindingOut, 401: ErrorOut, 409: ErrorOut, 429: ErrorOut, 503: ErrorOut},
)
def bind_wechat(body: WeChatCodeIn) -> Response:
    appid, found = _exchange(body.code)
    wechat_identity.bind(session(), actor(), appid, found.openid, runtime().clock())
    return json_response(_binding_out("WeChat bound"))


@api_route(
    auth_bp,
    "/wechat/bind",
    "DELETE",
    summary="Unbind the signed-in user's WeChat (signing in with it then gives a reviewer or member token).",
    role="viewer",
    responses={200: WeChatBindingOut, 401: ErrorOut},
)
def unbind_wechat() -> Response:
    removed = wechat_identity.unbind(session(), actor())
    session().flush()
    return json_response(_binding_out("WeChat unbound" if removed else "No WeChat was bound"))


# ---- the reviewer's own routes -----------------------------------------------------------------


def _subscription_state(recipient_id: str) -> dict[str, Any]:
    template_id = wechat_link(runtime()).messenger.subscribe_template_id
    remaining = previews.subscription_of(session(), recipient_id, template_id) if template_id else 0
    return {"templateId": template_id, "remaining": remaining, "needsSubscribe": bool(template_id) and remaining < 1}


@api_route(
    me_bp,
    "/previews",
    "GET",
    summary="The signed-in reviewer's previews (newest first) and whether they must subscribe to get the next one.",
    role="viewer",
    scopes=("reviewer",),
    responses={200: MyPreviewsOut, 401: ErrorOut},
)
def my_previews() -> Response:
    db = session()
    who = actor()
    assert who.recipient_id is not None
    recipient = db.get(Recipient, who.recipient_id)
    assert recipient is not None
    rows = previews.previews_of_reviewer(db, recipient.id)
    versions = dict(
        db.execute(select(Task.id, Task.content_version).where(Task.id.in_({p.task_id for p in rows}))).tuples().all()
    )
    out = [preview_out(p, versions.get(p.task_id, -1)) for p in rows]
    pending = sum(
        1
        for p in out
        if p["status"] == "pending"
        and not p["stale"]
        and any(r["recipientId"] == recipient.id and r["decision"] is None for r in p["recipients"])
    )
    return json_response(
        {
            "reviewer": _reviewer_out(recipient, db.get(Organization, recipient.org_id)),
            "subscription": _subscription_state(recipient.id),
            "pending": pending,
            "previews": out,
        }
    )


@api_route(
    me_bp,
    "/subscriptions",
    "POST",
    summary="Record what wx.requestSubscribeMessage answered for the signed-in reviewer (one accept = one notice).",
    role="viewer",
    scopes=("reviewer",),
    body=MySubscriptionIn,
    responses={200: MySubscriptionOut, 401: ErrorOut},
)
def my_subscriptions(body: MySubscriptionIn) -> Response:
    who = actor()
    assert who.recipient_id is not None
    template_id = wechat_link(runtime()).messenger.subscribe_template_id
    answered_ok = body.result.get("errMsg", "requestSubscribeMessage:ok") == "requestSubscribeMessage:ok"
    accepted = (
        template_id is not None
        and answered_ok
        and template_id in body.templateIds
        and body.result.get(template_id) in ACCEPTED
    )
    granted = 1 if accepted else 0
    assert template_id is not None or not granted
    remaining = previews.grant_own(session(), who.recipient_id, template_id or "", granted, runtime().clock())
    return json_response(
        {
            "templateId": template_id,
            "granted": granted,
            "remaining": remaining,
            "needsSubscribe": bool(template_id) and remaining < 1,
        }
    )
