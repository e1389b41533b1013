"""Build the delivery channels from settings: real hosts, or one base URL such as the sandbox."""

from __future__ import annotations

from dataclasses import dataclass

from pushtask.channels import (
    BotBridgeChannel,
    BotBridgeConfig,
    Channel,
    ChannelRegistry,
    GroupTarget,
    Message,
    SendResult,
    WeComAppChatChannel,
    WeComRobotChannel,
)
from pushtask.channels.ratelimit import RateLimiter
from pushtask.config import Settings
from pushtask.infra.media import MediaStore
from pushtask.sandbox import directory as sandbox_directory
from pushtask.wechat.credentials import WeComCredentials
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import KeyValueStore, MemoryStore, RedisStore
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient

ROBOT_LIMIT_PER_MINUTE = 20


@dataclass(frozen=True)
class Endpoints:
    """Where each client sends, and with which credentials."""

    wecom: WeComCredentials | None
    robot_base_url: str
    bridge: BotBridgeConfig | None


def endpoints(settings: Settings, sandbox_url: str | None = None) -> Endpoints:
    """Resolve the hosts and credentials: the sandbox's defaults when it is the target."""
    if sandbox_url is not None:
        d = sandbox_directory
        return Endpoints(
            wecom=WeComCredentials(
                d.DEFAULT_CORP_ID,
                d.DEFAULT_CORP_SECRET,
                d.DEFAULT_AGENT_ID,
                token=d.DEFAULT_CALLBACK_TOKEN,
                encoding_aes_key=d.DEFAULT_ENCODING_AES_KEY,
                base_url=sandbox_url,
            ),
            robot_base_url=sandbox_url,
            bridge=BotBridgeConfig(f"{sandbox_url}/bridge/send", d.DEFAULT_BRIDGE_TOKEN),
        )
    base = settings.wechat_base_url
    wecom = None
    if settings.wecom_corp_id and settings.wecom_corp_secret:
        wecom = WeComCredentials(
            settings.wecom_corp_id,
            settings.wecom_corp_secret,
            settings.wecom_agent_id,
            token=settings.wecom_token or "",
            encoding_aes_key=settings.wecom_aes_key or "",
            **({"base_url": base} if base else {}),
        )
    bridge = BotBridgeConfig(settings.bridge_url, settings.bridge_token or "") if settings.bridge_url else None
    return Endpoints(wecom=wecom, robot_base_url=base or "https://qyapi.weixin.qq.com", bridge=bridge)


class ChannelSender:
    """The worker's view of the channels: send to a group, and which channels drop repeats."""

    def __init__(self, registry: ChannelRegistry, channels: list[Channel], http: HttpSeam, store: KeyValueStore):
        self.registry = registry
        self._channels = channels
        self._http = http
        self._store = store

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        return await self.registry.send(target, message)

    def deduplicating(self) -> set[str]:
        return {c.name for c in self._channels if c.deduplicates}

    async def close(self) -> None:
        await self._http.close()
        if isinstance(self._store, RedisStore):
            await self._store.close()


def build_sender(settings: Settings, sandbox_url: str | None = None) -> ChannelSender:
    """Create the channels for one worker process (call inside the worker's event loop)."""
    ends = endpoints(settings, sandbox_url)
    http = HttpSeam(HttpConfig())
    store: KeyValueStore = RedisStore.from_url(settings.redis_url) if settings.redis_url else MemoryStore()
    media = MediaStore(settings.data_dir / "media")
    channels: list[Channel] = [
        WeComRobotChannel(
            RobotClient(http, ends.robot_base_url),
            media,
            RateLimiter(store, limit=ROBOT_LIMIT_PER_MINUTE, window_s=60, prefix="robot:"),
        ),
    ]
    if ends.wecom is not None:
        channels.append(WeComAppChatChannel(WeComClient(ends.wecom, http, store), media, store))
    if ends.bridge is not None:
        channels.append(BotBridgeChannel(ends.bridge, http, media))
    return ChannelSender(ChannelRegistry(channels), channels, http, store)
