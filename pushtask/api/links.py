"""Tracked links (issue 19): the public short link, the mini program's open, the switch, the engagement report."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, request

from pushtask.api.base import (
    ApiError,
    QueryParam,
    actor,
    api_route,
    json_response,
    lang,
    runtime,
    session,
)
from pushtask.domain import bots
from pushtask.domain import links as link_rules
from pushtask.errors import FieldProblem, InvalidInput, NotFound
from pushtask.i18n import translate
from pushtask.infra import fieldcrypt
from pushtask.models import Organization
from pushtask.models.notification import MEMBER  # answers hash member ids so: one person, one key
from pushtask.notify import engagement, feedback_token
from pushtask.schemas import YEARS_1970_2199, ErrorOut
from pushtask.schemas_engagement import (
    EngagementReportOut,
    LinkOpenIn,
    LinkOpenOut,
    LinkSettingsIn,
    LinkSettingsOut,
)
from pushtask.services import links as link_service
from pushtask.services.schedules import localize
from pushtask.services.tasks import time_problem

short_bp = Blueprint("short_links", __name__, url_prefix="/l")
bp = Blueprint("links", __name__, url_prefix="/api/links")
settings_bp = Blueprint("link_settings", __name__, url_prefix="/api/settings/links")
reports_bp = Blueprint("engagement_report", __name__, url_prefix="/api/reports")


def _address() -> str:
    return request.remote_addr or "unknown"


def _limit() -> None:
    rate = runtime().link_rate
    wait = rate.hit(_address()) if rate is not None else 0.0
    if wait:
        seconds = int(wait)
        raise ApiError(
            429,
            "Rate limit exceeded",
            translate("link_rate_limited", lang(), seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )


def _not_found_page() -> Response:
    text = translate("link_not_found", "zh")
    body = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>链接无效</title><p>{html.escape(text)}</p><p>{html.escape(translate('link_not_found', 'en'))}</p>"
    )
    return Response(body, status=404, mimetype="text/html")


@short_bp.get("/<code>")
def follow(code: str) -> Response:
    """Answer 302 to the link's stored URL (never one from the request) and count the click of a person."""
    _limit()
    rt = runtime()
    db = rt.sessions()
    try:
        try:
            found = link_service.find(db, code, "link")
        except NotFound:
            return _not_found_page()
        target = found.link.url
        if not target.lower().startswith(("https://", "http://")):
            return _not_found_page()  # only web addresses are ever stored as links; anything else is refused
        if found.feedback:
            link = found.link
            expires = feedback_token.expiry(found.fire_at, rt.settings.feedback_ttl_days)
            token = feedback_token.sign(rt.settings.secret_key, link.task_id, link.group_id, link.push_id, expires)
            target = link_rules.with_param(target, feedback_token.PARAM, token)
        agent = request.headers.get("User-Agent", "")
        # HEAD is what preview fetchers and link checkers send; a person's tap is a GET.
        if request.method == "GET" and not bots.is_bot(agent):
            now = rt.clock()
            visitor = link_rules.visitor_key(rt.settings.secret_key, _address(), agent, now)
            link_service.record(db, found, "click", visitor, now)
            db.commit()
    finally:
        db.close()
    response = Response(status=302, headers={"Location": target})
    response.headers["Cache-Control"] = "no-store"  # every open reaches us (and is counted)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@api_route(
    bp,
    "/<code>/open",
    "POST",
    summary="The mini program reports that a card's page was opened (its path carried ptl=<code>); public,"
    " rate-limited per address.",
    role=None,
    body=LinkOpenIn,
    responses={200: LinkOpenOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
)
def report_open(code: str, body: LinkOpenIn) -> Response:
    _limit()
    rt = runtime()
    found = link_service.find(session(), code, "mini")
    agent = request.headers.get("User-Agent", "")
    if bots.is_bot(agent):
        return json_response({"counted": False})
    now = rt.clock()
    if body.memberId:
        visitor = fieldcrypt.lookup_hash(body.memberId, MEMBER)
    else:
        visitor = link_rules.visitor_key(rt.settings.secret_key, _address(), agent, now)
    link_service.record(session(), found, "open", visitor, now)
    return json_response({"counted": True})


@api_route(
    settings_bp,
    "",
    "GET",
    summary="Whether the organisation sends tracked short links (issue 19).",
    role="viewer",
    responses={200: LinkSettingsOut},
)
def get_settings() -> Response:
    return json_response({"tracking": link_service.tracking_enabled(session(), actor().org_id)})


@api_route(
    settings_bp,
    "",
    "PUT",
    summary="Turn tracked short links on or off for pushes planned from now on (off: the original links are sent).",
    role="admin",
    body=LinkSettingsIn,
    responses={200: LinkSettingsOut, 400: ErrorOut},
)
def put_settings(body: LinkSettingsIn) -> Response:
    link_service.set_tracking(session(), actor().org_id, body.tracking)
    return json_response({"tracking": body.tracking})


DAY_OR_TIME = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "pattern": YEARS_1970_2199,
}


def _bound(name: str, raw: str | None, zone: str, problems: list[FieldProblem]) -> datetime | None:
    """A date (midnight in the organisation's zone; `to` includes that whole day) or an ISO date-time."""
    if not raw:
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            value = datetime(day.year, day.month, day.day) + (timedelta(days=1) if name == "to" else timedelta())
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        problems.append(FieldProblem(name, "type_datetime"))
        return None
    if problem := time_problem(name, value):
        problems.append(problem)
        return None
    return localize(value, zone)


@api_route(
    reports_bp,
    "/engagement",
    "GET",
    summary="Engagement report: per push, group and A/B variant — members reached, clicks, unique clickers, answers,"
    " average rating and the interaction rate (how it is computed is in `definition`); per day; variants compared.",
    role="viewer",
    query=(
        QueryParam("taskId", "Only this task's pushes (deleted tasks keep their report)."),
        QueryParam("groupId", "Only this group."),
        QueryParam(
            "from", "Pushes fired from (a date: midnight in the organisation's zone; or a date-time).", DAY_OR_TIME
        ),
        QueryParam("to", "Pushes fired before (a date includes that whole day; or a date-time).", DAY_OR_TIME),
        QueryParam(
            "format",
            "json (default) or csv (one line per push, group and variant).",
            {"type": "string", "enum": ["json", "csv", ""]},
        ),
    ),
    responses={200: EngagementReportOut, 400: ErrorOut},
    also={200: "text/csv"},
)
def engagement_report() -> Response:
    args = dict(request.args.items())
    problems = [
        FieldProblem(k, "unknown_field") for k in args if k not in {"taskId", "groupId", "from", "to", "format"}
    ]
    db = session()
    who = actor()
    zone = db.get(Organization, who.org_id)
    tz = zone.timezone if zone is not None else "Asia/Shanghai"
    start = _bound("from", args.get("from"), tz, problems)
    end = _bound("to", args.get("to"), tz, problems)
    fmt = args.get("format") or "json"
    if fmt not in ("json", "csv"):
        problems.append(FieldProblem("format", "choice", {"choices": "json, csv"}))
    if problems:
        raise InvalidInput(problems, error="Invalid query")
    rt = runtime()
    report = engagement.engagement_report(
        db, who, task_id=args.get("taskId"), group_id=args.get("groupId"), start=start, end=end, now=rt.clock()
    )
    if fmt == "json":
        return json_response(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(engagement.CSV_COLUMNS)
    writer.writerows(engagement.csv_rows(report))
    stamp = rt.clock().strftime("%Y%m%d-%H%M%S")
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="engagement-report-{stamp}.csv"'},
    )
