"""Build the delivery channels from settings: the real hosts, one base URL, or the sandbox."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels import BotBridgeConfig, Channel, ChannelRegistry, GroupTarget, Message, SendResult
from pushtask.channels.factory import build_channels
from pushtask.channels.notices import MiniProgramSubscribeChannel, WeComAppChannel
from pushtask.channels.ratelimit import RateLimiter
from pushtask.channels.wecom_robot import PER_MINUTE, WeComRobotChannel
from pushtask.config import Settings
from pushtask.infra.media import MediaStore
from pushtask.infra.outage import Outage
from pushtask.sandbox import credentials as sandbox_credentials
from pushtask.sandbox import directory as sandbox_directory
from pushtask.wechat.credentials import WECHAT_BASE_URL, WECOM_BASE_URL, MiniProgramCredentials, WeComCredentials
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import FallbackStore, KeyValueStore, MemoryStore, RedisStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient
from pushtask.worker.notices import Notifier

log = logging.getLogger("pushtask.redis")
STORE_MEANWHILE = (
    "sending carries on with WeChat tokens and rate limits kept in this process (each process may use a "
    "robot's whole per-minute limit) until it is back; check the Redis server"
)


@dataclass(frozen=True)
class Endpoints:
    """Where each client sends, and with which credentials."""

    wecom: WeComCredentials | None
    miniprogram: MiniProgramCredentials | None
    robot_base_url: str
    bridge: BotBridgeConfig | None


def endpoints(settings: Settings, sandbox_url: str | None = None) -> Endpoints:
    """Resolve hosts and credentials: the sandbox's own when it is the target."""
    if sandbox_url is not None:
        return Endpoints(
            wecom=sandbox_credentials.wecom(sandbox_url),
            miniprogram=sandbox_credentials.miniprogram(sandbox_url),
            robot_base_url=sandbox_url,
            # The sandbox's bridge is no phone account to protect: no pause between sends.
            bridge=sandbox_credentials.bridge(sandbox_url, settings.bridge_protocol),
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
            base_url=base or WECOM_BASE_URL,
        )
    miniprogram = None
    if settings.mp_appid and settings.mp_secret:
        miniprogram = MiniProgramCredentials(
            settings.mp_appid,
            settings.mp_secret,
            token=settings.mp_token or "",
            encoding_aes_key=settings.mp_aes_key or "",
            base_url=base or WECHAT_BASE_URL,
        )
    bridge = (
        BotBridgeConfig(
            settings.bridge_url,
            settings.bridge_token or "",
            protocol=settings.bridge_protocol,
            pause_s=settings.bridge_pause_ms / 1000,
            status_url=settings.bridge_status_url or "",
        )
        if settings.bridge_url
        else None
    )
    return Endpoints(wecom=wecom, miniprogram=miniprogram, robot_base_url=base or WECOM_BASE_URL, bridge=bridge)


def token_store(settings: Settings, clock: Callable[[], float] = time.time) -> KeyValueStore:
    """The access-token and rate-limit store: Redis, shared by all processes, or this process's memory.

    With Redis configured, this process's memory stands in whenever Redis does not answer.
    """
    if not settings.redis_url:
        return MemoryStore(clock)
    outage = Outage("Redis", log, meanwhile=STORE_MEANWHILE)
    return FallbackStore(RedisStore.from_url(settings.redis_url), MemoryStore(clock), outage)


class ChannelSender:
    """The worker's view of the channels: send to a group, and which channels drop repeats."""

    def __init__(self, registry: ChannelRegistry, http: HttpSeam, store: KeyValueStore) -> None:
        self.registry = registry
        self._http = http
        self._store = store

    async def send(self, target: GroupTarget, message: Message) -> SendResult:
        return await self.registry.send(target, message)

    def channel(self, name: str) -> Channel | None:
        return self.registry.get(name)

    def deduplicating(self) -> set[str]:
        return {name for name in self.registry.names() if getattr(self.registry.get(name), "deduplicates", False)}

    async def close(self) -> None:
        await self._http.close()
        await self._store.close()


def build_sender(
    settings: Settings,
    sandbox_url: str | None = None,
    clock: Callable[[], float] = time.time,
    *,
    http_config: HttpConfig | None = None,
) -> ChannelSender:
    """Create the channels for one worker process (call inside the worker's event loop).

    `clock` (epoch seconds) is the channels' clock: a two-phase channel's check schedule counts
    from the send time the engine recorded, so it must tell the same time as the engine.
    """
    ends = endpoints(settings, sandbox_url)
    http = HttpSeam(http_config or HttpConfig())
    store = token_store(settings)
    registry = build_channels(
        http=http,
        store=store,
        media=MediaStore(settings.media_root),
        wecom=ends.wecom,
        robot_base_url=ends.robot_base_url,
        bridge=ends.bridge,
        clock=clock,
    )
    return ChannelSender(registry, http, store)


@dataclass
class NotifierHandle:
    notifier: Notifier
    http: HttpSeam
    store: KeyValueStore

    async def close(self) -> None:
        await self.http.close()
        await self.store.close()


def preview_template_id(settings: Settings, sandbox_url: str | None = None) -> str | None:
    """The mini-program subscribe template previews use (the sandbox's when it runs)."""
    if sandbox_url is not None:
        return settings.mp_preview_template_id or sandbox_directory.DEFAULT_TEMPLATE_ID
    return settings.mp_preview_template_id


def notice_channels(
    settings: Settings, http: HttpSeam, store: KeyValueStore, sandbox_url: str | None = None
) -> ChannelRegistry:
    """The channels that reach people (WeCom app, mini-program subscribe message) and the ops robot."""
    ends = endpoints(settings, sandbox_url)
    template = settings.mp_notice_template_id or settings.mp_preview_template_id
    if sandbox_url is not None:
        template = template or sandbox_directory.DEFAULT_TEMPLATE_ID
    channels: list[Channel] = [
        WeComRobotChannel(
            RobotClient(http, ends.robot_base_url),
            MediaStore(settings.media_root),
            RateLimiter(store, limit=PER_MINUTE, window_s=60, prefix="robot:"),
        )
    ]
    if ends.wecom is not None:
        channels.append(WeComAppChannel(WeComClient(ends.wecom, http, store), MediaStore(settings.media_root), store))
    if ends.miniprogram is not None and template:
        channels.append(MiniProgramSubscribeChannel(MiniProgramClient(ends.miniprogram, http, store), template))
    return ChannelRegistry(channels)


def build_notifier(
    settings: Settings, sessions: sessionmaker[Session], sandbox_url: str | None = None, *, worker_id: str | None = None
) -> NotifierHandle:
    """Create the notifier and its channels (call inside the worker's event loop)."""
    http = HttpSeam(HttpConfig())
    store = token_store(settings)
    registry = notice_channels(settings, http, store, sandbox_url)
    notifier = Notifier(
        sessions,
        settings,
        registry,
        worker_id=worker_id or f"notify-{uuid.uuid4().hex[:12]}",
        preview_template_id=preview_template_id(settings, sandbox_url),
    )
    return NotifierHandle(notifier, http, store)
