"""Feedback routes: members answer through a signed link (public); operators read answers and the report."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, current_app, request

from pushtask.api.base import (
    ApiError,
    QueryParam,
    actor,
    api_route,
    authenticate,
    json_response,
    lang,
    runtime,
    session,
)
from pushtask.api.tasks import IN_RANGE, _parse_time
from pushtask.errors import FieldProblem, InvalidInput
from pushtask.i18n import translate
from pushtask.notify import feedback as feedback_service
from pushtask.notify import report as report_service
from pushtask.notify.limiter import SlidingWindowLimiter
from pushtask.schemas import ErrorOut, FeedbackAccepted, FeedbackIn, FeedbackListOut, FeedbackReportOut
from pushtask.services.schedules import iso_utc

bp = Blueprint("feedback", __name__, url_prefix="/api/feedback")
reports_bp = Blueprint("reports", __name__, url_prefix="/api/reports")

MAX_BYTES = 8192  # the largest valid answer (1,000 Chinese characters + token) fits
PER_CLIENT = (20, 60.0)  # answers per client address per minute
PER_LINK = (300, 60.0)  # answers through one group's link per minute (a big group answering at once)


def _limiters() -> tuple[SlidingWindowLimiter, SlidingWindowLimiter]:
    ext = current_app.extensions
    if "pushtask.feedback_limiters" not in ext:
        clock = runtime().clock
        ext["pushtask.feedback_limiters"] = (
            SlidingWindowLimiter(*PER_CLIENT, clock),
            SlidingWindowLimiter(*PER_LINK, clock),
        )
    limiters: tuple[SlidingWindowLimiter, SlidingWindowLimiter] = ext["pushtask.feedback_limiters"]
    return limiters


def _too_many(seconds: float) -> ApiError:
    wait = int(seconds)
    return ApiError(
        429,
        "Rate limit exceeded",
        translate("feedback_rate_limited", lang(), seconds=wait),
        headers={"Retry-After": str(wait)},
    )


@bp.before_request
def _guard_public_post() -> None:
    """Refuse oversized and flooding answers before parsing them (the route has no sign-in)."""
    if request.method != "POST":
        return
    length = request.content_length
    if (length is not None and length > MAX_BYTES) or len(request.get_data(cache=True)) > MAX_BYTES:
        raise ApiError(413, "Payload too large", translate("feedback_too_large", lang(), limit=MAX_BYTES))
    per_client, _ = _limiters()
    wait = per_client.hit(request.remote_addr or "unknown")
    if wait is not None:
        raise _too_many(wait)


@api_route(
    bp,
    "",
    "POST",
    summary="A group member answers a push (public; the signed link's token authenticates; 8 KB max; a member's"
    " WeChat sign-in token, if sent, names the member).",
    role=None,
    body=FeedbackIn,
    responses={200: FeedbackAccepted, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 429: ErrorOut},
)
def submit(body: FeedbackIn) -> Response:
    _, per_link = _limiters()
    wait = per_link.hit(body.token[-24:])
    if wait is not None:
        raise _too_many(wait)
    rt = runtime()
    member = body.memberId
    if request.headers.get("Authorization"):
        # A member signed in through the mini program (wx.login) is who the token says; other
        # tokens (an admin trying the link) change nothing: the signed link is what authorises.
        authenticate(rt)
        if actor().scope == "member":
            member = actor().member_id
    if not member:
        raise InvalidInput([FieldProblem("memberId", "required")])
    try:
        stored = feedback_service.submit(
            session(), rt.settings.secret_key, body.token, member, body.rating, body.content, rt.clock()
        )
    except feedback_service.Rejected:
        raise ApiError(401, "Unauthorized", translate("feedback_token_invalid", lang())) from None
    return json_response(
        {"message": "Feedback received", "feedbackId": stored.feedback.id, "duplicate": stored.duplicate}
    )


def _range(allowed: frozenset[str]) -> tuple[dict[str, str], datetime | None, datetime | None]:
    args = dict(request.args.items())
    problems = [FieldProblem(k, "unknown_field") for k in args if k not in allowed]
    start = _parse_time("startTime", args["startTime"], problems) if args.get("startTime") else None
    end = _parse_time("endTime", args["endTime"], problems) if args.get("endTime") else None
    # An endTime at or before startTime is an empty window: it selects nothing (not an error).
    if problems:
        raise InvalidInput(problems, error="Invalid query")
    return args, start, end


RANGE_QUERY = (
    QueryParam("taskId", "Only this task's answers."),
    QueryParam("groupId", "Only this group's answers."),
    QueryParam("startTime", "From this instant (ISO 8601, 1970–2199), inclusive.", IN_RANGE),
    QueryParam("endTime", "Until this instant, exclusive (at or before startTime: nothing).", IN_RANGE),
)


@api_route(
    bp,
    "",
    "GET",
    summary="Group members' answers, newest first (PRD §8.6).",
    role="viewer",
    query=(
        *RANGE_QUERY,
        QueryParam(
            "page", "Page number from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}
        ),
        QueryParam("limit", "Rows per page, 1–500.", {"type": "integer", "minimum": 1, "maximum": 500}),
    ),
    responses={200: FeedbackListOut, 400: ErrorOut},
)
def listing() -> Response:
    args, start, end = _range(frozenset({"taskId", "groupId", "startTime", "endTime", "page", "limit"}))
    from pushtask.api.directory import paging

    _q, page, limit = paging(
        {k: v for k, v in args.items() if k in ("page", "limit")},
        allowed=frozenset({"page", "limit"}),
        default_limit=50,
    )
    rows, total = feedback_service.listing(
        session(),
        actor(),
        task_id=args.get("taskId"),
        group_id=args.get("groupId"),
        start=start,
        end=end,
        page=page,
        limit=limit,
    )
    return json_response(
        {
            "feedback": [
                {
                    "feedbackId": r.id,
                    "taskId": r.task_id,
                    "groupId": r.group_id,
                    "userId": r.member,
                    "rating": r.rating,
                    "content": r.content,
                    "timestamp": iso_utc(r.created_at),
                }
                for r in rows
            ],
            "total": total,
        }
    )


@api_route(
    reports_bp,
    "/feedback",
    "GET",
    summary="Feedback report: interaction rate per push, member, group and day; ratings; common opinions.",
    role="viewer",
    query=(
        *RANGE_QUERY,
        QueryParam(
            "format", "json (default) or csv (the per-group table).", {"type": "string", "enum": ["json", "csv", ""]}
        ),
    ),
    responses={200: FeedbackReportOut, 400: ErrorOut},
    also={200: "text/csv"},
)
def feedback_report() -> Response:
    args, start, end = _range(frozenset({"taskId", "groupId", "startTime", "endTime", "format"}))
    fmt = args.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise InvalidInput([FieldProblem("format", "choice", {"choices": "json, csv"})], error="Invalid query")
    report = report_service.feedback_report(
        session(), actor(), task_id=args.get("taskId"), group_id=args.get("groupId"), start=start, end=end
    )
    if fmt == "json":
        return json_response(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(report_service.CSV_COLUMNS)
    writer.writerows(report_service.csv_rows(report))
    stamp = runtime().clock().strftime("%Y%m%d-%H%M%S")
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="feedback-report-{stamp}.csv"'},
    )
