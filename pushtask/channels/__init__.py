"""Delivery channels behind one protocol: `send(target, message) -> SendResult`."""

from pushtask.channels.base import (
    Channel,
    GroupTarget,
    ImageRef,
    LinkCard,
    MediaBlob,
    MediaSource,
    Message,
    MiniProgramCard,
    Refusal,
    SendResult,
)
from pushtask.channels.bot_bridge import BotBridgeChannel, BotBridgeConfig
from pushtask.channels.registry import ChannelRegistry
from pushtask.channels.wecom_appchat import WeComAppChatChannel
from pushtask.channels.wecom_customer_group import WeComCustomerGroupChannel
from pushtask.channels.wecom_robot import WeComRobotChannel

__all__ = [
    "BotBridgeChannel",
    "BotBridgeConfig",
    "Channel",
    "ChannelRegistry",
    "GroupTarget",
    "ImageRef",
    "LinkCard",
    "MediaBlob",
    "MediaSource",
    "Message",
    "MiniProgramCard",
    "Refusal",
    "SendResult",
    "WeComAppChatChannel",
    "WeComCustomerGroupChannel",
    "WeComRobotChannel",
]
