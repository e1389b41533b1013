"""Credentials that point PushTask's clients at a running sandbox (used by `pushtask serve`)."""

from __future__ import annotations

from pushtask.channels.bot_bridge import BotBridgeConfig
from pushtask.sandbox import directory as d
from pushtask.wechat.credentials import MiniProgramCredentials, WeComCredentials


def wecom(base_url: str) -> WeComCredentials:
    return WeComCredentials(
        d.DEFAULT_CORP_ID,
        d.DEFAULT_CORP_SECRET,
        d.DEFAULT_AGENT_ID,
        token=d.DEFAULT_CALLBACK_TOKEN,
        encoding_aes_key=d.DEFAULT_ENCODING_AES_KEY,
        base_url=base_url,
    )


def miniprogram(base_url: str) -> MiniProgramCredentials:
    return MiniProgramCredentials(
        d.DEFAULT_MP_APPID,
        d.DEFAULT_MP_SECRET,
        token=d.DEFAULT_CALLBACK_TOKEN,
        encoding_aes_key=d.DEFAULT_ENCODING_AES_KEY,
        base_url=base_url,
    )


def bridge(base_url: str, protocol: str = "pushtask", pause_s: float = 0.0) -> BotBridgeConfig:
    """The sandbox's endpoint for the configured bridge protocol (B/bridge/send, B/bridge/<protocol>)."""
    root = base_url.rstrip("/")
    url = f"{root}/bridge/send" if protocol == "pushtask" else f"{root}/bridge/{protocol}"
    status = f"{root}/bridge/status" if protocol == "pushtask" else ""
    return BotBridgeConfig(url, d.DEFAULT_BRIDGE_TOKEN, protocol=protocol, pause_s=pause_s, status_url=status)
