"""The delivery-channel protocol: plain targets and messages in, a SendResult out.

A channel never raises for a delivery problem: `send` returns a SendResult that says whether the
message was sent, and if not the errcode, the explanation (zh-CN/en), whether the failure is
permanent, and whether a retry could duplicate the message in the group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pushtask.wechat.errors import CONTENT_REFUSED, ErrorKind, WeChatError


@dataclass(frozen=True)
class GroupTarget:
    """A group to deliver to; `ref` is the channel's own id (chatid / robot key / room id), decrypted."""

    group_id: int | str
    name: str
    channel: str
    ref: str
    owner: str = ""  # who must act for a two-phase channel (WeCom customer group: the owner's userid)
    owner_name: str = ""  # that person's display name, for people ("等待群主 张三 确认发送"); "" = unknown
    # The engine's stable name for this group's delivery of one push ("<push id>:<group id>"): the
    # same for every attempt and every resend of it. A channel that passes idempotency keys derives
    # them from it, so it can read back later what became of an attempt (see `ReadBack`).
    delivery_key: str = ""


@dataclass(frozen=True)
class ImageRef:
    """An image stored by PushTask; the channel asks a MediaSource for its bytes."""

    key: str
    filename: str = "image.jpg"


@dataclass(frozen=True)
class MediaBlob:
    data: bytes
    filename: str
    mime: str


MediaSource = Callable[[ImageRef], MediaBlob]


@dataclass(frozen=True)
class LinkCard:
    title: str
    url: str
    description: str = ""
    thumb_url: str = ""


@dataclass(frozen=True)
class MiniProgramCard:
    appid: str
    pagepath: str
    title: str
    thumb_url: str = ""


@dataclass(frozen=True)
class TemplateFields:
    """A template-based notice (mini-program subscribe message): keyed fields and the page it opens."""

    fields: tuple[tuple[str, str], ...]
    page: str = ""
    template_id: str = ""  # empty: the channel's own (notices); previews name the preview template


