"""Build real clients pointed at the test sandbox."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from pushtask.sandbox import SandboxHandle
from pushtask.sandbox import directory as d
from pushtask.wechat.clock import FakeClock
from pushtask.wechat.credentials import MiniProgramCredentials, WeComCredentials
from pushtask.wechat.http import HttpConfig, HttpSeam
from pushtask.wechat.kv import KeyValueStore, MemoryStore
from pushtask.wechat.miniprogram import MiniProgramClient
from pushtask.wechat.robot import RobotClient
from pushtask.wechat.wecom import WeComClient

T = TypeVar("T")
APPCHAT = "sandboxchat001"
ROBOT_KEY = "sandbox-robot-key-0001"
ROOM = "20000000001@chatroom"
OPENID = "o_sandbox_reviewer_01"


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def wecom_credentials(sandbox: SandboxHandle) -> WeComCredentials:
    return WeComCredentials(
        d.DEFAULT_CORP_ID,
        d.DEFAULT_CORP_SECRET,
        d.DEFAULT_AGENT_ID,
        token=d.DEFAULT_CALLBACK_TOKEN,
        encoding_aes_key=d.DEFAULT_ENCODING_AES_KEY,
        base_url=sandbox.url,
    )


def mp_credentials(sandbox: SandboxHandle) -> MiniProgramCredentials:
    return MiniProgramCredentials(d.DEFAULT_MP_APPID, d.DEFAULT_MP_SECRET, base_url=sandbox.url)


@dataclass
class Clients:
    http: HttpSeam
    store: KeyValueStore
    wecom: WeComClient
    robot: RobotClient
    mp: MiniProgramClient


@asynccontextmanager
async def clients(
    sandbox: SandboxHandle, clock: FakeClock, *, timeout_s: float = 3.0, store: KeyValueStore | None = None
) -> AsyncIterator[Clients]:
    http = HttpSeam(HttpConfig(total_timeout_s=timeout_s, connect_timeout_s=1.0))
    kv = store or MemoryStore(clock)
    try:
        yield Clients(
            http,
            kv,
            WeComClient(wecom_credentials(sandbox), http, kv, clock=clock),
            RobotClient(http, sandbox.url),
            MiniProgramClient(mp_credentials(sandbox), http, kv, clock=clock),
        )
    finally:
        await http.close()


def png(size: int = 64) -> bytes:
    """A valid PNG padded with an ancillary chunk up to about `size` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    pad = max(size - 69, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"teXt", b"c\x00" + b"x" * pad)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )
