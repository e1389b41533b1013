"""Credentials of the WeChat accounts PushTask talks to; base URLs default to the real hosts."""

from __future__ import annotations

from dataclasses import dataclass, field

WECOM_BASE_URL = "https://qyapi.weixin.qq.com"
WECHAT_BASE_URL = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class WeComCredentials:
    """A WeCom self-built app: sends app messages and app group chats, receives callbacks."""

    corp_id: str
    corp_secret: str = field(repr=False)
    agent_id: int
    token: str = field(default="", repr=False)  # callback Token
    encoding_aes_key: str = field(default="", repr=False)  # callback EncodingAESKey (43 chars)
    base_url: str = WECOM_BASE_URL


@dataclass(frozen=True)
class MiniProgramCredentials:
    """A mini program: sends subscribe messages (service notifications) to reviewers."""

    appid: str
    secret: str = field(repr=False)
    token: str = field(default="", repr=False)  # message-push Token
    encoding_aes_key: str = field(default="", repr=False)
    base_url: str = WECHAT_BASE_URL
    miniprogram_state: str = "formal"  # developer | trial | formal
    lang: str = "zh_CN"
