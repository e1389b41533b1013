"""One process's connection to WeChat for request threads: loop, HTTP pool, token cache, messenger."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from pushtask.channels.base import Channel
from pushtask.channels.factory import build_channels
from pushtask.channels.registry import ChannelRegistry
from pushtask.config import Settings
from pushtask.infra.asyncbridge import AsyncBridge
from pushtask.infra.media import MediaStore
from pushtask.sandbox import credentials as sandbox_credentials
from pushtask.sandbox import directory as sandbox_directory
from pushtask.wechat.credentials import MiniProgramCredentials, WeComCredentials
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import KeyValueStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.reviewers import ReviewerMessenger
from pushtask.wechat.wecom import WeComClient
from pushtask.wiring import endpoints, notice_channels, token_store
from pushtask.worker.notices import Notifier

if TYPE_CHECKING:
    from pushtask.runtime import Runtime


@dataclass(frozen=True)
class CallbackKeys:
    """What verifies and decrypts one channel's callbacks."""

    token: str
    encoding_aes_key: str
    receive_id: str


@dataclass(frozen=True)
class ReviewerEndpoints:
    wecom: WeComCredentials | None
    miniprogram: MiniProgramCredentials | None
    subscribe_template_id: str | None


def reviewer_endpoints(settings: Settings, sandbox_url: str | None) -> ReviewerEndpoints:
    """Resolve the WeCom app and mini program that reach reviewers (the sandbox's when it runs)."""
    if sandbox_url is not None:
        return ReviewerEndpoints(
            sandbox_credentials.wecom(sandbox_url),
            sandbox_credentials.miniprogram(sandbox_url),
            settings.mp_preview_template_id or sandbox_directory.DEFAULT_TEMPLATE_ID,
        )
    ends = endpoints(settings)
    return ReviewerEndpoints(ends.wecom, ends.miniprogram, settings.mp_preview_template_id)


def callback_keys(settings: Settings, sandbox_url: str | None, channel: str) -> CallbackKeys | None:
    """Return the Token/EncodingAESKey/receive id for `wecom` or `miniprogram` callbacks, if configured."""
    ends = reviewer_endpoints(settings, sandbox_url)
    if channel == "wecom" and ends.wecom is not None and ends.wecom.token and ends.wecom.encoding_aes_key:
        return CallbackKeys(ends.wecom.token, ends.wecom.encoding_aes_key, ends.wecom.corp_id)
    mini = ends.miniprogram
    if channel == "miniprogram" and mini is not None and mini.token and mini.encoding_aes_key:
        return CallbackKeys(mini.token, mini.encoding_aes_key, mini.appid)
    return None


class WeChatLink:
    """Built on first use; `run` executes a coroutine with the messenger on the bridge's loop."""

    def __init__(self, settings: Settings, sandbox_url: str | None, clock: Callable[[], float]) -> None:
        self.bridge = AsyncBridge("pushtask-wechat")
        self._settings = settings
        self._sandbox_url = sandbox_url
        self._clock = clock
        self._http: HttpSeam | None = None
        self._store: KeyValueStore | None = None
        self.channels = ChannelRegistry([])
        self.notices = ChannelRegistry([])
        self.messenger = self.bridge.run(self._build(), timeout=10)
        self._notifier: Notifier | None = None

    def notifier(self, sessions: sessionmaker[Session]) -> Notifier:
        """The engine's notice sender on this process's loop (a preview request sends its own rows)."""
        if self._notifier is None:
            self._notifier = Notifier(
                sessions,
                self._settings,
                self.notices,
                worker_id=f"api-{os.getpid()}",
                preview_template_id=self.messenger.subscribe_template_id,
            )
        return self._notifier

    def channel(self, name: str) -> Channel | None:
        """The group channel `name` (two-phase checks and reminders asked for through the API)."""
        return self.channels.get(name)

    async def _build(self) -> ReviewerMessenger:
        # Created inside the loop: aiohttp sessions and Redis connections belong to one loop.
        self._http = HttpSeam(HttpConfig(total_timeout_s=5.0, connect_timeout_s=2.0))
        settings = self._settings
        self._store = token_store(settings, self._clock)
        ends = reviewer_endpoints(settings, self._sandbox_url)
        group_ends = endpoints(settings, self._sandbox_url)
        self.channels = build_channels(
            http=self._http,
            store=self._store,
            media=MediaStore(settings.media_root),
            wecom=group_ends.wecom,
            robot_base_url=group_ends.robot_base_url,
            bridge=group_ends.bridge,
            clock=self._clock,
        )
        self.notices = notice_channels(settings, self._http, self._store, self._sandbox_url)
        return ReviewerMessenger(
            wecom=WeComClient(ends.wecom, self._http, self._store, clock=self._clock) if ends.wecom else None,
            miniprogram=(
                MiniProgramClient(ends.miniprogram, self._http, self._store, clock=self._clock)
                if ends.miniprogram
                else None
            ),
            media=MediaStore(settings.media_root),
            store=self._store,
            subscribe_template_id=ends.subscribe_template_id,
        )

    @property
    def store(self) -> KeyValueStore:
        """The token/rate-limit store (Redis when configured); use it on the bridge's loop only."""
        assert self._store is not None
        return self._store

    async def _close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._store is not None:
            await self._store.close()

    def close(self) -> None:
        self.bridge.close(self._close())


_LOCK = threading.Lock()


def wechat_link(rt: Runtime) -> WeChatLink:
    """Return the runtime's link to WeChat, building it on first use (once per process)."""
    link = rt.wechat_link
    if link is not None:
        return link
    with _LOCK:
        if rt.wechat_link is None:
            rt.wechat_link = WeChatLink(rt.settings, rt.sandbox_url, time.time)
        return rt.wechat_link
