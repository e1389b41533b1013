"""The OpenAPI 3.1 document, generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Blueprint, Response, send_from_directory
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from pushtask import __version__
from pushtask.api.base import ROUTES, json_response

bp = Blueprint("docs", __name__, url_prefix="/api")
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
STATIC_DIR = Path(__file__).parent / "static"

_ERROR_TEXT = {
    400: "Invalid input",
    401: "Not signed in",
    403: "Role not allowed",
    404: "Not found",
    409: "Not allowed in the current state",
    304: "Not modified (the ETag matched)",
    413: "Body too large",
    503: "Unavailable",
}


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_bounds(node: Any) -> Any:
    """Write pydantic's ge/le as JSON Schema's minimum/maximum where it could not (integers that also
    accept 130.0 go through a validator first, and pydantic then emits the raw constraint names)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node = {_BOUNDS.get(k, k): v for k, v in node.items()}
        return {k: _json_schema_bounds(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_schema_bounds(v) for v in node]
    return node


def build_openapi() -> dict[str, Any]:
    """Return the OpenAPI document describing every registered route."""
    models: list[type[BaseModel]] = []
    for spec in ROUTES:
        if spec.body is not None:
            models.append(spec.body)
        models += [m for m in spec.responses.values() if isinstance(m, type)]
    unique = list(dict.fromkeys(models))
    refs, schemas = models_json_schema([(m, "validation") for m in unique], ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", spec.path)
        operation: dict[str, Any] = {
            "operationId": spec.endpoint.replace(".", "_"),
            "summary": spec.summary,
            "tags": [spec.tag],
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", path)
        ]
        params += [
            # An empty text filter means "not given" (what an HTML form sends for a blank filter).
            {
                "name": q.name,
                "in": "query",
                "required": q.required,
                "description": q.description,
                "schema": q.schema,
                "allowEmptyValue": q.schema.get("type", "string") == "string" and not q.required,
            }
            for q in spec.query
        ]
        if params:
            operation["parameters"] = params
        if spec.role is None:
            operation["security"] = []
        else:
            who = [f"an operator's token with the {spec.role} role or higher"] if "operator" in spec.scopes else []
            who += [f"a {scope}'s WeChat sign-in token" for scope in spec.scopes if scope != "operator"]
            operation["description"] = f"Requires {' or '.join(who)}."
            operation["x-token-scopes"] = list(spec.scopes)
        if spec.body is not None:
            operation["requestBody"] = {
                # A body whose fields are all optional may be left out (it reads as {}).
                "required": bool(spec.body.model_json_schema().get("required")),
                "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
            }
        if spec.upload is not None:
            upload_schema = {
                "type": "object",
                "required": [spec.upload],
                "properties": {spec.upload: {"type": "string", "format": "binary"}},
            }
            operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload_schema}}}
        for status, model in spec.responses.items():
            if isinstance(model, str):
                # "image/jpeg, image/png": one of these types; "": no body (304).
                content = {m.strip(): {"schema": {"type": "string"}} for m in model.split(",") if m.strip()}
            else:
                content = {"application/json": {"schema": refs[(model, "validation")]}}
            for other_status, mime in (spec.also or {}).items():
                if other_status == status:
                    content[mime] = {"schema": {"type": "string"}}
            answer: dict[str, Any] = {"description": _ERROR_TEXT.get(status, "Success")}
            if content:
                answer["content"] = content
            operation["responses"][str(status)] = answer
        if spec.role is not None:
            operation["responses"].setdefault("401", {"description": _ERROR_TEXT[401]})
            operation["responses"].setdefault("403", {"description": _ERROR_TEXT[403]})
        paths.setdefault(path, {})[spec.method.lower()] = operation
    document: dict[str, Any] = _json_schema_bounds(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "PushTask API",
                "version": __version__,
                "description": "Scheduled pushes to WeChat groups (PRD §8). Sign in with POST /api/auth/login "
                "and send the token as `Authorization: Bearer <token>`.",
            },
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas.get("$defs", {}),
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            },
            "security": [{"bearer": []}],
        }
    )
    return document


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return json_response(build_openapi())


@bp.get("/docs")
def docs_page() -> Response:
    return send_from_directory(STATIC_DIR, "docs.html")


@bp.get("/docs/init.js")
def docs_init() -> Response:
    return send_from_directory(STATIC_DIR, "docs-init.js")


@bp.get("/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Response:
    return send_from_directory(SWAGGER_DIR, filename, max_age=86400)
