"""wecom_customer_group: WeCom customer groups (客户群, with external WeChat users), owner-confirmed.

`send_batch` makes one `add_msg_template` (chat_type "group") per owner with that owner's groups
(≤ 2,000 per call): text plus attachments (image via media/upload, link, mini-program card with
its thumbnail uploaded as `pic_media_id`). Nothing reaches a group until its owner taps 发送 in
the WeCom client, so every accepted delivery answers `awaiting=True` with the msgid and
"等待群主 <name> 确认发送". `check` reads the owner's task (`get_groupmsg_task`) and, once sent,
each group's result (`get_groupmsg_send_result`); `remind` and `cancel` map WeCom's refusals
(a mass send may be reminded at most 3 times in 24 h) to an ActionResult with the reason.

`read_back` resolves an uncertain send (add_msg_template timed out or answered 5xx): the owner's
mass sends created around the attempt (`get_groupmsg_list_v2`, creator = owner) are searched for
one with this text that includes this group. Found: the delivery awaits the owner (or has its
result); none: WeCom never took the request, so nothing can reach the group and a resend is safe.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pushtask.channels import rules
from pushtask.channels.base import (
    ActionResult,
    Attempt,
    GroupTarget,
    MediaBlob,
    MediaSource,
    Message,
    Pending,
    Reading,
    Refusal,
    SendResult,
    failed,
    refused,
)
from pushtask.channels.media_cache import MediaCache
from pushtask.wechat import customer_group as cg
from pushtask.wechat.customer_group import CustomerGroupClient
from pushtask.wechat.errors import CONTENT_REFUSED, WeChatError
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import Clock, KeyValueStore

NAME = "wecom_customer_group"
TEXT_LIMIT = 4000  # add_msg_template: "消息文本内容，最多4000个字节"
CAPS = rules.Capabilities(text_limit_bytes=TEXT_LIMIT, miniprogram=True, mentions=False)
MINI_TITLE_LIMIT = 64  # "小程序消息标题，最多64个字节"
REMIND_LIMIT_CODE = 45009  # WeCom's answer to a 4th reminder within 24 h
_INVALID_MEDIA = 40007
# Read back: the owner's mass sends created from a minute before the attempt to an hour after it.
READ_BACK_SLACK_S = 60
READ_BACK_WINDOW_S = 3600

ThumbSource = Callable[[str], Awaitable[MediaBlob]]
OwnerNames = Callable[[str], str]


def check_delay(age_s: float) -> float:
    """When to read back again: every 5 min in the first hour, every 30 min until 6 h, then hourly."""
    if age_s < 3600:
        return 300.0
    if age_s < 6 * 3600:
        return 1800.0
    return 3600.0


def _same_text(created: str, sent: str) -> bool:
    """Whether a mass send's text is the one we sent (a feedback link may follow the text)."""
    return created.strip() == sent.strip() or (bool(sent.strip()) and created.startswith(sent.strip()))


def _waiting(name: str) -> tuple[str, str]:
    return f"等待群主 {name} 确认发送", f"Waiting for the group owner {name} to confirm the send"


class WeComCustomerGroupChannel:
    """Mass sends to customer groups through each group's owner (two-phase)."""

    name = NAME
    # The owner sends once per task; a retried add_msg_template after a timeout could create a
    # second task for the owner, so a retry may duplicate.
    deduplicates = False

    def __init__(
        self,
        client: CustomerGroupClient,
        media: MediaSource,
        store: KeyValueStore,
        *,
        http: HttpSeam | None = None,
        thumbs: ThumbSource | None = None,
        owner_names: OwnerNames | Mapping[str, str] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._client = client
        self._media = media
        self._cache = MediaCache(store, f"wecom:{client.wecom.credentials.corp_id}")
        self._http = http
        self._thumbs = thumbs
        if owner_names is None:
            self._owner_name: OwnerNames = lambda userid: userid
        elif callable(owner_names):
            self._owner_name = owner_names
        else:
            names = dict(owner_names)
            self._owner_name = lambda userid: names.get(userid, userid)
        self._clock = clock

    # -- validation ------------------------------------------------------------------------

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        out = rules.validate(NAME, CAPS, target, message)
        if target.channel == NAME and not target.owner:
            out.append(
                Refusal(
                    "target",
                    "no_owner",
                    "客户群缺少群主（请先同步客户群：群管理 → 从企业微信同步）",
                    "The customer group has no owner; sync the groups from WeCom first",
                )
            )
        card = message.miniprogram
        if card is not None:
            if not card.thumb_url.startswith(("http://", "https://")):
                out.append(
                    Refusal(
                        "miniprogram",
                        "card_thumbnail_required",
                        "客户群群发的小程序卡片需要封面图（http(s) 图片地址）",
                        "A mini-program card in a customer-group mass send needs a thumbnail (an http(s) image URL)",
                    )
                )
            if len(card.title.encode("utf-8")) > MINI_TITLE_LIMIT:
                out.append(
                    Refusal(
                        "miniprogram",
                        "too_long",
                        f"小程序卡片标题不能超过 {MINI_TITLE_LIMIT} 字节",
                        f"The mini-program card title may have at most {MINI_TITLE_LIMIT} bytes",
                    )
                )
        return out

    # -- sending ---------------------------------------------------------------------------

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        [result] = await self.send_batch([target], message)
        return result

    async def send_batch(self, targets: Sequence[GroupTarget], message: Message) -> list[SendResult]:
        results: list[SendResult | None] = [None] * len(targets)
        by_owner: dict[str, list[int]] = {}
        for index, target in enumerate(targets):
            refusals = self.validate(target, message)
            if refusals:
                results[index] = refused(NAME, refusals)
            else:
                by_owner.setdefault(target.owner, []).append(index)
        if by_owner:
            try:
                attachments = await self._attachments(message)
            except _Refused as exc:
                for indexes in by_owner.values():
                    for index in indexes:
                        results[index] = refused(NAME, exc.refusals)
                by_owner = {}
            except WeChatError as exc:
                for indexes in by_owner.values():
                    for index in indexes:
                        results[index] = failed(NAME, exc, parts_delivered=0, deduplicates=self.deduplicates)
                by_owner = {}
            for owner, indexes in by_owner.items():
                for start in range(0, len(indexes), cg.MAX_CHATS_PER_CALL):
                    chunk = indexes[start : start + cg.MAX_CHATS_PER_CALL]
                    answers = await self._send_owner(owner, [targets[i] for i in chunk], message, attachments)
                    for index, result in zip(chunk, answers, strict=True):
                        results[index] = result
        return [r for r in results if r is not None]

    async def _send_owner(
        self, owner: str, targets: list[GroupTarget], message: Message, attachments: list[dict[str, Any]]
    ) -> list[SendResult]:
        try:
            answer = await self._client.add_group_msg_template(
                owner, [t.ref for t in targets], message.text, attachments
            )
        except WeChatError as exc:
            return [failed(NAME, exc, parts_delivered=0, deduplicates=self.deduplicates) for _ in targets]
        name = targets[0].owner_name or self._owner_name(owner)
        zh, en = _waiting(name)
        rejected = set(answer.fail_list)
        out = []
        for target in targets:
            if target.ref in rejected or not answer.msgid:
                out.append(
                    SendResult(
                        channel=NAME,
                        sent=False,
                        errcode=CONTENT_REFUSED,
                        errmsg=f"fail_list: {target.ref}",
                        reason_zh=f"企业微信拒绝了该群：群不存在，或群主不是 {name}（客户群群发只能由群主发送）",
                        reason_en=f"WeCom refused this group: it does not exist or {name} is not its owner",
                        permanent=True,
                    )
                )
                continue
            out.append(
                SendResult(
                    channel=NAME,
                    sent=False,
                    msgids=(answer.msgid,),
                    awaiting=True,
                    external_ref=answer.msgid,
                    check_after_s=check_delay(0),
                    detail_zh=zh,
                    detail_en=en,
                    owner=owner,
                )
            )
        return out

    async def _attachments(self, message: Message) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if message.image is not None:
            blob = self._media(message.image)
            refusals = rules.check_image(blob)
            if refusals:
                raise _Refused(refusals)
            out.append({"msgtype": "image", "image": {"media_id": await self._media_id(blob)}})
        if message.link is not None:
            link = message.link
            part: dict[str, Any] = {"title": link.title, "url": link.url}
            if link.description:
                part["desc"] = link.description
            if link.thumb_url:
                part["picurl"] = link.thumb_url
            out.append({"msgtype": "link", "link": part})
        if message.miniprogram is not None:
            card = message.miniprogram
            thumb = await self._thumbnail(card.thumb_url)
            refusals = rules.check_image(thumb)
            if refusals:
                raise _Refused(
                    [
                        Refusal("miniprogram", r.code, "小程序封面图：" + r.zh, "Card thumbnail: " + r.en)
                        for r in refusals
                    ]
                )
            out.append(
                {
                    "msgtype": "miniprogram",
                    "miniprogram": {
                        "title": card.title,
                        "pic_media_id": await self._media_id(thumb),
                        "appid": card.appid,
                        "page": card.pagepath,
                    },
                }
            )
        return out

    async def _thumbnail(self, url: str) -> MediaBlob:
        if self._thumbs is not None:
            return await self._thumbs(url)
        if self._http is None:
            raise _Refused(
                [
                    Refusal(
                        "miniprogram",
                        "thumbnail_unavailable",
                        "无法获取小程序封面图",
                        "Cannot fetch the card thumbnail",
                    )
                ]
            )
        data, mime = await self._http.download(url, limit=rules.IMAGE_LIMIT_BYTES)
        return MediaBlob(data, url.rsplit("/", 1)[-1] or "thumb.jpg", mime)

    async def _media_id(self, blob: MediaBlob) -> str:
        cached = await self._cache.get(blob.data)
        if cached:
            return cached
        uploaded = await self._client.wecom.upload_media("image", blob.filename, blob.data, rules.sniff_mime(blob.data))
        await self._cache.put(blob.data, uploaded.media_id)
        return uploaded.media_id

    # -- read back, remind, cancel ---------------------------------------------------------

    async def check(self, pending: Sequence[Pending]) -> list[Reading]:
        now = self._clock()
        answers: dict[tuple[str, str], dict[str, cg.ChatResult] | WeChatError | None] = {}
        out: list[Reading] = []
        for item in pending:
            key = (item.external_ref, item.target.owner)
            if key not in answers:
                answers[key] = await self._read(*key)
            out.append(self._outcome(item, answers[key], now))
        return out

    async def _read(self, msgid: str, owner: str) -> dict[str, cg.ChatResult] | WeChatError | None:
        """The per-chat results once the owner has sent; None while the owner has not."""
        try:
            tasks = await self._client.tasks(msgid)
            task = next((t for t in tasks if t.userid == owner), None)
            if task is None or task.status != cg.TASK_SENT:
                return None
            return {r.chat_id: r for r in await self._client.send_results(msgid, owner)}
        except WeChatError as exc:
            return exc

    def _outcome(self, item: Pending, answer: dict[str, cg.ChatResult] | WeChatError | None, now: float) -> Reading:
        delay = check_delay(now - item.accepted_at)
        zh, en = _waiting(item.target.owner_name or self._owner_name(item.target.owner))
        if isinstance(answer, WeChatError):
            # A read-back failure says nothing about the delivery: ask again later.
            return Reading(
                "awaiting_confirmation",
                errcode=answer.code,
                reason_zh=answer.info.zh,
                reason_en=answer.info.en,
                check_after_s=answer.retry_after_s or delay,
                detail_zh=zh,
                detail_en=en,
            )
        result = None if answer is None else answer.get(item.target.ref)
        if result is None or result.status == cg.RESULT_UNSENT:
            return Reading("awaiting_confirmation", check_after_s=delay, detail_zh=zh, detail_en=en)
        if result.status == cg.RESULT_SENT:
            return Reading("sent", sent_at=float(result.send_time) if result.send_time else None)
        if result.status == cg.RESULT_OVER_CAP:
            return Reading(
                "failed",
                errcode=result.status,
                reason_zh="该客户群本月接收的群发次数已达企业微信上限（每月最多为当月天数），未发送",
                reason_en="This customer group reached WeCom's monthly mass-send cap (days in the month); not sent",
            )
        return Reading(
            "failed",
            errcode=result.status,
            reason_zh=f"企业微信未能发送到该群（状态 {result.status}）",
            reason_en=f"WeCom could not send to this group (status {result.status})",
        )

    # -- read back an uncertain send ---------------------------------------------------------

    reads_back = True

    async def read_back(self, attempt: Attempt) -> Reading | None:
        target = attempt.target
        start = int(attempt.attempted_at) - READ_BACK_SLACK_S
        try:
            records = await self._client.group_msgs(start, start + READ_BACK_WINDOW_S, creator=target.owner)
            for record in records:
                if not _same_text(record.text, attempt.message.text):
                    continue
                answer = await self._read(record.msgid, target.owner)
                if isinstance(answer, WeChatError):
                    return None
                if answer is None:  # the owner has not sent it yet: is our group in it at all?
                    chats = {r.chat_id for r in await self._client.send_results(record.msgid, target.owner)}
                    if target.ref not in chats:
                        continue
                    zh, en = _waiting(target.owner_name or self._owner_name(target.owner))
                    return Reading(
                        "awaiting_confirmation",
                        external_ref=record.msgid,
                        check_after_s=check_delay(0),
                        detail_zh=zh,
                        detail_en=en,
                    )
                if target.ref in answer:
                    pending = Pending(target, record.msgid, attempt.attempted_at)
                    outcome = self._outcome(pending, answer, self._clock())
                    return dataclasses.replace(outcome, external_ref=record.msgid)
        except WeChatError:
            return None  # WeCom cannot say now: asked again later
        return Reading(
            "failed",
            reason_zh="企业微信没有这次群发的记录：请求未被受理，群内不会收到；可以放心重发",
            reason_en="WeCom has no record of this mass send: the request was not taken, nothing will reach "
            "the group; resend safely",
        )

    async def remind(self, pending: Sequence[Pending]) -> list[ActionResult]:
        return await self._act(pending, self._client.remind, _remind_refusal)

    async def cancel(self, pending: Sequence[Pending]) -> list[ActionResult]:
        return await self._act(pending, self._client.cancel, _refusal)

    async def _act(
        self,
        pending: Sequence[Pending],
        action: Callable[[str], Awaitable[None]],
        refusal: Callable[[WeChatError], ActionResult],
    ) -> list[ActionResult]:
        done: dict[str, ActionResult] = {}
        out = []
        for item in pending:
            if item.external_ref not in done:
                try:
                    await action(item.external_ref)
                    done[item.external_ref] = ActionResult(True)
                except WeChatError as exc:
                    done[item.external_ref] = refusal(exc)
            out.append(done[item.external_ref])
        return out


class _Refused(Exception):
    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(r.en for r in refusals))
        self.refusals = refusals


def _refusal(exc: WeChatError) -> ActionResult:
    return ActionResult(False, exc.code, f"企业微信拒绝：{exc.info.zh}", f"WeCom refused: {exc.info.en}")


def _remind_refusal(exc: WeChatError) -> ActionResult:
    if exc.code == REMIND_LIMIT_CODE:
        return ActionResult(
            False,
            exc.code,
            "企业微信规定每条群发 24 小时内最多提醒群主 3 次，本次提醒未发出，请稍后再试",
            "WeCom allows at most 3 reminders per mass send in 24 hours; this reminder was not sent, try later",
        )
    return _refusal(exc)
