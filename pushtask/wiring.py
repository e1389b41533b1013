"""The composition root: every process's collaborators, built from `Settings` in this one module.

`cli.py` starts a process and asks this module for its parts; nothing else constructs a WeChat
client, an HTTP session, a token store, a channel, the notifier or the worker:

- `build_runtime`: the database engine and sessions, Redis, caches, throttles, the token signer.
- `build_clients`: one event loop's WeChat — ONE HTTP session and ONE token store, the group
  channels, the notice channels and the reviewer messenger on them, the callback keys.
- `connect_wechat`: the request threads' link (an event loop of its own, the clients, and the
  engine's calls a request may make: send a preview now, run a two-phase round now), built on
  first use (`pushtask.runtime.wechat_link`).
- `worker_for`: a worker process's engine — the sender and the notifier over one set of clients.

Real WeChat or the sandbox is decided here from configuration alone (`sandbox_url`): the
embedded sandbox `pushtask serve` started, or PUSHTASK_WECHAT_BASE_URL without credentials.
No module below this one (nor `app.py`) imports `pushtask.sandbox`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels import BotBridgeConfig, Channel, ChannelRegistry, GroupTarget, Message, SendResult
from pushtask.channels.factory import build_channels
from pushtask.channels.notices import MiniProgramSubscribeChannel, WeComAppChannel
from pushtask.channels.ratelimit import RateLimiter
from pushtask.channels.wecom_robot import PER_MINUTE, WeComRobotChannel
from pushtask.clock import Clock, system_clock
from pushtask.config import Settings, SettingsError, ensure_secret_key
from pushtask.db import create_db_engine, create_session_factory
from pushtask.domain.actor import Actor
from pushtask.infra import fieldcrypt
from pushtask.infra.asyncbridge import AsyncBridge
from pushtask.infra.listcache import ListCache, MemoryVersions, RedisVersions, Versions
from pushtask.infra.media import MediaStore
from pushtask.infra.outage import Outage
from pushtask.infra.recent import Recent
from pushtask.infra.throttle import AddressRate, Counter, FallbackCounter, LoginThrottle, MemoryCounter, RedisCounter
from pushtask.infra.wakeup import RedisWakeup, Wakeup
from pushtask.runtime import AUTH_CACHE_SECONDS, LINK_RATE, CallbackKeys, Runtime, WeChatClients, WeChatLink
from pushtask.sandbox import credentials as sandbox_credentials
from pushtask.sandbox import directory as sandbox_directory
from pushtask.security import TokenClaims, TokenSigner
from pushtask.services.confirmations import RoundReport
from pushtask.services.task_list import track_writes
from pushtask.wechat.credentials import WECHAT_BASE_URL, WECOM_BASE_URL, MiniProgramCredentials, WeComCredentials
from pushtask.wechat.customer_group import CustomerGroupClient
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import FallbackStore, KeyValueStore, MemoryStore, RedisStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.reviewers import ReviewerMessenger
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient
from pushtask.worker import confirmations
from pushtask.worker.notices import Notifier
from pushtask.worker.runner import Worker, WorkerConfig

log = logging.getLogger("pushtask.redis")

REDIS_MEANWHILE = (
    "sign-in failures are counted in this process, workers notice changes by polling every second "
    "and task lists are read from the database each time until it is back; check the Redis server"
)
STORE_MEANWHILE = (
    "sending carries on with WeChat tokens and rate limits kept in this process (each process may use a "
    "robot's whole per-minute limit) until it is back; check the Redis server"
)
# Request threads wait for WeChat: shorter timeouts than the worker's sends.
REQUEST_HTTP = HttpConfig(total_timeout_s=5.0, connect_timeout_s=2.0)


# ---- the process ---------------------------------------------------------------------------------


def connect_redis(url: str) -> Any:
    """Return a pooled client with short timeouts: a slow Redis must not hold up a request."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sessions: sessionmaker[Session] | None = None,
    sole_writer: bool = True,
) -> Runtime:
    """Create the engine, session factory and token signer for these settings.

    `sole_writer`: this process does every write (`pushtask serve`, tests), so the list cache may keep
    its data versions in the process when there is no Redis; `pushtask api` passes False.
    """
    settings = ensure_secret_key(settings)
    try:
        ring = fieldcrypt.load_or_create(settings.encryption_keys, settings.data_dir, embedded=settings.is_embedded)
    except fieldcrypt.KeyRingError as exc:
        raise SettingsError(str(exc)) from None
    fieldcrypt.install(ring)
    engine = None
    if sessions is None:
        engine = create_db_engine(settings.database_url, pool_size=max(5, settings.api_threads + 2))
        sessions = create_session_factory(engine)
    signer = TokenSigner(
        secret=settings.secret_key, issuer=settings.jwt_issuer, ttl=timedelta(seconds=settings.jwt_ttl_seconds)
    )
    redis_client = connect_redis(settings.redis_url) if settings.redis_url else None
    wakeup: Wakeup = Wakeup()
    counter: Counter = MemoryCounter()
    link_counter: Counter = MemoryCounter()
    versions: Versions | None = MemoryVersions() if sole_writer else None
    if settings.redis_url:
        outage = Outage("Redis", log, meanwhile=REDIS_MEANWHILE)
        wakeup = RedisWakeup(settings.redis_url, redis_client, outage)
        counter = FallbackCounter(RedisCounter(redis_client), MemoryCounter(), outage)
        link_counter = FallbackCounter(RedisCounter(redis_client, "pushtask:links:"), MemoryCounter(), outage)
        versions = RedisVersions(redis_client, outage)
    throttle = LoginThrottle(counter, clock=lambda: clock().timestamp())
    token_cache: Recent[tuple[Actor, TokenClaims]] = Recent(AUTH_CACHE_SECONDS, lambda: clock().timestamp())
    list_cache = ListCache(versions) if versions is not None and settings.list_cache else None
    # Every process bumps the versions of what it writes (the worker too), whether or not it serves lists.
    track_writes(sessions, versions or MemoryVersions(), token_cache.clear)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        signer=signer,
        clock=clock,
        wakeup=wakeup,
        login_throttle=throttle,
        redis=redis_client,
        list_cache=list_cache,
        token_cache=token_cache,
        link_rate=AddressRate(link_counter, LINK_RATE[0], LINK_RATE[1], clock=lambda: clock().timestamp()),
        connect_wechat=connect_wechat,
    )


