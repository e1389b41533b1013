"""The registry built for `pushtask serve` reaches every sandbox group."""

from __future__ import annotations

from pushtask.channels import GroupTarget, ImageRef, MediaBlob, Message
from pushtask.channels.factory import build_channels
from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import credentials as sandbox_credentials
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.http import HttpSeam
from pushtask.wechat.kv import MemoryStore

from .helpers import APPCHAT, ROBOT_KEY, ROOM, run


def _no_media(ref: ImageRef) -> MediaBlob:
    raise AssertionError("no images here")


def test_registry_sends_through_each_channel_to_the_sandbox(sandbox: SandboxHandle, clock: FakeClock) -> None:
    async def scenario() -> list[bool]:
        http = HttpSeam()
        try:
            registry = build_channels(
                http=http,
                store=MemoryStore(clock),
                media=_no_media,
                wecom=sandbox_credentials.wecom(sandbox.url),
                robot_base_url=sandbox.url,
                bridge=sandbox_credentials.bridge(sandbox.url),
                clock=clock,
            )
            targets = [
                GroupTarget(1, "a", "wecom_appchat", APPCHAT),
                GroupTarget(2, "b", "wecom_robot", ROBOT_KEY),
                GroupTarget(3, "c", "bot_bridge", ROOM),
            ]
            unknown = await registry.send(GroupTarget(4, "d", "fax", "x"), Message(text="hi"))
            assert not unknown.sent and unknown.permanent
            return [(await registry.send(t, Message(text="你好"))).sent for t in targets]
        finally:
            await http.close()

    assert run(scenario) == [True, True, True]
    assert len(sandbox.state.messages()) == 3
