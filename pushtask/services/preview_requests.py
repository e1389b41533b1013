"""A preview request from start to answer (issue 18, item 8): what the blueprint used to do itself.

The rate limit; the commit before anything is sent (no HTTP call inside a transaction, and a fast
reviewer's tap finds the preview); having the engine send this request's outbox rows and waiting a
few seconds for them; relabelling the WeCom cards after a decision. `api/previews.py` parses, calls
one function here, and presents the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from pushtask.domain import content as rules
from pushtask.infra.wechatlink import WeChatLink
from pushtask.models import PreviewRecipient
from pushtask.schemas import ContentIn
from pushtask.services import preview_tools, previews
from pushtask.services.context import Actor
from pushtask.services.previews import Decision

SEND_TIMEOUT_S = 8.0
PER_TASK = (6, 60.0)  # previews per task per minute


class RateLimited(Exception):
    """This user or this task sent too many previews lately (answered 429 with Retry-After)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("Rate limit exceeded")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Sending:
    """What a request thread sends with: the WeChat link, its sessions and clock, the engine's wake-up."""

    link: WeChatLink
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    wake: Callable[[], None]
    per_user: int  # previews per user per minute (PUSHTASK_PREVIEW_RATE_PER_USER)


def admit(sending: Sending, user_id: str, task_id: str) -> None:
    """Raise RateLimited when this user or this task has sent too many previews lately."""
    store = sending.link.store
    now = sending.clock().timestamp()
    for key, (limit, window) in (
        (f"preview:user:{user_id}", (sending.per_user, 60.0)),
        (f"preview:task:{task_id}", PER_TASK),
    ):
        wait = sending.link.bridge.run(store.admit(key, now, window, limit), timeout=2)
        if wait > 0:
            raise RateLimited(max(1, round(wait + 0.5)))


def send_and_wait(sending: Sending, send_id: str, deadline_s: float = SEND_TIMEOUT_S) -> None:
    """Have the engine send these committed outbox rows, and wait (a few seconds at most) for them.

    The rows were committed with top priority and the engine woken. This process then claims
    whatever no worker has taken yet — with the engine's own claim, so nothing is sent twice — and
    sends it at once; rows a worker already holds are waited for until `deadline_s`.
    """
    link = sending.link
    sending.wake()
    started = time.monotonic()
    try:
        link.bridge.run(link.notifier(sending.sessions).send_previews(send_id, sending.clock()), timeout=deadline_s)
    except TimeoutError:
        return
    while time.monotonic() - started < deadline_s:
        with sending.sessions() as db:
            waiting = previews.sends_in_flight(db, send_id)
        if not waiting:
            return
        time.sleep(0.05)  # a worker holds them: its result is moments away


def channels(link: WeChatLink) -> set[str]:
    """The reviewer channels this server can send on ("wecom", "miniprogram")."""
    out = set()
    if link.messenger.wecom is not None:
        out.add("wecom")
    if link.messenger.miniprogram is not None and link.messenger.subscribe_template_id:
        out.add("miniprogram")
    return out


def send_preview(
    session: Session,
    sending: Sending,
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    recipient_ids: list[str] | None,
    *,
    image_exists: rules.ImageLookup,
) -> tuple[str, list[tuple[PreviewRecipient, str]]]:
    """Check, record and commit a preview, have it sent, and return (preview id, each reviewer's row and name)."""
    admit(sending, actor.user_id, task_id)
    link = sending.link
    plan = previews.start(
        session,
        actor,
        task_id,
        content,
        recipient_ids,
        sending.clock(),
        image_exists=image_exists,
        channels=channels(link),
        subscribe_template_id=link.messenger.subscribe_template_id,
    )
    session.commit()
    send_and_wait(sending, plan.preview_id)
    session.expire_all()
    return plan.preview_id, previews.reviewers_of(session, plan.preview_id)


@dataclass(frozen=True)
class SelfTestResult:
    status: str  # "sent" | "failed" | "queued"
    reason: str | None
    channel: str
    name: str


def send_self_test(
    session: Session,
    sending: Sending,
    actor: Actor,
    task_id: str,
    content: ContentIn | None,
    *,
    image_exists: rules.ImageLookup,
) -> SelfTestResult:
    """Queue and commit a test to the caller's own linked WeChat, have it sent, and say what happened."""
    admit(sending, actor.user_id, task_id)
    test = preview_tools.start_self_test(
        session,
        actor,
        task_id,
        content,
        sending.clock(),
        image_exists=image_exists,
        channels=channels(sending.link),
    )
    session.commit()
    send_and_wait(sending, test.send_id)
    session.expire_all()
    status, reason = preview_tools.self_test_outcome(session, test.key)
    return SelfTestResult(status, reason, test.target.channel, test.target.name)


def relabel_cards(link: WeChatLink, decision: Decision, *, skip_card: str | None = None) -> None:
    """Relabel the WeCom cards after a decision — in the background, best effort (else the card keeps its label)."""
    label = "已确认" if decision.preview.status == "confirmed" else "已要求修改"
    if decision.preview.status == "pending":
        return
    messenger = link.messenger

    async def follow_up() -> None:
        for code, userid in decision.cards:
            if code != skip_card:
                await messenger.update_card(code, userid, label)
        # The "modify requested" notices to the creator are written by `previews.decide` (bell, outbox).

    link.bridge.submit(follow_up())