@dataclass(frozen=True)
class Message:
    """Channel-neutral content of one push; each present part becomes one wire message, in order."""

    text: str = ""
    template: TemplateFields | None = None  # notice channels built on templates; group channels ignore it
    # A WeCom template card sent after the content (a preview's 确认/修改 buttons); group channels ignore it.
    card: Mapping[str, Any] | None = None
    image: ImageRef | None = None
    link: LinkCard | None = None
    miniprogram: MiniProgramCard | None = None
    mentions: tuple[str, ...] = ()  # member ids to @ (robot: userids; bridge: wxids)
    mention_all: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why a channel cannot carry some content; shown at validation, field by field."""

    field: str
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class SendResult:
    channel: str
    sent: bool
    msgids: tuple[str, ...] = ()
    errcode: int | None = None
    errmsg: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    permanent: bool = False
    may_duplicate: bool = False  # a retry could show (part of) this message twice in the group
    retry_after_s: float | None = None
    refusals: tuple[Refusal, ...] = field(default=())
    # Two-phase channels: the message was accepted but a person must still confirm it (WeCom
    # customer-group mass send: the group owner taps 发送). `external_ref` names the channel's own
    # job (WeCom msgid); the engine records `awaiting_confirmation` and asks `check` later.
    awaiting: bool = False
    external_ref: str = ""
    check_after_s: float | None = None  # when to ask first; None = the engine's default
    # For a failed send: was the request fully sent (True), never sent (False) or unknown (None)?
    # Kept on the delivery so a person deciding an uncertain one knows what is known.
    request_sent: bool | None = None
    detail_zh: str = ""  # what is awaited, for people ("等待群主 张三 确认发送")
    detail_en: str = ""
    owner: str = ""  # who must act, as the channel knows them (default: the target's owner)

    @property
    def status(self) -> str:
        if self.awaiting:
            return "awaiting_confirmation"
        return "sent" if self.sent else "failed"


class Channel(Protocol):
    """What every delivery channel implements."""

    name: str
    deduplicates: bool  # True when the channel itself drops a repeated send

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        """Return why this content cannot go to this target (empty when it can). No I/O."""
        ...

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        """Deliver the message; never raise for a delivery failure."""
        ...


@dataclass(frozen=True)
class Pending:
    """A delivery a two-phase channel accepted and whose outcome is not known yet."""

    target: GroupTarget
    external_ref: str
    accepted_at: float  # epoch seconds
    reminders: int = 0  # reminders already sent for this external_ref


@dataclass(frozen=True)
class Reading:
    """What a two-phase channel read back for one pending delivery.

    state: "awaiting_confirmation" (still waiting; ask again after `check_after_s`), "sent",
    "failed" (with the channel's reason) or "cancelled". The engine itself turns a delivery whose
    deadline passed into "unconfirmed".
    """

    state: str
    sent_at: float | None = None  # epoch seconds, as the channel reports it
    errcode: int | None = None
    reason_zh: str = ""
    reason_en: str = ""
    check_after_s: float | None = None
    detail_zh: str = ""
    detail_en: str = ""
    external_ref: str = ""  # read back: the channel job found for an uncertain delivery (WeCom msgid)


@dataclass(frozen=True)
class ActionResult:
    """The answer to a remind or cancel request (refused when the channel's rules forbid it)."""

    ok: bool
    errcode: int | None = None
    reason_zh: str = ""
    reason_en: str = ""


class TwoPhaseChannel(Channel, Protocol):
    """A channel whose `send` may answer `awaiting=True`; the outcome is read back later.

    `send_batch` lets the channel make one call for many targets (one `add_msg_template` per owner
    for up to 2,000 groups); the engine calls it with every claimed delivery of one push for this
    channel and expects one SendResult per target, in order.
    """

    async def send_batch(self, targets: Sequence[GroupTarget], message: Message) -> list[SendResult]: ...

    async def check(self, pending: Sequence[Pending]) -> list[Reading]:
        """Read back the outcome of each pending delivery, in order; never raise for a channel error."""
        ...

    async def cancel(self, pending: Sequence[Pending]) -> list[ActionResult]:
        """Withdraw unsent jobs (task paused, edited or deleted)."""
        ...

    async def remind(self, pending: Sequence[Pending]) -> list[ActionResult]:
        """Ask the people who must act to act (may be refused by the channel's limits)."""
        ...


@dataclass(frozen=True)
class Attempt:
    """An uncertain delivery as the engine knows it: where it went, what it said, and when."""

    target: GroupTarget  # with `delivery_key`
    message: Message
    attempted_at: float  # epoch seconds of the attempt whose outcome is unknown


class ReadBack(Protocol):
    """An optional capability: a channel that can find out later what became of an uncertain send.

    The engine's housekeeping asks it about deliveries that ended `uncertain` (a timeout, a 5xx, a
    worker lost mid-send), on a schedule and up to a cap (`worker/readback.py`). A channel without
    it is never asked: its uncertain deliveries wait for a person (mark as sent, or resend).
    """

    reads_back: bool  # False when this configuration cannot (e.g. a bridge without a status call)

    async def read_back(self, attempt: Attempt) -> Reading | None:
        """Say what became of the attempt; never raise for a channel error.

        Reading "sent" (it arrived), "failed" (it certainly did not: safe to resend; reason given),
        "awaiting_confirmation" (a two-phase job was created: `external_ref`, a person must still
        confirm), or None: the channel cannot tell yet (asked again later, until the cap).
        """
        ...


def can_read_back(channel: Channel | None) -> bool:
    return channel is not None and bool(getattr(channel, "reads_back", False)) and hasattr(channel, "read_back")


def is_two_phase(channel: Channel) -> bool:
    return all(hasattr(channel, name) for name in ("send_batch", "check", "cancel", "remind"))


def sent(channel: str, msgids: Sequence[str] = ()) -> SendResult:
    return SendResult(channel=channel, sent=True, msgids=tuple(m for m in msgids if m))


def failed(channel: str, error: WeChatError, *, parts_delivered: int, deduplicates: bool) -> SendResult:
    """Turn an error into a result; a retry may duplicate if anything may have reached the group."""
    maybe_delivered = parts_delivered > 0 or error.delivery_unknown
    return SendResult(
        channel=channel,
        sent=False,
        errcode=error.code,
        errmsg=error.errmsg,
        reason_zh=error.info.zh,
        reason_en=error.info.en,
        permanent=error.info.kind is ErrorKind.PERMANENT,
        may_duplicate=maybe_delivered and not deduplicates,
        retry_after_s=error.retry_after_s,
        request_sent=True if parts_delivered > 0 else error.request_sent,
    )


def refused(channel: str, refusals: Sequence[Refusal]) -> SendResult:
    """The content was refused before anything was sent."""
    return SendResult(
        channel=channel,
        sent=False,
        errcode=CONTENT_REFUSED,
        errmsg="; ".join(r.en for r in refusals),
        reason_zh="；".join(r.zh for r in refusals),
        reason_en="; ".join(r.en for r in refusals),
        permanent=True,
        may_duplicate=False,
        refusals=tuple(refusals),
    )
