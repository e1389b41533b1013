"""A worker with its notifier, stepping with the frozen clock against the real sandbox over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pushtask.config import Settings
from pushtask.models import Group
from pushtask.sandbox import SandboxHandle, SandboxState, start_in_thread
from pushtask.sandbox.directory import DEFAULT_TEMPLATE_ID
from pushtask.wiring import build_notifier, build_sender
from pushtask.worker.runner import Worker, WorkerConfig
from tests.integration.conftest import World
from tests.support import FrozenClock

OPS_ROBOT = "ops-alert-robot-key"


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    handle = start_in_thread("127.0.0.1", 0, SandboxState(seed=8))
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle, world: World, sessions: sessionmaker[Session]) -> SandboxHandle:
    """The sandbox knowing the school's groups, the reviewers (张老师 on WeCom, 李老师 on the mini program), ops."""
    sandbox_server.state.reset()
    with sessions() as db:
        for group in db.scalars(select(Group)):
            sandbox_server.state.register_group(group.channel, group.channel_ref, group.name, group.member_count)
    sandbox_server.state.apply_directory(
        {
            "users": [{"userid": "zhang", "name": "张老师"}, {"openid": "li", "name": "李老师"}],
            "groups": [{"channel": "wecom_robot", "ref": OPS_ROBOT, "name": "运维告警群", "memberCount": 5}],
        }
    )
    return sandbox_server


class Harness:
    def __init__(self, sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp: Any):
        self.sessions, self.clock, self.sandbox, self.tmp = sessions, clock, sandbox, tmp
        self.settings = Settings(data_dir=tmp, secret_key="k" * 40, alert_robot_key=OPS_ROBOT, alert_window_seconds=600)

    def run(self, *moments: float) -> None:
        """Step the worker (housekeeping every step) once at each moment, in seconds after the last."""

        async def scenario() -> None:
            sender = build_sender(self.settings, self.sandbox.url)
            notices = build_notifier(self.settings, self.sessions, self.sandbox.url)
            worker = Worker(
                self.sessions,
                sender,
                self.clock,
                config=WorkerConfig(concurrency=16, high_reserved=4, housekeeping_s=0),
                notifier=notices.notifier,
            )
            try:
                for seconds in moments:
                    self.clock.advance(seconds=seconds)
                    await worker.step()
            finally:
                await sender.close()
                await notices.close()

        asyncio.run(scenario())

    def received(self, target: str) -> list[dict[str, Any]]:
        return self.sandbox.state.messages(target)

    def texts(self, target: str) -> list[str]:
        return [str(m["payload"]) for m in self.received(target)]

    def grant(self, openid: str, count: int) -> None:
        self.sandbox.state.grant_subscriptions(openid, DEFAULT_TEMPLATE_ID, count)


@pytest.fixture
def harness(sessions: sessionmaker[Session], clock: FrozenClock, sandbox: SandboxHandle, tmp_path: Any) -> Harness:
    return Harness(sessions, clock, sandbox, tmp_path)
