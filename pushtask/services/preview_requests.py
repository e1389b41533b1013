""" "Send a test to myself" (issue 18): the preview request's path, to the signed-in user's own WeChat.

Rate-limited with the previews (`previews.send`'s limits), committed before anything is sent, sent by
the engine like a preview (`PreviewEngine`) and waited for a few seconds, so that the answer says
what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from pushtask.domain import content as rules
from pushtask.domain.actor import Actor
from pushtask.infra.wakeup import Wakeup
from pushtask.schemas import ContentIn
from pushtask.services import preview_tools, previews


@dataclass(frozen=True)
class SelfTestResult:
    status: str  # "sent" | "failed" | "queued"
    reason: str | None
    channel: str
    name: str


def send_self_test(
    session: Session,
    sessions: sessionmaker[Session],
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    clock: Callable[[], datetime],
    *,
    reach: previews.ReviewerReach,
    engine: previews.PreviewEngine,
    wakeup: Wakeup,
    per_user_limit: int,
    image_exists: rules.ImageLookup,
) -> SelfTestResult:
    """Queue and commit a test to the caller's own linked WeChat, have it sent, and say what happened."""
    previews.admit(reach, actor, task_id, clock().timestamp(), per_user_limit)
    test = preview_tools.start_self_test(
        session,
        actor,
        task_id,
        content,
        clock(),
        image_exists=image_exists,
        channels=reach.reviewer_channels(),
    )
    session.commit()
    previews.send_and_wait(sessions, engine, wakeup, test.send_id, clock)
    session.expire_all()
    status, reason = preview_tools.self_test_outcome(session, test.key)
    return SelfTestResult(status, reason, test.target.channel, test.target.name)