def sandbox_url(rt: Runtime) -> str | None:
    """The sandbox this process talks to instead of WeChat, if any (configuration alone decides).

    The embedded one `pushtask serve` started, else a separate one named by PUSHTASK_WECHAT_BASE_URL
    when no WeCom credentials are configured (its built-in credentials are used).
    """
    if rt.sandbox_url is not None:
        return rt.sandbox_url
    settings = rt.settings
    if settings.wechat_base_url and not settings.wecom_corp_id and settings.sandbox != "off":
        return settings.wechat_base_url
    return None


# ---- where WeChat is -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """Where each client sends, and with which credentials."""

    wecom: WeComCredentials | None
    miniprogram: MiniProgramCredentials | None
    robot_base_url: str
    bridge: BotBridgeConfig | None
    # The mini-program subscribe templates of previews and of other notices to people.
    preview_template_id: str | None = None
    notice_template_id: str | None = None


def endpoints(settings: Settings, sandbox_url: str | None = None) -> Endpoints:
    """Resolve hosts and credentials: the sandbox's own when it is the target."""
    if sandbox_url is not None:
        preview = settings.mp_preview_template_id or sandbox_directory.DEFAULT_TEMPLATE_ID
        return Endpoints(
            wecom=sandbox_credentials.wecom(sandbox_url),
            miniprogram=sandbox_credentials.miniprogram(sandbox_url),
            robot_base_url=sandbox_url,
            # The sandbox's bridge is no phone account to protect: no pause between sends.
            bridge=sandbox_credentials.bridge(sandbox_url, settings.bridge_protocol),
            preview_template_id=preview,
            notice_template_id=settings.mp_notice_template_id or preview,
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
    return Endpoints(
        wecom=wecom,
        miniprogram=miniprogram,
        robot_base_url=base or WECOM_BASE_URL,
        bridge=bridge,
        preview_template_id=settings.mp_preview_template_id,
        notice_template_id=settings.mp_notice_template_id or settings.mp_preview_template_id,
    )


def callback_keys(ends: Endpoints) -> dict[str, CallbackKeys]:
    """The Token/EncodingAESKey/receive id of the `wecom` and `miniprogram` callbacks that are configured."""
    out = {}
    if ends.wecom is not None and ends.wecom.token and ends.wecom.encoding_aes_key:
        out["wecom"] = CallbackKeys(ends.wecom.token, ends.wecom.encoding_aes_key, ends.wecom.corp_id)
    mini = ends.miniprogram
    if mini is not None and mini.token and mini.encoding_aes_key:
        out["miniprogram"] = CallbackKeys(mini.token, mini.encoding_aes_key, mini.appid)
    return out


def token_store(settings: Settings, clock: Callable[[], float] = time.time) -> KeyValueStore:
    """The access-token and rate-limit store: Redis, shared by all processes, or this process's memory.

    With Redis configured, this process's memory stands in whenever Redis does not answer.
    """
    if not settings.redis_url:
        return MemoryStore(clock)
    outage = Outage("Redis", log, meanwhile=STORE_MEANWHILE)
    return FallbackStore(RedisStore.from_url(settings.redis_url), MemoryStore(clock), outage)


# ---- one event loop's WeChat ---------------------------------------------------------------------


def _notice_channels(
    ends: Endpoints, media: MediaStore, http: HttpSeam, store: KeyValueStore, clock: Callable[[], float]
) -> ChannelRegistry:
    """The channels that reach people (WeCom app, mini-program subscribe message) and the ops robot."""
    channels: list[Channel] = [
        WeComRobotChannel(
            RobotClient(http, ends.robot_base_url),
            media,
            RateLimiter(store, limit=PER_MINUTE, window_s=60, prefix="robot:", clock=clock),
        )
    ]
    if ends.wecom is not None:
        channels.append(WeComAppChannel(WeComClient(ends.wecom, http, store, clock=clock), media, store))
    if ends.miniprogram is not None and ends.notice_template_id:
        channels.append(
            MiniProgramSubscribeChannel(
                MiniProgramClient(ends.miniprogram, http, store, clock=clock), ends.notice_template_id
            )
        )
    return ChannelRegistry(channels)


def build_clients(
    settings: Settings,
    sandbox_url: str | None = None,
    *,
    clock: Callable[[], float] = time.time,
    http: HttpConfig | None = None,
) -> WeChatClients:
    """Create one event loop's WeChat clients over ONE HTTP session and ONE token store.

    Call inside the loop that will use them: aiohttp sessions and Redis connections belong to one loop.
    `clock` (epoch seconds) is the channels' clock: a two-phase channel's check schedule counts from
    the send time the engine recorded, so it must tell the same time as the engine.
    """
    ends = endpoints(settings, sandbox_url)
    seam = HttpSeam(http or HttpConfig())
    store = token_store(settings, clock)
    media = MediaStore(settings.media_root)
    channels = build_channels(
        http=seam,
        store=store,
        media=media,
        wecom=ends.wecom,
        robot_base_url=ends.robot_base_url,
        bridge=ends.bridge,
        clock=clock,
    )
    wecom = WeComClient(ends.wecom, seam, store, clock=clock) if ends.wecom else None
    messenger = ReviewerMessenger(
        wecom=wecom,
        miniprogram=MiniProgramClient(ends.miniprogram, seam, store, clock=clock) if ends.miniprogram else None,
        subscribe_template_id=ends.preview_template_id,
    )
    return WeChatClients(
        http=seam,
        store=store,
        channels=channels,
        notices=_notice_channels(ends, media, seam, store, clock),
        messenger=messenger,
        customer_groups=CustomerGroupClient(wecom) if wecom is not None else None,
        callbacks=callback_keys(ends),
    )


@asynccontextmanager
async def customer_group_client(
    settings: Settings, sandbox_url: str | None = None
) -> AsyncIterator[CustomerGroupClient]:
    """WeCom's customer-group API for a one-off command (`pushtask groups sync`); SettingsError when not configured."""
    clients = build_clients(settings, sandbox_url)
    try:
        if clients.customer_groups is None:
            raise SettingsError("wecom_not_configured")
        yield clients.customer_groups
    finally:
        await clients.close()


# ---- the worker ----------------------------------------------------------------------------------


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


def _sender(clients: WeChatClients) -> ChannelSender:
    return ChannelSender(clients.channels, clients.http, clients.store)


def _notifier(
    sessions: sessionmaker[Session], settings: Settings, clients: WeChatClients, worker_id: str | None = None
) -> Notifier:
    return Notifier(
        sessions,
        settings,
        clients.notices,
        worker_id=worker_id or f"notify-{uuid.uuid4().hex[:12]}",
        preview_template_id=clients.preview_template_id,
    )


@dataclass
class WorkerParts:
    worker: Worker
    channels: list[str]


@asynccontextmanager
async def worker_for(rt: Runtime) -> AsyncIterator[WorkerParts]:
    """A worker process's engine: the group sender and the notifier over one set of clients (call in its loop)."""
    clients = build_clients(rt.settings, sandbox_url(rt))
    worker = Worker(
        rt.sessions,
        _sender(clients),
        rt.clock,
        wakeup=rt.wakeup,
        config=WorkerConfig.from_settings(rt.settings),
        notifier=_notifier(rt.sessions, rt.settings, clients),
    )
    try:
        yield WorkerParts(worker, clients.channels.names())
    finally:
        await clients.close()


def build_sender(
    settings: Settings,
    sandbox_url: str | None = None,
    clock: Callable[[], float] = time.time,
    *,
    http_config: HttpConfig | None = None,
) -> ChannelSender:
    """A sender with clients of its own (tests and benchmarks drive a Worker with it; call inside its loop)."""
    return _sender(build_clients(settings, sandbox_url, clock=clock, http=http_config))


@dataclass
class NotifierHandle:
    notifier: Notifier
    clients: WeChatClients

    async def close(self) -> None:
        await self.clients.close()


def build_notifier(
    settings: Settings, sessions: sessionmaker[Session], sandbox_url: str | None = None, *, worker_id: str | None = None
) -> NotifierHandle:
    """A notifier with clients of its own (tests and benchmarks; call inside the worker's event loop)."""
    clients = build_clients(settings, sandbox_url)
    return NotifierHandle(_notifier(sessions, settings, clients, worker_id), clients)


# ---- request threads -----------------------------------------------------------------------------


class _EngineCalls:
    """What a request asks of the engine at once, run on the link's loop with the engine's own claim."""

    def __init__(self, rt: Runtime, link: WeChatLink) -> None:
        self._rt = rt
        self._link = link
        self._notifier = _notifier(rt.sessions, rt.settings, link.clients, f"api-{os.getpid()}")
        self._rounds = confirmations.Rounds("api")

    def send_previews(self, preview_id: str, now: datetime, timeout_s: float) -> None:
        self._link.bridge.run(self._notifier.send_previews(preview_id, now), timeout=timeout_s)

    def confirmation_round(self, push_id: str, now: datetime, timeout_s: float) -> Sequence[RoundReport]:
        link = self._link
        # The link's channels are read when the round runs (tests hand in their own registry).
        round_ = confirmations.run_round(
            self._rt.sessions, lambda name: link.channels.get(name), now, self._rounds, push_id=push_id
        )
        return link.bridge.run(round_, timeout=timeout_s)


def connect_wechat(rt: Runtime) -> WeChatLink:
    """Build the request threads' link: a loop of its own, the clients on it, and the engine's calls."""
    bridge = AsyncBridge("pushtask-wechat")
    target = sandbox_url(rt)

    async def build() -> WeChatClients:
        return build_clients(rt.settings, target, http=REQUEST_HTTP)

    clients = bridge.run(build(), timeout=10)
    return WeChatLink(bridge, clients, lambda link: _EngineCalls(rt, link))
