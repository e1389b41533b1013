"""Serve the built admin (pushtask/web/): hashed assets cached for a year, every other path gets the app."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from werkzeug.routing import PathConverter

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
bp = Blueprint("web", __name__)


class AppPath(PathConverter):
    """Any path the admin's router may own: everything but the API, WeChat callbacks and metrics.

    Excluding them in the URL rule (not in the view) keeps `POST /api/typo` a 404, not a 405 from
    this GET-only route.
    """

    regex = r"(?!api(?:/|$)|wechat/|metrics$)[^/].*?"


@bp.get("/assets/<path:filename>")
def assets(filename: str) -> Response:
    # File names carry a content hash, so a changed file is a new URL: cache them for good.
    response = send_from_directory(WEB_DIR / "assets", filename, max_age=365 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/", defaults={"path": ""})
@bp.get("/<app_path:path>")
def app_shell(path: str) -> Response:
    candidate = WEB_DIR / path
    if path and candidate.is_file() and WEB_DIR in candidate.resolve().parents:
        return send_from_directory(WEB_DIR, path, max_age=3600)
    index = WEB_DIR / "index.html"
    if not index.is_file():
        return Response(
            "The admin is not built. Run `make web` (or `make run`, which builds it), then reload.\n"
            "The API is at /api/docs.",
            status=503,
            mimetype="text/plain",
        )
    # The shell names the current hashed bundles, so it must never be cached.
    response = send_from_directory(WEB_DIR, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
