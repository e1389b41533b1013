"""Pick the channel a group names and hand it the send."""

from __future__ import annotations

from collections.abc import Iterable

from pushtask.channels.base import Channel, GroupTarget, Message, Refusal, SendResult, refused


class ChannelRegistry:
    """The configured channels by name (`wecom_appchat`, `wecom_robot`, `bot_bridge`)."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self._channels = {c.name: c for c in channels}

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def names(self) -> list[str]:
        return sorted(self._channels)

    def validate(self, target: GroupTarget, message: Message) -> list[Refusal]:
        channel = self._channels.get(target.channel)
        if channel is None:
            return [_unconfigured(target.channel)]
        return channel.validate(target, message)

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        channel = self._channels.get(target.channel)
        if channel is None:
            return refused(target.channel, [_unconfigured(target.channel)])
        return await channel.send(target, message)


def _unconfigured(name: str) -> Refusal:
    return Refusal("target", "channel_unavailable", f"渠道 {name} 未配置", f"Channel {name} is not configured")
