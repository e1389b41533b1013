"""CSV import of tasks (docs/import.md): the template, dry runs, and the import itself."""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from pushtask.api.base import ApiError, QueryParam, actor, api_route, json_response, lang, runtime, session
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.i18n import translate
from pushtask.schemas import ErrorOut
from pushtask.schemas.planner import ImportOut
from pushtask.services import task_import

bp = Blueprint("task_import", __name__, url_prefix="/api/tasks/import")

IMPORT_QUERY = (
    QueryParam("dryRun", "true: check every row and report, create nothing.", {"type": "boolean", "default": False}),
    QueryParam(
        "skipInvalid",
        "true: create the valid rows even when others are invalid (default: nothing unless every row is valid).",
        {"type": "boolean", "default": False},
    ),
)
_FLAGS = {"true": True, "1": True, "false": False, "0": False, "": False}


def _flag(name: str, problems: list[FieldProblem]) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw not in _FLAGS:
        problems.append(FieldProblem(name, "type_bool"))
        return False
    return _FLAGS[raw]


def _too_large() -> ApiError:
    return ApiError(413, "Payload too large", translate("import_too_large", lang()))


@api_route(
    bp,
    "",
    "POST",
    summary="Import tasks from a CSV file (multipart field `file`; UTF-8 with or without BOM, or GB18030)."
    " Nothing is created when any row is invalid unless skipInvalid=true; at most 1,000 rows and 2 MB.",
    role="operator",
    query=IMPORT_QUERY,
    upload="file",
    responses={200: ImportOut, 400: ErrorOut, 409: ErrorOut, 413: ErrorOut},
)
def import_tasks() -> Response:
    problems = [FieldProblem(key, "unknown_field") for key in request.args if key not in ("dryRun", "skipInvalid")]
    dry_run, skip_invalid = _flag("dryRun", problems), _flag("skipInvalid", problems)
    if problems:
        raise InvalidInput(problems, error="Invalid query")
    # The file may be 2 MB: room for it and the multipart framing, above the API's usual body limit.
    request.max_content_length = task_import.MAX_BYTES + 64 * 1024
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        request.close()
        raise _too_large() from None
    if upload is None:
        raise InvalidInput([FieldProblem("file", "import_file_required")], error="Invalid file")
    try:
        raw = upload.read(task_import.MAX_BYTES + 1)
    finally:
        # A large file is spooled to a temporary file: close it now rather than when it is collected.
        request.close()
    try:
        result = task_import.run(
            session(), actor(), raw, runtime().clock(), lang(), dry_run=dry_run, skip_invalid=skip_invalid
        )
    except task_import.ImportTooLarge:
        raise _too_large() from None
    return json_response(
        {
            "created": result.created,
            "dryRun": dry_run,
            "valid": result.valid,
            "errors": result.errors,
            "taskIds": result.task_ids,
            "warnings": result.warnings,
        }
    )


@api_route(
    bp,
    "/template",
    "GET",
    summary="The CSV import template with two example rows (UTF-8 with BOM).",
    role="viewer",
    responses={200: "text/csv"},
)
def import_template() -> Response:
    return Response(
        task_import.template_csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pushtask-import-template.csv"'},
    )
