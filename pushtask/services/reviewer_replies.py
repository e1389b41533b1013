"""A reviewer's answer that arrived as a WeChat callback: a card tap, a text reply, a subscription grant.

`handle` records the callback by its identity (WeChat retries a callback it got no answer to: a
repeat changes nothing), decides the preview through the one service (`previews.decide`) and
commits. The route then answers WeChat from what it returns and relabels the cards in the background.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pushtask.errors import Conflict, NotFound
from pushtask.i18n import translate
from pushtask.infra import fieldcrypt
from pushtask.models import CallbackReceipt
from pushtask.services import previews

log = logging.getLogger("pushtask.callbacks")

RECEIPT_CONTEXT = "t_callback_receipts.key"


@dataclass(frozen=True)
class Handled:
    """What to answer WeChat and what to do after the commit."""

    # ("update_button", label) for a card tap, ("text", content) for a text reply, None: answer "success".
    reply: tuple[str, str] | None = None
    # A decision taken: its WeCom cards are relabelled (all but `skip_card`, which the reply relabels).
    decision: previews.Decision | None = None
    skip_card: str | None = None


def handle(
    session: Session, kind: str, fields: dict[str, str], accepted_templates: list[str], now: datetime
) -> Handled:
    """Act on one verified, decrypted callback of channel `kind` (`wecom`, `miniprogram`); committed on return."""
    if not _first_time(session, kind, fields, now):
        return Handled()
    handled = _handle(session, kind, fields, accepted_templates, now)
    session.commit()
    return handled


def _receipt_key(kind: str, fields: dict[str, str]) -> str:
    """The callback's identity, kept as a keyed hash: an event's identity includes the sender's userid/openid."""
    if fields.get("MsgId"):
        identity = f"msg:{fields['MsgId']}"
    else:
        # Events carry no MsgId: WeChat's advice is sender + CreateTime (plus what the event is about).
        parts = [fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event", "EventKey", "TaskId")]
        identity = "evt:" + ":".join(parts)
    return f"{kind}:{fieldcrypt.lookup_hash(identity, RECEIPT_CONTEXT)}"


def _first_time(session: Session, kind: str, fields: dict[str, str], now: datetime) -> bool:
    """Record this callback; False when it was handled before (a retry)."""
    savepoint = session.begin_nested()
    try:
        session.add(CallbackReceipt(key=_receipt_key(kind, fields), channel=kind, received_at=now))
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _handle(
    session: Session, kind: str, fields: dict[str, str], accepted_templates: list[str], now: datetime
) -> Handled:
    msg_type, event = fields.get("MsgType", ""), fields.get("Event", "")
    sender = fields.get("FromUserName", "")
    if msg_type == "event" and event == "template_card_event":
        found = previews.reviewer_by_card(session, fields.get("TaskId", ""), sender)
        if found is None:
            return Handled()
        response = previews.CONFIRM_KEY if fields.get("EventKey") == previews.CONFIRM_KEY else previews.MODIFY_KEY
        decision, label = _decide(session, found, response, "", now)
        if decision is None:
            return Handled()
        return Handled(("update_button", label), decision, skip_card=fields.get("ResponseCode"))
    if msg_type == "text":
        parsed = previews.parse_reply(fields.get("Content", ""))
        if parsed is None:
            return Handled(("text", "回复“确认”通过预览，或回复“修改 意见”退回修改。"))
        found = previews.open_preview_for(session, kind, sender)
        if found is None:
            return Handled(("text", "没有待确认的预览。"))
        decision, label = _decide(session, found, parsed[0], parsed[1], now)
        return Handled(("text", label), decision)
    if msg_type == "event" and event == "subscribe_msg_popup_event" and kind == "miniprogram":
        for template_id in accepted_templates:
            previews.grant_by_openid(session, sender, template_id, now)
    return Handled()


def _decide(
    session: Session, found: tuple[str, previews.Decider], response: str, comment: str, now: datetime
) -> tuple[previews.Decision | None, str]:
    """Decide through the one service; return the decision (None: refused) and what to tell the reviewer."""
    preview_id, decider = found
    try:
        decision = previews.decide(session, preview_id, response, comment, decider, now)
    except Conflict as exc:
        # The recipient id, not the name: logs carry no personal data.
        log.info("decision refused", extra={"recipient_id": decider.recipient_id, "code": exc.code})
        return None, translate(exc.code, **exc.params)
    except NotFound:
        return None, translate("task_not_found")
    return decision, "已确认" if response == previews.CONFIRM_KEY else "已要求修改"
