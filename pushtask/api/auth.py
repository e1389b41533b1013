"""Sign-in, sign-out and the admin's user maintenance (PRD §8.2)."""

from __future__ import annotations

import math

from flask import Blueprint, Response, g, request

from pushtask.api.base import ApiError, actor, api_route, json_response, lang, runtime, session
from pushtask.i18n import translate
from pushtask.models import Organization, User
from pushtask.schemas import (
    CreatedId,
    ErrorOut,
    LoginIn,
    LoginOut,
    MeOut,
    MessageOut,
    UserCreate,
    UserListOut,
    UserUpdate,
)
from pushtask.services import users as user_service
from pushtask.services.schedules import iso_utc

auth_bp = Blueprint("auth", __name__, url_prefix="/api/auth")
users_bp = Blueprint("users", __name__, url_prefix="/api/users")


def user_out(user: User, org: Organization) -> dict[str, object]:
    return {
        "id": user.id,
        "wechatId": user.wechat_id,
        "name": user.name,
        "role": user.role,
        "orgId": org.id,
        "orgName": org.name,
    }


@api_route(
    auth_bp,
    "/login",
    "POST",
    summary="Sign in with WeChat ID and password; returns a JWT.",
    role=None,
    body=LoginIn,
    responses={200: LoginOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut},
)
def login(body: LoginIn) -> Response:
    rt = runtime()
    account, address = body.wechatId.strip(), request.remote_addr or "unknown"
    wait = rt.login_throttle.retry_after(account, address)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            "Too many attempts",
            translate("login_throttled", lang(), seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )
    result = user_service.login(session(), rt.signer, account, body.password, rt.clock())
    if result is None:
        rt.login_throttle.failed(account, address)
        raise ApiError(401, "Invalid credentials")
    rt.login_throttle.succeeded(account, address)
    return json_response(
        {
            "token": result.token,
            "expiresAt": iso_utc(result.claims.expires_at),
            "scope": "operator",
            "user": user_out(result.user, result.org),
        }
    )


@api_route(
    auth_bp,
    "/logout",
    "POST",
    summary="Sign out: the token stops working at once.",
    role="viewer",
    scopes=("operator", "reviewer", "member"),
    responses={200: MessageOut, 401: ErrorOut},
)
def logout() -> Response:
    user_service.logout(session(), g.claims)
    return json_response({"message": "Signed out"})


@api_route(auth_bp, "/me", "GET", summary="The signed-in user.", role="viewer", responses={200: MeOut, 401: ErrorOut})
def me() -> Response:
    user = session().get(User, actor().user_id)
    org = session().get(Organization, actor().org_id)
    assert user is not None and org is not None
    return json_response({"user": user_out(user, org)})


@api_route(users_bp, "", "GET", summary="The organisation's users (admin).", role="admin", responses={200: UserListOut})
def list_users() -> Response:
    rows = user_service.list_users(session(), actor())
    return json_response(
        {
            "users": [
                {
                    "id": u.id,
                    "wechatId": u.wechat_id,
                    "name": u.name,
                    "role": u.role,
                    "createdAt": iso_utc(u.created_at),
                }
                for u in rows
            ],
            "total": len(rows),
        }
    )


@api_route(
    users_bp,
    "",
    "POST",
    summary="Add a user (admin).",
    role="admin",
    body=UserCreate,
    responses={201: CreatedId, 400: ErrorOut},
)
def create_user(body: UserCreate) -> Response:
    user = user_service.create_user_in(session(), actor(), body, runtime().clock())
    return json_response({"id": user.id, "message": "User created"}, 201)


@api_route(
    users_bp,
    "/<user_id>",
    "PUT",
    summary="Rename, change role or reset password (admin).",
    role="admin",
    body=UserUpdate,
    responses={200: CreatedId, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_user(user_id: str, body: UserUpdate) -> Response:
    user = user_service.update_user(session(), actor(), user_id, body, runtime().clock())
    return json_response({"id": user.id, "message": "User updated"})


@api_route(
    users_bp,
    "/<user_id>",
    "DELETE",
    summary="Remove a user (admin).",
    role="admin",
    responses={200: MessageOut, 404: ErrorOut, 409: ErrorOut},
)
def delete_user(user_id: str) -> Response:
    user_service.delete_user(session(), actor(), user_id, runtime().clock())
    return json_response({"message": "User deleted"})
