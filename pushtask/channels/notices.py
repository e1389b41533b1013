"""Channels that reach one person (reviewer notices, result notices, reminders) — the same protocol
as the group channels, so the engine sends a notice exactly as it sends a group's push.

- `wecom_app`: a WeCom app text message to one member (`target.ref` = userid). WeCom drops a
  repeat inside the duplicate-check window, so a retry never shows a notice twice.
- `mp_subscribe`: a mini-program one-time subscribe message (服务通知) to one openid, built from
  `Message.template` (fields and page). 43101 (no subscription left) is permanent.

Alerts go to the operations group through the ordinary `wecom_robot` channel.
"""

from __future__ import annotations

from pushtask.channels.base import GroupTarget, Message, Refusal, SendResult, failed, refused, sent
from pushtask.wechat import wecom_payloads as wp
from pushtask.wechat.errors import WeChatError
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.wecom import WeComClient

WECOM_APP = "wecom_app"
MP_SUBSCRIBE = "mp_subscribe"
DUPLICATE_WINDOW_S = 1800
QUOTA_EXHAUSTED = 43101  # the person has no one-time subscription left


def _common(name: str, target: GroupTarget) -> list[Refusal]:
    problems = []
    if target.channel != name:
        problems.append(
            Refusal(
                "target",
                "wrong_channel",
                f"该接收人属于渠道 {target.channel}，不能用 {name} 发送",
                f"The person uses channel {target.channel}, not {name}",
            )
        )
    if not target.ref:
        problems.append(Refusal("target", "no_ref", "该接收人没有微信身份", "The person has no WeChat identity"))
    return problems


class WeComAppChannel:
    """Notices to one WeCom member as app text messages."""

    name = WECOM_APP
    deduplicates = True  # enable_duplicate_check: an identical request inside the window is dropped

    def __init__(self, client: WeComClient) -> None:
        self._client = client

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        problems = _common(self.name, target)
        if not message.text.strip():
            problems.append(Refusal("text", "text_required", "通知内容为空", "The notice has no text"))
        return problems

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        problems = self.validate(target, message)
        if problems:
            return refused(self.name, problems)
        try:
            receipt = await self._client.send_message(
                wp.text(message.text), touser=[target.ref], duplicate_check_interval_s=DUPLICATE_WINDOW_S
            )
        except WeChatError as exc:
            return failed(self.name, exc, parts_delivered=0, deduplicates=self.deduplicates)
        if receipt.invalid_users:
            return refused(
                self.name, [Refusal("target", "unknown_user", "企业微信中找不到该成员", "No such member in WeCom")]
            )
        return sent(self.name, [receipt.msgid] if receipt.msgid else [])


class MiniProgramSubscribeChannel:
    """Notices to one mini-program user as a one-time subscribe message."""

    name = MP_SUBSCRIBE
    deduplicates = False

    def __init__(self, client: MiniProgramClient, template_id: str) -> None:
        self._client = client
        self._template_id = template_id

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        problems = _common(self.name, target)
        if message.template is None or not message.template.fields:
            problems.append(
                Refusal("template", "template_required", "订阅消息缺少模板字段", "The subscribe message has no fields")
            )
        return problems

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        problems = self.validate(target, message)
        if problems or message.template is None:
            return refused(self.name, problems)
        try:
            msgid = await self._client.send_subscribe_message(
                target.ref, self._template_id, dict(message.template.fields), page=message.template.page or None
            )
        except WeChatError as exc:
            result = failed(self.name, exc, parts_delivered=0, deduplicates=self.deduplicates)
            if exc.code == QUOTA_EXHAUSTED:
                # Retrying cannot help until the person subscribes again.
                return SendResult(**{**result.__dict__, "permanent": True})
            return result
        return sent(self.name, [msgid] if msgid else [])
