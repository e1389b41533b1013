"""Build the worker's Notifier from settings: the same hosts and credentials as the channels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.notify.delivery import Clients, Notifier
from pushtask.sandbox import directory as sandbox_directory
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import KeyValueStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient
from pushtask.wiring import endpoints, token_store


@dataclass
class NotifierHandle:
    notifier: Notifier
    http: HttpSeam
    store: KeyValueStore

    async def close(self) -> None:
        await self.http.close()
        await self.store.close()


def build_notifier(
    settings: Settings, sessions: sessionmaker[Session], sandbox_url: str | None = None, *, worker_id: str | None = None
) -> NotifierHandle:
    """Create the notifier and its WeChat clients (call inside the worker's event loop)."""
    ends = endpoints(settings, sandbox_url)
    http = HttpSeam(HttpConfig())
    store = token_store(settings)
    wecom = WeComClient(ends.wecom, http, store) if ends.wecom else None
    template = settings.mp_notice_template_id or settings.mp_preview_template_id
    if sandbox_url is not None:
        template = template or sandbox_directory.DEFAULT_TEMPLATE_ID
    mp_credentials = ends.miniprogram
    mini = MiniProgramClient(mp_credentials, http, store) if mp_credentials else None
    robot = RobotClient(http, ends.robot_base_url)
    clients = Clients(wecom=wecom, miniprogram=mini, robot=robot, notice_template_id=template)
    return NotifierHandle(
        Notifier(sessions, settings, clients, worker_id=worker_id or f"notify-{uuid.uuid4().hex[:12]}"), http, store
    )
