"""Build the configured channels from credentials and shared collaborators."""

from __future__ import annotations

import time

from pushtask.channels.base import Channel, MediaSource
from pushtask.channels.bot_bridge import BotBridgeChannel, BotBridgeConfig
from pushtask.channels.ratelimit import RateLimiter
from pushtask.channels.registry import ChannelRegistry
from pushtask.channels.wecom_appchat import WeComAppChatChannel
from pushtask.channels.wecom_customer_group import OwnerNames, WeComCustomerGroupChannel
from pushtask.channels.wecom_robot import PER_MINUTE, WeComRobotChannel
from pushtask.wechat.credentials import WECOM_BASE_URL, WeComCredentials
from pushtask.wechat.customer_group import CustomerGroupClient
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import Clock, KeyValueStore
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient


def build_channels(
    *,
    http: HttpSeam,
    store: KeyValueStore,
    media: MediaSource,
    wecom: WeComCredentials | None = None,
    robot_base_url: str = WECOM_BASE_URL,
    bridge: BotBridgeConfig | None = None,
    clock: Clock = time.time,
    owner_names: OwnerNames | None = None,
) -> ChannelRegistry:
    """Return a registry with every channel that has what it needs (robots need nothing but keys)."""
    channels: list[Channel] = [
        WeComRobotChannel(
            RobotClient(http, robot_base_url),
            media,
            RateLimiter(store, limit=PER_MINUTE, window_s=60, prefix="robot:", clock=clock),
        ),
    ]
    if wecom is not None:
        wecom_client = WeComClient(wecom, http, store, clock=clock)
        channels.append(WeComAppChatChannel(wecom_client, media, store))
        # Customer groups use the same app's token (the app must be in 客户联系 → 可调用应用).
        channels.append(
            WeComCustomerGroupChannel(
                CustomerGroupClient(wecom_client), media, store, http=http, owner_names=owner_names, clock=clock
            )
        )
    if bridge is not None:
        channels.append(BotBridgeChannel(bridge, http, media, store=store, clock=clock))
    return ChannelRegistry(channels)
