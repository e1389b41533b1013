"""Build the Flask application: blueprints, error answers, and the collaborators it uses."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from pushtask.api import auth, directory, health, openapi, push, tasks, web, wechat_auth
from pushtask.api import callbacks as wechat_callbacks
from pushtask.api import confirmations as confirmations_api
from pushtask.api import feedback as feedback_api
from pushtask.api import group_tags as group_tags_api
from pushtask.api import links as links_api
from pushtask.api import media as media_api
from pushtask.api import metrics as metrics_api
from pushtask.api import notifications as notifications_api
from pushtask.api import planner as planner_api
from pushtask.api import previews as preview_api
from pushtask.api import privacy as privacy_api
from pushtask.api import task_import as task_import_api
from pushtask.api import trash as trash_api
from pushtask.api.base import ApiError, json_response, lang
from pushtask.db import is_unavailable
from pushtask.errors import Conflict, Forbidden, InvalidInput, NotFound
from pushtask.i18n import translate
from pushtask.infra.outage import describe
from pushtask.runtime import Runtime

log = logging.getLogger("pushtask.api")
# What a 503 asks clients to wait: a database restart takes seconds.
RETRY_AFTER_S = 5


def create_app(runtime: Runtime) -> Flask:
    """Return the WSGI application for this runtime (settings, database, clock)."""
    app = Flask("pushtask", static_folder=None)
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["app_path"] = web.AppPath
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["pushtask"] = runtime
    for blueprint in (
        health.bp,
        auth.auth_bp,
        auth.users_bp,
        tasks.bp,
        directory.groups_bp,
        directory.recipients_bp,
        push.bp,
        push.history_bp,
        confirmations_api.bp,
        openapi.bp,
        web.bp,
        notifications_api.bp,
        feedback_api.bp,
        feedback_api.reports_bp,
        metrics_api.bp,
        preview_api.bp,
        media_api.media_bp,
        wechat_auth.me_bp,
        wechat_callbacks.bp,
        privacy_api.bp,
        planner_api.occurrences_bp,
        planner_api.calendar_bp,
        task_import_api.bp,
        group_tags_api.bp,
        trash_api.bp,
        links_api.short_bp,
        links_api.bp,
        links_api.settings_bp,
        links_api.reports_bp,
    ):
        app.register_blueprint(blueprint)
    metrics_api.init_app(app)
    _register_error_handlers(app)
    app.after_request(_security_headers)
    return app


# Scripts only from our own origin (no inline scripts); inline styles are allowed because Element Plus
# and Swagger UI set style attributes. Nothing may frame the admin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


class IdConverter(BaseConverter):
    """An object id in a URL: anything but the fixed words sibling routes use.

    Without it `/api/tasks/batch` would also match `/api/tasks/<id>` (and `/api/preview/confirm`
    `/api/preview/<id>`), and the methods a client is told are allowed there would be wrong.
    """

    regex = r"(?!(?:batch|export|validate|confirm|subscriptions|templates|tasks|import|trash|sync|tags)$)[^/]+"


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(InvalidInput)
    def invalid_input(exc: InvalidInput) -> Response:
        language = lang()
        details = [{"field": p.field, "message": translate(p.code, language, **p.params)} for p in exc.problems]
        return json_response({"error": exc.error, "details": details}, 400)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        if exc.code is not None:
            return json_response({"error": exc.error, "reason": translate(exc.code, lang())}, 404)
        return json_response({"error": exc.error}, 404)

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> Response:
        return json_response({"error": exc.error, "reason": translate(exc.code, lang(), **exc.params)}, 409)

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden) -> Response:
        return json_response({"error": "Forbidden", "reason": str(exc)}, 403)

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        payload: dict[str, object] = {"error": exc.error}
        if exc.reason:
            payload["reason"] = exc.reason
        response = json_response(payload, exc.status)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return json_response(
            {"error": "Payload too large", "reason": translate("body_too_large", lang(), limit=limit)}, 413
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if code == 404:
            return json_response({"error": "Not found", "reason": translate("not_found", lang())}, 404)
        if code == 405:
            response = json_response(
                {"error": "Method not allowed", "reason": translate("method_not_allowed", lang())}, 405
            )
            # RFC 9110: a 405 says which methods the resource does support.
            response.headers["Allow"] = ", ".join(sorted(getattr(exc, "valid_methods", None) or []))
            return response
        return json_response({"error": exc.name}, code)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_down(exc: DBAPIError) -> Response:
        # An unreachable database is logged once per outage, by the engine (pushtask.db.watch_availability).
        if not is_unavailable(exc):
            if not isinstance(exc, OperationalError):
                log.exception("database error on %s %s", request.method, request.path)
                return json_response({"error": "Internal error", "reason": translate("internal", lang())}, 500)
            # e.g. a deadlock or a lock wait timeout: a retry will do
            log.warning("database error on %s %s: %s", request.method, request.path, describe(exc))
        response = json_response({"error": "Service unavailable", "reason": translate("db_unavailable", lang())}, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return json_response({"error": "Internal error", "reason": translate("internal", lang())}, 500)
