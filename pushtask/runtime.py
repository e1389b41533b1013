"""What one process holds: its settings, database, caches and its link to WeChat.

These are records; `pushtask/wiring.py`, the composition root, builds them from `Settings`.
Routes and the worker read them here and never construct a WeChat client themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.registry import ChannelRegistry
from pushtask.clock import Clock
from pushtask.config import Settings
from pushtask.domain.actor import Actor
from pushtask.infra.asyncbridge import AsyncBridge
from pushtask.infra.listcache import ListCache
from pushtask.infra.recent import Recent
from pushtask.infra.throttle import AddressRate, LoginThrottle
from pushtask.infra.wakeup import Wakeup
from pushtask.security import TokenClaims, TokenSigner
from pushtask.services.confirmations import ConfirmationEngine
from pushtask.services.previews import PreviewEngine
from pushtask.wechat.customer_group import CustomerGroupClient
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import KeyValueStore
from pushtask.wechat.reviewers import ReviewerMessenger

T = TypeVar("T")

# How long a process reuses a token's user and revocation lookups; other processes see a sign-out
# or a removed user within this (this process at once).
AUTH_CACHE_SECONDS = 0.5
# Short-link requests one address may make per minute (a family's phones share one address; a script does not).
LINK_RATE = (120, 60.0)


@dataclass(frozen=True)
class CallbackKeys:
    """What verifies and decrypts one channel's callbacks."""

    token: str
    encoding_aes_key: str
    receive_id: str


@dataclass
class WeChatClients:
    """One event loop's WeChat: one HTTP session and one token store, and every client built on them."""

    http: HttpSeam
    store: KeyValueStore
    # The group channels (what a push is sent through) and the channels that reach people and the ops robot.
    channels: ChannelRegistry
    notices: ChannelRegistry
    # Reviewer follow-ups (card relabels), the mini program's login, the WeCom directory.
    messenger: ReviewerMessenger
    # The WeCom app's customer-group API (directory sync, what groups received), when WeCom is configured.
    customer_groups: CustomerGroupClient | None = None
    callbacks: dict[str, CallbackKeys] = field(default_factory=dict)

    @property
    def preview_template_id(self) -> str | None:
        """The mini-program subscribe template previews use."""
        return self.messenger.subscribe_template_id

    async def close(self) -> None:
        await self.http.close()
        await self.store.close()


class EngineCalls(PreviewEngine, ConfirmationEngine, Protocol):
    """What a request may ask of the delivery engine at once, on this process's WeChat loop."""


class WeChatLink:
    """How request threads reach WeChat: one event loop (the bridge), the clients built on it, the engine's calls.

    `channels` may be replaced (tests hand in their own registry); the engine's calls read it when they run.
    """

    def __init__(
        self, bridge: AsyncBridge, clients: WeChatClients, engine: Callable[[WeChatLink], EngineCalls]
    ) -> None:
        self.bridge = bridge
        self.clients = clients
        self.channels = clients.channels
        self.messenger = clients.messenger
        self.engine = engine(self)

    @property
    def store(self) -> KeyValueStore:
        """The token/rate-limit store (Redis when configured); use it on the bridge's loop only."""
        return self.clients.store

    @property
    def subscribe_template_id(self) -> str | None:
        """The mini-program subscribe template previews use (None: previews do not go to the mini program)."""
        return self.messenger.subscribe_template_id

    def callback_keys(self, kind: str) -> CallbackKeys | None:
        """The Token/EncodingAESKey/receive id for `wecom` or `miniprogram` callbacks, if configured."""
        return self.clients.callbacks.get(kind)

    def reviewer_channels(self) -> set[str]:
        """The people channels that can reach a reviewer now (`wecom`, `miniprogram`)."""
        out = set()
        if self.messenger.wecom is not None:
            out.add("wecom")
        if self.messenger.miniprogram is not None and self.messenger.subscribe_template_id:
            out.add("miniprogram")
        return out

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coro` on the link's loop (where its clients belong); TimeoutError after `timeout` seconds."""
        return self.bridge.run(coro, timeout)

    def admit(self, key: str, now: float, window_s: float, limit: int) -> float:
        """Count one use of `key` in the shared store; return how long to wait (0: admitted)."""
        return self.bridge.run(self.store.admit(key, now, window_s, limit), timeout=2)

    def close(self) -> None:
        self.bridge.close(self.clients.close())


@dataclass
class Runtime:
    settings: Settings
    engine: Engine | None
    sessions: sessionmaker[Session]
    signer: TokenSigner
    clock: Clock
    wakeup: Wakeup
    login_throttle: LoginThrottle
    # One pooled client per process for the synchronous uses (wake-ups, throttling, health).
    redis: Any = None
    # The WeChat emulator this process started or was pointed at, shown by /api/health (set by the composition root).
    sandbox_url: str | None = None
    # Request threads' link to WeChat: built on first use by `connect_wechat` (the composition root's).
    wechat_link: WeChatLink | None = None
    connect_wechat: Callable[[Runtime], WeChatLink] | None = None
    # Pages of the task list, fresh by data version (None: off; see pushtask.infra.listcache).
    list_cache: ListCache | None = None
    # Who a token belongs to, for AUTH_CACHE_SECONDS (a revoked token stops working within that).
    token_cache: Recent[tuple[Actor, TokenClaims]] | None = None
    # Requests per address to the public short links (/l/<code>, /api/links/<code>/open).
    link_rate: AddressRate | None = None


_LOCK = threading.Lock()


def wechat_link(rt: Runtime) -> WeChatLink:
    """Return the runtime's link to WeChat, building it on first use (once per process)."""
    link = rt.wechat_link
    if link is not None:
        return link
    with _LOCK:
        if rt.wechat_link is None:
            assert rt.connect_wechat is not None, "the composition root (pushtask.wiring) builds runtimes"
            rt.wechat_link = rt.connect_wechat(rt)
        return rt.wechat_link
