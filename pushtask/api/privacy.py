"""Personal data on request (PIPL): an admin exports or erases everything held about one person."""

from __future__ import annotations

from flask import Blueprint, Response

from pushtask.api.base import actor, api_route, json_response, runtime, session
from pushtask.schemas import ErrorOut, PersonErasedOut, PersonExportOut, PersonIn
from pushtask.services import privacy

bp = Blueprint("privacy", __name__, url_prefix="/api/privacy")


def _request(body: PersonIn) -> tuple[privacy.Person, privacy.Via]:
    who = actor()
    return privacy.Person.of(body.identifier, body.value), privacy.Via("api", who.user_id)


@api_route(
    bp,
    "/export",
    "POST",
    summary="Everything the organisation holds about one person, decrypted (admin; audited).",
    role="admin",
    body=PersonIn,
    responses={200: PersonExportOut, 400: ErrorOut, 404: ErrorOut},
)
def export(body: PersonIn) -> Response:
    person, via = _request(body)
    return json_response(privacy.export(session(), actor().org_id, person, via, runtime().clock()))


@api_route(
    bp,
    "/erase",
    "POST",
    summary="Erase one person's data: delete or anonymise it, keeping counts (admin; audited; 404 once erased).",
    role="admin",
    body=PersonIn,
    responses={200: PersonErasedOut, 400: ErrorOut, 404: ErrorOut},
)
def erase(body: PersonIn) -> Response:
    person, via = _request(body)
    counts = privacy.erase(session(), actor().org_id, person, via, runtime().clock())
    return json_response({"message": "Personal data erased", "erased": counts})
