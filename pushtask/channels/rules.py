"""Content rules shared by channels: what each can carry, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

from pushtask.channels.base import GroupTarget, MediaBlob, Message, Refusal

IMAGE_LIMIT_BYTES = 2 * 1024 * 1024
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Capabilities:
    text_limit_bytes: int
    miniprogram: bool
    mentions: bool


def validate(channel: str, caps: Capabilities, target: GroupTarget, message: Message) -> list[Refusal]:
    """Refusals for content this channel cannot carry to this target."""
    out: list[Refusal] = []
    if target.channel != channel:
        out.append(
            Refusal(
                "target",
                "wrong_channel",
                f"该群属于渠道 {target.channel}，不能用 {channel} 发送",
                f"The group uses channel {target.channel}, not {channel}",
            )
        )
    if not target.ref:
        out.append(
            Refusal(
                "target",
                "no_ref",
                "该群缺少渠道标识（群 ID / 机器人 key / 群聊 ID）",
                "The group has no channel reference (chat id / robot key / room id)",
            )
        )
    if not (message.text.strip() or message.image or message.link or message.miniprogram):
        out.append(Refusal("content", "empty", "推送内容为空", "The message is empty"))
    if len(message.text.encode("utf-8")) > caps.text_limit_bytes:
        out.append(
            Refusal(
                "text",
                "too_long",
                f"文本超过该渠道的 {caps.text_limit_bytes} 字节上限，请精简",
                f"The text exceeds this channel's limit of {caps.text_limit_bytes} bytes",
            )
        )
    if message.miniprogram is not None and not caps.miniprogram:
        out.append(
            Refusal(
                "miniprogram",
                "unsupported",
                f"{_label(channel)}不支持小程序卡片，请改用链接",
                f"{_label_en(channel)} cannot send mini-program cards; use a link instead",
            )
        )
    if (message.mentions or message.mention_all) and not caps.mentions:
        out.append(
            Refusal(
                "mentions",
                "unsupported",
                f"{_label(channel)}不支持 @ 成员",
                f"{_label_en(channel)} cannot mention members",
            )
        )
    if message.link is not None and not message.link.url.startswith(("http://", "https://")):
        out.append(
            Refusal("link", "bad_url", "链接必须是 http(s) 开头的完整地址", "The link must be an absolute http(s) URL")
        )
    return out


def check_image(blob: MediaBlob, limit: int = IMAGE_LIMIT_BYTES) -> list[Refusal]:
    """Refusals for an image by its bytes: JPEG/PNG only, at most `limit` bytes."""
    out: list[Refusal] = []
    if not (blob.data.startswith(_JPEG) or blob.data.startswith(_PNG)):
        out.append(Refusal("image", "bad_type", "图片必须是 JPG 或 PNG 格式", "The image must be a JPG or PNG"))
    if len(blob.data) > limit:
        out.append(
            Refusal(
                "image",
                "too_large",
                f"图片超过 {limit // (1024 * 1024)}MB，请压缩后再试",
                f"The image is larger than {limit // (1024 * 1024)} MB; compress it first",
            )
        )
    return out


def sniff_mime(data: bytes) -> str:
    return "image/png" if data.startswith(_PNG) else "image/jpeg"


_LABELS = {
    "wecom_appchat": ("企业微信应用群聊", "A WeCom app group chat"),
    "wecom_robot": ("企业微信群机器人", "A WeCom group robot"),
    "bot_bridge": ("个人微信群桥接", "The personal-WeChat bridge"),
    "wecom_customer_group": ("企业微信客户群群发", "A WeCom customer-group mass send"),
}


def _label(channel: str) -> str:
    return _LABELS.get(channel, (channel, channel))[0]


def _label_en(channel: str) -> str:
    return _LABELS.get(channel, (channel, channel))[1]
