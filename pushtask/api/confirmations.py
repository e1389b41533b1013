"""Two-phase pushes (a group owner confirms the send later): check now, remind the owners now.

Each route calls `services.confirmations.run_now`, which has the engine run its own round for
one push on this process's WeChat loop, with the same claim and lease as the worker's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response

from pushtask.api.base import ApiError, actor, api_route, json_response, lang, runtime, session
from pushtask.api.presenters import push_detail_out
from pushtask.i18n import translate
from pushtask.runtime import wechat_link
from pushtask.schemas import ErrorOut
from pushtask.schemas.confirmations import RefreshOut, RemindIn, RemindOut
from pushtask.services import confirmations, pushes

bp = Blueprint("push_confirmations", __name__, url_prefix="/api/push")


def _run(
    push_id: str, *, check: bool, remind: bool, group_ids: list[str] | None = None
) -> Sequence[confirmations.RoundReport]:
    rt = runtime()
    engine = wechat_link(rt).engine
    try:
        return confirmations.run_now(
            session(), actor(), push_id, rt.clock(), engine, check=check, remind=remind, group_ids=group_ids
        )
    except TimeoutError:
        raise ApiError(503, "Service unavailable", translate("channel_busy", lang())) from None


@api_route(
    bp,
    "/<push_id>/refresh",
    "POST",
    summary="Ask the channel now for the outcome of a push's groups awaiting confirmation.",
    role="operator",
    responses={200: RefreshOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
)
def refresh(push_id: str) -> Response:
    reports = _run(push_id, check=True, remind=False)
    db = session()
    push = pushes.get_push(db, actor(), push_id)
    out: dict[str, Any] = push_detail_out(push, pushes.deliveries_of(db, push), lang())
    out["checked"] = len(reports)
    return json_response(out)


@api_route(
    bp,
    "/<push_id>/remind",
    "POST",
    summary="Remind the owners of a push's groups awaiting confirmation (all, or those of `groupIds`); "
    "says per group if accepted.",
    role="operator",
    body=RemindIn,
    responses={200: RemindOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
)
def remind(push_id: str, body: RemindIn) -> Response:
    reports = _run(push_id, check=False, remind=True, group_ids=body.groupIds)
    en = lang() == "en"
    rows = []
    for r in reports:
        answer = r.reminded
        accepted = answer is not None and answer.ok
        reason = None
        if answer is None:
            reason = "已结束，无需提醒" if not en else "Already ended; nothing to remind"
        elif not answer.ok:
            reason = (answer.reason_en if en else answer.reason_zh) or answer.reason_zh or None
        rows.append(
            {
                "groupId": r.group_id,
                "groupName": r.group_name,
                "accepted": accepted,
                "errcode": answer.errcode if answer is not None else None,
                "reason": reason,
                "state": r.state,
            }
        )
    return json_response({"pushId": push_id, "reminders": rows})
