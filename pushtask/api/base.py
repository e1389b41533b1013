"""The route table: each API route declares its role, body model and responses once.

The same declaration authenticates and authorises the request, validates its body,
opens and commits the unit of work, and documents the route in OpenAPI — so a route
cannot exist without a rule, and the documentation cannot drift from the checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pushtask.api.validation import validate
from pushtask.domain.actor import Actor
from pushtask.i18n import pick_language, translate
from pushtask.runtime import Runtime
from pushtask.schemas import ErrorOut
from pushtask.security import InvalidToken
from pushtask.services import users as user_service


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    endpoint: str
    summary: str
    tag: str
    role: str | None
    body: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | str]
    query: tuple[QueryParam, ...] = ()
    scopes: tuple[str, ...] = ("operator",)
    # A multipart/form-data body with one required file field of this name (instead of JSON).
    upload: str | None = None
    # Other media types a status may answer with (a report as text/csv besides JSON).
    also: dict[int, str] | None = None


ROUTES: list[RouteSpec] = []


class ApiError(Exception):
    """An HTTP answer other than success, with the PRD's `error` text and optional reason."""

    def __init__(self, status: int, error: str, reason: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.reason = reason
        self.headers = headers or {}


def runtime() -> Runtime:
    """Return this app's collaborators."""
    rt: Runtime = current_app.extensions["pushtask"]
    return rt


def lang() -> str:
    """Return the caller's language: zh-CN unless Accept-Language prefers English."""
    return pick_language(request.headers.get("Accept-Language"))


def session() -> Session:
    """Return the request's database session, opened on first use (a cached answer needs none)."""
    db: Session | None = g.get("db")
    if db is None:
        db = g.db = runtime().sessions()
    return db


def actor() -> Actor:
    """Return the signed-in user of this request."""
    who: Actor = g.actor
    return who


def authenticate(rt: Runtime) -> None:
    """Set the request's actor and claims from its bearer token, or answer 401 (also for public routes)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Unauthorized", translate("auth_missing", lang()))
    try:
        g.actor, g.claims = user_service.authenticate(session, rt.signer, token.strip(), rt.clock(), rt.token_cache)
    except InvalidToken:
        raise ApiError(401, "Unauthorized", translate("auth_invalid", lang())) from None


def api_route(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    role: str | None,
    responses: dict[int, type[BaseModel] | str],
    body: type[BaseModel] | None = None,
    query: tuple[QueryParam, ...] = (),
    tag: str | None = None,
    scopes: tuple[str, ...] = ("operator",),
    upload: str | None = None,
    also: dict[int, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view with its access rule, body model and documented responses.

    `scopes` names the kinds of token admitted (pushtask.security.SCOPES); `role` applies to
    operators' tokens only — reviewer and member tokens reach no route that does not list them.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**path_args: Any) -> Any:
            rt = runtime()
            g.db = None  # opened by session() on first use
            try:
                if role is not None:
                    authenticate(rt)
                    who = actor()
                    if who.scope not in scopes:
                        raise ApiError(403, "Forbidden", translate(f"scope_forbidden_{who.scope}", lang()))
                    if who.scope == "operator" and not who.can(role):
                        raise ApiError(403, "Forbidden", translate("forbidden_role", lang(), role=role))
                if body is not None:
                    path_args["body"] = validate(body, request.get_data())
                result = view(**path_args)
                if g.db is not None:
                    g.db.commit()
                if method != "GET":
                    # A change may make something due sooner: workers re-plan now instead of at their next poll.
                    rt.wakeup.notify()
                return result
            except BaseException:
                if g.db is not None:
                    g.db.rollback()
                raise
            finally:
                if g.db is not None:
                    g.db.close()

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        documented = dict(responses)
        # Every body can be malformed or too large, and every query can be wrong: say so in the docs.
        if body is not None or upload is not None:
            documented.setdefault(400, ErrorOut)
            documented.setdefault(413, ErrorOut)
        if query:
            documented.setdefault(400, ErrorOut)
        if role is not None and "<" in rule:
            documented.setdefault(404, ErrorOut)
        prefix = bp.url_prefix or ""
        ROUTES.append(
            RouteSpec(
                method=method,
                path=prefix + rule,
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                tag=tag or bp.name,
                role=role,
                body=body,
                responses=documented,
                query=query,
                scopes=scopes,
                upload=upload,
                also=also,
            )
        )
        return wrapper

    return decorate


def json_response(payload: Any, status: int = 200) -> Response:
    """Return a JSON response with this status."""
    response = jsonify(payload)
    response.status_code = status
    return response
